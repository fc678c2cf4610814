"""Many-objective search over levers, judged across an ensemble of uncertain states, over the sweep runner.

An optimisation file (see ``docs/optimize.md``) names the levers (``[parameters]``: bounds, integers
or levels), the objectives (``[objectives]``: outcome → ``"min"`` / ``"max"``), optional constraints
(``[constraints]``: outcome → ``{max = …}`` / ``{min = …}``), optional uncertainties
(``[uncertainties]``: an ensemble of states of the world and a robustness measure) and the search
(``[search]``: ``nsga2`` or ``nsga3``, population, generations, seed).

pymoo proposes candidates through its ask-and-tell interface; every evaluation is an ordinary sweep
(``points`` design) of the sweep runner in ``DIR/evals/genNNN``: candidates × ensemble states ×
replicates, replicate ``r`` seeded ``SeedSequence(seed, spawn_key=(r,))`` under every candidate and
state (common random numbers). Runs are flushed to Parquet as they finish. The search seed fixes
pymoo's proposals, so a resumed search replays the finished generations from their stored runs,
re-proposes the same candidates and only runs what is missing. A candidate proposed again in a later
generation is not run again: its stored runs are reused.

Outputs in ``DIR``: ``pareto.parquet`` (the non-dominated feasible packages), ``evaluations.parquet``
(every candidate), ``history.parquet`` (hypervolume and front size per generation), ``options.parquet``
(the shipped options of ``[options]``, run with the same seeds and ensemble, with the packages that
dominate them) and ``optimize.json`` (what was run).
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from govsim.experiments.spec import GOVSIM, ExperimentSpec, ParameterSpec, check_experiment, parse_experiment
from govsim.sim.errors import InputError, read_toml_file
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

FORMAT = "govsim-optimize/1"
ALGORITHMS: tuple[str, ...] = ("nsga2", "nsga3")
ROBUSTNESS: tuple[str, ...] = ("mean", "p90", "regret", "satisficing")
_FROZEN = ConfigDict(extra="forbid", frozen=True, strict=False)
_BIG = 1e30  # the objective value of a candidate whose every run failed (it is also infeasible)


# --------------------------------------------------------------------------- the file


class Bound(BaseModel):
    """A limit on an outcome (``{max = …}``, ``{min = …}`` or both).

    Attributes:
        min: The outcome must be at least this.
        max: The outcome must be at most this.
    """

    model_config = _FROZEN

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("give max = … or min = … (or both)")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(f"min must be < max (got min={self.min}, max={self.max})")
        return self

    def met(self, x: np.ndarray) -> np.ndarray:
        """Whether values ``x`` are within the bound."""
        ok = np.ones(np.shape(x), dtype=bool)
        if self.min is not None:
            ok &= x >= self.min
        if self.max is not None:
            ok &= x <= self.max
        return ok


class OptimizeTable(BaseModel):
    """The ``[experiment]`` table of an optimisation file.

    Attributes:
        name: Study name (letters, digits, ``_``, ``.``, ``-``).
        description: Free text.
        model: ``"govsim"`` (default), ``"module:function"`` or ``"module:MesaModelClass"``.
        scenario: Base scenario file, relative to the file (govsim only).
        replicates: Replicates per candidate and state (the same seeds for every candidate).
        seed: Root seed of the replicate seeds and of the ensemble of states.
        outcomes: More outcomes to keep beside the objectives and constraints.
        days: Override ``run.days`` of the scenario (govsim only).
        steps: Steps to run a Mesa model class.
    """

    model_config = _FROZEN

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    model: str = GOVSIM
    scenario: str | None = None
    replicates: int = Field(default=1, ge=1, le=100_000)
    seed: int = Field(ge=0, lt=2**63)
    outcomes: list[str] = Field(default_factory=list)
    days: int | None = Field(default=None, ge=1)
    steps: int = Field(default=100, ge=0)

    @model_validator(mode="after")
    def _model_needs(self) -> OptimizeTable:
        if self.model != GOVSIM:
            mod, sep, attr = self.model.partition(":")
            if not sep or not mod or not attr:
                raise ValueError("model must be 'govsim' or 'package.module:callable'")
            if self.scenario:
                raise ValueError("scenario is only for model = 'govsim'")
            if self.days is not None:
                raise ValueError("days is only for model = 'govsim' (use steps for Mesa classes)")
        elif not self.scenario:
            raise ValueError("the govsim model needs scenario = 'path/to/scenario.toml'")
        return self


class UncertaintyTable(BaseModel):
    """The ``[uncertainties]`` table: the ensemble of states of the world each candidate is judged on.

    Attributes:
        ensemble: Number of states, drawn once (Latin hypercube, from the experiment seed) and shared
            by every candidate.
        robustness: How a candidate's results across states become one objective value: ``mean``;
            ``p90`` (the 90th percentile on the bad side: the value beaten in only 10 % of states);
            ``regret`` (the largest shortfall, across states, from the best value any evaluated
            candidate reached in that state); ``satisficing`` (the share of states in which the
            outcome meets its threshold, maximised).
        thresholds: ``satisficing`` only: objective → ``{max = …}`` / ``{min = …}``.
        parameters: Dotted path → bounds, levels or a distribution (as in a sweep file).
    """

    model_config = _FROZEN

    ensemble: int = Field(default=8, ge=1, le=100_000)
    robustness: Literal["mean", "p90", "regret", "satisficing"] = "mean"
    thresholds: dict[str, Bound] = Field(default_factory=dict)
    parameters: dict[str, ParameterSpec] = Field(min_length=1)


class SearchTable(BaseModel):
    """The ``[search]`` table.

    Attributes:
        algorithm: ``nsga2`` (Deb et al. 2002) or ``nsga3`` (Deb & Jain 2014, reference directions;
            for three objectives or more).
        population: Candidates per generation (``nsga3``: at least the number of reference directions).
        generations: Generations, the first included (evaluations ≈ population × generations).
        seed: Seed of the search's proposals (default: the experiment seed).
        partitions: ``nsga3``: Das–Dennis partitions of the reference directions (default: the most
            whose directions do not outnumber the population).
        reference_point: The hypervolume's reference point in objective units, in the order of
            ``[objectives]`` (default: the worst feasible value of generation 0 plus 10 % of its range).
    """

    model_config = _FROZEN

    algorithm: Literal["nsga2", "nsga3"] = "nsga2"
    population: int = Field(default=40, ge=4, le=1_000_000)
    generations: int = Field(default=20, ge=1, le=100_000)
    seed: int | None = Field(default=None, ge=0, lt=2**32)
    partitions: int | None = Field(default=None, ge=1, le=1000)
    reference_point: list[float] | None = None


class OptimizeSpec(BaseModel):
    """A whole optimisation file, validated.

    Attributes:
        experiment: The ``[experiment]`` table.
        parameters: The levers: dotted path → bounds (``integer = true`` allowed) or levels.
        fixed: Dotted path → value applied to every run.
        objectives: Outcome → ``"min"`` or ``"max"`` (two or more).
        constraints: Outcome → ``{max = …}`` / ``{min = …}`` on its ensemble mean (on the bad-side
            90th percentile under ``robustness = "p90"``).
        uncertainties: The ensemble of states (optional).
        search: The search.
        options: Name → scenario (a file relative to this file, or the name of a scenario beside the base
            scenario): hand-made options run with the same seeds and ensemble, each represented by its
            values of the levers.
    """

    model_config = _FROZEN

    experiment: OptimizeTable
    parameters: dict[str, ParameterSpec] = Field(min_length=1)
    fixed: dict[str, Any] = Field(default_factory=dict)
    objectives: dict[str, Literal["min", "max"]] = Field(min_length=2)
    constraints: dict[str, Bound] = Field(default_factory=dict)
    uncertainties: UncertaintyTable | None = None
    search: SearchTable = Field(default_factory=SearchTable)
    options: dict[str, str] = Field(default_factory=dict)

    _path: Path | None = PrivateAttr(default=None)
    _raw: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _consistent(self) -> OptimizeSpec:
        for name, p in self.parameters.items():
            if p.kind == "dist":
                raise ValueError(f"lever {name!r}: a lever takes {{low, high}} (integer = true allowed) or "
                                 "{levels = [...]}, not a distribution (put uncertain parameters in [uncertainties])")
        unc = self.uncertainties
        unc_names = set(unc.parameters) if unc else set()
        for a, b, what in ((self.parameters, self.fixed, "[fixed]"), (self.parameters, unc_names, "[uncertainties]"),
                           (unc_names, self.fixed, "[fixed]")):
            both = sorted(set(a) & set(b))
            if both:
                raise ValueError(f"{both[0]!r} is set twice (also in {what})")
        if unc is not None:
            if unc.robustness == "satisficing":
                missing = [o for o in self.objectives if o not in unc.thresholds]
                if missing:
                    raise ValueError(f"robustness = 'satisficing' needs uncertainties.thresholds.{missing[0]} "
                                     "= {max = …} or {min = …} for every objective")
            elif unc.thresholds:
                raise ValueError("uncertainties.thresholds are only for robustness = 'satisficing'")
            extra = sorted(set(unc.thresholds) - set(self.objectives))
            if extra:
                raise ValueError(f"threshold {extra[0]!r} is not an objective; objectives: {', '.join(self.objectives)}")
        rp = self.search.reference_point
        if rp is not None and len(rp) != len(self.objectives):
            raise ValueError(f"search.reference_point needs {len(self.objectives)} numbers, one per objective")
        return self

    @property
    def path(self) -> Path | None:
        """The file, when loaded from one."""
        return self._path

    @property
    def raw(self) -> str:
        """The file's raw text."""
        return self._raw

    @property
    def base_dir(self) -> Path:
        """The folder relative paths are resolved against."""
        return self._path.parent if self._path is not None else Path.cwd()

    @property
    def scenario_path(self) -> Path | None:
        """Absolute path of the base scenario (govsim only)."""
        s = self.experiment.scenario
        return None if s is None else (self.base_dir / s).resolve()

    @property
    def levers(self) -> list[str]:
        """Lever names in file order."""
        return list(self.parameters)

    @property
    def uncertain(self) -> dict[str, ParameterSpec]:
        """The uncertain parameters (empty without ``[uncertainties]``)."""
        return dict(self.uncertainties.parameters) if self.uncertainties else {}

    @property
    def robustness(self) -> str:
        """The robustness measure (``mean`` without uncertainties)."""
        return self.uncertainties.robustness if self.uncertainties else "mean"

    @property
    def outcome_names(self) -> list[str]:
        """Every outcome kept: objectives, constraints, then the extra outcomes."""
        return list(dict.fromkeys([*self.objectives, *self.constraints, *self.experiment.outcomes]))

    def option_path(self, name: str) -> Path:
        """The scenario file of option ``name``: relative to this file, else beside the base scenario."""
        ref = self.options[name]
        here = (self.base_dir / ref).resolve()
        if here.is_file() or self.scenario_path is None:
            return here
        beside = self.scenario_path.parent
        return (beside / ref).resolve() if ref.endswith(".toml") else (beside / f"{ref}.toml").resolve()

    def content_hash(self) -> str:
        """Hash of what determines the results (parsed content, base scenario and option files)."""
        h = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode())
        for p in [self.scenario_path, *(self.option_path(n) for n in self.options)]:
            if p is not None and p.is_file():
                h.update(p.read_bytes())
        return h.hexdigest()


