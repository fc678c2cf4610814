"""Scenario discovery: where in parameter space does an outcome go bad?

PRIM (Friedman & Fisher 1999, as used in scenario discovery by Bryant & Lempert 2010) peels a box
down from the whole sample, each step removing the ``alpha`` share of the box's points on the one
side of one parameter that most raises the share of "bad" cases inside (the *density*), until the
box holds less than ``min_mass`` of the sample. Every step is kept as the peeling trajectory
(coverage = share of all bad cases inside the box; density = share of the box that is bad). The
chosen box is then *pasted*: a side is widened again while that raises density. Extra-trees
feature importance gives a complementary, box-free ranking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from govsim.analysis.results import Stat, SweepResults
from govsim.sim.errors import InputError


@dataclass
class PrimResult:
    """Outcome of one PRIM run.

    Attributes:
        trajectory: One row per peeling step: ``step, coverage, density, mass, n_restricted``.
        limits: Per step, ``{parameter: (low, high)}`` of the box.
        chosen: Index of the chosen step in ``trajectory``.
        box: Limits of the chosen (pasted) box, restricted parameters only:
            ``parameter, low, high, data_low, data_high``.
        coverage: Coverage of the chosen box.
        density: Density of the chosen box.
        mass: Share of all points inside the chosen box.
        base_density: Share of bad cases in the whole sample.
        info: What was searched for (outcome, threshold, direction, N...).
    """

    trajectory: pd.DataFrame
    limits: list[dict[str, tuple[float, float]]]
    chosen: int
    box: pd.DataFrame
    coverage: float
    density: float
    mass: float
    base_density: float
    info: dict[str, Any] = field(default_factory=dict)


def _inside(X: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.all((X >= lo) & (X <= hi), axis=1)


def _stats(y: np.ndarray, mask: np.ndarray, total_bad: float) -> tuple[float, float, float]:
    n = mask.sum()
    bad = y[mask].sum()
    cov = bad / total_bad if total_bad else 0.0
    dens = bad / n if n else 0.0
    return float(cov), float(dens), float(n / len(y))


def prim(
    X: pd.DataFrame,
    y: np.ndarray | pd.Series,
    *,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    paste: bool = True,
    select: str | int = "product",
) -> PrimResult:
    """Peeling-and-pasting PRIM on numeric inputs and a boolean "bad case" vector.

    Args:
        X: Numeric parameter columns (one row per case).
        y: True where the case is of interest (the outcome is bad).
        alpha: Share of the box's points removed per peel (and added per paste).
        min_mass: Peeling stops before the box would hold fewer than this share of all points.
        paste: Widen the chosen box again while that raises its density.
        select: ``product`` picks the step maximising coverage × density (earliest on ties);
            ``density`` the densest box; an int picks that step.

    Returns:
        A :class:`PrimResult`.
    """
    names = list(X.columns)
    A = X.to_numpy(float)
    yb = np.asarray(y, dtype=float)
    if len(yb) != len(A):
        raise ValueError("X and y differ in length")
    if not (0 < alpha < 0.5) or not (0 < min_mass < 1):
        raise ValueError("need 0 < alpha < 0.5 and 0 < min_mass < 1")
    total_bad = float(yb.sum())
    data_lo, data_hi = A.min(axis=0), A.max(axis=0)
    lo, hi = data_lo.copy(), data_hi.copy()
    mask = np.ones(len(A), bool)
    steps: list[dict[str, Any]] = []
    limits: list[dict[str, tuple[float, float]]] = []

    def record() -> None:
        cov, dens, mass = _stats(yb, mask, total_bad)
        restricted = int(np.sum((lo > data_lo) | (hi < data_hi)))
        steps.append({"step": len(steps), "coverage": cov, "density": dens, "mass": mass, "n_restricted": restricted})
        limits.append({n: (float(lo[j]), float(hi[j])) for j, n in enumerate(names)})

    record()
    n_min = min_mass * len(A)
    while True:
        best: tuple[float, int, str, float] | None = None
        inbox = A[mask]
        for j in range(A.shape[1]):
            col = inbox[:, j]
            for side in ("low", "high"):
                # the quantile cut removes at least the extreme point, more when values tie
                cut = np.quantile(col, alpha if side == "low" else 1 - alpha)
                keep = col > cut if side == "low" else col < cut
                if keep.all() or keep.sum() < max(n_min, 1):
                    continue
                dens = yb[mask][keep].mean()
                # ties: prefer the peel removing fewer points (keeps more coverage)
                key = (dens, keep.sum())
                if best is None or key > (best[0], best[3]):
                    best = (float(dens), j, side, float(keep.sum()))
                    best_cut = cut
        if best is None:
            break
        _, j, side, _ = best
        if side == "low":
            lo[j] = np.min(inbox[inbox[:, j] > best_cut, j])
        else:
            hi[j] = np.max(inbox[inbox[:, j] < best_cut, j])
        mask = _inside(A, lo, hi)
        record()
    traj = pd.DataFrame(steps)
    if select == "product":
        chosen = int((traj["coverage"] * traj["density"]).to_numpy().argmax())
    elif select == "density":
        chosen = int(traj["density"].to_numpy().argmax())
    else:
        chosen = int(select)
    lo = np.array([limits[chosen][n][0] for n in names])
    hi = np.array([limits[chosen][n][1] for n in names])
    if paste:
        lo, hi = _paste(A, yb, lo, hi, alpha)
    mask = _inside(A, lo, hi)
    cov, dens, mass = _stats(yb, mask, total_bad)
    box = pd.DataFrame(
        [
            {"parameter": n, "low": lo[j], "high": hi[j], "data_low": data_lo[j], "data_high": data_hi[j]}
            for j, n in enumerate(names)
            if lo[j] > data_lo[j] or hi[j] < data_hi[j]
        ],
        columns=["parameter", "low", "high", "data_low", "data_high"],
    )
    return PrimResult(traj, limits, chosen, box, cov, dens, mass, float(yb.mean()) if len(yb) else 0.0,
                      {"alpha": alpha, "min_mass": min_mass, "N": len(yb)})


def _paste(A: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Widen one side at a time by about ``alpha`` of the box's points while density rises."""
    lo, hi = lo.copy(), hi.copy()
    while True:
        mask = _inside(A, lo, hi)
        n_box = mask.sum()
        dens0 = y[mask].mean() if n_box else 0.0
        n_add = max(1, int(round(alpha * n_box)))
        best = None
        for j in range(A.shape[1]):
            others = np.ones(len(A), bool)
            for k in range(A.shape[1]):
                if k != j:
                    others &= (A[:, k] >= lo[k]) & (A[:, k] <= hi[k])
            for side in ("low", "high"):
                cand = A[others & ((A[:, j] < lo[j]) if side == "low" else (A[:, j] > hi[j])), j]
                if len(cand) == 0:
                    continue
                cand = np.sort(cand)
                new = cand[-min(n_add, len(cand))] if side == "low" else cand[min(n_add, len(cand)) - 1]
                nlo, nhi = lo.copy(), hi.copy()
                if side == "low":
                    nlo[j] = new
                else:
                    nhi[j] = new
                m2 = _inside(A, nlo, nhi)
                dens = y[m2].mean()
                if dens > dens0 and (best is None or dens > best[0]):
                    best = (dens, nlo, nhi)
        if best is None:
            return lo, hi
        _, lo, hi = best


