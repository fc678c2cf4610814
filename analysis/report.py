"""Self-contained reports: one HTML file (figures inlined as base64 PNG) and a Markdown twin.

The HTML loads nothing from anywhere: no scripts, no style sheets, no fonts, no images by URL.
Every string that comes from input files (scenario names, parameter names, provenance values,
warnings) goes through :func:`html.escape`. The Markdown version refers to figure files saved next
to it (``figures/*.png`` and ``*.svg``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from govsim.analysis.units import cost_per_improvement, num, outcome_unit, show, show_interval

if TYPE_CHECKING:
    from govsim.analysis.discovery import PrimResult
    from govsim.analysis.results import SweepResults
    from govsim.analysis.sensitivity import SensitivityResult
    from matplotlib.figure import Figure

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:0.9em;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3} td.s{text-align:left}
figure{margin:1em 0} figcaption{font-size:0.85em;color:#555}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:0.4em 0.8em}
.meta{color:#444;font-size:0.9em}
.answer{background:#eef5ff;border:1px solid #9cc0ee;border-radius:6px;padding:0.2em 1em 0.6em;margin:1em 0}
.answer h2{margin-top:0.6em} .answer p{font-size:1.02em}
th{white-space:normal;vertical-align:bottom} img{max-width:100%}
.answer table{font-size:0.85em} td{word-break:keep-all}
"""


@dataclass
class Section:
    """One part of a report.

    Attributes:
        title: Heading.
        paragraphs: Plain-text paragraphs (escaped on output).
        tables: ``(caption, DataFrame)`` pairs.
        figures: ``(name, caption, Figure)``; ``name`` becomes the file stem.
        warnings: Highlighted plain-text warnings.
        lead: The answer: shown first, in a box, before every other section.
    """

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, str, Figure]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lead: bool = False


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return ""
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.3e}"
        return f"{v:.4g}"
    if isinstance(v, dict | list):
        return json.dumps(v, default=str, ensure_ascii=False)
    return str(v)


