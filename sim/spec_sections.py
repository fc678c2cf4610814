"""The tables of a scenario file: one frozen pydantic model per table (``[world]``, ``[levels.street]`` …).

Every number that shapes behaviour is a field here with a unit, a range, a default and, where one
exists, a source (see ``../shared/CALIBRATION_TARGETS.md`` targets T1–T13 and ``docs/calibration.md``).
The defaults are the calibrated baseline city: ``ScenarioSpec()`` and ``scenarios/baseline.toml``
(written from these models by ``tools/write_baseline.py``) are one set of numbers.
:mod:`govsim.sim.scenario` assembles these tables into :class:`~govsim.sim.scenario.ScenarioSpec`
and re-exports every name defined here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from govsim.sim.levels import LEVEL_NAMES
from pydantic import BaseModel, ConfigDict, Field, model_validator

LEVELS: tuple[str, ...] = LEVEL_NAMES
"""The ladder, lowest first: self-governance, community, street, district departments, city."""

ISSUE_TYPES: tuple[str, ...] = (
    "neighbour",
    "family",
    "property",
    "labour",
    "environment",
    "land",
    "public_service",
)
MEDIATION_TYPES: tuple[str, ...] = ("neighbour", "family", "property", "labour", "land")
"""Issue types counted as people's mediation cases (T1, T4–T6): disputes between parties, not
environment complaints to urban management or demands for public services."""
DEPARTMENTS: tuple[str, ...] = (
    "urban_management",
    "housing",
    "labour",
    "environment",
    "land_resources",
    "civil_affairs",
)

type LevelName = Literal["self", "community", "street", "district", "city"]
type Department = Literal[
    "urban_management", "housing", "labour", "environment", "land_resources", "civil_affairs"
]
type IssueType = Literal["neighbour", "family", "property", "labour", "environment", "land", "public_service"]


def _evidence(default: Any, ge: float | None, le: float | None, source: str | None,
              range: tuple[float, float] | None) -> dict[str, Any]:  # noqa: A002
    """The ``source``/``range`` metadata of a value, checked: the range holds the default within the bounds."""
    extra: dict[str, Any] = {}
    if source:
        extra["source"] = source
    if range is not None:
        lo, hi = float(range[0]), float(range[1])
        if not (lo < hi and lo <= default <= hi) or (ge is not None and lo < ge) or (le is not None and hi > le):
            raise ValueError(f"assumption range {range} must hold the default {default} within the bounds")
        extra["range"] = [lo, hi]
    return extra


def F(default: Any, *, unit: str, desc: str, ge: float | None = None, le: float | None = None,
      source: str | None = None, range: tuple[float, float] | None = None) -> Any:  # noqa: A002
    """A documented scenario field: default, unit, bounds and where its value comes from.

    ``source`` names the evidence (seed report, a target of CALIBRATION_TARGETS.md, a paper);
    ``range`` declares the value an assumption with a plausible ``(low, high)`` that the sensitivity
    analysis covers (``experiments/uncertainties.toml``, written by ``tools/write_uncertainties.py``).
    """
    extra: dict[str, Any] = {"unit": unit, **_evidence(default, ge, le, source, range)}
    return Field(default, ge=ge, le=le, description=desc, json_schema_extra=extra)


@dataclass(frozen=True)
class E:
    """One field's default in a table that is used several times with different defaults (``[channels.*]``).

    The shared model (e.g. :class:`~sim.spec_disputes.ChannelSpec`) declares the field's unit and bounds
    once; each use gives its own value with its own ``source`` and/or ``range`` (see :func:`table_of`).
    """

    value: float
    source: str | None = None
    range: tuple[float, float] | None = None  # noqa: A003


def table_of(model: type[BaseModel], desc: str, **values: E) -> Any:
    """A nested-table field of type ``model`` whose defaults each carry their own evidence.

    Every field of ``model`` must be given, with a source or a range that holds the value within the
    field's bounds; the evidence is stored as ``json_schema_extra["fields"]`` and read by :func:`evidence`.
    """
    if set(values) != set(model.model_fields):
        raise ValueError(f"{model.__name__}: give every field, missing {set(model.model_fields) - set(values)}")
    meta: dict[str, dict[str, Any]] = {}
    for name, v in values.items():
        bounds = {k: getattr(m, k) for m in model.model_fields[name].metadata for k in ("ge", "le") if hasattr(m, k)}
        meta[name] = _evidence(v.value, bounds.get("ge"), bounds.get("le"), v.source, v.range)
        if not meta[name]:
            raise ValueError(f"{model.__name__}.{name} = {v.value} needs a source or a range")
    defaults = {k: v.value for k, v in values.items()}
    return Field(default_factory=lambda: model(**defaults), description=desc, json_schema_extra={"fields": meta})


def evidence(model: type[BaseModel], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Dotted key → the field's metadata (unit, and ``source``/``range`` if any) of every scalar or list field.

    Nested tables are walked; a table declared by :func:`table_of` overrides its fields' evidence with
    its own (so ``channels.court.staff_per_100k`` has the court's source, not the petition office's).
    """
    out: dict[str, dict[str, Any]] = {}
    for name, f in model.model_fields.items():
        extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            sub = evidence(ann, f"{prefix}{name}.")
            for k, meta in extra.get("fields", {}).items():
                key = f"{prefix}{name}.{k}"
                base = {m: v for m, v in sub[key].items() if m not in ("source", "range")}
                sub[key] = {**base, **meta}
            out.update(sub)
            continue
        out[f"{prefix}{name}"] = dict(extra)
    return out


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class RunSpec(_Frozen):
    """What the scenario is and how long it runs."""

    name: str = Field("baseline", min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\- ]+$",
                      description="Short name used in tables, reports and file names.")
    base: str | None = Field(None, description="Scenario file this one varies (path relative to this file); "
                             "its tables are read first and this file's keys replace theirs.")
    description: str = Field("", description="One or two sentences on what this scenario changes.")
    days: int = F(365, unit="days", ge=1, le=3650, desc="Simulated days (one Mesa step per day).")


