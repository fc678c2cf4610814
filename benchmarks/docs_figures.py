"""Regenerate the figures ``docs/performance.md`` quotes (a developer script: it writes into the tree).

Run from a clone: ``python benchmarks/docs_figures.py`` runs the full ``govsim bench`` (3–5 minutes),
keeps its figures in ``benchmarks/results/latest.json``, its profile in ``docs/img/profile.txt`` and
draws ``docs/img/scaling.png``. ``python benchmarks/docs_figures.py --plot-only`` redraws the plot
from the kept JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
PLOT = ROOT / "docs" / "img" / "scaling.png"
PROFILE = ROOT / "docs" / "img" / "profile.txt"


def scaling_figure(points: list[dict[str, Any]]):
    """Wall time, µs per issue and peak memory against residents (matplotlib object API)."""
    from matplotlib.figure import Figure

    n = [p["residents"] for p in points]
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    ax1.loglog(n, [p["build_s"] for p in points], "o-", label="construction")
    ax1.loglog(n, [p["run_s"] for p in points], "s-", label="run")
    ax1.loglog(n, [p["total_s"] for p in points], "^-", label="total")
    ax1.set(xlabel="residents", ylabel="wall time (s)", title="Wall time")
    ax1.legend()
    ax2.semilogx(n, [p["us_per_issue"] for p in points], "o-", label="total / issue")
    ax2.semilogx(n, [p["run_us_per_issue"] for p in points], "s-", label="run / issue")
    if all("cpu_s" in p for p in points):  # CPU time: what a loaded machine does not inflate
        ax2.semilogx(n, [1e6 * p["cpu_s"] / max(p["issues"], 1) for p in points], "^-", label="CPU / issue")
    ax2.set(xlabel="residents", ylabel="µs per issue", title="Cost per issue", ylim=(0, None))
    ax2.legend()
    ax3.loglog(n, [p["peak_mb"] for p in points], "o-")
    ax3.set(xlabel="residents", ylabel="peak RSS (MB)", title="Peak memory")
    days = points[0]["days"] if points else 0
    fig.suptitle(f"govsim baseline, {days} days, one process per point")
    return fig


def main(argv: list[str]) -> int:
    """Run the full benchmark (unless ``--plot-only``) and draw the scaling plot."""
    if "--plot-only" not in argv:
        from govsim.bench import run_bench

        report = run_bench(quick=False, out=RESULTS, profile=PROFILE)
        if report.errors:
            return 1
    points = json.loads(RESULTS.read_text(encoding="utf-8"))["scaling"]
    scaling_figure(points).savefig(PLOT, dpi=120)
    print(f"wrote {PLOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
