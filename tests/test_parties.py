"""Parties and groups (issue 16, ODD §7.25): two-party disputes and collective disputes.

Controlled tiny worlds: many identical cases at one severity meet a failure
(:func:`sim.ladder.resident_reacts`) and we count what the parties do.
"""

from __future__ import annotations

import numpy as np
import pytest
from govsim.sim import ladder, parties
from govsim.sim.issues import IssueState
from govsim.sim.levels import Level
from govsim.sim.model import GovernanceModel
from govsim.sim.scenario import ISSUE_TYPES, ScenarioSpec, apply_overrides

SMALL = {"world.population": 3000}


def _model(**over) -> GovernanceModel:
    return GovernanceModel(apply_overrides(ScenarioSpec(), {**SMALL, **over}), rng=7)


def _failed_cases(m: GovernanceModel, kind: str, n: int, collective: bool, severity: float = 0.5):
    """``n`` cases of ``kind`` in handling at the community at ``severity`` (frozen), collective or not."""
    k = ISSUE_TYPES.index(kind)
    out = []
    for i in range(n):
        issue = m.arise_one(k, (i * 37) % m.population)
        issue.other, issue.group, issue.members = -1, 1, None
        if collective:
            parties.make_collective(m, issue, size_mean=20.0)
        issue.state = IssueState.IN_HANDLING
        issue.level = Level.COMMUNITY
        issue.sev_base, issue.frozen = severity, True
        out.append(issue)
    return out


def _react(m: GovernanceModel, cases) -> tuple[float, float]:
    """(share that went on, share that went as petitions or to a centre) after one failure each."""
    before = m.counts.group_petitions + m.counts.petition_office + m.counts.left_city + m.counts.centre_cases
    for issue in cases:
        ladder.resident_reacts(m, issue)
    went_on = np.mean([i.state != IssueState.ABANDONED for i in cases])
    after = m.counts.group_petitions + m.counts.petition_office + m.counts.left_city + m.counts.centre_cases
    return float(went_on), (after - before) / len(cases)


def test_groups_escalate_more_than_individuals_of_the_same_severity():
    """Same type (labour), same severity, same trust: a group goes on and petitions more often."""
    m = _model()
    solo_on, solo_pet = _react(m, _failed_cases(m, "labour", 1500, collective=False))
    m2 = _model()
    group_on, group_pet = _react(m2, _failed_cases(m2, "labour", 1500, collective=True))
    assert group_on > solo_on + 0.04, (solo_on, group_on)
    assert group_pet > solo_pet + 0.15, (solo_pet, group_pet)
    assert m2.counts.group_petitions > 0.2 * 1500
    # ablation: without organisers' persistence and group petitions a group reacts like one resident
    m3 = _model(**{"parties.group_give_up_factor": 1.0, "parties.group_petition_propensity": 0.0})
    flat_on, _ = _react(m3, _failed_cases(m3, "labour", 1500, collective=True))
    assert abs(flat_on - solo_on) < 0.04, (solo_on, flat_on)
    assert m3.counts.group_petitions == 0


def test_two_parties_one_may_escalate_while_the_other_does_not():
    """A two-party case is given up only if both give up; the one who goes on carries it."""
    m = _model(**{"behaviour.give_up_base": 0.8})
    cases = _failed_cases(m, "neighbour", 1500, collective=False, severity=0.0)
    for issue in cases:  # a second party in the same building
        b = int(m.residents.building[issue.resident])
        lo, hi = int(m.building_start[b]), int(m.building_end[b])
        issue.other = lo if issue.resident != lo else hi - 1
    first = {i.uid: i.resident for i in cases}
    went_on, _ = _react(m, cases)
    # each gives up with 0.8: both do with 0.64, so 36 % go on (one resident alone: 20 %)
    assert 0.31 < went_on < 0.41, went_on
    carried = sum(1 for i in cases if i.state != IssueState.ABANDONED and i.resident != first[i.uid])
    assert carried == m.counts.other_party_escalated > 0.1 * 1500


def test_both_parties_trust_counts_and_both_have_the_experience():
    m = _model()
    issue = m.arise_one(ISSUE_TYPES.index("family"), 10)
    assert issue.other >= 0 and m.residents.building[issue.other] == m.residents.building[issue.resident]
    t = m.residents.trust
    m.residents.set_trust(issue.resident, 0.9)
    m.residents.set_trust(issue.other, 0.2)
    assert parties.settle_trust(m, issue) == pytest.approx(0.2)
    td = getattr(m, "trust_dynamics", None)
    living = td is not None and td.enabled
    mem = td.bad if living else t  # living trust remembers the experience; otherwise trust moves at once
    before = [float(mem[issue.resident]), float(mem[issue.other])]
    approval = [float(m.approval.of(Level.COMMUNITY)[r]) for r in (issue.resident, issue.other)]
    parties.experience(m, issue, False, 1.0, Level.COMMUNITY)
    if living:
        td.flush()  # experiences are queued and written in one vectorised step before each trust update
    after = [float(mem[issue.resident]), float(mem[issue.other])]
    assert all((x > y) if living else (x < y) for x, y in zip(after, before, strict=True)), (before, after)
    assert all(m.approval.of(Level.COMMUNITY)[r] < a for r, a in zip((issue.resident, issue.other), approval, strict=True))