class WorldSpec(_Frozen):
    """The city: its administrative tree and its residents' dispositions."""

    population: int = F(20_000, unit="residents", ge=50, le=40_000_000,
                        desc="Total residents of the city (up to a megacity: Beijing has 21.9 million, Chongqing 32).")
    city_file: str | None = Field(
        None, description="A city file (.csv or .toml, docs/city-files.md) listing the city's districts, streets and "
        "communities with their populations; a relative path is read relative to the scenario file. Its total "
        "population replaces world.population. Not together with the explicit counts below.")
    districts: int | None = F(
        None, unit="count", ge=1, le=30,
        desc="Districts (区/县) of an explicit uniform tree; not given (the default): the tree is derived from the "
        "population with the national ratios of T15 (≈ 7,500 residents per community, 12 communities per street, "
        "8.5 streets per district).", source="T15: Ministry of Civil Affairs statistical bulletins (2014, 2015)")
    streets_per_district: int | None = F(None, unit="count", ge=1, le=60,
                                         desc="Streets/towns (街道/乡镇) per district of an explicit uniform tree "
                                         "(not given: derived, T15 ≈ 8–9).")
    communities_per_street: int | None = F(None, unit="count", ge=1, le=60,
                                           desc="Communities/villages (社区/村) per street of an explicit uniform tree "
                                           "(not given: derived, T15 ≈ 12).")
    households_per_grid: int = F(
        400, unit="households", ge=20, le=3000, desc="Households per grid (网格).",
        source="T7: 300–500 households per urban grid (Zhejiang 2020–2022)",
    )
    persons_per_household: float = F(2.6, unit="persons", ge=1.0, le=8.0, desc="Mean household size.")
    households_per_building: int = F(40, unit="households", ge=1, le=500, desc="Households per building (楼栋).")
    district_capacity: list[float] = Field(
        [1.1, 0.85],
        description="Capacity multiplier of each district's offices, repeated over the districts in turn (one value "
        "per district, or fewer to cycle); the seed stresses uneven capacity between places.",
        json_schema_extra={"unit": "multiplier", "range": "each 0.1–3.0"},
    )
    public_service_supply: float = F(
        1.0, unit="index", ge=0.1, le=3.0,
        desc="Public-service supply (education, health, elderly care) relative to need; low supply raises "
        "public-service and livelihood issue rates (源头治理).",
    )
    initial_trust_mean: float = F(0.62, unit="0–1", ge=0.0, le=1.0, desc="Mean initial trust in local government.")
    initial_trust_sd: float = F(0.12, unit="0–1", ge=0.0, le=0.5, desc="Spread of initial trust.")
    trust_gain: float = F(0.04, unit="per experience", ge=0.0, le=0.5,
                          desc="α_gain: trust τ ← τ + α_gain(1 − τ) after a satisfying settlement.")
    trust_loss_weight: float = F(
        3.5, unit="ratio", ge=1.0, le=5.0,
        desc="α_loss/α_gain: trust is lost faster than gained; τ ← τ − α_loss·τ after a failure.",
        source="Kampen, Van de Walle & Bouckaert 2006; Slovic 1993 (literature 2–3, sweep 1–5); "
        "calibrated (T2), docs/calibration.md",
    )
    tacitus_threshold: float = F(0.3, unit="0–1", ge=0.0, le=1.0,
                                 desc="Trust below which a resident stops believing solutions (塔西佗陷阱).")
    tacitus_discount: float = F(0.25, unit="share", ge=0.0, le=1.0,
                                desc="Share of a trust gain kept by a resident below the Tacitus threshold.")
    word_of_mouth: float = F(0.3, unit="share", ge=0.0, le=1.0,
                             desc="Share of a resident's trust change passed to each neighbour told.")
    word_of_mouth_contacts: int = F(3, unit="residents", ge=0, le=50,
                                    desc="Neighbours in the same building told of an experience.")
    participation_initial: float = F(
        0.5, unit="probability", ge=0.0, le=1.0, desc="Initial willingness to take part in community affairs.",
        source="public-goods experiments: 40–60 % initial contribution",
    )
    participation_floor: float = F(0.1, unit="probability", ge=0.0, le=1.0,
                                   desc="Level that participation decays towards without reinforcement.")
    participation_decay_per_year: float = F(0.7, unit="1/year", ge=0.0, le=10.0,
                                            desc="Exponential decay rate of participation above its floor.")
    participation_reinforcement: float = F(0.2, unit="share", ge=0.0, le=1.0,
                                           desc="Share of the gap to 1 closed by a reinforcing experience.")
    severity_concentration: float = F(6.0, unit="beta concentration", ge=0.5, le=200.0,
                                      desc="Concentration of the beta distribution of initial severity (higher = less spread).")
    party_member_share: float = F(0.06, unit="share", ge=0.0, le=0.5,
                                  desc="Share of residents who are in-service party members (在职党员).")

    @model_validator(mode="after")
    def _check_capacity(self) -> WorldSpec:
        caps = self.district_capacity
        if not caps or (self.districts is not None and len(caps) > self.districts):
            raise ValueError(f"district_capacity needs 1 to {self.districts or 30} values (one per district), "
                             f"got {len(caps)}")
        if any(not (0.1 <= c <= 3.0) for c in caps):
            raise ValueError("each district_capacity value must be within 0.1–3.0")
        counts = (self.districts, self.streets_per_district, self.communities_per_street)
        if self.city_file is not None and any(c is not None for c in counts):
            raise ValueError("give either city_file or the explicit counts (districts, streets_per_district, "
                             "communities_per_street), not both")
        return self

    def capacity_of(self, district: int) -> float:
        """Capacity multiplier of district ``district`` (0-based; the values repeat over the districts)."""
        caps = self.district_capacity
        return caps[district % len(caps)]


