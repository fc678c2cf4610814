"""Trust as a living state with a Tacitus trap (ODD §7.14a; DESIGN §10).

Every resident's trust relaxes toward what they currently experience. An experience with a level
of government (a clean, timely settlement is good; a failure, a bounce, a wait too long, a corrupt
contact is bad, weighted by its ``scale``) is remembered by the resident, heard of by their contacts
on a social network (household, neighbours in the building, workplace ties) and, summed over the
city, is the public climate that the media and everyday talk carry. Memories fade with
``trust.memory_years``; trust moves toward its target with ``trust.relaxation_years``.

The target, in logit space, is

    target_i = disposition_i + β · (log(d_i·G_i) − log(m_i·B_i) − log(g₀/b₀))

with ``G_i = G_pub + g_i`` and ``B_i = B_pub + b_i`` (public rates per resident-year plus the
resident's own and heard experiences), ``(g₀, b₀)`` the calibrated baseline's public rates, and
``d_i, m_i`` the Tacitus interpretation: below ``world.tacitus_threshold`` good news keeps only
``world.tacitus_discount`` of its weight and bad news is multiplied by ``trust.bad_news_amplification``.
A resident's disposition is set at the start so that, in the baseline climate, their initial trust
is their steady state: the baseline is stationary by construction and drifts only with a cause.

Because the interpretation changes at the threshold, a resident pushed below it sees a worse world
than before and may stay there (individual bistability); and because distrustful residents report
less and skip the local channels (``behaviour.distrust_report_penalty``, ``skip_probability``), the
city's good experiences thin out as trust falls (collective feedback). Both make the trap a trap.

The daily cost is a few vectorised operations over the residents every ``trust.update_days`` days;
each experience touches only the resident and their fixed number of contacts (a dense ``(n, k)``
contact table, the CSR form of a fixed-degree network).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel

BLOCK = 1 << 15
"""Residents per block of the weekly vectorised passes (:meth:`TrustDynamics.update`,
:meth:`sim.approval.Approval.update`): the working arrays of one block stay in the processor's cache."""


def _logit(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.005, 0.995)
    return np.log(x / (1.0 - x))


def build_contacts(model: GovernanceModel, household_size: float, neighbours: int, workplace: int) -> np.ndarray:
    """The social network as a dense ``(n, k)`` int32 table of contacts (−1 = none).

    Household: the residents next to ``i`` in the same household block of its building (residents of
    a building are consecutive; households are consecutive blocks of ``household_size``). Neighbours:
    ``neighbours`` residents drawn in the same building. Workplace: ``workplace`` residents drawn in
    the same district (colleagues live across the district). Vectorised, no per-resident loop; the
    table and its working arrays are int32 (a city has fewer than 2³¹ residents), filled column by
    column, so that a 21.9-million-resident city's network costs 0.6 GB, not 2.5 (docs/performance.md).
    """
    rng = model.rng
    res = model.residents
    n = res.n
    k = 2 + neighbours + (workplace if workplace > 0 else 0)
    out = np.full((n, k), -1, dtype=np.int32)
    i32 = np.int32
    idx = np.arange(n, dtype=i32)
    b = res.building
    lo = model.building_start[b].astype(i32)
    size = (model.building_end[b] - model.building_start[b]).astype(i32)
    hi = lo + size
    hs = max(1, int(round(household_size)))
    h_lo = idx - lo
    h_lo //= hs
    h_lo *= hs
    h_lo += lo
    h_hi = np.minimum(h_lo + hs, hi)
    del hi
    col = 0
    for off in (-1, 1):  # household ties: previous and next member of the same household block
        j = idx + i32(off)
        out[:, col] = np.where((j >= h_lo) & (j < h_hi), j, -1)
        col += 1
    del h_lo, h_hi
    for _ in range(neighbours):
        j = lo + (rng.random(n) * size).astype(i32)
        out[:, col] = np.where(j != idx, j, -1)
        col += 1
    del lo, size
    if workplace > 0:
        comm = model.grid_community[model.building_grid[b]]
        dist = model.street_district[model.community_street[comm]].astype(i32)
        del comm
        order = np.argsort(dist, kind="stable").astype(i32)
        counts = np.bincount(dist, minlength=model.n_districts)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(i32)
        d_start, d_count = starts[dist], counts[dist].astype(i32)
        del dist
        for _ in range(workplace):
            j = order[d_start + (rng.random(n) * d_count).astype(i32)]
            out[:, col] = np.where(j != idx, j, -1)
            col += 1
    return out


