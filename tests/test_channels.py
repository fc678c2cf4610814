"""The city's channels (issue 16, ODD §7.26): petition office, courts, legal services, police, the centre."""

from __future__ import annotations

import math

import numpy as np
import pytest
from govsim.sim.channels import CHANNELS, COURT, PETITION
from govsim.sim.levels import Level
from govsim.sim.model import GovernanceModel
from govsim.sim.policies import LEVERS
from govsim.sim.scenario import ScenarioSpec, apply_overrides

CITY = {"world.population": 20_000}


def _year(spec: ScenarioSpec, seed: int) -> dict[str, float]:
    m = GovernanceModel(spec, rng=seed)
    for _ in range(365):
        m.step()
    assert m.check_conservation()
    return m.summary()


@pytest.mark.slow
def test_conflict_resolution_centre_lowers_petitions_in_its_first_year():
    """T11: petitions fell about 25 % in the first year of the centres (Zhejiang 2020), ≈ 67 % over ten years.

    Paired replicates (same seeds: no centre, centres opening on day 0, and centres known to every party
    from day 0) of a 20,000-resident city for a year (≈ 30 s). A new centre is found by 1 − exp(−t / 1 year)
    of the escalating parties (``channels.centre_reach_years``, from T9 by analogy) and half its staff
    are stationed from the departments. ``tools/t11_centre.py`` (30 pairs): −39 % (95 % CI −46 … −32 %)
    in this first year; with the reform on the timeline (a warmed-up city) −23 % in the first year
    and −58 % from the fourth (tests/test_trajectories.py). Asserted: a fall of 15–55 % over these 10
    pairs (−28 % measured: 10 pairs have a standard error of ≈ 7 points), and the ablation: without the reach's growth (every party finds the centre on
    day 0, the mechanism before) the fall is larger by at least 15 points (−68 % measured).
    """
    base = apply_overrides(ScenarioSpec(), CITY)
    centre = apply_overrides(base, {"policy.conflict_centre": 1.0})
    known = apply_overrides(centre, {"channels.centre_reach_years": 0.0})
    off, on, full, routed = [], [], [], []
    for seed in range(10):
        a, b, c = _year(base, seed), _year(centre, seed), _year(known, seed)
        off.append(a["petitions"])
        on.append(b["petitions"])
        full.append(c["petitions"])
        routed.append(c["centre_cases"])
        assert a["centre_cases"] == 0
    ratio, ratio_full = sum(on) / sum(off), sum(full) / sum(off)
    assert 0.45 < ratio < 0.85, (ratio, off, on)
    assert ratio_full < ratio - 0.15, (ratio_full, ratio)
    assert sum(routed) > sum(off)  # a centre everyone knows receives more than the petitions it prevents
    assert np.mean(np.array(on) < np.array(off)) >= 0.6


def test_centre_routes_by_t3_and_is_a_costed_lever():
    lever = LEVERS["conflict_centre"]
    spec = apply_overrides(ScenarioSpec(), {"world.population": 3000, "policy.conflict_centre": 1.0})
    assert lever.yearly_cost(spec) > 0 and lever.cost_note
    m = GovernanceModel(spec, rng=1)
    n = 3000
    for i in range(n):
        issue = m.arise_one(0, i % m.population)
        issue.level = Level.STREET
        assert m.channels.centre_for(issue)
        m.channels.to_centre(issue)
        assert not m.channels.centre_for(issue)  # routed once
    routed = m.counts.centre_routed
    assert routed.sum() == m.counts.centre_cases == n
    t3 = np.array(spec.channels.centre_routing) / sum(spec.channels.centre_routing)
    assert np.allclose(routed / n, t3, atol=0.03), dict(zip(CHANNELS, routed / n, strict=True))
    # centre-routed petition-office cases are not counted as residents' petitions
    s = m.summary()
    assert s["centre_to_petition_office"] == routed[PETITION] and s["petitions"] == m.counts.left_city
    assert len(m.channels.offices[PETITION][0].queue) == routed[PETITION]