class IssueTypeSpec(_Frozen):
    """One type of issue (dispute or demand)."""

    rate_per_1000: float = F(5.0, unit="issues per 1,000 residents per year", ge=0.0, le=2000.0,
                             desc="Base rate at which issues of this type arise.")
    severity_initial: float = F(0.2, unit="0–1", ge=0.0, le=0.99, desc="Mean severity when the issue arises.")
    severity_growth: float = F(0.01, unit="per day", ge=0.0, le=0.5,
                               desc="g in s ← s + g(1 − s) for each day the issue is unattended (激化).")
    authority: LevelName = Field("community", description="Lowest level with the authority to settle it when mild.")
    escalate_severity: float = F(0.65, unit="0–1", ge=0.0, le=1.0,
                                 desc="Above this severity the issue needs one level more authority.")
    department: Department = Field("civil_affairs", description="District department responsible for it.")
    supply_sensitivity: float = F(0.0, unit="elasticity", ge=0.0, le=3.0,
                                  desc="How strongly a shortfall of public-service supply raises the rate.")
    moral_sensitivity: float = F(0.0, unit="share", ge=0.0, le=1.0,
                                 desc="Largest share of the rate that moral governance can prevent.")
    enforcement: bool = Field(False, description="Settling it needs law enforcement (street empowerment helps).")
    property_related: bool = Field(False, description="A property-management issue (red property helps).")
    cross_unit: bool = Field(False, description="Involves several local units (party-building alliance helps).")


