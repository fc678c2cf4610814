"""The dispatch loop of a sweep: the runs still to do → bounded batches on an executor → parts.

:func:`dispatch` submits the remaining runs in small batches with a bounded number in flight, so
the coordinator never holds more than a window of runs; it collects their results, retries the
runs of a worker that died (alone, then records them failed), replaces a broken pool, and flushes
finished runs to Parquet parts every few seconds (:meth:`experiments.store.Store.write_part`).
With the ``processes`` executor the coordinator runs the first runs itself while its pool starts
(:mod:`experiments.inline`). :mod:`experiments.runner` prepares the folder and calls it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from typing import Any

from govsim.experiments.design import Design
from govsim.experiments.executors import START_TIMEOUT, ExecutorFactory
from govsim.experiments.inline import MARKER, InlineRunner
from govsim.experiments.spec_models import SCENARIO_PARAM, ExperimentSpec
from govsim.experiments.store import Store
from govsim.experiments.worker import Result, RunConfig, Task, run_batch

FLUSH_SECONDS = 2.0
FLUSH_RUNS = 5_000
"""Flush the buffer once it holds this many runs, whatever the time."""
FLUSH_VALUES = 4_000_000
"""... or this many time-series values (≈ 32 MB), so long series cannot pile up in the coordinator."""
_MAX_BATCH = 256
_TARGET_BATCH_SECONDS = 0.25
_TRIES = 2


def preload_modules(spec: ExperimentSpec) -> list[str]:
    """The module the fork server imports for the workers: the model's."""
    model = spec.experiment.model
    return ["govsim.sim.model"] if model == "govsim" else [model.partition(":")[0]]


