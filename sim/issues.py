"""The issue: a dispute or demand, the unit of work that flows through the ladder (ODD §2.1, §7.1).

Its states, the channels by which it becomes known, and its severity clock live here, below every
process that moves it, so that the processes (:mod:`sim.arrivals`, :mod:`sim.ladder`) and the agents
(:mod:`sim.agents`) can all import it without importing each other.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import TYPE_CHECKING

from govsim.sim.levels import Level

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.agents import Mediator, Office


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
        resident: Index of the resident who is party to it (a group's organiser; of two parties, the
            one who raised it or last escalated it).
        other: The second party of a two-party dispute, or -1.
        group, members: A collective dispute's size and its members besides the organiser.
        centred: Whether a conflict-resolution centre has routed it already.
        building, grid, community, street, district: Where it arose.
        born: Day it arose.
        state: An :class:`IssueState`.
        level: The :class:`~sim.levels.Level` it is at, or -1 while latent.
        sev_base, sev_since, frozen: Severity bookkeeping; see :meth:`severity`.
        base_authority: Lowest level able to settle it while mild, after the levers' reallocation.
        stage: Increases at every transition; timers scheduled at an older stage are stale.
        history: ``(day, event, level)`` tuples.
    """

    __slots__ = (
        "uid", "kind", "resident", "building", "grid", "community", "street", "district", "born",
        "state", "level", "sev_base", "sev_since", "growth", "frozen", "base_authority", "escalate_at",
        "stage", "known_at", "channel", "hotline", "flagged", "bounces", "handler", "corrupt",
        "history", "office", "other", "group", "members", "centred",
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
        self.other = -1  # the second party of a two-party dispute (sim.parties), or -1
        self.group = 1  # residents in the dispute's group: 1 unless collective
        self.members = None  # a collective dispute's members other than the organiser (np.ndarray)
        self.centred = False  # whether a conflict-resolution centre has routed it (sim.channels)

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
        return min(Level.CITY, self.base_authority + (1 if self.severity(now) > self.escalate_at else 0))

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
