"""Agents of the governance model, each doing its own work (ODD §2.1).

Residents are Mesa agents whose state lives in arrays owned by the model
(:class:`~sim.residents.ResidentTable`), so that a city of a million residents costs memory but no
per-day work: residents act only through the issues they are party to (event-driven). Offices
(community, street, department, city) hold queues of cases and take them up within their capacity
each day (:meth:`Office.take_up_cases`); mediators carry the skill a case meets; grid members patrol
the grids that have unknown issues (:meth:`GridMember.patrol`); a risk shock starts and ends itself
(:meth:`RiskShock.start`, :meth:`RiskShock.end`).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim import arrivals, ladder
from govsim.sim.issues import Channel, Issue, IssueState
from govsim.sim.levels import Level
from mesa import Agent

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel

# Compatibility only: these names were declared here before the model was split; import them from
# sim.levels, sim.issues, sim.residents and sim.timers.
from govsim.sim.issues import OPEN_STATES  # noqa: E402, F401
from govsim.sim.levels import LEVEL_NAMES  # noqa: E402, F401
from govsim.sim.residents import ResidentTable  # noqa: E402, F401
from govsim.sim.timers import Timer  # noqa: E402, F401

SELF, COMMUNITY, STREET, DISTRICT, CITY = Level  # compatibility only: use Level.SELF … Level.CITY


class Resident(Agent):
    """A resident (居民): a view onto the model's :class:`ResidentTable` row ``idx``.

    Residents are never stepped: they decide only when one of their issues asks them to (report,
    wait, escalate, petition, give up), in the model's event handlers.

    Attributes:
        idx: Row in the resident table.
        trust: Trust in local government (0–1).
        building: Building the resident lives in.
        party_member: In-service party member (在职党员).
    """

    __slots__ = ("idx",)

    def __init__(self, model: GovernanceModel, idx: int) -> None:
        super().__init__(model)
        self.idx = int(idx)

    @property
    def trust(self) -> float:
        """Trust in local government."""
        return float(self.model.residents.trust[self.idx])

    @property
    def building(self) -> int:
        """Building index."""
        return int(self.model.residents.building[self.idx])

    @property
    def party_member(self) -> bool:
        """In-service party member."""
        return bool(self.model.residents.party_member[self.idx])

    @property
    def participation(self) -> float:
        """Willingness to take part in community affairs now."""
        return self.model.residents.participation(self.idx, self.model.time)


class Mediator(Agent):
    """A people's mediator or case handler (人民调解员, community worker, department officer).

    Attributes:
        office: The office they work in.
        skill: 0–1; raises the chance a case they handle settles.
        cases: Cases taken up so far.
    """

    def __init__(self, model: GovernanceModel, office: Office, skill: float) -> None:
        super().__init__(model)
        self.office = office
        self.skill = float(skill)
        self.cases = 0


class Office(Agent):
    """An office on the ladder that holds a queue of cases and takes them up within its capacity.

    Attributes:
        level: Its :class:`~sim.levels.Level` (community … city).
        district, street, community: Where it sits (-1 where not applicable).
        capacity: Cases it can take up per day (the staff time other duties leave, ODD §5).
        duties: Share of its staff's time spent on duties other than cases (drawn once, T14).
        visits: Case capacity owed to the risk score's visits (:mod:`sim.warning`), taken before today's cases.
        taken, waited: Cases taken up so far and the days they waited in its queue in all.
        handling_factor: Multiplier on the level's handling days (street refocus shortens it).
        queue: Cases waiting, oldest first.
        mediators: Its handlers.
    """

    def __init__(self, model: GovernanceModel, level: Level, district: int = -1, street: int = -1,
                 community: int = -1) -> None:
        super().__init__(model)
        self.level = level
        self.district = district
        self.street = street
        self.community = community
        self.capacity = 0.0
        self.extra_capacity = 0.0
        self.handling_factor = 1.0
        self.carry = 0.0
        self.visits = 0.0  # case capacity owed to the risk score's visits, taken from the next cases
        self.queue: deque[Issue] = deque()
        self.index = -1  # position in the model's office list
        self.mediators: list[Mediator] = []
        self._next = 0
        self.taken = 0
        self.waited = 0.0
        self.duties = 0.0
        self.channel = None  # a sim.channels.CityChannel when the office is one of the city's channels

    def next_handler(self) -> Mediator | None:
        """The handler who takes the next case (round robin)."""
        if not self.mediators:
            return None
        m = self.mediators[self._next % len(self.mediators)]
        self._next += 1
        return m

    def take_up_cases(self) -> None:
        """Take up queued cases within today's capacity (flagged cases were filed at the front).

        Capacity not used up as a whole case carries over to the next day. A case taken up stops
        growing in severity, gets the next handler, may meet a corrupt official (community and street),
        and is handled after the level's handling days (:func:`sim.ladder.on_handled`).
        """
        model = self.model
        cap = self.capacity + self.extra_capacity + self.carry - self.visits  # risk-score visits (sim/warning.py)
        self.visits = max(0.0, -cap)
        cap = max(0.0, cap)
        n = int(cap)
        self.carry = cap - n
        q = self.queue
        lv = model.spec.levels.of(self.level)
        p = model.spec.policy
        now = model.time
        counts = model.counts
        grassroots = self.level in (Level.COMMUNITY, Level.STREET)
        while n > 0 and q:
            issue = q.popleft()
            if issue.state != IssueState.QUEUED or issue.office is not self:
                continue  # stale entry: the resident escalated or gave up while waiting
            n -= 1
            issue.stage += 1
            issue.state = IssueState.IN_HANDLING
            wait = now - issue.sev_since  # queued since: a queued issue was thawed when it was filed
            self.waited += wait
            counts.record_wait(wait)
            issue.freeze(now)
            issue.handler = self.next_handler()
            if issue.handler is not None:
                issue.handler.cases += 1
            issue.corrupt = grassroots and model.rng.random() < p.grassroots_corruption
            self.taken += 1
            counts.cases_taken += 1
            counts.attempts[self.level] += 1
            if grassroots and model.type_mediation[issue.kind]:
                counts.mediation_cases[issue.kind] += 1
            if self.channel is None:
                model.calendar.set(issue, ladder.on_handled, model.calendar.delay(lv.handling_days * self.handling_factor))
            else:  # a channel beyond the ladder (sim.channels) handles at its own pace
                model.calendar.set(issue, self.channel.on_handled, model.calendar.delay(self.channel.spec.handling_days))
        if not q:
            model.busy_offices.discard(self.index)


class CommunityOffice(Office):
    """A community's residents' committee and mediation committee (社区)."""


class StreetOffice(Office):
    """A street office (街道办) with its mediation centre and, when empowered, dispatched enforcement.

    Attributes:
        service_share: Share of staff time on service and disputes rather than economic tasks.
    """

    service_share: float = 0.0


class Department(Office):
    """A district functional department (职能部门) with one domain.

    Attributes:
        domain: Index into ``sim.scenario.DEPARTMENTS``.
    """

    domain: int = 0


class CityCentre(Office):
    """The city's coordination centre: the last rung before an issue leaves the city."""


