"""Workers never outlive their coordinator: a process arms :func:`exit_with_parent` when it starts.

Kept apart from the executors so that the fork server and Dask workers can import it without the
executor seam (which imports them back when it starts them).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.25
"""How often a worker (or the fork server) checks that its parent is alive."""



def exit_with_parent(kill_signal: bool = True) -> None:
    """Make this process exit as soon as its parent dies (a worker must not outlive its coordinator).

    A daemon thread polls the parent pid and calls ``os._exit`` once the process has been
    re-parented, which covers every way the parent can die (``SIGKILL``, the OOM killer, a job
    scheduler). On Linux, ``kill_signal`` also asks the kernel for ``SIGKILL`` at the parent's
    death (``prctl(PR_SET_PDEATHSIG)``), which is immediate; it is tied to the parent *thread*,
    so it is used only for processes whose parent forks them from a thread that lives as long as
    they do (the fork server's workers).

    Args:
        kill_signal: Also arm ``PR_SET_PDEATHSIG`` (Linux).
    """
    parent = os.getppid()
    if threading.current_thread() is threading.main_thread():
        # A fork-server child inherits the server's parent-check handler (not its timer): back to
        # the default, as in any fresh process.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    if kill_signal and sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl; the watcher remains
            pass
    if os.getppid() != parent:  # the parent died before the watch began
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="govsim-exit-with-parent", daemon=True).start()
