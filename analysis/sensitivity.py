"""Global sensitivity indices with their uncertainty, from a sweep or from plain tables.

Every SALib analyzer is called with an explicit seed derived from the caller's ``seed`` (SALib
otherwise falls back on numpy's global state, and ``fast``/``pawn``/``delta`` even *reseed* it), the
global numpy state is restored afterwards, and SALib's own warnings are captured into the result's
``warnings`` list instead of escaping as Python warnings.

Output tables are long: ``parameter, outcome, index, value, ci_low, ci_high``; the table's
``attrs`` carry N, replicates, runs and the replicate-noise share (see ``docs/analysis.md``).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from govsim.analysis.results import Stat, SweepResults
from govsim.sim.errors import InputError

TABLE_COLUMNS = ["parameter", "outcome", "index", "value", "ci_low", "ci_high"]
METHODS = ("sobol", "morris", "fast", "rbd_fast", "pawn", "delta")

#: Which analysis a design supports; the first entry is what ``auto`` picks.
COMPATIBLE: dict[str, tuple[str, ...]] = {
    "sobol": ("sobol",),
    "saltelli": ("sobol",),
    "morris": ("morris",),
    "fast": ("fast",),
    "lhs": ("delta", "pawn", "rbd_fast"),
    "points": ("delta", "pawn", "rbd_fast"),
    "factorial": ("delta", "pawn"),
}
#: Methods that need the complete sample matrix in sampler order.
STRUCTURED = ("sobol", "morris", "fast")
#: The index each method ranks parameters by (used by the convergence rule).
RANKING_INDEX = {
    "sobol": "ST",
    "morris": "mu_star",
    "fast": "ST_fast",
    "rbd_fast": "S1_rbd",
    "pawn": "pawn",
    "delta": "delta",
}


@dataclass
class SensitivityResult:
    """Indices for one method over one or more outcomes.

    Attributes:
        method: The SALib method used.
        table: Long table ``parameter, outcome, index, value, ci_low, ci_high`` at the full sample.
        convergence: The ranking index at N/4, N/2 and N (column ``n`` added), for each outcome.
        meta: Per outcome: ``N`` (base samples / trajectories / rows), ``replicates``,
            ``runs_total``, ``runs_ok``, ``points_used``, ``noise_share``, ``stat``.
        warnings: Human-readable warnings (dropped runs, wide intervals, SALib's own messages).
        converged: Per outcome, whether the convergence rule passed.
    """

    method: str
    table: pd.DataFrame
    convergence: pd.DataFrame
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    converged: dict[str, bool] = field(default_factory=dict)

    @property
    def all_converged(self) -> bool:
        """True when every outcome passed the convergence rule."""
        return bool(self.converged) and all(self.converged.values())


# ---------------------------------------------------------------------- SALib plumbing
def salib_seed(seed: int, *tags: int) -> int:
    """A non-zero 32-bit seed derived from ``seed`` and ``tags``.

    SALib's ``fast``, ``pawn`` and ``delta`` test ``if seed:``, so a seed of 0 would silently mean
    "unseeded"; and numpy's legacy seeding needs a value below 2**32.
    """
    s = int(np.random.SeedSequence([int(seed), *map(int, tags)]).generate_state(1)[0])
    return s or 1


@contextlib.contextmanager
def _salib_call(sink: list[str]) -> Iterator[None]:
    """Isolate a SALib call: keep numpy's global RNG and Python's warning machinery as they were."""
    state = np.random.get_state()  # noqa: NPY002 - saved so that SALib cannot leak its reseeding
    fmt = warnings.formatwarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            np.random.set_state(state)  # noqa: NPY002
            warnings.formatwarning = fmt
    for w in caught:
        msg = " ".join(str(w.message).split())
        if "FAST confidence intervals are estimated via bootstrap" in msg:
            msg = "SALib: FAST bootstrap intervals are indicative only (SALib issue 649)"
        else:
            msg = f"SALib: {msg}"
        if msg not in sink:
            sink.append(msg)


def _rows(names: list[str], outcome: str, index: str, value: Any, conf: Any = None) -> list[dict[str, Any]]:
    value = np.asarray(value, dtype=float)
    conf = np.full_like(value, np.nan) if conf is None else np.asarray(conf, dtype=float)
    return [
        {"parameter": n, "outcome": outcome, "index": index, "value": v, "ci_low": v - c, "ci_high": v + c}
        for n, v, c in zip(names, value, conf, strict=True)
    ]


def _sobol_step(d: int, second_order: bool) -> int:
    return 2 * d + 2 if second_order else d + 2


def infer_second_order(n_rows: int, d: int, info: dict[str, Any]) -> bool:
    """Whether a Saltelli matrix of ``n_rows`` rows holds the second-order block (manifest first)."""
    if info.get("second_order") is not None:
        return bool(info["second_order"])
    samples = info.get("samples")
    if samples:
        return n_rows == int(samples) * _sobol_step(d, True)
    if n_rows % (d + 2) == 0:
        return False
    if n_rows % (2 * d + 2) == 0:
        return True
    raise InputError("design.parquet", "", f"{n_rows} rows is not a Saltelli matrix for {d} parameters")


# ---------------------------------------------------------------------- one method, one outcome
def indices(
    method: str,
    problem: dict[str, Any],
    X: np.ndarray,
    Y: np.ndarray,
    outcome: str,
    *,
    seed: int = 0,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    second_order: bool = False,
    num_levels: int = 4,
    sink: list[str] | None = None,
) -> pd.DataFrame:
    """Indices for one outcome from a design matrix and its outputs (both in sample order).

    Args:
        method: One of :data:`METHODS`.
        problem: SALib problem (``num_vars``, ``names``, ``bounds``).
        X: Design matrix in SALib's numeric coding (ignored by ``sobol`` and ``fast``).
        Y: One output per row of ``X``.
        outcome: Outcome name written into the table.
        seed: Seed for every bootstrap.
        num_resamples: Bootstrap resamples (Sobol, Morris, FAST, RBD-FAST; delta and PAWN use at most 200).
        conf_level: Confidence level of the intervals.
        second_order: Sobol only: the design holds the second-order block; S2 rows are added.
        num_levels: Morris only: grid levels used by the sampler.
        sink: List that collects warnings.

    Returns:
        A long table with :data:`TABLE_COLUMNS`.
    """
    sink = [] if sink is None else sink
    names = list(problem["names"])
    Y = np.asarray(Y, dtype=float)
    s = salib_seed(seed, METHODS.index(method))
    rows: list[dict[str, Any]] = []
    with _salib_call(sink):
        if method == "sobol":
            from SALib.analyze import sobol

            r = sobol.analyze(
                problem, Y, calc_second_order=second_order, num_resamples=num_resamples,
                conf_level=conf_level, seed=s,
            )
            rows += _rows(names, outcome, "S1", r["S1"], r["S1_conf"])
            rows += _rows(names, outcome, "ST", r["ST"], r["ST_conf"])
            if second_order:
                d = len(names)
                pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
                rows += _rows(
                    [f"{names[i]}×{names[j]}" for i, j in pairs], outcome, "S2",
                    [r["S2"][i, j] for i, j in pairs], [r["S2_conf"][i, j] for i, j in pairs],
                )
        elif method == "morris":
            from SALib.analyze import morris

            r = morris.analyze(
                problem, np.asarray(X, float), Y, num_resamples=num_resamples, conf_level=conf_level,
                num_levels=num_levels, seed=s,
            )
            rows += _rows(names, outcome, "mu_star", r["mu_star"], r["mu_star_conf"])
            rows += _rows(names, outcome, "mu_star_conf", r["mu_star_conf"])
            rows += _rows(names, outcome, "sigma", r["sigma"])
            rows += _rows(names, outcome, "mu", r["mu"])
        elif method == "fast":
            from SALib.analyze import fast

            r = fast.analyze(problem, Y, num_resamples=num_resamples, conf_level=conf_level, seed=s)
            rows += _rows(names, outcome, "S1_fast", r["S1"], r["S1_conf"])
            rows += _rows(names, outcome, "ST_fast", r["ST"], r["ST_conf"])
        elif method == "rbd_fast":
            from SALib.analyze import rbd_fast

            r = rbd_fast.analyze(problem, np.asarray(X, float), Y, num_resamples=num_resamples, conf_level=conf_level, seed=s)
            rows += _rows(names, outcome, "S1_rbd", r["S1"], r["S1_conf"])
        elif method == "delta":
            from SALib.analyze import delta

            # delta's bootstrap re-estimates kernel densities per resample: cap it (SALib's default is 100)
            r = delta.analyze(
                problem, np.asarray(X, float), Y, num_resamples=min(num_resamples, 200), conf_level=conf_level,
                seed=s, method="all",
            )
            rows += _rows(names, outcome, "delta", r["delta_raw"], r["delta_raw_conf"])
            rows += _rows(names, outcome, "S1_delta", r["S1"], r["S1_conf"])
        elif method == "pawn":
            rows += _pawn_rows(problem, np.asarray(X, float), Y, outcome, s, num_resamples, conf_level)
        else:
            raise InputError("--method", "method", f"one of {', '.join(METHODS)}; got {method!r}")
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _pawn_rows(
    problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, outcome: str, seed: int, num_resamples: int,
    conf_level: float,
) -> list[dict[str, Any]]:
    """PAWN (median KS over 10 conditioning slices) with a percentile bootstrap over rows.

    SALib's ``pawn`` gives no interval, so rows are resampled with replacement (seeded) and the
    median-KS statistic is recomputed; the interval is the percentile interval of the resamples.
    """
    from SALib.analyze import pawn

    names = list(problem["names"])
    point = np.asarray(pawn.analyze(problem, X, Y, S=10, seed=seed)["median"], dtype=float)
    rng = np.random.default_rng(seed)
    n_boot = max(50, min(num_resamples, 200))  # each resample reruns D x 10 KS tests
    boots = np.empty((n_boot, len(names)))
    for b in range(n_boot):
        idx = rng.integers(0, len(Y), len(Y))
        boots[b] = pawn.analyze(problem, X[idx], Y[idx], S=10, seed=seed)["median"]
    a = (1 - conf_level) / 2
    lo, hi = np.nanquantile(boots, [a, 1 - a], axis=0)
    return [
        {"parameter": n, "outcome": outcome, "index": "pawn", "value": v, "ci_low": min(lo_, v), "ci_high": max(hi_, v)}
        for n, v, lo_, hi_ in zip(names, point, lo, hi, strict=True)
    ]


# ---------------------------------------------------------------------- convergence
def _subsets(method: str, n_rows: int, d: int, second_order: bool) -> list[tuple[int, int]]:
    """``(n, rows)`` pairs for N/4, N/2 and N that keep the sampler's block structure."""
    if method == "sobol":
        step = _sobol_step(d, second_order)
        full = n_rows // step
    elif method == "morris":
        step = d + 1
        full = n_rows // step
    elif method == "fast":  # the search curve cannot be thinned: no sub-samples
        return [(n_rows // d, n_rows)]
    else:
        step, full = 1, n_rows
    out = []
    for div in (4, 2, 1):
        k = full // div
        minimum = 2 if method in ("sobol", "morris") else 20
        if k >= minimum and (k, k * step) not in out:
            out.append((k, k * step))
    return out or [(full, full * step)]


def check_convergence(
    convergence: pd.DataFrame, method: str, *, max_width: float = 0.1, negligible: float = 0.05
) -> tuple[bool, list[str]]:
    """Apply the convergence rule to one outcome's index trajectory.

    The rule, on the method's ranking index (ST, mu_star, ST_fast, S1_rbd, delta or pawn) at the
    largest N:

    1. every interval is at most ``max_width`` wide (Morris: relative to the largest mu_star);
    2. parameters adjacent in the ranking have disjoint intervals, unless both upper bounds are
       below ``negligible`` (two unimportant parameters need no order);
    3. no index moved by more than ``max_width / 2`` between N/2 and N.

    Returns:
        ``(converged, warnings)``.
    """
    msgs: list[str] = []
    if convergence.empty:
        return False, ["no indices to check"]
    outcome = str(convergence["outcome"].iloc[0])
    n_full = convergence["n"].max()
    full = convergence[convergence["n"] == n_full].set_index("parameter")
    scale = 1.0
    if method == "morris":
        scale = float(full["value"].abs().max()) or 1.0
    width = (full["ci_high"] - full["ci_low"]) / scale
    if width.isna().all():
        msgs.append(f"{outcome}: no intervals for {RANKING_INDEX[method]}; cannot judge convergence")
    wide = width[width > max_width]
    if len(wide):
        worst = wide.idxmax()
        msgs.append(
            f"{outcome}: {RANKING_INDEX[method]} interval of {worst} is {width[worst]:.3f} wide"
            f"{' (relative to max mu_star)' if method == 'morris' else ''} > {max_width}; increase N"
        )
    ranked = full.sort_values("value", ascending=False)
    params = list(ranked.index)
    for a, b in zip(params, params[1:], strict=False):
        ra, rb = ranked.loc[a], ranked.loc[b]
        if max(ra["ci_high"], rb["ci_high"]) / scale < negligible:
            continue
        if rb["ci_high"] >= ra["ci_low"]:
            msgs.append(
                f"{outcome}: {a} and {b} cannot be ranked ({RANKING_INDEX[method]} intervals overlap:"
                f" [{ra['ci_low']:.3f}, {ra['ci_high']:.3f}] vs [{rb['ci_low']:.3f}, {rb['ci_high']:.3f}])"
            )
    ns = sorted(convergence["n"].unique())
    if len(ns) >= 2:
        half = convergence[convergence["n"] == ns[-2]].set_index("parameter")["value"]
        moved = ((full["value"] - half.reindex(full.index)).abs() / scale).dropna()
        if len(moved) and moved.max() > max_width / 2:
            msgs.append(
                f"{outcome}: {RANKING_INDEX[method]} of {moved.idxmax()} moved by {moved.max():.3f}"
                f" between N={ns[-2]} and N={ns[-1]}; not yet stable"
            )
    else:
        msgs.append(f"{outcome}: only one sample size available; stability between N/2 and N not checked")
    # a missing sub-sample check (FAST) is reported but does not by itself fail the rule
    failing = [m for m in msgs if "stability between" not in m]
    return not failing, msgs


# ---------------------------------------------------------------------- whole sweeps
def resolve_method(results: SweepResults, method: str) -> str:
    """Turn ``auto`` into the design's natural method and refuse incompatible combinations."""
    design = results.design_name.lower()
    allowed = COMPATIBLE.get(design, ("delta", "pawn", "rbd_fast"))
    if method == "auto":
        return allowed[0]
    if method not in METHODS:
        raise InputError("--method", "method", f"one of auto, {', '.join(METHODS)}, prim; got {method!r}")
    if method not in allowed:
        raise InputError(
            f"{results.source}/manifest.json" if results.source != "<table>" else "<table>",
            "design.name",
            f"method '{method}' needs a design made for it; a '{design}' design supports {', '.join(allowed)}",
        )
    return method


def analyze(
    results: SweepResults | str | Path,
    method: str = "auto",
    outcomes: list[str] | None = None,
    *,
    stat: Stat = "mean",
    seed: int = 0,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    second_order: bool | None = None,
    convergence: bool = True,
    max_width: float = 0.1,
) -> SensitivityResult:
    """Sensitivity indices for every requested outcome of a sweep.

    Replicates are first reduced to one value per design point with ``stat``. Failed and
    timed-out runs are dropped and reported. For Sobol, Morris and FAST a design point without a
    single ok run breaks the sample structure: the analysis refuses with one line naming the
    points (imputing them would fabricate information). Given-data methods drop such points.

    Args:
        results: A :class:`SweepResults` or a results folder.
        method: ``auto`` (from the design) or one of :data:`METHODS`.
        outcomes: Outcomes to analyse; default all.
        stat: Replicate statistic: ``mean``, ``median``, ``std``, ``var`` or a quantile (``q90``).
        seed: Seed for every bootstrap.
        num_resamples: Bootstrap resamples.
        conf_level: Confidence level.
        second_order: Sobol: report S2 (needs a second-order design). Default: when the design has it.
        convergence: Also compute indices at N/4 and N/2 and apply :func:`check_convergence`.
        max_width: Largest acceptable interval width for the convergence rule.

    Raises:
        InputError: Unknown outcome, incompatible method, or broken sample structure.
    """
    if not isinstance(results, SweepResults):
        results = SweepResults.load(results)
    method = resolve_method(results, method)
    outcomes = list(outcomes or results.outcomes)
    results.check_outcomes(outcomes)
    problem = results.problem()
    d = len(problem["names"])
    info = results.design_info
    X_full = results.encoded_design()
    point_ids = results.design["point_id"].to_numpy()
    n_rows = len(point_ids)
    sink: list[str] = []
    so = analyse_so = False
    if method == "sobol":
        analyse_so = infer_second_order(n_rows, d, info)  # the matrix layout is fixed by the sampler
        if second_order and not analyse_so:
            raise InputError("--second-order", "design.second_order", "S2 needs a Sobol design sampled with second_order = true")
        so = analyse_so if second_order is None else bool(second_order)
        if n_rows % _sobol_step(d, analyse_so):
            raise InputError("design.parquet", "", f"{n_rows} rows is not a Saltelli matrix for {d} parameters")
    failed = results.failed_summary()
    if failed:
        sink.append(
            "dropped failed runs: " + ", ".join(f"{v} {k}" for k, v in sorted(failed.items()))
            + f" of {len(results.runs)}"
        )
    tables, convs, meta, conv_flags = [], [], {}, {}
    for oi, outcome in enumerate(outcomes):
        agg = results.aggregate(outcome, stat)
        y = agg.reindex(point_ids).to_numpy(float)
        missing = point_ids[np.isnan(y)]
        X, Y = X_full, y
        if len(missing):
            if method in STRUCTURED:
                shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
                raise InputError(
                    f"{results.source}/runs.parquet",
                    outcome,
                    f"{method} needs every design point, but {len(missing)} point(s) have no ok run"
                    f" (point_id {shown}); resume the sweep or use a given-data method (delta, pawn)",
                )
            keep = ~np.isnan(y)
            X, Y = X_full[keep], y[keep]
            sink.append(f"{outcome}: {len(missing)} design point(s) without an ok run dropped")
        kw = dict(
            seed=seed + oi, num_resamples=num_resamples, conf_level=conf_level,
            num_levels=int(info.get("num_levels") or 4), sink=sink,
        )
        if method == "sobol":
            full = indices(method, problem, X, Y, outcome, second_order=analyse_so, **kw)
            if not so:
                full = full[full["index"] != "S2"]
        else:
            full = indices(method, problem, X, Y, outcome, **kw)
        tables.append(full)
        subsets = _subsets(method, len(Y), d, analyse_so)
        rank_ix = RANKING_INDEX[method]
        conv_parts = []
        for n, rows in subsets if convergence else subsets[-1:]:
            if rows == len(Y):
                part = full[full["index"] == rank_ix].copy()
            else:
                sub = indices(method, problem, X[:rows], Y[:rows], outcome, second_order=analyse_so, **kw)
                part = sub[sub["index"] == rank_ix].copy()
            part.insert(0, "n", n)
            conv_parts.append(part)
        conv = pd.concat(conv_parts, ignore_index=True)
        convs.append(conv)
        ok, msgs = check_convergence(conv, method, max_width=max_width)
        conv_flags[outcome] = ok
        sink.extend(msgs)
        ok_runs = results.ok_runs()
        meta[outcome] = {
            "N": int(subsets[-1][0]),
            "replicates": results.replicates(),
            "runs_total": int(len(results.runs)),
            "runs_ok": int(ok_runs[outcome].notna().sum()),
            "points_used": int(len(Y)),
            "noise_share": results.noise_share(outcome),
            "stat": str(stat),
        }
    table = pd.concat(tables, ignore_index=True)
    table.attrs = {
        "method": method,
        "seed": seed,
        "conf_level": conf_level,
        "N": {o: m["N"] for o, m in meta.items()},
        "replicates": results.replicates(),
        "runs_total": int(len(results.runs)),
        "noise_share": {o: m["noise_share"] for o, m in meta.items()},
        "converged": conv_flags,
    }
    return SensitivityResult(method, table, pd.concat(convs, ignore_index=True), meta, sink, conv_flags)


def analyze_table(
    table: pd.DataFrame,
    problem: dict[str, Any],
    outcomes: list[str],
    method: str,
    *,
    design: str | None = None,
    design_info: dict[str, Any] | None = None,
    **kwargs: Any,
) -> SensitivityResult:
    """:func:`analyze` on a plain table (parameter + outcome columns, rows in sampler order).

    Args:
        table: Runs; optional ``point_id``/``replicate``/``status`` columns enable replicates.
        problem: SALib problem dict.
        outcomes: Outcome columns.
        method: One of :data:`METHODS`.
        design: The sampler that made the rows; default: the one ``method`` needs (``lhs`` for
            given-data methods).
        design_info: ``second_order`` (Sobol), ``num_levels`` (Morris), ``samples``.
        **kwargs: Passed to :func:`analyze`.
    """
    if design is None:
        design = method if method in STRUCTURED else "lhs"
    res = SweepResults.from_table(table, problem, outcomes, design_name=design, design_info=design_info)
    return analyze(res, method, outcomes, **kwargs)
