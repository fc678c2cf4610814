"""Programmes on the calendar (ODD §7.18, §7.20, §7.20a, §7.21): activities, routine contacts, projects, shocks.

:class:`Programmes` puts the recurring events on Mesa's event list at construction and owns the
callbacks (Mesa holds callbacks by weak reference, so they are bound methods of an object the model
keeps). A :class:`SecretaryProject` starts and ends itself; a shock is an agent
(:class:`sim.agents.RiskShock`) that does the same.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim import arrivals
from govsim.sim.agents import RiskShock
from govsim.sim.levels import Level
from govsim.sim.residents import lose_trust
from mesa.time import Schedule

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel


class SecretaryProject:
    """A secretary project (书记项目): extra staff and supply for a hotspot community for a period."""

    __slots__ = ("model", "community", "staff_capacity", "supply", "__weakref__")

    def __init__(self, model: GovernanceModel, community: int, staff_capacity: float, supply: float) -> None:
        self.model = model
        self.community = community
        self.staff_capacity = staff_capacity
        self.supply = supply

    def start(self) -> None:
        """Put the project's staff and supply in its community and schedule its end."""
        m = self.model
        m.programmes.projects.append(self)
        office = m.communities[self.community]
        office.extra_capacity += self.staff_capacity
        m.daily_offer = None  # the model recomputes each office's daily offer
        m.total_capacity += self.staff_capacity
        m.supply[self.community] += self.supply
        m.project_active[self.community] += 1
        arrivals.update_rates(m)
        m.schedule_event(self.end, at=m.time + m.spec.policy.secretary_project_days)

    def end(self) -> None:
        """The project's period is over: withdraw its resources."""
        m = self.model
        office = m.communities[self.community]
        office.extra_capacity -= self.staff_capacity
        m.daily_offer = None
        m.total_capacity -= self.staff_capacity
        m.supply[self.community] -= self.supply
        m.project_active[self.community] -= 1
        arrivals.update_rates(m)
        m.programmes.projects.remove(self)


class Programmes:
    """The model's recurring programmes and shocks, scheduled once at construction.

    Attributes:
        activity_reach: Monthly chance that a resident takes part in an organised activity.
        projects: Secretary projects under way.
        shocks: One :class:`~sim.agents.RiskShock` per ``[[shocks]]`` entry.
        contact_rng: The child random stream of routine contacts (only while corruption is on).
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        s, p, e = model.spec, model.spec.policy, model.spec.effects
        self.projects: list[SecretaryProject] = []
        reach = e.activity_reach_per_month * (1 - (1 - p.self_governance) * (1 - p.party_building_alliance))
        self.activity_reach = reach
        if reach > 0:
            model.schedule_recurring(self.organised_activities, Schedule(interval=30, start=29.75))
        self.contact_rng = self.office_rng = None
        if p.grassroots_corruption > 0:
            self.ensure_routine_contacts()
        if p.secretary_projects > 0:
            interval = 365.0 / p.secretary_projects
            model.schedule_recurring(self.start_secretary_project, Schedule(interval=interval, start=0.75))
        self.shocks: list[RiskShock] = []
        for i, sh in enumerate(s.shocks):
            agent = RiskShock(model, i, sh.name)
            self.shocks.append(agent)
            model.schedule_event(agent.start, at=max(0.0, sh.day - 0.25))
            model.schedule_event(agent.end, at=sh.day + sh.duration_days - 0.25)

    def ensure_routine_contacts(self) -> None:
        """Start the monthly routine contacts unless they run already (a timeline may turn corruption on)."""
        m = self.model
        if self.contact_rng is not None or m.spec.effects.routine_contacts_per_year <= 0:
            return
        # who has a corrupt contact comes from a child stream (spawning draws nothing from model.rng),
        # so the corruption level shifts fewer of the main stream's draws between compared scenarios
        self.contact_rng = m.rng.spawn(1)[0]
        self.office_rng = m.rng.spawn(1)[0]  # where a contact happens (approval, ODD §7.24): its own stream
        start = 29.5 + 30 * max(0, math.ceil((m.time - 29.5) / 30))
        if start <= m.time:
            start += 30
        m.schedule_recurring(self.routine_contacts, Schedule(interval=30, start=start))

    def organised_activities(self) -> None:
        """Monthly activities of residents' councils and alliance units reinforce participation."""
        m = self.model
        n = int(m.rng.binomial(m.population, min(1.0, self.activity_reach)))
        if n:
            idx = np.unique(m.rng.integers(0, m.population, n))
            idx = m.participation.attendees(idx, m.time)  # only the willing come (ODD §7.18)
            m.residents.reinforce_many(idx, m.spec.world.participation_reinforcement * 0.5, m.time)

    def routine_contacts(self) -> None:
        """A month of residents' everyday contacts with community and street offices.

        Contacts for certificates, subsidies and permits are each corrupt with the corruption lever's
        chance; a corrupt one costs that resident trust, and their neighbours hear of it. Petty
        corruption (吃拿卡要) bends benefit policies at the grassroots and is what residents resent
        most (seed, 篇一 §二(二)); it reaches residents who never had a dispute, which is how it drags a
        whole city's trust down (the road into the Tacitus trap). Only corrupt contacts move trust: a
        clean routine contact is what residents expect and is not news.
        """
        m = self.model
        p, e = m.spec.policy, m.spec.effects
        rate = e.routine_contacts_per_year * 30.0 / 365.0 * p.grassroots_corruption
        n = int(self.contact_rng.poisson(m.population * rate))
        who = self.contact_rng.integers(0, m.population, n)
        where = self.office_rng.choice(3, n, p=m.spec.approval.routine_shares) + Level.COMMUNITY
        hit = e.corruption_trust_hit
        for r in who.tolist():  # Python ints: no numpy scalar per contact
            lose_trust(m, r, hit)
        # approval blames the office where it happened (ODD §7.24); neither step reads what the other
        # writes, so the month's contacts go to approval at once, as if one after another
        m.approval.evaluate_many(who, where, False, hit)

    def start_secretary_project(self) -> None:
        """A secretary project targets the community with most open issues per resident."""
        m = self.model
        p, e = m.spec.policy, m.spec.effects
        per_cap = m.open_by_community / np.maximum(m.community_size, 1)
        # a project names one hotspot: communities that already have a running project are not chosen again
        per_cap = np.where(m.project_active > 0, -np.inf, per_cap)
        c = int(np.argmax(per_cap))
        lv = m.spec.levels.community
        SecretaryProject(m, c, p.secretary_project_staff * lv.cases_per_staff_day, e.secretary_supply_boost).start()
