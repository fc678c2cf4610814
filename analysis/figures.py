"""Figures: each function takes a DataFrame and returns a :class:`matplotlib.figure.Figure`.

Object API only (no pyplot state), so figures are safe in threads, tests and servers; saving uses
the Agg canvas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _figure(width: float = 7.0, height: float = 4.0, nrows: int = 1, ncols: int = 1, **kw):  # returns (Figure, axes array)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _colors(n: int) -> list[str]:
    base = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    return [base[i % len(base)] for i in range(n)]


def fan_chart(ts: pd.DataFrame, outcome: str, *, scenario_col: str = "scenario", time_col: str = "day") -> Figure:
    """Daily fan chart: median over replicates and the 50 % and 90 % bands, one colour per scenario.

    Args:
        ts: Time series with ``scenario``, ``replicate``, ``day`` and the outcome column.
        outcome: Column to plot.
        scenario_col: Scenario column.
        time_col: Time column.
    """
    fig, axes = _figure()
    ax = axes[0, 0]
    scenarios = list(dict.fromkeys(ts[scenario_col]))
    for s, c in zip(scenarios, _colors(len(scenarios)), strict=True):
        q = ts[ts[scenario_col] == s].groupby(time_col)[outcome].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        t = q.index.to_numpy(float)
        ax.fill_between(t, q[0.05], q[0.95], color=c, alpha=0.15, linewidth=0)
        ax.fill_between(t, q[0.25], q[0.75], color=c, alpha=0.3, linewidth=0)
        ax.plot(t, q[0.5], color=c, label=str(s))
    ax.set_xlabel(time_col)
    ax.set_ylabel(outcome)
    ax.set_title(f"{outcome}: median, 50 % and 90 % bands over replicates")
    ax.legend(loc="best", fontsize="small")
    return fig


def forest_plot(comparison: pd.DataFrame, outcomes: Sequence[str] | None = None) -> Figure:
    """Paired differences vs the reference with their intervals, one panel per outcome.

    Args:
        comparison: Output of :func:`analysis.compare.compare_runs`.
        outcomes: Outcomes to show; default all.
    """
    outcomes = list(outcomes or dict.fromkeys(comparison["outcome"]))
    others = comparison[comparison["ce_note"] != "reference"] if "ce_note" in comparison else comparison
    scen = list(dict.fromkeys(others["scenario"]))
    fig, axes = _figure(7.0, 0.6 + 0.45 * len(scen) * len(outcomes) + 0.5 * len(outcomes), nrows=len(outcomes))
    for ax, o in zip(axes[:, 0], outcomes, strict=True):
        sub = others[others["outcome"] == o].set_index("scenario").reindex(scen)
        ypos = np.arange(len(scen))[::-1]
        err = np.vstack([sub["diff"] - sub["diff_ci_low"], sub["diff_ci_high"] - sub["diff"]])
        ax.errorbar(sub["diff"], ypos, xerr=np.clip(err, 0, None), fmt="o", color="#1f77b4", capsize=3)
        ax.axvline(0.0, color="grey", linestyle="--", linewidth=1)
        ax.set_yticks(ypos, [str(s) for s in scen])
        better = sub["better"].iloc[0] if "better" in sub and len(sub) else "unknown"
        ax.set_title(f"{o} (difference vs reference; {better} is better)", fontsize="medium")
    return fig


def index_bars(table: pd.DataFrame, outcome: str, indices: Sequence[str] = ("S1", "ST")) -> Figure:
    """Grouped bars of sensitivity indices for one outcome, with interval error bars.

    Args:
        table: Long index table (``parameter, outcome, index, value, ci_low, ci_high``).
        outcome: Outcome to show.
        indices: Which indices (e.g. ``S1``, ``ST``; ``delta``; ``pawn``).
    """
    sub = table[(table["outcome"] == outcome) & (table["index"].isin(indices))]
    params = list(dict.fromkeys(sub["parameter"]))
    fig, axes = _figure(max(5.0, 0.8 * len(params) + 2), 4.0)
    ax = axes[0, 0]
    width = 0.8 / max(len(indices), 1)
    x = np.arange(len(params))
    for k, (ix, c) in enumerate(zip(indices, _colors(len(indices)), strict=True)):
        s = sub[sub["index"] == ix].set_index("parameter").reindex(params)
        err = np.vstack([s["value"] - s["ci_low"], s["ci_high"] - s["value"]])
        err = np.where(np.isfinite(err), np.clip(err, 0, None), 0.0)
        ax.bar(x + (k - (len(indices) - 1) / 2) * width, s["value"], width, yerr=err, capsize=3, color=c, label=ix)
    ax.set_xticks(x, params, rotation=30, ha="right")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_ylabel("index")
    ax.set_title(f"{outcome}: {', '.join(indices)} with intervals")
    ax.legend(fontsize="small")
    return fig


def sobol_bars(table: pd.DataFrame, outcome: str) -> Figure:
    """Sobol S1 and ST per parameter with their bootstrap intervals."""
    return index_bars(table, outcome, ("S1", "ST"))


def morris_plot(table: pd.DataFrame, outcome: str) -> Figure:
    """Morris μ* against σ, one labelled point per parameter, with μ* intervals as error bars."""
    sub = table[table["outcome"] == outcome].pivot(index="parameter", columns="index", values="value")
    conf = table[(table["outcome"] == outcome) & (table["index"] == "mu_star")].set_index("parameter")
    fig, axes = _figure(6.0, 5.0)
    ax = axes[0, 0]
    xerr = np.vstack([sub["mu_star"] - conf["ci_low"].reindex(sub.index), conf["ci_high"].reindex(sub.index) - sub["mu_star"]])
    ax.errorbar(sub["mu_star"], sub["sigma"], xerr=np.nan_to_num(np.clip(xerr, 0, None)), fmt="o", color="#1f77b4", capsize=3)
    for p, row in sub.iterrows():
        ax.annotate(str(p), (row["mu_star"], row["sigma"]), xytext=(4, 4), textcoords="offset points", fontsize="small")
    lim = float(np.nanmax([sub["mu_star"].max(), sub["sigma"].max(), 1e-12])) * 1.1
    ax.plot([0, lim], [0, lim], color="grey", linestyle=":", linewidth=1)  # σ = μ*: strongly non-linear above
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel("μ* (mean |elementary effect|)")
    ax.set_ylabel("σ (std of elementary effects)")
    ax.set_title(f"{outcome}: Morris screening")
    return fig


def prim_tradeoff(trajectory: pd.DataFrame, chosen: int | None = None) -> Figure:
    """PRIM peeling trajectory: coverage against density, coloured by restricted dimensions."""
    fig, axes = _figure(6.0, 4.5)
    ax = axes[0, 0]
    sc = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["n_restricted"], cmap="viridis", s=18)
    fig.colorbar(sc, ax=ax, label="restricted parameters")
    if chosen is not None:
        row = trajectory.iloc[chosen]
        ax.scatter([row["coverage"]], [row["density"]], s=120, facecolors="none", edgecolors="red", label="chosen box")
        ax.legend(fontsize="small")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title("PRIM peeling trajectory")
    return fig


def prim_box(box: pd.DataFrame) -> Figure:
    """Limits of a PRIM box per restricted parameter, drawn on each parameter's observed range."""
    fig, axes = _figure(6.0, 0.8 + 0.5 * max(len(box), 1))
    ax = axes[0, 0]
    for i, row in enumerate(box.itertuples()):
        span = (row.data_high - row.data_low) or 1.0
        lo, hi = (row.low - row.data_low) / span, (row.high - row.data_low) / span
        ax.plot([0, 1], [i, i], color="lightgrey", linewidth=8, solid_capstyle="butt")
        ax.plot([lo, hi], [i, i], color="#d62728", linewidth=8, solid_capstyle="butt")
        ax.annotate(f"{row.low:.3g}", (lo, i), xytext=(0, 8), textcoords="offset points", ha="center", fontsize="small")
        ax.annotate(f"{row.high:.3g}", (hi, i), xytext=(0, 8), textcoords="offset points", ha="center", fontsize="small")
    ax.set_yticks(range(len(box)), list(box["parameter"]))
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.7, len(box) - 0.3)
    ax.set_xlabel("share of the observed range")
    ax.set_title("PRIM box limits (restricted parameters)")
    return fig


