"""Agents of the governance model and the issue they work on.

Residents are Mesa agents whose state lives in arrays owned by the model (:class:`ResidentTable`),
so that a city of a million residents costs memory but no per-day work: residents act only through
the issues they are party to (event-driven). Offices (community, street, department, city) hold
queues of cases and take them up within their capacity each day; mediators carry the skill a case
meets; grid members patrol the grids that have unknown issues.
"""

from __future__ import annotations

import math
from collections import deque
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim.levels import LEVEL_NAMES, Level  # noqa: F401  (LEVEL_NAMES re-exported for compatibility)
from mesa import Agent

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel

SELF, COMMUNITY, STREET, DISTRICT, CITY = Level  # kept for compatibility: use Level.SELF … Level.CITY


class IssueState(IntEnum):
    """Where an issue is in its life (DESIGN §7)."""

    LATENT = 0  # arisen, unknown to any official
    QUEUED = 1  # known at a level, waiting for a handler
    IN_HANDLING = 2  # taken up by a handler at a level
    REFERRED = 3  # on its way up (referral, bounce or the resident's own escalation)
    SETTLED = 4
    LEFT_CITY = 5
    ABANDONED = 6


OPEN_STATES = frozenset({IssueState.LATENT, IssueState.QUEUED, IssueState.IN_HANDLING, IssueState.REFERRED})


class Channel(IntEnum):
    """How an issue became known."""

    REPORT = 0
    HOTLINE = 1
    PETITION = 2
    GRID = 3
    BUILDING_HEAD = 4
    PARTY_MEMBER = 5
    EARLY_WARNING = 6


class Issue:
    """A dispute or demand: the unit of work that flows through the ladder.

    Attributes:
        uid: Sequential id within the model.
        kind: Index into ``sim.scenario.ISSUE_TYPES``.
        resident: Index of the resident who is party to it.
        building, grid, community, street, district: Where it arose.
        born: Day it arose.
        state: An :class:`IssueState`.
        level: Ladder level it is at (0 self … 4 city), or -1 while latent.
        sev_base, sev_since, frozen: Severity bookkeeping; see :meth:`severity`.
        base_authority: Lowest level able to settle it while mild, after the levers' reallocation.
        stage: Increases at every transition; timers scheduled at an older stage are stale.
        history: ``(day, event, level)`` tuples.
    """

    __slots__ = (
        "uid", "kind", "resident", "building", "grid", "community", "street", "district", "born",
        "state", "level", "sev_base", "sev_since", "growth", "frozen", "base_authority", "escalate_at",
        "stage", "known_at", "channel", "hotline", "flagged", "bounces", "handler", "corrupt",
        "history", "office",
    )

    def __init__(self, uid: int, kind: int, resident: int, loc: tuple[int, int, int, int, int], born: float,
                 severity: float, growth: float, base_authority: int, escalate_at: float) -> None:
        self.uid = uid
        self.kind = kind
        self.resident = resident
        self.building, self.grid, self.community, self.street, self.district = loc
        self.born = born
        self.state = IssueState.LATENT
        self.level = -1
        self.sev_base = severity
        self.sev_since = born
        self.growth = growth
        self.frozen = False
        self.base_authority = base_authority
        self.escalate_at = escalate_at
        self.stage = 0
        self.known_at = -1.0
        self.channel = -1
        self.hotline = False
        self.flagged = False
        self.bounces = 0
        self.handler: Mediator | None = None
        self.corrupt = False
        self.history: list[tuple[float, str, int]] = [(born, "arise", -1)]
        self.office: Office | None = None

    def severity(self, now: float) -> float:
        """Severity at ``now``: s = 1 − (1 − s₀)(1 − g)^(days unattended); frozen while in handling."""
        if self.frozen or self.growth <= 0.0:
            return self.sev_base
        return 1.0 - (1.0 - self.sev_base) * (1.0 - self.growth) ** max(0.0, now - self.sev_since)

    def freeze(self, now: float) -> None:
        """Stop severity growth (a handler is attending to it)."""
        if not self.frozen:
            self.sev_base = self.severity(now)
            self.frozen = True

    def thaw(self, now: float) -> None:
        """Severity grows again from ``now`` (nobody is attending to it)."""
        if self.frozen:
            self.frozen = False
            self.sev_since = now

    def authority(self, now: float) -> int:
        """Ladder level needed to settle it now: one more once it has intensified (小事拖成大事)."""
        return min(CITY, self.base_authority + (1 if self.severity(now) > self.escalate_at else 0))

    def days_to_severity(self, target: float, now: float) -> float:
        """Days from ``now`` until severity reaches ``target`` if left unattended (inf if never)."""
        s = self.severity(now)
        if s >= target:
            return 0.0
        step = math.log1p(-self.growth) if self.growth < 1.0 else -math.inf
        if step == 0.0 or target >= 1.0:  # no growth (or too little to represent): never
            return math.inf
        return math.log((1.0 - target) / (1.0 - s)) / step

    @property
    def is_open(self) -> bool:
        """Whether the issue is still in play."""
        return self.state in OPEN_STATES


