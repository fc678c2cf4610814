"""The ladder (ODD §7.5–7.13): routing, filing, handling, referral, escalation and the endings.

A known issue is routed to the first level that will handle it (:func:`detect`), filed there
(:func:`file_at`: level 0 takes it up at once, offices queue it and take it up within their capacity,
:meth:`sim.agents.Office.take_up_cases`), and handled (:func:`on_handled`): settled, referred up for
lack of authority (:func:`refer`), called to a department by the street (:func:`street_whistles`), or
failed, after which the resident gives up or escalates (:func:`resident_reacts`). A case closes by
:func:`settle`, :func:`leave_city` or :func:`abandon`. Every function takes the model first and is
the only code that moves an issue between states.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from govsim.sim import parties
from govsim.sim.issues import Channel, Issue, IssueState
from govsim.sim.levels import Level
from govsim.sim.metrics import ABANDONED_COLUMN, LEFT_CITY_COLUMN, MOVE_LEFT_CITY
from govsim.sim.residents import evaluate, lose_trust
from govsim.sim.scenario import ISSUE_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.agents import Office
    from govsim.sim.model import GovernanceModel

PROACTIVE = (Channel.GRID, Channel.BUILDING_HEAD, Channel.PARTY_MEMBER, Channel.EARLY_WARNING)
"""Channels by which an official or volunteer finds an issue before the resident reports it."""
HARD_TYPES = (ISSUE_TYPES.index("land"), ISSUE_TYPES.index("labour"))
"""Issue types counted by the ``left_city_hard_share`` outcome."""
MAX_BOUNCES = 3
"""Bounces after which a department accepts a case."""


class Relapse:
    """A settlement that will not hold: the same dispute resurfaces later as a new issue (§7.19)."""

    __slots__ = ("model", "kind", "resident")

    def __init__(self, model: GovernanceModel, kind: int, resident: int) -> None:
        self.model = model
        self.kind = kind
        self.resident = resident

    def fire(self) -> None:
        """The dispute arises again for the same resident, more severe."""
        self.model.arise_one(self.kind, self.resident, extra_severity=self.model.spec.settlement.relapse_severity_boost)


def unlatent(model: GovernanceModel, issue: Issue) -> None:
    """Take an issue out of its grid's latent issues; a grid left with none leaves the registry.

    So the daily patrol (:meth:`GovernanceModel.step`) walks the grids with latent issues, not every
    grid that ever had one (20,433 grids in a Beijing-sized city).
    """
    latent = model.latent_by_grid.get(issue.grid)
    if latent is not None:
        latent.pop(issue.uid, None)
        if not latent:
            del model.latent_by_grid[issue.grid]


def detect(model: GovernanceModel, issue: Issue, channel: Channel) -> None:
    """An issue becomes known to someone who can act: route it to the first level that will handle it."""
    p, b, g = model.spec.policy, model.spec.behaviour, model.spec.grid
    now = model.time
    rng = model.rng
    unlatent(model, issue)
    issue.known_at = now
    issue.channel = int(channel)
    issue.history.append((now, "known:" + channel.name.lower(), -1))
    model.signals.on_known(issue, channel)  # the known measures and the risk score's records (sim/warning.py)
    if channel in PROACTIVE:
        model.counts.detected_early += 1
    else:
        model.counts.reported += 1
    if channel == Channel.PARTY_MEMBER:
        model.residents.reinforce(issue.resident, model.spec.world.participation_reinforcement
                                 * model.spec.effects.party_member_example, now)
    auth = issue.authority(now)
    trust = parties.deciding_trust(model, issue)
    if channel == Channel.REPORT:
        if trust < model.residents.threshold and rng.random() < b.skip_probability:
            # distrust: skip the local channels altogether and petition (越级上访; sim.channels)
            model.channels.petition(issue)
            return
        if p.hotline_response:
            issue.hotline = True
            issue.channel = int(Channel.HOTLINE)
            file_at(model, issue, max(Level.COMMUNITY, auth) if auth > Level.SELF or not level0(model, issue) else Level.SELF)
            return
    if channel == Channel.GRID and auth == Level.SELF and issue.severity(now) < issue.escalate_at \
            and rng.random() < g.on_the_spot_share:
        issue.level = Level.COMMUNITY
        model.counts.on_the_spot += 1  # settled by the grid member, not a mediation case (T1 counts cases)
        settle(model, issue, Level.COMMUNITY)
        return
    if channel == Channel.EARLY_WARNING:
        issue.flagged = True
        file_at(model, issue, max(Level.COMMUNITY, auth) if auth > Level.SELF else Level.COMMUNITY)
        return
    if auth == Level.SELF and level0(model, issue):
        file_at(model, issue, Level.SELF)
    elif channel == Channel.GRID and auth > Level.COMMUNITY and rng.random() < p.data_sharing:
        file_at(model, issue, auth)  # the integrated platform dispatches straight to the responsible level
    else:
        file_at(model, issue, Level.COMMUNITY)


def level0(model: GovernanceModel, issue: Issue) -> bool:
    """Whether a building head, a party-member volunteer or a residents' council takes the issue up."""
    a = 1.0 - ((1.0 - float(model.has_head[issue.building])) * (1.0 - model.pm_availability[issue.grid])
               * (1.0 - model.council_availability))
    return bool(model.rng.random() < a)


