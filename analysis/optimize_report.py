"""The report of ``govsim optimize``: the answer first (best packages, their price, the options they beat).

Then representative packages, the levers that recur on the front, every shipped option, the
search's progress and provenance (see :func:`analysis.report.write_report`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from govsim.analysis.report import Section, write_report
from govsim.analysis.units import cost_per_improvement, num, outcome_unit, show, show_interval


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
