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
from concurrent.futures import Executor, Future
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

    def create(self) -> Executor:
        """A fresh executor (shutting down the previous one, e.g. after a worker died)."""
        if self._executor is not None:
            self._shutdown(self._executor)
        match self.kind:
            case "serial":
                ex: Executor = SerialExecutor()
            case "processes":
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                ctx = multiprocessing.get_context("forkserver")
                # Import the model once in the fork server; every worker (and every replacement
                # after a crash) then starts in milliseconds instead of re-importing Mesa. The
                # first module makes the fork server exit with this process.
                ctx.set_forkserver_preload(
                    ["govsim.experiments._forkserver", "govsim.experiments.worker", *self._preload]
                )
                ex = ProcessPoolExecutor(self.n_workers, mp_context=ctx, initializer=exit_with_parent)
            case "dask":
                ex = self._client.get_executor(pure=False)
            case "mpi":
                from mpi4py.futures import MPIPoolExecutor

                ex = MPIPoolExecutor(max_workers=self._workers) if self._workers else MPIPoolExecutor()
            case _:  # pragma: no cover
                raise AssertionError(self.kind)
        self._executor = ex
        self._wait_started(ex)
        return ex

    def _wait_started(self, ex: Executor) -> None:
        """Run one call on the new executor; give up after ``start_timeout`` seconds.

        The call is made from a helper thread: a process pool's ``submit`` itself blocks while
        its fork server is stuck (e.g. importing a model that hangs).
        """
        if self.kind == "serial":
            return
        started = threading.Event()

        def probe() -> None:
            try:
                ex.submit(_ready).result()
            except Exception:  # noqa: BLE001, S110 - a broken pool answers; the dispatcher retries its runs
                pass
            started.set()

        threading.Thread(target=probe, name="govsim-executor-start", daemon=True).start()
        if started.wait(self.start_timeout):
            return
        # Abandon the stuck executor without waiting on it (its locks may be held by the probe);
        # its processes watch this one and exit with it.
        self._executor = None
        stopper = threading.Thread(target=self._shutdown, args=(ex,), kwargs={"kill": True}, daemon=True)
        stopper.start()
        stopper.join(5.0)
        raise OutputError(
            f"--executor {self.kind}",
            "",
            f"the executor did not start within {self.start_timeout:g} s (workers stuck starting or "
            "importing the model); nothing was run. Check that the model imports on its own, or "
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
            self._shutdown(self._executor, kill=True)
            self._executor = None

    def close(self) -> None:
        """Shut down the executor and any cluster this factory started."""
        if self._executor is not None:
            self._shutdown(self._executor)
            self._executor = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