def feature_importance(
    X: pd.DataFrame,
    y: np.ndarray | pd.Series,
    *,
    seed: int = 0,
    n_estimators: int = 300,
    classify: bool | None = None,
) -> pd.DataFrame:
    """Extra-trees impurity importance of each parameter for ``y``, ranked (seeded).

    Args:
        X: Numeric parameter columns.
        y: Outcome (continuous → regressor) or boolean class (→ classifier).
        seed: ``random_state`` of the forest.
        n_estimators: Number of trees.
        classify: Force classification (True) or regression (False); default from ``y``'s dtype.

    Returns:
        ``parameter, importance, std, rank`` (``std`` over trees), sorted by importance.
    """
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    yv = np.asarray(y)
    if classify is None:
        classify = yv.dtype == bool or (len(np.unique(yv)) <= 2 and np.isin(np.unique(yv), [0, 1]).all())
    est_cls = ExtraTreesClassifier if classify else ExtraTreesRegressor
    est = est_cls(n_estimators=n_estimators, random_state=seed, n_jobs=1, min_samples_leaf=2)
    est.fit(X.to_numpy(float), yv.astype(int) if classify else yv.astype(float))
    per_tree = np.array([t.feature_importances_ for t in est.estimators_])
    out = pd.DataFrame({"parameter": list(X.columns), "importance": est.feature_importances_, "std": per_tree.std(axis=0)})
    out = out.sort_values("importance", ascending=False, ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def bad_cases(values: pd.Series | np.ndarray, threshold: float, direction: str) -> np.ndarray:
    """Boolean vector: ``values > threshold`` (``above``) or ``values < threshold`` (``below``)."""
    v = np.asarray(values, float)
    if direction == "above":
        return v > threshold
    if direction == "below":
        return v < threshold
    raise InputError("--direction", "direction", f"above or below; got {direction!r}")


def discover(
    results: SweepResults,
    outcome: str,
    threshold: float,
    direction: str = "above",
    *,
    stat: Stat = "mean",
    alpha: float = 0.05,
    min_mass: float = 0.05,
    seed: int = 0,
) -> tuple[PrimResult, pd.DataFrame]:
    """PRIM box and extra-trees ranking for "``outcome`` is bad" over a sweep's design points.

    Replicates are reduced per design point with ``stat`` first; points without an ok run are
    dropped. Box limits are in the parameters' own units; categorical parameters enter in their integer
    coding (the level's position in the experiment file's ``levels`` list).

    Returns:
        ``(prim_result, importance_table)``.
    """
    results.check_outcomes([outcome])
    agg = results.aggregate(outcome, stat)
    X = pd.DataFrame(results.natural_design(), columns=results.names)
    X.index = results.design["point_id"].to_numpy()
    X = X.loc[X.index.intersection(agg.index)]
    yv = agg.reindex(X.index).to_numpy(float)
    bad = bad_cases(yv, threshold, direction)
    if bad.sum() == 0 or bad.all():
        raise InputError(
            "--threshold", "threshold",
            f"{outcome} {direction} {threshold} holds for {int(bad.sum())} of {len(bad)} points; choose a threshold"
            f" inside the observed range [{np.nanmin(yv):.4g}, {np.nanmax(yv):.4g}]",
        )
    res = prim(X.reset_index(drop=True), bad, alpha=alpha, min_mass=min_mass)
    res.info.update({"outcome": outcome, "threshold": threshold, "direction": direction, "stat": str(stat)})
    imp = feature_importance(X.reset_index(drop=True), bad, seed=seed)
    imp.insert(1, "outcome", outcome)
    return res, imp