def _default_issues() -> dict[str, IssueTypeSpec]:
    # The calibrated baseline (ABC on T1–T10, docs/calibration.md): the rates of the neighbour, family,
    # property, labour and public-service types were fitted to T4 (7–11 mediated disputes per 1,000
    # residents a year), T6 (family ≈ 20 %, neighbour ≈ 22 % of mediation) and T8 (≈ 140 items per grid
    # a year); together the rates give ≈ 120 items per 1,000 residents a year.
    return {
        "neighbour": IssueTypeSpec(rate_per_1000=4.2, severity_initial=0.15, severity_growth=0.012,
                                   authority="self", department="civil_affairs", moral_sensitivity=0.5),
        "family": IssueTypeSpec(rate_per_1000=3.4, severity_initial=0.2, severity_growth=0.01,
                                authority="self", department="civil_affairs", moral_sensitivity=0.4),
        "property": IssueTypeSpec(rate_per_1000=1.45, severity_initial=0.25, severity_growth=0.01,
                                  authority="street", department="housing", property_related=True,
                                  cross_unit=True),
        "labour": IssueTypeSpec(rate_per_1000=0.8, severity_initial=0.35, severity_growth=0.015,
                                authority="district", department="labour", supply_sensitivity=0.5,
                                enforcement=True),
        "environment": IssueTypeSpec(rate_per_1000=22.0, severity_initial=0.15, severity_growth=0.008,
                                     authority="street", department="urban_management", enforcement=True,
                                     cross_unit=True),
        "land": IssueTypeSpec(rate_per_1000=0.8, severity_initial=0.5, severity_growth=0.02,
                              authority="district", department="land_resources", escalate_severity=0.6),
        "public_service": IssueTypeSpec(rate_per_1000=87.4, severity_initial=0.1, severity_growth=0.005,
                                        authority="community", department="civil_affairs",
                                        supply_sensitivity=1.0, cross_unit=True),
    }


class IssuesSpec(_Frozen):
    """The issue types, one table each (``[issues.neighbour]`` …)."""

    neighbour: IssueTypeSpec = Field(default_factory=lambda: _default_issues()["neighbour"])
    family: IssueTypeSpec = Field(default_factory=lambda: _default_issues()["family"])
    property: IssueTypeSpec = Field(default_factory=lambda: _default_issues()["property"])
    labour: IssueTypeSpec = Field(default_factory=lambda: _default_issues()["labour"])
    environment: IssueTypeSpec = Field(default_factory=lambda: _default_issues()["environment"])
    land: IssueTypeSpec = Field(default_factory=lambda: _default_issues()["land"])
    public_service: IssueTypeSpec = Field(default_factory=lambda: _default_issues()["public_service"])

    def get(self, name: str) -> IssueTypeSpec:
        """The spec of issue type ``name``."""
        return getattr(self, name)


COMMUNITY_DUTIES = 0.7
"""Mean share of community workers' time on duties other than cases (T14: administrative affairs ≈ 2/3)."""
STREET_DUTIES = 0.6
"""Mean share of street case staff's service time on duties other than cases (set so the baseline's street
case capacity is busy, docs/calibration.md "Workload")."""
DEPARTMENT_DUTIES = 0.9
"""Departments' and the city's share of time on their own regulatory work; assumption, 0.8–0.97 (docs/calibration.md)."""


