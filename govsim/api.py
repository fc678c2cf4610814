"""govsim from Python: the command line's verbs as functions.

Every ``govsim`` command has a function here that takes the same inputs and returns tables instead
of printing them::

    import govsim

    spec = govsim.load_scenario("baseline", **{"world.population": 3000})   # a bundled scenario by name
    res = govsim.run(spec, seed=7, days=120)                                 # govsim run
    res.summary["share_left_city"], res.timeseries.tail()
    table = govsim.compare(["baseline", "street_empowerment"], replicates=8)  # govsim compare
    runs = govsim.sweep("morris_screening", "out/morris")                    # govsim sweep
    sens = govsim.analyze("out/morris")                                      # govsim analyze
    box, importance = govsim.discover("out/lhs", "share_left_city", 0.01)    # govsim analyze --method prim
    govsim.dashboard()                                                       # govsim dashboard, inline in Jupyter

Scenarios and experiments can be named instead of given as paths: ``"baseline"`` is
``scenarios/baseline.toml`` of the clone you work in or, in an installed copy, of the scenario and
experiment files bundled with the package (:func:`data_dir`). Dotted paths name parameters as they
do everywhere else (``policy.street_empowerment``); Python keywords cannot hold dots, so
``policy__street_empowerment=0.8`` is accepted as the same key.

Bad input raises :class:`sim.errors.InputError`, whose message names the file, the dotted key and
what is allowed, exactly as the command line prints it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from govsim import __all__ as _PUBLIC
from govsim.sim import catalog
from govsim.sim.errors import InputError
from govsim.sim.scenario import ScenarioSpec

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from govsim.analysis.discovery import PrimResult
    from govsim.analysis.results import SweepResults
    from govsim.analysis.sensitivity import SensitivityResult
    from govsim.experiments.spec_models import ExperimentSpec

type PathLike = str | os.PathLike[str]
"""A file or folder path."""
type ScenarioLike = ScenarioSpec | PathLike
"""A validated scenario, a scenario file, or the name of a bundled scenario (``"baseline"``)."""
type ExperimentLike = ExperimentSpec | Mapping[str, Any] | PathLike
"""A validated experiment, a parsed experiment file (dict), a file, or a bundled experiment's name."""

__all__ = list(_PUBLIC)  # one list of the API's names, kept in the package's __init__ (lazy imports)

# --------------------------------------------------------------------------- bundled files


def data_dir() -> Path:
    """The folder that holds the bundled ``scenarios/`` and ``experiments/`` folders.

    In an installed copy this is ``govsim/_bundled`` inside the package (written when the wheel is
    built); in a clone it is the clone's root, so edits to ``scenarios/`` are seen at once. Both keep
    the repository's layout, so ``run.base`` and an experiment's ``scenario = "../scenarios/..."``
    resolve the same way in either (:mod:`govsim.sim.catalog`).

    Raises:
        InputError: When neither exists (a broken installation).
    """
    return catalog.data_dir()


def scenario_names() -> list[str]:
    """Names of the bundled scenarios (``baseline`` first), each usable wherever a scenario is asked for."""
    return catalog.scenario_names()


def experiment_names() -> list[str]:
    """Names of the bundled experiment files (``morris_screening``, ``sobol_levers`` ...)."""
    return catalog.experiment_names()


def _named(kind: str, value: PathLike, names: list[str] | None = None) -> Path:
    """A path for ``value``: an existing file, else a bundled file of that name (:func:`catalog.find`)."""
    path = catalog.find(value, kind)  # type: ignore[arg-type]
    if not path.is_file():  # a device or a pipe: the API reads whole files
        raise InputError(path, "", "not a regular file; a .toml file is needed")
    return path


