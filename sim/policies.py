"""Policy levers: the reforms of the source report, each a field of the scenario's ``[policy]`` table.

Each lever is declared once, here: range, default (the baseline city), unit, a label a student
understands, the seed's term, and its yearly cost. The model reads the fields where the mechanism
lives (see ``docs/policies.md`` and ``docs/ODD.md``); the dashboard's sliders, the docs table and
the sweep problems are derived from this declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.scenario import ScenarioSpec


def L(default: Any, *, ge: float | None = None, le: float | None = None, unit: str, label: str, term: str,
      desc: str) -> Any:
    """A documented lever field."""
    return Field(default, ge=ge, le=le, description=desc,
                 json_schema_extra={"unit": unit, "label": label, "term": term, "lever": True})


def P(default: Any, *, ge: float | None = None, le: float | None = None, unit: str, desc: str) -> Any:
    """A documented setting of a lever (not a lever itself)."""
    return Field(default, ge=ge, le=le, description=desc, json_schema_extra={"unit": unit})


class PolicySpec(BaseModel):
    """The ``[policy]`` table: every reform lever of the source report."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    street_empowerment: float = L(
        0.0, ge=0.0, le=1.0, unit="share of enforcement issues", label="Empower streets (五项权力)",
        term="街道赋权扩能",
        desc="Share of department-level enforcement issues a street may settle by commanding dispatched "
        "enforcement; empowered streets also call departments with a short deadline (吹哨报到).")
    street_refocus: float = L(
        0.0, ge=0.0, le=1.0, unit="share of economic-task time", label="Streets drop investment targets",
        term="取消招商引资、协税护税",
        desc="Share of street staff time moved from investment and tax tasks to service and disputes.")
    street_service_share: float = P(0.45, ge=0.0, le=1.0, unit="share",
                                    desc="Share of street staff time on service before any refocus.")
    party_member_return: float = L(
        0.1, ge=0.0, le=1.0, unit="share of in-service party members", label="Party members register where they live",
        term="在职党员回归社区",
        desc="Share of in-service party members registered in their residential grid, who volunteer hours "
        "to find and mediate issues and lift their neighbours' participation.")
    party_member_hours_per_month: float = P(4.0, ge=0.0, le=80.0, unit="hours per member per month",
                                            desc="Volunteer hours a registered party member gives.")
    building_heads: float = L(
        0.2, ge=0.0, le=1.0, unit="share of buildings", label="Buildings with a building head",
        term="楼栋长",
        desc="Share of buildings with a volunteer head who notices issues first, mediates between "
        "neighbours and explains policy.")
    party_building_alliance: float = L(
        0.0, ge=0.0, le=1.0, unit="intensity", label="Local units share staff and venues",
        term="党建联盟",
        desc="How far local units (schools, firms, hospitals) share staff, venues and money with the "
        "community: more capacity and public-service supply, joint consultation of cross-unit issues.")
    red_property: float = L(
        0.0, ge=0.0, le=1.0, unit="share of property firms", label="Property firms join joint meetings",
        term="红心物业",
        desc="Share of property firms that sit in joint meetings with residents' and owners' committees, "
        "so property issues are settled at community level, faster.")
    grid_members_per_10k: float = L(
        10.0, ge=0.0, le=80.0, unit="grid members per 10,000 residents", label="Grid members per 10,000",
        term="网格化管理",
        desc="Full-time grid members per 10,000 residents; they patrol, find issues early and settle "
        "minor ones on the spot (T7: ≈ 1 full-time per grid).")
    community_worker_professionalisation: float = L(
        0.3, ge=0.0, le=1.0, unit="intensity", label="Professional community workers",
        term="社工岗、动态薪酬",
        desc="Career posts and pay for community workers: higher mediator skill and less capacity lost "
        "to turnover.")
    data_sharing: float = L(
        0.2, ge=0.0, le=1.0, unit="share integrated", label="Departments share one platform",
        term="打破数据孤岛 / 智治",
        desc="Share of departments' data on one platform: fewer bounces between departments and shorter "
        "referrals.")
    early_warning: float = L(
        0.0, ge=0.0, le=1.0, unit="coverage", label="Early-warning risk score",
        term="预测预警；立足于早、立足于小",
        desc="Coverage of a risk score that flags festering issues before they intensify and moves them "
        "to the front of the queue.")
    early_warning_threshold: float = P(0.35, ge=0.0, le=1.0, unit="severity",
                                       desc="Severity at which the risk score flags an issue: well before the "
                                       "0.65 at which issues intensify (立足于激化前).")
    hotline_response: bool = L(
        False, unit="on/off", label="Hotline that must answer (接诉即办)", term="民呼我应 / 接诉即办",
        desc="A direct channel: reporting is cheaper, cases go straight to the responsible level, and a "
        "deadline applies (missing it costs trust and triggers a supervised escalation).")
    hotline_deadline_days: float = P(7.0, ge=1.0, le=60.0, unit="days", desc="Hotline response deadline.")
    hotline_cost_reduction: float = P(0.8, ge=0.0, le=5.0, unit="logit",
                                      desc="How much the hotline lowers the cost of reporting.")
    rule_of_law: float = L(
        0.5, ge=0.0, le=1.0, unit="intensity", label="Legal backing (法治)", term="法治",
        desc="Legal advisers and enforceable agreements: settlements more likely and more durable.")
    moral_governance: float = L(
        0.3, ge=0.0, le=1.0, unit="intensity", label="Moral norms (德治)", term="德治",
        desc="Village rules and moral example: fewer neighbour and family disputes arise.")
    self_governance: float = L(
        0.2, ge=0.0, le=1.0, unit="intensity", label="Residents' councils (自治)", term="自治",
        desc="Residents' councils and consultation: more level-0 capacity and organised activities that "
        "keep participation up.")
    secretary_projects: int = L(
        0, ge=0, le=24, unit="projects per year", label="Secretary projects on hotspots", term="书记项目",
        desc="Targeted projects a year: each puts extra staff on the community with most open issues "
        "per resident for a period.")
    secretary_project_days: int = P(90, ge=1, le=365, unit="days", desc="Length of one secretary project.")
    secretary_project_staff: float = P(4.0, ge=0.0, le=100.0, unit="staff", desc="Extra staff per project.")
    grassroots_corruption: float = L(
        0.05, ge=0.0, le=1.0, unit="share of contacts", label="Grassroots corruption (negative)",
        term="基层腐败、吃拿卡要",
        desc="Share of contacts with community and street offices marred by petty corruption: worse "
        "settlements, lost trust, diverted capacity.")