def posterior_draws_json(spec: ExperimentSpec) -> str:
    """The experiment's posterior draws as canonical JSON (a list of override dicts), or ``""``."""
    if spec.posterior_path is None:
        return ""
    from govsim.experiments.fileio import read_posterior

    rows = read_posterior(spec.posterior_path).to_dict(orient="records")
    return json.dumps([{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows])


def scenario_digest(spec: ExperimentSpec) -> str:
    """Hash of the scenarios a govsim sweep's runs start from, as loaded now (``""`` for other models).

    The base scenario and every ``scenario`` level, each loaded as a worker loads it (``run.base``
    followed, the city file's population taken): a file edited since an earlier sweep of the same
    process gives another :class:`~experiments.worker.RunConfig`, so no process reuses the run
    function (and the scenarios) it cached for the old file.
    """
    if spec.experiment.model != "govsim" or spec.scenario_path is None:
        return ""
    from govsim.sim import load_scenario
    from govsim.sim.errors import InputError

    h = hashlib.sha256()
    for path in (spec.scenario_path, *spec.option_paths):
        try:
            h.update(load_scenario(path).model_dump_json().encode())
        except (InputError, OSError) as exc:  # each run fails on it and says why, as before
            h.update(f"{path}: {exc}".encode())
    return h.hexdigest()


def run_config(spec: ExperimentSpec, run_timeout: float | None) -> RunConfig:
    """What every worker needs of this sweep besides the design point."""
    ex = spec.experiment
    return RunConfig(
        model=ex.model,
        scenario=str(spec.scenario_path) if spec.scenario_path else None,
        fixed_json=json.dumps(spec.fixed, sort_keys=True),
        days=ex.days,
        steps=ex.steps,
        outcomes=tuple(spec.outcome_names),
        timeseries=ex.timeseries,
        root_seed=ex.seed,
        run_timeout=run_timeout,
        draws_json=posterior_draws_json(spec),
        base_dir=str(spec.base_dir) if SCENARIO_PARAM in spec.parameters else None,
        scenario_digest=scenario_digest(spec),
    )


def _tasks(design: Design, replicates: int, done: Any) -> Iterator[Task]:
    """Yield the runs still to do, in run_id order, building each one's params lazily.

    ``done`` is a boolean array indexed by run_id (one byte a run, not a Python set of ids).
    """
    cols = [(n, design.points[n].to_numpy()) for n in design.names]
    for point in range(design.n_points):
        params: dict[str, Any] | None = None
        for rep in range(replicates):
            rid = point * replicates + rep
            if done[rid]:
                continue
            if params is None:
                params = {n: c[point].item() if hasattr(c[point], "item") else c[point] for n, c in cols}
            yield Task(rid, point, rep, params)


class _Progress:
    """A rich progress bar (runs done, failed, ETA), or nothing."""

    def __init__(self, enabled: bool, total: int, done: int, failed: int, label: str) -> None:
        self.bar: Any = None
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("failed: {task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=False,
        )
        self.bar.start()
        self.task = self.bar.add_task(label, total=total, completed=done, failed=failed)

    def update(self, done: int, failed: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, failed=failed)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def dispatch(
    spec: ExperimentSpec,
    design: Design,
    store: Store,
    done: Any,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    run_timeout: float | None,
    progress: bool,
    total: int,
    start_timeout: float = START_TIMEOUT,
    inline_start: bool = False,
) -> dict[str, Any]:
    """Submit the remaining runs in bounded batches, collect results, flush parts.

    With ``inline_start`` the pool starts in the background and, until it answers, batches run
    in this process (:mod:`govsim.experiments.inline`).

    Returns:
        ``complete`` (every run is stored; ``False`` after Ctrl-C), ``wall_s`` and ``inline``
        (runs that ran in this process).
    """
    loop = Dispatch(spec, design, store, done, run_timeout, progress, total, inline_start)
    factory = ExecutorFactory(executor, workers, scheduler, preload_modules(spec), start_timeout)
    return loop.run(factory, executor)


class Dispatch:
    """One sweep's runs on their way: what is left, in flight, buffered, retried, run inline.

    Args:
        spec, design: The experiment and its design points.
        store: The results folder's parts.
        done: Boolean array by run_id of the runs already stored (resume).
        run_timeout: Seconds before a run is stopped (``RunConfig.run_timeout``).
        progress: Show a progress bar.
        total: Runs in the whole sweep.
        inline_start: Run batches in this process until the pool answers.
    """

    def __init__(
        self,
        spec: ExperimentSpec,
        design: Design,
        store: Store,
        done: Any,
        run_timeout: float | None,
        progress: bool,
        total: int,
        inline_start: bool,
    ) -> None:
        self.config = run_config(spec, run_timeout)
        self.pending = _tasks(design, spec.experiment.replicates, done)
        self.store = store
        self.total = total
        self.n_done = int(done.sum())
        self.n_failed = 0
        self.t0 = time.perf_counter()
        self.buffer: list[tuple[Task, Result]] = []
        self.buffered_values = 0  # time-series values held in the buffer
        self.last_flush = time.monotonic()
        self.suspects: deque[Task] = deque()  # runs of a worker that died: each runs alone
        self.tries: dict[int, int] = {}
        self.in_flight: dict[Future, list[Task]] = {}
        self.requeue: deque[Task] = deque()  # refused or cut-short runs: they go first
        self.per_run: float | None = None  # running mean of a run's wall time, to size batches
        self.bar = _Progress(progress, total, self.n_done, 0, spec.experiment.name)
        self.exhausted = False
        self.inline = InlineRunner(self.config) if inline_start else None
        self.inline_fut: Future | None = None
        self.inline_batch: list[Task] = []
        self.marker = store.folder / MARKER

    def take(self, size: int) -> list[Task]:
        """The next runs: refused or cut-short ones first, then new ones (empty when none is left)."""
        if self.requeue:
            return [self.requeue.popleft() for _ in range(min(size, len(self.requeue)))]
        if self.exhausted:
            return []
        batch = [t for _, t in zip(range(size), self.pending, strict=False)]
        self.exhausted = not batch
        return batch

    def collect(self, batch: list[Task], results: list[Result]) -> None:
        """Buffer a batch's results and update the running mean of a run's time."""
        for task, res in zip(batch, results, strict=False):
            self.buffer.append((task, res))
            self.buffered_values += _ts_values(res)
            self.tries.pop(task.run_id, None)
        if results:
            mean = sum(r.wall_s for r in results) / len(results)
            self.per_run = mean if self.per_run is None else 0.8 * self.per_run + 0.2 * mean

    def harvest_inline(self) -> None:
        """Keep what the finished inline batch ran; requeue the runs it did not (a cut-short batch)."""
        if self.inline_fut is not None and self.inline_fut.done():
            results = self.inline_fut.result()
            self.collect(self.inline_batch, results)
            self.requeue.extendleft(reversed(self.inline_batch[len(results) :]))
            self.inline_fut, self.inline_batch = None, []

    def end_inline(self) -> None:
        """Stop the inline phase; keep what its last batch finished, requeue the rest."""
        if self.inline is None:
            return
        self.inline.preempt(join=5.0)
        self.harvest_inline()
        if self.inline_fut is None:
            self.marker.unlink(missing_ok=True)

    def run(self, factory: ExecutorFactory, executor: str) -> dict[str, Any]:
        """The loop: fill the window, wait, collect, flush, until every run is stored (or Ctrl-C)."""
        complete = False
        inline = self.inline
        with factory:
            if inline is not None:
                self.marker.write_text(f"{os.getpid()}\n")
            pool = factory.create() if inline is None else factory.create(wait=False)
            width = factory.n_workers
            max_in_flight = 1 if executor == "serial" else 2 * width
            try:
                while True:
                    ready = factory.started.done()
                    if inline is not None and not inline.stopped and ready:
                        inline.preempt()  # the pool is up: the coordinator stops running runs
                    remaining = self.total - self.n_done - len(self.buffer)
                    full = 1 if self.per_run is None else int(_TARGET_BATCH_SECONDS / max(self.per_run, 1e-6))
                    full = max(1, min(full, _MAX_BATCH))  # ≈0.25 s of runs
                    size = min(full, remaining // max(1, 2 * width) or 1)  # spread over the workers
                    if not ready and self.run_inline(full):
                        break  # every run ran here before the pool started; it is not waited for
                    refused = ready and self.fill(pool, max_in_flight, size)
                    if refused and not self.in_flight:
                        pool = factory.create()
                        continue
                    if ready and not self.in_flight and self.inline_fut is None:
                        break
                    waiting = [*self.in_flight, *([self.inline_fut] if self.inline_fut else [])]
                    if not ready:
                        waiting.append(factory.started)
                    timeout = FLUSH_SECONDS if ready else max(0.01, min(FLUSH_SECONDS, factory.start_wait()))
                    finished, _ = wait(waiting, timeout=timeout, return_when=FIRST_COMPLETED)
                    if self.inline_fut is not None and self.inline_fut.done():
                        self.harvest_inline()
                        if inline is not None and inline.stopped:
                            self.end_inline()
                    if not ready and not factory.start_wait() and not factory.started.done():
                        self.end_inline()  # giving up on the pool: what ran here is kept, counted and saved
                        factory.check_start(ran=inline.runs if inline else 0)
                    if self.harvest(finished):
                        self.drain()  # a dead process breaks the whole pool: drain it, start a new one
                        pool = factory.create()
                    self.flush_now_and_then()
                complete = True
            except KeyboardInterrupt:
                self.end_inline()
                factory.abort()
            finally:
                self.end_inline()
                self.store.write_part(self.buffer)  # finished runs are never lost, even on Ctrl-C
                self.bar.close()
        return {
            "complete": complete,
            "wall_s": time.perf_counter() - self.t0,
            "inline": inline.runs if inline else 0,
        }

    def run_inline(self, full: int) -> bool:
        """While the pool starts: give the inline runner its next batch; ``True`` once every run is done."""
        if self.inline is not None and self.inline_fut is None and not self.inline.stopped:
            self.inline_batch = self.take(full)  # one batch at a time runs here: not spread
            if self.inline_batch:
                self.inline_fut = self.inline.submit(self.inline_batch)
        return self.inline_fut is None and not self.in_flight and self.exhausted and not self.requeue

    def fill(self, pool: Any, max_in_flight: int, size: int) -> bool:
        """Fill the window; ``True`` when the pool refused a batch (it broke since the last wait).

        Suspects of a crashed worker run alone, one at a time. The refused runs wait in
        ``requeue`` (they never started, so no try is counted) until a new pool takes them.
        """
        while len(self.in_flight) < max_in_flight:
            if self.suspects:
                if not self.in_flight:
                    task = self.suspects.popleft()
                    if not self._submit(pool, [task]):
                        self.suspects.appendleft(task)
                        return True
                break
            batch = self.take(size)
            if not batch:
                break
            if not self._submit(pool, batch):
                self.requeue.extendleft(reversed(batch))
                return True
        return False

    def _submit(self, pool: Any, batch: list[Task]) -> bool:
        """Submit a batch; ``False`` when the pool is broken (a worker died since the last wait)."""
        try:
            self.in_flight[pool.submit(run_batch, self.config, batch)] = batch
        except BrokenExecutor:
            return False
        return True

    def harvest(self, finished: set[Future]) -> bool:
        """Collect the finished batches; ``True`` when one of them found the pool broken."""
        broken = False
        for fut in finished:
            if fut not in self.in_flight:
                continue
            batch = self.in_flight.pop(fut)
            try:
                results = fut.result()
            except Exception as exc:  # the worker, not the run, failed (crash, lost worker)
                broken = broken or isinstance(exc, BrokenExecutor)
                self.retry_or_fail(batch, exc)
                continue
            self.collect(batch, results)
        return broken

    def drain(self) -> None:
        """Take back every batch of a broken pool: what finished before it broke is kept."""
        for fut in list(self.in_flight):
            batch = self.in_flight.pop(fut)
            try:
                results = fut.result()
            except Exception as exc:
                self.retry_or_fail(batch, exc)
            else:  # finished before the pool broke
                self.buffer.extend(zip(batch, results, strict=True))
                self.buffered_values += sum(_ts_values(r) for r in results)

    def retry_or_fail(self, batch: list[Task], exc: BaseException) -> None:
        """A worker died or was lost under these runs: retry each alone, or record it failed after two tries."""
        for task in batch:
            self.tries[task.run_id] = self.tries.get(task.run_id, 0) + 1
            if self.tries[task.run_id] >= _TRIES:
                msg = f"the worker process died or was lost {_TRIES} times while running this run: {type(exc).__name__}: {exc}"
                self.buffer.append(
                    (task, Result(task.run_id, "failed", 0.0, {}, " ".join(msg.split()), repr(exc)))
                )
            else:
                self.suspects.append(task)

    def flush_now_and_then(self) -> None:
        """Write the buffer as a part every few seconds (sooner when it holds many runs or values)."""
        n_now = self.n_done + len(self.buffer)
        failed_now = self.n_failed + sum(1 for _, r in self.buffer if r.status != "ok")
        if self.buffer and (
            time.monotonic() - self.last_flush >= FLUSH_SECONDS
            or len(self.buffer) >= FLUSH_RUNS
            or self.buffered_values >= FLUSH_VALUES
        ):
            self.store.write_part(self.buffer)
            self.n_done, self.n_failed, self.buffer, self.buffered_values = n_now, failed_now, [], 0
            self.last_flush = time.monotonic()
        self.bar.update(n_now, failed_now)


def _ts_values(res: Result) -> int:
    """How many numbers a result's time series holds (0 without one)."""
    ts = res.timeseries
    return sum(len(a) for a in ts.values()) if ts else 0