def _dotted(overrides: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(overrides or {})
    out.update({k.replace("__", "."): v for k, v in kwargs.items()})
    return out


# --------------------------------------------------------------------------- scenarios


def load_scenario(path_or_name: ScenarioLike, overrides: Mapping[str, Any] | None = None,
                  /, **dotted_overrides: Any) -> ScenarioSpec:
    """Read a scenario and apply overrides, like ``govsim run FILE --set KEY=VALUE``.

    Args:
        path_or_name: A scenario file, the name of a bundled scenario (``"baseline"``,
            ``"fengqiao_full"``; see :func:`scenario_names`) or an already loaded scenario.
        overrides: ``{"policy.street_empowerment": 0.8, ...}``.
        **dotted_overrides: More overrides; ``policy__street_empowerment=0.8`` or
            ``**{"policy.street_empowerment": 0.8}``.

    Returns:
        The validated, frozen scenario (``run.base`` followed).

    Raises:
        InputError: Missing file or unknown name, or an override that is not allowed.

    Example:
        >>> spec = load_scenario("baseline", world__population=3000)
        >>> spec.world.population
        3000
    """
    from govsim.sim.scenario import load_scenario as _load

    if isinstance(path_or_name, ScenarioSpec):
        spec = path_or_name
    else:
        spec = _load(_named("scenarios", path_or_name, scenario_names()))
    changes = _dotted(overrides, dotted_overrides)
    return override(spec, changes) if changes else spec


def override(spec: ScenarioSpec, overrides: Mapping[str, Any] | None = None, /, **dotted_overrides: Any) -> ScenarioSpec:
    """A copy of ``spec`` with dotted-path fields replaced and validated again.

    Args:
        spec: The scenario to start from (scenarios are frozen; this never changes it).
        overrides: ``{"policy.street_empowerment": 0.8, "world.population": 3000}``.
        **dotted_overrides: The same as keywords, ``__`` standing for ``.``.

    Raises:
        InputError: An unknown path or a value out of range, naming the key and what is allowed.
    """
    from govsim.sim.scenario import apply_overrides

    return apply_overrides(spec, _dotted(overrides, dotted_overrides), "override")


# --------------------------------------------------------------------------- run


@dataclass(frozen=True)
class RunResult:
    """One run's results, as ``govsim run --out`` writes them.

    Attributes:
        summary: Outcome name → value at the end of the run (``sim.metrics.ALL_OUTCOME_NAMES``).
        timeseries: One row per day (column ``day``), one column per outcome.
        spec: The scenario that ran (overrides applied).
        seed: The seed it ran with.
    """

    summary: dict[str, float]
    timeseries: pd.DataFrame
    spec: ScenarioSpec
    seed: int


def run(spec: ScenarioLike, seed: int = 1, days: int | None = None,
        overrides: Mapping[str, Any] | None = None, out: PathLike | None = None, *,
        replicate: int | None = None) -> RunResult:
    """Run one scenario, like ``govsim run`` (which calls this function).

    Args:
        spec: A scenario, a scenario file or a bundled scenario's name.
        seed: Random seed; the same seed gives the same run.
        days: Days to simulate (default: the scenario's ``run.days``).
        overrides: Dotted-path overrides applied first.
        out: If given, also write ``timeseries.parquet``, ``summary.json`` and ``by_unit.parquet`` there.
        replicate: Run replicate ``r`` of a sweep or comparison whose root seed is ``seed``: the
            model gets ``SeedSequence(seed, spawn_key=(r,))``, exactly as the sweep runner gives it
            (``docs/reproducibility.md``). Without it the model gets ``rng=seed``.

    Returns:
        The summary and the daily time series.
    """
    from govsim.sim.model import run_outputs

    changes = dict(overrides or {})
    if days is not None:
        changes["run.days"] = days
    if replicate is not None and replicate < 0:
        raise InputError("run", "replicate", f"a replicate number >= 0 (got {replicate})")
    scenario = load_scenario(spec, changes)
    rng: int | np.random.SeedSequence = seed
    if replicate is not None:
        from govsim.experiments.worker import replicate_seed

        rng = replicate_seed(seed, replicate)
    outputs = run_outputs(scenario, rng=rng, timeseries=True, by_unit=out is not None)
    result = RunResult(dict(outputs.summary), outputs.timeseries, scenario, seed)
    if out is not None:
        from govsim.runio import write_run

        write_run(Path(out), scenario, result.summary, result.timeseries, seed, replicate, outputs.by_unit)
    return result


# --------------------------------------------------------------------------- compare


def compare(specs_or_paths: Sequence[ScenarioLike], replicates: int = 10, seed: int = 20261129,
            workers: int | None = None, *, days: int | None = None,
            overrides: Mapping[str, Any] | None = None, out: PathLike | None = None,
            executor: str | None = None, resume: bool = False, run_timeout: float | None = None,
            scheduler: str | None = None, posterior: PathLike | None = None) -> pd.DataFrame:
    """Compare scenarios under common random numbers, like ``govsim compare`` (the same function runs).

    The options run as a sweep whose design points are the options (the sweep runner, its seeds,
    executors, resume and failure records): replicate ``r`` of every option gets
    ``SeedSequence(seed, spawn_key=(r,))``, so differences from the first (reference) scenario are
    paired by replicate and shared noise cancels.

    Args:
        specs_or_paths: Scenarios, files or bundled names; the first is the reference. Their
            ``run.name`` must differ.
        replicates: Replicates per scenario (at least 2).
        seed: Root seed of the replicate seeds.
        workers: Worker count (default: all cores; 1 = in this process).
        days: Days to simulate (default: each scenario's ``run.days``).
        overrides: Dotted-path overrides applied to every scenario (e.g. a smaller population).
        out: Results folder (a sweep folder plus ``comparison.csv``, ``report.html`` ...). Default: a
            temporary folder, removed afterwards.
        executor: ``serial``, ``processes``, ``dask`` or ``mpi`` (default: ``serial`` for one worker,
            else ``processes``).
        resume: Continue a comparison interrupted in ``out``.
        run_timeout: Seconds after which a run is stopped and recorded as ``timeout``.
        scheduler: Dask scheduler address (``tcp://HOST:PORT``).
        posterior: A ``govsim calibrate`` folder: replicate r also runs posterior draw r mod n.

    Returns:
        One row per scenario and outcome: ``scenario, outcome, mean, ci_low, ci_high, diff,
        diff_ci_low, diff_ci_high`` (95 % intervals; ``diff`` is the paired difference from the
        reference), then effect sizes, ranks and cost-effectiveness (``docs/analysis.md``). The
        replicate seeds (the SeedSequences) are in ``table.attrs["replicate_seeds"]``.

    Raises:
        InputError: Fewer than two replicates, duplicate scenario names or a bad scenario.
    """
    import tempfile

    from govsim.comparison import replicate_seeds, run_compare

    if not specs_or_paths:
        raise InputError("compare", "specs_or_paths", "give at least one scenario")
    if replicates < 2:
        raise InputError("compare", "replicates", f"at least 2 (got {replicates})")
    changes = dict(overrides or {})
    if days is not None:
        changes["run.days"] = days
    specs = [load_scenario(s, changes) for s in specs_or_paths]
    labels = [s.run.name if isinstance(s, ScenarioSpec) else str(s) for s in specs_or_paths]
    draws = None
    if posterior is not None:
        from govsim.experiments.fileio import read_posterior

        read_posterior(posterior)
        draws = str(posterior)
    kwargs = {"replicates": replicates, "seed": seed, "workers": workers, "quiet": True, "posterior": draws,
              "executor": executor, "resume": resume, "run_timeout": run_timeout, "scheduler": scheduler}
    if out is not None:
        table = run_compare(specs, labels, out=Path(out), **kwargs)
    else:
        with tempfile.TemporaryDirectory(prefix="govsim-compare-") as tmp:
            table = run_compare(specs, labels, out=Path(tmp) / "compare", no_report=True, timeseries=False, **kwargs)
    table.attrs["replicate_seeds"] = replicate_seeds(seed, replicates)
    return table


# --------------------------------------------------------------------------- sweeps


def load_experiment(experiment: ExperimentLike, *, fixed: Mapping[str, Any] | None = None,
                    **changes: Any) -> ExperimentSpec:
    """Read and check an experiment, optionally changing its ``[experiment]`` table first.

    Args:
        experiment: An experiment file, a bundled experiment's name (``"morris_screening"``; see
            :func:`experiment_names`), a dict with the file's tables, or a loaded experiment.
            In a dict, ``scenario`` may name a bundled scenario and relative paths are resolved
            against the current folder.
        fixed: More ``[fixed]`` overrides (dotted path → value), applied to every run.
        **changes: Keys of the ``[experiment]`` table to replace, e.g. ``samples=8, replicates=1,
            days=60`` for a quick look at a large study.

    Returns:
        The validated experiment (its files and parameter paths checked, as ``govsim validate`` does).

    Raises:
        InputError: One line naming the file, the dotted key and what is allowed.
    """
    from govsim.experiments.spec import check_experiment, parse_experiment
    from govsim.experiments.spec_models import ExperimentSpec

    path: Path | None = None
    raw = ""
    if isinstance(experiment, ExperimentSpec):
        if not changes and not fixed:
            return experiment
        data = experiment.model_dump(mode="python")
        path, raw = experiment.path, experiment.raw
    elif isinstance(experiment, Mapping):
        data = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in experiment.items()}
        table = dict(data.get("experiment") or {})
        scen = table.get("scenario")
        if isinstance(scen, str) and not Path(scen).is_file() and scen in scenario_names():
            table["scenario"] = str(data_dir() / "scenarios" / f"{scen}.toml")
        data["experiment"] = table
    else:
        path = _named("experiments", experiment, experiment_names())
        raw = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(path, "", f"malformed TOML: {exc}") from None
    if changes or fixed:
        data = dict(data)
        data["experiment"] = {**dict(data.get("experiment") or {}), **changes}
        data["fixed"] = {**dict(data.get("fixed") or {}), **dict(fixed or {})}
        raw += f"\n# changed from Python (govsim.load_experiment): experiment {changes!r}, fixed {dict(fixed or {})!r}\n"
    spec = parse_experiment(data, path if path is not None else "<experiment>", raw)
    check_experiment(spec)
    return spec


