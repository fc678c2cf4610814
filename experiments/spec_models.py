"""What an experiment file may say: its tables as frozen pydantic models, and how a dict becomes one.

An experiment file has three tables that map 1:1 onto the models below:

* ``[experiment]`` — :class:`ExperimentTable` (model, base scenario, design, sizes, seed, outcomes);
* ``[parameters]`` — dotted path → :class:`ParameterSpec` (bounds, levels or a distribution);
* ``[fixed]`` — dotted path → value, overrides applied to every run;

and, for ``govsim calibrate``, ``[calibration]`` (:class:`CalibrationTable`) and ``[targets.NAME]``
(:class:`TargetSpec`). :class:`StudyFile` and :func:`validate_file_spec` are what experiment and
optimisation files (``experiments.optimize_spec``) share: the file a spec came from, its text, and
validation errors turned into one-line :class:`sim.errors.InputError`.

Separate from ``experiments.spec`` (which reads a file and checks it against the scenario, the
outcome registry and the model it names) because these models need nothing but pydantic: the design
samplers, the optimisation file and the reference-page generator use them without the loading and
checking code.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from govsim.sim.errors import InputError, from_validation_error
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

type Scalar = bool | int | float | str
type DesignName = Literal["factorial", "lhs", "sobol", "morris", "fast", "points"]

DESIGNS: tuple[str, ...] = ("factorial", "lhs", "sobol", "morris", "fast", "points")
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "normal", "truncnormal", "triangular", "lognormal")
GOVSIM = "govsim"
SCENARIO_PARAM = "scenario"
"""A govsim parameter whose levels are scenario files: each design point runs its own scenario."""

_FROZEN = ConfigDict(extra="forbid", frozen=True, strict=False)


class ParameterSpec(BaseModel):
    """How one parameter varies: bounds, levels or a distribution.

    Exactly one of three forms:

    * bounds ``{low, high}`` (optionally ``integer = true``): uniform on ``[low, high]``;
    * levels ``{levels = [...]}``: a categorical (ints, floats, bools or strings, one type);
    * distribution ``{dist = "...", ...}``: unit samples mapped through the scipy ``ppf``:
      ``uniform`` (low, high), ``normal`` (mean, sd), ``truncnormal`` (mean, sd, low, high),
      ``triangular`` (low, mode, high), ``lognormal`` (mean, sd of the underlying normal).

    Attributes:
        low: Lower bound (bounds, uniform, truncnormal, triangular).
        high: Upper bound (bounds, uniform, truncnormal, triangular).
        integer: Round the scaled value to an integer (bounds only).
        levels: The categorical levels.
        dist: Distribution name.
        mean: Mean (normal, truncnormal, lognormal).
        sd: Standard deviation (normal, truncnormal, lognormal).
        mode: Mode (triangular).
    """

    model_config = _FROZEN

    low: float | None = None
    high: float | None = None
    integer: bool = False
    levels: list[Scalar] | None = Field(default=None, min_length=1)
    dist: Literal["uniform", "normal", "truncnormal", "triangular", "lognormal"] | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)
    mode: float | None = None

    @field_validator("levels")
    @classmethod
    def _one_type(cls, v: list[Scalar] | None) -> list[Scalar] | None:
        if v is None:
            return v
        kinds = {type(x) for x in v}
        if kinds <= {int, float} and float in kinds:
            return [float(x) for x in v]
        if len(kinds) != 1:
            raise ValueError("levels must all have one type (all bools, all numbers or all strings)")
        if len(set(v)) != len(v):
            raise ValueError("levels must be distinct")
        return v

    @model_validator(mode="after")
    def _one_form(self) -> ParameterSpec:
        if self.levels is not None:
            extra = [k for k in ("low", "high", "dist", "mean", "sd", "mode") if getattr(self, k) is not None]
            if extra or self.integer:
                raise ValueError(f"levels cannot be combined with {extra or ['integer']}")
            return self
        if self.dist is None:
            if self.low is None or self.high is None:
                raise ValueError("give {low, high}, {levels = [...]} or {dist = ...}")
            if any(getattr(self, k) is not None for k in ("mean", "sd", "mode")):
                raise ValueError("mean/sd/mode need dist = ...")
            if not self.low < self.high:
                raise ValueError(f"low must be < high (got low={self.low}, high={self.high})")
            if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
                raise ValueError("integer parameters need integer low and high")
            return self
        if self.integer:
            raise ValueError("integer applies to {low, high} parameters only")
        need = {
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "truncnormal": ("mean", "sd", "low", "high"),
            "triangular": ("low", "mode", "high"),
            "lognormal": ("mean", "sd"),
        }[self.dist]
        given = [k for k in ("low", "high", "mean", "sd", "mode") if getattr(self, k) is not None]
        if sorted(given) != sorted(need):
            raise ValueError(
                f"dist = {self.dist!r} takes exactly {', '.join(need)} (got {', '.join(given) or 'none'})"
            )
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low must be < high (got low={self.low}, high={self.high})")
        if self.dist == "triangular" and not (self.low <= self.mode <= self.high):  # type: ignore[operator]
            raise ValueError("triangular needs low <= mode <= high")
        return self

    @property
    def kind(self) -> Literal["bounds", "levels", "dist"]:
        """``bounds``, ``levels`` or ``dist``."""
        if self.levels is not None:
            return "levels"
        return "dist" if self.dist is not None else "bounds"

    def frozen_dist(self) -> Any:
        """The scipy frozen distribution of a ``dist`` parameter."""
        from scipy import stats

        match self.dist:
            case "uniform":
                return stats.uniform(loc=self.low, scale=self.high - self.low)
            case "normal":
                return stats.norm(loc=self.mean, scale=self.sd)
            case "truncnormal":
                a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
                return stats.truncnorm(a, b, loc=self.mean, scale=self.sd)
            case "triangular":
                width = self.high - self.low
                return stats.triang((self.mode - self.low) / width, loc=self.low, scale=width)
            case "lognormal":
                return stats.lognorm(s=self.sd, scale=math.exp(self.mean))
        raise ValueError(f"not a distribution parameter: {self!r}")

    def check_values(self) -> list[Scalar]:
        """Values that span this parameter's range, used to validate the path against a scenario."""
        if self.levels is not None:
            return list(self.levels)
        if self.dist is None:
            assert self.low is not None and self.high is not None
            if self.integer:
                return [int(self.low), int(self.high)]
            return [self.low, self.high]
        d = self.frozen_dist()
        return [float(d.ppf(0.001)), float(d.median()), float(d.ppf(0.999))]

    def describe(self, name: str) -> dict[str, Any]:
        """A JSON-ready description for the manifest (name, kind, low, high, levels, integer, dist...)."""
        out: dict[str, Any] = {
            "name": name,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "levels": self.levels,
            "integer": self.integer,
            "dist": self.dist,
        }
        if self.kind == "levels":
            out["low"], out["high"] = 0, len(self.levels) - 1  # type: ignore[arg-type]
        if self.kind == "dist":
            out.update(mean=self.mean, sd=self.sd, mode=self.mode)
        return out


