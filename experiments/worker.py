"""The run function: what a worker does with one batch of runs.

This is the ``RunConfiguration`` of Mesa 4's sweep runner, done by hand: build the model for
each run, run it, extract the outcomes. It runs wherever the executor puts it (this process, a
spawned process, a Dask worker, an MPI rank), so everything here is module-level and picklable,
and each worker resolves and caches the model once per configuration.

Seeds: run ``(point_id, replicate)`` receives ``numpy.random.SeedSequence(root_seed,
spawn_key=(replicate,))``, which is exactly ``SeedSequence(root_seed).spawn(replicates)[replicate]``:
the same seed at every design point (common random numbers). The govsim model and Mesa model
classes get that ``SeedSequence`` as ``rng``; function models get
``numpy.random.default_rng(that SeedSequence)``.

A govsim design point may name its own scenario file (the reserved parameter ``scenario``: that is
how ``govsim compare`` runs its options as a sweep), and replicate ``r`` may add the overrides of a
posterior draw ``r mod n`` (``RunConfig.draws_json``), the same draw at every point.
"""

from __future__ import annotations

import ctypes
import functools
import json
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from govsim.experiments.mesa_adapter import MesaOutcomes, mesa_constructor, sample_outcomes

type Runner = Callable[[dict[str, Any], np.random.SeedSequence], tuple[dict[str, float], Any]]


class RunTimeout(BaseException):  # noqa: N818 - a BaseException so a model's `except Exception` cannot swallow it
    """Raised inside a run that exceeded its time limit."""


@dataclass(frozen=True)
class RunConfig:
    """Everything a worker needs besides the design point (small, picklable, hashable).

    Attributes:
        model: ``"govsim"``, ``"module:function"`` or ``"module:Class"``.
        scenario: Absolute path of the base scenario (govsim).
        fixed_json: ``[fixed]`` overrides, as canonical JSON.
        days: Days override (govsim).
        steps: Steps for a Mesa model class.
        outcomes: Outcomes to extract.
        timeseries: Return the daily time series.
        root_seed: The experiment's root seed.
        run_timeout: Seconds before a run is stopped and recorded as ``timeout``.
        draws_json: Posterior draws (a JSON list of override dicts); replicate r applies draw r mod n.
        base_dir: The experiment's folder, against which a point's ``scenario`` file is resolved.
        scenario_digest: The scenarios' hash when the sweep started (an edited file: a new configuration).
    """

    model: str
    scenario: str | None
    fixed_json: str
    days: int | None
    steps: int
    outcomes: tuple[str, ...]
    timeseries: bool
    root_seed: int
    run_timeout: float | None = None
    draws_json: str = ""
    base_dir: str | None = None
    scenario_digest: str = ""


@dataclass(frozen=True)
class Task:
    """One run: a design point and a replicate."""

    run_id: int
    point_id: int
    replicate: int
    params: dict[str, Any] = field(hash=False)


@dataclass
class Result:
    """What a run sends back to the coordinator.

    Attributes:
        run_id: The run.
        status: ``ok``, ``failed`` or ``timeout``.
        wall_s: Wall-clock seconds of the run.
        outcomes: Outcome values (empty unless ``ok``).
        error: One-line error (failed/timeout).
        traceback: Full traceback (failed/timeout).
        timeseries: ``{"day": array, outcome: array, ...}`` when asked.
    """

    run_id: int
    status: str
    wall_s: float
    outcomes: dict[str, float]
    error: str = ""
    traceback: str = ""
    timeseries: dict[str, np.ndarray] | None = None


def replicate_seed(root_seed: int, replicate: int) -> np.random.SeedSequence:
    """The seed of replicate ``r``: ``SeedSequence(root_seed).spawn(R)[r]`` for any ``R > r``."""
    return np.random.SeedSequence(root_seed, spawn_key=(replicate,))


SCENARIO_PARAM = "scenario"
"""A govsim design point's own scenario file (relative to ``RunConfig.base_dir``), in place of ``RunConfig.scenario``."""

_RUNNERS: dict[RunConfig, Runner] = {}
KEEP_RUNNERS = 8
"""Run functions a process keeps (oldest dropped first): a sweep uses one configuration, and a long
session's earlier sweeps (a notebook editing its scenario, a calibration's generations) are not met again."""


def run_batch(config: RunConfig, tasks: list[Task]) -> list[Result]:
    """Run a batch of runs; a run that raises or times out is recorded, never propagated."""
    runner = runner_for(config)
    return [run_one(config, runner, t) for t in tasks]


def runner_for(config: RunConfig) -> Runner:
    """The run function of a configuration, built once per process (the model resolved, scenarios cached)."""
    runner = _RUNNERS.get(config)
    if runner is None:
        while len(_RUNNERS) >= KEEP_RUNNERS:
            del _RUNNERS[next(iter(_RUNNERS))]
        runner = _RUNNERS[config] = make_runner(config)
    return runner


