"""The tables of a scenario about disputes as they are (DESIGN §11): parties, groups, the city's channels, shocks.

``[parties]`` says which disputes have two parties and which can be collective, and how a group
behaves; ``[channels.*]`` are the city's offices outside the administrative ladder (the petition
office, courts, public legal services, police and the one-stop conflict-resolution centre);
``[[shocks]]`` are risk events, which may seed collective disputes. Every effect size names its
source or is declared an assumption with a plausible range in its metadata (``F(..., source=, range=)``;
each channel's own values by :func:`~sim.spec_sections.table_of`), so ``experiments/uncertainties.toml``
screens every assumption (ODD §7.26–7.28).
"""

from __future__ import annotations

from govsim.sim.effects_spec import SEED
from govsim.sim.spec_sections import E, F, IssueType, _Frozen, table_of
from pydantic import Field, model_validator

REGS = "Petition Regulations (信访条例, State Council 2005)"
SPC = "Supreme People's Court work reports (2017–2022)"


class PartiesSpec(_Frozen):
    """Who is party to a dispute: two neighbours, a family, or a group (ODD §7.25, ``sim/parties.py``)."""

    two_party_types: list[IssueType] = Field(
        default_factory=lambda: ["neighbour", "family"],
        description="Issue types with two parties, both residents of the same building: both parties' trust "
        "bears on a settlement, both have the experience, and each decides on their own whether to escalate.",
        json_schema_extra={"source": "T6 (CALIBRATION_TARGETS.md): marriage/family and neighbour disputes"})
    collective_types: list[IssueType] = Field(
        default_factory=lambda: ["property", "labour", "land"],
        description="Issue types that can be collective: property-fee fights, a firm's wage arrears, demolition.",
        json_schema_extra={"source": "T6 (CALIBRATION_TARGETS.md): property management, labour, land"})
    collective_share: float = F(
        0.02, unit="share", ge=0.0, le=1.0, range=(0.0, 0.1),
        desc="Share of the collective types' disputes that are collective without any shock. Assumption "
        "(no published share found), plausible range 0–0.1.")
    group_size_mean: float = F(
        20.0, unit="residents", ge=5.0, le=500.0, range=(5.0, 100.0), source=REGS + ", art. 18 (the floor of 5)",
        desc="Mean size of a group: 5 + Poisson(mean − 5). Five is where a visit becomes a group petition (the "
        "Petition Regulations 2005, art. 18, ask groups to send at most five representatives). Assumption, "
        "plausible range 5–100.")
    group_give_up_factor: float = F(
        0.5, unit="multiplier", ge=0.0, le=1.0, range=(0.2, 1.0),
        desc="Multiplier on a group's chance to give up after a failure or a long wait: organisers keep the "
        "group together and share the cost of going on (collective action needs organisers). Assumption, "
        "plausible range 0.2–1.0 (1 = a group gives up like one resident).")
    group_petition_propensity: float = F(
        0.3, unit="probability", ge=0.0, le=1.0, range=(0.1, 0.6),
        desc="Chance a collective dispute that escalates goes as a group petition (集体上访) to the petition "
        "office, skipping the levels between, whatever its members' trust. Assumption, plausible range 0.1–0.6.")
    member_experience_weight: float = F(
        0.5, unit="share of a party's experience", ge=0.0, le=1.0, range=(0.2, 1.0),
        desc="Weight of a group member's experience of the outcome relative to the organiser's. Assumption, "
        "plausible range 0.2–1.0.")


class ChannelSpec(_Frozen):
    """One of the city's channels outside the ladder: its staff, pace and how often it settles."""

    staff_per_100k: float = F(5.0, unit="staff per 100,000 residents", ge=0.0, le=200.0,
                              desc="Staff handling cases in this channel per 100,000 residents.")
    cases_per_staff_day: float = F(0.5, unit="cases per staff-day", ge=0.0, le=20.0,
                                   desc="Cases one staff member takes up a day.")
    handling_days: float = F(15.0, unit="days", ge=0.0, le=365.0, desc="Mean days a case takes once taken up.")
    settle_intercept: float = F(0.5, unit="logit", ge=-10.0, le=10.0,
                                desc="Log-odds of settling a case of severity 0.5 with parties of trust 0.5.")
    patience_days: float = F(60.0, unit="days", ge=1.0, le=3650.0,
                             desc="Days a party waits in this channel's queue before reacting.")