def test_going_to_court_is_counted_and_does_not_leave_the_city():
    """A party to a failed mediation sues with channels.court_propensity: went_to_court, not left_city (T2)."""
    base = apply_overrides(ScenarioSpec(), {**CITY, "levels.community.settle_intercept": -1.0})
    never = apply_overrides(base, {"channels.court_propensity": 0.0})
    always = apply_overrides(base, {"channels.court_propensity": 1.0})
    a = _year(never, 2)
    m = GovernanceModel(always, rng=2)
    for _ in range(365):
        m.step()
    b = m.summary()
    assert a["went_to_court"] == 0 and a["mediated_to_court"] == 0
    assert b["went_to_court"] > 20
    assert b["mediated_to_court"] > 0.5 * (1 - b["mediation_success_rate"])
    # a suit is a case inside the city: judged (settled at district level), failed, or still pending
    decided = m.counts.channel_settled[COURT] + m.counts.channel_failed[COURT]
    assert 0 < decided <= b["went_to_court"] and m.counts.channel_settled[COURT] > 0.6 * decided


def test_a_new_centre_is_found_by_a_growing_share_of_the_parties():
    """Reach 1 − exp(−years open / centre_reach_years): none on its first day, 63 % after one time constant."""
    spec = apply_overrides(ScenarioSpec(), {"world.population": 3000, "policy.conflict_centre": 1.0})
    m = GovernanceModel(spec, rng=1)
    ch = m.channels
    assert ch.opened[0] == 0.0 and ch.reach(0) == 0.0
    ch.opened[:] = -365.0 * spec.channels.centre_reach_years  # open for one time constant
    assert ch.reach(0) == pytest.approx(1 - math.exp(-1))
    found = 0
    for i in range(3000):
        issue = m.arise_one(0, i % m.population)
        issue.level = Level.STREET
        found += ch.finds_centre(issue)
    assert abs(found / 3000 - (1 - math.exp(-1))) < 0.03
    # without a centre no party looks for one: no random draw, so the baseline's stream is untouched
    none = GovernanceModel(apply_overrides(spec, {"policy.conflict_centre": 0.0}), rng=1)
    issue = none.arise_one(0, 0)
    state = none.rng.bit_generator.state
    assert not none.channels.finds_centre(issue) and none.channels.reach(0) == 0.0
    assert none.rng.bit_generator.state == state


def test_a_centre_takes_part_of_its_staff_from_the_departments_when_it_opens():
    """入驻: a share of the centre's staff moves from the district's departments (capacity moved, not added).

    The centre opens on day 20 by the timeline: from then the departments' case capacity is lower by the
    moved staff's share of theirs; with no staff stationed it is unchanged (the ablation).
    """
    def departments(share: float) -> tuple[list[float], list[float], GovernanceModel]:
        spec = apply_overrides(ScenarioSpec(), {
            "world.population": 3000, "channels.centre_stationed_share": share,
            "timeline": [{"day": 20, "key": "policy.conflict_centre", "value": 1.0}]}, "test")
        m = GovernanceModel(spec, rng=3)
        before = [o.capacity for o in m.departments.values()]
        m.run_for(25)
        return before, [o.capacity for o in m.departments.values()], m

    before, after, m = departments(0.8)
    ch = m.channels
    assert ch.opened[0] == 20.0 and ch.reach(0) > 0
    staff = float(m.office_staff["district"][0]) * len(after)
    centre_staff = m.spec.channels.centre.staff_per_100k * m.population / 100_000
    assert ch.moved[0] == pytest.approx(0.8 * centre_staff)
    assert after == pytest.approx([c * (1 - ch.moved[0] / staff) for c in before])
    assert m.total_capacity == pytest.approx(sum(o.capacity for o in m.offices))
    before0, after0, _ = departments(0.0)
    assert after0 == before0 and before0 == before


