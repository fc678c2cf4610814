"""Validation: the calibrated baseline shows the stylised facts of CALIBRATION_TARGETS.md and meets the
targets docs/calibration.md says it meets.

Patterns (docs/calibration.md, "Validation"): the funnel, hierarchical satisfaction, an intermediate
whistle rate being healthiest where departments' capacity binds, and participation decaying without
reinforcement. Statistical claims use paired replicates with common random numbers and a stated test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govsim.experiments.calibrate import check_targets
from govsim.experiments.spec import load_experiment
from govsim.sim import apply_overrides, load_scenario, simulate
from scipy import stats

from govsim.comparison import replicate_seeds, run_replicates

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BASELINE = load_scenario(ROOT / "scenarios" / "baseline.toml")
EXPERIMENT = load_experiment(ROOT / "experiments" / "calibrate_baseline.toml")

MET = {"T1", "T2", "T4", "T5", "T6_family", "T6_neighbour", "T8_items", "T8_closed", "T10_street", "T10_district",
       "T10_gradient"}
"""Targets docs/calibration.md says the calibrated baseline meets (mean over replicates within the interval).

All eleven are met on the baseline with living trust and departments' workload; T1, T2 and T8_closed sit
near an edge of their intervals (docs/calibration.md)."""


@pytest.fixture(scope="module")
def baseline_runs() -> pd.DataFrame:
    runs, _ = run_replicates([BASELINE], replicate_seeds(11, 8), workers=2)
    return runs


def test_calibrated_baseline_meets_the_documented_targets():
    # the same 20 replicates (seeds SeedSequence(11).spawn(20)) as the table in docs/calibration.md
    table, _ = check_targets(EXPERIMENT, BASELINE, replicates=20, seed=11, workers=2)
    table = table.set_index("target")
    missed = {t: (round(r["mean"], 4), r.target_low, r.target_high) for t, r in table.iterrows()
              if t in MET and not r.met}
    assert not missed, f"targets documented as met but missed: {missed}"


def test_funnel(baseline_runs):
    """Most issues settle at or below the street; a few per cent reach the city or leave it, mostly hard types."""
    r = baseline_runs
    assert (r["share_settled_by_street"] >= 0.85).all()
    assert (r["share_reaching_city"] <= 0.05).all()
    assert (r["share_left_city"] <= 0.03).all()
    # land and labour are under 5 % of issues but the large majority of those that leave the city
    hard_rate = sum(BASELINE.issues.get(k).rate_per_1000 for k in ("land", "labour"))
    all_rate = sum(BASELINE.issues.get(k).rate_per_1000 for k in ("neighbour", "family", "property", "labour",
                                                                   "environment", "land", "public_service"))
    assert hard_rate / all_rate < 0.1
    assert r["left_city_hard_share"].mean() > 0.5


def test_hierarchical_satisfaction(baseline_runs):
    """General satisfaction rises with the level (T10: street < district < city), while the per-case timely
    share falls with it. The community is not in T10: it settles most disputes (good experiences) and hosts
    most routine contacts (bad ones), and its emergent approval is about the street's (ODD §7.24); it stays
    below the remote levels'."""
    r = baseline_runs
    assert (r["approval_community"] < r["approval_district"]).all()
    assert (r["approval_street"] < r["approval_district"]).all()
    assert (r["approval_district"] < r["approval_city"]).all()
    assert (r["satisfaction_street"] > r["satisfaction_district"]).all()