def html_table(df: pd.DataFrame) -> str:
    """Render a DataFrame as an escaped HTML table (numbers right-aligned, text left)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            cls = "" if isinstance(v, int | float | np.integer | np.floating) else ' class="s"'
            cells.append(f"<td{cls}>{html.escape(_fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def md_table(df: pd.DataFrame) -> str:
    """Render a DataFrame as a GitHub-flavoured Markdown table."""

    def cell(v: Any) -> str:
        return html.escape(_fmt(v), quote=False).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _png_b64(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def provenance_table(provenance: dict[str, Any]) -> pd.DataFrame:
    """Key/value table of provenance entries (nested values as JSON)."""
    return pd.DataFrame({"key": list(provenance), "value": [_fmt(v) for v in provenance.values()]})


def write_report(
    out_dir: str | Path,
    title: str,
    provenance: dict[str, Any],
    sections: list[Section],
    *,
    stem: str = "report",
) -> Path:
    """Write ``stem.html`` (self-contained) and ``stem.md`` (+ ``figures/``) into ``out_dir``.

    Returns:
        The path of the HTML file.
    """
    from govsim.analysis.figures import save

    out = Path(out_dir)
    figdir = out / "figures"
    out.mkdir(parents=True, exist_ok=True)
    prov = {"generated": datetime.now(UTC).isoformat(timespec="seconds"), **provenance}
    h: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    m: list[str] = [f"# {title}", ""]
    # The answer first, then the details; provenance last (it is for whoever checks, not whoever decides).
    ordered = [x for x in sections if x.lead] + [x for x in sections if not x.lead]
    ordered.append(Section("Provenance", tables=[("What was run", provenance_table(prov))]))
    for sec in ordered:
        if sec.lead:
            h.append('<div class="answer">')
        h.append(f"<h2>{html.escape(sec.title)}</h2>")
        m += [f"## {sec.title}", ""]
        for p in sec.paragraphs:
            h.append(f'<p class="meta">{html.escape(p)}</p>' if not sec.lead else f"<p>{html.escape(p)}</p>")
            m += [p, ""]
        for w in sec.warnings:
            h.append(f'<p class="warn">{html.escape(w)}</p>')
            m += [f"> **Warning:** {w}", ""]
        for caption, df in sec.tables:
            h.append(f"<h3>{html.escape(caption)}</h3>")
            h.append(html_table(df))
            m += [f"### {caption}", "", md_table(df), ""]
        for name, caption, fig in sec.figures:
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
            save(fig, figdir / safe)
            h.append(
                f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{_png_b64(fig)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
            m += [f"![{caption}](figures/{safe}.png)", "", f"*{caption}* ([SVG](figures/{safe}.svg))", ""]
        if sec.lead:
            h.append("</div>")
    h.append("</body></html>")
    from govsim.experiments.fileio import atomic_write_text

    path = out / f"{stem}.html"
    atomic_write_text(path, "\n".join(h))
    atomic_write_text(out / f"{stem}.md", "\n".join(m))
    return path


# ---------------------------------------------------------------------- sensitivity
def sweep_provenance(results: SweepResults) -> dict[str, Any]:
    """Provenance entries of a sweep: experiment, design, seeds, versions, commit, timings."""
    man = results.manifest
    exp = results.experiment
    design = results.design_info
    return {
        "source": results.source,
        "experiment": exp.get("name", ""),
        "design": results.design_name,
        "samples (N)": design.get("samples", exp.get("samples", "")),
        "replicates": results.replicates(),
        "runs_total": man.get("runs_total", len(results.runs)),
        "runs_ok": int((results.runs["status"] == "ok").sum()),
        "seed": exp.get("seed", (man.get("seeds") or {}).get("root_seed", "")),
        "seeds": man.get("seeds", ""),
        "parameters": [p.name for p in results.parameters],
        "git_commit": man.get("git_commit", ""),
        "versions": man.get("versions", {}),
        "started": man.get("started", ""),
        "finished": man.get("finished", ""),
    }


def sensitivity_sections(result: SensitivityResult) -> list[Section]:
    """One report section per outcome: run counts, the index table, convergence and figures."""
    from govsim.analysis import figures as F

    secs = []
    for outcome, meta in result.meta.items():
        tab = result.table[result.table["outcome"] == outcome]
        ns = meta["noise_share"]
        sec = Section(
            f"{outcome} — {result.method}",
            paragraphs=[
                f"N = {meta['N']}, replicates = {meta['replicates']}, total runs = {meta['runs_total']}"
                f" (ok with a value: {meta['runs_ok']}), design points used = {meta['points_used']},"
                f" replicate statistic = {meta['stat']}, replicate-noise share of variance = "
                + ("n/a (no replicates)" if isinstance(ns, float) and math.isnan(ns) else f"{ns:.3f}")
                + f"; converged: {'yes' if result.converged.get(outcome) else 'no'}."
            ],
            warnings=_grouped_warnings([w for w in result.warnings if w.startswith(f"{outcome}:")], outcome),
            tables=[
                (f"Indices for {outcome}, ranked (value [95 % interval])", ranked_index_table(tab)),
                (f"Convergence of {outcome}: the main index at growing N (value [95 % interval])",
                 convergence_table(result.convergence[result.convergence["outcome"] == outcome])),
            ],
        )
        secs.append(sec)
        for name, fig, cap in _sensitivity_figures(result.method, tab, outcome, F):
            sec.figures.append((name, cap, fig))
    general = [w for w in result.warnings if not any(w.startswith(f"{o}:") for o in result.meta)]
    if general:
        secs.insert(0, Section("Warnings", warnings=general))
    return secs


_PRIMARY = ("ST", "mu_star", "S1_fast", "S1_rbd", "delta", "pawn", "S1")


def ranked_index_table(tab: pd.DataFrame) -> pd.DataFrame:
    """One row per parameter, one column per index (``value [ci_low, ci_high]``), most influential first.

    The ranking uses the method's main index (ST for Sobol, μ* for Morris, …); second-order rows are
    listed after the parameters.
    """
    first = tab[~tab["parameter"].astype(str).str.contains("×")]
    order = [ix for ix in _PRIMARY if ix in set(first["index"])]
    key = order[0] if order else str(first["index"].iloc[0]) if len(first) else None

    def cell(r: pd.Series) -> str:
        v, lo, hi = r["value"], r.get("ci_low"), r.get("ci_high")
        if pd.notna(lo) and pd.notna(hi):
            return f"{v:.4g} [{lo:.4g}, {hi:.4g}]"
        return f"{v:.4g}"

    wide = first.assign(cell=first.apply(cell, axis=1)).pivot_table(
        index="parameter", columns="index", values="cell", aggfunc="first")
    if key is not None:
        rank_val = first[first["index"] == key].set_index("parameter")["value"]
        wide = wide.loc[rank_val.sort_values(ascending=False).index.intersection(wide.index)]
        cols = [key] + [c for c in wide.columns if c != key]
        wide = wide[cols]
    wide = wide.reset_index()
    wide.columns.name = None
    second = tab[tab["parameter"].astype(str).str.contains("×")]
    if len(second):
        extra = second.assign(cell=second.apply(cell, axis=1))[["parameter", "index", "cell"]]
        extra = extra.rename(columns={"cell": "value [95 % interval]"})
        wide = pd.concat([wide, extra], ignore_index=True)
    return wide.fillna("")


def convergence_table(conv: pd.DataFrame) -> pd.DataFrame:
    """One row per parameter (and index), one column per base sample size N."""
    if conv.empty or "n" not in conv:
        return conv
    cells = conv.assign(cell=[f"{v:.4g} [{lo:.4g}, {hi:.4g}]" if pd.notna(lo) else f"{v:.4g}"
                              for v, lo, hi in zip(conv["value"], conv["ci_low"], conv["ci_high"], strict=True)])
    wide = cells.pivot_table(index=["parameter", "index"], columns="n", values="cell", aggfunc="first")
    wide.columns = [f"N = {c}" for c in wide.columns]
    return wide.reset_index()


def _grouped_warnings(warnings: list[str], outcome: str) -> list[str]:
    """Fold the pairwise 'cannot be ranked' warnings of one outcome into a single line."""
    pairs = [w for w in warnings if "cannot be ranked" in w]
    rest = [w for w in warnings if "cannot be ranked" not in w]
    if len(pairs) > 1:
        names = []
        for w in pairs:
            body = w.split(":", 1)[1].split("cannot be ranked")[0]
            for n in body.split(" and "):
                n = n.strip()
                if n and n not in names:
                    names.append(n)
        rest.insert(0, f"{outcome}: {len(pairs)} adjacent pairs cannot be ranked (overlapping intervals) among: "
                    + ", ".join(names) + "; increase N or replicates to separate them")
    else:
        rest = pairs + rest
    return rest


def _sensitivity_figures(method: str, tab: pd.DataFrame, outcome: str, F: Any) -> list[tuple[str, Figure, str]]:
    if method == "sobol":
        return [(f"sobol_{outcome}", F.sobol_bars(tab, outcome), f"Sobol S1 and ST of {outcome} with bootstrap intervals")]
    if method == "morris":
        return [(f"morris_{outcome}", F.morris_plot(tab, outcome), f"Morris μ*–σ of {outcome}")]
    ix = {"fast": ("S1_fast", "ST_fast"), "rbd_fast": ("S1_rbd",), "delta": ("delta", "S1_delta"), "pawn": ("pawn",)}[method]
    return [(f"{method}_{outcome}", F.index_bars(tab, outcome, ix), f"{method} indices of {outcome}")]


def prim_section(res: PrimResult, importance: pd.DataFrame) -> Section:
    """Report section for a PRIM box and the extra-trees ranking."""
    from govsim.analysis import figures as F

    info = res.info
    return Section(
        f"Scenario discovery — {info.get('outcome')} {info.get('direction')} {info.get('threshold')}",
        paragraphs=[
            f"N = {info.get('N')} design points, base density = {res.base_density:.3f}; chosen box (step"
            f" {res.chosen}, pasted): coverage = {res.coverage:.3f}, density = {res.density:.3f},"
            f" mass = {res.mass:.3f}; peeling alpha = {info.get('alpha')}, minimum mass = {info.get('min_mass')}."
        ],
        warnings=[] if len(res.box) else [
            "PRIM found no box better than the whole sample (the bad region may be two-sided or scattered;"
            " see the feature importance instead)"
        ],
        tables=[("PRIM box limits", res.box), ("PRIM peeling trajectory", res.trajectory),
                ("Extra-trees feature importance", importance)],
        figures=[
            ("prim_tradeoff", "PRIM coverage–density trade-off", F.prim_tradeoff(res.trajectory, res.chosen)),
            ("prim_box", "PRIM box limits", F.prim_box(res.box)),
        ],
    )


def write_sensitivity_report(
    result: SensitivityResult | None,
    results: SweepResults,
    out_dir: str | Path,
    *,
    prim: tuple[PrimResult, pd.DataFrame] | None = None,
) -> Path:
    """Report for ``govsim analyze``: provenance, index tables, convergence, figures, PRIM."""
    sections = sensitivity_sections(result) if result is not None else []
    if prim is not None:
        sections.append(prim_section(*prim))
    prov = sweep_provenance(results)
    if result is not None:
        prov |= {"method": result.method, "analysis seed": result.table.attrs.get("seed", ""),
                 "confidence level": result.table.attrs.get("conf_level", "")}
    title = f"Sensitivity analysis — {prov.get('experiment') or results.source}"
    return write_report(out_dir, title, prov, sections)


# ---------------------------------------------------------------------- comparison
def write_comparison_report(
    comparison_df: pd.DataFrame,
    runs_df: pd.DataFrame,
    timeseries_df: pd.DataFrame | None,
    out_dir: str | Path,
    provenance: dict[str, Any],
    *,
    trust_threshold: float | None = None,
) -> Path:
    """Report for ``govsim compare``: outcome table, paired differences, fan charts, trust trap.

    Args:
        comparison_df: Output of :func:`analysis.compare.compare_runs`.
        runs_df: The per-run table (``scenario``, ``replicate``, ``seed``, outcomes).
        timeseries_df: Daily series (``scenario, replicate, day`` + outcomes), or None.
        out_dir: Folder for ``report.html``, ``report.md`` and ``figures/`` (``comparison.csv`` is the
            caller's: ``govsim compare`` writes the full table there once).
        provenance: Scenarios, seeds, versions, git commit... (shown as given, escaped).
        trust_threshold: Tacitus-trap threshold for the trust figure (default
            ``provenance["trust_threshold"]`` or ``["tacitus_threshold"]`` when present, else 0.3).

    Returns:
        Path of ``report.html``.
    """
    from govsim.analysis import figures as F

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scenarios = list(dict.fromkeys(runs_df["scenario"])) if "scenario" in runs_df else []
    reps = int(runs_df["replicate"].nunique()) if "replicate" in runs_df else 0
    prov = {"scenarios": scenarios, "replicates per scenario": reps, "runs": len(runs_df),
            "reference": comparison_df.attrs.get("reference", scenarios[0] if scenarios else ""),
            "bootstrap": f"BCa, {comparison_df.attrs.get('n_boot', '')} resamples, seed {comparison_df.attrs.get('seed', '')}",
            "effect size": comparison_df.attrs.get("effect_size", "Cohen's d_z (paired)"), **provenance}
    if "seed" in runs_df:
        seeds = sorted(runs_df["seed"].unique().tolist())
        prov.setdefault("seeds", seeds if len(seeds) <= 20 else f"{seeds[:5]} ... ({len(seeds)} seeds)")
    outcomes = list(dict.fromkeys(comparison_df["outcome"]))
    ranked = [o for o in outcomes if comparison_df.loc[comparison_df["outcome"] == o, "better"].iloc[0]
              in ("lower", "higher")]
    main_outcomes = [o for o in ranked if o != "cost"]
    secondary = [o for o in outcomes if o not in ranked]
    reference = prov["reference"]
    lead = Section("The answer", lead=True, paragraphs=_comparison_headline(comparison_df, main_outcomes, reference, reps),
                   tables=[("Best option on each main outcome", answer_table(comparison_df, main_outcomes))],
                   figures=[("forest", "Difference from the reference, paired by replicate (common random numbers), "
                             "with 95 % bootstrap intervals; each panel says which direction is better",
                             F.forest_plot(comparison_df, main_outcomes or outcomes))])
    main = Section(
        "Every option on each main outcome",
        paragraphs=["Mean over replicates with its 95 % interval; difference from the reference paired by replicate "
                    "with a 95 % bootstrap interval; d_z = Cohen's effect size of the paired difference; rank 1 = best."],
        tables=[(f"{outcome_unit(o).label} ({_direction_words(o)})", outcome_table(comparison_df, o))
                for o in [*main_outcomes, *(["cost"] if "cost" in ranked else [])]],
    )
    notes = [w for w in comparison_df.attrs.get("warnings", []) if "direction of improvement" not in w]
    if notes:
        main.warnings = notes
    sections = [lead, main]
    if secondary:
        sections.append(Section(
            "Secondary outcomes",
            paragraphs=[f"These outcomes have no better direction declared, so they describe rather than rank: "
                        f"{', '.join(secondary)}."],
            tables=[(outcome_unit(o).label, outcome_table(comparison_df, o)) for o in secondary]))

    if timeseries_df is not None and len(timeseries_df):
        ts = Section("Over time")
        for o in [c for c in outcomes if c in timeseries_df.columns]:
            ts.figures.append((f"fan_{o}", f"{o}: median with 50 % and 90 % bands", F.fan_chart(timeseries_df, o)))
        if "mean_trust" in timeseries_df.columns:
            thr = trust_threshold
            if thr is None:
                thr = float(provenance.get("trust_threshold", provenance.get("tacitus_threshold", 0.3)))
            ts.figures.append(("trust_trap", f"Mean trust and the Tacitus trap (threshold {thr:g})",
                               F.trust_trap(timeseries_df, thr)))
        sections.append(ts)
    return write_report(out, "Scenario comparison", prov, sections)


def _direction_words(name: str) -> str:
    better = outcome_unit(name).better
    return {"lower": "lower is better", "higher": "higher is better"}.get(better, "no better direction")


def _comparison_headline(cmp: pd.DataFrame, outcomes: list[str], reference: str, reps: int) -> list[str]:
    lines = []
    for o in outcomes:
        sub = cmp[cmp["outcome"] == o]
        best = sub.sort_values("rank").iloc[0]
        if best["scenario"] == reference:
            lines.append(f"{outcome_unit(o).label}: no option beats the reference ({reference}).")
            continue
        sig = pd.notna(best["diff_ci_low"]) and (best["diff_ci_low"] > 0 or best["diff_ci_high"] < 0)
        lines.append(
            f"{outcome_unit(o).label}: {best['scenario']} does best — {show(o, best['mean'])} against "
            f"{show(o, sub[sub['scenario'] == reference]['mean'].iloc[0])} for {reference}"
            f"{'' if sig else ' (not distinguishable from the reference at 95 %)'}; it costs "
            f"{show('cost', best['cost'])} a year ({_signed_cost(best['cost_delta'])}), "
            f"{cost_per_improvement(o, _improvement(best), best['cost_delta'])}.")
    lines.append(f"Each option ran {reps} replicates with the same seeds as the reference (common random numbers).")
    return lines


def _signed_cost(delta: float) -> str:
    if not np.isfinite(delta):
        return "cost unknown"
    return f"{'+' if delta >= 0 else '−'}{num(abs(delta), 4)} 万元 vs the reference"


def _improvement(row: pd.Series) -> float:
    d = float(row["diff"])
    return d if row["better"] == "higher" else -d


def answer_table(cmp: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """One row per main outcome: the best option, its value, the gain over the reference and its price."""
    rows = []
    for o in outcomes:
        sub = cmp[cmp["outcome"] == o]
        best = sub.sort_values("rank").iloc[0]
        rows.append({
            "outcome": f"{outcome_unit(o).label} ({_direction_words(o)})",
            "best option": best["scenario"],
            "value [95 % CI]": show_interval(o, best["mean"], best["ci_low"], best["ci_high"]),
            "vs reference [95 % CI]": show_interval(o, best["diff"], best["diff_ci_low"], best["diff_ci_high"],
                                                    diff=True)
            if best["ce_note"] != "reference" else "reference",
            "cost per year": show("cost", best["cost"]),
            "cost per unit of improvement": cost_per_improvement(o, _improvement(best), best["cost_delta"])
            if best["ce_note"] != "reference" else "–",
        })
    return pd.DataFrame(rows)


def outcome_table(cmp: pd.DataFrame, o: str) -> pd.DataFrame:
    """Every option on one outcome, best first, in display units."""
    sub = cmp[cmp["outcome"] == o]
    if sub["rank"].notna().any():
        sub = sub.sort_values("rank")
    rows = []
    for r in sub.itertuples(index=False):
        ref = r.ce_note == "reference"
        rows.append({
            "option": r.scenario,
            "mean [95 % CI]": show_interval(o, r.mean, r.ci_low, r.ci_high),
            "vs reference [95 % CI]": "reference" if ref else show_interval(o, r.diff, r.diff_ci_low, r.diff_ci_high,
                                                                            diff=True),
            "d_z": "" if ref or pd.isna(r.effect_size) else num(r.effect_size, 2),
            "rank": "" if pd.isna(r.rank) else str(int(r.rank)),
            "cost per year": show("cost", r.cost),
            "cost per unit of improvement": "" if ref or o == "cost" or r.better not in ("lower", "higher") else
            cost_per_improvement(o, r.diff if r.better == "higher" else -r.diff, r.cost_delta),
            "n": int(r.n),
        })
    return pd.DataFrame(rows)
