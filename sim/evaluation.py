"""Evaluation design as a lever (ODD §7.13a): how offices are judged changes what they do.

Under closure-rate targets (``policy.closure_rate_targets``, the weight of the closure rate in the
offices' evaluation, as in many 12345 systems) an office that failed to settle a case may record it
closed anyway: with probability

    p = effects.false_closure_propensity · closure_rate_targets · (1 − effects.repeat_deterrence ·
        policy.evaluation_counts_repeats)

(:func:`closes_unsolved`). Judged by residents' satisfaction on a callback instead (weight
1 − closure_rate_targets), an office gains nothing by it: the resident says the case is not solved.
A false closure counts in the office's record as settled at its level (the official statistic) and
in ``false_closures``; the resident, told the case is closed with nothing done, loses trust by
``effects.false_closure_trust_hit`` times a failure's loss (:func:`after_false_closure`) and with
probability ``effects.repeat_complaint_probability`` complains again after about
``effects.repeat_complaint_days`` days: the same dispute arises anew as a reported issue at least as
severe (:class:`RepeatComplaint`, counted in ``repeat_complaints``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govsim.sim import ladder
from govsim.sim.issues import Channel, Issue
from govsim.sim.levels import Level
from govsim.sim.residents import evaluate, lose_trust

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel


class RepeatComplaint:
    """A resident whose case was closed unsolved complains again: the dispute is reported anew."""

    __slots__ = ("model", "kind", "resident", "severity")

    def __init__(self, model: GovernanceModel, kind: int, resident: int, severity: float) -> None:
        self.model = model
        self.kind = kind
        self.resident = resident
        self.severity = severity

    def fire(self) -> None:
        """The dispute arises again, as severe as it was left, and the resident reports it at once."""
        m = self.model
        extra = max(0.0, self.severity - float(m.type_sev[self.kind]))
        issue = m.arise_one(self.kind, self.resident, extra_severity=extra)
        m.counts.repeat_complaints += 1
        ladder.detect(m, issue, Channel.REPORT)


class Evaluation:
    """The offices' evaluation rule as the model sees it (read from the policy each time: timelines may change it)."""

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model

    def closes_unsolved(self, issue: Issue, level: int) -> bool:
        """Whether the office at ``level`` records a case it failed to settle as closed (drawn only when targets apply)."""
        m = self.model
        p, e = m.spec.policy, m.spec.effects
        if level < Level.COMMUNITY or p.closure_rate_targets <= 0:
            return False
        prob = (e.false_closure_propensity * p.closure_rate_targets
                * (1.0 - e.repeat_deterrence * p.evaluation_counts_repeats))
        return bool(m.rng.random() < prob)

    def after_false_closure(self, issue: Issue, level: int) -> None:
        """The resident finds the case closed unsolved: trust lost, and perhaps a repeat complaint."""
        m = self.model
        e = m.spec.effects
        m.counts.false_closures += 1
        lose_trust(m, issue.resident, e.false_closure_trust_hit)
        evaluate(m, issue.resident, level, False, e.false_closure_trust_hit)
        if m.rng.random() < e.repeat_complaint_probability:
            rep = RepeatComplaint(m, issue.kind, issue.resident, issue.severity(m.time))
            m.calendar.enqueue(rep.fire, 1 + m.calendar.delay(e.repeat_complaint_days))