def test_shocks_seed_collective_disputes_and_count_them():
    """A wage-arrears shock with collective disputes: counted, with the residents they involve."""
    base = {"world.population": 20_000}
    shock = {"name": "wage arrears", "day": 10, "duration_days": 120, "types": ["labour"],
             "rate_multiplier": 10.0, "collective_share": 0.5, "group_size_mean": 30.0}
    spec = apply_overrides(ScenarioSpec(), base).model_copy(update={"shocks": []})
    with_shock = ScenarioSpec.model_validate({**spec.to_dict(), "shocks": [shock]})
    quiet = ScenarioSpec.model_validate({**spec.to_dict(), "shocks": [{**shock, "collective_share": 0.0}]})
    out = {}
    for name, s in (("collective", with_shock), ("individual", quiet)):
        m = GovernanceModel(s, rng=3)
        for _ in range(180):
            m.step()
        assert m.check_conservation()
        out[name] = m.summary()
    c, i = out["collective"], out["individual"]
    assert c["collective_disputes"] > i["collective_disputes"] + 15
    assert c["residents_involved"] >= 5 * c["collective_disputes"]
    assert c["residents_involved"] / c["collective_disputes"] == pytest.approx(30.0, rel=0.25)


@pytest.mark.slow
def test_ablations_of_second_parties_and_collective_disputes_change_outcomes():
    """Paired runs (8 seeds, 20,000 residents, a year, ≈ 30 s): the parties' mechanisms switched off one by one.

    No second parties (``parties.two_party_types`` = []): no other-party escalations, and mean trust is
    lower, because a second party also has the experience of every ending and most endings are
    settlements (measured 0.627 → 0.622 with 8 pairs, lower in 7 of 8; 10 of 10 on seeds 100–109).
    No collective disputes without a shock (``parties.collective_share`` = 0): none arise and no
    resident is involved in one (default: ≈ 2 a year, ≈ 40 residents).
    """
    def year(over: dict, seed: int) -> dict[str, float]:
        m = GovernanceModel(apply_overrides(ScenarioSpec(), {"world.population": 20_000, **over}), rng=seed)
        m.run_for(365)
        return m.summary()

    seeds = range(8)
    full = [year({}, s) for s in seeds]
    single = [year({"parties.two_party_types": []}, s) for s in seeds]
    lone = [year({"parties.collective_share": 0.0}, s) for s in seeds]
    assert sum(r["other_party_escalations"] for r in full) > 0
    assert all(r["other_party_escalations"] == 0 for r in single)
    t_full = np.array([r["mean_trust"] for r in full])
    t_single = np.array([r["mean_trust"] for r in single])
    assert t_full.mean() > t_single.mean() + 0.002 and (t_full > t_single).sum() >= 6, (t_full, t_single)
    assert sum(r["collective_disputes"] for r in full) >= 5 and sum(r["residents_involved"] for r in full) >= 25
    assert all(r["collective_disputes"] == 0 and r["residents_involved"] == 0 for r in lone)


def test_group_members_have_the_experience_with_their_weight():
    """Ablation of ``parties.member_experience_weight``: at 0 members' memories do not move, at 1 as the organiser's."""
    moved = {}
    for w in (0.0, 1.0):
        m = _model(**{"parties.member_experience_weight": w})
        (issue,) = _failed_cases(m, "labour", 1, collective=True)
        td = m.trust_dynamics
        mem = td.bad if td.enabled else m.residents.trust
        members = np.unique(issue.members[issue.members != issue.resident])
        before = np.array(mem[members], dtype=float)
        organiser = float(mem[issue.resident])
        parties.experience(m, issue, False, 1.0)
        if td.enabled:
            td.flush()
        moved[w] = (np.abs(np.array(mem[members], dtype=float) - before), abs(float(mem[issue.resident]) - organiser))
    assert moved[0.0][0].max() == 0.0 and moved[0.0][1] > 0
    assert moved[1.0][0].min() > 0 and moved[1.0][0].mean() == pytest.approx(moved[1.0][1], rel=0.05)
