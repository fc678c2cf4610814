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
.answer table{font-size:0.85em}
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
    path = out / f"{stem}.html"
    path.write_text("\n".join(h), encoding="utf-8")
    (out / f"{stem}.md").write_text("\n".join(m), encoding="utf-8")
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


# ---------------------------------------------------------------------- readable units
@dataclass(frozen=True)
class Unit:
    """How a planner reads one outcome.

    Attributes:
        label: Short name.
        suffix: Unit shown after a value (``%``, ``days``, ``万元``).
        factor: Multiplier from the model's value to the shown value (100 for shares).
        step: The unit of improvement that costs are quoted per, in shown units.
        per: Words for one ``step`` of improvement (``percentage point fewer issues leaving the city``).
        better: ``lower``, ``higher`` or ``neither``.
    """

    label: str
    suffix: str
    factor: float
    step: float
    per: str
    better: str


_PER = {
    "share_left_city": "percentage point fewer issues leaving the city",
    "left_city": "dispute kept inside the city",
    "abandoned": "issue not abandoned",
    "mean_resolution_days": "day faster settlement",
    "p90_resolution_days": "day faster settlement (slowest 10 %)",
    "mean_trust": "0.01 more trust",
    "share_low_trust": "percentage point fewer residents in low trust",
    "share_settled_by_community": "percentage point more settled in the community",
    "share_settled_by_street": "percentage point more settled at or below the street",
}


def outcome_unit(name: str) -> Unit:
    """The display unit of an outcome, from the model's outcome registry (generic for unknown outcomes)."""
    from govsim.analysis.compare import better_direction

    better = better_direction(name)
    try:
        from govsim.sim.metrics import ALL_OUTCOMES
    except ImportError:  # pragma: no cover - analysis also serves other models
        ALL_OUTCOMES = {}  # noqa: N806
    o = ALL_OUTCOMES.get(name)
    label = name.replace("_", " ")
    if o is None:
        return Unit(label, "", 1.0, 1.0, f"unit of {name}", better)
    unit = o.unit
    if unit in ("share", "probability"):
        return Unit(label, "%", 100.0, 1.0, _PER.get(name, f"percentage point of {label}"), better)
    if unit == "days":
        return Unit(label, "days", 1.0, 1.0, _PER.get(name, f"day of {label}"), better)
    if unit == "0–1":
        return Unit(label, "", 1.0, 0.01, _PER.get(name, f"0.01 of {label}"), better)
    if unit.startswith("万元"):
        return Unit(label, "万元", 1.0, 1.0, "万元", better)
    if unit == "issues":
        return Unit(label, "issues", 1.0, 1.0, _PER.get(name, f"issue ({label})"), better)
    return Unit(label, unit, 1.0, 1.0, f"unit of {label}", better)


def num(v: Any, sig: int = 3) -> str:
    """A number for people: about ``sig`` significant digits, thousands separated, never ``1.2e-05``."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    digits = max(0, sig - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{min(digits, 10)}f}"


def show(name: str, v: Any, *, unit: bool = True, sig: int = 3, diff: bool = False) -> str:
    """An outcome value in its display unit (``1.23 %``, ``13.4 days``, ``2,101 万元``).

    With ``diff``, ``v`` is a difference: shares are then in percentage points (``pp``).
    """
    u = outcome_unit(name)
    try:
        x = float(v) * u.factor
    except (TypeError, ValueError):
        return str(v)
    text = num(x, sig if u.suffix != "万元" else max(sig, 4))
    suffix = "pp" if diff and u.suffix == "%" else u.suffix
    return f"{text} {suffix}".rstrip() if unit and suffix and not math.isnan(x) else text


def show_interval(name: str, v: Any, lo: Any, hi: Any, *, diff: bool = False) -> str:
    """``value [low, high]`` in display units (the interval without units)."""
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return show(name, v, diff=diff)
    return f"{show(name, v, diff=diff)} [{show(name, lo, unit=False)}, {show(name, hi, unit=False)}]"


def cost_per_improvement(name: str, improvement: float, extra_cost: float) -> str:
    """Extra cost per unit of improvement, in words (``12.5 万元 per day faster settlement``).

    ``improvement`` is in model units, signed so that positive is better; ``extra_cost`` in 万元.
    """
    u = outcome_unit(name)
    if not np.isfinite(improvement) or not np.isfinite(extra_cost):
        return "–"
    steps = improvement * u.factor / u.step
    if steps <= 0:
        return "no improvement" if extra_cost >= 0 else "cheaper, but worse"
    if extra_cost <= 0:
        return f"saves {num(-extra_cost, 4)} 万元 and improves: dominant"
    return f"{num(extra_cost / steps)} 万元 per {u.per}"


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
        out_dir: Folder for ``report.html``, ``report.md``, ``comparison.csv`` and ``figures/``.
        provenance: Scenarios, seeds, versions, git commit... (shown as given, escaped).
        trust_threshold: Tacitus-trap threshold for the trust figure (default
            ``provenance["trust_threshold"]`` or ``["tacitus_threshold"]`` when present, else 0.3).

    Returns:
        Path of ``report.html``.
    """
    from govsim.analysis import figures as F

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    comparison_df.to_csv(out / "comparison.csv", index=False)
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