def trust_trap(
    ts: pd.DataFrame,
    threshold: float,
    *,
    trust_col: str = "mean_trust",
    low_col: str = "share_low_trust",
    scenario_col: str = "scenario",
    time_col: str = "day",
) -> Figure:
    """Mean trust over time per scenario with the Tacitus-trap threshold, and the low-trust share.

    Top panel: median over replicates of ``trust_col`` with its 90 % band and a dashed line at
    ``threshold``. Bottom panel: the share of residents below the threshold (``low_col``).
    """
    fig, axes = _figure(7.0, 6.0, nrows=2, sharex=True)
    top, bottom = axes[0, 0], axes[1, 0]
    scenarios = list(dict.fromkeys(ts[scenario_col]))
    for s, c in zip(scenarios, _colors(len(scenarios)), strict=True):
        g = ts[ts[scenario_col] == s].groupby(time_col)
        q = g[trust_col].quantile([0.05, 0.5, 0.95]).unstack()
        t = q.index.to_numpy(float)
        top.fill_between(t, q[0.05], q[0.95], color=c, alpha=0.2, linewidth=0)
        top.plot(t, q[0.5], color=c, label=str(s))
        if low_col in ts.columns:
            bottom.plot(t, g[low_col].median().to_numpy(float), color=c, label=str(s))
    top.axhline(threshold, color="black", linestyle="--", linewidth=1, label=f"trust threshold {threshold:g}")
    top.set_ylabel(trust_col)
    top.set_title("Trust and the Tacitus trap")
    top.legend(fontsize="small")
    bottom.set_ylabel(f"{low_col}")
    bottom.set_xlabel(time_col)
    bottom.set_ylim(0, 1)
    return fig


