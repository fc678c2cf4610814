"""T9 and T11 as trajectories: a reform switched on by the timeline on day 365, paired with the baseline.

The model's baseline city already resolves about 94–99 % of its issues, not Beijing's 53 % of 2019, so
T9 is checked in shape (timing and direction), not level; T11's petitions are few in a small city, so
the check sums paired replicates. Tolerances are stated in each test.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

SEEDS = (21, 22, 23, 24, 25, 26)
WORLD = {"world.population": 20_000}
ARMS = {
    "base": [],
    # T9: the respond-at-once hotline reform (接诉即办)
    "t9": [{"day": 365, "key": "policy.hotline_response", "value": 1}],
    # T11: county conflict-resolution centres (矛调中心, the lever since issue 16), set up over a quarter
    "t11": [{"day": 365, "key": "policy.conflict_centre", "value": 1.0, "phase_in_days": 90}],
}


def _run(job: tuple[str, int]) -> dict[str, float]:
    from govsim.sim.model import simulate
    from govsim.sim.scenario import ScenarioSpec, apply_overrides

    arm, seed = job
    spec = apply_overrides(ScenarioSpec(), {**WORLD, "timeline": ARMS[arm]}, "test")
    _, ts = simulate(spec, rng=seed, days=730, timeseries=True)
    a, b = ts.iloc[365], ts.iloc[730]
    settled = sum(b[f"settled_{lv}"] - a[f"settled_{lv}"] for lv in ("self", "community", "street", "district", "city"))
    return {"petitions_y2": float(b.petitions - a.petitions), "petitions_y1": float(a.petitions),
            "resolved_y2": float(settled / (b.issues_arisen - a.issues_arisen)),
            "sat_street_y1": float(a.satisfaction_street), "sat_street_y2": float(b.satisfaction_street),
            "trust_y2": float(b.mean_trust)}


@pytest.fixture(scope="module")
def arms() -> dict[str, list[dict[str, float]]]:
    jobs = [(arm, s) for arm in ARMS for s in SEEDS]
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as ex:
        out = list(ex.map(_run, jobs))
    n = len(SEEDS)
    return {arm: out[i * n:(i + 1) * n] for i, arm in enumerate(ARMS)}


def _col(rs: list[dict[str, float]], k: str) -> np.ndarray:
    return np.array([r[k] for r in rs])


def test_t9_hotline_reform_raises_resolution_and_satisfaction(arms):
    """T9 shape: within the first year after the reform, satisfaction and resolution rise against the baseline.

    Tolerances: street satisfaction (cumulative) gains in every pair and at least 0.04 on average; the year's resolved share is not lower on average; trust is not lower on average.
    """
    base, t9 = arms["base"], arms["t9"]
    gain = _col(t9, "sat_street_y2") - _col(base, "sat_street_y2")
    assert (gain > 0).all() and gain.mean() > 0.04, gain
    assert _col(t9, "resolved_y2").mean() >= _col(base, "resolved_y2").mean()
    assert _col(t9, "trust_y2").mean() >= _col(base, "trust_y2").mean() - 0.005


def test_t11_conflict_resolution_centres_cut_petitions(arms):
    """T11: petitions in the first year after the centres fall against the baseline's same year.

    Target −25 % in the first year (Zhejiang 2020). The model's centre is found by a growing share of
    the parties (``channels.centre_reach_years``) and half its staff are stationed from departments
    (ODD §7.27); nothing is fitted to T11. ``tools/t11_centre.py`` (30 pairs, same arms): −23 % (95 % CI
    −33 … −10 %); these six pairs: −20 %. Tolerance: summed over the six pairs the fall is 5–45 %
    (six pairs of ≈ 30 petitions a run have a standard error of ≈ 12 points), and the two arms agree
    before the reform.
    """
    base, t11 = arms["base"], arms["t11"]
    assert _col(t11, "petitions_y1").sum() == _col(base, "petitions_y1").sum()
    ratio = _col(t11, "petitions_y2").sum() / _col(base, "petitions_y2").sum()
    assert 0.55 <= ratio <= 0.95, ratio


def main() -> None:
    """Print the T9/T11 figures quoted in docs/calibration.md (``python tests/test_trajectories.py``)."""
    jobs = [(arm, s) for arm in ARMS for s in SEEDS]
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as ex:
        out = list(ex.map(_run, jobs))
    n = len(SEEDS)
    res = {arm: out[i * n:(i + 1) * n] for i, arm in enumerate(ARMS)}
    for arm, rs in res.items():
        print(arm, {k: round(float(_col(rs, k).mean()), 4) for k in rs[0]},
              "petitions y2 sum", _col(rs, "petitions_y2").sum())


if __name__ == "__main__":
    main()