def test_too_many_whistles_overload_departments_whose_capacity_binds():
    """Whistling every case leaves more issues unsolved than a rate of 0.25 when departments' capacity is
    scarce (paired t-tests over common seeds, p < 0.05), and far less so when it is ample.

    The whole U (too few whistles are worse too) shows where capacity binds without being scarce: see
    test_an_intermediate_whistle_rate_is_healthiest_where_department_capacity_binds.
    """
    rates = {"some": 0.25, "all": 1.0}
    gaps = {}
    for cap in (0.1, 0.8):
        # departments' other duties pinned to 0, so that ``cap`` is their case capacity per staff member
        world = apply_overrides(BASELINE, {"levels.district.cases_per_staff_day": cap,
                                           "levels.district.other_duties_share": 0.0})
        specs = [apply_overrides(world, {"departments.whistle_propensity": w, "run.name": name})
                 for name, w in rates.items()]
        runs, _ = run_replicates(specs, replicate_seeds(5, 10), workers=2)
        unsolved = runs.pivot(index="replicate", columns="scenario", values="share_unsolved")
        resolved = runs.pivot(index="replicate", columns="scenario", values="share_resolved")
        gaps[cap] = float((unsolved["all"] - unsolved["some"]).mean())
        if cap == 0.1:
            assert stats.ttest_rel(unsolved["some"], unsolved["all"], alternative="less").pvalue < 0.05
            assert stats.ttest_rel(resolved["some"], resolved["all"], alternative="greater").pvalue < 0.05
        whistles = runs.groupby("scenario")["whistles"].mean()
        assert 0 < whistles["some"] < whistles["all"]
    assert gaps[0.1] > 5 * max(gaps[0.8], 0.002), gaps


def test_an_intermediate_whistle_rate_is_healthiest_where_department_capacity_binds():
    """Too few whistles and too many both leave more issues unsolved than an intermediate rate.

    A 50,000-resident city whose departments take up 0.5 cases per staff-day (capacity binds but is not
    scarce): without whistles the streets try enforcement cases alone and fail more often
    (看得见管不了); whistling every case overloads the departments. A rate of 0.75 leaves fewer issues
    unsolved (left the city or given up) than both, by one-sided paired t-tests over 48 common seeds,
    p < 0.01 each (docs/calibration.md, "Validation").
    """
    # departments staffed at 0.9 per 10,000 residents, all of it on cases (three quarters of the first baseline's
    # 50,000-resident city, 2 districts × 3 staff per department): with streets' case capacity now
    # binding too, the pattern needs departments whose capacity binds (at 1.2 whistling every case is no
    # worse than 0.75; at 0.6 and below no whistles is best: docs/calibration.md, "Validation")
    world = apply_overrides(BASELINE, {"world.population": 50_000, "levels.district.cases_per_staff_day": 0.5,
                                       "levels.district.staff_per_10k": 0.9,
                                       "levels.district.other_duties_share": 0.0})
    rates = {"none": 0.0, "intermediate": 0.75, "all": 1.0}
    specs = [apply_overrides(world, {"departments.whistle_propensity": w, "run.name": name})
             for name, w in rates.items()]
    runs, _ = run_replicates(specs, replicate_seeds(13, 48), workers=2)
    unsolved = runs.pivot(index="replicate", columns="scenario", values="share_unsolved")
    mid = unsolved["intermediate"]
    assert stats.ttest_rel(mid, unsolved["none"], alternative="less").pvalue < 0.01
    assert stats.ttest_rel(mid, unsolved["all"], alternative="less").pvalue < 0.01


def test_participation_decays_without_reinforcement():
    """No activities, volunteers or satisfying settlements to speak of: participation falls toward its floor."""
    quiet = apply_overrides(BASELINE, {"policy.self_governance": 0.0, "policy.party_building_alliance": 0.0,
                                       "policy.party_member_return": 0.0, "world.population": 5000})
    active = apply_overrides(quiet, {"policy.self_governance": 1.0, "policy.party_building_alliance": 1.0})
    ends_q, ends_a = [], []
    for r in range(6):
        seed = np.random.SeedSequence(31, spawn_key=(r,))
        _, ts = simulate(quiet, rng=seed, timeseries=True)
        p = ts["participation_rate"].to_numpy()
        assert p[0] == pytest.approx(BASELINE.world.participation_initial)
        assert p[-1] < p[0] - 0.15
        assert p[-1] > BASELINE.world.participation_floor
        monthly = p[::30]
        assert (np.diff(monthly) < 0).all()  # no month without decline
        ends_q.append(p[-1])
        ends_a.append(simulate(active, rng=np.random.SeedSequence(31, spawn_key=(r,)))[0]["participation_rate"])
    assert stats.ttest_rel(ends_a, ends_q, alternative="greater").pvalue < 0.01
