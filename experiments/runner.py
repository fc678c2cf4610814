"""The sweep runner: scenario table → replicate seeds → run function → executor → store.

:func:`run_sweep` turns an experiment into a results folder (see :mod:`experiments.store`).
Runs are submitted in small batches with a bounded number in flight, so the coordinator never
holds more than a window of runs; finished runs are flushed to Parquet parts every few seconds.
With the ``processes`` executor the coordinator runs the first runs itself while its pool starts
(:mod:`experiments.inline`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from pathlib import Path
from typing import Any

import numpy as np
from govsim.experiments.design import Design, build_design, unit_problem
from govsim.experiments.executors import START_TIMEOUT, ExecutorFactory, check_options, start_forkserver
from govsim.experiments.fileio import atomic_write_json, atomic_write_table, outcome_metadata, versions
from govsim.experiments.inline import MARKER, InlineRunner
from govsim.experiments.spec import SCENARIO_PARAM, ExperimentSpec, load_experiment
from govsim.experiments.store import FolderLock, Store
from govsim.experiments.worker import Result, RunConfig, Task, run_batch
from govsim.sim.errors import InputError, OutputError

FLUSH_SECONDS = 2.0
FLUSH_RUNS = 5_000
"""Flush the buffer once it holds this many runs, whatever the time."""
FLUSH_VALUES = 4_000_000
"""... or this many time-series values (≈ 32 MB), so long series cannot pile up in the coordinator."""
_MAX_BATCH = 256
_TARGET_BATCH_SECONDS = 0.25
_TRIES = 2


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _git_commit(where: Path) -> str | None:
    try:
        res = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def _param_kind(spec: ExperimentSpec, name: str) -> str:
    p = spec.parameters[name]
    if p.kind == "levels":
        first = (p.levels or [""])[0]
        return (
            "bool"
            if isinstance(first, bool)
            else "int"
            if isinstance(first, int)
            else "float"
            if isinstance(first, float)
            else "str"
        )
    return "int" if p.integer else "float"


def design_fingerprint(spec: ExperimentSpec, design: Design) -> str:
    """Hash of the experiment content and its design points: a folder holds one fingerprint."""
    import pandas as pd

    h = hashlib.sha256(spec.content_hash().encode())
    h.update(pd.util.hash_pandas_object(design.points, index=False).to_numpy().tobytes())
    return h.hexdigest()


def describe_design(spec: ExperimentSpec, design: Design) -> dict[str, Any]:
    """The manifest's ``design`` entry (what the analysis needs to rebuild the SALib problem)."""
    ex = spec.experiment
    return {
        "name": ex.design,
        "samples": ex.samples,
        "N": ex.samples,
        "n_points": design.n_points,
        "replicates": ex.replicates,
        "parameters": [p.describe(n) for n, p in spec.parameters.items()],
        "second_order": bool(ex.second_order and len(spec.parameters) > 1) if ex.design == "sobol" else None,
        "num_levels": ex.num_levels if ex.design == "morris" else None,
        "fast_m": ex.fast_m if ex.design == "fast" else None,
        "unit_problem": unit_problem(spec),
        "run_id": "point_id * replicates + replicate",
    }


def _manifest(spec: ExperimentSpec, design: Design, fingerprint: str, total: int) -> dict[str, Any]:
    ex = spec.experiment
    where = spec.base_dir
    return {
        "format": "govsim-sweep/1",
        "fingerprint": fingerprint,
        "experiment_file": str(spec.path) if spec.path else None,
        "experiment_raw": spec.raw,
        "experiment": spec.model_dump(mode="json"),
        "model": ex.model,
        "scenario": str(spec.scenario_path) if spec.scenario_path else None,
        "outcomes": spec.outcome_names,
        "outcome_meta": outcome_metadata(spec.outcome_names) if ex.model == "govsim" else {},
        "timeseries": ex.timeseries,
        "design": describe_design(spec, design),
        "seeds": {
            "root_seed": ex.seed,
            "sampler_seed": ex.seed,
            "replicates": ex.replicates,
            "replicate_seed": "numpy.random.SeedSequence(root_seed, spawn_key=(replicate,)) "
            "= SeedSequence(root_seed).spawn(replicates)[replicate] (docs/reproducibility.md)",
            "model_rng": (
                "govsim / Mesa class: that SeedSequence as rng (a scenario-taking Mesa class: as its "
                "Scenario's rng); function models: numpy.random.default_rng(it)"
            ),
        },
        "versions": versions(),
        "git_commit": _git_commit(where),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "started": _now(),
        "resumed": [],
        "finished": None,
        "runs_total": total,
        "runs_done": 0,
        "runs_failed": 0,
    }