def office_for(model: GovernanceModel, issue: Issue, level: int) -> Office:
    """The office at ``level`` responsible for the issue."""
    if level == Level.COMMUNITY:
        return model.communities[issue.community]
    if level == Level.STREET:
        return model.streets[issue.street]
    if level == Level.DISTRICT:
        return model.departments[(issue.district, int(model.type_dept[issue.kind]))]
    return model.city


def file_at(model: GovernanceModel, issue: Issue, level: int, arrived: bool = False) -> None:
    """File the issue at ``level``: level 0 takes it up at once, offices queue it."""
    lv = model.spec.levels.of(level)
    now = model.time
    if not arrived:  # moves of referred and escalated cases are counted when they are sent
        model.counts.moves[issue.level + 1, level + 1] += 1
    issue.stage += 1
    issue.level = level
    issue.history.append((now, "filed", level))
    if level == Level.SELF:
        issue.state = IssueState.IN_HANDLING
        issue.freeze(now)
        model.counts.attempts[Level.SELF] += 1
        model.calendar.set(issue, on_handled, model.calendar.delay(lv.handling_days))
        return
    office = office_for(model, issue, level)
    issue.state = IssueState.QUEUED
    issue.office = office
    issue.thaw(now)
    if issue.flagged:
        office.queue.appendleft(issue)
    else:
        office.queue.append(issue)
    model.busy_offices.add(office.index)
    if issue.hotline:
        model.calendar.set(issue, on_deadline, model.spec.policy.hotline_deadline_days)
    else:
        model.calendar.set(issue, on_patience, lv.patience_days)


