"""The ``[approval]`` and ``[participation]`` tables (ODD §7.24, §7.18).

Approval by level that emerges from exposure
(ODD §7.24, :mod:`govsim.sim.approval`) and participation with feedback (ODD §7.18,
:mod:`govsim.sim.participation`).

Approval: residents judge a level of government by a common prior (policy and media, the same for
every level) blended with what they and their contacts experienced with that level; near levels are
known through daily frictions, remote ones mostly through the prior ("hierarchical trust", Li
Lianjiang 2004; blame attributed to local implementers). The prior's offset and the experience
weight are fitted to T10 (docs/calibration.md, ``tools/fit_approval.py``); the baseline exposure
rates are measured on the calibrated baseline, like ``trust.baseline_good_rate``.

Participation: organised activities, party members' example, successful collective action and good
experiences reinforce it; it decays without them (public-goods experiments: contributions start at
40–60 % and decline without reinforcement, Ledyard 1995; Fehr & Gächter 2000).
"""

from __future__ import annotations

from govsim.sim.spec_sections import F, _Frozen
from pydantic import field_validator


class ApprovalSpec(_Frozen):
    """Approval of each level of government: a common prior blended with exposure-weighted experience."""

    offset: float = F(0.814, unit="logit", ge=-5.0, le=5.0,
                      desc="The common prior (policy and media, the same for every level) as log-odds added to a "
                      "resident's trust: prior_i = σ(logit τ_i + offset).",
                      source="T10 (Ash Center 2016); fitted with experience_weight, tools/fit_approval.py, docs/calibration.md")
    experience_weight: float = F(0.342, unit="share per experience", ge=0.0, le=1.0,
                                 desc="Share of the gap to 1 (good) or, × world.trust_loss_weight × scale, to 0 (bad) "
                                 "that one own experience with a level closes in the resident's approval of it "
                                 "(0: experiences ignored, the ablation in which the gradient vanishes).",
                                 source="T10; fitted with offset, tools/fit_approval.py, docs/calibration.md")
    heard_share: float = F(0.3, unit="share", ge=0.0, le=1.0,
                           desc="Weight of a contact's experience heard of, relative to one's own (as "
                           "trust.network_weight / trust.own_weight).")
    memory_years: float = F(2.0, unit="years", ge=0.05, le=20.0,
                            desc="Time scale on which approval relaxes back to the prior without experiences "
                            "(assumption: a settled opinion of an institution, the top of trust.memory_years' "
                            "0.5–2; uncertain 1–3). Only experience_weight × memory_years is identified by T10.")
    routine_shares: list[float] = F([0.45, 0.35, 0.2], unit="shares",
                                    desc="Where residents' routine contacts (certificates, subsidies, permits, social "
                                    "security) happen: community service station, street service centre, district "
                                    "service hall (assumption; each share uncertain ±0.15). A corrupt one is a bad "
                                    "experience with that level.")
    warm_start: bool = F(True, unit="switch",
                         desc="Start every resident at the approval the baseline exposure rates sustain (stationary "
                         "baseline); off: start at the prior, so any gradient must emerge during the run.")
    baseline_good: list[float] = F([0.2248, 0.0342, 0.0004, 0.0], unit="per resident-year",
                                   desc="Good experiences (own + heard, in own-experience units) with the community, "
                                   "street, district and city per resident-year in the calibrated baseline; measured "
                                   "by tools/fit_approval.py.")
    baseline_bad: list[float] = F([0.081, 0.055, 0.0318, 0.0041], unit="per resident-year",
                                  desc="Bad experiences (own + heard, weighted by scale), as baseline_good.")
    update_days: int = F(7, unit="days", ge=1, le=90, desc="Days between relaxation updates.")

    @field_validator("baseline_good", "baseline_bad")
    @classmethod
    def _four_levels(cls, v: list[float]) -> list[float]:
        if len(v) != 4 or any(not (0.0 <= x <= 100.0) for x in v):
            raise ValueError("needs 4 values (community, street, district, city), each within 0–100")
        return v

    @field_validator("routine_shares")
    @classmethod
    def _three_shares(cls, v: list[float]) -> list[float]:
        if len(v) != 3 or any(x < 0 for x in v) or abs(sum(v) - 1.0) > 1e-6:
            raise ValueError("needs 3 shares (community, street, district) that sum to 1")
        return v


class ParticipationSpec(_Frozen):
    """Participation's feedback: activities taken up by the willing, party members' example, collective action."""

    feedback: bool = F(True, unit="switch",
                       desc="Whether participation feeds back on itself (activities attended by the willing, "
                       "party members' example, successful collective action); off: the closed form of ODD §7.18 "
                       "with activities reinforcing everyone they reach.")
    example_per_month: float = F(0.1, unit="per contact per month", ge=0.0, le=1.0,
                                 desc="Chance a month that each household and building contact of a registered "
                                 "party member is drawn in by their example (assumption, 0.05–0.3; T13: 2–3 "
                                 "organised activities a month).")
    collective_types: list[str] = F(["neighbour", "property", "environment", "land"], unit="issue types",
                                    desc="Issue types that involve several households: their satisfying settlement "
                                    "is a successful collective action for the resident's building contacts.")
    collective_share: float = F(0.5, unit="share", ge=0.0, le=1.0,
                                desc="Reinforcement of each building contact of a successful collective action, as a "
                                "share of world.participation_reinforcement (assumption, 0.25–1).")
    update_days: int = F(7, unit="days", ge=1, le=90, desc="Days between batched reinforcements.")

    @field_validator("collective_types")
    @classmethod
    def _known_types(cls, v: list[str]) -> list[str]:
        known = ("neighbour", "family", "property", "labour", "environment", "land", "public_service")
        bad = [t for t in v if t not in known]
        if bad:
            raise ValueError(f"unknown issue types {bad}; known: {', '.join(known)}")
        return v