def _check_model_parameters(spec: ExperimentSpec) -> None:
    """A Mesa model with a typed scenario: refuse parameters it does not have, before any run."""
    if spec.experiment.model == "govsim":
        return
    from govsim.experiments.spec import resolve_model
    from govsim.experiments.worker import unknown_parameters

    target = resolve_model(spec.experiment.model)
    if isinstance(target, type):
        why = unknown_parameters(target, [*spec.parameters, *spec.fixed])
        if why:
            raise InputError(spec.path or "<experiment>", "parameters", why)


def posterior_draws_json(spec: ExperimentSpec) -> str:
    """The experiment's posterior draws as canonical JSON (a list of override dicts), or ``""``."""
    if spec.posterior_path is None:
        return ""
    from govsim.experiments.fileio import read_posterior

    rows = read_posterior(spec.posterior_path).to_dict(orient="records")
    return json.dumps([{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows])


def _run_config(spec: ExperimentSpec, run_timeout: float | None) -> RunConfig:
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


def run_sweep(
    spec_or_path: ExperimentSpec | str | Path,
    out: str | Path,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    run_timeout: float | None = None,
    progress: bool = False,
    start_timeout: float = START_TIMEOUT,
    *,
    inputs: tuple[str, ...] = (),
    inline_start: bool = True,
) -> Path:
    """Run (or resume) a sweep into the folder ``out``.

    Args:
        spec_or_path: An experiment file or a loaded :class:`ExperimentSpec`.
        out: Results folder; must be empty or absent unless ``resume``.
        executor: ``serial``, ``processes`` (default), ``dask`` or ``mpi``.
        workers: Worker count (default: all cores; for ``mpi`` under ``mpiexec``, the other ranks).
        scheduler: Dask scheduler address (``tcp://HOST:PORT``); default: a local cluster.
        resume: Continue a sweep interrupted in ``out`` (finished runs are not redone).
        run_timeout: Seconds after which a run is stopped and recorded as ``timeout``.
        progress: Show a progress bar.
        start_timeout: Seconds the executor may take to start (run its first call).
        inputs: Names of entries of ``out`` that are the sweep's own input files, put there by the
            caller (``govsim compare`` writes its options and experiment file there first); they do
            not make the folder count as used.
        inline_start: With the ``processes`` executor, run runs in this process while the pool
            starts (:mod:`govsim.experiments.inline`; off with a ``run_timeout``, and after a
            coordinator died in that phase).

    Returns:
        The results folder.

    Raises:
        InputError: Bad experiment or options, a folder holding something else, or a folder in
            use. Options are checked before anything is written: a refused sweep leaves ``out``
            as it was.
        OutputError: The results cannot be written, or the executor did not start in time.
    """
    check_options(executor, workers, scheduler)
    if run_timeout is not None and run_timeout <= 0:
        raise InputError("--run-timeout", "run_timeout", f"a positive number of seconds (got {run_timeout})")
    if start_timeout <= 0:
        raise InputError("--start-timeout", "start_timeout", f"a positive number of seconds (got {start_timeout})")
    spec = spec_or_path if isinstance(spec_or_path, ExperimentSpec) else load_experiment(spec_or_path)
    if executor == "processes":  # its imports overlap everything below (see start_forkserver)
        start_forkserver(_preload(spec))
    _check_model_parameters(spec)
    folder = Path(out)
    design = build_design(spec)
    fingerprint = design_fingerprint(spec, design)
    ex = spec.experiment
    total = design.n_points * ex.replicates
    with FolderLock(folder):
        manifest_path = folder / "manifest.json"
        others = [p.name for p in folder.iterdir() if p.name != ".lock" and p.name not in inputs]
        if others and not resume:
            raise InputError(
                folder,
                "",
                "the output folder is not empty; pass --resume to continue the sweep in it, or choose an empty folder",
            )
        if others and not manifest_path.exists():
            raise InputError(
                folder,
                "",
                "the folder is not empty and holds no manifest.json: not a sweep folder; choose an empty folder",
            )
        if manifest_path.exists():
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(manifest_path, "", f"unreadable manifest ({exc})") from None
            if manifest.get("fingerprint") != fingerprint:
                raise InputError(
                    manifest_path,
                    "fingerprint",
                    f"the folder holds a different experiment ({manifest.get('experiment', {}).get('experiment', {}).get('name')!r}); use another folder",
                )
            manifest["resumed"] = [*manifest.get("resumed", []), _now()]
        else:
            manifest = _manifest(spec, design, fingerprint, total)
            unit_cols = {"point_id": design.points["point_id"].to_numpy()}
            unit_cols.update({n: design.unit[:, j] for j, n in enumerate(design.names)})
            import pandas as pd
            import pyarrow as pa

            atomic_write_table(
                folder / "design.parquet", pa.Table.from_pandas(design.points, preserve_index=False)
            )
            atomic_write_table(
                folder / "design_unit.parquet",
                pa.Table.from_pandas(pd.DataFrame(unit_cols), preserve_index=False),
            )
        manifest["finished"] = None
        atomic_write_json(manifest_path, manifest)

        kinds = {n: _param_kind(spec, n) for n in design.names}
        try:
            store = Store(folder, kinds, spec.outcome_names, ex.timeseries, ex.seed)
            done = store.finished_mask(total) if resume else np.zeros(total, dtype=bool)
            # a marker left behind: the last coordinator died while it ran runs itself (a run may
            # kill its process): this time every run gets a worker of its own
            inline = inline_start and executor == "processes" and run_timeout is None
            inline = inline and not (folder / MARKER).exists()
            counts = _dispatch(
                spec, design, store, done, executor, workers, scheduler, run_timeout, progress, total,
                start_timeout, inline_start=inline,
            )
            if counts["complete"]:
                (folder / MARKER).unlink(missing_ok=True)
            final = store.consolidate()
            manifest.update(
                runs_done=final["total"],
                runs_failed=final["failed"] + final["timeout"],
                runs_timeout=final["timeout"],
                runs_inline=counts["inline"] + manifest.get("runs_inline", 0),
                finished=_now() if counts["complete"] else None,
                wall_s=round(counts["wall_s"] + manifest.get("wall_s", 0.0), 3),
            )
            atomic_write_json(manifest_path, manifest)
        except OSError as exc:  # disk full, quota, folder removed or read-only: say so in one line
            raise OutputError(
                folder,
                "",
                f"cannot write the results ({exc.strerror or exc}); every run in parts/ is kept — free "
                "space (or fix the folder) and continue with --resume",
            ) from None
        if not counts["complete"]:
            raise KeyboardInterrupt
    return folder


def _dispatch(
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
    """
    config = _run_config(spec, run_timeout)
    pending = _tasks(design, spec.experiment.replicates, done)
    n_done = int(done.sum())
    n_failed = 0
    t0 = time.perf_counter()
    buffer: list[tuple[Task, Result]] = []
    buffered_values = 0  # time-series values held in the buffer
    last_flush = time.monotonic()
    suspects: deque[Task] = deque()
    tries: dict[int, int] = {}
    in_flight: dict[Future, list[Task]] = {}
    requeue: deque[Task] = deque()
    per_run = None  # running mean of a run's wall time, to size batches
    bar = _Progress(progress, total, n_done, 0, spec.experiment.name)
    complete = False
    exhausted = False
    inline = InlineRunner(config) if inline_start else None
    inline_fut: Future | None = None
    inline_batch: list[Task] = []
    marker = store.folder / MARKER

    def take(size: int) -> list[Task]:
        """The next runs: refused or cut-short ones first, then new ones (empty when none is left)."""
        nonlocal exhausted
        if requeue:
            return [requeue.popleft() for _ in range(min(size, len(requeue)))]
        if exhausted:
            return []
        batch = [t for _, t in zip(range(size), pending, strict=False)]
        exhausted = not batch
        return batch

    def collect(batch: list[Task], results: list[Result]) -> None:
        nonlocal buffered_values, per_run
        for task, res in zip(batch, results, strict=False):
            buffer.append((task, res))
            buffered_values += _ts_values(res)
            tries.pop(task.run_id, None)
        if results:
            mean = sum(r.wall_s for r in results) / len(results)
            per_run = mean if per_run is None else 0.8 * per_run + 0.2 * mean

    def harvest_inline() -> None:
        """Keep what the finished inline batch ran; requeue the runs it did not (a cut-short batch)."""
        nonlocal inline_fut, inline_batch
        if inline_fut is not None and inline_fut.done():
            results = inline_fut.result()
            collect(inline_batch, results)
            requeue.extendleft(reversed(inline_batch[len(results) :]))
            inline_fut, inline_batch = None, []

    def end_inline() -> None:
        """Stop the inline phase; keep what its last batch finished, requeue the rest."""
        if inline is None:
            return
        inline.preempt(join=5.0)
        harvest_inline()
        if inline_fut is None:
            marker.unlink(missing_ok=True)

    with ExecutorFactory(executor, workers, scheduler, _preload(spec), start_timeout) as factory:
        if inline is not None:
            marker.write_text(f"{os.getpid()}\n")
        pool = factory.create() if inline is None else factory.create(wait=False)
        width = factory.n_workers
        max_in_flight = 1 if executor == "serial" else 2 * width
        try:
            while True:
                ready = factory.started.done()
                if inline is not None and not inline.stopped and ready:
                    inline.preempt()  # the pool is up: the coordinator stops running runs
                remaining = total - n_done - len(buffer)
                full = 1 if per_run is None else int(_TARGET_BATCH_SECONDS / max(per_run, 1e-6))
                full = max(1, min(full, _MAX_BATCH))  # ≈0.25 s of runs
                size = min(full, remaining // max(1, 2 * width) or 1)  # spread over the workers
                if not ready:
                    if inline is not None and inline_fut is None and not inline.stopped:
                        inline_batch = take(full)  # one batch at a time runs here: not spread
                        if inline_batch:
                            inline_fut = inline.submit(inline_batch)
                    if inline_fut is None and not in_flight and exhausted and not requeue:
                        break  # every run ran here before the pool started; it is not waited for
                # Fill the window: suspects of a crashed worker run alone, one at a time. A pool that
                # broke since the last wait refuses new work: the refused runs wait in `requeue`
                # (they never started, so no try is counted) until a new pool takes them.
                refused = False
                while ready and len(in_flight) < max_in_flight:
                    if suspects:
                        if not in_flight:
                            task = suspects.popleft()
                            if not _submit(pool, in_flight, config, [task]):
                                suspects.appendleft(task)
                                refused = True
                        break
                    batch = take(size)
                    if not batch:
                        break
                    if not _submit(pool, in_flight, config, batch):
                        requeue.extendleft(reversed(batch))
                        refused = True
                        break
                if refused and not in_flight:
                    pool = factory.create()
                    continue
                if ready and not in_flight and inline_fut is None:
                    break
                waiting = [*in_flight, *([inline_fut] if inline_fut else [])]
                if not ready:
                    waiting.append(factory.started)
                timeout = FLUSH_SECONDS if ready else max(0.01, min(FLUSH_SECONDS, factory.start_wait()))
                finished, _ = wait(waiting, timeout=timeout, return_when=FIRST_COMPLETED)
                if inline_fut is not None and inline_fut.done():
                    harvest_inline()
                    if inline is not None and inline.stopped:
                        end_inline()
                if not ready and not factory.start_wait() and not factory.started.done():
                    end_inline()  # giving up on the pool: what ran here is kept, counted and saved
                    factory.check_start(ran=inline.runs if inline else 0)
                broken = False
                for fut in finished:
                    if fut not in in_flight:
                        continue
                    batch = in_flight.pop(fut)
                    try:
                        results = fut.result()
                    except Exception as exc:  # the worker, not the run, failed (crash, lost worker)
                        broken = broken or isinstance(exc, BrokenExecutor)
                        _retry_or_fail(batch, exc, tries, suspects, buffer)
                        continue
                    collect(batch, results)
                if broken:  # a dead process breaks the whole pool: drain it, start a new one
                    for fut in list(in_flight):
                        batch = in_flight.pop(fut)
                        try:
                            results = fut.result()
                        except Exception as exc:
                            _retry_or_fail(batch, exc, tries, suspects, buffer)
                        else:  # finished before the pool broke
                            buffer.extend(zip(batch, results, strict=True))
                            buffered_values += sum(_ts_values(r) for r in results)
                    pool = factory.create()
                n_now = n_done + len(buffer)
                failed_now = n_failed + sum(1 for _, r in buffer if r.status != "ok")
                if buffer and (
                    time.monotonic() - last_flush >= FLUSH_SECONDS
                    or len(buffer) >= FLUSH_RUNS
                    or buffered_values >= FLUSH_VALUES
                ):
                    store.write_part(buffer)
                    n_done, n_failed, buffer, buffered_values = n_now, failed_now, [], 0
                    last_flush = time.monotonic()
                bar.update(n_now, failed_now)
            complete = True
        except KeyboardInterrupt:
            end_inline()
            factory.abort()
        finally:
            end_inline()
            store.write_part(buffer)  # finished runs are never lost, even on Ctrl-C
            bar.close()
    return {"complete": complete, "wall_s": time.perf_counter() - t0, "inline": inline.runs if inline else 0}


def _preload(spec: ExperimentSpec) -> list[str]:
    """The module the fork server imports for the workers: the model's."""
    model = spec.experiment.model
    return ["govsim.sim.model"] if model == "govsim" else [model.partition(":")[0]]


def _submit(pool: Any, in_flight: dict[Future, list[Task]], config: RunConfig, batch: list[Task]) -> bool:
    """Submit a batch; ``False`` when the pool is broken (a worker died since the last wait)."""
    try:
        in_flight[pool.submit(run_batch, config, batch)] = batch
    except BrokenExecutor:
        return False
    return True


def _ts_values(res: Result) -> int:
    """How many numbers a result's time series holds (0 without one)."""
    ts = res.timeseries
    return sum(len(a) for a in ts.values()) if ts else 0


def _retry_or_fail(
    batch: list[Task],
    exc: BaseException,
    tries: dict[int, int],
    suspects: deque[Task],
    buffer: list[tuple[Task, Result]],
) -> None:
    """A worker died or was lost under these runs: retry each alone, or record it failed after two tries."""
    for task in batch:
        tries[task.run_id] = tries.get(task.run_id, 0) + 1
        if tries[task.run_id] >= _TRIES:
            msg = f"the worker process died or was lost {_TRIES} times while running this run: {type(exc).__name__}: {exc}"
            buffer.append((task, Result(task.run_id, "failed", 0.0, {}, " ".join(msg.split()), repr(exc))))
        else:
            suspects.append(task)
