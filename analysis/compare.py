"""Comparing reform options run with common random numbers.

Replicate ``r`` of every scenario uses the same seed, so differences are taken *within* a
replicate (paired) before any averaging: the shared noise cancels and intervals shrink. Intervals
for differences are seeded BCa bootstraps of the paired differences; intervals for a scenario's own
mean are Student-t intervals. The effect size is Cohen's ``d_z`` (mean paired difference over the
standard deviation of the paired differences).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from govsim.sim.errors import InputError

COLUMNS = [
    "scenario", "outcome", "n", "mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high",
    "effect_size", "better", "rank", "cost", "cost_delta", "cost_effectiveness", "ce_note",
]


@functools.cache
def _registry() -> dict[str, str]:
    """Directions declared in the model's outcome registry (``sim.metrics.ALL_OUTCOMES``)."""
    from govsim.sim.metrics import ALL_OUTCOMES

    return {name: str(o.better) for name, o in ALL_OUTCOMES.items()}


def outcome_directions(manifest: Mapping[str, Any] | None) -> dict[str, str]:
    """Outcome → ``lower``/``higher``/``neither`` as a results folder's manifest records it.

    Sweeps and comparisons write each outcome's unit, direction and description into
    ``manifest.json`` (``outcome_meta``), so results keep the meaning they were produced with.
    """
    meta = (manifest or {}).get("outcome_meta") or {}
    return {name: str(m["better"]) for name, m in meta.items() if isinstance(m, Mapping) and "better" in m}


def better_direction(outcome: str, overrides: Mapping[str, str] | None = None) -> str:
    """``lower``, ``higher``, ``neither`` or ``unknown`` for an outcome name.

    Looked up in ``overrides`` (a results manifest's directions, :func:`outcome_directions`), then in
    the model's outcome registry, where each outcome declares its direction once. The analysis keeps
    no list of its own: an outcome neither knows is ``unknown``.
    """
    if overrides and outcome in overrides:
        return overrides[outcome]
    return _registry().get(outcome, "unknown")