def sweep(experiment: ExperimentLike, out: PathLike, executor: str = "processes", workers: int | None = None,
          *, resume: bool = False, run_timeout: float | None = None, progress: bool = False,
          scheduler: str | None = None, fixed: Mapping[str, Any] | None = None, **changes: Any) -> pd.DataFrame:
    """Run a sweep, like ``govsim sweep``, and return its runs table.

    Args:
        experiment: As for :func:`load_experiment` (a file, a bundled name, a dict or a spec).
        out: Results folder (new or empty unless ``resume``); :func:`analyze` and :func:`discover`
            read it.
        executor: ``serial``, ``processes`` (default), ``dask`` or ``mpi``.
        workers: Worker count (default: all cores).
        resume: Continue an interrupted sweep in ``out``.
        run_timeout: Seconds after which a run is stopped and recorded as ``timeout``.
        progress: Show a progress bar.
        scheduler: Dask scheduler address (``tcp://HOST:PORT``).
        fixed: More ``[fixed]`` overrides.
        **changes: ``[experiment]`` keys to replace (``samples=8, replicates=1, days=60``).

    Returns:
        One row per run, sorted by ``run_id``: ``run_id, point_id, replicate, status``, the
        parameters and the outcomes (``docs/sweeps.md``, "Storage layout").

    Raises:
        InputError: A bad experiment, or an output folder that holds something else.
    """
    from govsim.experiments.runner import run_sweep
    from govsim.experiments.store import read_runs

    spec = load_experiment(experiment, fixed=fixed, **changes)
    folder = run_sweep(spec, out, executor=executor, workers=workers, scheduler=scheduler, resume=resume,
                       run_timeout=run_timeout, progress=progress)
    return read_runs(folder)


