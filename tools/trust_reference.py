"""Measure the baseline's climate of experiences, the reference (g₀, b₀) of living trust (ODD §7.14a).

``trust.baseline_good_rate`` and ``trust.baseline_bad_rate`` are by definition the rates of good and
(weighted) bad experiences per resident-year that the calibrated baseline produces, so that the
baseline is stationary. Any change to a mechanism that produces experiences changes them: re-run this
tool and set the two fields to what it prints (``tests/test_trust.py::test_baseline_is_stationary``
fails when they are stale). Trust is held still (``trust.relaxation_years`` 20) so that the rates are
the baseline's, and the first 180 days (the queues' warm-up) are not counted.

Run from the repository root:  .venv/bin/python tools/trust_reference.py [--seeds 12] [--population 20000]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np

WARMUP, DAYS = 180, 365


def rates(job: tuple[int, int]) -> tuple[float, float]:
    """(good, bad) experiences per resident-year of one baseline city, days WARMUP … WARMUP + DAYS."""
    from govsim.sim.model import GovernanceModel
    from govsim.sim.scenario import ScenarioSpec, apply_overrides

    population, seed = job
    m = GovernanceModel(apply_overrides(ScenarioSpec(), {"world.population": population,
                                                         "trust.relaxation_years": 20.0}, "reference"), rng=seed)
    td = m.trust_dynamics
    counted = [0.0, 0.0]
    record = td.experience

    def experience(r, good, scale=1.0):  # count every experience on its way in
        counted[0 if good else 1] += scale
        record(r, good, scale)

    td.experience = experience
    m.run_for(WARMUP)
    counted[:] = [0.0, 0.0]
    m.run_for(DAYS)
    return counted[0] / population * 365 / DAYS, counted[1] / population * 365 / DAYS


def main() -> None:
    """Print each city's rates and their means, the values for ``[trust]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--population", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    jobs = [(args.population, s) for s in range(1, args.seeds + 1)]
    with ProcessPoolExecutor(args.workers) as ex:
        out = np.array(list(ex.map(rates, jobs)))
    for (_, s), (g, b) in zip(jobs, out, strict=True):
        print(f"seed {s:3d}: good {g:.4f}  bad {b:.4f}")
    print(f"baseline_good_rate = {out[:, 0].mean():.3f}\nbaseline_bad_rate = {out[:, 1].mean():.3f}")


if __name__ == "__main__":
    main()
