"""The executor seam: every backend is a ``concurrent.futures.Executor``.

``serial`` runs in this process; ``processes`` is a ``ProcessPoolExecutor`` over the
``forkserver`` start method (safe with threads, workers start clean); ``dask`` is a
``distributed`` client's executor (a scheduler you name, or a ``LocalCluster`` on 127.0.0.1 that
is started for you); ``mpi`` is ``mpi4py.futures.MPIPoolExecutor`` over the ranks of an
``mpiexec -n N python -m mpi4py.futures`` launch.

Workers never outlive the coordinator: the fork server, every pool worker and every Dask worker
of a local cluster watch their parent and exit within a second of its death, whatever signal
killed it (:func:`govsim.experiments.parent_watch.exit_with_parent`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import Executor, Future
from concurrent.futures import wait as futures_wait
from typing import Any, Literal

from govsim.experiments.parent_watch import exit_with_parent
from govsim.sim.errors import InputError, OutputError

type ExecutorName = Literal["serial", "processes", "dask", "mpi"]
EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask", "mpi")
START_TIMEOUT = 120.0
"""Seconds an executor may take to run its first call before the sweep gives up."""
MPI_LAUNCH = "mpiexec -n N python -m mpi4py.futures -m govsim.experiments sweep EXPERIMENT --out OUT --executor mpi"
def _ready() -> int:
    """The executor's first call: proves a worker is up."""
    return os.getpid()


def check_options(kind: str, workers: int | None = None, scheduler: str | None = None) -> None:
    """Refuse bad executor options before anything is written or started.

    Raises:
        InputError: An unknown executor, a worker count below 1, ``--scheduler`` without
            ``--executor dask``, or ``mpi`` outside an ``mpiexec ... -m mpi4py.futures`` launch.
    """
    if kind not in EXECUTORS:
        raise InputError("--executor", "executor", f"one of {', '.join(EXECUTORS)} (got {kind!r})")
    if scheduler and kind != "dask":
        raise InputError("--scheduler", "scheduler", "only with --executor dask")
    if workers is not None and workers < 1:
        raise InputError("--workers", "workers", f"a positive integer (got {workers})")
    if kind == "mpi":
        # `python -m mpi4py.futures` imports its core before running govsim; without it there is no
        # pool of ranks, and MPIPoolExecutor would try MPI_Comm_spawn, which singleton launches of
        # common MPI builds answer with MPI_ERR_SPAWN and then a hang.
        core = sys.modules.get("mpi4py.futures._core")
        if core is None or getattr(core, "SharedPool", None) is None:
            raise InputError("--executor", "executor", f"mpi runs under mpiexec; launch the sweep as: {MPI_LAUNCH}")


_OWN_FORKSERVERS: set[int] = set()
"""Fork servers this process started for sweeps (their pids)."""
_WARM_FORKSERVERS: set[int] = set()
"""Fork servers that have started a pool (their imports are done): never stopped."""


def _forkserver_pid() -> int | None:
    """The pid of this process's fork server (``multiprocessing``'s module singleton), or None."""
    from multiprocessing import forkserver

    return forkserver._forkserver._forkserver_pid


def start_forkserver(preload: list[str]) -> Any:
    """Start the process pool's fork server now (if not yet running) and return its context.

    The fork server imports the model once; every worker (and every replacement after a crash)
    is then forked from it in milliseconds instead of re-importing Mesa. Starting it does not
    wait for those imports, so :func:`~govsim.experiments.runner.run_sweep` calls this as soon as
    it knows the model, and the imports (about 1 s for Mesa) overlap its own work: importing the
    model to check parameters, the design, the manifest. The first module makes the fork server
    exit with this process. A fork server already running (an earlier sweep of this process) is
    reused, with what it imported then.
    """
    import multiprocessing
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["govsim.experiments._forkserver", "govsim.experiments.worker", *preload])
    before = _forkserver_pid()
    forkserver.ensure_running()  # the module's singleton, which ctx uses
    pid = _forkserver_pid()
    if pid != before:
        _OWN_FORKSERVERS.add(pid)
    return ctx