def optimize(study: PathLike, out: PathLike, executor: str = "processes", workers: int | None = None, *,
             resume: bool = False, progress: bool = False, scheduler: str | None = None,
             fixed: Mapping[str, Any] | None = None, report: bool = True, **changes: Any) -> pd.DataFrame:
    """Search the levers for the best packages, like ``govsim optimize``, and return the front.

    Args:
        study: An optimisation file, or a bundled study's name (``"best_package"``).
        out: Results folder (new or empty unless ``resume``).
        executor: ``serial``, ``processes`` (default), ``dask`` or ``mpi``.
        workers: Worker count (default: all cores).
        resume: Continue an interrupted search in ``out`` (no run is repeated).
        progress: Show a progress bar per generation.
        scheduler: Dask scheduler address (``tcp://HOST:PORT``).
        fixed: More ``[fixed]`` overrides (``{"world.population": 500}``).
        report: Also write ``report.html`` and ``report.md`` into ``out``.
        **changes: Keys to replace, as ``table__key`` (``search__population=8, search__generations=3,
            uncertainties__ensemble=2, experiment__replicates=1``) for a quick look at a large study.

    Returns:
        ``pareto.parquet``: one row per non-dominated package (levers, objectives and their 5–95 % ranges).

    Raises:
        InputError: A bad file, or an output folder that holds something else.
    """
    from govsim.experiments.optimize import load_optimize, read_optimize, with_changes
    from govsim.experiments.optimize import optimize as run_optimize

    path = _named("experiments", study, experiment_names())
    spec = with_changes(load_optimize(path), {k.replace("__", ".", 1): v for k, v in changes.items()},
                        dict(fixed or {}))
    folder = run_optimize(spec, out, executor=executor, workers=workers, scheduler=scheduler, resume=resume,
                          progress=progress)
    res = read_optimize(folder)
    if report:
        from govsim.analysis.optimize_report import write_optimize_report

        write_optimize_report(res, folder)
    return res["pareto"]


