"""Preloaded first by the process pool's fork server: it exits when the sweep that started it dies.

Its only effect is on import, which is why only the fork server's preload list names it.
Without it a killed coordinator (``SIGKILL``, the OOM killer) leaves the fork server and,
through it, its idle workers running until reboot.

The fork server forks every worker, so it gets no Python thread of ours (a thread holding a lock
at a fork deadlocks the child): instead of a watcher thread, an interval timer wakes it every
quarter second to compare its parent pid. Children do not inherit interval timers, and
:func:`~govsim.experiments.parent_watch.exit_with_parent` resets the handler in each worker.
"""

import os
import signal

from govsim.experiments.parent_watch import WATCH_SECONDS

_PARENT = os.getppid()


def _check_parent(signum: int, frame: object) -> None:
    if os.getppid() != _PARENT:
        os._exit(1)


signal.signal(signal.SIGALRM, _check_parent)
signal.setitimer(signal.ITIMER_REAL, WATCH_SECONDS, WATCH_SECONDS)
