"""Measure T11: petitions after conflict-resolution centres open, paired with the baseline (ODD §7.27).

Each seed runs two cities: the baseline, and the same city whose centres open on day 365 by the
scenario timeline (``policy.conflict_centre`` → 1 phased in over 90 days, as in
``tests/test_trajectories.py``). Petitions (``petitions``: residents' own cases at the city's petition
office plus petitions above the city) are counted per year after the reform in both arms; the change
is the ratio of the sums over the pairs − 1, with a 95 % interval from resampling the pairs. A third
arm has centres from day 0 (as in ``tests/test_channels.py``), first year. Nothing here is fitted:
the centre's reach and staffing come from their fields' sources and ranges (``sim/spec_disputes.py``).

Run from the repository root:  .venv/bin/python tools/t11_centre.py [--seeds 30] [--years 5] [--set key=value]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import numpy as np

REFORM_DAY = 365
T11 = [{"day": REFORM_DAY, "key": "policy.conflict_centre", "value": 1.0, "phase_in_days": 90}]


def yearly(job: tuple[str, int, int, int, dict[str, float]]) -> list[float]:
    """Petitions in each year of one run: years after the reform (timeline arms) or from day 0 (``day0``)."""
    from govsim.sim.model import simulate
    from govsim.sim.scenario import ScenarioSpec, apply_overrides

    arm, seed, population, years, extra = job
    over: dict[str, object] = {"world.population": population, **extra}
    if arm == "centre":
        over["timeline"] = T11
    elif arm == "day0":
        over["policy.conflict_centre"] = 1.0
    start = 0 if arm in ("day0", "base0") else REFORM_DAY
    spec = apply_overrides(ScenarioSpec(), over, "t11")
    _, ts = simulate(spec, rng=seed, days=start + 365 * years, timeseries=True)
    p = ts.petitions.to_numpy(dtype=float)
    return [float(p[start + 365 * (y + 1)] - p[start + 365 * y]) for y in range(years)]


def change(base: np.ndarray, arm: np.ndarray, rng: np.random.Generator, n_boot: int = 10_000) -> tuple[float, float, float]:
    """Ratio of sums − 1 over the pairs, and its 95 % interval from resampling the pairs."""
    est = arm.sum() / base.sum() - 1.0
    idx = rng.integers(0, len(base), (n_boot, len(base)))
    boot = arm[idx].sum(axis=1) / np.maximum(base[idx].sum(axis=1), 1e-12) - 1.0
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return float(est), float(lo), float(hi)


def main(argv: list[str] | None = None) -> int:
    """Print the first-year and later-year change of petitions after the centres, with 95 % intervals."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--population", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], help="scenario override key=value (both arms)")
    a = ap.parse_args(argv)
    extra = {k: float(v) for k, v in (s.split("=", 1) for s in a.set)}
    seeds = range(1000, 1000 + a.seeds)
    jobs = [(arm, s, a.population, a.years if arm in ("base", "centre") else 1, extra)
            for arm in ("base", "centre", "base0", "day0") for s in seeds]
    with ProcessPoolExecutor(a.workers, mp_context=mp.get_context("spawn")) as ex:
        out = list(ex.map(yearly, jobs))
    n = a.seeds
    res = {arm: np.array(out[i * n:(i + 1) * n]) for i, arm in enumerate(("base", "centre", "base0", "day0"))}
    rng = np.random.default_rng(0)
    print(f"{n} pairs, {a.population:,} residents, overrides {extra or 'none'}")
    for y in range(a.years):
        b, c = res["base"][:, y], res["centre"][:, y]
        est, lo, hi = change(b, c, rng)
        print(f"year {y + 1} after the reform: petitions {b.sum():.0f} → {c.sum():.0f}, "
              f"change {est:+.1%} (95 % CI {lo:+.1%} … {hi:+.1%})")
    b, c = res["base0"][:, 0], res["day0"][:, 0]
    est, lo, hi = change(b, c, rng)
    print(f"centres from day 0, first year: petitions {b.sum():.0f} → {c.sum():.0f}, "
          f"change {est:+.1%} (95 % CI {lo:+.1%} … {hi:+.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