def on_handled(model: GovernanceModel, issue: Issue) -> None:
    """A handler finishes with a case: settle it, refer it up (no authority), or fail."""
    s = model.spec
    st, p, e = s.settlement, s.policy, s.effects
    now = model.time
    level = issue.level
    if level < issue.authority(now) and not street_commands(model, issue, level):
        refer(model, issue)
        return
    if street_whistles(model, issue, level):
        return
    lv = s.levels.of(level)
    r = issue.resident
    trust = parties.settle_trust(model, issue)  # the less trusting of two parties, a group's mean
    sev = issue.severity(now)
    skill = issue.handler.skill if (issue.handler is not None and level > Level.SELF) else lv.skill
    logit = (lv.settle_intercept + st.skill_weight * skill + st.legal_weight * p.rule_of_law
             - st.severity_weight * sev - st.age_weight * (now - issue.born) / 30.0
             + st.trust_weight * (trust - 0.5))
    if level == Level.SELF:
        logit += e.participation_settle_weight * (model.residents.participation(r, now) - 0.5)
    if level == Level.COMMUNITY and model.type_property[issue.kind] and model.firms[issue.community].joint_meetings:
        logit += e.red_property_settle_bonus
    if level == Level.STREET and model.type_enforcement[issue.kind]:
        # alone, the street sees an enforcement problem but lacks the powers (看得见管不了)
        logit -= s.departments.street_enforcement_penalty * (1.0 - p.street_empowerment)
    if level == Level.DISTRICT and issue.uid in model.whistled:
        logit += s.departments.whistle_settle_bonus  # joint handling: the street called, the department came
    if issue.corrupt:
        logit -= e.corruption_settle_penalty
        lose_trust(model, r, e.corruption_trust_hit)
        evaluate(model, r, level, False, e.corruption_trust_hit)
    mediation = level in (Level.COMMUNITY, Level.STREET) and bool(model.type_mediation[issue.kind])
    if model.rng.random() < 1.0 / (1.0 + math.exp(-logit)):
        if mediation:
            model.counts.mediation_settled += 1
        settle(model, issue, level)
    elif level == Level.SELF:
        file_at(model, issue, Level.COMMUNITY)  # the building head hands it to the community
    elif model.evaluation.closes_unsolved(issue, level):
        settle(model, issue, level, genuine=False)  # closed on paper under closure-rate targets (sim/evaluation.py)
    else:
        model.counts.failed[level] += 1
        if mediation:
            model.counts.mediation_failed += 1
        parties.experience(model, issue, False, 1.0, level)
        issue.history.append((now, "failed", level))
        if mediation and model.rng.random() < model.spec.channels.court_propensity:
            model.channels.sue(issue)  # a party sues instead of going up the ladder (T2)
            return
        resident_reacts(model, issue)


def street_commands(model: GovernanceModel, issue: Issue, level: int) -> bool:
    """Whether an empowered street keeps an enforcement case that now needs a department.

    With the five powers (五项权力) the departments' enforcement teams posted in the street take
    the street's orders, so an enforcement issue that has intensified beyond the street's own
    authority is still settled there instead of being passed up ("看得见管不了" ends). The draw is
    made only when the lever is on, so runs without it keep their random stream.
    """
    p = model.spec.policy
    return (level == Level.STREET and p.street_empowerment > 0 and bool(model.type_enforcement[issue.kind])
            and issue.authority(model.time) == Level.DISTRICT and model.rng.random() < p.street_empowerment)


def street_whistles(model: GovernanceModel, issue: Issue, level: int) -> bool:
    """Whether the street calls the responsible department to a case it could try alone (吹哨报到).

    The whistle rate is ``departments.whistle_propensity``; a called department must come: the case
    goes into its queue after ``departments.whistle_days`` without a bounce and, handled jointly,
    settles more easily (``departments.whistle_settle_bonus``). Too few whistles leave hard cases to a
    street that fails more often; too many fill departments' queues when their capacity binds. The
    draw is made only when the rate is above 0, so runs without whistles keep their random stream.
    """
    d = model.spec.departments
    if level != Level.STREET or d.whistle_propensity <= 0 or issue.uid in model.whistled:
        return False
    if model.rng.random() >= d.whistle_propensity:
        return False
    model.whistled.add(issue.uid)
    model.counts.whistles += 1
    days = d.whistle_days * (1.0 - model.spec.policy.data_sharing * model.spec.effects.data_sharing_referral_cut)
    send(model, issue, Level.DISTRICT, model.calendar.delay(days), "whistle")
    return True


