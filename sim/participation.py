"""Participation with feedback (ODD §7.18; DESIGN §10).

Participation p_i keeps its closed form between reinforcements (:class:`sim.residents.ResidentTable`:
``p_i(t) = floor + q_i·e^(−λt)``, so decay costs nothing a day). What reinforces it feeds back on it:

* organised activities reach residents at random, but only the willing come: a reached resident
  attends with probability p_i (:meth:`Participation.attendees`);
* registered party members set an example to their household and building contacts
  (``participation.example_per_month`` per contact);
* a satisfying settlement of a dispute that involves several households (``participation.collective_types``)
  is a successful collective action: the resident's household and building contacts are reinforced
  (``participation.collective_share``), on top of the resident's own reinforcement.

Example and collective action are collected and applied in one vectorised batch every
``participation.update_days`` days (:meth:`Participation.update`); the batch costs work in proportion
to the events and the registered members, not to the idle residents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from govsim.sim.scenario import ISSUE_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.issues import Issue
    from govsim.sim.model import GovernanceModel


class Participation:
    """Pending reinforcements and the party members' example.

    Attributes:
        pending: Residents reinforced by collective action since the last batch (arrays, concatenated).
        collective: Whether each issue type (by kind index) is a collective action.
        members: Registered party members (indices).
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        s = model.spec.participation
        self.enabled = s.feedback
        self.pending: list[np.ndarray] = []
        self.collective = np.array([t in s.collective_types for t in ISSUE_TYPES])
        self.members = np.flatnonzero(model.residents.registered)
        t = model.spec.trust
        self.building_cols = slice(0, 2 + t.neighbour_ties)  # household and building columns of the contacts
        self.rng = model.rng.spawn(1)[0]  # a child stream: the feedback draws nothing from the main one

    def attendees(self, idx: np.ndarray, now: float) -> np.ndarray:
        """Of the residents an activity reached, those who come: each with probability p_i (all, without feedback)."""
        if not self.enabled or len(idx) == 0:
            return idx
        res = self.model.residents
        p = res.floor + res.q[idx] * np.exp(-res.decay * now)
        return idx[self.rng.random(len(idx)) < p]

    def collective_action(self, issue: Issue) -> None:
        """A satisfying settlement: if its type involves several households, the resident's neighbours take part."""
        if not self.enabled or not self.collective[issue.kind]:
            return
        c = self.model.trust_dynamics.contacts[issue.resident, self.building_cols]
        self.pending.append(c[c >= 0])

    def update(self, days: float) -> None:
        """Apply the batch: collective action and party members' example since the last update."""
        m = self.model
        s, w = m.spec.participation, m.spec.world
        res = m.residents
        now = m.time
        if self.pending:
            res.reinforce_counts(np.concatenate(self.pending), w.participation_reinforcement * s.collective_share, now)
            self.pending.clear()
        if len(self.members) and s.example_per_month > 0:
            c = m.trust_dynamics.contacts[self.members, self.building_cols].ravel()
            c = c[c >= 0]
            chance = 1.0 - (1.0 - s.example_per_month) ** (days / 30.0)
            hit = c[self.rng.random(len(c)) < chance]
            res.reinforce_counts(hit, w.participation_reinforcement * m.spec.effects.party_member_example, now)


def daily(model: GovernanceModel) -> None:
    """Called once a day by the model: apply the batch every ``participation.update_days`` days."""
    part = model.participation
    if not part.enabled:
        return
    every = model.spec.participation.update_days
    day = int(round(model.time))
    if day > 0 and day % every == 0:
        part.update(every)
