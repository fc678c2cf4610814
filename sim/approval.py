"""Approval of each level of government that emerges from exposure (ODD §7.24; T10; DESIGN §10).

A survey of satisfaction with a level asks every resident, most of whom never had a case there.
Each resident's approval ``a_iL`` of level L (community, street, district, city) relaxes toward a
common prior — policy and media, the same for every level, ``prior_i = σ(logit τ_i + offset)`` —
and is moved by the resident's own and heard experiences with L. Near levels are met through
daily frictions (routine contacts and their corrupt share, failed handlings, bounces, waits), remote
ones hardly at all, so the gradient by level (T10, "hierarchical trust", Li Lianjiang 2004) comes
out of exposure, not out of a distance term.

Memory: four float32 per resident (16 bytes); an experience touches the resident and their contacts
(:func:`sim.trust.build_contacts`); the relaxation is one vectorised pass every ``update_days``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim.levels import Level

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel

LEVELS = (Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY)
"""Rows of :attr:`Approval.rows` (row = level − 1); nobody is surveyed about self-governance."""


def prior(offset: float, trust: np.ndarray, work: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The common prior σ(logit τ + offset), τ clipped to 0.01–0.99 (float32).

    Computed in place, term by term as ``1 / (1 + exp(−(log(τ / (1 − τ)) + offset)))`` (so bit-identical
    to that expression), over ``work`` — two float64 arrays and the float32 result, kept by the caller —
    when given: fresh temporaries at 21.9 million residents are 175 MB each and page-fault every week.
    """
    tau, x, out = work if work is not None else (np.empty(len(trust)), np.empty(len(trust)),
                                                 np.empty(len(trust), dtype=np.float32))
    np.clip(trust, 0.01, 0.99, out=tau)
    np.subtract(1.0, tau, out=x)
    np.divide(tau, x, out=x)
    np.log(x, out=x)
    x += offset
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1.0
    np.divide(1.0, x, out=x)
    out[:] = x
    return out


def steady_state(p: np.ndarray, good: float, bad: float, weight: float, loss: float, memory_years: float) -> np.ndarray:
    """Expected approval that a prior ``p`` and exposure rates (per resident-year) sustain.

    From da/dt = (p − a)/memory + w·G·(1 − a) − w·ℓ·B·a: a* = (p/memory + w·G)/(1/memory + w·G + w·ℓ·B).
    """
    k = 1.0 / memory_years
    return (k * p + weight * good) / (k + weight * good + weight * loss * bad)


class Approval:
    """Residents' approval of each level, its running sums and the exposure counters.

    Attributes:
        rows: ``(4, n)`` float32 approval of community, street, district, city.
        exposure_good, exposure_bad: Experiences (own + heard, in own-experience units) per level so
            far, indexed by :class:`Level` (what ``approval.baseline_good`` / ``_bad`` are measured from).
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        a, w = model.spec.approval, model.spec.world
        n = model.residents.n
        p = prior(a.offset, model.residents.trust)
        self.rows = np.empty((len(LEVELS), n), dtype=np.float32)
        for j in range(len(LEVELS)):
            if a.warm_start:
                self.rows[j] = steady_state(p, a.baseline_good[j], a.baseline_bad[j], a.experience_weight,
                                            w.trust_loss_weight, a.memory_years)
            else:
                self.rows[j] = p
        self.exposure_good = np.zeros(len(Level))
        self.exposure_bad = np.zeros(len(Level))
        model.approval_sum = np.zeros(len(Level))
        self._mult: dict[tuple, np.ndarray] = {}  # evaluate's min(1, w·factor) per person reached, by size and factor
        self._work: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # prior's working arrays
        self._resum()

    def _resum(self) -> None:
        s = self.model.approval_sum
        s[Level.COMMUNITY:] = self.rows.sum(axis=1, dtype=np.float64)

    def of(self, level: int) -> np.ndarray:
        """Every resident's approval of ``level``."""
        return self.rows[level - 1]

    def evaluate(self, r: int, level: int, good: bool, scale: float = 1.0) -> None:
        """Resident ``r``'s experience with ``level`` (and their contacts' hearing of it) moves approval of it.

        Good: a ← a + min(1, w·scale)·(1 − a); bad: a ← a − w·ℓ·scale·a, with w = ``approval.experience_weight``
        for the resident and w × ``approval.heard_share`` for each contact, ℓ = ``world.trust_loss_weight``.
        """
        if level < Level.COMMUNITY:
            return
        m = self.model
        a = m.spec.approval
        row = self.rows[level - 1]
        td = getattr(m, "trust_dynamics", None)
        # the resident, then each distinct contact in ascending order (as np.unique gave them, so the
        # float64 sums below add in the same order): a set and a sort of seven ints cost far less than
        # np.unique's array machinery, ≈a fifth of an issue's cost at 1M residents (docs/performance.md)
        contacts = sorted({x for x in td.contacts[r].tolist() if x >= 0 and x != r}) if td is not None else []
        idx = np.array([r, *contacts])
        n_heard = len(contacts)
        factor = scale if good else m.spec.world.trust_loss_weight * scale
        # min(1, w·factor) per person reached, made once per size, weights and factor (its type too:
        # a numpy factor computes in float64, a Python one in float32) — the same arithmetic as before
        key = (len(idx), a.experience_weight, a.heard_share, factor, type(factor))
        mult = self._mult.get(key)
        if mult is None:
            if len(self._mult) > 4096:  # continuous scales: keep the cache bounded
                self._mult.clear()
            step = np.full(len(idx), a.experience_weight * a.heard_share, dtype=np.float32)
            step[0] = a.experience_weight
            mult = self._mult[key] = np.minimum(step * factor, 1.0)
        old = row[idx]
        if good:
            new = old + mult * (1.0 - old)
            self.exposure_good[level] += scale * (1.0 + a.heard_share * n_heard)
        else:
            new = old - mult * old
            self.exposure_bad[level] += scale * (1.0 + a.heard_share * n_heard)
        row[idx] = new
        add = np.add.reduce  # what ndarray.sum calls, without its Python wrapper
        m.approval_sum[level] += float(add(new, dtype=np.float64) - add(old, dtype=np.float64))

    def update(self, days: float) -> None:
        """Relax every approval toward the current prior over ``days``: a ← prior + (a − prior)·e^(−Δt/memory)."""
        a = self.model.spec.approval
        n = self.rows.shape[1]
        if self._work is None:  # kept between updates (see prior)
            self._work = (np.empty(n), np.empty(n), np.empty(n, dtype=np.float32))
        p = prior(a.offset, self.model.residents.trust, self._work)
        keep = np.float32(math.exp(-days / 365.0 / a.memory_years))
        for j in range(len(LEVELS)):
            row = self.rows[j]
            row -= p
            row *= keep
            row += p
        self._resum()


def daily(model: GovernanceModel) -> None:
    """Called once a day by the model: relax approval every ``approval.update_days`` days."""
    every = model.spec.approval.update_days
    day = int(round(model.time))
    if day > 0 and day % every == 0:
        model.approval.update(every)
