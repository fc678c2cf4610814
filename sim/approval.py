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
from govsim.sim.trust import BLOCK

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel

LEVELS = (Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY)
"""Rows of :attr:`Approval.rows` (row = level − 1); nobody is surveyed about self-governance."""
SMALL_BATCH = 16
"""Below this many experiences one :meth:`Approval.evaluate` after another (≈7 µs each) is cheaper than
the vectorised pass (≈85 µs, plus ≈1 µs an experience): a 100,000-resident city has about 30 a day."""


def prior(offset: float, trust: np.ndarray, work: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The common prior σ(logit τ + offset), τ clipped to 0.01–0.99 (float32).

    Computed in place, term by term as ``1 / (1 + exp(−(log(τ / (1 − τ)) + offset)))`` (so bit-identical
    to that expression), over ``work`` — two float64 arrays and the float32 result, kept by the caller —
    when given (:meth:`Approval.update` passes one block of residents at a time).
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
        # experiences recorded since the last flush, in order: residents, levels, polarities, scales
        self._pending: tuple[list[int], list[int], list[bool], list[float]] = ([], [], [], [])
        self._resum()

    def _resum(self) -> None:
        s = self.model.approval_sum
        s[Level.COMMUNITY:] = self.rows.sum(axis=1, dtype=np.float64)

    def of(self, level: int) -> np.ndarray:
        """Every resident's approval of ``level``."""
        self.flush()
        return self.rows[level - 1]

    def mean(self, level: int) -> float:
        """Mean approval of ``level`` over every resident (what a survey of the whole city reports)."""
        self.flush()
        return float(self.model.approval_sum[level]) / self.model.population

    def record(self, r: int, level: int, good: bool, scale: float = 1.0) -> None:
        """Resident ``r``'s experience with ``level``, applied at the next :meth:`flush`.

        What :meth:`evaluate` does, in the same order, but a day's experiences at once: nothing in the
        model reads approval while the day's cases run, only the outcomes (:meth:`mean`) and the
        weekly relaxation (:meth:`update`), and both flush first. One :meth:`evaluate` per case
        experience cost ≈11 µs of an issue's ≈73 at a million residents (docs/performance.md).
        """
        rs, levels, goods, scales = self._pending
        rs.append(r)
        levels.append(level)
        goods.append(good)
        scales.append(scale)

    def flush(self) -> None:
        """Apply the recorded experiences, bit for bit as one :meth:`evaluate` after another would."""
        rs, levels, goods, scales = self._pending
        if not rs:
            return
        self._pending = ([], [], [], [])
        self._apply(rs, levels, goods, scales)

    def _multipliers(self, size: int, good: bool, scale: float) -> np.ndarray:
        """min(1, w·factor) for the resident, then for each of ``size`` − 1 contacts (float32).

        factor = ``scale`` (good) or ``world.trust_loss_weight`` × ``scale`` (bad). Made once per size,
        weights and factor (its type too: a numpy factor computes in float64, a Python one in float32).
        """
        a = self.model.spec.approval
        factor = scale if good else self.model.spec.world.trust_loss_weight * scale
        key = (size, a.experience_weight, a.heard_share, factor, type(factor))
        mult = self._mult.get(key)
        if mult is None:
            if len(self._mult) > 4096:  # continuous scales: keep the cache bounded
                self._mult.clear()
            mult = self._mult[key] = np.minimum(self._weights(size) * factor, 1.0)
        return mult

    def _weights(self, size: int) -> np.ndarray:
        """Per-position weights of an experience, as float32.

        ``approval.experience_weight`` for the resident, then that weight × ``approval.heard_share`` for
        each of ``size`` − 1 contacts.
        """
        a = self.model.spec.approval
        w = np.full(size, a.experience_weight * a.heard_share, dtype=np.float32)
        w[0] = a.experience_weight
        return w

    def evaluate(self, r: int, level: int, good: bool, scale: float = 1.0) -> None:
        """Resident ``r``'s experience with ``level`` (and their contacts' hearing of it) moves approval of it.

        Good: a ← a + min(1, w·scale)·(1 − a); bad: a ← a − w·ℓ·scale·a, with w = ``approval.experience_weight``
        for the resident and w × ``approval.heard_share`` for each contact, ℓ = ``world.trust_loss_weight``.
        """
        self.flush()  # experiences recorded earlier come first
        self._evaluate_one(r, level, good, scale)

    def _evaluate_one(self, r: int, level: int, good: bool, scale: float) -> None:
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
        mult = self._multipliers(len(idx), good, scale)
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

    def evaluate_many(self, rs: np.ndarray, levels: np.ndarray, good: bool, scale: float) -> None:
        """Experiences of residents ``rs[i]`` with ``levels[i]``, in that order, all good or all bad, of one scale.

        Bit for bit what calling :meth:`evaluate` once per pair gives (a month's routine contacts, a few
        hundred thousand in a Beijing-sized city, :meth:`sim.programmes.Programmes.routine_contacts`).
        """
        self.flush()  # experiences recorded earlier come first
        n = len(rs)
        self._apply(rs, levels, [good] * n, [scale] * n)

    def _apply(self, rs, levels, goods, scales) -> None:
        """Experiences ``(rs[i], levels[i], goods[i], scales[i])`` in that order, as one :meth:`evaluate` after another.

        In a few vectorised passes: a person reached by several experiences of one level is updated
        once per pass, in the order of the experiences; each experience's change of the level's sum is
        added up as :meth:`evaluate` adds it (numpy's pairwise order over at most 8 people, then one
        experience after another). Each experience's weights are computed in float32 from a Python
        scale, as :meth:`evaluate` computes them; with any other scale (a numpy float computes in
        float64), and for fewer than :data:`SMALL_BATCH`, the experiences are applied one at a time.
        """
        m = self.model
        td = getattr(m, "trust_dynamics", None)
        width = 1 + (td.contacts.shape[1] if td is not None else 0)
        if td is None or width > 16 or len(rs) < SMALL_BATCH or not all(type(x) is float for x in scales):
            for r, level, good, scale in zip(rs, levels, goods, scales, strict=True):  # the general case
                self._evaluate_one(int(r), int(level), good, scale)
            return
        rs, levels = np.asarray(rs, dtype=np.int64), np.asarray(levels, dtype=np.int64)
        goods, scales = np.asarray(goods, dtype=bool), np.asarray(scales, dtype=np.float64)
        keep = levels >= Level.COMMUNITY
        rs, levels, goods, scales = rs[keep], levels[keep], goods[keep], scales[keep]
        if len(rs) == 0:
            return
        a = m.spec.approval
        n = self.rows.shape[1]
        # who each experience reaches: the resident, then their distinct contacts in ascending order
        big = np.iinfo(np.int64).max
        c = td.contacts[rs].astype(np.int64)
        c[(c < 0) | (c == rs[:, None])] = big
        c.sort(axis=1)
        c[:, 1:][c[:, 1:] == c[:, :-1]] = big
        c.sort(axis=1)
        idx = np.concatenate([rs[:, None], c], axis=1)
        valid = idx != big
        reached = valid.sum(axis=1)
        # each experience's weight per position, min(1, w·factor) in float32 as _multipliers makes it
        factor = np.where(goods, scales, m.spec.world.trust_loss_weight * scales).astype(np.float32)
        mult = np.minimum(factor[:, None] * self._weights(width)[None, :], np.float32(1.0))
        # one entry per person reached, in the order evaluate would update them
        key = ((levels - 1)[:, None] * n + idx)[valid]
        mu_all = mult[valid]
        good_all = np.broadcast_to(goods[:, None], idx.shape)[valid]
        order = np.argsort(key, kind="stable")
        sk = key[order]
        first = np.r_[True, sk[1:] != sk[:-1]]
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = np.arange(len(key)) - np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
        flat = self.rows.reshape(-1)
        old = np.empty(len(key), dtype=np.float32)
        new = np.empty(len(key), dtype=np.float32)
        for k in range(int(rank.max()) + 1):  # the k-th experience of each person reached
            sel = np.nonzero(rank == k)[0]
            o = flat[key[sel]]
            mu = mu_all[sel]
            nw = np.where(good_all[sel], o + mu * (1.0 - o), o - mu * o)
            flat[key[sel]] = nw
            old[sel], new[sel] = o, nw
        olds, news = np.zeros(idx.shape), np.zeros(idx.shape)
        olds[valid], news[valid] = old, new
        delta = _reduce_as_numpy(news, reached) - _reduce_as_numpy(olds, reached)
        np.add.at(m.approval_sum, levels, delta)  # unbuffered and in order: one experience after another
        exposure = scales * (1.0 + a.heard_share * (reached - 1))
        np.add.at(self.exposure_good, levels[goods], exposure[goods])
        np.add.at(self.exposure_bad, levels[~goods], exposure[~goods])

    def update(self, days: float) -> None:
        """Relax every approval toward the current prior over ``days``: a ← prior + (a − prior)·e^(−Δt/memory).

        A block of residents at a time (:data:`sim.trust.BLOCK`), so the prior's working arrays stay in
        the processor's cache; element by element the arithmetic is that of one whole-array pass.
        """
        self.flush()
        a = self.model.spec.approval
        n = self.rows.shape[1]
        if self._work is None:  # kept between updates (see prior)
            self._work = (np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK, dtype=np.float32))
        trust = self.model.residents.trust
        keep = np.float32(math.exp(-days / 365.0 / a.memory_years))
        for lo in range(0, n, BLOCK):
            hi = min(n, lo + BLOCK)
            p = prior(a.offset, trust[lo:hi], tuple(w[:hi - lo] for w in self._work))
            for j in range(len(LEVELS)):
                row = self.rows[j, lo:hi]
                row -= p
                row *= keep
                row += p
        self._resum()


def _reduce_as_numpy(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Each row's sum of its first ``n`` values (zeros after them), added as ``np.add.reduce`` adds ``n`` < 16 values.

    numpy adds fewer than 8 values one after another and 8 to 15 as ((x0 + x1) + (x2 + x3)) +
    ((x4 + x5) + (x6 + x7)), then the rest one after another; the trailing zeros add nothing.
    """
    seq = x[:, 0].copy()
    for j in range(1, x.shape[1]):
        seq += x[:, j]
    if x.shape[1] < 8:
        return seq
    pw = ((x[:, 0] + x[:, 1]) + (x[:, 2] + x[:, 3])) + ((x[:, 4] + x[:, 5]) + (x[:, 6] + x[:, 7]))
    for j in range(8, x.shape[1]):
        pw += x[:, j]
    return np.where(n >= 8, pw, seq)


def daily(model: GovernanceModel) -> None:
    """Called once a day by the model: relax approval every ``approval.update_days`` days."""
    every = model.spec.approval.update_days
    day = int(round(model.time))
    if day > 0 and day % every == 0:
        model.approval.update(every)
