"""Reading a sweep results folder and turning replicated runs into one value per design point.

The folder contract (written by ``experiments``): ``manifest.json``, ``design.parquet`` (one row per
design point, SALib sample order) and ``runs.parquet`` (one row per run, with ``status``). This
module is the only place that knows that layout; everything downstream works on
:class:`SweepResults`, which can also be built from plain tables with :meth:`SweepResults.from_table`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from govsim.sim.errors import InputError

#: Columns of ``runs.parquet`` that are bookkeeping, neither parameters nor outcomes.
RUN_META_COLUMNS = ("run_id", "point_id", "replicate", "root_seed", "status", "wall_s", "seed", "error")
OK_STATUS = "ok"

type Stat = str | float


@dataclass(frozen=True)
class Parameter:
    """One swept parameter as the design declares it.

    Attributes:
        name: Dotted name, e.g. ``policy.street_empowerment``; also the column name.
        kind: ``bounds``/``float``/``int``, ``levels``/``categorical``, ``bool`` or ``dist``.
        low: Lower bound in natural units (numeric kinds).
        high: Upper bound in natural units (numeric kinds).
        levels: The allowed values of a categorical parameter, in code order.
    """

    name: str
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    levels: tuple[Any, ...] = ()

    def bounds(self) -> tuple[float, float]:
        """Numeric bounds used in the SALib problem (categoricals are coded 0..k-1)."""
        if self.kind in ("categorical", "levels"):
            return (0.0, float(max(len(self.levels) - 1, 1)))
        if self.kind == "bool":
            return (0.0, 1.0)
        if self.low is None or self.high is None:
            raise InputError("manifest.json", f"design.parameters.{self.name}", "numeric parameters need low and high")
        return (float(self.low), float(self.high))

    def encode(self, values: pd.Series) -> np.ndarray:
        """Map a column in natural units to the numbers SALib sees."""
        if self.kind in ("categorical", "levels"):
            codes = {lv: i for i, lv in enumerate(self.levels)}
            unknown = sorted({str(v) for v in values if v not in codes})
            if unknown:
                raise InputError(
                    "design.parquet", self.name, f"levels must be one of {list(self.levels)}; got {unknown[:5]}"
                )
            return np.array([codes[v] for v in values], dtype=float)
        return values.astype(float).to_numpy()


@dataclass
class SweepResults:
    """A sweep's design, runs and provenance, in memory.

    Attributes:
        parameters: The swept parameters, in SALib problem order.
        outcomes: Outcome column names.
        design: One row per design point (``point_id`` + parameter columns), SALib sample order.
        runs: One row per run, including failed ones (``status`` column).
        manifest: The raw manifest (empty for plain tables).
        source: Where the results came from (a folder or ``<table>``), used in messages.
        unit_design: The sampler's own matrix on the unit hypercube (``design_unit.parquet``),
            when the runner wrote it; SALib then sees exactly what it sampled.
    """

    parameters: list[Parameter]
    outcomes: list[str]
    design: pd.DataFrame
    runs: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    source: str = "<table>"
    unit_design: pd.DataFrame | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame,
        problem: dict[str, Any],
        outcomes: list[str] | None = None,
        *,
        design_name: str = "points",
        design_info: dict[str, Any] | None = None,
    ) -> SweepResults:
        """Build from a plain table of runs and a SALib-style problem.

        Args:
            table: Parameter columns + outcome columns; optionally ``point_id``, ``replicate`` and
                ``status``. Without ``point_id`` every row is its own design point, in row order
                (which must then be the sampler's order for Sobol, Morris and FAST).
            problem: ``{"names": [...], "bounds": [[lo, hi], ...]}``.
            outcomes: Outcome columns; default every column that is neither a parameter nor bookkeeping.
            design_name: The sampler that produced the rows (``sobol``, ``morris``, ``fast``, ``lhs``...).
            design_info: Extra design keys (``second_order``, ``num_levels``, ``samples``).
        """
        names = list(problem["names"])
        missing = [n for n in names if n not in table.columns]
        if missing:
            raise InputError("<table>", missing[0], f"parameter column missing; columns are {list(table.columns)}")
        params = [Parameter(n, "float", float(b[0]), float(b[1])) for n, b in zip(names, problem["bounds"], strict=True)]
        runs = table.copy()
        if "point_id" not in runs.columns:
            runs["point_id"] = np.arange(len(runs))
        if "replicate" not in runs.columns:
            runs["replicate"] = runs.groupby("point_id").cumcount()
        if "status" not in runs.columns:
            runs["status"] = OK_STATUS
        if outcomes is None:
            outcomes = [c for c in runs.columns if c not in names and c not in RUN_META_COLUMNS]
        design = runs.drop_duplicates("point_id")[["point_id", *names]].sort_values("point_id").reset_index(drop=True)
        info = {"name": design_name, **(design_info or {})}
        info.setdefault("samples", None)
        manifest = {"design": info, "experiment": {"name": "<table>", "design": design_name, "outcomes": outcomes}}
        res = cls(params, list(outcomes), design, runs, manifest, "<table>")
        res.check_outcomes(res.outcomes)
        return res

    @classmethod
    def load(cls, folder: str | Path) -> SweepResults:
        """Read a results folder written by ``experiments``.

        Raises:
            InputError: The folder, the manifest or a table is missing or malformed.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(folder, "", "results folder does not exist")
        mpath = folder / "manifest.json"
        if not mpath.is_file():
            raise InputError(mpath, "", "no manifest.json; expected a results folder written by 'govsim sweep'")
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(mpath, "", f"not readable JSON ({err})") from err
        design_info = manifest.get("design")
        if not isinstance(design_info, dict) or not isinstance(design_info.get("parameters"), list):
            raise InputError(mpath, "design.parameters", "a list of {name, kind, low, high, levels}")
        params = []
        for i, p in enumerate(design_info["parameters"]):
            if not isinstance(p, dict) or "name" not in p:
                raise InputError(mpath, f"design.parameters.{i}", "an object with at least 'name'")
            params.append(
                Parameter(
                    name=str(p["name"]),
                    kind=str(p.get("kind", "float")),
                    low=p.get("low"),
                    high=p.get("high"),
                    levels=tuple(p.get("levels") or ()),
                )
            )
        rpath = folder / "runs.parquet"
        if not rpath.is_file():
            raise InputError(rpath, "", "runs.parquet is missing; has the sweep run?")
        runs = pd.read_parquet(rpath)
        for col in ("point_id", "status"):
            if col not in runs.columns:
                raise InputError(rpath, col, f"required column missing; columns are {list(runs.columns)}")
        dpath = folder / "design.parquet"
        names = [p.name for p in params]
        if dpath.is_file():
            design = pd.read_parquet(dpath)
        else:  # fall back on the runs: one row per point, in point_id order
            design = runs.drop_duplicates("point_id")[["point_id", *[n for n in names if n in runs.columns]]]
            design = design.sort_values("point_id").reset_index(drop=True)
        missing = [n for n in names if n not in design.columns]
        if missing:
            raise InputError(dpath, missing[0], f"parameter column missing; columns are {list(design.columns)}")
        exp = _experiment_of(manifest)
        outcomes = list(manifest.get("outcomes") or exp.get("outcomes") or [])
        if not outcomes:
            outcomes = [c for c in runs.columns if c not in names and c not in RUN_META_COLUMNS]
        outcomes = [o for o in outcomes if o in runs.columns] or outcomes
        if "replicate" not in runs.columns:
            runs["replicate"] = runs.groupby("point_id").cumcount()
        unit = None
        upath = folder / "design_unit.parquet"
        if upath.is_file():
            unit = pd.read_parquet(upath)
            if list(unit["point_id"]) != list(design["point_id"]) or any(n not in unit.columns for n in names):
                raise InputError(upath, "point_id", "must list the same points and parameters as design.parquet")
        return cls(params, outcomes, design, runs, manifest, str(folder), unit)

    # ------------------------------------------------------------------ views
    @property
    def names(self) -> list[str]:
        """Parameter names in problem order."""
        return [p.name for p in self.parameters]

    @property
    def design_name(self) -> str:
        """The sampler that produced the design (``sobol``, ``morris``, ``fast``, ``lhs``...)."""
        d = self.manifest.get("design") or {}
        return str(d.get("name") or self.experiment.get("design") or "points")

    @property
    def experiment(self) -> dict[str, Any]:
        """The experiment table of the manifest (name, design, samples, replicates, seed...)."""
        return _experiment_of(self.manifest)

    def better(self, outcome: str) -> str:
        """Which direction of ``outcome`` is better, as the results' manifest records it.

        Falls back to the model's outcome registry for folders written before the manifest carried
        ``outcome_meta``; ``unknown`` for an outcome neither knows.
        """
        from govsim.analysis.compare import better_direction, outcome_directions

        return better_direction(outcome, outcome_directions(self.manifest))

    @property
    def design_info(self) -> dict[str, Any]:
        """The manifest's ``design`` dict."""
        return dict(self.manifest.get("design") or {})

    def problem(self) -> dict[str, Any]:
        """The SALib problem dict for these parameters (the unit problem when the unit matrix exists)."""
        if self.unit_design is not None:
            return {"num_vars": len(self.parameters), "names": self.names, "bounds": [[0.0, 1.0]] * len(self.parameters)}
        bounds = []
        for p in self.parameters:
            if p.kind == "dist" and (p.low is None or p.high is None):  # unbounded: the sampled range
                col = self.design[p.name].astype(float)
                bounds.append([float(col.min()), float(col.max())])
            else:
                bounds.append(list(p.bounds()))
        return {"num_vars": len(self.parameters), "names": self.names, "bounds": bounds}

    def check_outcomes(self, outcomes: list[str]) -> None:
        """Raise :class:`InputError` naming the first outcome that is not a column of the runs."""
        for o in outcomes:
            if o not in self.runs.columns:
                raise InputError(
                    f"{self.source}/runs.parquet" if self.source != "<table>" else "<table>",
                    o,
                    f"unknown outcome; available: {self.outcomes}",
                )

    def ok_runs(self) -> pd.DataFrame:
        """Runs whose status is ``ok``."""
        return self.runs[self.runs["status"] == OK_STATUS]

    def failed_summary(self) -> dict[str, int]:
        """Number of runs per non-ok status."""
        bad = self.runs[self.runs["status"] != OK_STATUS]
        return {str(k): int(v) for k, v in bad["status"].value_counts().items()}

    def encoded_design(self) -> np.ndarray:
        """The design matrix in SALib's numeric coding, one row per design point in sample order."""
        if self.unit_design is not None:
            return self.unit_design[self.names].to_numpy(float)
        return np.column_stack([p.encode(self.design[p.name]) for p in self.parameters])

    def natural_design(self) -> np.ndarray:
        """The design matrix in the parameters' own units (categorical levels as their integer codes).

        Scenario discovery reports box limits in these units, so a box on ``world.trust_loss_weight``
        reads 2.8–5.0 rather than the sampler's 0.45–1.0.
        """
        return np.column_stack([p.encode(self.design[p.name]) for p in self.parameters])

    def aggregate(self, outcome: str, stat: Stat = "mean") -> pd.Series:
        """One value per design point: the replicate statistic over ok runs, indexed by ``point_id``.

        Points with no ok run are absent; outcome values that are NaN are ignored.
        """
        self.check_outcomes([outcome])
        ok = self.ok_runs()[["point_id", outcome]].dropna()
        g = ok.groupby("point_id")[outcome]
        q = _quantile_of(stat)
        if q is not None:
            out = g.quantile(q)
        elif stat == "mean":
            out = g.mean()
        elif stat == "median":
            out = g.median()
        elif stat == "std":
            out = g.std(ddof=1).fillna(0.0)
        elif stat == "var":
            out = g.var(ddof=1).fillna(0.0)
        else:
            raise InputError("--stat", "stat", f"one of mean, median, std, var, q<percent> (e.g. q90) or a float in (0, 1); got {stat!r}")
        return out.astype(float)

    def noise_share(self, outcome: str) -> float:
        """Share of the outcome's variance over ok runs that is replicate noise.

        Pooled within-point variance (each point's replicate variance with ddof=1, pooled over
        points by degrees of freedom) divided by the variance of all ok runs (ddof=1): about 0
        for a deterministic model, about 1 when parameters explain nothing. NaN without replicates.
        """
        ok = self.ok_runs()[["point_id", outcome]].dropna()
        sizes = ok.groupby("point_id").size()
        if ok.empty or sizes.max() < 2:
            return float("nan")
        y = ok[outcome].to_numpy(float)
        total = float(y.var(ddof=1))
        if total == 0.0:
            return 0.0
        point_mean = ok.groupby("point_id")[outcome].transform("mean").to_numpy(float)
        within = float(((y - point_mean) ** 2).sum() / (len(y) - len(sizes)))
        return within / total

    def replicates(self) -> int:
        """Replicates per point as designed (manifest), else the largest count seen."""
        r = self.design_info.get("replicates") or self.experiment.get("replicates")
        if r:
            return int(r)
        return int(self.runs.groupby("point_id").size().max()) if len(self.runs) else 0


def _quantile_of(stat: Stat) -> float | None:
    """Parse ``q90``/``q0.9``/``0.9`` into a quantile in (0, 1); None for named statistics."""
    if isinstance(stat, int | float) and not isinstance(stat, bool):
        q = float(stat)
    elif isinstance(stat, str) and stat.startswith("q"):
        try:
            q = float(stat[1:])
        except ValueError:
            return None
        if q > 1:
            q /= 100.0
    else:
        return None
    if not (0.0 < q < 1.0) or math.isnan(q):
        raise InputError("--stat", "stat", f"a quantile must lie in (0, 1) or (0, 100) as q<percent>; got {stat!r}")
    return q


def _experiment_of(manifest: dict[str, Any]) -> dict[str, Any]:
    """The ``[experiment]`` table, whether the manifest nests it (runner) or not (plain tables)."""
    exp = manifest.get("experiment") or {}
    if isinstance(exp.get("experiment"), dict):
        return dict(exp["experiment"])
    return dict(exp)
