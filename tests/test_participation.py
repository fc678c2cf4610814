"""Participation with feedback (ODD §7.18, :mod:`sim.participation`).

Cities of 20,000 residents over two years, paired replicates (same seeds with and without the cause).
"""

from __future__ import annotations

import numpy as np
from govsim.sim.model import GovernanceModel
from govsim.sim.scenario import ScenarioSpec, apply_overrides

SEEDS = (3, 4, 5)
WORLD = {"world.population": 20000, "run.days": 730}


def _participation(over: dict, seed: int) -> float:
    m = GovernanceModel(apply_overrides(ScenarioSpec(), {**WORLD, **over}, "test"), rng=seed)
    m.run_for(m.spec.run.days)
    return m.residents.participation_rate(m.time)


def test_switching_off_the_feedback_changes_participation():
    """Paired: with feedback, registering every party member (party_member_return 0.1 → 1) raises participation
    by more than without it (their example reaches neighbours), and the feedback moves the baseline too."""
    for seed in SEEDS:
        on = _participation({}, seed)
        off = _participation({"participation.feedback": False}, seed)
        on_all = _participation({"policy.party_member_return": 1.0}, seed)
        off_all = _participation({"policy.party_member_return": 1.0, "participation.feedback": False}, seed)
        assert abs(on - off) > 0.002
        assert (on_all - on) > (off_all - off) + 0.01


def test_successful_collective_action_raises_participation():
    """Paired: neighbours of settled multi-household disputes taking part (collective_share 0.5) against none (0).

    A small effect (about +0.001 at two years: such settlements are about 1 % of residents a year), but
    in every pair."""
    diffs = [_participation({}, seed) - _participation({"participation.collective_share": 0.0}, seed)
             for seed in SEEDS]
    assert min(diffs) > 0.0


def test_activities_are_attended_by_the_willing():
    """With feedback an activity reinforces only those who come (chance p_i): reached residents with high
    participation are kept more often than those near the floor."""
    m = GovernanceModel(apply_overrides(ScenarioSpec(), {"world.population": 3000}, "test"), rng=1)
    res = m.residents
    res.reinforce_many(np.arange(1500), 0.9, 0.0)  # the first half near 1, the rest at 0.5
    kept = m.participation.attendees(np.arange(3000), 0.0)
    assert (kept < 1500).sum() > 1.5 * (kept >= 1500).sum()
    off = GovernanceModel(apply_overrides(ScenarioSpec(), {"world.population": 3000,
                                                           "participation.feedback": False}, "test"), rng=1)
    assert len(off.participation.attendees(np.arange(3000), 0.0)) == 3000