@dataclass(frozen=True)
class Lever:
    """A lever's declaration, derived from :class:`PolicySpec`'s fields."""

    name: str
    label: str
    term: str
    unit: str
    default: Any
    low: float
    high: float
    kind: str  # "float" | "int" | "bool"
    description: str


def _levers() -> dict[str, Lever]:
    out: dict[str, Lever] = {}
    for name, f in PolicySpec.model_fields.items():
        extra = f.json_schema_extra or {}
        if not isinstance(extra, dict) or not extra.get("lever"):
            continue
        lo = hi = None
        for m in f.metadata:
            lo = getattr(m, "ge", lo)
            hi = getattr(m, "le", hi)
        kind = "bool" if f.annotation is bool else "int" if f.annotation is int else "float"
        out[name] = Lever(name=name, label=str(extra["label"]), term=str(extra["term"]), unit=str(extra["unit"]),
                          default=f.default, low=0.0 if lo is None else float(lo),
                          high=1.0 if hi is None else float(hi), kind=kind, description=f.description or "")
    return out


LEVERS: dict[str, Lever] = _levers()
"""Every lever by name, in declaration order."""


# --------------------------------------------------------------------------- costs
# Yearly cost of each lever in 万元 (10,000 yuan), from the city's size and unit costs. These are
# stated assumptions (documented in docs/policies.md), so that options can be compared at equal cost.


def _n_communities(s: ScenarioSpec) -> int:
    w = s.world
    return w.districts * w.streets_per_district * w.communities_per_street


