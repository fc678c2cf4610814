"""Residents and their trust (ODD §7.14–7.18): the residents' table, trust, word of mouth (approval: :mod:`sim.approval`).

Residents' state lives in arrays (:class:`ResidentTable`) with running sums, so that a city of a
million residents costs memory but no per-day work and outcomes never scan all residents. The
functions below are the only writers of trust and approval: every experience with a level of
government goes through :func:`gain_trust` / :func:`lose_trust` (which pass part of the change to
neighbours, :func:`word_of_mouth`) and :func:`evaluate`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim.levels import Level

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel


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

    def reinforce_counts(self, idx: np.ndarray, share: float, now: float) -> None:
        """Reinforce residents ``idx`` (repeats allowed): c reinforcements leave (1 − share)^c of the gap to 1."""
        if len(idx) == 0:
            return
        who, c = np.unique(idx, return_counts=True)
        e = math.exp(-self.decay * now)
        p = self.floor + self.q[who] * e
        p_new = 1.0 - (1.0 - p) * (1.0 - share) ** c
        q_new = (p_new - self.floor) / e
        self.q_sum += float((q_new - self.q[who]).sum())
        self.q[who] = q_new


def evaluate(model: GovernanceModel, r: int, level: Level, good: bool, scale: float = 1.0) -> None:
    """Resident ``r``'s experience with ``level`` moves their (and their contacts') approval of it.

    Recorded, and applied with the day's others before anything reads approval (:meth:`sim.approval.Approval.record`).
    """
    model.approval.record(r, level, good, scale)


def gain_trust(model: GovernanceModel, r: int, scale: float = 1.0) -> None:
    """A good experience of weight ``scale``: remembered and heard of, or τ ← τ + α_gain(1 − τ)·scale.

    With living trust (:mod:`sim.trust`) it is remembered and heard of; else trust moves at once.

    Without living trust the gain is discounted below the Tacitus threshold and neighbours hear of it.
    """
    td = getattr(model, "trust_dynamics", None)
    if td is not None and td.enabled:
        td.experience(r, True, scale)
        return
    w = model.spec.world
    tau = model.residents.trust[r]
    d = w.trust_gain * (1.0 - tau) * scale
    if tau < w.tacitus_threshold:
        d *= w.tacitus_discount
    word_of_mouth(model, r, model.residents.set_trust(r, tau + d))


def lose_trust(model: GovernanceModel, r: int, scale: float = 1.0) -> None:
    """A bad experience of weight ``scale``: remembered (living trust) or τ ← τ − α_loss·τ·scale.

    α_loss = loss weight × α_gain; with living trust the loss weight multiplies the experience's weight.
    """
    td = getattr(model, "trust_dynamics", None)
    if td is not None and td.enabled:
        td.experience(r, False, model.spec.world.trust_loss_weight * scale)
        return
    w = model.spec.world
    tau = model.residents.trust[r]
    d = -w.trust_gain * w.trust_loss_weight * tau * scale
    word_of_mouth(model, r, model.residents.set_trust(r, tau + d))


def word_of_mouth(model: GovernanceModel, r: int, delta: float) -> None:
    """Resident ``r`` tells ``world.word_of_mouth_contacts`` neighbours in their building of a trust change ``delta``.

    Each neighbour told (drawn with replacement; ``r`` itself hears nothing) moves by ``world.word_of_mouth · delta``.
    """
    w = model.spec.world
    k = w.word_of_mouth_contacts
    if delta == 0.0 or k == 0 or w.word_of_mouth == 0.0:
        return
    b = model.residents.building[r]
    lo, hi = int(model.building_start[b]), int(model.building_end[b])
    if hi - lo <= 1:
        return
    table = model.residents
    for j in model.rng.integers(lo, hi, k):
        if j != r:
            table.set_trust(int(j), table.trust[j] + w.word_of_mouth * delta)
