"""The ladder's levels: one IntEnum, its names declared once, counters indexed by it."""

from __future__ import annotations

import numpy as np
from govsim.sim import agents, metrics, scenario
from govsim.sim.levels import LEVEL_NAMES, Level
from govsim.sim.model import GovernanceModel

from tests.conftest import small


def test_levels_keep_their_integer_values_and_order() -> None:
    assert [int(lv) for lv in Level] == [0, 1, 2, 3, 4]
    assert Level.SELF < Level.COMMUNITY < Level.STREET < Level.DISTRICT < Level.CITY


def test_level_names_are_declared_once_and_derived_everywhere() -> None:
    assert LEVEL_NAMES == ("self", "community", "street", "district", "city")
    assert scenario.LEVELS == LEVEL_NAMES
    assert (agents.SELF, agents.COMMUNITY, agents.STREET, agents.DISTRICT, agents.CITY) == tuple(Level)
    assert all(isinstance(x, Level) for x in (agents.SELF, agents.CITY))
    assert set(scenario.LevelsSpec.model_fields) >= {"community", "street", "district", "city"}
    levels = scenario.ScenarioSpec().levels
    for lv in Level:
        assert f"settled_{lv.key}" in metrics.OUTCOMES
        assert levels.of(lv) is getattr(levels, "self_" if lv is Level.SELF else lv.key)


def test_counters_are_indexed_by_level() -> None:
    m = GovernanceModel(small(**{"run.days": 60}), rng=3)
    m.run_for(60)
    c, s = m.counts, m.summary()
    for field in ("settled", "attempts", "satisfied", "experiences", "failed"):
        assert len(getattr(c, field)) == len(Level)
    for lv in Level:
        assert c.settled[lv] == s[f"settled_{lv.key}"]
    for lv in (Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY):
        assert s[f"approval_{lv.key}"] == m.approval_sum[lv] / m.population
    assert m.approval.rows.shape == (4, m.population) and m.approval.rows.dtype == np.float32 and m.approval_sum[Level.SELF] == 0
    assert sum(c.settled[:Level.STREET + 1]) > 0
    # every open issue sits at a Level (or -1 while nobody knows it), and offices know theirs
    assert all(i.level == -1 or Level(i.level) in Level for i in m.open_issues.values())
    assert {o.level for o in m.offices} == {Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY}