class ChannelsSpec(_Frozen):
    """The city's channels beyond the ladder and the one-stop centre's routing (ODD §7.27, ``sim/channels.py``).

    Each channel's defaults carry their own evidence (:func:`~sim.spec_sections.table_of`): a source, or
    an assumption's plausible range that ``experiments/uncertainties.toml`` screens.
    """

    petition_office: ChannelSpec = table_of(
        ChannelSpec,
        "The city's petition office (信访局): every petition inside the city arrives here; a failed one leaves "
        "the city (a petition above it). Handling 30 days (the Petition Regulations 2005, art. 33, allow 60); "
        "staff, pace, settle intercept and patience are assumptions (it coordinates but cannot rule).",
        staff_per_100k=E(3.0, range=(1.0, 10.0)),
        cases_per_staff_day=E(0.5, range=(0.25, 1.0)),
        handling_days=E(30.0, source=REGS + ", art. 33 (at most 60 days)", range=(15.0, 60.0)),
        settle_intercept=E(0.0, range=(-1.0, 1.0)),
        patience_days=E(60.0, source=REGS + ", art. 33 (an answer within 60 days)", range=(30.0, 120.0)))
    court: ChannelSpec = table_of(
        ChannelSpec,
        "Basic courts' civil judges. About 9 judges per 100,000 residents and about 240 cases per judge a "
        "year (Supreme People's Court work reports, 2017–2022); simplified civil procedure within 3 months "
        "(Civil Procedure Law art. 164). Settle intercept assumed (a judgement ends most disputes), "
        "patience a year (a party who sued waits for the judgement).",
        staff_per_100k=E(9.0, source=SPC),
        cases_per_staff_day=E(0.7, source=SPC + ": ≈ 240 cases per judge a year"),
        handling_days=E(60.0, source="Civil Procedure Law art. 164 (simplified procedure within 3 months)"),
        settle_intercept=E(2.0, range=(1.0, 3.0)),
        patience_days=E(365.0, range=(180.0, 730.0)))
    legal_services: ChannelSpec = table_of(
        ChannelSpec,
        "Public legal services (公共法律服务): advice and legal aid; many disputes end once the parties know "
        "their rights. Staff, pace and settle intercept are assumptions. Reached through the "
        "conflict-resolution centre.",
        staff_per_100k=E(4.0, range=(2.0, 10.0)),
        cases_per_staff_day=E(2.0, range=(1.0, 4.0)),
        handling_days=E(5.0, range=(2.0, 10.0)),
        settle_intercept=E(0.5, range=(-0.5, 1.5)),
        patience_days=E(30.0, range=(15.0, 60.0)))
    police: ChannelSpec = table_of(
        ChannelSpec,
        "Police stations' dispute work (派出所调解): quick, for disputes near violence. Assumptions. Reached "
        "through the conflict-resolution centre.",
        staff_per_100k=E(2.0, range=(1.0, 5.0)),
        cases_per_staff_day=E(2.0, range=(1.0, 4.0)),
        handling_days=E(2.0, range=(1.0, 5.0)),
        settle_intercept=E(0.5, range=(-0.5, 1.5)),
        patience_days=E(15.0, range=(7.0, 30.0)))
    centre: ChannelSpec = table_of(
        ChannelSpec,
        "The conflict-resolution centre's own mediation bodies (矛调中心 people's, trade and lawyers' mediation "
        "in one place). Assumptions (mediation with the departments at the table: a higher intercept than the "
        "petition office's).",
        staff_per_100k=E(6.0, range=(3.0, 15.0)),
        cases_per_staff_day=E(1.0, range=(0.5, 2.0)),
        handling_days=E(7.0, range=(3.0, 15.0)),
        settle_intercept=E(1.5, range=(0.5, 2.5)),
        patience_days=E(30.0, range=(15.0, 60.0)))
    centre_reach_years: float = F(
        1.0, unit="years", ge=0.0, le=20.0, range=(0.5, 3.0),
        source="T9 by analogy (a new one-stop channel: Beijing 12345 closed half the gap to its later level in "
        "its first 10 months, a time constant of 0.85–1.3 years; slower, ≈ 2 years, over the next five)",
        desc="Time constant of a new conflict-resolution centre's reach: of the parties in its district who "
        "escalate beyond the street or petition, the share who go to it is 1 − exp(−years open / this); the "
        "rest take the old route until they learn of it. 0: every party from its first day.")
    centre_stationed_share: float = F(
        0.5, unit="share", ge=0.0, le=1.0, range=(0.2, 0.8),
        source=SEED + " (对各机关部门的资源统筹调度: the city marshals the departments' resources)",
        desc="Share of a centre's mediation staff (channels.centre.staff_per_100k) stationed from the district's "
        "departments (入驻: capacity moved, not added): the departments' case capacity falls by the share of "
        "their staff who moved; the rest are mediators hired for the centre (the lever pays only them).")
    court_propensity: float = F(
        0.35, unit="probability", ge=0.0, le=1.0,
        desc="Chance a party to a failed people's-mediation case (community or street) sues instead of "
        "escalating up the ladder. Set from T2 and T1 by arithmetic, not fitted: about 1 % of mediated "
        "disputes reach court while 2–4 % of them fail, so about a third of the failures sue (range 0.2–0.5).",
        source="T1, T2 (CALIBRATION_TARGETS.md)", range=(0.2, 0.5))
    centre_routing: list[float] = Field(
        default_factory=lambda: [0.53, 0.22, 0.21, 0.016, 0.006],
        min_length=5, max_length=5,
        description="Shares of the cases a conflict-resolution centre routes to public legal services, its "
        "mediation bodies, the petition office, courts and police (in that order; normalised). An input from "
        "T3 (Zhuji 2019–2020), so T3 is met by construction, not a fitted target.",
        json_schema_extra={"unit": "shares", "source": "T3 (CALIBRATION_TARGETS.md)"})

    @model_validator(mode="after")
    def _routing(self) -> ChannelsSpec:
        if any(x < 0 for x in self.centre_routing) or sum(self.centre_routing) <= 0:
            raise ValueError("centre_routing must be five shares ≥ 0 with a positive sum")
        return self


