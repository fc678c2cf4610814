"""``make demo``: the baseline city for a year (summary and a figure), then baseline vs reform options."""

from __future__ import annotations

from pathlib import Path

from govsim import api
from govsim.comparison import run_compare
from govsim.runio import print_summary

DEMO_OPTIONS = ("baseline", "street_empowerment", "building_heads", "fengqiao_full")


def ladder_figure(ts, title: str):
    """Daily ladder and trust of one run: cumulative settlements per level, issues leaving the city, trust."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), constrained_layout=True)
    ax, ax2 = fig.subplots(1, 2)
    for col, label in [("settled_self", "self-governance"), ("settled_community", "community"),
                       ("settled_street", "street"), ("settled_district", "district departments"),
                       ("settled_city", "city"), ("left_city", "left the city"), ("abandoned", "given up")]:
        ax.plot(ts["day"], ts[col], label=label, lw=2 if col == "left_city" else 1.2)
    ax.set_xlabel("day")
    ax.set_ylabel("issues (cumulative)")
    ax.set_title("Where issues end up")
    ax.legend(fontsize=8, frameon=False)
    ax2.plot(ts["day"], ts["mean_trust"], color="tab:green", label="mean trust")
    ax2.plot(ts["day"], ts["participation_rate"], color="tab:purple", label="participation")
    ax2.plot(ts["day"], ts["share_low_trust"], color="tab:red", label="share below Tacitus threshold")
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("day")
    ax2.set_title("Trust and participation")
    ax2.legend(fontsize=8, frameon=False)
    fig.suptitle(title)
    return fig


def run_demo(out: Path, replicates: int = 8, seed: int = 20261129) -> None:
    """Run the demo and write its outputs under ``out`` (the same functions as ``govsim run`` and ``compare``)."""
    res = api.run("baseline", seed=seed, out=out / "baseline")
    base = res.spec
    print_summary(base, res.summary, seed)
    fig = ladder_figure(res.timeseries, f"Baseline city, {base.world.population:,} residents, one year (seed {seed})")
    fig_path = out / "baseline" / "ladder.png"
    fig.savefig(fig_path, dpi=110)
    print(f"figure: {fig_path}")
    specs = [api.load_scenario(name) for name in DEMO_OPTIONS]
    print(f"\nComparing {', '.join(DEMO_OPTIONS)} over {replicates} replicates each ...")
    # run_compare ends by printing the path of the comparison's report.html
    run_compare(specs, list(DEMO_OPTIONS), replicates=replicates, seed=seed, workers=None, out=out / "compare",
                resume=True)  # a second `make demo` reuses the finished runs