# --------------------------------------------------------------------------- analysis


def analyze(results_dir: PathLike | SweepResults, method: str = "auto", outcomes: Sequence[str] | None = None,
            *, stat: str = "mean", seed: int = 0, num_resamples: int = 1000, convergence: bool = True,
            out: PathLike | None = None) -> SensitivityResult:
    """Sensitivity indices of a sweep, like ``govsim analyze``.

    Args:
        results_dir: A folder written by :func:`sweep` (or ``govsim sweep``).
        method: ``auto`` (the design's own: Sobol for a ``sobol`` design, Morris for ``morris`` ...)
            or one of ``sobol, morris, fast, rbd_fast, pawn, delta``.
        outcomes: Outcomes to analyse (default: all in the sweep).
        stat: Replicate statistic per design point: ``mean``, ``median``, ``std``, ``var`` or ``q90``.
        seed: Seed of every bootstrap.
        num_resamples: Bootstrap resamples for the intervals.
        convergence: Also compute the ranking index at N/4 and N/2 and apply the convergence rule.
        out: If given, also write ``indices.csv``, ``convergence.csv`` and the HTML report there.

    Returns:
        A :class:`analysis.sensitivity.SensitivityResult`: ``.table`` (long: ``parameter, outcome,
        index, value, ci_low, ci_high``), ``.convergence``, ``.converged`` per outcome, ``.meta``
        and ``.warnings``. Draw it with :func:`plot`.

    Raises:
        InputError: Unknown outcome, a method the design does not support, or missing runs.
    """
    from govsim.analysis.results import SweepResults
    from govsim.analysis.sensitivity import analyze as _analyze

    results = results_dir if isinstance(results_dir, SweepResults) else SweepResults.load(results_dir)
    sens = _analyze(results, method, list(outcomes) if outcomes else None, stat=stat,  # type: ignore[arg-type]
                    seed=seed, num_resamples=num_resamples, convergence=convergence)
    if out is not None:
        from govsim.analysis.report import write_sensitivity_report
        from govsim.experiments.fileio import atomic_write_csv

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_csv(folder / "indices.csv", sens.table)
        atomic_write_csv(folder / "convergence.csv", sens.convergence)
        write_sensitivity_report(sens, results, folder)
    return sens