class LevelSpec(_Frozen):
    """One rung of the ladder: its handlers, their workload, handling time and settlement chances.

    An office's staff is ``staff_per_unit + staff_per_10k × residents served / 10,000``
    (:meth:`sim.city.City.staff`). Its case capacity is what their other duties leave:
    ``staff × cases_per_staff_day × (1 − d)``, where the share ``d`` of working time spent on
    other duties (tasks sent down from above, services, inspections, campaigns: 上面千条线，下面一根针)
    is drawn once per office from a beta distribution with mean ``other_duties_share`` and
    concentration ``duties_concentration`` (ODD §5; T14).
    """

    staff_per_unit: float = F(0.0, unit="staff", ge=0.0, le=500.0,
                              desc="Fixed handlers per office at this level, added to the per-resident norm.")
    staff_per_10k: float = F(0.0, unit="staff per 10,000 residents served", ge=0.0, le=500.0,
                             desc="Staffing norm: handlers per 10,000 residents the office serves (a community its "
                             "residents, a street its communities', a department its district's, the city everyone).")
    cases_per_staff_day: float = F(0.5, unit="cases per staff per day", ge=0.0, le=20.0,
                                   desc="New cases one handler could take up per working day if cases were all they did.")
    other_duties_share: float = F(0.0, unit="share of working time", ge=0.0, le=0.99,
                                  desc="Mean share of the staff's working time spent on duties other than cases "
                                  "(administrative tasks sent down from above, services, inspections, campaigns).")
    duties_concentration: float = F(0.0, unit="beta concentration", ge=0.0, le=10_000.0,
                                    desc="How alike offices' other-duties shares are: each office draws its share from "
                                    "Beta(mean × κ, (1 − mean) × κ); 0 = every office has the mean share.")
    handling_days: float = F(3.0, unit="days", ge=0.0, le=120.0, desc="Mean days to handle a case once taken up.")
    skill: float = F(0.6, unit="0–1", ge=0.0, le=1.0, desc="Mean skill of this level's handlers.")
    settle_intercept: float = F(1.0, unit="logit", ge=-10.0, le=10.0,
                                desc="Baseline log-odds of settling a case this level has authority for.")
    referral_days: float = F(3.0, unit="days", ge=0.0, le=120.0, desc="Days to refer a case one level up.")
    patience_days: float = F(20.0, unit="days", ge=1.0, le=365.0,
                             desc="Days a resident waits at this level before escalating on their own.")


def _default_levels() -> dict[str, LevelSpec]:
    return {
        # Level 0 capacity comes from building heads, residents' councils and party members (policy).
        # The community and street settle_intercept are calibrated (T1, docs/calibration.md).
        # Staffing norms and workloads (T14, docs/calibration.md "Workload"): community workers 18 per
        # 10,000 urban residents (the Ministry of Civil Affairs' 2021–2025 community-services plan),
        # about two thirds of their time on administrative tasks and services (T14); street
        # office staff 10 per 10,000 (≈ 90 for a street of 90,000; assumption), part of their time on
        # economic tasks (policy.street_service_share) and most of the rest on other duties; departments
        # and the city keep the first baseline's staff per resident, busy with their own work.
        "self": LevelSpec(staff_per_unit=0.0, cases_per_staff_day=0.0, handling_days=2.0, skill=0.45,
                          settle_intercept=0.6, referral_days=1.0, patience_days=10.0),
        "community": LevelSpec(staff_per_10k=18.0, cases_per_staff_day=0.8, other_duties_share=COMMUNITY_DUTIES,
                               duties_concentration=40.0, handling_days=3.0, skill=0.6,
                               settle_intercept=2.35, referral_days=3.0, patience_days=20.0),
        "street": LevelSpec(staff_per_10k=10.0, cases_per_staff_day=0.6, other_duties_share=STREET_DUTIES,
                            duties_concentration=40.0, handling_days=5.0, skill=0.65,
                            settle_intercept=3.9, referral_days=7.0, patience_days=30.0),
        "district": LevelSpec(staff_per_10k=3.0, cases_per_staff_day=0.8, other_duties_share=DEPARTMENT_DUTIES,
                              duties_concentration=40.0, handling_days=10.0, skill=0.7,
                              settle_intercept=1.2, referral_days=10.0, patience_days=45.0),
        "city": LevelSpec(staff_per_10k=5.0, cases_per_staff_day=0.5, other_duties_share=DEPARTMENT_DUTIES,
                          duties_concentration=40.0, handling_days=15.0, skill=0.7,
                          settle_intercept=0.6, referral_days=0.0, patience_days=60.0),
    }


