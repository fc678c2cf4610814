"""The calibrated baseline's report: target-vs-model table and validation figures for docs/calibration.md.

A developer script (it writes into the clone): ``python tools/calibration_figures.py [CALIBRATION_DIR]``
runs the baseline and the validation sweeps and writes
``docs/img/calibration_*.png`` and ``docs/img/validation_*.png`` and prints the target table (Markdown).
Figure functions take a DataFrame and return a matplotlib ``Figure`` (object API).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LEVEL_NAMES = ("community", "street", "district", "city")


def target_markdown(table: pd.DataFrame) -> str:
    """The target-vs-model table (from :func:`experiments.calibrate.check_targets`) as Markdown."""
    lines = ["| target | outcome | published | model mean [95 % CI] | 2.5–97.5 % of replicates | met |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in table.itertuples():
        pub = f"{r.target_value:.3g}" if pd.notna(r.target_value) else f"{r.target_low:.3g}–{r.target_high:.3g}"
        lines.append(f"| {r.target} | `{r.outcome}` | {pub} | {r.mean:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}] | "
                     f"{r.q025:.3g}–{r.q975:.3g} | {'yes' if r.met else '**no**'} |")
    return "\n".join(lines)


def plot_funnel(runs: pd.DataFrame):
    """Where closed issues end: settled per level, left the city, abandoned (mean over replicates)."""
    from matplotlib.figure import Figure

    cols = ["settled_self", "settled_community", "settled_street", "settled_district", "settled_city",
            "left_city", "abandoned"]
    closed = runs[cols].sum(axis=1)
    shares = runs[cols].div(closed, axis=0)
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.subplots()
    m = shares.mean()
    ax.barh(range(len(cols)), m.to_numpy(), xerr=shares.std().to_numpy(), color="tab:blue")
    ax.set_yticks(range(len(cols)), [c.replace("settled_", "settled: ") for c in cols])
    ax.invert_yaxis()
    ax.set_xscale("log")
    for i, v in enumerate(m):
        ax.text(v, i, f" {v:.1%}", va="center", fontsize=8)
    ax.set_xlabel("share of closed issues (log scale)")
    ax.set_title("The funnel: calibrated baseline, one year")
    return fig


def plot_satisfaction(runs: pd.DataFrame):
    """General satisfaction (approval) by level vs the survey, beside the timely-settlement share."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(LEVEL_NAMES))
    ap = runs[[f"approval_{lv}" for lv in LEVEL_NAMES]]
    ti = runs[[f"satisfaction_{lv}" for lv in LEVEL_NAMES]]
    ax.errorbar(x, ap.mean(), yerr=ap.std(), fmt="o-", label="approval (general satisfaction, model)")
    ax.plot(x, ti.mean(), "s--", color="0.5", label="timely share of settlements (model)")
    ax.plot([1, 2], [0.70, 0.74], "*", ms=12, color="tab:red", label="survey: township 70 %, county 74 %")
    ax.axhspan(0.74, 0.82, xmin=0.8, color="tab:red", alpha=0.15, label="survey: between county and province")
    ax.set_xticks(x, LEVEL_NAMES)
    ax.set_ylabel("share")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("Hierarchical satisfaction (T10)")
    return fig


