"""Issue 9: model invariants under random valid scenarios.

Scenarios are drawn by :func:`tests.strategies.scenario_dicts` from every field's documented range
(walked from ``ScenarioSpec.model_fields``), with population 200–3000 and 10–60 days. After every
day: the conservation identity, no negative counts or capacities, shares and trust within [0, 1].
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from govsim.sim.metrics import ALL_OUTCOMES
from govsim.sim.model import GovernanceModel
from govsim.sim.scenario import ScenarioSpec, scenario_from_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import FAST, leaf_paths, scenario_dicts

UNIT_INTERVAL = {name for name, o in ALL_OUTCOMES.items() if o.unit in ("share", "0–1")}
TRIED: dict[str, int] = {"scenarios": 0, "days": 0}


def test_strategy_covers_every_field_and_stays_in_range():
    """The strategy draws every leaf of the scenario (so new fields are exercised) within its bounds."""
    leaves = set(leaf_paths(ScenarioSpec))
    seen: set[str] = set()

    def flat(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                flat(v, f"{prefix}{k}.")
            else:
                seen.add(f"{prefix}{k}")

    @settings(max_examples=30, suppress_health_check=list(HealthCheck))
    @given(scenario_dicts())
    def check(d):
        flat(d)
        spec = scenario_from_dict(d, "<strategy>")
        assert FAST["world.population"][0] <= spec.world.population <= FAST["world.population"][1]
        assert FAST["run.days"][0] <= spec.run.days <= FAST["run.days"][1]

    check()
    assert leaves - seen == {"run.base", "world.city_file"}  # the only fields left out: file references


def _check_day(m: GovernanceModel) -> None:
    c = m.counts
    assert m.check_conservation(), "conservation identity broken"
    for name in ("arisen", "reported", "detected_early", "left_city", "left_city_hard", "abandoned", "open",
                 "cases_taken", "bounces", "escalations", "disputes"):
        assert getattr(c, name) >= 0, name
    assert c.capacity_offered >= 0
    for name in ("settled", "attempts", "satisfied", "experiences"):
        assert min(getattr(c, name)) >= 0, name
    assert (np.asarray(c.moves) >= 0).all() and (c.resolution_hist >= 0).all()
    assert (c.community_settled >= 0).all() and (c.community_settled <= c.community_closed).all()
    assert c.open == len(m.open_issues)
    for o in m.offices:
        assert o.capacity >= 0 and o.extra_capacity >= -1e-9 and o.carry >= 0, o
    r = m.residents
    assert r.trust.min() >= 0.0 and r.trust.max() <= 1.0
    part = r.floor + r.q * math.exp(-r.decay * m.time)
    assert part.min() >= -1e-12 and part.max() <= 1.0 + 1e-9
    summary = m.summary()
    for name, v in summary.items():
        assert math.isfinite(v), name
        if name in UNIT_INTERVAL:
            assert -1e-12 <= v <= 1.0 + 1e-12, (name, v)
        elif ALL_OUTCOMES[name].unit in ("issues", "bounces", "escalations", "days"):
            assert v >= 0, (name, v)


@pytest.mark.timeout(240)
@settings(max_examples=60, suppress_health_check=list(HealthCheck))
@given(d=scenario_dicts(), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_every_day_of_random_valid_scenarios(d, seed):
    spec = scenario_from_dict(d, "<strategy>")
    m = GovernanceModel(spec, rng=seed)
    _check_day(m)
    for _ in range(spec.run.days):
        m.run_for(1)
        _check_day(m)
        TRIED["days"] += 1
    TRIED["scenarios"] += 1
    last = m.timeseries().iloc[-1]
    assert last["issues_arisen"] == m.summary()["issues_arisen"]


def test_invariant_checker_can_fail(small_spec):
    """The day check is not vacuous: a corrupted count or trust value is caught."""
    m = GovernanceModel(apply_days(small_spec, 5), rng=1)
    m.run_for(5)
    _check_day(m)
    m.counts.abandoned += 1
    with pytest.raises(AssertionError, match="conservation"):
        _check_day(m)
    m.counts.abandoned -= 1
    m.residents.trust[0] = 1.5
    with pytest.raises(AssertionError):
        _check_day(m)


def apply_days(spec: ScenarioSpec, days: int) -> ScenarioSpec:
    from govsim.sim.scenario import apply_overrides

    return apply_overrides(spec, {"run.days": days}, "test")


def test_tiny_building_head_detection_rate_runs(small_spec):
    from govsim.sim.scenario import apply_overrides

    spec = apply_overrides(small_spec, {"effects.building_head_detection_per_day": 1e-310,
                                        "policy.building_heads": 1.0, "run.days": 10}, "test")
    m = GovernanceModel(spec, rng=1)
    m.run_for(10)
    assert m.check_conservation()


@pytest.mark.parametrize("overrides", [
    {"policy.early_warning_threshold": 1.0},
    {"issues.neighbour.severity_growth": 0.0},
    {"issues.neighbour.severity_growth": 1e-20},
])
def test_early_warning_with_unreachable_threshold_runs(small_spec, overrides):
    from govsim.sim.scenario import apply_overrides

    spec = apply_overrides(small_spec, {"policy.early_warning": 1.0, "policy.early_warning_threshold": 0.5,
                                        "run.days": 30, **overrides}, "test")
    m = GovernanceModel(spec, rng=1)
    m.run_for(10)
    assert m.check_conservation()
