"""The ``[trust]`` table: trust as a living state and the Tacitus trap (ODD §7.14a, :mod:`govsim.sim.trust`).

Time scales: trust in institutions after a scandal recovers over one to a few years where it
recovers at all (panel studies of political trust after scandals; Bowler & Karp 2004, Hetherington
1998); the relaxation time's default 1 year is an uncertainty over 0.5–3 years. Negativity bias:
bad experiences with public agencies move trust roughly 2–5 times as much as good ones (Kampen, Van
de Walle & Bouckaert 2006; Van Ryzin 2013); below the Tacitus threshold the bad-news amplification
(default 2) and ``world.tacitus_discount`` apply on top of it.
"""

from __future__ import annotations

from govsim.sim.spec_sections import F, _Frozen


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
    baseline_good_rate: float = F(0.116, unit="per resident-year", ge=1e-6, le=100.0,
                                  desc="Good experiences per resident-year in the calibrated baseline (g₀).")
    baseline_bad_rate: float = F(0.212, unit="per resident-year", ge=1e-6, le=100.0,
                                 desc="Bad experiences (weighted) per resident-year in the calibrated baseline (b₀).")
    reference_trust: float = F(0.62, unit="0–1", ge=0.01, le=0.99,
                               desc="Mean trust the calibrated baseline climate sustains (a city starting elsewhere moves toward it or into the trap).")
    update_days: int = F(7, unit="days", ge=1, le=90, desc="Days between trust updates.")
