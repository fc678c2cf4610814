"""Policy levers: the reforms of the source report, each a field of the scenario's ``[policy]`` table.

Each lever is declared once, here, by :func:`L`: range, default (the baseline city), unit, a label a
student understands, the seed's term, its doc line and its yearly cost. :data:`LEVERS`, the cost
accounting (:mod:`sim.costs`), the dashboard's sliders, the generated
scenario reference and the sweep problems are derived from that declaration. The model reads the
fields where the mechanism lives (see ``docs/policies.md`` and ``docs/ODD.md`` §8).

Costs are in 万元 (10,000 yuan) a year, from the city's size (:class:`sim.city.City`, the same tree
the model builds) and unit costs. They are stated assumptions (documented in docs/policies.md), so
that options can be compared at equal cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govsim.sim.city import City
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.scenario import ScenarioSpec

type CostFn = Callable[[ScenarioSpec, City], float]
"""A lever's yearly cost in 万元 for a scenario and the city it builds."""


@dataclass(frozen=True)
class _Cost:
    """A lever's yearly cost, carried in its pydantic field's metadata (pydantic ignores it)."""

    fn: CostFn
    note: str


def L(default: Any, *, ge: float | None = None, le: float | None = None, unit: str, label: str, term: str,
      cost: CostFn, cost_note: str, desc: str) -> Any:
    """A lever field: its range, unit, label, seed term, yearly cost (with a note saying how) and doc line."""
    f = Field(default, ge=ge, le=le, description=desc,
              json_schema_extra={"unit": unit, "label": label, "term": term, "lever": True, "cost": cost_note})
    f.metadata.append(_Cost(cost, cost_note))
    return f


def P(default: Any, *, ge: float | None = None, le: float | None = None, unit: str, desc: str) -> Any:
    """A documented setting of a lever (not a lever itself)."""
    return Field(default, ge=ge, le=le, description=desc, json_schema_extra={"unit": unit})