class TrustDynamics:
    """Residents' experience memories, the public climate and trust's relaxation toward its target.

    Args:
        model: The model (its residents' table must exist).

    Attributes:
        good, bad: Each resident's remembered own and heard experiences (weighted counts), as of the
            last update or :meth:`flush` (experiences in between wait in a short list).
        public_good, public_bad: The public climate: good and bad experiences per resident-year.
        disposition: Each resident's logit trust in the baseline climate, above the trap.
        contacts: The social network (:func:`build_contacts`).
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        t = model.spec.trust
        w = model.spec.world
        res = model.residents
        n = res.n
        self.enabled = t.living
        self.good = np.zeros(n)
        self.bad = np.zeros(n)
        self.public_good = t.baseline_good_rate
        self.public_bad = t.baseline_bad_rate
        self.period_good = 0.0
        self.period_bad = 0.0
        self.extra_bad = 0.0  # public events (a scandal) not tied to a resident, per resident-year
        self.extra_good = 0.0
        self.threshold = w.tacitus_threshold
        self.trap_shift = t.sensitivity * math.log(t.bad_news_amplification / max(w.tacitus_discount, 1e-3))
        # personal offsets around the level the baseline climate sustains; a resident whose baseline
        # steady state lies below the threshold is at the trapped one, so the baseline is stationary
        lt = _logit(res.trust)
        lt0 = float(_logit(np.array([w.initial_trust_mean]))[0])
        base = math.log(t.reference_trust / (1.0 - t.reference_trust)) + (lt - lt0)
        self.disposition = base + self.trap_shift * (base < _logit(np.array([self.threshold]))[0])
        self.reference = math.log(t.baseline_good_rate / t.baseline_bad_rate)
        self.contacts = build_contacts(model, w.persons_per_household, t.neighbour_ties, t.workplace_ties)
        # experiences since the last update, per polarity: (residents, weights); written by flush()
        self._pending: dict[bool, tuple[list[int], list[float]]] = {True: ([], []), False: ([], [])}
        self._work: tuple[np.ndarray, ...] | None = None  # the update's working arrays (one block), kept

    # -------------------------------------------------------------- experiences

    def experience(self, r: int, good: bool, scale: float = 1.0) -> None:
        """Resident ``r`` had a good or bad experience (weight ``scale``); contacts hear of it.

        The experience is queued and written at the next :meth:`flush` (every update): memories are
        read only by the update, and one vectorised write per week is far cheaper than a numpy call
        per experience (≈9 µs each, a tenth of an issue's cost at 1M residents before).
        """
        rs, ws = self._pending[good]
        rs.append(r)
        ws.append(scale)
        if good:
            self.period_good += scale
        else:
            self.period_bad += scale

    def flush(self) -> None:
        """Write the queued experiences into ``good`` / ``bad`` (own and contacts' weights).

        The resident gets ``own_weight × scale``, each distinct contact ``network_weight × scale``.

        Additions to one resident happen in the order the experiences happened (``np.add.at`` is
        unbuffered and in order), so the memories are bit-identical to writing each experience at once.
        """
        t = self.model.spec.trust
        for good, (rs, ws) in self._pending.items():
            if not rs:
                continue
            r = np.asarray(rs, dtype=np.int64)
            scale = np.asarray(ws, dtype=np.float64)
            rows = np.sort(self.contacts[r], axis=1)
            rows[:, 1:][rows[:, 1:] == rows[:, :-1]] = -1  # a contact drawn twice hears once
            idx = np.concatenate([r[:, None], rows], axis=1).ravel()
            w = np.concatenate([(t.own_weight * scale)[:, None],
                                np.repeat((t.network_weight * scale)[:, None], rows.shape[1], axis=1)], axis=1).ravel()
            keep = idx >= 0
            np.add.at(self.good if good else self.bad, idx[keep], w[keep])
            rs.clear()
            ws.clear()

    def public_event(self, good: bool, size: float) -> None:
        """A public event (a scandal, a visible success): ``size`` experiences per resident-year, fading."""
        if good:
            self.extra_good += size
        else:
            self.extra_bad += size

    # -------------------------------------------------------------- the update

    def update(self, days: float) -> None:
        """Fade memories, update the public climate and move trust toward its target over ``days``."""
        m = self.model
        t = m.spec.trust
        w = m.spec.world
        res = m.residents
        self.flush()
        years = days / 365.0
        fade = math.exp(-years / t.memory_years)
        self.good *= fade
        self.bad *= fade
        n = res.n
        self.public_good = self.public_good * fade + (1 - fade) * (self.period_good / (n * years) + self.extra_good)
        self.public_bad = self.public_bad * fade + (1 - fade) * (self.period_bad / (n * years) + self.extra_bad)
        self.extra_good *= fade
        self.extra_bad *= fade
        self.period_good = self.period_bad = 0.0
        # the target, in place over two working arrays, a cache-sized block at a time (the same
        # arithmetic as the formula above, term by term and element by element, so results are
        # bit-identical to the plain expression; at 21.9 million residents whole-array passes would
        # stream fifteen 175 MB arrays through memory every week)
        tau = res.trust
        if self._work is None:  # kept between updates: fresh arrays cost page faults each time
            self._work = (np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK, dtype=bool))
        wg, wb, wlow = self._work
        k = 1.0 - math.exp(-years / t.relaxation_years)
        for lo in range(0, n, BLOCK):
            hi = min(n, lo + BLOCK)
            g, b, low, tb = wg[:hi - lo], wb[:hi - lo], wlow[:hi - lo], tau[lo:hi]
            np.less(tb, self.threshold, out=low)
            np.add(self.good[lo:hi], self.public_good, out=g)
            np.multiply(g, w.tacitus_discount, out=g, where=low)
            g += 1e-9
            np.add(self.bad[lo:hi], self.public_bad, out=b)
            np.multiply(b, t.bad_news_amplification, out=b, where=low)
            b += 1e-9
            np.log(g, out=g)
            np.log(b, out=b)
            g -= b
            g -= self.reference
            g *= t.sensitivity
            g += self.disposition[lo:hi]
            np.negative(g, out=g)
            np.exp(g, out=g)
            g += 1.0
            np.divide(1.0, g, out=g)  # g is now the target trust
            g -= tb
            g *= k
            tb += g
            np.clip(tb, 0.0, 1.0, out=tb)
        res.trust_sum = float(tau.sum())
        res.low_count = int((tau < res.threshold).sum())


def daily(model: GovernanceModel) -> None:
    """Called once a day by the model: update trust every ``trust.update_days`` days."""
    td = getattr(model, "trust_dynamics", None)
    if td is None or not td.enabled:
        return
    every = model.spec.trust.update_days
    day = int(round(model.time))
    if day > 0 and day % every == 0:
        td.update(every)