def parse_optimize(data: dict[str, Any], file: Path | str = "<optimize>", raw: str = "") -> OptimizeSpec:
    """Validate a parsed TOML dict into an :class:`OptimizeSpec` (no file-system checks).

    Raises:
        InputError: On any unknown key, wrong type or value out of range.
    """
    from govsim.experiments.spec import _input_error_from

    try:
        spec = OptimizeSpec.model_validate(data)
    except ValidationError as err:
        raise _input_error_from(err, file) from None
    if not isinstance(file, str) or not file.startswith("<"):
        spec._path = Path(file).resolve()
    spec._raw = raw
    return spec


def load_optimize(path: str | Path, *, check: bool = True) -> OptimizeSpec:
    """Read, validate and (with ``check``) check an optimisation file against its model and scenario.

    Raises:
        InputError: One line naming the file, the dotted key and what is allowed.
    """
    path = Path(path)
    raw, data = read_toml_file(path)
    spec = parse_optimize(data, path, raw)
    if check:
        check_optimize(spec)
    return spec


def check_optimize(spec: OptimizeSpec) -> None:
    """Check levers, uncertainties, outcomes, the model and the option files, as ``load_experiment`` does.

    Raises:
        InputError: On the first problem found.
    """
    file = spec.path or "<optimize>"
    probe = _sweep_spec(spec, None, "probe", {**spec.parameters, **spec.uncertain})
    try:
        check_experiment(probe)
    except InputError as exc:
        key = exc.key
        for name in spec.uncertain:
            if key == f'parameters."{name}"':
                key = f'uncertainties.parameters."{name}"'
        raise InputError(file, key, exc.allowed) from None
    for name in spec.options:
        if not spec.option_path(name).is_file():
            raise InputError(file, f"options.{name}", f"scenario file not found: {spec.option_path(name)}")
        if spec.experiment.model != GOVSIM:
            raise InputError(file, f"options.{name}", "options are scenario files: only for model = 'govsim'")
        option_values(spec, name)