class PolicySpec(BaseModel):
    """The ``[policy]`` table: every reform lever of the source report."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    street_empowerment: float = L(
        0.0, ge=0.0, le=1.0, unit="share of enforcement issues", label="Empower streets (五项权力)",
        term="街道赋权扩能",
        cost=lambda s, c: 15.0 * c.n_streets * s.policy.street_empowerment,
        cost_note="15万 per street a year at full empowerment: training and coordinating dispatched enforcement teams",
        desc="Share of department-level enforcement issues a street may settle by commanding dispatched "
        "enforcement; empowered streets also call departments with a short deadline (吹哨报到).")
    street_refocus: float = L(
        0.0, ge=0.0, le=1.0, unit="share of economic-task time", label="Streets drop investment targets",
        term="取消招商引资、协税护税",
        cost=lambda s, c: 20.0 * c.n_streets * s.policy.street_refocus,
        cost_note="20万 per street a year at full refocus: forgone investment-promotion work (an opportunity cost)",
        desc="Share of street staff time moved from investment and tax tasks to service and disputes.")
    street_service_share: float = P(0.45, ge=0.0, le=1.0, unit="share",
                                    desc="Share of street staff time on service before any refocus.")
    party_member_return: float = L(
        0.1, ge=0.0, le=1.0, unit="share of in-service party members", label="Party members register where they live",
        term="在职党员回归社区",
        cost=lambda s, c: 0.05 * s.world.population * s.world.party_member_share * s.policy.party_member_return,
        cost_note="0.05万 per registered party member a year: registration, coordination and activities",
        desc="Share of in-service party members registered in their residential grid, who volunteer hours "
        "to find and mediate issues and lift their neighbours' participation.")
    party_member_hours_per_month: float = P(4.0, ge=0.0, le=80.0, unit="hours per member per month",
                                            desc="Volunteer hours a registered party member gives.")
    building_heads: float = L(
        0.2, ge=0.0, le=1.0, unit="share of buildings", label="Buildings with a building head",
        term="楼栋长",
        cost=lambda s, c: 0.3 * c.n_buildings * s.policy.building_heads,
        cost_note="0.3万 a year per building head (a stipend)",
        desc="Share of buildings with a volunteer head who notices issues first, mediates between "
        "neighbours and explains policy.")
    party_building_alliance: float = L(
        0.0, ge=0.0, le=1.0, unit="intensity", label="Local units share staff and venues",
        term="党建联盟",
        cost=lambda s, c: 20.0 * c.n_communities * s.policy.party_building_alliance,
        cost_note="20万 per community a year at full intensity: shared venues and money",
        desc="How far local units (schools, firms, hospitals) share staff, venues and money with the "
        "community: more capacity and public-service supply, joint consultation of cross-unit issues.")
    red_property: float = L(
        0.0, ge=0.0, le=1.0, unit="share of property firms", label="Property firms join joint meetings",
        term="红心物业",
        cost=lambda s, c: 5.0 * c.n_communities * s.policy.red_property,
        cost_note="5万 per community a year at full coverage: the joint meetings' secretariat",
        desc="Share of property firms that sit in joint meetings with residents' and owners' committees, "
        "so property issues are settled at community level, faster.")
    grid_members_per_10k: float = L(
        10.0, ge=0.0, le=80.0, unit="grid members per 10,000 residents", label="Grid members per 10,000",
        term="网格化管理",
        cost=lambda s, c: s.costs.grid_member * s.world.population / 10_000 * s.policy.grid_members_per_10k,
        cost_note="`costs.grid_member` per grid member a year",
        desc="Full-time grid members per 10,000 residents; they patrol, find issues early and settle "
        "minor ones on the spot (T7: ≈ 1 full-time per grid).")
    community_worker_professionalisation: float = L(
        0.3, ge=0.0, le=1.0, unit="intensity", label="Professional community workers",
        term="社工岗、动态薪酬",
        cost=lambda s, c: (0.3 * s.costs.community_staff * float(c.staff(s.levels)["community"].sum())
                           * s.policy.community_worker_professionalisation),
        cost_note="+30 % on community workers' pay at full intensity",
        desc="Career posts and pay for community workers: higher mediator skill and less capacity lost "
        "to turnover.")
    data_sharing: float = L(
        0.2, ge=0.0, le=1.0, unit="share integrated", label="Departments share one platform",
        term="打破数据孤岛 / 智治",
        cost=lambda s, c: 100.0 * _per_100k(s) * s.policy.data_sharing,
        cost_note="100万 per 100,000 residents a year at full integration: the platform",
        desc="Share of departments' data on one platform: fewer bounces between departments and shorter "
        "referrals.")
    conflict_centre: float = L(
        0.0, ge=0.0, le=1.0, unit="share of districts", label="One-stop conflict-resolution centres",
        term="矛调中心（最多跑一地）",
        cost=lambda s, c: s.policy.conflict_centre * (
            (1.0 - s.channels.centre_stationed_share) * s.channels.centre.staff_per_100k * _per_100k(s)
            * s.costs.department_staff + 30.0 * c.n_districts),
        cost_note="the centre's hired mediators (channels.centre.staff_per_100k × (1 − channels.centre_stationed_share) "
        "at department pay; the stationed rest are departments' staff, already paid) plus 30万 per district a "
        "year for the hall and the departments' desks, times the share of districts covered",
        desc="Share of districts (lowest numbers first) with a one-stop conflict-resolution centre: residents "
        "who escalate beyond the street or skip levels, and group petitions, go to the centre, which routes "
        "them at once to legal services, mediation, the petition office, courts or police (T3).")
    early_warning: float = L(
        0.0, ge=0.0, le=1.0, unit="share of buildings scored", label="Early-warning risk score",
        term="预测预警；立足于早、立足于小",
        cost=lambda s, c: 50.0 * _per_100k(s) * s.policy.early_warning,
        cost_note="50万 per 100,000 residents a year at full coverage: the risk score (its false alarms' "
        "visits are paid in community capacity, not money)",
        desc="Share of buildings a risk score covers. Each week it scores them from what the system can see "
        "(past disputes in the building, the community's hotline records, grid reports and, with data sharing, "
        "departments' records) and sends a community worker to those above the threshold (sim/warning.py).")
    early_warning_threshold: float = P(2.0, ge=-3.0, le=6.0, unit="score (noise standard deviations)",
                                       desc="Score above which the risk score flags a building: lower finds more "
                                       "festering issues and raises more false alarms.")
    early_warning_check_days: int = P(7, ge=1, le=90, unit="days", desc="Days between risk-score runs.")
    closure_rate_targets: float = L(
        0.0, ge=0.0, le=1.0, unit="weight in offices' evaluation", label="Offices judged by closure rate",
        term="考核结案率 / 办结率",
        cost=lambda s, c: 0.0,
        cost_note="nothing directly (an evaluation rule: its cost is in false closures and repeat complaints)",
        desc="Weight of the closure rate in how offices are judged; the rest is residents' satisfaction on a "
        "callback (回访). Under closure targets offices close some cases they failed to settle (sim/evaluation.py).")
    evaluation_counts_repeats: float = P(0.0, ge=0.0, le=1.0, unit="weight",
                                         desc="Weight of repeat complaints in offices' evaluation: deters false "
                                         "closures by effects.repeat_deterrence.")
    hotline_response: bool = L(
        False, unit="on/off", label="Hotline that must answer (接诉即办)", term="民呼我应 / 接诉即办",
        cost=lambda s, c: 30.0 * _per_100k(s) * float(s.policy.hotline_response),
        cost_note="30万 per 100,000 residents a year: hotline operators",
        desc="A direct channel: reporting is cheaper, cases go straight to the responsible level, and a "
        "deadline applies (missing it costs trust and triggers a supervised escalation).")
    hotline_deadline_days: float = P(7.0, ge=1.0, le=60.0, unit="days", desc="Hotline response deadline.")
    hotline_cost_reduction: float = P(0.8, ge=0.0, le=5.0, unit="logit",
                                      desc="How much the hotline lowers the cost of reporting.")
    rule_of_law: float = L(
        0.5, ge=0.0, le=1.0, unit="intensity", label="Legal backing (法治)", term="法治",
        cost=lambda s, c: 3.0 * c.n_communities * s.policy.rule_of_law,
        cost_note="3万 per community a year at full intensity: legal advisers",
        desc="Legal advisers and enforceable agreements: settlements more likely and more durable.")
    moral_governance: float = L(
        0.3, ge=0.0, le=1.0, unit="intensity", label="Moral norms (德治)", term="德治",
        cost=lambda s, c: 1.0 * c.n_communities * s.policy.moral_governance,
        cost_note="1万 per community a year at full intensity",
        desc="Village rules and moral example: fewer neighbour and family disputes arise.")
    self_governance: float = L(
        0.2, ge=0.0, le=1.0, unit="intensity", label="Residents' councils (自治)", term="自治",
        cost=lambda s, c: 1.0 * c.n_communities * s.policy.self_governance,
        cost_note="1万 per community a year at full intensity",
        desc="Residents' councils and consultation: more level-0 capacity and organised activities that "
        "keep participation up.")
    secretary_projects: int = L(
        0, ge=0, le=24, unit="projects per year", label="Secretary projects on hotspots", term="书记项目",
        cost=lambda s, c: (s.policy.secretary_projects * s.costs.community_staff * s.policy.secretary_project_staff
                           * s.policy.secretary_project_days / 365 + 10.0 * s.policy.secretary_projects),
        cost_note="per project: its extra staff's community pay for its days, plus 10万",
        desc="Targeted projects a year: each puts extra staff on the community with most open issues "
        "per resident for a period.")
    secretary_project_days: int = P(90, ge=1, le=365, unit="days", desc="Length of one secretary project.")
    secretary_project_staff: float = P(4.0, ge=0.0, le=100.0, unit="staff", desc="Extra staff per project.")
    grassroots_corruption: float = L(
        0.05, ge=0.0, le=1.0, unit="share of contacts", label="Grassroots corruption (negative)",
        term="基层腐败、吃拿卡要",
        cost=lambda s, c: 0.0,
        cost_note="nothing (a negative lever: its cost is in the outcomes)",
        desc="Share of contacts with community and street offices marred by petty corruption: worse "
        "settlements, lost trust, diverted capacity.")


@dataclass(frozen=True)
class Lever:
    """A lever's declaration, read from :class:`PolicySpec`'s field (see :func:`L`).

    Attributes:
        cost: Yearly cost in 万元 given the scenario and its :class:`~sim.city.City`.
        cost_note: How the cost is reckoned, in words (published in the scenario reference).
    """

    name: str
    label: str
    term: str
    unit: str
    default: Any
    low: float
    high: float
    kind: str  # "float" | "int" | "bool"
    description: str
    cost: CostFn
    cost_note: str

    def yearly_cost(self, spec: ScenarioSpec, city: City | None = None) -> float:
        """This lever's yearly cost in 万元 for ``spec`` (its city built from ``spec.world`` if not given)."""
        return float(self.cost(spec, City.from_world(spec.world) if city is None else city))


