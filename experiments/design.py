"""Designs: turn an experiment's parameters into a table of design points.

Every sampler works on the unit hypercube ``[0, 1]^D`` (SALib with unit bounds, the experiment's
seed passed to every sampler); each column is then mapped to natural units by its parameter:

* bounds: ``low + u·(high − low)``, rounded for ``integer = true``;
* levels: ``levels[min(floor(u·k), k − 1)]``;
* distributions: the scipy ``ppf`` of ``u`` (clipped to ``[1e-9, 1 − 1e-9]``; Morris and factorial
  use the centres of equal-probability bins instead of the unbounded tails).

Row ``i`` of the sample matrix is design point ``point_id = i``: SALib's analyzers rely on that order.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from govsim.sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    from govsim.experiments.spec_models import ExperimentSpec, ParameterSpec

_EPS = 1e-9


@dataclass(frozen=True)
class Design:
    """A sampled design.

    Attributes:
        unit: ``(n_points, D)`` sample matrix on the unit hypercube, row i = point i.
        points: Design points in natural units: ``point_id`` + one column per parameter.
        names: Parameter names (dotted paths), in column order.
    """

    unit: np.ndarray
    points: pd.DataFrame
    names: list[str]

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return len(self.points)


def expected_size(spec: ExperimentSpec) -> int | None:
    """Number of design points the design will have (None for ``points``: the CSV decides)."""
    ex, d = spec.experiment, len(spec.parameters)
    n = ex.samples
    match ex.design:
        case "sobol":
            return n * (2 * d + 2) if ex.second_order and d > 1 else n * (d + 2)
        case "morris":
            return n * (d + 1)
        case "fast":
            return n * d
        case "lhs":
            return n
        case "factorial":
            return math.prod(len(_factorial_units(p, n)) for p in spec.parameters.values())
    return None


def unit_problem(spec: ExperimentSpec) -> dict[str, Any]:
    """The SALib problem on the unit hypercube that the sample matrix was drawn from."""
    names = spec.names
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def build_design(spec: ExperimentSpec) -> Design:
    """Sample the experiment's design.

    Raises:
        InputError: For a bad ``points`` CSV.
    """
    import pandas as pd

    ex = spec.experiment
    problem = unit_problem(spec)
    seed = ex.seed
    params = list(spec.parameters.values())
    if ex.design == "points":
        natural = read_points(spec)
        unit = np.column_stack([_to_unit(p, natural[n].to_numpy()) for n, p in spec.parameters.items()])
        points = natural
    else:
        if ex.design == "sobol":
            from SALib.sample import sobol

            second = ex.second_order and len(params) > 1
            unit = sobol.sample(problem, ex.samples, calc_second_order=second, seed=seed)
        elif ex.design == "morris":
            from SALib.sample import morris

            unit = morris.sample(problem, ex.samples, num_levels=ex.num_levels, seed=seed)
        elif ex.design == "fast":
            from SALib.sample import fast_sampler

            unit = fast_sampler.sample(problem, ex.samples, M=ex.fast_m, seed=seed)
        elif ex.design == "lhs":
            from SALib.sample import latin

            unit = latin.sample(problem, ex.samples, seed=seed)
        elif ex.design == "factorial":
            axes = [_factorial_units(p, ex.samples) for p in params]
            unit = np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(params))
        else:  # pragma: no cover - the spec's Literal forbids it
            raise AssertionError(ex.design)
        unit = np.asarray(unit, dtype=float)
        cols: dict[str, Any] = {"point_id": np.arange(len(unit), dtype=np.int64)}
        for j, (name, p) in enumerate(spec.parameters.items()):
            u = unit[:, j]
            if p.kind == "dist" and ex.design == "morris":
                u = (u * (ex.num_levels - 1) + 0.5) / ex.num_levels
            cols[name] = from_unit(p, u)
        points = pd.DataFrame(cols)
    return Design(unit=unit, points=points, names=spec.names)


def _factorial_units(p: ParameterSpec, n: int) -> list[float]:
    """Unit coordinates of the factorial levels of one parameter."""
    if p.kind == "levels":
        k = len(p.levels or [])
        return [(i + 0.5) / k for i in range(k)]
    if p.kind == "dist":
        return [(i + 0.5) / n for i in range(n)]
    if n == 1:
        return [0.5]
    us = [i / (n - 1) for i in range(n)]
    if p.integer:  # drop levels that round to the same integer
        seen: dict[int, float] = {}
        for u in us:
            seen.setdefault(round(p.low + u * (p.high - p.low)), u)  # type: ignore[operator]
        us = list(seen.values())
    return us


def from_unit(p: ParameterSpec, u: np.ndarray) -> np.ndarray:
    """Map unit samples of one parameter to natural units."""
    u = np.asarray(u, dtype=float)
    if p.kind == "levels":
        levels = list(p.levels or [])
        idx = np.minimum(np.floor(u * len(levels)).astype(np.int64), len(levels) - 1)
        idx = np.maximum(idx, 0)
        return np.array([levels[i] for i in idx], dtype=_level_dtype(levels))
    if p.kind == "dist":
        return np.asarray(p.frozen_dist().ppf(np.clip(u, _EPS, 1 - _EPS)), dtype=float)
    x = p.low + u * (p.high - p.low)  # type: ignore[operator]
    if p.integer:
        return np.clip(np.rint(x), p.low, p.high).astype(np.int64)
    return x


def _to_unit(p: ParameterSpec, x: np.ndarray) -> np.ndarray:
    """Inverse of :func:`from_unit` (for ``points`` designs): level → bin centre, dist → cdf."""
    if p.kind == "levels":
        levels = list(p.levels or [])
        return np.array([(levels.index(v) + 0.5) / len(levels) for v in x], dtype=float)
    if p.kind == "dist":
        return np.asarray(p.frozen_dist().cdf(x.astype(float)), dtype=float)
    return (x.astype(float) - p.low) / (p.high - p.low)  # type: ignore[operator]


def _level_dtype(levels: list[Any]) -> Any:
    first = levels[0]
    if isinstance(first, bool):
        return bool
    if isinstance(first, int):
        return np.int64
    if isinstance(first, float):
        return float
    return object


def read_points(spec: ExperimentSpec) -> pd.DataFrame:
    """Read and check the ``points`` CSV: one column per parameter, values inside their range.

    Raises:
        InputError: Naming the CSV, the column (and row) at fault and what is allowed.
    """
    import pandas as pd

    path = spec.points_path
    assert path is not None
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(spec.path, "experiment.points", f"file not found: {path}") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(path, "", f"malformed CSV: {exc}") from None
    names = spec.names
    missing = [n for n in names if n not in df.columns]
    extra = [c for c in df.columns if c not in names and c != "point_id"]
    if missing or extra:
        raise InputError(
            path, (missing or extra)[0], f"columns must be the experiment's parameters: {', '.join(names)}"
        )
    if len(df) == 0:
        raise InputError(path, "", "no design points (the CSV has a header but no rows)")
    out: dict[str, Any] = {"point_id": np.arange(len(df), dtype=np.int64)}
    for name, p in spec.parameters.items():
        out[name] = _parse_column(path, name, p, df[name].tolist())
    return pd.DataFrame(out)


def _parse_column(path: Any, name: str, p: ParameterSpec, cells: list[str]) -> np.ndarray:
    vals: list[Any] = []
    for row, cell in enumerate(cells, start=2):  # row 1 is the header
        key = f"{name} (row {row})"
        cell = cell.strip()
        try:
            if p.kind == "levels":
                levels = list(p.levels or [])
                as_text = {str(v).lower(): v for v in levels}
                if isinstance(levels[0], bool):
                    as_text.update({"1": True, "0": False, "yes": True, "no": False})
                v = as_text.get(cell.lower())
                if v is None:
                    for lv in levels:
                        if isinstance(lv, float | int) and not isinstance(lv, bool) and float(cell) == lv:
                            v = lv
                if v is None:
                    raise ValueError
            elif p.integer:
                f = float(cell)
                if f != int(f):
                    raise ValueError
                v = int(f)
            else:
                v = float(cell)
        except ValueError:
            allowed = (
                f"one of {p.levels}" if p.kind == "levels" else ("an integer" if p.integer else "a number")
            )
            raise InputError(path, key, f"{allowed} (got {cell!r})") from None
        if p.low is not None and p.high is not None and p.kind != "levels" and not p.low <= v <= p.high:
            raise InputError(path, key, f"a value in [{p.low}, {p.high}] (got {cell!r})")
        vals.append(v)
    if p.kind == "levels":
        return np.array(vals, dtype=_level_dtype(list(p.levels or [])))
    return np.array(vals, dtype=np.int64 if p.integer else float)
