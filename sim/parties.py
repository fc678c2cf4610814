"""Parties and groups (ODD §7.25): who is party to a dispute, whose trust counts, who escalates.

A neighbour or family dispute has two parties in one building (``parties.two_party_types``): a
settlement needs both, so the less trusting party's trust enters the settlement logit
(:func:`settle_trust`); both have the experience of how it ended (:func:`experience`); and after a
failure each decides on their own whether to go on (:func:`gives_up`) — one may escalate while the
other lets it rest, and the one who goes on carries the case from then on.

A collective dispute (``parties.collective_types``: property fees, wage arrears, demolition) has a
group: an organiser (the issue's resident), members drawn from the community, one shared grievance
(one severity for all) and a group size (:func:`make_collective`). Organisers hold a group together,
so it gives up less often (``parties.group_give_up_factor``), and when it escalates it may go as a
group petition (集体上访) to the petition office (``parties.group_petition_propensity``,
:func:`sim.ladder.resident_reacts`). Shocks seed collective disputes (``[[shocks]].collective_share``,
:func:`collective_tables`).

Grounding: the seed report asks that residents' claims be expressed through lawful channels
("多元协商、信访、听证、司法等机制") and that conflicts end inside the city ("终结在市域、避免不外溢"); the
effect sizes are assumptions with ranges, stated on their fields (``sim/spec_disputes.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from govsim.sim.residents import evaluate, gain_trust, lose_trust
from govsim.sim.scenario import ISSUE_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.issues import Issue
    from govsim.sim.model import GovernanceModel


def build(model: GovernanceModel) -> None:
    """Per-type flags (two-party, collective) and the collective shares per community and type."""
    P = model.spec.parties
    model.type_two_party = np.array([t in P.two_party_types for t in ISSUE_TYPES])
    model.type_collective = np.array([t in P.collective_types for t in ISSUE_TYPES])
    collective_tables(model)


def collective_tables(model: GovernanceModel, areas: list[np.ndarray] | None = None) -> None:
    """Chance that a new dispute is collective and its groups' mean size, per community and type.

    Without a shock the collective types have ``parties.collective_share``; a shock under way raises
    the share of its types in its area to its own ``collective_share`` (overlapping shocks: the larger).
    ``areas`` are the active shocks' areas (:func:`sim.arrivals.shock_area`), in ``model.active_shocks`` order.
    """
    P = model.spec.parties
    n_c, n_t = model.n_communities, len(ISSUE_TYPES)
    model.collective_p = np.where(model.type_collective[None, :], P.collective_share, 0.0) * np.ones((n_c, 1))
    model.group_mean = np.full((n_c, n_t), P.group_size_mean)
    for shock, area in zip(model.active_shocks, areas or [], strict=False):
        sh = model.spec.shocks[shock.index]
        if sh.collective_share <= 0:
            continue
        for t in [ISSUE_TYPES.index(t) for t in sh.types if model.type_collective[ISSUE_TYPES.index(t)]]:
            model.collective_p[area, t] = np.maximum(model.collective_p[area, t], sh.collective_share)
            if sh.group_size_mean > 0:
                model.group_mean[area, t] = sh.group_size_mean


def assign(model: GovernanceModel, issues: list[Issue]) -> None:
    """Give new issues their second party (two-party types) or their group (collective disputes)."""
    if not issues:
        return
    u = model.rng.random((2, len(issues)))
    res = model.residents
    for j, issue in enumerate(issues):
        k = issue.kind
        if model.type_two_party[k]:
            b = int(res.building[issue.resident])
            lo, hi = int(model.building_start[b]), int(model.building_end[b])
            if hi - lo > 1:
                o = lo + int(u[0, j] * (hi - lo - 1))
                issue.other = o + 1 if o >= issue.resident else o
        elif u[1, j] < model.collective_p[issue.community, k]:
            make_collective(model, issue)


def make_collective(model: GovernanceModel, issue: Issue, size_mean: float | None = None) -> None:
    """Make ``issue`` collective: group size 5 + Poisson(mean − 5), members drawn from its community."""
    rng = model.rng
    mean = float(model.group_mean[issue.community, issue.kind]) if size_mean is None else size_mean
    size = 5 + int(rng.poisson(max(0.0, mean - 5.0)))
    lo, n = int(model.community_start[issue.community]), int(model.community_size[issue.community])
    issue.group = size
    issue.members = lo + rng.integers(0, n, size - 1)
    c = model.counts
    c.collective += 1
    c.residents_involved += size


def settle_trust(model: GovernanceModel, issue: Issue) -> float:
    """The trust that bears on settling: the lower of two parties', a group's mean, else the resident's."""
    t = model.residents.trust
    if issue.other >= 0:
        return float(min(t[issue.resident], t[issue.other]))
    if issue.members is not None:
        return float((t[issue.members].sum() + t[issue.resident]) / issue.group)
    return float(t[issue.resident])


def experience(model: GovernanceModel, issue: Issue, good: bool, scale: float = 1.0, level: int | None = None) -> None:
    """Every party has the experience of how the case went (trust, and approval of ``level`` if given).

    The resident and a second party each have it in full; a group's members with the weight
    ``parties.member_experience_weight`` (the organiser in full).
    """
    parties = [(issue.resident, 1.0)]
    if issue.other >= 0:
        parties.append((issue.other, 1.0))
    if issue.members is not None:
        w = model.spec.parties.member_experience_weight
        parties.extend((int(r), w) for r in issue.members)
    for r, w in parties:
        if w <= 0:
            continue
        if good:
            gain_trust(model, r, scale * w)
        else:
            lose_trust(model, r, scale * w)
        if level is not None:
            evaluate(model, r, level, good, scale * w)


def gives_up(model: GovernanceModel, issue: Issue, severity: float) -> bool:
    """Whether the case is given up after a failure or a long wait (every party lets it rest).

    Each of two parties gives up with ``behaviour.give_up_base × (1 − severity)``; if only one does,
    the other carries the case on (becomes the issue's resident). A group gives up with that chance
    times ``parties.group_give_up_factor`` (its organisers hold it together).
    """
    p = model.spec.behaviour.give_up_base * (1.0 - severity)
    rng = model.rng
    if issue.group > 1:
        return bool(rng.random() < p * model.spec.parties.group_give_up_factor)
    if issue.other >= 0:
        first, second = rng.random(2) < p
        if first and not second:
            issue.resident, issue.other = issue.other, issue.resident
            model.counts.other_party_escalated += 1
        return bool(first and second)
    return bool(rng.random() < p)


def deciding_trust(model: GovernanceModel, issue: Issue) -> float:
    """Trust of whoever decides how to escalate: the carrying party, or a group's mean."""
    if issue.members is not None:
        return settle_trust(model, issue)
    return float(model.residents.trust[issue.resident])