def _stop_own_forkserver() -> None:
    """Kill the fork server if a sweep of this process started it and it has not served yet.

    Used when a pool is given up before it started: its first call blocks until the fork
    server has imported the model, and shutting the pool down waits for that call. The next
    sweep starts a new fork server (``ensure_running`` sees this one has died). A fork server
    that has started a pool before is left alone: it answers in milliseconds, and the next
    sweep of this process (a calibration's next generation) reuses it.
    """
    import signal

    pid = _forkserver_pid()
    if pid in _OWN_FORKSERVERS and pid not in _WARM_FORKSERVERS:
        _OWN_FORKSERVERS.discard(pid)
        try:
            os.kill(pid, signal.SIGKILL)
            # wait until it has exited but leave it unreaped: ensure_running() reaps it and starts a
            # new one (a server still dying would be taken for a live one by the next sweep)
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except (ProcessLookupError, ChildProcessError):  # pragma: no cover - already gone
            pass


class SerialExecutor(Executor):
    """An in-process executor: ``submit`` runs the call at once and returns a finished future."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now; its exception (not ``KeyboardInterrupt``) goes into the future."""
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:
            fut.set_exception(exc)
        return fut


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class ExecutorFactory:
    """Creates (and after a crash re-creates) the executor of a sweep; owns any cluster it starts.

    Use as a context manager; :meth:`create` returns a fresh executor, :meth:`close` stops it.

    Args:
        kind: ``serial``, ``processes``, ``dask`` or ``mpi``.
        workers: Worker count (default: all cores).
        scheduler: Dask scheduler address.
        preload: Modules the process pool's fork server imports once (the model's module).
        start_timeout: Seconds the executor may take to run its first call.
    """

    def __init__(
        self,
        kind: str,
        workers: int | None = None,
        scheduler: str | None = None,
        preload: list[str] | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        check_options(kind, workers, scheduler)
        self.kind = kind
        self.start_timeout = start_timeout
        self.scheduler = scheduler
        self._workers = workers
        self._preload = preload or []
        self._client: Any = None
        self._cluster: Any = None
        self._executor: Executor | None = None
        self.started: Future = Future()
        """Completes once the current executor has run its first call."""
        self.started.set_result(None)
        self._start_deadline = 0.0

    @property
    def n_workers(self) -> int:
        """How many runs can execute at once."""
        if self.kind == "serial":
            return 1
        if self.kind == "dask" and self._client is not None:
            info = self._client.scheduler_info(n_workers=-1)
            return max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))
        if self.kind == "mpi":
            from mpi4py import MPI

            return max(1, MPI.COMM_WORLD.Get_size() - 1)
        return self._workers or cpu_count()

    def __enter__(self) -> ExecutorFactory:
        if self.kind == "dask":
            self._start_dask()
        elif self.kind == "mpi":
            try:
                import mpi4py.futures  # noqa: F401
                from mpi4py import MPI  # noqa: F401 - loads the MPI library itself
            except (ImportError, RuntimeError):
                raise InputError(
                    "--executor",
                    "executor",
                    "mpi needs the mpi4py package and an MPI library (pip install mpi4py)",
                ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_dask(self) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency
            raise InputError("--executor", "executor", "dask needs the distributed package") from None
        if self.scheduler:
            try:
                self._client = Client(self.scheduler, timeout="20s")
            except OSError as exc:
                raise InputError(
                    "--scheduler", "scheduler", f"cannot reach the Dask scheduler {self.scheduler}: {exc}"
                ) from None
        else:
            self._cluster = LocalCluster(
                host="127.0.0.1",
                n_workers=self._workers or cpu_count(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self._client = Client(self._cluster)
            # Workers this process started die with it (a scheduler you name keeps its own).
            from govsim.experiments._dask import ExitWithCoordinator

            self._client.register_plugin(ExitWithCoordinator())

    def create(self, wait: bool = True) -> Executor:
        """A fresh executor (shutting down the previous one, e.g. after a worker died).

        Args:
            wait: Return once the executor has run its first call (the default). Otherwise
                return at once: :attr:`started` completes when the first call has run, and
                :meth:`check_start` enforces the start timeout; nothing may be submitted
                before (a process pool's ``submit`` blocks while its first worker starts).

        Raises:
            OutputError: The executor did not start within the start timeout (``wait`` only).
        """
        if self._executor is not None:
            self._shutdown(self._executor)
        match self.kind:
            case "serial":
                ex: Executor = SerialExecutor()
            case "processes":
                from concurrent.futures import ProcessPoolExecutor

                ctx = start_forkserver(self._preload)
                ex = ProcessPoolExecutor(self.n_workers, mp_context=ctx, initializer=exit_with_parent)
            case "dask":
                ex = self._client.get_executor(pure=False)
            case "mpi":
                from mpi4py.futures import MPIPoolExecutor

                ex = MPIPoolExecutor(max_workers=self._workers) if self._workers else MPIPoolExecutor()
            case _:  # pragma: no cover
                raise AssertionError(self.kind)
        self._executor = ex
        self._probe(ex)
        if wait and not self.started.done():
            futures_wait([self.started], timeout=self.start_timeout)
            self.check_start()
        return ex

    def _probe(self, ex: Executor) -> None:
        """Run one call on the new executor from a helper thread; :attr:`started` completes after it.

        The call is made from a helper thread: a process pool's ``submit`` itself blocks while
        its fork server is stuck (e.g. importing a model that hangs). A call that fails (a broken
        pool) completes it too: the dispatcher finds the pool broken and retries its runs.
        """
        self.started = Future()
        self._start_deadline = time.monotonic() + self.start_timeout
        if self.kind == "serial":
            self.started.set_result(None)
            return
        started = self.started
        kind = self.kind

        def probe() -> None:
            try:
                ex.submit(_ready).result()
                if kind == "processes":
                    _WARM_FORKSERVERS.add(_forkserver_pid())
            except Exception:  # noqa: BLE001, S110 - a broken pool answers; the dispatcher retries its runs
                pass
            started.set_result(None)

        threading.Thread(target=probe, name="govsim-executor-start", daemon=True).start()

    def start_wait(self) -> float:
        """Seconds left before the executor's start times out (0 once it has started)."""
        return 0.0 if self.started.done() else max(0.0, self._start_deadline - time.monotonic())

    def check_start(self, ran: int = 0) -> None:
        """Give up on an executor that has not started by its deadline.

        Args:
            ran: Runs that ran in this process meanwhile (saved, for the message).

        Raises:
            OutputError: The deadline has passed and the executor has not started.
        """
        if self.started.done() or time.monotonic() < self._start_deadline:
            return
        ex = self._executor
        # Abandon the stuck executor without waiting on it (its locks may be held by the probe);
        # its processes watch this one and exit with it. A fork server this process started is
        # stopped now, which also frees the probe.
        self._executor = None
        if self.kind == "processes":
            _stop_own_forkserver()
        stopper = threading.Thread(target=self._shutdown, args=(ex,), kwargs={"kill": True}, daemon=True)
        stopper.start()
        stopper.join(5.0)
        done = (
            f"{ran} runs ran in this process meanwhile and are saved (continue with --resume)"
            if ran
            else "nothing was run"
        )
        raise OutputError(
            f"--executor {self.kind}",
            "",
            f"the executor did not start within {self.start_timeout:g} s (workers stuck starting or "
            f"importing the model); {done}. Check that the model imports on its own, or "
            "raise --start-timeout",
        )

    @staticmethod
    def _shutdown(ex: Executor, *, kill: bool = False) -> None:
        procs = list(getattr(ex, "_processes", {}) or {}) if kill else []
        procs = [ex._processes[p] for p in procs if p in ex._processes] if procs else []  # type: ignore[attr-defined]
        try:
            ex.shutdown(wait=not kill, cancel_futures=True)
        except Exception:  # noqa: BLE001 - a broken pool may fail to shut down cleanly; nothing left to save
            pass
        for p in procs:  # running runs of an interrupted sweep are abandoned, not awaited
            if p.is_alive():
                p.terminate()

    def abort(self) -> None:
        """Stop the current executor now, abandoning running work (Ctrl-C)."""
        if self._executor is not None:
            if self.kind == "processes" and not self.started.done():
                _stop_own_forkserver()
            self._shutdown(self._executor, kill=True)
            self._executor = None

    def close(self) -> None:
        """Shut down the executor and any cluster this factory started.

        A process pool that has not started yet (every run finished in the coordinator first) is
        not waited for: the fork server this process started for it is stopped mid-import.
        """
        if self._executor is not None:
            if self.kind == "processes" and not self.started.done():
                _stop_own_forkserver()
            self._shutdown(self._executor)
            self._executor = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
