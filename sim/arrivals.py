"""Issue arrival, severity and reporting (ODD §7.1–7.4, §7.19, §7.20): how issues come to be known.

Issues arise by community and type (Poisson, vectorised: :func:`arise_issues`); each new issue
(:func:`create_issues`) gets its authority after the levers that move it down the ladder and its
clocks: the resident's decision to report or to stay silent and reconsider, and the earliest
proactive detection. When a clock fires the issue goes to routing (:func:`sim.ladder.detect`).
The rates per community and type are rebuilt when supply or the shocks under way change
(:func:`update_rates`, :func:`apply_shocks`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim import ladder, parties
from govsim.sim.issues import Channel, Issue
from govsim.sim.levels import Level
from govsim.sim.neighbourhoods import community_effects
from govsim.sim.scenario import DEPARTMENTS, ISSUE_TYPES, MEDIATION_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.agents import RiskShock
    from govsim.sim.model import GovernanceModel


def build_rates(model: GovernanceModel) -> None:
    """Per-type parameters as arrays, public-service supply per community, and the arrival rates."""
    s, p, e = model.spec, model.spec.policy, model.spec.effects
    model.supply = np.full(model.n_communities, s.world.public_service_supply)
    model.supply *= model.district_capacity[model.street_district[model.community_street]]
    model.supply *= 1 + p.party_building_alliance * e.alliance_supply_gain
    model.shock_mult = np.ones((model.n_communities, len(ISSUE_TYPES)))
    model.shock_boost = np.zeros((model.n_communities, len(ISSUE_TYPES)))
    types = [s.issues.get(t) for t in ISSUE_TYPES]
    model.type_rate = np.array([t.rate_per_1000 / 1000.0 / 365.0 for t in types])
    model.type_supply_sens = np.array([t.supply_sensitivity for t in types])
    model.type_moral = np.array([1 - t.moral_sensitivity * p.moral_governance for t in types])
    model.type_sev = np.array([t.severity_initial for t in types])
    model.type_growth = np.array([t.severity_growth for t in types])
    model.type_auth = np.array([Level[t.authority.upper()] for t in types], dtype=np.int64)
    model.type_escalate = np.array([t.escalate_severity for t in types])
    model.type_dept = np.array([DEPARTMENTS.index(t.department) for t in types])
    model.type_enforcement = np.array([t.enforcement for t in types])
    model.type_property = np.array([t.property_related for t in types])
    model.type_cross = np.array([t.cross_unit for t in types])
    model.type_dispute = np.array([t != "public_service" for t in ISSUE_TYPES])
    model.type_mediation = np.array([t in MEDIATION_TYPES for t in ISSUE_TYPES])
    # neighbourhood type and migrants' share of each community (a city file's; neutral when derived)
    eff = community_effects(model.world.table)
    model.neighbourhood_rate = np.stack([eff.rate[t] for t in ISSUE_TYPES], axis=1)
    model.report_shift = np.asarray(eff.report_logit, dtype=float)
    parties.build(model)
    update_rates(model)


def update_rates(model: GovernanceModel) -> None:
    """Rates per community and type: base rate × neighbourhood × moral governance × the supply gap × the shocks."""
    supply_gap = 1.0 - model.supply  # negative when supply exceeds need
    mult = np.clip(1.0 + np.outer(supply_gap, model.type_supply_sens), 0.1, None)
    model.rates = (model.community_size[:, None] * model.type_rate[None, :] * model.type_moral[None, :]
                   * mult * model.shock_mult * model.neighbourhood_rate)


def arise_issues(model: GovernanceModel) -> None:
    """New issues arise by community and type (Poisson, vectorised); each gets its detection clocks."""
    counts = model.rng.poisson(model.rates)
    total = int(counts.sum())
    if total == 0:
        return
    rng = model.rng
    comm_idx, type_idx = np.nonzero(counts)
    reps = counts[comm_idx, type_idx]
    comm = np.repeat(comm_idx, reps)
    kind = np.repeat(type_idx, reps)
    res_idx = model.community_start[comm] + (rng.random(total) * model.community_size[comm]).astype(np.int64)
    create_issues(model, comm, kind, res_idx)


def create_issues(model: GovernanceModel, comm: np.ndarray, kind: np.ndarray, res_idx: np.ndarray,
                  extra_severity: float = 0.0) -> list[Issue]:
    """Create issues with vectorised draws: severity, authority after the levers, and their clocks.

    The clocks are the resident's decision to report (or to stay silent and reconsider) and the
    earliest proactive detection by a building head or a party-member volunteer (the early-warning
    score is not a clock: it scores buildings from what the system sees, :mod:`sim.warning`).
    """
    s, p, b, e = model.spec, model.spec.policy, model.spec.behaviour, model.spec.effects
    rng = model.rng
    total = len(comm)
    conc = s.world.severity_concentration
    m = np.minimum(np.maximum(model.type_sev[kind] + model.shock_boost[comm, kind] + extra_severity, 0.01), 0.99)
    if total == 1:  # one issue (a relapse): the same draw without numpy's broadcasting of array parameters (6 µs)
        m0 = float(m[0])
        sev = np.array([rng.beta(m0 * conc, (1 - m0) * conc)])
    else:
        sev = rng.beta(m * conc, (1 - m) * conc)
    u_emp, u_joint, u_report, u_bh, u_pm = rng.random((5, total))
    trust = model.residents.trust[res_idx]
    building = model.residents.building[res_idx]
    grid = model.building_grid[building]
    head = model.has_head[building]
    now = model.time
    part = model.residents.floor + model.residents.q[res_idx] * math.exp(-model.residents.decay * now)
    logit = report_logit(model, trust, sev, part, head) + model.report_shift[comm]
    reports = u_report < 1.0 / (1.0 + np.exp(-logit))
    # a hotline is open at any hour: residents who decide to report do so sooner (接诉即办)
    report_delay = rng.poisson(b.report_delay_days * (1.0 - e.hotline_report_delay_cut * float(p.hotline_response)),
                               total)
    # authority after the levers that move it down the ladder (decided once per issue)
    auth = model.type_auth[kind].copy()
    emp = model.type_enforcement[kind] & (auth == Level.DISTRICT) & (u_emp < p.street_empowerment)
    auth[emp] = Level.STREET
    red = model.type_property[kind] & (auth == Level.STREET) & model.joint_meetings[comm]
    auth[red] = Level.COMMUNITY
    joint = model.type_cross[kind] & (auth == Level.STREET) & (u_joint < p.party_building_alliance)
    auth[joint] = Level.COMMUNITY
    if model.programmes.projects:
        # a secretary project brings the street's authority down to its hotspot community (下放权力)
        u_proj = rng.random(total)  # drawn only while a project runs: other runs keep their stream
        proj = (model.project_active[comm] > 0) & (auth == Level.STREET) & (u_proj < e.secretary_authority_share)
        auth[proj] = Level.COMMUNITY
    # proactive detection clocks (geometric waiting times); the earliest wins
    with np.errstate(divide="ignore", over="ignore"):  # a zero or vanishing hazard means "never" (inf)
        t_bh = np.where(head, np.floor(np.log(u_bh) / np.log1p(-e.building_head_detection_per_day))
                        if e.building_head_detection_per_day < 1 else 0.0, np.inf)
        hz = model.pm_hazard[grid]
        t_pm = np.where(hz > 0, np.floor(np.log(u_pm) / np.log1p(-np.minimum(hz, 0.999999))), np.inf)
    loc_street = model.community_street[comm]
    loc_district = model.street_district[loc_street]
    model.counts.arisen += total
    model.counts.open += total
    model.counts.disputes += int(model.type_dispute[kind].sum())
    np.add.at(model.open_by_community, comm, 1)
    created: list[Issue] = []
    # the per-issue loop reads Python lists (one .tolist() per column instead of a numpy scalar per
    # element and field): the same values, a fraction of the cost
    growth, escalate = model.type_growth.tolist(), model.type_escalate.tolist()
    max_silent, reconsider = b.max_silent_days, b.reconsider_days
    open_issues, latent_by_grid, calendar = model.open_issues, model.latent_by_grid, model.calendar
    uid = model.next_uid
    for k, r, bld, gr, cm, st, dt, sv, au, tb, tp, rep, rd in zip(
            kind.tolist(), res_idx.tolist(), building.tolist(), grid.tolist(), comm.tolist(), loc_street.tolist(),
            loc_district.tolist(), sev.tolist(), auth.tolist(), t_bh.tolist(), t_pm.tolist(), reports.tolist(),
            report_delay.tolist(), strict=True):
        issue = Issue(uid, k, r, (bld, gr, cm, st, dt), now, sv, growth[k], au, escalate[k])
        uid += 1
        open_issues[issue.uid] = issue
        latent = latent_by_grid.get(gr)
        if latent is None:
            latent = latent_by_grid[gr] = {}
        latent[issue.uid] = issue
        first = min((tb, Channel.BUILDING_HEAD), (tp, Channel.PARTY_MEMBER))
        if first[0] < max_silent:
            issue.channel = int(first[1])
            calendar.set(issue, on_detect, first[0])
        if rep:
            calendar.set(issue, on_report, rd)
        else:
            calendar.set(issue, on_reconsider, reconsider)
        created.append(issue)
    model.next_uid = uid
    parties.assign(model, created)
    return created


def arise_one(model: GovernanceModel, kind: int, resident: int, extra_severity: float = 0.0) -> Issue:
    """One issue of type ``kind`` arises for ``resident``, through the same clocks as any other.

    Relapses (through :meth:`GovernanceModel.arise_one`), tests and the dashboard use this.
    """
    comm = model.grid_community[model.building_grid[model.residents.building[resident]]]
    return create_issues(model, np.array([comm]), np.array([kind]), np.array([resident], dtype=np.int64),
                         extra_severity)[0]


def on_detect(model: GovernanceModel, issue: Issue) -> None:
    """A building head or a party-member volunteer finds a latent issue."""
    ladder.detect(model, issue, Channel(issue.channel))


def on_report(model: GovernanceModel, issue: Issue) -> None:
    """The resident reports the issue."""
    ladder.detect(model, issue, Channel.REPORT)


def report_logit(model: GovernanceModel, trust, severity, participation, head):
    """Log-odds that a resident reports an issue (scalars or arrays of one length).

    Trust and expected benefit (severity) raise it, so does participation; the cost of reporting
    is lowered by the hotline and by a building head; below the Tacitus threshold the resident no
    longer believes the local channels will help.
    """
    b, p, e = model.spec.behaviour, model.spec.policy, model.spec.effects
    cost = (b.report_cost - p.hotline_cost_reduction * float(p.hotline_response)
            - e.building_head_report_cost_cut * head)
    return (b.report_intercept + b.report_trust_weight * trust + b.report_benefit_weight * severity
            + e.participation_report_weight * participation - cost
            - b.distrust_report_penalty * (trust < model.residents.threshold))


def on_reconsider(model: GovernanceModel, issue: Issue) -> None:
    """A silent resident weighs the issue again: report, keep waiting, or give up."""
    b = model.spec.behaviour
    now = model.time
    r = issue.resident
    logit = (report_logit(model, model.residents.trust[r], issue.severity(now),
                          model.residents.participation(r, now), float(model.has_head[issue.building]))
             + model.report_shift[issue.community])
    if model.rng.random() < 1.0 / (1.0 + math.exp(-logit)):
        ladder.detect(model, issue, Channel.REPORT)
    elif now - issue.born >= b.max_silent_days:
        ladder.abandon(model, issue)
    else:
        model.calendar.set(issue, on_reconsider, b.reconsider_days)


def shock_area(model: GovernanceModel, shock: RiskShock) -> np.ndarray:
    """Which communities a shock hits: its community, its district's, or all of them."""
    sh = model.spec.shocks[shock.index]
    if sh.community >= 0:
        return np.arange(model.n_communities) == sh.community
    districts = model.street_district[model.community_street]
    return np.ones(model.n_communities, bool) if sh.district < 0 else districts == sh.district


def apply_shocks(model: GovernanceModel) -> None:
    """Rebuild the rate multipliers and severity boosts from the shocks under way (overlaps compound)."""
    model.shock_mult[:] = 1.0
    model.shock_boost[:] = 0.0
    areas = [shock_area(model, shock) for shock in model.active_shocks]
    parties.collective_tables(model, areas)  # shocks seed collective disputes (a shared grievance)
    for shock, area in zip(model.active_shocks, areas, strict=True):
        sh = model.spec.shocks[shock.index]
        for t in [ISSUE_TYPES.index(t) for t in sh.types]:
            model.shock_mult[area, t] *= sh.rate_multiplier
            model.shock_boost[area, t] += sh.severity_boost
    update_rates(model)