class LevelsSpec(_Frozen):
    """The five rungs of the ladder (``[levels.community]`` …)."""

    self_: LevelSpec = Field(default_factory=lambda: _default_levels()["self"], alias="self")
    community: LevelSpec = Field(default_factory=lambda: _default_levels()["community"])
    street: LevelSpec = Field(default_factory=lambda: _default_levels()["street"])
    district: LevelSpec = Field(default_factory=lambda: _default_levels()["district"])
    city: LevelSpec = Field(default_factory=lambda: _default_levels()["city"])

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, validate_default=True)

    def of(self, level: int) -> LevelSpec:
        """The spec of ladder level ``level`` (0 = self … 4 = city)."""
        return (self.self_, self.community, self.street, self.district, self.city)[level]


class BehaviourSpec(_Frozen):
    """Residents' decisions: report, wait, escalate, petition or give up."""

    report_intercept: float = F(-0.36, unit="logit", ge=-10.0, le=10.0, desc="Baseline log-odds of reporting.",
                                source="calibrated (ABC), docs/calibration.md")
    report_trust_weight: float = F(3.0, unit="logit per unit trust", ge=0.0, le=20.0,
                                   desc="How much trust raises reporting.")
    report_benefit_weight: float = F(3.0, unit="logit per unit severity", ge=0.0, le=20.0,
                                     desc="Expected benefit: more severe issues are worth reporting.")
    report_cost: float = F(1.0, unit="logit", ge=0.0, le=10.0,
                           desc="Cost of reporting through ordinary channels (time, hassle).")
    distrust_report_penalty: float = F(
        1.5, unit="logit", ge=0.0, le=10.0,
        desc="Reporting log-odds lost by a resident below the Tacitus threshold, who no longer believes the "
        "local channels will help and waits to escalate instead (塔西佗陷阱; DESIGN §7).")
    report_delay_days: float = F(4.0, unit="days", ge=0.0, le=120.0, desc="Mean days before a resident reports.")
    reconsider_days: float = F(21.0, unit="days", ge=1.0, le=365.0,
                               desc="Days after which a silent resident weighs the issue again.")
    give_up_base: float = F(0.35, unit="probability", ge=0.0, le=1.0,
                            desc="Chance of giving up after a failure, scaled by (1 − severity).")
    skip_probability: float = F(0.6, unit="probability", ge=0.0, le=1.0,
                                desc="Chance a resident below the Tacitus threshold skips levels when escalating.")
    petition_propensity: float = F(0.6, unit="probability", ge=0.0, le=1.0,
                                   desc="Chance a distrustful resident petitions beyond the city instead of "
                                   "using the city's own channel (越级上访).",
                                   source="calibrated against T2 when T2 was mapped to share_left_city (before "
                                   "issue 16); T2 now maps to courts, so this awaits recalibration, docs/calibration.md")
    max_silent_days: float = F(120.0, unit="days", ge=1.0, le=3650.0,
                               desc="A silent, undetected issue older than this is given up.")