def t_interval(x: np.ndarray, conf_level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean (the point itself when n < 2 or all values are equal)."""
    from scipy import stats

    x = np.asarray(x, float)
    m = float(x.mean())
    if len(x) < 2 or float(x.std(ddof=1)) == 0.0:
        return m, m
    h = float(stats.t.ppf(0.5 + conf_level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m - h, m + h


def paired_bootstrap(
    d: np.ndarray, *, n_boot: int = 2000, seed: int = 0, conf_level: float = 0.95
) -> tuple[float, float]:
    """BCa bootstrap interval of the mean of paired differences ``d`` (seeded).

    Falls back to the percentile method when BCa is undefined, and to the point itself when all
    differences are equal (no sampling variability to speak of).
    """
    from scipy import stats

    d = np.asarray(d, float)
    m = float(d.mean())
    if len(d) < 2 or np.ptp(d) == 0.0:
        return m, m
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns about degenerate BCa; we fall back below
            res = stats.bootstrap(
                (d,), np.mean, n_resamples=n_boot, confidence_level=conf_level, method=method,
                rng=np.random.default_rng(seed),
            )
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if np.isfinite(lo) and np.isfinite(hi):
            return lo, hi
    return m, m


def _rank(means: pd.Series, direction: str) -> pd.Series:
    if direction not in ("lower", "higher"):
        return pd.Series(np.nan, index=means.index)
    return means.rank(ascending=direction == "lower", method="min")


def compare_runs(
    runs: pd.DataFrame,
    outcomes: list[str],
    reference: str | None = None,
    costs: dict[str, float] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    *,
    conf_level: float = 0.95,
    better: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Per-outcome comparison of scenarios against a reference, paired by replicate.

    Args:
        runs: Long table with ``scenario``, ``replicate`` and one column per outcome.
        outcomes: Outcomes to compare.
        reference: Reference scenario; default the first scenario in ``runs``.
        costs: Cost per year of each scenario; default the mean of a ``cost`` column if present.
        n_boot: Bootstrap resamples for the paired-difference intervals.
        seed: Seed of the bootstrap.
        conf_level: Confidence level of all intervals.
        better: Overrides of the improvement direction (``lower``/``higher``) per outcome.

    Returns:
        One row per scenario and outcome with :data:`COLUMNS`: ``mean`` with its t interval;
        ``diff`` = scenario − reference averaged over paired replicates, with its BCa interval;
        ``effect_size`` = Cohen's d_z; ``better`` (see :func:`better_direction`); ``rank`` (1 = best;
        empty when the direction is ``neither`` or ``unknown``); ``cost`` per year,
        ``cost_delta`` vs the reference, ``cost_effectiveness`` = improvement / cost_delta where
        improvement is the diff signed so that positive means better, and ``ce_note``
        (``reference``, ``dominant``, ``dominated``, ``trade-off``, ``cheaper-worse``).
        ``attrs`` holds ``reference``, ``conf_level``, ``n_boot``, ``seed`` and ``warnings``.
    """
    for col in ("scenario", "replicate"):
        if col not in runs.columns:
            raise InputError("<runs>", col, f"required column missing; columns are {list(runs.columns)}")
    for o in outcomes:
        if o not in runs.columns:
            raise InputError("<runs>", o, f"unknown outcome; columns are {list(runs.columns)}")
    scenarios = list(dict.fromkeys(runs["scenario"].tolist()))
    if reference is None:
        reference = scenarios[0]
    if reference not in scenarios:
        raise InputError("<runs>", "reference", f"one of {scenarios}; got {reference!r}")
    scenarios = [reference] + [s for s in scenarios if s != reference]
    notes: list[str] = []
    cost_of: dict[str, float] = {}
    for s in scenarios:
        if costs and s in costs:
            cost_of[s] = float(costs[s])
        elif "cost" in runs.columns:
            cost_of[s] = float(runs.loc[runs["scenario"] == s, "cost"].mean())
        else:
            cost_of[s] = float("nan")
    rows: list[dict[str, Any]] = []
    for oi, outcome in enumerate(outcomes):
        direction = better_direction(outcome, better)
        if direction not in ("lower", "higher"):
            notes.append(f"{outcome}: direction of improvement is {direction}; not ranked")
        wide = runs.groupby(["replicate", "scenario"])[outcome].mean().unstack("scenario")
        means = wide[scenarios].mean()
        ranks = _rank(means, direction)
        ref = wide[reference]
        for si, s in enumerate(scenarios):
            vals = wide[s].dropna().to_numpy(float)
            lo, hi = t_interval(vals, conf_level) if len(vals) else (math.nan, math.nan)
            row: dict[str, Any] = {
                "scenario": s, "outcome": outcome, "n": int(len(vals)), "mean": float(means[s]),
                "ci_low": lo, "ci_high": hi, "better": direction, "rank": ranks[s], "cost": cost_of[s],
                "cost_delta": cost_of[s] - cost_of[reference],
            }
            if s == reference:
                row |= {"diff": 0.0, "diff_ci_low": math.nan, "diff_ci_high": math.nan, "effect_size": math.nan,
                        "cost_effectiveness": math.nan, "ce_note": "reference"}
            else:
                both = pd.concat([wide[s], ref], axis=1).dropna()
                if len(both) < len(wide):
                    notes.append(f"{outcome}/{s}: {len(wide) - len(both)} replicate(s) without a pair dropped")
                d = (both.iloc[:, 0] - both.iloc[:, 1]).to_numpy(float)
                row["n"] = int(len(d))
                if len(d) == 0:
                    row |= {"diff": math.nan, "diff_ci_low": math.nan, "diff_ci_high": math.nan, "effect_size": math.nan}
                else:
                    dlo, dhi = paired_bootstrap(d, n_boot=n_boot, seed=seed + 1000 * oi + si, conf_level=conf_level)
                    sd = float(d.std(ddof=1)) if len(d) > 1 else math.nan
                    dz = float(d.mean() / sd) if sd and np.isfinite(sd) else (0.0 if d.mean() == 0 else math.nan)
                    row |= {"diff": float(d.mean()), "diff_ci_low": dlo, "diff_ci_high": dhi, "effect_size": dz}
                row |= _cost_effectiveness(outcome, direction, row["diff"], row["cost_delta"])
            rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs = {"reference": reference, "conf_level": conf_level, "n_boot": n_boot, "seed": seed,
                 "effect_size": "Cohen's d_z (paired)", "warnings": notes}
    return out


def _cost_effectiveness(outcome: str, direction: str, diff: float, dcost: float) -> dict[str, Any]:
    if outcome == "cost" or direction not in ("lower", "higher") or not np.isfinite(diff) or not np.isfinite(dcost):
        return {"cost_effectiveness": math.nan, "ce_note": ""}
    improvement = diff if direction == "higher" else -diff
    ratio = improvement / dcost if dcost != 0 else math.nan
    if dcost <= 0 and improvement >= 0:
        note = "dominant"
    elif dcost >= 0 and improvement <= 0:
        note = "dominated"
    elif dcost > 0:
        note = "trade-off"
    else:
        note = "cheaper-worse"
    return {"cost_effectiveness": ratio, "ce_note": note}