def save(fig: Figure, stem: str | object, formats: Sequence[str] = ("png", "svg")) -> list:
    """Save ``fig`` as ``stem.png`` / ``stem.svg``; returns the paths."""
    from pathlib import Path

    stem = Path(str(stem))
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        p = stem.with_suffix(f".{fmt}")
        fig.savefig(p, format=fmt, dpi=110)
        out.append(p)
    return out


def pareto_front(front: pd.DataFrame, objectives: dict[str, str], options: pd.DataFrame | None = None,
                 labels: dict[str, str] | None = None) -> Figure:
    """The front: a scatter for two objectives, parallel coordinates for three or more.

    In parallel coordinates every axis runs from worst (bottom) to best (top) over the packages and
    options shown, so a line high everywhere is a package good on every objective.

    Args:
        front: One row per package with a column per objective.
        objectives: Objective → ``"min"`` or ``"max"``, in axis order.
        options: Hand-made options (``option`` column + the objectives), drawn dashed, or None.
        labels: Axis labels per objective (default: the names).
    """
    names = list(objectives)
    labels = labels or {}
    if len(names) == 2:
        fig, axes = _figure(6.5, 4.5)
        ax = axes[0, 0]
        a, b = names
        ax.scatter(front[a], front[b], color="#1f77b4", label="packages on the front", zorder=3)
        if options is not None and len(options):
            ax.scatter(options[a], options[b], marker="s", color="#d62728", label="shipped options", zorder=3)
            for r in options.itertuples(index=False):
                ax.annotate(str(r.option), (getattr(r, a), getattr(r, b)), fontsize=7, xytext=(3, 3),
                            textcoords="offset points")
        ax.set_xlabel(f"{labels.get(a, a)} ({objectives[a]})")
        ax.set_ylabel(f"{labels.get(b, b)} ({objectives[b]})")
        ax.legend(fontsize="small")
        return fig
    allv = pd.concat([front[names], options[names]] if options is not None and len(options) else [front[names]])
    lo, hi = allv.min(), allv.max()
    span = (hi - lo).replace(0, 1.0)

    def scaled(df: pd.DataFrame) -> np.ndarray:
        z = (df[names] - lo) / span
        for n in names:
            if objectives[n] == "min":
                z[n] = 1.0 - z[n]
        return z.to_numpy(float)

    fig, axes = _figure(max(6.5, 1.8 * len(names)), 4.5)
    ax = axes[0, 0]
    x = np.arange(len(names))
    for row in scaled(front):
        ax.plot(x, row, color="#1f77b4", alpha=0.35, linewidth=1)
    if options is not None and len(options):
        for row in scaled(options):  # named in the forest plot and the options table
            ax.plot(x, row, color="#d62728", linestyle="--", linewidth=1.2, alpha=0.8)
    ax.plot([], [], color="#1f77b4", label="packages on the front")
    if options is not None and len(options):
        ax.plot([], [], color="#d62728", linestyle="--", label="shipped options")
    ticks = []
    for n in names:
        best, worst = (lo[n], hi[n]) if objectives[n] == "min" else (hi[n], lo[n])
        ticks.append(f"{labels.get(n, n)}\nbest {best:.3g}\nworst {worst:.3g}")
    ax.set_xticks(x, ticks, fontsize=8)
    ax.set_yticks([0, 1], ["worst", "best"])
    for xi in x:
        ax.axvline(xi, color="grey", linewidth=0.8)
    ax.set_xlim(-0.2, len(names) - 0.6)
    ax.legend(fontsize="small", loc="lower left")
    return fig


