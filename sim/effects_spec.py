"""The ``[effects]`` table: effect sizes of the levers' mechanisms, each with a source or a range.

No study measures most of these numbers for a Chinese city; each field therefore says where its
value comes from (``source=``: the seed report, a target of ``CALIBRATION_TARGETS.md``, a paper)
and, where the value is an assumption, a plausible ``range=`` that ``experiments/uncertainties.toml``
(written by ``tools/write_uncertainties.py``) hands to the sensitivity analysis. A test
(``tests/test_signals.py``) fails when a field here has neither. The early-warning score's weights
(:mod:`govsim.sim.warning`) and the evaluation effects (:mod:`govsim.sim.evaluation`) live here too.
"""

from __future__ import annotations

from govsim.sim.spec_sections import F, _Frozen

SEED = "seed report (../shared/reference/seed-governance-report.zh.txt)"


class EffectsSpec(_Frozen):
    """Effect sizes of the levers' mechanisms: uncertain, so each is a field that sweeps can vary."""

    building_head_detection_per_day: float = F(
        0.08, unit="per day", ge=0.0, le=1.0, range=(0.02, 0.2),
        desc="Daily chance a building head notices a latent issue in their building (assumption).")
    party_member_households_per_hour: float = F(
        1.5, unit="households per volunteer hour", ge=0.0, le=50.0, range=(0.5, 4.0),
        source="T13 (members per community, activities a month) bounds the hours, not the reach",
        desc="Households a registered party member keeps an eye on per volunteer hour a month.")
    party_member_mediation_per_hour: float = F(
        0.02, unit="availability per member-hour per 100 households", ge=0.0, le=1.0, range=(0.005, 0.06),
        desc="Level-0 mediation availability added per registered member-hour a month, per 100 households of "
        "the grid: availability = 1 − exp(−hours × this × 100 / households).")
    party_member_example: float = F(
        0.5, unit="share", ge=0.0, le=1.0, range=(0.2, 1.0),
        desc="Scale of the participation boost a party member's visit gives the resident (of participation_reinforcement).")
    council_availability: float = F(
        0.6, unit="probability", ge=0.0, le=1.0, range=(0.3, 0.9),
        desc="Chance a residents' council can take up a self-level issue at full self-governance.")
    activity_reach_per_month: float = F(
        0.1, unit="share of residents", ge=0.0, le=1.0, range=(0.03, 0.25), source="T13: 2–3 organised activities a month",
        desc="Residents reached each month by organised activities at full self-governance or alliance.")
    alliance_capacity_gain: float = F(0.4, unit="share", ge=0.0, le=3.0, range=(0.1, 0.8),
                                      desc="Extra community capacity at full party-building alliance.")
    alliance_supply_gain: float = F(0.3, unit="share", ge=0.0, le=3.0, range=(0.1, 0.6),
                                    desc="Extra public-service supply at full party-building alliance.")
    red_property_settle_bonus: float = F(1.0, unit="logit", ge=0.0, le=10.0, range=(0.3, 2.0),
                                         desc="Settlement bonus for property issues in a joint meeting.")
    professionalisation_skill_gain: float = F(0.3, unit="skill", ge=0.0, le=1.0, range=(0.1, 0.5), source=SEED,
                                              desc="Mediator skill added at full professionalisation (career "
                                              "posts, open recruitment, pay tied to evaluation).")
    turnover_capacity_loss: float = F(0.2, unit="share", ge=0.0, le=1.0, range=(0.05, 0.4),
                                      desc="Community capacity lost to turnover with no professionalisation.")
    data_sharing_referral_cut: float = F(0.5, unit="share", ge=0.0, le=1.0, range=(0.2, 0.8),
                                         source="T12: departments answer a street's call within days",
                                         desc="Share of referral delay removed at full data sharing.")
    corruption_settle_penalty: float = F(1.5, unit="logit", ge=0.0, le=10.0, range=(0.5, 3.0),
                                         desc="Settlement log-odds lost in a corrupt contact.")
    corruption_trust_hit: float = F(0.5, unit="share of a loss", ge=0.0, le=3.0, range=(0.2, 1.5),
                                    desc="Trust lost in a corrupt contact, as a share of a failure's loss.")
    corruption_capacity_diversion: float = F(0.5, unit="share", ge=0.0, le=1.0, range=(0.2, 0.8),
                                             desc="Capacity diverted at full corruption.")
    routine_contacts_per_year: float = F(
        2.0, unit="contacts per resident per year", ge=0.0, le=50.0, range=(0.5, 6.0),
        desc="Everyday contacts of a resident with community and street offices (certificates, subsidies, "
        "permits); each is corrupt with the grassroots-corruption chance and then costs trust.")
    secretary_supply_boost: float = F(0.3, unit="share", ge=0.0, le=3.0, range=(0.1, 0.6),
                                      desc="Public-service supply added to a secretary project's community.")
    secretary_authority_share: float = F(
        0.8, unit="probability", ge=0.0, le=1.0, range=(0.5, 1.0), source=SEED,
        desc="Chance that an issue needing street authority which arises in a community with a running "
        "secretary project can be settled by the community (the secretary brings power down, 下放权力).")
    refocus_handling_cut: float = F(
        0.4, unit="share", ge=0.0, le=1.0, range=(0.1, 0.6),
        desc="Share of a street case's handling time removed at full street refocus (staff no longer "
        "pulled away to investment and tax work).")
    participation_report_weight: float = F(1.0, unit="logit", ge=0.0, le=10.0, range=(0.3, 2.0),
                                           desc="How much participation raises reporting.")
    participation_settle_weight: float = F(1.0, unit="logit", ge=0.0, le=10.0, range=(0.3, 2.0),
                                           desc="How much the parties' participation helps level-0 settlement.")
    hotline_report_delay_cut: float = F(
        0.5, unit="share", ge=0.0, le=1.0, range=(0.2, 0.8), source="T9: response ≈ 100 % under 接诉即办",
        desc="Share of a resident's delay before reporting removed by a hotline that is open at any hour.")
    building_head_report_cost_cut: float = F(0.5, unit="logit", ge=0.0, le=5.0, range=(0.2, 1.0),
                                             desc="Reporting cost removed where the building has a head.")
    # -- early warning with a data source (sim/warning.py)
    warning_signal: float = F(
        1.0, unit="score per unit severity", ge=0.0, le=10.0, range=(0.3, 2.0), source=SEED + " (技术利维坦: data are hard to mine)",
        desc="What the risk score sees of a building's festering latent issue from grid reports and scattered "
        "records without shared data, in units of the score's noise (d′ per unit severity).")
    warning_shared_gain: float = F(
        1.5, unit="share", ge=0.0, le=10.0, range=(0.5, 3.0), source=SEED + " (数据孤岛)",
        desc="Relative sharpening of that signal at full data sharing (departments' records joined up).")
    warning_history_weight: float = F(
        0.5, unit="score per log(1 + past issues)", ge=0.0, le=5.0, range=(0.1, 1.0),
        desc="Weight of the building's past known disputes (decayed) in the risk score.")
    warning_hotline_weight: float = F(
        0.3, unit="score per log(1 + hotline calls per 1,000)", ge=0.0, le=5.0, range=(0.0, 0.8),
        desc="Weight of the community's recent hotline records per 1,000 residents in the risk score.")
    warning_memory_days: float = F(180.0, unit="days", ge=1.0, le=3650.0, range=(60.0, 365.0),
                                   desc="Time scale on which past disputes and hotline records fade from the score.")
    false_alarm_visit_cases: float = F(
        0.5, unit="cases of capacity", ge=0.0, le=10.0, range=(0.2, 1.0),
        desc="Community office capacity a visit to a flagged building takes (spent in vain on a false alarm).")
    false_alarm_trust_hit: float = F(
        0.1, unit="share of a failure's loss", ge=0.0, le=3.0, range=(0.02, 0.3),
        desc="A false alarm annoys the resident visited: a small bad experience.")
    privacy_trust_weight: float = F(
        1.0, unit="multiplier per unit data sharing", ge=0.0, le=10.0, range=(0.0, 3.0), source=SEED + " (技术恐惧症)",
        desc="How much more a false alarm annoys when it was raised from shared personal data.")
    # -- evaluation design (sim/evaluation.py)
    false_closure_propensity: float = F(
        0.4, unit="probability", ge=0.0, le=1.0, range=(0.1, 0.7),
        desc="Chance an office under full closure-rate targets closes a case it failed to settle as if settled.")
    repeat_deterrence: float = F(
        0.7, unit="share", ge=0.0, le=1.0, range=(0.3, 0.95),
        desc="Share of false closures prevented when repeat complaints count against the office.")
    repeat_complaint_probability: float = F(
        0.6, unit="probability", ge=0.0, le=1.0, range=(0.3, 0.9),
        desc="Chance a resident whose case was closed unsolved complains again (else gives up).")
    repeat_complaint_days: float = F(10.0, unit="days", ge=0.0, le=365.0, range=(3.0, 30.0),
                                     desc="Mean days until the repeat complaint.")
    false_closure_trust_hit: float = F(
        1.5, unit="share of a failure's loss", ge=0.0, le=5.0, range=(1.0, 3.0),
        desc="Trust lost when a resident finds the case closed unsolved (worse than an honest failure).")