def refer(model: GovernanceModel, issue: Issue) -> None:
    """The level lacks the authority: refer the case one level up after the referral delay."""
    s, p, e = model.spec, model.spec.policy, model.spec.effects
    level = issue.level
    days = s.levels.of(level).referral_days
    if level == Level.STREET and model.rng.random() < p.street_empowerment:
        days = s.departments.whistle_days  # the street's call: departments must report (吹哨报到)
    days *= 1.0 - p.data_sharing * e.data_sharing_referral_cut
    send(model, issue, level + 1, model.calendar.delay(days), "referred")


def send(model: GovernanceModel, issue: Issue, target: int, days: int, why: str) -> None:
    """The case leaves its level for ``target`` (referral, whistle, escalation); it arrives in ``days`` days."""
    now = model.time
    model.counts.moves[issue.level + 1, target + 1] += 1
    issue.stage += 1
    issue.state = IssueState.REFERRED
    issue.history.append((now, why, target))
    issue.level = target
    issue.office = None
    issue.thaw(now)
    model.calendar.set(issue, on_arrive, days)


def on_arrive(model: GovernanceModel, issue: Issue) -> None:
    """A referred or escalated case reaches its level; siloed departments may bounce it (推诿)."""
    d = model.spec.departments
    target = issue.level
    if target == Level.DISTRICT and issue.bounces < MAX_BOUNCES and issue.uid not in model.whistled:
        p_bounce = d.bounce_probability * (1.0 - model.spec.policy.data_sharing)
        if model.rng.random() < p_bounce:
            issue.bounces += 1
            model.counts.bounces += 1
            parties.experience(model, issue, False, 0.5, Level.DISTRICT)
            issue.stage += 1
            issue.history.append((model.time, "bounced", target))
            model.calendar.set(issue, on_arrive, model.calendar.delay(d.bounce_days))
            return
    file_at(model, issue, target, arrived=True)


def on_patience(model: GovernanceModel, issue: Issue) -> None:
    """The resident has waited too long in a queue: they escalate on their own, or give up."""
    if issue.state != IssueState.QUEUED:
        return
    model.counts.patience_expired += 1
    parties.experience(model, issue, False, 0.5, issue.level)
    issue.history.append((model.time, "waited too long", issue.level))
    resident_reacts(model, issue)


def on_deadline(model: GovernanceModel, issue: Issue) -> None:
    """A hotline case missed its deadline: trust suffers and the case is escalated under supervision."""
    if issue.state != IssueState.QUEUED:
        return
    model.counts.deadlines_missed += 1
    parties.experience(model, issue, False, 0.5)
    issue.flagged = True  # supervised: goes to the front of the next queue
    if issue.level >= Level.CITY:
        resident_reacts(model, issue)
    else:
        send(model, issue, issue.level + 1, 0, "deadline missed")


def resident_reacts(model: GovernanceModel, issue: Issue) -> None:
    """After a failure or a long wait the parties give up, escalate one level, skip levels or petition.

    The case is given up only if every party gives up (:func:`sim.parties.gives_up`). A group may
    go as a group petition (集体上访, :meth:`sim.channels.Channels.petition`). A distrustful party (below
    the Tacitus threshold) may skip levels: a petition. Escalations beyond the street go to a
    conflict-resolution centre where the district has one and the parties know of it
    (:meth:`sim.channels.Channels.finds_centre`, :meth:`sim.channels.Channels.to_centre`).
    """
    b = model.spec.behaviour
    rng = model.rng
    now = model.time
    ch = model.channels
    if parties.gives_up(model, issue, issue.severity(now)):
        abandon(model, issue)
        return
    model.counts.escalations += 1
    if issue.group > 1 and issue.level < Level.CITY and rng.random() < model.spec.parties.group_petition_propensity:
        model.counts.group_petitions += 1
        ch.petition(issue)
        return
    target = issue.level + 1
    distrust = parties.deciding_trust(model, issue) < model.residents.threshold
    if distrust and target <= Level.CITY and (target == Level.CITY or rng.random() < b.skip_probability):
        ch.petition(issue)  # a distrustful party skips levels, or reaches the city: a petition
        return
    if target >= Level.DISTRICT and ch.finds_centre(issue):
        ch.to_centre(issue)  # one stop for what would go up to the district, the city or beyond it
        return
    if target > Level.CITY:
        leave_city(model, issue)
        return
    send(model, issue, target, 1, "escalated by resident")


