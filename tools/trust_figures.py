"""Trust's recovery, trap and hysteresis figures for docs/ (ODD §7.14a; ``python tools/trust_figures.py``).

Runs cities of 100,000 residents (about 15 communities, so one saturated community does not decide the mean) with paired seeds and writes ``docs/img/trust_recovery.png`` and
``docs/img/trust_hysteresis.png``, printing the numbers quoted in docs/calibration.md.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"world.population": 100_000}
SEEDS = (11, 12, 13, 14)


def shock(hit: float) -> list[dict]:
    """A city-wide relative trust hit on day 365."""
    return [{"name": "scandal", "day": 365, "duration_days": 1, "district": -1, "types": ["neighbour"],
             "rate_multiplier": 1.0, "severity_boost": 0.0, "trust_hit": hit}]


RESCUE = [{"day": 1095, "key": "policy.grassroots_corruption", "value": 0.0}] + [
    {"day": 1095 + 90 * k, "key": "event.success", "value": 0.1} for k in range(8)]
"""The strong, sustained change that pulls a trapped city out: corruption ends and, for two years,
visible results are publicised every quarter (0.1 good experiences per resident-year each)."""

SWEEP = [{"day": 365, "key": "policy.grassroots_corruption", "value": 0.4, "phase_in_days": 1095},
         {"day": 1460, "key": "policy.grassroots_corruption", "value": 0.0, "phase_in_days": 1095}]
"""Corruption up from 0.05 to 0.4 over three years, then down to 0 over three years."""


def trajectory(args: tuple[dict, int, int]) -> np.ndarray:
    """Daily (mean_trust, grassroots_corruption) of one run."""
    from govsim.sim.model import GovernanceModel
    from govsim.sim.scenario import ScenarioSpec, apply_overrides

    over, seed, days = args
    m = GovernanceModel(apply_overrides(ScenarioSpec(), {**SMALL, **over}, "figure"), rng=seed)
    out = np.zeros((days + 1, 2))
    out[0] = m.residents.mean_trust(), m.spec.policy.grassroots_corruption
    for d in range(1, days + 1):
        m.step()
        out[d] = m.residents.mean_trust(), m.spec.policy.grassroots_corruption
    return out


def main() -> int:
    """Run the cases, write the two figures and print their numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = {"baseline": {}, "shock 0.2": {"shocks": shock(0.2)}, "shock 0.4": {"shocks": shock(0.4)},
             "shock 0.6": {"shocks": shock(0.6)}, "shock 0.6 + rescue (day 1095)": {"shocks": shock(0.6), "timeline": RESCUE},
             "sweep": {"timeline": SWEEP}}
    days = {k: (2555 if k == "sweep" else 2190) for k in cases}
    jobs = [(cases[k], s, days[k]) for k in cases for s in SEEDS]
    with ProcessPoolExecutor(2) as ex:
        res = list(ex.map(trajectory, jobs))
    by = {k: np.mean(res[i * len(SEEDS):(i + 1) * len(SEEDS)], axis=0) for i, k in enumerate(cases)}
    reps = {k: np.array(res[i * len(SEEDS):(i + 1) * len(SEEDS)]) for i, k in enumerate(cases)}
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for k in cases:
        if k == "sweep":
            continue
        ax.plot(np.arange(days[k] + 1) / 365, by[k][:, 0], label=k)
    ax.axhline(0.3, color="grey", ls=":", lw=1)
    ax.set_xlabel("years")
    ax.set_ylabel("mean trust")
    ax.set_title(f"Recovery and the Tacitus trap (100,000 residents, mean of {len(SEEDS)} seeds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(ROOT / "docs" / "img" / "trust_recovery.png", dpi=110)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    sw = by["sweep"]
    up, down = sw[365:1461], sw[1460:]
    ax.plot(up[:, 1], up[:, 0], label="corruption rising")
    ax.plot(down[:, 1], down[:, 0], label="corruption falling")
    ax.set_xlabel("grassroots corruption (share of contacts)")
    ax.set_ylabel("mean trust")
    ax.set_title("Hysteresis: same corruption, different trust")
    ax.legend()
    fig.tight_layout()
    fig.savefig(ROOT / "docs" / "img" / "trust_hysteresis.png", dpi=110)
    for k in cases:
        if k == "sweep":
            continue
        r = reps[k][:, :, 0]
        pre, post, y3, end = r[:, 364], r[:, 366], r[:, 365 + 3 * 365], r[:, -1]
        print(f"{k:32s} pre {pre.mean():.3f} post {post.mean():.3f} +3y {y3.mean():.3f} end {end.mean():.3f} "
              f"recovered share at +3y {np.mean((y3 - post) / np.maximum(pre - post, 1e-9)):.2f}")
    for c in (0.1, 0.2, 0.3):
        iu = int(np.argmin(np.abs(up[:, 1] - c)))
        idn = int(np.argmin(np.abs(down[:, 1] - c)))
        print(f"corruption {c:.1f}: trust rising leg {up[iu, 0]:.3f}, falling leg {down[idn, 0]:.3f}")
    print(f"sweep: start {sw[0, 0]:.3f}, at peak {sw[1460, 0]:.3f}, end (corruption 0) {sw[-1, 0]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