def option_values(spec: OptimizeSpec, name: str) -> dict[str, Any]:
    """The lever values of the option ``name`` (its scenario file read, each lever's dotted path looked up).

    Raises:
        InputError: When the scenario cannot be read.
    """
    from govsim.sim import load_scenario

    scen = load_scenario(spec.option_path(name))
    out: dict[str, Any] = {}
    for lever in spec.levers:
        obj: Any = scen
        for part in lever.split("."):
            obj = getattr(obj, part)
        out[lever] = obj
    return out


def _sweep_spec(spec: OptimizeSpec, points: Path | None, label: str,
                parameters: dict[str, ParameterSpec]) -> ExperimentSpec:
    """The sweep that evaluates one batch: a ``points`` design over levers and uncertain parameters."""
    ex = spec.experiment
    table: dict[str, Any] = {"name": f"{ex.name}-{label}", "model": ex.model, "replicates": ex.replicates,
                             "seed": ex.seed, "outcomes": spec.outcome_names, "steps": ex.steps}
    if points is None:
        table.update(design="lhs", samples=1)
    else:
        table.update(design="points", points=str(points.resolve()))
    if spec.scenario_path is not None:
        table["scenario"] = str(spec.scenario_path)
    if ex.days is not None:
        table["days"] = ex.days
    data = {"experiment": table, "parameters": {k: v.model_dump(exclude_none=True) for k, v in parameters.items()},
            "fixed": dict(spec.fixed)}
    out = parse_experiment(data, spec.path or "<optimize>")
    out._path = spec.path  # relative paths as in the optimisation file
    return out