def _levers() -> dict[str, Lever]:
    out: dict[str, Lever] = {}
    for name, f in PolicySpec.model_fields.items():
        extra = f.json_schema_extra or {}
        if not isinstance(extra, dict) or not extra.get("lever"):
            continue
        lo = hi = None
        cost = None
        for m in f.metadata:
            lo = getattr(m, "ge", lo)
            hi = getattr(m, "le", hi)
            cost = m if isinstance(m, _Cost) else cost
        assert cost is not None, f"lever {name} has no cost"
        kind = "bool" if f.annotation is bool else "int" if f.annotation is int else "float"
        out[name] = Lever(name=name, label=str(extra["label"]), term=str(extra["term"]), unit=str(extra["unit"]),
                          default=f.default, low=0.0 if lo is None else float(lo),
                          high=1.0 if hi is None else float(hi), kind=kind, description=f.description or "",
                          cost=cost.fn, cost_note=cost.note)
    return out


LEVERS: dict[str, Lever] = _levers()
"""Every lever by name, in declaration order."""

LEVER_COSTS: dict[str, Callable[[ScenarioSpec], float]] = {name: lv.yearly_cost for name, lv in LEVERS.items()}
"""Each lever's yearly cost as a function of the scenario alone (derived from :data:`LEVERS`)."""


def _per_100k(s: ScenarioSpec) -> float:
    return s.world.population / 100_000


_MOVED_TO_COSTS = ("lever_costs", "staff_cost", "yearly_cost")


def __getattr__(name: str) -> Any:
    """Compatibility only: the cost accounting moved to :mod:`sim.costs`; its old names still resolve here."""
    if name in _MOVED_TO_COSTS:
        from govsim.sim import costs  # deferred: costs imports this module

        return getattr(costs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