class SettlementSpec(_Frozen):
    """Weights of the settlement logistic shared by all levels."""

    skill_weight: float = F(2.0, unit="logit per unit skill", ge=0.0, le=20.0, desc="Handler skill.")
    legal_weight: float = F(1.0, unit="logit per unit rule of law", ge=0.0, le=20.0, desc="Legal backing.")
    severity_weight: float = F(3.0, unit="logit per unit severity", ge=0.0, le=20.0, desc="Harder when severe.")
    age_weight: float = F(0.6, unit="logit per 30 days", ge=0.0, le=20.0, desc="Harder when old.")
    trust_weight: float = F(1.5, unit="logit per unit trust", ge=0.0, le=20.0,
                            desc="Parties who trust the handler accept a settlement more readily.")
    relapse_base: float = F(0.15, unit="probability", ge=0.0, le=1.0,
                            desc="Chance a settlement fails to hold without legal backing (scaled by 1 − rule of law).")
    relapse_days: float = F(30.0, unit="days", ge=1.0, le=365.0, desc="Mean days until a failed settlement resurfaces.")
    relapse_severity_boost: float = F(0.2, unit="0–1", ge=0.0, le=1.0,
                                      desc="Added to the mean initial severity of a dispute that resurfaces.")
    relapse_corrupt_multiplier: float = F(2.0, unit="multiplier", ge=1.0, le=10.0,
                                          desc="How much more often a settlement reached in a corrupt contact fails to hold.")
    satisfied_days: float = F(15.0, unit="days", ge=1.0, le=365.0,
                              desc="A settlement later than this after the issue was known does not satisfy.")


class DepartmentsSpec(_Frozen):
    """District functional departments (职能部门) and their silos (条块分割)."""

    bounce_probability: float = F(0.3, unit="probability", ge=0.0, le=1.0,
                                  desc="Chance a referred case is sent to the wrong department (推诿) without data sharing.")
    bounce_days: float = F(6.0, unit="days", ge=0.0, le=120.0, desc="Days lost per bounce.")
    whistle_days: float = F(1.0, unit="days", ge=0.0, le=30.0,
                            desc="Response time when an empowered street calls a department (吹哨报到).",
                            source="T12: within 30 minutes (Pinggu), general problems within 3 days (Zhuji)")
    whistle_propensity: float = F(
        0.25, unit="probability", ge=0.0, le=1.0, source="set with the calibrated baseline, docs/calibration.md",
        desc="Whistle rate: chance that a street calls the responsible department (街乡吹哨、部门报到) to a case "
        "it has the authority for instead of trying it alone; the department must come (no bounce), takes the "
        "case into its own queue and settles it jointly (whistle_settle_bonus).")
    street_enforcement_penalty: float = F(
        2.0, unit="logit", ge=0.0, le=10.0,
        desc="Settlement log-odds a street loses when it tries an enforcement issue alone, without the "
        "department it could whistle for ('看得见管不了': it sees the problem but lacks the powers); scaled by "
        "1 − policy.street_empowerment (an empowered street commands the enforcement teams).")
    whistle_settle_bonus: float = F(
        3.0, unit="logit", ge=0.0, le=10.0,
        desc="Settlement log-odds added when a department handles a case the street called it to (the street's "
        "knowledge of the case plus the department's enforcement power).")


class GridSpec(_Frozen):
    """Grid members' patrols (网格化管理)."""

    households_per_member_day: float = F(60.0, unit="households per day", ge=1.0, le=2000.0,
                                         desc="Households a grid member can visit in a day's patrol.")
    patrol_sensitivity: float = F(0.5, unit="probability", ge=0.0, le=1.0,
                                  desc="Chance a visit to a household with a latent issue finds it.")
    on_the_spot_share: float = F(0.35, unit="share", ge=0.0, le=1.0,
                                 desc="Share of mild self-level issues a grid member settles on the spot.")


class CostsSpec(_Frozen):
    """Unit costs (万元 = 10,000 yuan per year) behind the ``cost`` outcome and levers' costs."""

    community_staff: float = F(8.0, unit="万元 per staff-year", ge=0.0, le=1000.0, desc="Community worker.")
    street_staff: float = F(10.0, unit="万元 per staff-year", ge=0.0, le=1000.0, desc="Street office staff.")
    department_staff: float = F(12.0, unit="万元 per staff-year", ge=0.0, le=1000.0, desc="Department staff.")
    city_staff: float = F(14.0, unit="万元 per staff-year", ge=0.0, le=1000.0, desc="City coordination staff.")
    grid_member: float = F(6.0, unit="万元 per member-year", ge=0.0, le=1000.0, desc="Full-time grid member.")