# --------------------------------------------------------------------------- encoding


class Encoding:
    """Levers ↔ pymoo's real vector: bounds as they are, integers and levels (by index) rounded."""

    def __init__(self, spec: OptimizeSpec) -> None:
        self.names = spec.levers
        self.params = [spec.parameters[n] for n in self.names]
        self.xl = np.array([0.0 if p.kind == "levels" else float(p.low) for p in self.params])  # type: ignore[arg-type]
        self.xu = np.array([len(p.levels) - 1.0 if p.kind == "levels" else float(p.high)  # type: ignore[arg-type]
                            for p in self.params])
        self.discrete = np.array([p.kind == "levels" or p.integer for p in self.params])

    def repair(self, x: np.ndarray) -> np.ndarray:
        """Round the integer and level columns and clip to the bounds."""
        x = np.clip(np.asarray(x, dtype=float), self.xl, self.xu)
        x[:, self.discrete] = np.round(x[:, self.discrete])
        return x

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """One candidate's lever values (levels by their value, integers as ``int``)."""
        out: dict[str, Any] = {}
        for name, p, v in zip(self.names, self.params, row, strict=True):
            if p.kind == "levels":
                out[name] = p.levels[int(round(v))]  # type: ignore[index]
            elif p.integer:
                out[name] = int(round(v))
            else:
                out[name] = float(v)
        return out

    def encode(self, values: dict[str, Any]) -> np.ndarray:
        """Inverse of :meth:`decode` (a lever value outside its levels is an error)."""
        row = []
        for name, p in zip(self.names, self.params, strict=True):
            v = values[name]
            row.append(float(p.levels.index(v)) if p.kind == "levels" else float(v))  # type: ignore[union-attr]
        return np.array(row)


def _key(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=False)


def ensemble(spec: OptimizeSpec) -> pd.DataFrame:
    """The states of the world: a Latin hypercube over the uncertainties, drawn from the experiment seed.

    Without ``[uncertainties]``, one empty state.
    """
    from govsim.experiments.design import from_unit
    from scipy.stats import qmc

    unc = spec.uncertain
    if not unc:
        return pd.DataFrame(index=range(1))
    n = spec.uncertainties.ensemble  # type: ignore[union-attr]
    rng = np.random.default_rng(np.random.SeedSequence(spec.experiment.seed, spawn_key=(2**31 - 1,)))
    u = qmc.LatinHypercube(d=len(unc), seed=rng).random(n)
    cols = {}
    for j, (name, p) in enumerate(unc.items()):
        vals = from_unit(p, u[:, j])
        cols[name] = [v.item() if hasattr(v, "item") else v for v in vals]
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------- evaluations


@dataclass
class Archive:
    """Every evaluated candidate: its lever values and its runs, by candidate key.

    Attributes:
        values: Key → lever values.
        runs: Key → array (states × replicates × outcomes) of run results (NaN where a run failed).
        first_gen: Key → the generation that first proposed it (-1 for options).
        order: Keys in order of first evaluation.
    """

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, np.ndarray] = field(default_factory=dict)
    first_gen: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    n_runs: int = 0
    cache: dict[str, tuple[np.ndarray, bool]] = field(default_factory=dict)


def _run_batch(spec: OptimizeSpec, folder: Path, label: str, candidates: list[dict[str, Any]],
               states: pd.DataFrame, parameters: dict[str, ParameterSpec], run: dict[str, Any]) -> np.ndarray:
    """Run candidates × states × replicates as one sweep in ``folder/label``; return (n, S, R, O) results."""
    from govsim.experiments.runner import run_sweep
    from govsim.experiments.store import atomic_write_bytes, read_runs

    n, s, reps = len(candidates), len(states), spec.experiment.replicates
    rows = []
    for cand in candidates:
        for i in range(s):
            rows.append({**cand, **{k: states[k].iloc[i] for k in states.columns}})
    table = pd.DataFrame(rows, columns=[*spec.levers, *states.columns])
    csv = folder / f"{label}.csv"
    text = table.to_csv(index=False).encode()
    if csv.exists():
        if csv.read_bytes() != text:
            raise InputError(csv, "", "this generation's stored candidates differ from the ones the search "
                                      "proposes now: the folder holds another search; use another folder")
    else:
        atomic_write_bytes(csv, text)
    gdir = folder / label
    gspec = _sweep_spec(spec, csv, label, parameters)
    run_sweep(gspec, gdir, executor=run["executor"], workers=run["workers"], scheduler=run["scheduler"],
              resume=gdir.exists() and any(p.name != ".lock" for p in gdir.iterdir()), progress=run["progress"])
    # A finished govsim model is cyclic garbage that the runs' frozen collector leaves behind (about 4 MB a
    # run at 5,000 residents under the serial executor): free each generation's before the next one.
    gc.collect()
    runs = read_runs(gdir)
    out = np.full((n * s * reps, len(spec.outcome_names)), np.nan)
    ok = runs["status"].to_numpy() == "ok"
    rid = runs["run_id"].to_numpy()
    out[rid[ok]] = runs.loc[ok, spec.outcome_names].to_numpy(float)
    return out.reshape(n, s, reps, len(spec.outcome_names))