class ExperimentTable(BaseModel):
    """The ``[experiment]`` table.

    Attributes:
        name: Experiment name (letters, digits, ``_``, ``-``).
        description: Free text.
        model: ``"govsim"`` (default), ``"module:function"`` or ``"module:MesaModelClass"``.
        scenario: Base scenario file, relative to the experiment file (govsim model only).
        design: Sampling design.
        samples: Base sample size N (sobol, morris trajectories, fast, lhs) or levels per bounded
            parameter (factorial). Ignored by ``points``.
        replicates: Replicates per design point (common random numbers across points).
        seed: Root seed of the design sampler and of the replicate seeds.
        outcomes: Outcomes to keep; empty = every govsim outcome (required for other models).
        timeseries: Keep the daily time series (govsim and Mesa class models).
        days: Override ``run.days`` of the scenario (govsim only).
        steps: Steps to run a Mesa model class.
        second_order: Sobol: also sample for second-order indices (N(2D+2) rows instead of N(D+2)).
        num_levels: Morris grid levels.
        fast_m: FAST interference parameter M (N must exceed 4M²).
        points: CSV of design points (``points`` design), relative to the experiment file.
        posterior: A ``govsim calibrate`` folder (relative to the experiment file): replicate r of
            every design point also applies posterior draw r mod n (parameter uncertainty, common to
            every point, as the replicate seeds are).
    """

    model_config = _FROZEN

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    model: str = GOVSIM
    scenario: str | None = None
    design: DesignName
    samples: int = Field(default=16, ge=1, le=10_000_000)
    replicates: int = Field(default=1, ge=1, le=100_000)
    seed: int = Field(ge=0, lt=2**63)
    outcomes: list[str] = Field(default_factory=list)
    timeseries: bool = False
    days: int | None = Field(default=None, ge=1)
    steps: int = Field(default=100, ge=0)
    second_order: bool = True
    num_levels: int = Field(default=4, ge=2)
    fast_m: int = Field(default=4, ge=1)
    points: str | None = None
    posterior: str | None = None

    @field_validator("model")
    @classmethod
    def _model_ref(cls, v: str) -> str:
        if v != GOVSIM:
            mod, sep, attr = v.partition(":")
            if not sep or not mod or not attr:
                raise ValueError("model must be 'govsim' or 'package.module:callable'")
        return v

    @model_validator(mode="after")
    def _design_needs(self) -> ExperimentTable:
        if self.design == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"sobol needs samples = a power of 2 (got {self.samples})")
        if self.design == "fast" and self.samples <= 4 * self.fast_m**2:
            raise ValueError(f"fast needs samples > 4·fast_m² = {4 * self.fast_m**2} (got {self.samples})")
        if self.design == "points" and not self.points:
            raise ValueError("design = 'points' needs points = 'file.csv'")
        if self.design != "points" and self.points:
            raise ValueError("points = '...' is only for design = 'points'")
        if self.model == GOVSIM and not self.scenario:
            raise ValueError("the govsim model needs scenario = 'path/to/scenario.toml'")
        if self.model != GOVSIM and self.scenario:
            raise ValueError("scenario is only for model = 'govsim'")
        if self.model != GOVSIM and not self.outcomes:
            raise ValueError("outcomes = [...] is required for models other than govsim")
        if self.model != GOVSIM and self.days is not None:
            raise ValueError("days is only for model = 'govsim' (use steps for Mesa classes)")
        if self.model != GOVSIM and self.posterior is not None:
            raise ValueError("posterior is only for model = 'govsim'")
        return self