class Timer:
    """A scheduled case event on the model's calendar.

    A timer fires only if its issue has not moved on since it was set (same ``stage``) and is still open.
    """

    __slots__ = ("model", "issue", "stage", "action")

    def __init__(self, model: GovernanceModel, issue: Issue, action: str) -> None:
        self.model = model
        self.issue = issue
        self.stage = issue.stage
        self.action = action

    def fire(self) -> None:
        """Dispatch to ``model.on_<action>(issue)`` if the issue is still at the stage the timer was set at."""
        issue = self.issue
        if issue.stage == self.stage and issue.state in OPEN_STATES:
            getattr(self.model, "on_" + self.action)(issue)


class ResidentTable:
    """Residents' state as arrays, with running sums so that outcomes never scan all residents.

    Attributes:
        trust: Trust in local government, 0–1.
        building: Building of each resident.
        party_member: Whether the resident is an in-service party member.
        registered: Whether a party member has registered in their residential grid.
    """

    def __init__(self, n: int, trust: np.ndarray, building: np.ndarray, party_member: np.ndarray,
                 registered: np.ndarray, participation0: float, floor: float, decay_per_day: float,
                 threshold: float) -> None:
        self.n = n
        self.trust = trust.astype(np.float64)
        self.building = building
        self.party_member = party_member
        self.registered = registered
        self.threshold = threshold
        self.trust_sum = float(self.trust.sum())
        self.low_count = int((self.trust < threshold).sum())
        # participation p_i(t) = floor + q_i · exp(−λ t): q_i is stored, so decay costs nothing per day
        self.floor = floor
        self.decay = decay_per_day
        self.q = np.full(n, max(participation0 - floor, 0.0), dtype=np.float64)
        self.q_sum = float(self.q.sum())

    def mean_trust(self) -> float:
        """Mean trust over all residents."""
        return self.trust_sum / self.n

    def share_low_trust(self) -> float:
        """Share of residents below the Tacitus threshold."""
        return self.low_count / self.n

    def set_trust(self, i: int, value: float) -> float:
        """Set resident ``i``'s trust (clipped to 0–1) and keep the running sums; returns the change."""
        value = min(1.0, max(0.0, value))
        old = self.trust[i]
        if value == old:
            return 0.0
        self.trust[i] = value
        self.trust_sum += value - old
        thr = self.threshold
        if old < thr <= value:
            self.low_count -= 1
        elif value < thr <= old:
            self.low_count += 1
        return value - old

    def scale_trust(self, lo: int, hi: int, factor: float) -> None:
        """Multiply the trust of residents ``lo`` … ``hi - 1`` by ``factor`` (a shock's blow), keeping the sums."""
        old = self.trust[lo:hi]
        new = np.clip(old * factor, 0.0, 1.0)
        self.trust_sum += float((new - old).sum())
        thr = self.threshold
        self.low_count += int((new < thr).sum()) - int((old < thr).sum())
        self.trust[lo:hi] = new

    def participation(self, i: int, now: float) -> float:
        """Resident ``i``'s participation at time ``now``."""
        return self.floor + self.q[i] * math.exp(-self.decay * now)

    def participation_rate(self, now: float) -> float:
        """Mean participation over all residents at ``now``."""
        return self.floor + self.q_sum * math.exp(-self.decay * now) / self.n

    def reinforce(self, i: int, share: float, now: float) -> None:
        """Close ``share`` of resident ``i``'s gap to full participation."""
        p = self.participation(i, now)
        p_new = p + share * (1.0 - p)
        q_new = (p_new - self.floor) * math.exp(self.decay * now)
        self.q_sum += q_new - self.q[i]
        self.q[i] = q_new

    def reinforce_many(self, idx: np.ndarray, share: float, now: float) -> None:
        """Vectorised :meth:`reinforce` for distinct residents ``idx``."""
        if len(idx) == 0:
            return
        e = math.exp(-self.decay * now)
        p = self.floor + self.q[idx] * e
        p_new = p + share * (1.0 - p)
        q_new = (p_new - self.floor) / e
        self.q_sum += float((q_new - self.q[idx]).sum())
        self.q[idx] = q_new


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
        level: Ladder level (1 community … 4 city).
        district, street, community: Where it sits (-1 where not applicable).
        capacity: Cases it can take up per day.
        handling_factor: Multiplier on the level's handling days (street refocus shortens it).
        queue: Cases waiting, oldest first.
        mediators: Its handlers.
    """

    def __init__(self, model: GovernanceModel, level: int, district: int = -1, street: int = -1,
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
        self.queue: deque[Issue] = deque()
        self.mediators: list[Mediator] = []
        self._next = 0
        self.taken = 0

    def next_handler(self) -> Mediator | None:
        """The handler who takes the next case (round robin)."""
        if not self.mediators:
            return None
        m = self.mediators[self._next % len(self.mediators)]
        self._next += 1
        return m

    def take_up_cases(self) -> None:
        """Take up as many queued cases as today's capacity allows (the step's office activation)."""
        self.model.take_up(self)


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

    Attributes:
        grid: The grid patrolled.
        caseload: Issues they can take in per day.
    """

    def __init__(self, model: GovernanceModel, grid: int, caseload: float) -> None:
        super().__init__(model)
        self.grid = int(grid)
        self.caseload = caseload
        self.found = 0

    def patrol(self) -> None:
        """Visit households of the grid; each latent issue found is taken in, up to the caseload."""
        self.model.patrol(self)


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
        """The shock begins."""
        self.model.start_shock(self)

    def end(self) -> None:
        """The shock ends."""
        self.model.end_shock(self)
