"""Optimisation study files: a TOML study validated into frozen pydantic models (``govsim optimize``).

A study has the tables ``[experiment]`` (:class:`OptimizeTable`), ``[parameters]`` (the levers),
``[fixed]``, ``[objectives]``, ``[constraints]`` (:class:`Bound`), ``[uncertainties]``
(:class:`UncertaintyTable`), ``[search]`` (:class:`SearchTable`) and ``[options]``; see
``docs/optimize.md``. :func:`load_optimize` reads and checks one; every problem is a one-line
:class:`sim.errors.InputError` naming the file, the dotted key and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from govsim.experiments.spec import check_experiment, parse_experiment
from govsim.experiments.spec_models import (
    GOVSIM,
    ExperimentSpec,
    ParameterSpec,
    StudyFile,
    validate_file_spec,
)
from govsim.sim.errors import InputError, read_toml_file
from pydantic import BaseModel, ConfigDict, Field, model_validator

ALGORITHMS: tuple[str, ...] = ("nsga2", "nsga3")
ROBUSTNESS: tuple[str, ...] = ("mean", "p90", "regret", "satisficing")
_FROZEN = ConfigDict(extra="forbid", frozen=True, strict=False)


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


class OptimizeSpec(StudyFile):
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
    def scenario_path(self) -> Path | None:
        """Absolute path of the base scenario (govsim only)."""
        return self.resolve(self.experiment.scenario)

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
        here = self.resolve(ref)
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
    return validate_file_spec(OptimizeSpec, data, file, raw)


def load_optimize(path: str | Path, *, check: bool = True) -> OptimizeSpec:
    """Read, validate and (with ``check``) check an optimisation file (or a bundled one by name: ``"best_package"``).

    Raises:
        InputError: One line naming the file, the dotted key and what is allowed.
    """
    from govsim.sim.catalog import experiment_file

    path = experiment_file(path)  # a file that exists, else a bundled experiment file of that name
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
            obj = obj[int(part)] if isinstance(obj, list) and part.isdigit() and int(part) < len(obj) else \
                getattr(obj, part, None) if not isinstance(obj, dict) else obj.get(part)
            if obj is None:
                raise InputError(spec.path or "<optimize>", f"options.{name}",
                                 f"the scenario {spec.option_path(name)} has no value for the lever {lever!r}")
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
