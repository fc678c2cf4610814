"""``make demo``: the baseline city for a year (summary and a figure), then baseline vs reform options."""

from __future__ import annotations

from pathlib import Path

from govsim.comparison import run_compare
from govsim.runio import print_summary, write_run
from govsim.sim.catalog import data_dir
from govsim.sim.model import GovernanceModel
from govsim.sim.scenario import load_scenario

SCENARIOS = data_dir() / "scenarios"  # the clone's scenarios/, or the copies bundled with an installed package
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
    """Run the demo and write its outputs under ``out``."""
    base = load_scenario(SCENARIOS / "baseline.toml")
    model = GovernanceModel(base, rng=seed)
    model.run_for(base.run.days)
    summary = model.summary()
    print_summary(base, summary, seed)
    ts = model.timeseries()
    write_run(out / "baseline", base, summary, ts, seed)
    fig = ladder_figure(ts, f"Baseline city, {base.world.population:,} residents, one year (seed {seed})")
    fig_path = out / "baseline" / "ladder.png"
    fig.savefig(fig_path, dpi=110)
    print(f"figure: {fig_path}")
    files = [SCENARIOS / f"{name}.toml" for name in DEMO_OPTIONS]
    specs = [load_scenario(f) for f in files]
    print(f"\nComparing {', '.join(DEMO_OPTIONS)} over {replicates} replicates each ...")
    # run_compare ends by printing the path of the comparison's report.html
    run_compare(specs, [str(f) for f in files], replicates=replicates, seed=seed, workers=None,
                out=out / "compare")
