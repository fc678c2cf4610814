"""The early-warning trade-off for docs/ (ODD §7.4a; ``python tools/warning_figures.py``).

Sweeps the risk score's threshold (``policy.early_warning_threshold``) at full coverage on the
20,000-resident baseline city for one year, with the same seeds at every threshold and without the
score, at the baseline's data sharing (0.2) and at full data sharing. Writes
``docs/figures/warning-tradeoff.png``: detection gained (issues the score found, per 1,000 residents a
year) against community capacity spent on its visits (cases a year, false alarms' share marked),
one point per threshold; and prints the table quoted in docs/ODD.md §7.4a.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CITY = {"world.population": 20_000, "run.days": 365}
SEEDS = (21, 22, 23)
THRESHOLDS = (3.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.0)
SHARING = (0.2, 1.0)
KEYS = ("warning_found", "warning_false_alarms", "warning_capacity", "days_to_known", "severity_when_known",
        "mean_trust")


def run(args: tuple[dict, int]) -> dict[str, float]:
    """One year's summary for overrides and a seed."""
    from govsim.sim.model import simulate
    from govsim.sim.scenario import ScenarioSpec, apply_overrides

    over, seed = args
    return simulate(apply_overrides(ScenarioSpec(), {**CITY, **over}, "figure"), rng=seed)[0]


def sweep(workers: int = 2) -> dict[tuple[float, float | None], dict[str, float]]:
    """Mean outcomes by (data sharing, threshold); threshold None is the city without the score."""
    cells: list[tuple[float, float | None]] = [(ds, None) for ds in SHARING]
    cells += [(ds, t) for ds in SHARING for t in THRESHOLDS]
    jobs = []
    for ds, t in cells:
        over = {"policy.data_sharing": ds}
        if t is not None:
            over |= {"policy.early_warning": 1.0, "policy.early_warning_threshold": t}
        jobs += [(over, s) for s in SEEDS]
    with ProcessPoolExecutor(workers) as pool:
        rows = list(pool.map(run, jobs))
    out = {}
    for i, cell in enumerate(cells):
        chunk = rows[i * len(SEEDS):(i + 1) * len(SEEDS)]
        out[cell] = {k: float(np.mean([r[k] for r in chunk])) for k in KEYS}
    return out


def figure(res: dict, path: Path) -> None:
    """Detection gained against capacity spent, by threshold, for each data-sharing level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_1000 = 1000.0 / CITY["world.population"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4.2))
    for ds, colour in zip(SHARING, ("tab:blue", "tab:orange"), strict=True):
        cap = [res[(ds, t)]["warning_capacity"] for t in THRESHOLDS]
        found = [res[(ds, t)]["warning_found"] * per_1000 for t in THRESHOLDS]
        gain = [res[(ds, None)]["days_to_known"] - res[(ds, t)]["days_to_known"] for t in THRESHOLDS]
        ax.plot(cap, found, "o-", color=colour, label=f"data sharing {ds:g}")
        bx.plot(cap, gain, "o-", color=colour, label=f"data sharing {ds:g}")
        for t, x, y in zip(THRESHOLDS, cap, found, strict=True):
            ax.annotate(f"{t:g}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("community capacity spent on visits (cases a year)")
    ax.set_ylabel("issues found by the score (per 1,000 residents a year)")
    ax.set_title("Detection gained vs capacity spent (labels: threshold)")
    bx.set_xlabel("community capacity spent on visits (cases a year)")
    bx.set_ylabel("days sooner an issue is known (vs no score)")
    bx.set_title("Speed gained")
    for a in (ax, bx):
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> int:
    """Run the threshold sweep, print its table and write the trade-off figure."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    res = sweep()
    print("| data sharing | threshold | found /yr | false alarms /yr | capacity /yr | days to known | severity when known | mean trust |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for (ds, t), r in res.items():
        print(f"| {ds:g} | {'off' if t is None else f'{t:g}'} | {r['warning_found']:.0f} | {r['warning_false_alarms']:.0f} | "
              f"{r['warning_capacity']:.0f} | {r['days_to_known']:.2f} | {r['severity_when_known']:.3f} | {r['mean_trust']:.3f} |")
    figure(res, ROOT / "docs" / "figures" / "warning-tradeoff.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