# ---------------------------------------------------------------------- optimisation
def representative_packages(front: pd.DataFrame, objectives: dict[str, str], k: int = 5) -> pd.DataFrame:
    """Up to ``k`` packages that span the front, each with the reason it was chosen (column ``why``).

    The best package on each objective first, then the balanced one (closest to the ideal point after
    scaling each objective to 0–1 over the front), then the packages farthest from those already
    chosen (farthest-point sampling in the scaled objective space).
    """
    if front.empty:
        return front.assign(why=[])
    names = list(objectives)
    z = front[names].to_numpy(float).copy()
    for j, n in enumerate(names):
        if objectives[n] == "max":
            z[:, j] = -z[:, j]
    lo, hi = np.nanmin(z, axis=0), np.nanmax(z, axis=0)
    z = (z - lo) / np.where(hi > lo, hi - lo, 1.0)
    chosen: list[int] = []
    why: list[str] = []
    for j, n in enumerate(names):
        i = int(np.nanargmin(z[:, j]))
        if i not in chosen and len(chosen) < k:
            chosen.append(i)
            why.append(f"best {outcome_unit(n).label}")
        elif i in chosen:
            why[chosen.index(i)] += f", best {outcome_unit(n).label}"
    balanced = int(np.nanargmin(np.linalg.norm(z, axis=1)))
    if balanced not in chosen and len(chosen) < k:
        chosen.append(balanced)
        why.append("balanced (closest to the ideal)")
    while len(chosen) < min(k, len(front)):
        d = np.min(np.linalg.norm(z[:, None, :] - z[None, chosen, :], axis=2), axis=1)
        d[chosen] = -1
        chosen.append(int(np.argmax(d)))
        why.append("spread along the front")
    return front.iloc[chosen].assign(why=why).reset_index(drop=True)


def _lever_label(name: str) -> str:
    return name.split(".")[-1].replace("_", " ")