def plot(result: SensitivityResult, outcome: str) -> Figure:
    """The usual figure for a sensitivity result: Morris μ*–σ plot, Sobol S1/ST bars, or index bars.

    Args:
        result: What :func:`analyze` returned.
        outcome: One of the analysed outcomes.

    Returns:
        A matplotlib figure (object API; display it in Jupyter or ``fig.savefig(...)``).
    """
    from govsim.analysis import figures

    if outcome not in set(result.table["outcome"]):
        raise InputError("plot", "outcome", f"one of {', '.join(dict.fromkeys(result.table['outcome']))}")
    if result.method == "morris":
        return figures.morris_plot(result.table, outcome)
    if result.method == "sobol":
        return figures.sobol_bars(result.table, outcome)
    shown = tuple(dict.fromkeys(result.table.loc[result.table["outcome"] == outcome, "index"]))
    return figures.index_bars(result.table, outcome, shown)


def discover(results_dir: PathLike | SweepResults, outcome: str, threshold: float, direction: str = "above",
             *, stat: str = "mean", alpha: float = 0.05, min_mass: float = 0.05,
             seed: int = 0) -> tuple[PrimResult, pd.DataFrame]:
    """Scenario discovery with PRIM, like ``govsim analyze --method prim``.

    Which box of parameter values holds most of the design points where ``outcome`` is bad?

    Args:
        results_dir: A folder written by :func:`sweep` (an ``lhs`` or ``factorial`` design suits).
        outcome: The outcome that can go bad.
        threshold: The value separating bad from acceptable.
        direction: ``above`` (bad when ``outcome > threshold``) or ``below``.
        stat: Replicate statistic per design point.
        alpha: Share of the box peeled away in each step.
        min_mass: Smallest share of the sample the box may keep.
        seed: Seed of the extra-trees ranking.

    Returns:
        ``(prim_result, importance)``: the box (``prim_result.box``, with ``coverage`` and
        ``density``) and its peeling trajectory, and an extra-trees ranking of the parameters.
    """
    from govsim.analysis.discovery import discover as _discover
    from govsim.analysis.results import SweepResults

    results = results_dir if isinstance(results_dir, SweepResults) else SweepResults.load(results_dir)
    return _discover(results, outcome, threshold, direction, stat=stat,  # type: ignore[arg-type]
                     alpha=alpha, min_mass=min_mass, seed=seed)


# --------------------------------------------------------------------------- dashboard


def dashboard(preset: str = "baseline", population: int = 3000, seed: int = 42) -> Any:
    """The classroom dashboard (``sim/app.py``) as a solara element, for display inside Jupyter.

    Make it the last expression of a cell (or pass it to ``IPython.display.display``) and the page —
    map, ladder, charts, every lever, A/B mode — appears under the cell, as ``govsim dashboard``
    shows it in a browser.

    Args:
        preset: A bundled scenario's name or a scenario file to start from.
        population: Residents of the classroom city (500–20,000).
        seed: Seed of the city (same seed = same city).

    Returns:
        A solara element wrapping one :class:`sim.app.ClassroomModel`.
    """
    import solara

    from govsim.sim.app import ClassroomModel, Dashboard, presets

    if preset not in presets():  # an installed copy: the page's own presets folder is not there
        preset = str(_named("scenarios", preset, scenario_names()).resolve())
    first = ClassroomModel(preset=preset, population=population, seed=seed)

    @solara.component
    def GovsimDashboard():  # noqa: N802 - solara components are named like classes
        model = solara.use_reactive(first)
        Dashboard(model)

    return GovsimDashboard()