def plot_whistle(runs: pd.DataFrame):
    """Unsolved share and settled share against the whistle rate, per department capacity."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.2), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    for cap, g in runs.groupby("capacity"):
        m = g.groupby("whistle")[["share_unsolved", "share_resolved"]].agg(["mean", "sem"])
        w = m.index.to_numpy()
        a1.errorbar(w, m[("share_unsolved", "mean")], yerr=1.96 * m[("share_unsolved", "sem")], marker="o",
                    label=f"department cases/staff/day = {cap:g}")
        a2.errorbar(w, m[("share_resolved", "mean")], yerr=1.96 * m[("share_resolved", "sem")], marker="o")
    a1.set_xlabel("whistle rate (departments.whistle_propensity)")
    a2.set_xlabel("whistle rate (departments.whistle_propensity)")
    a1.set_ylabel("closed without settlement")
    a2.set_ylabel("settled / arisen in the year")
    a1.legend(fontsize=7)
    fig.suptitle("The whistle rate: healthiest in between where departments' capacity binds")
    return fig


def plot_participation(ts: pd.DataFrame):
    """Participation over the year with and without reinforcement (mean over replicates)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.2), layout="constrained")
    ax = fig.subplots()
    for name, g in ts.groupby("scenario"):
        m = g.groupby("day")["participation_rate"].mean()
        ax.plot(m.index, m.to_numpy(), label=name)
    ax.set_xlabel("day")
    ax.set_ylabel("participation")
    ax.set_ylim(0, 0.6)
    ax.legend(fontsize=8)
    ax.set_title("Participation decays without reinforcement")
    return fig


WHISTLE_CAPACITIES = (0.8, 0.2, 0.1)
"""Department cases per staff-day: ample, binding, scarce (the baseline's 20,000-resident city)."""
WHISTLE_RATES = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)


def whistle_figure(base, img: Path, replicates: int = 20) -> pd.DataFrame:
    """Sweep the whistle rate at three department capacities; save ``validation_whistle.png``."""
    from govsim.experiments.options import replicate_seeds, run_replicates
    from govsim.sim import apply_overrides

    specs, labels = [], []
    for cap in WHISTLE_CAPACITIES:
        for w in WHISTLE_RATES:
            name = f"cap{cap}_w{w}"
            specs.append(apply_overrides(base, {"levels.district.cases_per_staff_day": cap,
                                                "departments.whistle_propensity": w, "run.name": name}))
            labels.append((name, cap, w))
    wr, _ = run_replicates(specs, replicate_seeds(5, replicates), workers=2)
    lab = pd.DataFrame(labels, columns=["scenario", "capacity", "whistle"])
    wr = wr.merge(lab, on="scenario")
    print(wr.groupby(["capacity", "whistle"])[["share_unsolved", "share_resolved", "open_issues"]].mean().to_string())
    plot_whistle(wr).savefig(img / "validation_whistle.png", dpi=110)
    return wr


def main(argv: list[str] | None = None) -> None:
    """Write the docs figures and print the target table of the calibrated baseline."""
    from govsim.experiments.calibrate import check_targets
    from govsim.experiments.options import replicate_seeds, run_replicates
    from govsim.experiments.spec import load_experiment
    from govsim.sim import apply_overrides, load_scenario

    args = argv if argv is not None else sys.argv[1:]
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    if args:  # copy the calibration run's own figures
        cal = Path(args[0])
        for name in ("posterior_marginals.png", "predicted_vs_target.png"):
            shutil.copyfile(cal / name, img / f"calibration_{name}")
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    exp = load_experiment(ROOT / "experiments" / "calibrate_baseline.toml")
    table, runs = check_targets(exp, base, replicates=20, seed=11, workers=2)
    print(target_markdown(table))
    print(runs[["share_settled_by_community", "share_settled_by_street", "share_reaching_city", "share_left_city",
                "left_city_hard_share", "share_unsolved", "mean_trust", "participation_rate"]].describe().T
          .to_string())
    plot_funnel(runs).savefig(img / "validation_funnel.png", dpi=110)
    plot_satisfaction(runs).savefig(img / "validation_satisfaction.png", dpi=110)
    whistle_figure(base, img)
    quiet = apply_overrides(base, {"policy.self_governance": 0.0, "policy.party_building_alliance": 0.0,
                                   "policy.party_member_return": 0.0, "run.name": "no reinforcement"})
    active = apply_overrides(quiet, {"policy.self_governance": 1.0, "policy.party_building_alliance": 1.0,
                                     "run.name": "councils and alliance at full strength"})
    _, ts = run_replicates([base, quiet, active], replicate_seeds(31, 4), workers=2, timeseries=True)
    plot_participation(ts).savefig(img / "validation_participation.png", dpi=110)


if __name__ == "__main__":  # pragma: no cover
    main()