def _known_keys(model: type[BaseModel], data: Any, table: str) -> Any:
    """Reject unknown keys of a table with the list of allowed ones (one line)."""
    if isinstance(data, dict):
        extra = sorted(set(data) - set(model.model_fields))
        if extra:
            raise ValueError(f"unknown key {extra[0]!r} in {table}; allowed keys: {', '.join(model.model_fields)}")
    return data


class CalibrationTable(BaseModel):
    """The ``[calibration]`` table: approximate Bayesian computation over the sweep runner.

    Attributes:
        method: ``smc`` (ABC-SMC / population Monte Carlo, Beaumont et al. 2009) or ``rejection``.
        generations: Generations (``rejection`` uses one).
        particles: Parameter sets proposed (and run ``replicates`` times) per generation.
        quantile: Share of each generation's proposals accepted (the tolerance ε is that quantile of
            their distances, never above the previous generation's).
    """

    model_config = _FROZEN

    method: Literal["smc", "rejection"] = "smc"
    generations: int = Field(default=3, ge=1, le=50)
    particles: int = Field(default=200, ge=4, le=1_000_000)
    quantile: float = Field(default=0.3, gt=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        return _known_keys(cls, data, "[calibration]")


class TargetSpec(BaseModel):
    """One calibration target (``[targets.T1]``): an outcome, a value or an interval, a weight.

    Attributes:
        outcome: The model outcome compared with the target (``sim.metrics.ALL_OUTCOME_NAMES``).
        value: Point target (give ``value`` or ``low`` and ``high``).
        low: Lower end of an interval target.
        high: Upper end of an interval target.
        weight: Weight of this target in the distance.
        scale: Discrepancy that counts as one unit (default: half the interval's width; for a point
            target, the median absolute deviation of the outcome over the first generation).
        source: Where the figure comes from (``CALIBRATION_TARGETS.md``).
        mapping: How the published figure maps onto the model outcome.
    """

    model_config = _FROZEN

    outcome: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    weight: float = Field(default=1.0, ge=0.0)
    scale: float | None = Field(default=None, gt=0.0)
    source: str = ""
    mapping: str = ""

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        return _known_keys(cls, data, "a target")

    @model_validator(mode="after")
    def _value_or_interval(self) -> TargetSpec:
        if self.value is not None and (self.low is not None or self.high is not None):
            raise ValueError("give either value or low and high, not both")
        if self.value is None:
            if self.low is None or self.high is None:
                raise ValueError("give value = x, or low = a and high = b")
            if not self.low < self.high:
                raise ValueError(f"low must be < high (got low={self.low}, high={self.high})")
        return self


class StudyFile(BaseModel):
    """What experiment and optimisation files share: the file they came from and its text."""

    _path: Path | None = PrivateAttr(default=None)
    _raw: str = PrivateAttr(default="")

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
        """The folder relative paths in the file are resolved against."""
        return self._path.parent if self._path is not None else Path.cwd()

    def resolve(self, ref: str | Path | None) -> Path | None:
        """``ref``, a path as the file writes it, made absolute against :attr:`base_dir` (None stays None)."""
        return None if ref is None else (self.base_dir / ref).resolve()


class ExperimentSpec(StudyFile):
    """A whole experiment file, validated.

    Attributes:
        experiment: The ``[experiment]`` table.
        parameters: Dotted path → how it varies, in file order.
        fixed: Dotted path → value applied to every run (before the design point's values).
    """

    model_config = _FROZEN

    experiment: ExperimentTable
    parameters: dict[str, ParameterSpec] = Field(min_length=1)
    fixed: dict[str, Any] = Field(default_factory=dict)
    calibration: CalibrationTable | None = None
    targets: dict[str, TargetSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_overlap(self) -> ExperimentSpec:
        both = sorted(set(self.parameters) & set(self.fixed))
        if both:
            raise ValueError(f"{both[0]!r} is both varied in [parameters] and set in [fixed]")
        if self.calibration is not None and not self.targets:
            raise ValueError("[calibration] needs at least one [targets.NAME] table")
        return self

    # --- derived -----------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Varied parameter names (dotted paths) in file order."""
        return list(self.parameters)

    @property
    def scenario_path(self) -> Path | None:
        """Absolute path of the base scenario (govsim only)."""
        return self.resolve(self.experiment.scenario)

    @property
    def points_path(self) -> Path | None:
        """Absolute path of the design-points CSV (``points`` design only)."""
        return self.resolve(self.experiment.points)

    @property
    def posterior_path(self) -> Path | None:
        """Absolute path of the posterior's calibration folder, when given."""
        return self.resolve(self.experiment.posterior)

    @property
    def option_paths(self) -> list[Path]:
        """Absolute paths of the scenario files a ``scenario`` parameter names (empty without one)."""
        p = self.parameters.get(SCENARIO_PARAM)
        if self.experiment.model != GOVSIM or p is None or p.levels is None:
            return []
        return [self.resolve(str(v)) for v in p.levels]

    @cached_property
    def outcome_names(self) -> list[str]:
        """Outcomes kept in the runs table."""
        if self.experiment.outcomes:
            return list(self.experiment.outcomes)
        from govsim.sim.metrics import OUTCOME_NAMES

        return list(OUTCOME_NAMES)

    def content_hash(self) -> str:
        """Hash of what determines the results: parsed content, scenario and points files.

        Comments and formatting of the experiment file do not change it.
        """
        h = hashlib.sha256()
        h.update(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode())
        draws = self.posterior_path / "posterior_draws.csv" if self.posterior_path is not None else None
        for p in (self.scenario_path, self.points_path, *self.option_paths, draws):
            if p is not None and p.exists():
                h.update(p.read_bytes())
        return h.hexdigest()


def _input_error_from(err: ValidationError, file: Path | str) -> InputError:
    from govsim.sim.errors import _dotted  # the same dotting rule as the scenario errors

    loc = list(err.errors(include_url=False)[0].get("loc", ()))
    # Quote dotted parameter paths so `parameters."policy.x".low` stays unambiguous.
    if len(loc) >= 2 and loc[0] in ("parameters", "fixed") and "." in str(loc[1]):
        loc[1] = f'"{loc[1]}"'
    return InputError(file, _dotted(tuple(loc)), from_validation_error(err, file).allowed)


def validate_file_spec[S: StudyFile](model: type[S], data: dict[str, Any], file: Path | str, raw: str = "") -> S:
    """Validate a parsed TOML dict into ``model`` and remember the file it came from and its text.

    Experiment and optimisation files share this: ``file`` in angle brackets (``"<experiment>"``) is
    a label, not a path.

    Raises:
        InputError: On any unknown key, wrong type or value out of range.
    """
    try:
        spec = model.model_validate(data)
    except ValidationError as err:
        raise _input_error_from(err, file) from None
    if not isinstance(file, str) or not file.startswith("<"):
        spec._path = Path(file).resolve()
    spec._raw = raw
    return spec