class GridMember(Agent):
    """A grid member (网格员): patrols one grid, finds latent issues early, settles minor ones on the spot.

    There is no daily caseload: a cap of a few found issues a day never bound (issue 14's ablation),
    since a grid holds few latent issues at a time; the patrol's reach is the households visited.

    Attributes:
        grid: The grid patrolled.
    """

    def __init__(self, model: GovernanceModel, grid: int) -> None:
        super().__init__(model)
        self.grid = int(grid)
        self.found = 0

    def patrol(self) -> None:
        """Visit households of the grid; each latent issue found is taken in.

        Each latent issue of the grid is found with the visit-and-notice chance; found issues are
        routed (:func:`sim.ladder.detect`).
        """
        model = self.model
        latent = model.latent_by_grid.get(self.grid)
        if not latent:
            return
        g = model.spec.grid
        visit = min(1.0, g.households_per_member_day / float(model.grid_households[self.grid]))
        p_find = visit * g.patrol_sensitivity  # a Python float: compared to Python floats below
        if p_find <= 0:
            return
        if len(latent) == 1:  # the common case: one draw, as random(1) makes it, without an array
            if model.rng.random() < p_find:
                self.found += 1
                ladder.detect(model, next(iter(latent.values())), Channel.GRID)
            return
        issues = list(latent.values())
        draws = model.rng.random(len(issues)).tolist()
        # the draws are made before any find is routed, so the finds can be picked out first
        for issue in [i for i, u in zip(issues, draws, strict=True) if u < p_find]:
            self.found += 1
            ladder.detect(model, issue, Channel.GRID)


class PropertyFirm(Agent):
    """A property-management firm (物业) serving one community.

    Attributes:
        community: The community served.
        joint_meetings: Whether it sits in joint meetings with residents' and owners' committees (红心物业).
    """

    def __init__(self, model: GovernanceModel, community: int, joint_meetings: bool) -> None:
        super().__init__(model)
        self.community = int(community)
        self.joint_meetings = bool(joint_meetings)


class RiskShock(Agent):
    """A named risk event (a demolition project, a factory closure, an epidemic).

    It raises several issue types' rates in an area for a period (compound risk, 叠加效应).

    Attributes:
        name: Its name.
        active: Whether it is under way.
    """

    def __init__(self, model: GovernanceModel, index: int, name: str) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self.active = False

    def start(self) -> None:
        """The shock begins: several issue types' rates rise in its area at once (叠加效应).

        Residents of the area lose ``trust_hit`` of their trust at once; the rate multipliers are
        rebuilt from the shocks under way (:func:`sim.arrivals.apply_shocks`).
        """
        model = self.model
        sh = model.spec.shocks[self.index]
        if sh.trust_hit > 0:
            for c in np.nonzero(arrivals.shock_area(model, self))[0]:
                lo = int(model.community_start[c])
                model.residents.scale_trust(lo, lo + int(model.community_size[c]), 1.0 - sh.trust_hit)
        self.active = True
        model.active_shocks.append(self)
        arrivals.apply_shocks(model)

    def end(self) -> None:
        """The shock is over."""
        if not self.active:
            return
        self.active = False
        self.model.active_shocks.remove(self)
        arrivals.apply_shocks(self.model)