def settle(model: GovernanceModel, issue: Issue, level: int, genuine: bool = True) -> None:
    """The issue is settled at ``level``; a timely, clean settlement raises the resident's trust.

    ``genuine=False``: an office closed it unsolved (a false closure, :mod:`sim.evaluation`); the
    record counts it settled, the resident does not.
    """
    s = model.spec
    now = model.time
    c = model.counts
    issue.state = IssueState.SETTLED
    issue.level = level
    c.settled[level] += 1
    days = now - issue.born
    c.resolution_days_sum += days
    c.resolution_hist[min(int(round(days)), len(c.resolution_hist) - 1)] += 1
    c.community_closed[issue.community] += 1
    c.community_settled[issue.community] += 1
    c.community_ladder[issue.community, level] += 1
    if not genuine:
        issue.history.append((now, "closed unsolved", level))
        close(model, issue)
        model.evaluation.after_false_closure(issue, level)
        return
    c.experiences[level] += 1
    satisfied = (now - issue.known_at) <= s.settlement.satisfied_days and not issue.corrupt
    if satisfied:
        c.satisfied[level] += 1
        parties.experience(model, issue, True, 1.0, level)
        model.residents.reinforce(issue.resident, s.world.participation_reinforcement, now)
        model.participation.collective_action(issue)  # neighbours of a settled collective dispute take part
    p_relapse = (s.settlement.relapse_base * (1.0 - s.policy.rule_of_law)
                 * (s.settlement.relapse_corrupt_multiplier if issue.corrupt else 1.0))
    if model.rng.random() < p_relapse:
        rel = Relapse(model, issue.kind, issue.resident)
        model.calendar.enqueue(rel.fire, 1 + model.calendar.delay(s.settlement.relapse_days))
    issue.history.append((now, "settled", level))
    close(model, issue)


def leave_city(model: GovernanceModel, issue: Issue) -> None:
    """The issue leaves the city (a petition beyond it): the failure the design exists to avoid."""
    issue.state = IssueState.LEFT_CITY
    model.counts.moves[issue.level + 1, MOVE_LEFT_CITY] += 1
    model.counts.left_city += 1
    model.counts.community_ladder[issue.community, LEFT_CITY_COLUMN] += 1
    if issue.kind in HARD_TYPES:
        model.counts.left_city_hard += 1
    model.counts.community_closed[issue.community] += 1
    # the petitioners blame the level they were last dealing with (the community if they never filed)
    parties.experience(model, issue, False, 1.0, max(issue.level, Level.COMMUNITY))
    issue.history.append((model.time, "left city", Level.CITY))
    close(model, issue)


def abandon(model: GovernanceModel, issue: Issue) -> None:
    """The resident gives up: the grievance stays and costs trust."""
    issue.state = IssueState.ABANDONED
    model.counts.abandoned += 1
    model.counts.community_ladder[issue.community, ABANDONED_COLUMN] += 1
    model.counts.community_closed[issue.community] += 1
    parties.experience(model, issue, False, 0.5, issue.level)
    issue.history.append((model.time, "abandoned", issue.level))
    close(model, issue)


def close(model: GovernanceModel, issue: Issue) -> None:
    """Drop a settled, departed or abandoned issue from the registries and the open counts."""
    model.counts.open -= 1
    model.open_by_community[issue.community] -= 1
    unlatent(model, issue)
    model.open_issues.pop(issue.uid, None)
    model.whistled.discard(issue.uid)
    issue.stage += 1
    issue.office = None
