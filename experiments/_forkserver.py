"""Preloaded first by the process pool's fork server: it exits when the sweep that started it dies.

Its only effect is on import, which is why only the fork server's preload list names it.
Without it a killed coordinator (``SIGKILL``, the OOM killer) leaves the fork server and,
through it, its idle workers running until reboot.
"""

from govsim.experiments.executors import exit_with_parent

# The fork server's parent is the coordinator; its children fork from its own single thread.
exit_with_parent(kill_signal=False)
