"""The scaling figure of docs/performance.md: µs per issue and peak memory against residents, 10k to Beijing.

Each point is one baseline year in a fresh interpreter (:func:`govsim.bench.run_in_child`), so its
peak RSS is its own. Measuring all six points takes 10–20 minutes on one core (the Beijing point
alone 5–10); drawing from kept figures takes a second::

    python tools/scaling_figure.py --run                  # measure, keep the JSON, draw
    python tools/scaling_figure.py --run --sizes 10000 100000 1000000   # a subset
    python tools/scaling_figure.py                        # redraw from the kept JSON

Writes ``benchmarks/results/scaling.json`` (with ``--run``) and ``docs/figures/scaling.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scaling.json"
FIGURE = ROOT / "docs" / "figures" / "scaling.png"
TARGET_US_PER_ISSUE = 60.0


def measure(sizes: list[int], days: int = 365) -> dict[str, Any]:
    """One fresh process per size; the machine and its load recorded with the figures."""
    from govsim.bench import model_fingerprint, run_in_child

    points = []
    load0 = os.getloadavg()[0]
    for n in sizes:
        p = run_in_child(n, days)
        p["load_after"] = os.getloadavg()[0]
        points.append(p)
        print(f"{n:>12,} residents: {p['cpu_s']:8.1f} s CPU, {p['total_s']:8.1f} s wall, "
              f"{1e6 * p['cpu_s'] / max(p['issues'], 1):6.1f} µs CPU/issue, {p['peak_mb']:8.0f} MB", flush=True)
    import mesa
    import numpy

    machine = {"python": platform.python_version(), "mesa": mesa.__version__, "numpy": numpy.__version__,
               "cpus": os.cpu_count(), "load_1min_at_start": load0, "model_fingerprint": model_fingerprint()}
    return {"machine": machine, "scaling": points}


def figure(points: list[dict[str, Any]]):
    """µs per issue (CPU and wall) and peak RSS against residents, log x (matplotlib object API)."""
    from matplotlib.figure import Figure

    n = [p["residents"] for p in points]
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.semilogx(n, [1e6 * p["cpu_s"] / max(p["issues"], 1) for p in points], "o-", label="CPU / issue")
    ax1.semilogx(n, [p["us_per_issue"] for p in points], "s--", alpha=0.6, label="wall / issue (loaded machine)")
    ax1.axhline(TARGET_US_PER_ISSUE, color="grey", lw=1, ls=":", label=f"target {TARGET_US_PER_ISSUE:g} µs")
    ax1.set(xlabel="residents", ylabel="µs per issue", title="Cost per issue (construction + run)", ylim=(0, None))
    ax1.legend(fontsize=8)
    ax2.loglog(n, [p["peak_mb"] for p in points], "o-")
    ax2.plot([1e6, 21_893_095], [1024, 8192], "v", color="grey", label="targets (1 M: 1 GB, Beijing: 8 GB)")
    ax2.set(xlabel="residents", ylabel="peak RSS (MB)", title="Peak memory (own VmHWM)")
    ax2.legend(fontsize=8)
    days = points[0]["days"] if points else 0
    fig.suptitle(f"govsim baseline, {days} days, one fresh process per point")
    return fig


def main(argv: list[str]) -> int:
    """Measure (``--run``) and draw."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", action="store_true", help="measure the points (else redraw from the kept JSON)")
    ap.add_argument("--sizes", type=int, nargs="+",
                    default=[10_000, 100_000, 1_000_000, 3_000_000, 10_000_000, 21_893_095])
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--out", type=Path, default=FIGURE)
    args = ap.parse_args(argv)
    if args.run:
        args.results.write_text(json.dumps(measure(args.sizes), indent=2) + "\n", encoding="utf-8")
    points = sorted(json.loads(args.results.read_text(encoding="utf-8"))["scaling"], key=lambda p: p["residents"])
    figure(points).savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