def test_the_channels_the_governance_budget_pays_are_in_cost():
    """Petition office (city pay) and public legal services (department pay) are standing staff in `cost`;
    courts and police are other budgets; the centre's lever pays only the mediators it hires (ODD §7.22)."""
    from govsim.sim.costs import staff_cost, yearly_cost

    s = apply_overrides(ScenarioSpec(), CITY)
    per_100k = s.world.population / 100_000

    def extra(key: str) -> float:
        section, name = key.rsplit(".", 1)
        value = getattr(getattr(s.channels, section.split(".")[1]), name)
        return staff_cost(apply_overrides(s, {key: value + 1.0})) - staff_cost(s)

    assert extra("channels.petition_office.staff_per_100k") == pytest.approx(per_100k * s.costs.city_staff)
    assert extra("channels.legal_services.staff_per_100k") == pytest.approx(per_100k * s.costs.department_staff)
    for other in ("court", "police", "centre"):
        assert extra(f"channels.{other}.staff_per_100k") == 0.0
    lever = LEVERS["conflict_centre"]
    on = apply_overrides(s, {"policy.conflict_centre": 1.0})
    hall = lever.yearly_cost(apply_overrides(on, {"channels.centre_stationed_share": 1.0}))  # none hired
    assert hall == pytest.approx(30.0 * GovernanceModel(on, rng=1).n_districts)
    for share in (0.0, 0.5, 1.0):
        spec = apply_overrides(on, {"channels.centre_stationed_share": share})
        hired = (1 - share) * spec.channels.centre.staff_per_100k * per_100k * spec.costs.department_staff
        assert lever.yearly_cost(spec) == pytest.approx(hired + hall)
    # the cost outcome of a run: staff (channels included) and levers, so stationing more costs less
    runs = [GovernanceModel(apply_overrides(on, {"channels.centre_stationed_share": x}), rng=1) for x in (0.2, 0.8)]
    assert runs[0].yearly_cost == yearly_cost(runs[0].spec) > runs[1].yearly_cost


@pytest.mark.slow
def test_court_propensity_ablation_moves_mediated_suits_and_where_disputes_end():
    """Ablation of the suits (channels.court_propensity, 0 against its default 0.35), 10 paired seeds.

    With the default community the suits are ≈ 1 a year per 20,000 residents (T2: ≈ 1 % of mediated
    disputes), too few to move anything downstream detectably (10 pairs: petitions 18.8 vs 19.6). So the
    community settles worse (intercept −1, as above), leaving ≈ 17 suits a run: with them every run has
    mediated disputes in court, and more disputes end settled at the district, where the basic court
    judges them (measured +3.6 % on these seeds, 8 of 10 pairs; +7.8 % on seeds 10–19, 9 of 10), instead
    of failing on up the ladder or being given up (≈ 25 s).
    """
    base = apply_overrides(ScenarioSpec(), {**CITY, "levels.community.settle_intercept": -1.0})
    off = [_year(apply_overrides(base, {"channels.court_propensity": 0.0}), s) for s in range(10)]
    on = [_year(base, s) for s in range(10)]
    assert base.channels.court_propensity == ScenarioSpec().channels.court_propensity
    assert all(r["mediated_to_court"] == 0 for r in off) and all(r["mediated_to_court"] > 0 for r in on)
    d_off = np.array([r["settled_district"] for r in off])
    d_on = np.array([r["settled_district"] for r in on])
    assert d_on.sum() > 1.01 * d_off.sum(), (d_off, d_on)
    assert (d_on > d_off).sum() >= 7, (d_off, d_on)


def test_a_closed_centre_gives_the_stationed_staff_back():
    spec = apply_overrides(ScenarioSpec(), {
        "world.population": 3000, "policy.conflict_centre": 1.0, "channels.centre_stationed_share": 1.0,
        "channels.centre.staff_per_100k": 200.0,  # more than the departments have: all of theirs move
        "timeline": [{"day": 5, "key": "policy.conflict_centre", "value": 0.0}]}, "test")
    m = GovernanceModel(spec, rng=2)
    assert all(o.capacity == 0.0 for o in m.departments.values())
    assert m.channels.moved[0] == float(m.office_staff["district"][0]) * len(m.departments)
    m.run_for(10)
    assert not np.isfinite(m.channels.opened[0]) and m.channels.moved[0] == 0.0
    assert all(o.capacity > 0.0 for o in m.departments.values())
    assert m.check_conservation()
