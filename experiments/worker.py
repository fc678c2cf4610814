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
import inspect
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


def run_batch(config: RunConfig, tasks: list[Task]) -> list[Result]:
    """Run a batch of runs; a run that raises or times out is recorded, never propagated."""
    runner = runner_for(config)
    return [run_one(config, runner, t) for t in tasks]


def runner_for(config: RunConfig) -> Runner:
    """The run function of a configuration, built once per process (the model resolved, scenarios cached)."""
    runner = _RUNNERS.get(config)
    if runner is None:
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


@functools.cache
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
            samples.append((float(model.time), _sample(model, config.outcomes)))
        for _ in range(config.steps):
            if not model.running:
                break
            model.step()
            if sampled:
                samples.append((float(model.time), _sample(model, config.outcomes)))
        sources = MesaOutcomes(model)
        summary = {name: sources.final(name) for name in config.outcomes}
        ts = sources.series(config.outcomes, samples) if config.timeseries else None
        return summary, ts

    return run


def mesa_constructor(cls: type) -> Callable[[dict[str, Any], np.random.SeedSequence], Any]:
    """How to build a Mesa model class from a design point's parameters and a replicate's seed.

    A class whose constructor takes ``scenario`` (Mesa 3.5's own examples) gets its scenario
    built from the parameters, with the seed as the scenario's ``rng``; the scenario class is the
    constructor's annotation, else the one :class:`~mesa.experimental.scenarios.Scenario`
    subclass defined beside the model, else a plain ``Scenario``. Parameters that name another
    constructor argument (``width`` of the civil-violence example) are passed to the constructor.
    Any other class gets the parameters as keyword arguments and the seed as ``rng``.

    Raises:
        TypeError: A parameter the model does not take (named, with the ones it does).
    """
    sig = inspect.signature(cls.__init__)
    args = {n for n, p in sig.parameters.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    if "scenario" not in sig.parameters:

        def build_kwargs(params: dict[str, Any], seed: np.random.SeedSequence) -> Any:
            return cls(**params, rng=seed)

        return build_kwargs
    scenario_cls = scenario_class(cls)
    own = args - {"scenario", "rng", "seed"}

    typed = scenario_cls.__name__ != "Scenario"
    known = set(getattr(scenario_cls, "_scenario_defaults", {})) | own | {"rng"}

    def build_scenario(params: dict[str, Any], seed: np.random.SeedSequence) -> Any:
        if typed and not known.issuperset(params):
            raise TypeError(unknown_parameters(cls, params))
        kwargs = {k: v for k, v in params.items() if k in own}
        values = {k: v for k, v in params.items() if k not in own and k != "rng"}
        return cls(**kwargs, scenario=scenario_cls(rng=seed, **values))

    return build_scenario


def unknown_parameters(cls: type, names: Any) -> str:
    """Why a Mesa model built from a typed scenario cannot take ``names`` (empty when it can).

    Only a scenario model with a typed ``Scenario`` subclass is checked: keyword models and plain
    scenarios accept what their code reads, which cannot be known before a run.
    """
    sig = inspect.signature(cls.__init__)
    if "scenario" not in sig.parameters:
        return ""
    scenario_cls = scenario_class(cls)
    if scenario_cls.__name__ == "Scenario":
        return ""
    fields = set(getattr(scenario_cls, "_scenario_defaults", {})) - {"rng"}
    own = {n for n, p in sig.parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    own -= {"self", "scenario", "rng", "seed"}
    unknown = sorted(set(names) - fields - own)
    if not unknown:
        return ""
    return (
        f"{cls.__name__} takes no parameter {unknown[0]!r}; its scenario {scenario_cls.__name__} has "
        f"{', '.join(sorted(fields)) or 'no fields'}" + (f" and its constructor {', '.join(sorted(own))}" if own else "")
    )


def scenario_class(cls: type) -> type:
    """The ``Scenario`` class a Mesa model's constructor expects (see :func:`mesa_constructor`)."""
    import sys
    import typing

    from mesa.experimental.scenarios import Scenario

    try:
        hint = typing.get_type_hints(cls.__init__).get("scenario")
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to the module's scenario
        hint = None
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, Scenario):
            return candidate
    module = sys.modules.get(cls.__module__)
    local = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, Scenario) and v is not Scenario and v.__module__ == cls.__module__
    ] if module is not None else []
    return local[0] if len(local) == 1 else Scenario