class Evaluator:
    """Turns stored runs into robust objective and constraint values (pymoo's minimisation form)."""

    def __init__(self, spec: OptimizeSpec) -> None:
        self.spec = spec
        self.objectives = list(spec.objectives)
        self.sign = np.array([1.0 if spec.objectives[o] == "min" else -1.0 for o in self.objectives])
        self.idx = {o: j for j, o in enumerate(spec.outcome_names)}
        self.robustness = spec.robustness
        self.best: np.ndarray | None = None  # per state and objective, the best (signed) value seen (regret)

    def state_means(self, runs: np.ndarray) -> np.ndarray:
        """States × outcomes: the mean over replicates (NaN if every replicate failed)."""
        with np.errstate(all="ignore"):
            cnt = np.sum(~np.isnan(runs), axis=1)
            tot = np.nansum(runs, axis=1)
            return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)

    def update_best(self, archive: Archive, keys: list[str]) -> None:
        """Fold candidates' state means into the best signed value per state (for ``regret``)."""
        for k in keys:
            m = self.state_means(archive.runs[k])[:, [self.idx[o] for o in self.objectives]] * self.sign
            m = np.where(np.isnan(m), np.inf, m)
            self.best = m if self.best is None else np.minimum(self.best, m)

    def _bad_quantile(self, x: np.ndarray, sign: float) -> float:
        x = x[~np.isnan(x)]
        return float(np.quantile(sign * x, 0.9)) if len(x) else np.inf

    def objective(self, runs: np.ndarray) -> np.ndarray:
        """The signed robust objective values of one candidate (lower is better for each)."""
        m = self.state_means(runs)
        out = np.empty(len(self.objectives))
        for j, o in enumerate(self.objectives):
            x, sg = m[:, self.idx[o]], self.sign[j]
            if np.isnan(x).all():
                out[j] = _BIG
                continue
            match self.robustness:
                case "mean":
                    out[j] = sg * float(np.nanmean(x))
                case "p90":
                    out[j] = self._bad_quantile(x, sg)
                case "regret":
                    assert self.best is not None
                    out[j] = float(np.nanmax(sg * x - self.best[:, j]))
                case "satisficing":
                    th = self.spec.uncertainties.thresholds[o]  # type: ignore[union-attr]
                    out[j] = -float(np.mean(th.met(x)))
        return out

    def natural(self, f: np.ndarray) -> np.ndarray:
        """Signed objective values back in the outcome's own direction (regret and shares stay as they are)."""
        if self.robustness in ("regret", "satisficing"):
            return np.where(np.asarray(f) == _BIG, np.nan, -f if self.robustness == "satisficing" else f)
        return np.where(np.asarray(f) == _BIG, np.nan, f * self.sign)

    def constraints(self, runs: np.ndarray) -> np.ndarray:
        """Pymoo's ``G ≤ 0`` values: each constraint scaled by its bound, then the share of failed runs."""
        m = self.state_means(runs)
        g: list[float] = []
        for o, b in self.spec.constraints.items():
            x = m[:, self.idx[o]]
            for bound, sg in ((b.max, 1.0), (b.min, -1.0)):
                if bound is None:
                    continue
                v = self._bad_quantile(x, sg) * sg if self.robustness == "p90" else float(np.nanmean(x)) \
                    if not np.isnan(x).all() else np.inf
                scale = abs(bound) if bound else 1.0
                g.append(min(sg * (v - bound) / scale, _BIG))
        g.append(float(np.mean(np.isnan(runs).any(axis=-1))))  # any failed run makes a candidate infeasible
        return np.array(g)

    def n_constraints(self) -> int:
        """Number of pymoo constraint columns."""
        return sum((b.max is not None) + (b.min is not None) for b in self.spec.constraints.values()) + 1


