"""The ``[trust]`` table and the ``[[timeline]]`` entries (:mod:`govsim.sim.timeline`) — trust as a living state and the Tacitus trap (ODD §7.14a, :mod:`govsim.sim.trust`).

Time scales: trust in institutions after a scandal recovers over one to a few years where it
recovers at all (panel studies of political trust after scandals; Bowler & Karp 2004, Hetherington
1998); the relaxation time's default 1 year is an uncertainty over 0.5–3 years. Negativity bias:
bad experiences with public agencies move trust roughly 2–5 times as much as good ones (Kampen, Van
de Walle & Bouckaert 2006; Van Ryzin 2013); below the Tacitus threshold the bad-news amplification
(default 2) and ``world.tacitus_discount`` apply on top of it.
"""

from __future__ import annotations

from govsim.sim.spec_sections import F, _Frozen
from pydantic import Field, field_validator


class TrustSpec(_Frozen):
    """Trust dynamics: memory, relaxation, the social network and the Tacitus interpretation."""

    living: bool = F(True, unit="switch", desc="Whether trust relaxes toward experience (off: the old frozen trust).")
    relaxation_years: float = F(1.0, unit="years", ge=0.05, le=20.0,
                                desc="Time scale on which trust moves toward its target (uncertain, 0.5–3).")
    memory_years: float = F(1.0, unit="years", ge=0.05, le=20.0,
                            desc="Time scale on which experiences and the public climate fade (uncertain, 0.5–2).")
    sensitivity: float = F(1.0, unit="logit per logit", ge=0.0, le=10.0,
                           desc="β: how far the target's logit moves per unit of the log good/bad ratio.")
    bad_news_amplification: float = F(2.0, unit="multiplier", ge=1.0, le=20.0,
                                      desc="Weight of bad news for a resident below the Tacitus threshold.")
    own_weight: float = F(0.05, unit="per experience", ge=0.0, le=10.0,
                          desc="One own experience in rate units (per resident-year) added to the public climate.")
    network_weight: float = F(0.015, unit="per experience", ge=0.0, le=10.0,
                              desc="A contact's experience heard of, in the same units.")
    neighbour_ties: int = F(3, unit="residents", ge=0, le=50, desc="Ties to residents of the same building.")
    workplace_ties: int = F(2, unit="residents", ge=0, le=50, desc="Ties to residents of the same district.")
    baseline_good_rate: float = F(0.089, unit="per resident-year", ge=1e-6, le=100.0,
                                  desc="Good experiences per resident-year in the calibrated baseline (g₀), measured on it by tools/trust_reference.py: 20,000 residents, 12 seeds, days 180–545 (after the queues' warm-up), trust held still.")
    baseline_bad_rate: float = F(0.223, unit="per resident-year", ge=1e-6, le=100.0,
                                 desc="Bad experiences (weighted) per resident-year in the calibrated baseline (b₀), measured as g₀.")
    reference_trust: float = F(0.62, unit="0–1", ge=0.01, le=0.99,
                               desc="Mean trust the calibrated baseline climate sustains (a city starting elsewhere moves toward it or into the trap).")
    update_days: int = F(7, unit="days", ge=1, le=90, desc="Days between trust updates.")


MUTABLE_KEYS: tuple[str, ...] = (
    "policy.grassroots_corruption",
    "policy.rule_of_law",
    "policy.data_sharing",
    "policy.early_warning",
    "policy.hotline_response",
    "policy.conflict_centre",
    "policy.moral_governance",
    "policy.self_governance",
    "effects.corruption_trust_hit",
    "effects.routine_contacts_per_year",
    "behaviour.skip_probability",
    "behaviour.distrust_report_penalty",
    "world.trust_loss_weight",
    "world.tacitus_discount",
    "trust.bad_news_amplification",
    "event.scandal",
    "event.success",
)
"""Keys a timeline may change mid-run: read by the model while it runs, not fixed at construction."""

PHASE_STEP_DAYS = 30


class TimelineEntry(_Frozen):
    """One change on the timeline."""

    day: int = F(365, unit="day", ge=0, le=36500, desc="Day the change starts.")
    key: str = Field(..., description="Dotted key to change (one of the mutable keys) or event.scandal/event.success.")
    value: float = Field(..., description="New value (for an event: its size in experiences per resident-year).")
    phase_in_days: int = F(0, unit="days", ge=0, le=36500, desc="Days over which the value is phased in linearly.")

    @field_validator("key")
    @classmethod
    def _known_key(cls, v: str) -> str:
        if v not in MUTABLE_KEYS:
            raise ValueError(f"'{v}' cannot change mid-run; allowed: {', '.join(MUTABLE_KEYS)}")
        return v