def package_forest(table: pd.DataFrame) -> Figure:
    """Dot-and-whisker plot of packages and options, one panel per outcome.

    Args:
        table: Long table with ``label``, ``outcome`` (panel title), ``value``, ``low``, ``high`` and
            ``kind`` (``package`` or ``option``); whiskers span ``low``–``high``.
    """
    outcomes = list(dict.fromkeys(table["outcome"]))
    labels = list(dict.fromkeys(table["label"]))
    fig, axes = _figure(7.0, 0.8 + (0.28 * len(labels) + 0.6) * len(outcomes), nrows=len(outcomes))
    for ax, o in zip(axes[:, 0], outcomes, strict=True):
        sub = table[table["outcome"] == o].set_index("label").reindex(labels)
        ypos = np.arange(len(labels))[::-1]
        colors = ["#d62728" if k == "option" else "#1f77b4" for k in sub["kind"]]
        err = np.vstack([sub["value"] - sub["low"], sub["high"] - sub["value"]])
        for y, v, e0, e1, c in zip(ypos, sub["value"], err[0], err[1], colors, strict=True):
            ax.errorbar([v], [y], xerr=[[max(e0, 0)], [max(e1, 0)]], fmt="o", color=c, capsize=3)
        ax.set_yticks(ypos, labels, fontsize=8)
        ax.set_title(str(o), fontsize="medium")
    return fig


def hypervolume_history(history: pd.DataFrame) -> Figure:
    """Hypervolume of the front (and its size) per generation."""
    fig, axes = _figure(6.5, 3.2)
    ax = axes[0, 0]
    ax.plot(history["generation"], history["hypervolume"], marker="o", color="#1f77b4")
    ax.set_xlabel("generation")
    ax.set_ylabel("hypervolume")
    ax2 = ax.twinx()
    ax2.plot(history["generation"], history["front_size"], color="#7f7f7f", linestyle=":", label="front size")
    ax2.set_ylabel("packages on the front")
    ax.set_title("Search progress: hypervolume (solid) and front size (dotted)", fontsize="medium")
    return fig
