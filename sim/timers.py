"""The case calendar: every event of a single case happens at mid-day (ODD §3, scheduled events).

A report, a detection, the end of a case's handling, a referral arriving, a resident's patience
running out, a hotline deadline and a relapse are each a call put on the model's
:class:`CaseCalendar` for ``day + 0.5``. All of one mid-day's calls share one Mesa event, run in the
order they were scheduled (the order Mesa's event list would give them) at a fraction of the cost of
one heap entry per event.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from govsim.sim.issues import OPEN_STATES, Issue

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel

type CaseHandler = Callable[[GovernanceModel, Issue], None]
"""A process that acts on one case when its timer fires (``sim.ladder.on_handled``, …)."""


class Timer:
    """A scheduled case event on the model's calendar.

    A timer fires only if its issue has not moved on since it was set (same ``stage``) and is still open.
    """

    __slots__ = ("model", "issue", "stage", "handler")

    def __init__(self, model: GovernanceModel, issue: Issue, handler: CaseHandler) -> None:
        self.model = model
        self.issue = issue
        self.stage = issue.stage
        self.handler = handler

    def fire(self) -> None:
        """Run ``handler(model, issue)`` if the issue is still at the stage the timer was set at."""
        issue = self.issue
        if issue.stage == self.stage and issue.state in OPEN_STATES:
            self.handler(self.model, issue)


class CaseCalendar:
    """The model's calendar of case events, one bucket of calls per mid-day.

    The calendar holds its calls strongly, so no weak-reference bookkeeping is needed; events of
    closed issues find their issue moved on and do nothing.
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        self._days: dict[float, list[Callable[[], None]]] = {}

    def at_mid_day(self, days: float) -> float:
        """Absolute event time ``days`` whole days from today, at mid-day."""
        return math.floor(self.model.time) + max(0, int(days)) + 0.5

    def enqueue(self, fn: Callable[[], None], days: float) -> None:
        """Put ``fn`` on the calendar ``days`` whole days from today, at mid-day."""
        self._bucket(days).append((None, 0, fn))

    def set(self, issue: Issue, handler: CaseHandler, days: float) -> None:
        """Run ``handler(model, issue)`` in ``days`` whole days unless the issue has moved on by then.

        The call is kept as a plain ``(issue, stage, handler)`` entry (what a :class:`Timer` holds,
        without an object and a bound method per event: a case has about four events, and at
        Beijing's scale that is ten million of them a year).
        """
        self._bucket(days).append((issue, issue.stage, handler))

    def _bucket(self, days: float) -> list:
        at = math.floor(self.model.time) + (int(days) if days > 0 else 0) + 0.5  # = at_mid_day(days)
        bucket = self._days.get(at)
        if bucket is None:
            bucket = self._days[at] = []
            self.model.schedule_event(self.run, at=at)
        return bucket

    def delay(self, mean: float) -> int:
        """A Poisson number of days with mean ``mean`` (0 when the mean is 0), from the model's stream."""
        return int(self.model.rng.poisson(mean)) if mean > 0 else 0

    def run(self) -> None:
        """Run today's case events (reports, detections, handling, referrals, patience, deadlines, relapses).

        An issue's entry runs only if the issue is still at the stage it was set at and still open
        (as :meth:`Timer.fire`); a plain call (:meth:`enqueue`) always runs.
        """
        model = self.model
        at = model.time
        bucket = self._days.get(at, [])
        i = 0
        while i < len(bucket):  # events scheduled for today while running are appended and run too
            issue, stage, handler = bucket[i]
            if issue is None:
                handler()
            elif issue.stage == stage and issue.state in OPEN_STATES:
                handler(model, issue)
            i += 1
        self._days.pop(at, None)