def _lever_cell(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "on" if v else "off"
    if isinstance(v, float | np.floating):
        return num(v, 2)
    return str(v)


def package_table(rows: pd.DataFrame, objectives: dict[str, str], levers: list[str], label_col: str,
                  extra: list[str] | None = None) -> pd.DataFrame:
    """Packages or options in display units: name, objectives with 5–95 % ranges, then the levers."""
    out = []
    for _, r in rows.iterrows():
        row: dict[str, Any] = {"package": str(r[label_col])}
        if "why" in r:
            row["why"] = r["why"]
        for o in [*objectives, *(extra or [])]:
            if o in r:
                row[f"{outcome_unit(o).label} ({'↓' if objectives.get(o, 'min') == 'min' else '↑'})"
                    if o in objectives else outcome_unit(o).label] = show_interval(
                    o, r[o], r.get(f"{o}_low"), r.get(f"{o}_high"))
        for lv in levers:
            row[_lever_label(lv)] = _lever_cell(r[lv])
        out.append(row)
    return pd.DataFrame(out)


def lever_table(rows: pd.DataFrame, levers: list[str], label_col: str) -> pd.DataFrame:
    """Lever settings with one row per lever and one column per package (so a wide study fits the page)."""
    out = pd.DataFrame({"lever": [_lever_label(lv) for lv in levers]})
    for _, r in rows.iterrows():
        out[str(r[label_col])] = [_lever_cell(r[lv]) for lv in levers]
    return out


def recurring_levers(front: pd.DataFrame, evaluated: pd.DataFrame, levers: list[str]) -> pd.DataFrame:
    """Per lever: its values on the front (median and middle half, or the share per level) vs all evaluated."""
    rows = []
    for lv in levers:
        f, a = front[lv], evaluated[lv]
        if f.dtype == bool or f.dtype == object:
            share = f.map(_lever_cell).value_counts(normalize=True)
            top = share.index[0]
            rows.append({"lever": _lever_label(lv), "on the front": f"{num(100 * share.iloc[0], 2)} % {top}",
                         "all evaluated": f"{num(100 * (a.map(_lever_cell) == top).mean(), 2)} % {top}",
                         "verdict": "recurs" if share.iloc[0] >= 0.75 else "varies"})
            continue
        q1, q2, q3 = np.quantile(f.astype(float), [0.25, 0.5, 0.75])
        b1, b3 = np.quantile(a.astype(float), [0.25, 0.75])
        narrow = (q3 - q1) <= 0.5 * max(b3 - b1, 1e-12)
        rows.append({"lever": _lever_label(lv), "on the front": f"{num(q2, 2)} [{num(q1, 2)}, {num(q3, 2)}]",
                     "all evaluated": f"[{num(b1, 2)}, {num(b3, 2)}]",
                     "verdict": ("recurs (narrow band)" if narrow else "varies along the front")})
    return pd.DataFrame(rows)


def _dominance_lines(options: pd.DataFrame, front: pd.DataFrame, objectives: dict[str, str]) -> list[str]:
    lines = []
    by_id = front.set_index("candidate_id")
    dominated = options[options["n_dominating"] > 0]
    for r in dominated.head(3).itertuples(index=False):
        ids = json.loads(r.dominated_by)
        cheapest = by_id.loc[ids].sort_values("cost").index[0] if "cost" in by_id else ids[0]
        p = by_id.loc[cheapest]
        gains = "; ".join(f"{outcome_unit(o).label} {show(o, p[o])} vs {show(o, getattr(r, o))}" for o in objectives)
        lines.append(f"{r.option} is dominated by {len(ids)} package(s); e.g. package #{cheapest}: {gains}.")
    if len(dominated) > 3:
        lines.append(f"… and {len(dominated) - 3} more of the {len(options)} shipped options are dominated "
                     "(see Shipped options).")
    elif len(dominated):
        lines.append(f"{len(dominated)} of the {len(options)} shipped options are dominated.")
    if dominated.empty:
        lines.append("No shipped option is dominated by a package on the front: each is best on some objective "
                     "or trade-off. " + "; ".join(
                         f"{r.option}: " + ", ".join(f"{outcome_unit(o).label} {show(o, getattr(r, o))}"
                                                     for o in objectives)
                         for r in options.itertuples(index=False)) + ".")
    return lines


def write_optimize_report(res: dict[str, Any], out_dir: str | Path) -> Path:
    """Report for ``govsim optimize``: the answer first (best packages, their price, the options they beat).

    Args:
        res: :func:`experiments.optimize.read_optimize` of a finished search.
        out_dir: Folder for ``report.html``, ``report.md`` and ``figures/``.

    Returns:
        Path of ``report.html``.
    """
    from govsim.analysis import figures as F

    meta = res["meta"]
    spec = meta["spec"]
    objectives: dict[str, str] = spec["objectives"]
    levers = list(spec["parameters"])
    front, evals, history, options = res["pareto"], res["evaluations"], res["history"], res["options"]
    unc = spec.get("uncertainties") or {}
    robustness = unc.get("robustness", "mean") if unc else "mean"
    n_states = int(meta.get("ensemble", 1))
    reps = int(spec["experiment"]["replicates"])
    judged = {"mean": "by its mean across the states of the world",
              "p90": "by its bad-side 90th percentile across the states of the world (beaten in only 10 % of them)",
              "regret": "by its largest regret across the states (shortfall from the best package in that state)",
              "satisficing": "by the share of states in which it meets its threshold"}[robustness]
    reference = None
    if options is not None and len(options):
        reference = "baseline" if "baseline" in set(options["option"]) else str(options["option"].iloc[0])
    head = [f"{len(front)} packages are on the front (no other package is at least as good on every objective and "
            f"better on one, within the constraints) among {len(evals)} packages evaluated over "
            f"{len(history)} generations: {int(meta.get('runs', 0)):,} model runs, each package in {n_states} state(s) "
            f"of the world × {reps} replicate(s) with the same seeds (common random numbers). Each objective is "
            f"judged {judged}; the ranges shown are 5–95 % over all of a package's runs."]
    best_rows = []
    for o, sense in objectives.items():
        if front.empty:
            break
        i = front[o].idxmin() if sense == "min" else front[o].idxmax()
        p = front.loc[i]
        row = {"objective": f"{outcome_unit(o).label} ({'lower' if sense == 'min' else 'higher'} is better)",
               "best package": f"#{int(p['candidate_id'])}",
               "value [5–95 %]": show_interval(o, p[o], p.get(f"{o}_low"), p.get(f"{o}_high"))}
        if "cost" in front:
            row["cost"] = show("cost", p["cost"])
        if reference is not None and o in options:
            ref = options[options["option"] == reference].iloc[0]
            gain = (ref[o] - p[o]) if sense == "min" else (p[o] - ref[o])
            row[f"vs {reference}"] = f"{'+' if p[o] >= ref[o] else '−'}{show(o, abs(p[o] - ref[o]), diff=True)}"
            if "cost" in front and o != "cost":
                row["cost per unit of improvement"] = cost_per_improvement(o, gain, p["cost"] - ref["cost"])
        best_rows.append(row)
    lead = Section("The answer", lead=True, paragraphs=head,
                   tables=[("Best package on each objective", pd.DataFrame(best_rows))])
    if options is not None and len(options):
        lead.paragraphs += _dominance_lines(options, front, objectives)
    labels = {o: outcome_unit(o).label for o in objectives}
    lead.figures.append(("front", "The front: every package on it (blue) and the shipped options (red, dashed); "
                         + ("each axis runs from worst to best" if len(objectives) > 2 else "arrows: better"),
                         F.pareto_front(front, objectives, options, labels)))
    reps_tab = representative_packages(front, objectives)
    forest_rows = []
    for kind, tab, label in (("package", reps_tab, "candidate_id"), ("option", options, "option")):
        if tab is None or not len(tab):
            continue
        for _, r in tab.iterrows():
            name = f"#{int(r[label])}" if kind == "package" else str(r[label])
            for o in objectives:
                forest_rows.append({"label": name, "kind": kind,
                                    "outcome": f"{labels[o]} ({'lower' if objectives[o] == 'min' else 'higher'} "
                                               f"is better)",
                                    "value": float(r[o]) * outcome_unit(o).factor,
                                    "low": float(r.get(f"{o}_low", r[o])) * outcome_unit(o).factor,
                                    "high": float(r.get(f"{o}_high", r[o])) * outcome_unit(o).factor})
    if forest_rows:
        lead.figures.append(("forest", "Representative packages (blue) and shipped options (red): value and 5–95 % "
                             "range over runs, in display units", F.package_forest(pd.DataFrame(forest_rows))))
    reps_show = reps_tab.assign(candidate_id=[f"#{int(c)}" for c in reps_tab["candidate_id"]]) if len(reps_tab) \
        else reps_tab
    extra = [o for o in spec.get("constraints", {}) if o not in objectives]
    sections = [lead,
                Section("Representative packages", paragraphs=[
                    "Five packages that span the front (best on each objective, the balanced one, then the most "
                    "different); objectives with their 5–95 % range over runs, then the lever settings."],
                    tables=[("Representative packages: outcomes", package_table(reps_show, objectives, [],
                                                                                 "candidate_id", extra)),
                            ("Representative packages: lever settings", lever_table(reps_show, levers,
                                                                                   "candidate_id"))]),
                Section("Recurring levers", paragraphs=[
                    "Levers whose values on the front sit in a narrow band (or on one level) recur: the front agrees "
                    "on them. The others trade one objective against another."],
                    tables=[("Levers on the front vs all evaluated packages (median [middle half])",
                             recurring_levers(front, evals, levers) if len(front) else pd.DataFrame())])]
    if options is not None and len(options):
        opt = options.assign(dominated=[("yes, by " + ", ".join(f"#{i}" for i in json.loads(d)[:5])
                                         + (" …" if n > 5 else "")) if n else "no"
                                        for d, n in zip(options["dominated_by"], options["n_dominating"], strict=True)])
        tab = package_table(opt, objectives, [], "option", extra)
        tab.insert(1, "dominated", opt["dominated"].tolist())
        sections.append(Section("Shipped options", paragraphs=[
            "The hand-made options, run with the same seeds and the same states of the world as every package."],
            tables=[("Shipped options", tab)]))
    sections.append(Section("Search progress", paragraphs=[
        f"Hypervolume of the front per generation (reference point {meta.get('reference_point')}, in the order of "
        f"the objectives); a flat tail means more generations would add little."],
        figures=[("hypervolume", "Hypervolume and front size per generation", F.hypervolume_history(history))]))
    prov = {"study": spec["experiment"]["name"], "file": meta.get("file"), "algorithm": spec["search"]["algorithm"],
            "population": spec["search"]["population"], "generations": spec["search"]["generations"],
            "robustness": robustness, "states of the world": n_states, "replicates": reps,
            "evaluations": meta.get("evaluations"), "runs": meta.get("runs"), "seeds": meta.get("seeds"),
            "wall time (s)": meta.get("wall_s"), "started": meta.get("started"), "finished": meta.get("finished"),
            "resumed": meta.get("resumed"), "versions": meta.get("versions")}
    return write_report(out_dir, f"Best packages — {spec['experiment']['name']}", prov, sections)