def _algorithm(spec: OptimizeSpec, enc: Encoding, n_obj: int) -> Any:
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.core.repair import Repair
    from pymoo.util.ref_dirs import get_reference_directions

    class _Round(Repair):
        def _do(self, problem: Any, X: np.ndarray, **kwargs: Any) -> np.ndarray:  # noqa: N803 - pymoo's name
            return enc.repair(X)

    s = spec.search
    if s.algorithm == "nsga2":
        return NSGA2(pop_size=s.population, repair=_Round(), eliminate_duplicates=True)
    parts = s.partitions
    if parts is None:
        from math import comb

        parts = 1
        while comb(parts + 1 + n_obj - 1, n_obj - 1) <= s.population:
            parts += 1
    dirs = get_reference_directions("das-dennis", n_obj, n_partitions=parts)
    if len(dirs) > s.population:
        raise InputError(spec.path or "<optimize>", "search.population",
                         f"nsga3 with {parts} partitions has {len(dirs)} reference directions; "
                         f"population must be at least that (got {s.population})")
    return NSGA3(ref_dirs=dirs, pop_size=s.population, repair=_Round(), eliminate_duplicates=True)


def _hypervolume(f: np.ndarray, ref: np.ndarray) -> float:
    from pymoo.indicators.hv import HV

    inside = f[np.all(f < ref, axis=1)]
    return float(HV(ref_point=ref)(inside)) if len(inside) else 0.0


