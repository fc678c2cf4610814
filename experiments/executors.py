"""The executor seam: every backend is a ``concurrent.futures.Executor``.

``serial`` runs in this process; ``processes`` is a ``ProcessPoolExecutor`` over the
``forkserver`` start method (safe with threads, workers start clean); ``dask`` is a
``distributed`` client's executor (a scheduler you name, or a ``LocalCluster`` on 127.0.0.1 that
is started for you); ``mpi`` is ``mpi4py.futures.MPIPoolExecutor``.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future
from typing import Any, Literal

from govsim.sim.errors import InputError

type ExecutorName = Literal["serial", "processes", "dask", "mpi"]
EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask", "mpi")


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
    """

    def __init__(
        self,
        kind: str,
        workers: int | None = None,
        scheduler: str | None = None,
        preload: list[str] | None = None,
    ) -> None:
        if kind not in EXECUTORS:
            raise InputError("--executor", "executor", f"one of {', '.join(EXECUTORS)} (got {kind!r})")
        if scheduler and kind != "dask":
            raise InputError("--scheduler", "scheduler", "only with --executor dask")
        if workers is not None and workers < 1:
            raise InputError("--workers", "workers", f"a positive integer (got {workers})")
        self.kind = kind
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

            size = MPI.COMM_WORLD.Get_size()
            if size > 1:
                return size - 1
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
                # after a crash) then starts in milliseconds instead of re-importing Mesa.
                ctx.set_forkserver_preload(["govsim.experiments.worker", *self._preload])
                ex = ProcessPoolExecutor(self.n_workers, mp_context=ctx)
            case "dask":
                ex = self._client.get_executor(pure=False)
            case "mpi":
                from mpi4py.futures import MPIPoolExecutor

                ex = MPIPoolExecutor(max_workers=self._workers) if self._workers else MPIPoolExecutor()
            case _:  # pragma: no cover
                raise AssertionError(self.kind)
        self._executor = ex
        return ex

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