def run_one(config: RunConfig, runner: Runner, task: Task) -> Result:
    """One run; what it raises (or a timeout) is recorded in its result, never propagated."""
    t0 = time.perf_counter()
    try:
        with _deadline(config.run_timeout):
            params = dict(task.params)
            if config.draws_json:
                draws = _draws(config.draws_json)
                params.update(draws[task.replicate % len(draws)])
            summary, ts = runner(params, replicate_seed(config.root_seed, task.replicate))
            outcomes = _extract(summary, config.outcomes)
            series = _series(ts, config.outcomes) if config.timeseries else None
    except RunTimeout:
        wall = time.perf_counter() - t0
        return Result(
            task.run_id, "timeout", wall, {}, f"run exceeded {config.run_timeout} s", traceback.format_exc()
        )
    except Exception as exc:
        wall = time.perf_counter() - t0
        err = " ".join(f"{type(exc).__name__}: {exc}".split())
        return Result(task.run_id, "failed", wall, {}, err, traceback.format_exc())
    return Result(task.run_id, "ok", time.perf_counter() - t0, outcomes, timeseries=series)


@functools.lru_cache(maxsize=KEEP_RUNNERS)
def _draws(draws_json: str) -> list[dict[str, Any]]:
    return json.loads(draws_json)


def _extract(summary: Any, names: tuple[str, ...]) -> dict[str, float]:
    if not isinstance(summary, dict):
        raise TypeError(f"the model must return a dict of outcomes, got {type(summary).__name__}")
    missing = [n for n in names if n not in summary]
    if missing:
        raise KeyError(
            f"model returned no outcome {missing[0]!r} (it returned: {', '.join(map(str, summary))})"
        )
    return {n: float(summary[n]) for n in names}


def _series(ts: Any, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    if ts is None:
        return None
    import pandas as pd

    if not isinstance(ts, pd.DataFrame):
        raise TypeError(f"the time series must be a pandas DataFrame, got {type(ts).__name__}")
    days = ts["day"].to_numpy() if "day" in ts.columns else ts.index.to_numpy()
    out = {"day": np.asarray(days).astype(np.int64)}
    for n in names:
        out[n] = ts[n].to_numpy(dtype=float) if n in ts.columns else np.full(len(ts), np.nan)
    return out


# --- model adapters ---------------------------------------------------------------------------


def make_runner(config: RunConfig) -> Runner:
    """Build the run function of a configuration (resolve the model; a govsim runner caches its scenarios)."""
    fixed = json.loads(config.fixed_json)
    if config.model == "govsim":
        return _govsim_runner(config, fixed)
    from govsim.experiments.spec import resolve_model

    target = resolve_model(config.model)
    if isinstance(target, type):
        return _mesa_runner(target, config, fixed)
    return _function_runner(target, fixed)


def _govsim_runner(config: RunConfig, fixed: dict[str, Any]) -> Runner:
    from govsim.sim import apply_overrides, load_scenario, simulate

    @functools.cache
    def base(path: str):  # a ScenarioSpec with [fixed] applied, loaded once per worker and file
        spec = load_scenario(path)
        return apply_overrides(spec, fixed) if fixed else spec

    assert config.scenario is not None

    def run(params: dict[str, Any], seed: np.random.SeedSequence) -> tuple[dict[str, float], Any]:
        option = params.pop(SCENARIO_PARAM, None)
        scenario = config.scenario if option is None else str(Path(config.base_dir or ".") / option)
        spec = apply_overrides(base(scenario), params)
        return simulate(spec, rng=seed, days=config.days, timeseries=config.timeseries)

    return run


def _function_runner(fn: Callable[..., Any], fixed: dict[str, Any]) -> Runner:
    def run(params: dict[str, Any], seed: np.random.SeedSequence) -> tuple[dict[str, float], Any]:
        out = fn({**fixed, **params}, np.random.default_rng(seed))
        if isinstance(out, tuple):  # (summary, timeseries DataFrame)
            return out[0], out[1]
        return out, None

    return run


def _mesa_runner(cls: type, config: RunConfig, fixed: dict[str, Any]) -> Runner:
    build = mesa_constructor(cls)
    sampled = config.timeseries

    def run(params: dict[str, Any], seed: np.random.SeedSequence) -> tuple[dict[str, float], Any]:
        model = build({**fixed, **params}, seed)
        samples: list[tuple[float, dict[str, float]]] = []
        if sampled:
            samples.append((float(model.time), sample_outcomes(model, config.outcomes)))
        for _ in range(config.steps):
            if not model.running:
                break
            model.step()
            if sampled:
                samples.append((float(model.time), sample_outcomes(model, config.outcomes)))
        sources = MesaOutcomes(model)
        summary = {name: sources.final(name) for name in config.outcomes}
        ts = sources.series(config.outcomes, samples) if config.timeseries else None
        return summary, ts

    return run


# --- time limits ------------------------------------------------------------------------------


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`RunTimeout` in this thread after ``seconds``.

    In the main thread (process pools, MPI ranks, the serial executor) this is ``SIGALRM``,
    which also interrupts sleeps and most blocking calls. In other threads (Dask workers) an
    asynchronous exception is injected, which takes effect at the next Python bytecode: a run
    stuck inside one long C call is stopped only when that call returns.
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):

        def _alarm(signum: int, frame: Any) -> None:
            raise RunTimeout

        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    tid = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False}

    def _inject() -> None:
        with lock:
            if not state["done"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(RunTimeout))

    timer = threading.Timer(seconds, _inject)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
        timer.cancel()
