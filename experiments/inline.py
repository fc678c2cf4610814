"""The inline start: the coordinator runs runs itself while its process pool starts.

A process pool's first worker is ready only once the fork server has imported the model (about
1 s for a Mesa model: ``mesa`` pulls in scipy.spatial, networkx and pandas). The coordinator has
usually imported the model already (to check the experiment's parameters), so instead of waiting
it runs the first runs itself, one batch at a time, in a helper thread. As soon as the pool
answers its first call the coordinator stops: a batch in progress is cut short and the run it was
in is abandoned (an exception is raised in the helper thread at its next Python instruction) and
handed to the pool like any other; the runs that finished are kept. Results do not depend on
where a run ran (same run function, same seed), so the sweep's tables are identical either way.

The price is crash isolation for those first runs: a run that kills its process (a segfault in
a C extension, ``os._exit``, the OOM killer) kills the coordinator instead of one worker, which
the pool survives. Such a sweep continues with ``--resume``, and the runner then starts without
the inline phase (the marker :data:`MARKER` left in the folder says the last coordinator died in
it), so the run gets a worker of its own. ``inline_start=False`` (``--no-inline-start``) turns
the phase off; it is off anyway with a run time limit (a limit is a worker's ``SIGALRM``).
docs/performance.md ("Sweep runner overhead") has the measurements.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import threading
from concurrent.futures import Future

from govsim.experiments.worker import Result, RunConfig, Runner, Task, make_runner, run_one

MARKER = ".inline-start"
"""File in a results folder while runs run in the coordinator; left behind only if it died there."""


class Preempted(BaseException):  # noqa: N818 - a BaseException so a model's `except Exception` cannot swallow it
    """Raised in the inline thread to abandon its run when the pool is ready."""


def _ignore_swallowed_preemption() -> None:
    """Drop the report of a preemption that landed where Python cannot raise it.

    The asynchronous exception fires at the helper thread's next Python instruction, which may be
    inside a weak-reference callback or a ``__del__`` (Mesa's agent sets are weak dictionaries).
    Python ignores an exception there and reports it through :data:`sys.unraisablehook` ("Exception
    ignored in …"); the run goes on, and :class:`InlineRunner` redoes it in the pool anyway (an
    injected run is never kept). The report is noise, and under ``-W error`` pytest turns it into a
    failure of whichever test was running. Other unraisable exceptions go to the hook as before.
    """
    prev = sys.unraisablehook
    if getattr(prev, "_drops_preempted", False):
        return

    def hook(unraisable) -> None:
        if unraisable.exc_type is not Preempted:
            prev(unraisable)

    hook._drops_preempted = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _set_async_exc(tid: int, exc: type[BaseException] | None) -> None:
    # None clears a pending asynchronous exception of that thread
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(exc) if exc else None)


class InlineRunner:
    """Runs batches in a helper thread of the coordinator, one batch at a time, until preempted.

    Args:
        config: The sweep's run configuration.
    """

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.runs = 0
        """Runs finished (and kept) in the coordinator."""
        self._lock = threading.Lock()
        self._stop = False
        self._busy_tid: int | None = None  # the thread while it is inside a run
        self._injected = False
        self._thread: threading.Thread | None = None
        # this sweep's own run function, not the process-wide cache of runner_for: a scenario file
        # changed since an earlier sweep of this process is read again, as a new worker would
        self._runner: Runner | None = None
        # a model may change the collector for its run (govsim's quiet_gc); an abandoned run may
        # not have restored it
        self._gc = (gc.isenabled(), gc.get_threshold())

    @property
    def stopped(self) -> bool:
        """Whether :meth:`preempt` was called (no more batches are accepted)."""
        return self._stop

    def submit(self, batch: list[Task]) -> Future:
        """Run ``batch`` in a new helper thread; the future's result holds the runs of a prefix of it.

        A preempted batch returns fewer results than tasks: the rest (starting with the run that
        was abandoned) were not run.
        """
        fut: Future = Future()
        self._thread = threading.Thread(
            target=self._work, args=(fut, batch), name="govsim-inline", daemon=True
        )
        self._thread.start()
        return fut

    def preempt(self, join: float = 0.0) -> None:
        """Stop: abandon the run in progress (at its next Python instruction), accept no more batches.

        Args:
            join: Seconds to wait for the helper thread to finish; once it has, after an abandoned
                run, the garbage collector's settings are put back as they were before the first run.
        """
        with self._lock:
            self._stop = True
            if self._busy_tid is not None and not self._injected:
                self._injected = True
                _ignore_swallowed_preemption()
                _set_async_exc(self._busy_tid, Preempted)
        if join and self._thread is not None:
            self._thread.join(join)
            if not self._thread.is_alive() and self._injected:
                enabled, threshold = self._gc
                gc.unfreeze()
                gc.set_threshold(*threshold)
                if enabled:
                    gc.enable()

    def _work(self, fut: Future, batch: list[Task]) -> None:
        if not fut.set_running_or_notify_cancel():
            return
        done: list[Result] = []
        tid = threading.get_ident()
        try:
            for task in batch:
                res: Result | None = None
                keep = False
                try:
                    with self._lock:
                        if self._stop:
                            break
                        self._busy_tid = tid
                    if self._runner is None:
                        self._runner = make_runner(self.config)
                    res = run_one(self.config, self._runner, task)
                    with self._lock:
                        self._busy_tid = None
                        # A preemption injected during the run but not raised (a model's bare
                        # `except:` may have swallowed it): the run may be damaged, so it is redone
                        # in the pool. One still pending is cleared here.
                        keep = not self._injected
                        if self._injected:
                            _set_async_exc(tid, None)
                except Preempted:  # raised in the run (res is None) or just after it (res is whole)
                    with self._lock:
                        self._busy_tid = None
                    keep = res is not None
                if not keep or res is None:
                    break
                done.append(res)
        except BaseException:  # noqa: BLE001 - the model cannot be built here, or a run raised SystemExit:
            try:  # stop; the pool runs this run (and reports it) with a worker of its own
                with self._lock:
                    self._busy_tid = None
                    self._stop = True
                    if self._injected:
                        _set_async_exc(tid, None)
            except Preempted:
                with self._lock:
                    self._busy_tid = None
        self.runs += len(done)
        fut.set_result(done)
