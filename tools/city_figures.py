"""Figures of docs/city-files.md and docs/calibration.md: the two real cities' maps and waiting times.

``python tools/city_figures.py`` runs Zhuji and Dongcheng for 90 days (seed 1) and draws each on the
dashboard's map (buildings coloured by open issues, streets outlined), and the baseline's
distribution of days a case waited in a queue over a year (4 seeds pooled), into ``docs/figures/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from govsim.sim import load_scenario
from govsim.sim.dashboard_views import city_figure, city_layout
from govsim.sim.model import run_quietly
from matplotlib.figure import Figure

from govsim.comparison import replicate_seeds

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"


def maps() -> None:
    """The maps of the two real cities after 90 days."""
    for name, title in (("zhuji", "Zhuji"), ("dongcheng", "Dongcheng (Beijing)")):
        m = run_quietly(load_scenario(name), 1, 90)
        fig = city_figure({title: m}, city_layout(m.world))
        fig.savefig(OUT / f"{name}_map.png", dpi=110)


def waiting_times() -> None:
    """Days a case waited before an office took it up, baseline city, one year, 4 seeds pooled."""
    hist = np.zeros(400, dtype=np.int64)
    for seed in replicate_seeds(20261206, 4):
        hist += run_quietly(load_scenario("baseline"), seed).counts.wait_hist
    fig = Figure(figsize=(6.0, 3.2), dpi=110)
    ax = fig.add_subplot()
    days = np.arange(61)
    ax.bar(days, hist[:61] / hist.sum(), width=0.9, color="#546e7a")
    mean = float((np.arange(400) * hist).sum() / hist.sum())
    ax.axvline(20, color="#c62828", lw=1, ls="--")
    ax.text(20.5, ax.get_ylim()[1] * 0.9, "community patience (20 days)", color="#c62828", fontsize=8)
    ax.set_xlabel("days waited in an office's queue (whole days; 60+ not shown)")
    ax.set_ylabel("share of cases taken up")
    ax.set_title(f"Baseline city: waiting before a case is taken up (mean {mean:.1f} days)", fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT / "waiting_times.png")
    share = np.cumsum(hist) / hist.sum()
    print(f"waiting: mean {mean:.2f} days; same day {share[0]:.3f}; within 7 days {share[7]:.3f}; "
          f"within 20 days {share[20]:.3f}; 30+ days {1 - share[29]:.4f}")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    waiting_times()
    maps()