def _sample(model: Any, names: tuple[str, ...]) -> dict[str, float]:
    """Outcomes that only the model itself knows (summary or attributes), read after a step."""
    summary = model.summary() if callable(getattr(model, "summary", None)) else {}
    out = {}
    for n in names:
        if n in summary:
            out[n] = _number(summary[n])
        elif hasattr(model, n) and not callable(getattr(model, n)):
            out[n] = _number(getattr(model, n))
    return out


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


class MesaOutcomes:
    """Where a Mesa model's outcomes come from, first match wins.

    1. ``model.summary()`` (a dict);
    2. the model variables of a ``DataCollector`` attribute (its last collected row);
    3. the model datasets of Mesa's ``DataRegistry`` / ``DataRecorder`` (the current value; a
       dotted ``dataset.field`` picks one dataset);
    4. a named model attribute or property.

    Args:
        model: A model that has run.
    """

    def __init__(self, model: Any) -> None:
        from mesa.datacollection import DataCollector
        from mesa.experimental.data_collection import BaseDataRecorder, ModelDataSet

        self.model = model
        self.summary = dict(model.summary()) if callable(getattr(model, "summary", None)) else {}
        attrs = [v for k, v in vars(model).items() if not k.startswith("__")]
        self.collectors = [v for v in attrs if isinstance(v, DataCollector) and v.model_reporters]
        self.recorders = [v for v in attrs if isinstance(v, BaseDataRecorder)]
        registry = getattr(model, "data_registry", None)
        self.datasets = [
            d for d in getattr(registry, "datasets", {}).values() if isinstance(d, ModelDataSet)
        ]

    def _dataset(self, name: str) -> tuple[Any, str] | None:
        ds_name, dot, fld = name.rpartition(".")
        for d in self.datasets:
            if fld in d._attributes and (not dot or d.name == ds_name):
                return d, fld
        return None

    def final(self, name: str) -> float:
        """The run's value of outcome ``name``.

        Raises:
            KeyError: No source has it (the message lists what the model offers).
        """
        if name in self.summary:
            return _number(self.summary[name])
        for dc in self.collectors:
            if name in dc.model_vars and dc.model_vars[name]:
                return _number(dc.model_vars[name][-1])
        found = self._dataset(name)
        if found is not None:
            return _number(found[0].data[found[1]])
        value = getattr(self.model, name, None)
        if value is not None and not callable(value):
            return _number(value)
        raise KeyError(f"model returned no outcome {name!r} ({self.offered()})")

    def offered(self) -> str:
        """What the model offers as outcomes, for error messages."""
        parts = []
        if self.summary:
            parts.append("summary(): " + ", ".join(map(str, self.summary)))
        for dc in self.collectors:
            parts.append("DataCollector: " + ", ".join(dc.model_reporters))
        for d in self.datasets:
            parts.append(f"DataRegistry {d.name!r}: " + ", ".join(d._attributes))
        return "; ".join(parts) or "it has no summary(), DataCollector or model dataset; name an attribute"

    def series(self, names: tuple[str, ...], samples: list[tuple[float, dict[str, float]]]) -> Any:
        """The time series of ``names``: one row per step, a ``day`` column (the model's time).

        A ``DataCollector`` column keeps its collection times; a recorded model dataset its
        recorded times plus the final state; anything else is what the runner read after
        construction and after every step.
        """
        import pandas as pd

        cols: dict[str, dict[int, float]] = {}
        for n in names:
            cols[n] = self._collected(n) or {round(t): v[n] for t, v in samples if n in v}
        frame = pd.DataFrame(cols).sort_index()
        frame.index.name = "day"
        return frame.reset_index()

    def _collected(self, name: str) -> dict[int, float] | None:
        if name in self.summary:
            return None
        for dc in self.collectors:
            if name in dc.model_vars:
                times = getattr(dc, "_collection_steps", None) or range(len(dc.model_vars[name]))
                return {round(t): _number(v) for t, v in zip(times, dc.model_vars[name], strict=False)}
        found = self._dataset(name)
        if found is None:
            return None
        dataset, fld = found
        out: dict[int, float] = {}
        for rec in self.recorders:
            if dataset.name in getattr(rec, "configs", {}):
                table = rec.get_table_dataframe(dataset.name)
                if fld in table.columns:
                    out.update({round(t): _number(v) for t, v in zip(table["time"], table[fld], strict=True)})
        out[round(self.model.time)] = _number(dataset.data[fld])
        return out


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