class ShockSpec(_Frozen):
    """A named risk event hitting an area and several issue types at once (叠加效应)."""

    name: str = Field(..., description="Name of the event, e.g. 'demolition project'.")
    day: int = F(90, unit="day", ge=0, le=3650, desc="Day the shock starts.")
    duration_days: int = F(60, unit="days", ge=1, le=3650, desc="How long it lasts.")
    district: int = F(-1, unit="index", ge=-1, le=29, desc="District hit (0-based), or -1 for the whole city.")
    community: int = F(-1, unit="index", ge=-1, le=49_999,
                       desc="Community hit (0-based, numbered across the city), or -1 for the whole district or city.")
    types: list[IssueType] = Field(..., min_length=1, description="Issue types whose rates rise.")
    rate_multiplier: float = F(3.0, unit="multiplier", ge=0.0, le=100.0, desc="Multiplier on those rates.")
    severity_boost: float = F(0.2, unit="0–1", ge=0.0, le=1.0, desc="Added to the initial severity of those issues.")
    trust_hit: float = F(0.0, unit="share", ge=0.0, le=1.0,
                         desc="Immediate relative trust loss of residents in the area when the shock starts.")
    collective_share: float = F(
        0.0, unit="share", ge=0.0, le=1.0,
        desc="Share of the shock's disputes of collective types (parties.collective_types) that are collective: "
        "a demolition or a firm's wage arrears wrongs many residents at once (a shared grievance).")
    group_size_mean: float = F(0.0, unit="residents", ge=0.0, le=500.0,
                               desc="Mean group size of the shock's collective disputes (0: parties.group_size_mean).")