def _n_streets(s: ScenarioSpec) -> int:
    return s.world.districts * s.world.streets_per_district


def _per_100k(s: ScenarioSpec) -> float:
    return s.world.population / 100_000


LEVER_COSTS: dict[str, Callable[[ScenarioSpec], float]] = {
    # training and coordination of dispatched enforcement teams: 15万 per street at full empowerment
    "street_empowerment": lambda s: 15.0 * _n_streets(s) * s.policy.street_empowerment,
    # forgone investment-promotion work, valued at 20万 per street at full refocus (an opportunity cost)
    "street_refocus": lambda s: 20.0 * _n_streets(s) * s.policy.street_refocus,
    # registration, coordination and activity costs: 0.05万 per registered member per year
    "party_member_return": lambda s: 0.05 * s.world.population * s.world.party_member_share * s.policy.party_member_return,
    # stipend of 0.3万 a year per building head
    "building_heads": lambda s: 0.3 * _n_buildings(s) * s.policy.building_heads,
    # shared venues and money: 20万 per community at full intensity
    "party_building_alliance": lambda s: 20.0 * _n_communities(s) * s.policy.party_building_alliance,
    # joint-meeting secretariat: 5万 per community at full coverage
    "red_property": lambda s: 5.0 * _n_communities(s) * s.policy.red_property,
    "grid_members_per_10k": lambda s: s.costs.grid_member * s.world.population / 10_000 * s.policy.grid_members_per_10k,
    # career posts: +30 % on community workers' pay at full intensity
    "community_worker_professionalisation": lambda s: (
        0.3 * s.costs.community_staff * s.levels.community.staff_per_unit * _n_communities(s)
        * s.policy.community_worker_professionalisation),
    # platform: 100万 per 100,000 residents a year at full integration
    "data_sharing": lambda s: 100.0 * _per_100k(s) * s.policy.data_sharing,
    "early_warning": lambda s: 50.0 * _per_100k(s) * s.policy.early_warning,
    # hotline operators: 30万 per 100,000 residents a year
    "hotline_response": lambda s: 30.0 * _per_100k(s) * float(s.policy.hotline_response),
    # legal advisers: 3万 per community at full intensity
    "rule_of_law": lambda s: 3.0 * _n_communities(s) * s.policy.rule_of_law,
    "moral_governance": lambda s: 1.0 * _n_communities(s) * s.policy.moral_governance,
    "self_governance": lambda s: 1.0 * _n_communities(s) * s.policy.self_governance,
    "secretary_projects": lambda s: (
        s.policy.secretary_projects * s.costs.community_staff * s.policy.secretary_project_staff
        * s.policy.secretary_project_days / 365 + 10.0 * s.policy.secretary_projects),
    "grassroots_corruption": lambda s: 0.0,
}


def _n_buildings(s: ScenarioSpec) -> int:
    w = s.world
    households = max(1, round(w.population / w.persons_per_household))
    return max(1, -(-households // w.households_per_building))


def lever_costs(spec: ScenarioSpec) -> dict[str, float]:
    """Yearly cost of each lever in 万元 for this scenario."""
    return {name: float(fn(spec)) for name, fn in LEVER_COSTS.items()}


def staff_cost(spec: ScenarioSpec) -> float:
    """Yearly cost of the standing offices' staff in 万元 (communities, streets, departments, city)."""
    from govsim.sim.scenario import DEPARTMENTS

    lv, c = spec.levels, spec.costs
    return (
        c.community_staff * lv.community.staff_per_unit * _n_communities(spec)
        + c.street_staff * lv.street.staff_per_unit * _n_streets(spec)
        + c.department_staff * lv.district.staff_per_unit * len(DEPARTMENTS) * spec.world.districts
        + c.city_staff * lv.city.staff_per_unit
    )


def yearly_cost(spec: ScenarioSpec) -> float:
    """Total yearly cost in 万元: standing staff plus every lever."""
    return staff_cost(spec) + sum(lever_costs(spec).values())