def _front(f: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated feasible rows of ``f`` (rows with equal values are all kept)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    idx = np.flatnonzero(feasible)
    if not len(idx):
        return idx
    uniq, inverse = np.unique(f[idx], axis=0, return_inverse=True)
    front = NonDominatedSorting().do(uniq, only_non_dominated_front=True)
    return idx[np.isin(inverse.ravel(), front)]


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


# --------------------------------------------------------------------------- the search


def optimize(spec_or_path: OptimizeSpec | str | Path, out: str | Path, executor: str = "processes",
             workers: int | None = None, scheduler: str | None = None, resume: bool = False,
             progress: bool = False) -> Path:
    """Run (or resume) a search into the folder ``out``.

    Args:
        spec_or_path: An optimisation file or its loaded spec.
        out: Results folder: empty or absent unless ``resume``.
        executor: ``serial``, ``processes``, ``dask`` or ``mpi`` (as :func:`experiments.run_sweep`).
        workers: Worker count.
        scheduler: Dask scheduler address.
        resume: Continue a search interrupted in ``out`` (stored runs are reused, none is repeated).
        progress: Show each generation's progress bar.

    Returns:
        The results folder.

    Raises:
        InputError: A bad file, or a folder that holds something else.
    """
    from govsim.experiments.store import FolderLock, atomic_write_json

    spec = spec_or_path if isinstance(spec_or_path, OptimizeSpec) else load_optimize(spec_or_path)
    folder = Path(out)
    t0 = time.perf_counter()
    with FolderLock(folder):
        meta_path = folder / "optimize.json"
        fingerprint = spec.content_hash()
        others = [p.name for p in folder.iterdir() if p.name != ".lock"]
        if meta_path.exists():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("fingerprint") != fingerprint:
                raise InputError(meta_path, "fingerprint", "the folder holds a different search; use another folder")
            if not resume:
                raise InputError(folder, "", "the folder holds a search; pass --resume to continue it, or choose "
                                             "an empty folder")
            meta["resumed"] = [*meta.get("resumed", []), _now()]
        elif others:
            raise InputError(folder, "", "the folder is not empty and holds no optimize.json; choose an empty folder")
        else:
            from govsim.experiments.runner import _versions

            meta = {"format": FORMAT, "fingerprint": fingerprint, "file": str(spec.path) if spec.path else None,
                    "raw": spec.raw, "spec": spec.model_dump(mode="json"), "started": _now(), "resumed": [],
                    "finished": None, "versions": {**_versions(), "pymoo": _pymoo_version()},
                    "seeds": {"root_seed": spec.experiment.seed,
                              "replicate_seed": "numpy.random.SeedSequence(root_seed, spawn_key=(replicate,))",
                              "search_seed": _search_seed(spec),
                              "ensemble": "scipy LatinHypercube from SeedSequence(root_seed, spawn_key=(2**31 - 1,))"}}
        meta["finished"] = None
        atomic_write_json(meta_path, meta)
        (folder / "evals").mkdir(exist_ok=True)
        run = {"executor": executor, "workers": workers, "scheduler": scheduler, "progress": progress}
        result = _search(spec, folder, run)
        meta.update(finished=_now(), runs=result["runs"], evaluations=result["evaluations"],
                    wall_s=round(meta.get("wall_s", 0.0) + time.perf_counter() - t0, 2),
                    reference_point=result["reference_point"], ensemble=result["ensemble"])
        atomic_write_json(meta_path, meta)
    return folder


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _pymoo_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pymoo")
    except PackageNotFoundError:
        return None


def _search_seed(spec: OptimizeSpec) -> int:
    return int(spec.search.seed if spec.search.seed is not None else spec.experiment.seed % 2**32)


def _search(spec: OptimizeSpec, folder: Path, run: dict[str, Any]) -> dict[str, Any]:
    from pymoo.core.evaluator import Evaluator as PymooEvaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem

    enc = Encoding(spec)
    ev = Evaluator(spec)
    states = ensemble(spec)
    n_obj = len(spec.objectives)
    problem = Problem(n_var=len(enc.names), n_obj=n_obj, n_ieq_constr=ev.n_constraints(), xl=enc.xl, xu=enc.xu)
    algo = _algorithm(spec, enc, n_obj)
    algo.setup(problem, termination=("n_gen", spec.search.generations), seed=_search_seed(spec), verbose=False)
    archive = Archive()
    params = {**spec.parameters, **spec.uncertain}
    history: list[dict[str, Any]] = []
    ref: np.ndarray | None = None if spec.search.reference_point is None else \
        np.array(spec.search.reference_point) * ev.sign
    if spec.robustness in ("regret", "satisficing") and spec.search.reference_point is not None:
        ref = np.array(spec.search.reference_point) * (-1.0 if spec.robustness == "satisficing" else 1.0)
    for gen in range(spec.search.generations):
        pop = algo.ask()
        x = enc.repair(pop.get("X"))
        cands = [enc.decode(r) for r in x]
        keys = [_key(c) for c in cands]
        new = list(dict.fromkeys(k for k in keys if k not in archive.runs))
        if new:
            res = _run_batch(spec, folder / "evals", f"gen{gen:03d}", [json.loads(k) for k in new], states, params,
                             run)
            for k, r in zip(new, res, strict=True):
                archive.values[k], archive.runs[k], archive.first_gen[k] = json.loads(k), r, gen
                archive.order.append(k)
                archive.n_runs += r.shape[0] * r.shape[1]
            ev.update_best(archive, new)
        f = np.array([ev.objective(archive.runs[k]) for k in keys])
        g = np.array([ev.constraints(archive.runs[k]) for k in keys])
        PymooEvaluator().eval(StaticProblem(problem, F=f, G=g), pop)
        algo.tell(infills=pop)
        if spec.robustness == "regret" and algo.pop is not None:  # the best per state moved: refresh the parents
            pkeys = [_key(enc.decode(r)) for r in enc.repair(algo.pop.get("X"))]
            algo.pop.set("F", np.array([ev.objective(archive.runs[k]) for k in pkeys]))
        fa, feas = _archive_values(ev, archive)
        if ref is None:
            ok = fa[feas & np.all(fa < _BIG, axis=1)]
            base = ok if len(ok) else fa[np.all(fa < _BIG, axis=1)]
            lo, hi = (base.min(axis=0), base.max(axis=0)) if len(base) else (np.zeros(n_obj), np.ones(n_obj))
            ref = hi + 0.1 * np.where(hi > lo, hi - lo, np.maximum(np.abs(hi), 1.0))
        front = _front(fa, feas)
        history.append({"generation": gen, "evaluations": len(archive.order), "runs": archive.n_runs,
                        "front_size": len(front), "feasible": int(feas.sum()),
                        "hypervolume": _hypervolume(fa[front], ref)})
    _write_outputs(spec, folder, enc, ev, archive, states, history, run, params)
    return {"runs": archive.n_runs, "evaluations": len(archive.order), "ensemble": len(states),
            "reference_point": (ref * (ev.sign if spec.robustness in ("mean", "p90") else
                                       (-1.0 if spec.robustness == "satisficing" else 1.0))).tolist()}


def _archive_values(ev: Evaluator, archive: Archive) -> tuple[np.ndarray, np.ndarray]:
    """Signed objective values and feasibility of every evaluated candidate.

    Values are cached per candidate except under ``regret``, where each state's best value moves.
    """
    cache = archive.cache
    if ev.robustness == "regret":
        cache.clear()
    for k in archive.order:
        if k not in cache:
            cache[k] = (ev.objective(archive.runs[k]), bool(np.all(ev.constraints(archive.runs[k]) <= 0)))
    f = np.array([cache[k][0] for k in archive.order])
    return f, np.array([cache[k][1] for k in archive.order], dtype=bool)


# --------------------------------------------------------------------------- outputs


def _summary_rows(spec: OptimizeSpec, ev: Evaluator, keys: list[str], archive: Archive) -> pd.DataFrame:
    """One row per candidate: levers, robust objectives (outcome names), ensemble means and 5–95 % ranges."""
    rows = []
    for k in keys:
        runs = archive.runs[k]
        f = ev.natural(ev.objective(runs))
        g = ev.constraints(runs)
        row: dict[str, Any] = dict(archive.values[k])
        for j, o in enumerate(ev.objectives):
            row[o] = f[j]
        for o, j in ev.idx.items():
            x = runs[..., j].ravel()
            x = x[~np.isnan(x)]
            if o not in spec.objectives:
                row[o] = float(x.mean()) if len(x) else np.nan
            row[f"{o}_mean"] = float(x.mean()) if len(x) else np.nan
            row[f"{o}_low"] = float(np.quantile(x, 0.05)) if len(x) else np.nan
            row[f"{o}_high"] = float(np.quantile(x, 0.95)) if len(x) else np.nan
        row["feasible"] = bool(np.all(g <= 0))
        row["failed_runs"] = int(np.isnan(runs).any(axis=-1).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _write_outputs(spec: OptimizeSpec, folder: Path, enc: Encoding, ev: Evaluator, archive: Archive,
                   states: pd.DataFrame, history: list[dict[str, Any]], run: dict[str, Any],
                   params: dict[str, ParameterSpec]) -> None:
    from govsim.experiments.store import atomic_write_table

    def write(name: str, df: pd.DataFrame) -> None:
        import pyarrow as pa

        atomic_write_table(folder / name, pa.Table.from_pandas(df, preserve_index=False))

    fa, feas = _archive_values(ev, archive)
    front = _front(fa, feas)
    evals = _summary_rows(spec, ev, archive.order, archive)
    evals.insert(0, "generation", [archive.first_gen[k] for k in archive.order])
    evals.insert(0, "candidate_id", np.arange(len(evals)))
    evals["on_front"] = np.isin(np.arange(len(evals)), front)
    write("evaluations.parquet", evals)
    pareto = evals.iloc[front].sort_values(list(spec.objectives)[-1]).reset_index(drop=True)
    write("pareto.parquet", pareto.drop(columns=["on_front"]))
    write("history.parquet", pd.DataFrame(history))
    write("ensemble.parquet", states.assign(state=np.arange(len(states))))
    if spec.options:
        names = list(spec.options)
        values = [option_values(spec, n) for n in names]
        oparams = dict(params)
        for lever in spec.levers:  # an option may sit outside the search range: run it with its own value
            used = list(dict.fromkeys(v[lever] for v in values))
            oparams[lever] = ParameterSpec(levels=used)
        res = _run_batch(spec, folder / "evals", "options", values, states, oparams, run)
        opt = Archive()
        for n, v, r in zip(names, values, res, strict=True):
            opt.values[n], opt.runs[n] = v, r
            opt.order.append(n)
        table = _summary_rows(spec, ev, names, opt)
        table.insert(0, "option", names)
        fo = np.array([ev.objective(opt.runs[n]) for n in names])
        ids = pareto["candidate_id"].to_numpy(int)  # candidate_id is the row of fa (order of first evaluation)
        dom = [[int(c) for c in ids if _dominates(fa[c], fo[i])] for i in range(len(names))]
        table["dominated_by"] = [json.dumps(d) for d in dom]
        table["n_dominating"] = [len(d) for d in dom]
        write("options.parquet", table)


def read_optimize(folder: str | Path) -> dict[str, Any]:
    """The tables of a finished search: ``pareto``, ``evaluations``, ``history``, ``options`` (or None), ``meta``.

    Raises:
        InputError: When the folder holds no finished search.
    """
    folder = Path(folder)
    meta_path = folder / "optimize.json"
    if not meta_path.is_file() or not (folder / "pareto.parquet").is_file():
        raise InputError(folder, "", "no optimize.json and pareto.parquet here: not a finished `govsim optimize` folder")
    out: dict[str, Any] = {"meta": json.loads(meta_path.read_text(encoding="utf-8"))}
    for name in ("pareto", "evaluations", "history", "options", "ensemble"):
        p = folder / f"{name}.parquet"
        out[name] = pd.read_parquet(p) if p.is_file() else None
    return out


def with_changes(spec: OptimizeSpec, changes: dict[str, Any] | None = None,
                 fixed: dict[str, Any] | None = None) -> OptimizeSpec:
    """A copy of ``spec`` with some table keys replaced, for a quick or tiny run of a large study.

    Args:
        spec: The loaded study.
        changes: ``table.key`` → value, for the tables ``experiment``, ``search`` and ``uncertainties``
            (``{"search.population": 8, "uncertainties.ensemble": 2, "experiment.replicates": 1}``).
        fixed: More ``[fixed]`` overrides (dotted path → value).

    Returns:
        The changed, re-validated and re-checked study (its file path kept, the change noted in its text).

    Raises:
        InputError: An unknown table or key, or a value the file would not accept.
    """
    if not changes and not fixed:
        return spec
    data = spec.model_dump(mode="python", exclude_none=True)
    for dotted, value in (changes or {}).items():
        table, _, key = dotted.partition(".")
        if table not in ("experiment", "search", "uncertainties") or not key:
            raise InputError("--set", dotted, "table.key with table one of experiment, search, uncertainties")
        if table == "uncertainties" and "uncertainties" not in data:
            raise InputError("--set", dotted, "the study has no [uncertainties] table")
        data[table] = {**data.get(table, {}), key: value}
    data["fixed"] = {**data.get("fixed", {}), **(fixed or {})}
    raw = spec.raw + f"\n# changed for this run: {changes or {}!r}, fixed {fixed or {}!r}\n"
    out = parse_optimize(data, spec.path or "<optimize>", raw)
    check_optimize(out)
    return out
