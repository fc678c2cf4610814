"""The outcome registry.

One declaration per outcome feeds the DataCollector, run summaries, sweeps and the dashboard.

Counts are cumulative from day 0 (so the conservation identity holds on every row); shares are
ratios of cumulative counts; state variables (``open_issues``, ``mean_trust``, ``share_low_trust``,
``participation_rate``) are the value at the end of the day. A run's summary is the last row.

Conservation, at every step::

    issues_arisen == settled_self + settled_community + settled_street + settled_district
                     + settled_city + left_city + abandoned + open_issues
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from govsim.sim.levels import Level
from govsim.sim.scenario import ISSUE_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel


MOVE_LEFT_CITY = len(Level) + 2
LEFT_CITY_COLUMN = len(Level)
"""Column of ``Counts.community_ladder`` counting issues that left the city (columns 0–4: settled at that level)."""
ABANDONED_COLUMN = len(Level) + 1
"""Column of ``Counts.community_ladder`` counting issues given up."""
"""Column of :attr:`Counts.moves` for issues that left the city (the column before it is unused)."""


@dataclass
class Counts:
    """Running counters behind the outcomes (never recomputed by scanning issues or residents).

    Per-level lists (``settled``, ``attempts``, ``satisfied``, ``experiences``, ``failed``) are indexed
    by :class:`~sim.levels.Level`. ``moves[a, b]`` counts moves from ``a`` to ``b`` where 0 is "not yet
    known", ``level + 1`` a level and :data:`MOVE_LEFT_CITY` leaving the city.
    """

    n_communities: int
    arisen: int = 0
    reported: int = 0
    detected_early: int = 0
    settled: list[int] = field(default_factory=lambda: [0] * len(Level))
    left_city: int = 0
    left_city_hard: int = 0
    abandoned: int = 0
    open: int = 0
    resolution_days_sum: float = 0.0
    resolution_hist: np.ndarray = field(default_factory=lambda: np.zeros(4000, dtype=np.int64))
    cases_taken: int = 0
    capacity_offered: float = 0.0
    bounces: int = 0
    escalations: int = 0
    attempts: list[int] = field(default_factory=lambda: [0] * len(Level))
    satisfied: list[int] = field(default_factory=lambda: [0] * len(Level))
    experiences: list[int] = field(default_factory=lambda: [0] * len(Level))
    disputes: int = 0
    on_the_spot: int = 0
    community_closed: np.ndarray = field(init=False)
    community_settled: np.ndarray = field(init=False)
    community_ladder: np.ndarray = field(init=False)
    moves: np.ndarray = field(default_factory=lambda: np.zeros((len(Level) + 1, MOVE_LEFT_CITY + 1), dtype=np.int64))
    failed: list[int] = field(default_factory=lambda: [0] * len(Level))
    mediation_cases: np.ndarray = field(default_factory=lambda: np.zeros(len(ISSUE_TYPES), dtype=np.int64))
    mediation_settled: int = 0
    mediation_failed: int = 0
    whistles: int = 0
    patience_expired: int = 0
    deadlines_missed: int = 0
    waits: int = 0
    wait_days_sum: float = 0.0
    wait_hist: np.ndarray = field(default_factory=lambda: np.zeros(400, dtype=np.int64))
    known: int = 0
    known_days_sum: float = 0.0
    known_severity_sum: float = 0.0
    warning_flags: int = 0
    warning_found: int = 0
    false_alarms: int = 0
    warning_capacity: float = 0.0
    false_closures: int = 0
    repeat_complaints: int = 0
    collective: int = 0
    residents_involved: int = 0
    group_petitions: int = 0
    other_party_escalated: int = 0
    went_to_court: int = 0
    mediated_to_court: int = 0
    petition_office: int = 0
    centre_cases: int = 0
    centre_routed: np.ndarray = field(default_factory=lambda: np.zeros(5, dtype=np.int64))
    channel_settled: np.ndarray = field(default_factory=lambda: np.zeros(5, dtype=np.int64))
    channel_failed: np.ndarray = field(default_factory=lambda: np.zeros(5, dtype=np.int64))

    def record_wait(self, days: float) -> None:
        """A case was taken up after waiting ``days`` in a queue."""
        self.waits += 1
        self.wait_days_sum += days
        self.wait_hist[min(int(days), 399)] += 1

    def __post_init__(self) -> None:
        self.community_closed = np.zeros(self.n_communities, dtype=np.int64)
        self.community_settled = np.zeros(self.n_communities, dtype=np.int64)
        # per community: issues settled at self … city, then left the city, then given up
        self.community_ladder = np.zeros((self.n_communities, ABANDONED_COLUMN + 1), dtype=np.int64)

    @property
    def settled_total(self) -> int:
        """Issues settled at any level."""
        return sum(self.settled)


@dataclass(frozen=True)
class Outcome:
    """One outcome: its name, meaning, unit and which direction is better."""

    name: str
    description: str
    unit: str
    better: Literal["lower", "higher", "neither"]
    fn: Callable[[GovernanceModel], float]


def _closed(m: GovernanceModel) -> int:
    c = m.counts
    return c.settled_total + c.left_city + c.abandoned


def _share(num: float, den: float) -> float:
    return float(num) / den if den > 0 else 0.0


def _p90(m: GovernanceModel) -> float:
    hist = m.counts.resolution_hist
    total = hist.sum()
    if total == 0:
        return 0.0
    return float(np.searchsorted(np.cumsum(hist), 0.9 * total))


def _gini(values: np.ndarray) -> float:
    v = np.sort(values.astype(float))
    n = len(v)
    if n < 2 or v.sum() <= 0:
        return 0.0
    idx = np.arange(1, n + 1)
    return float((2 * idx - n - 1).dot(v) / (n * v.sum()))


def _approval(m: GovernanceModel, level: Level) -> float:
    return m.approval.mean(level)


def _mix(m: GovernanceModel, kind: str) -> float:
    cases = m.counts.mediation_cases
    return _share(cases[ISSUE_TYPES.index(kind)], cases.sum())


def _office_use(m: GovernanceModel, level: Level) -> tuple[np.ndarray, np.ndarray]:
    """(cases taken, case capacity offered) so far by each office of ``level``."""
    idx = np.nonzero(m.office_level == level)[0]
    return np.array([m.offices[i].taken for i in idx], dtype=float), m.offered[idx]


def _utilisation(level: Level) -> Callable[[GovernanceModel], float]:
    def fn(m: GovernanceModel) -> float:
        taken, offered = _office_use(m, level)
        return _share(taken.sum(), offered.sum())
    return fn


def _community_utilisation_sd(m: GovernanceModel) -> float:
    taken, offered = _office_use(m, Level.COMMUNITY)
    ok = offered > 0
    return float(np.std(taken[ok] / offered[ok])) if ok.sum() > 1 else 0.0


def _service_inequality(m: GovernanceModel) -> float:
    closed = m.counts.community_closed
    ok = closed > 0
    if ok.sum() < 2:
        return 0.0
    return _gini(m.counts.community_settled[ok] / closed[ok])


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in [
        Outcome("issues_arisen", "Issues (disputes and demands) that have arisen", "issues", "neither",
                lambda m: m.counts.arisen),
        Outcome("issues_reported", "Issues residents reported themselves (any channel, petitions included)",
                "issues", "neither", lambda m: m.counts.reported),
        Outcome("days_to_known", "Mean days from an issue arising to its becoming known to someone who can act "
                "(over issues that became known)", "days", "lower", lambda m: _share(m.counts.known_days_sum, m.counts.known)),
        Outcome("severity_when_known", "Mean severity of issues when they became known (立足于早、立足于小)", "0–1",
                "lower", lambda m: _share(m.counts.known_severity_sum, m.counts.known)),
        Outcome("false_closures", "Cases an office recorded closed that it had failed to settle (closed unsolved)",
                "cases", "lower", lambda m: m.counts.false_closures),
        Outcome("repeat_complaints", "Disputes reported again after being closed unsolved", "complaints", "lower",
                lambda m: m.counts.repeat_complaints),
        Outcome("settled_self", "Settled by self-governance (building heads, councils, neighbours)", "issues",
                "higher", lambda m: m.counts.settled[Level.SELF]),
        Outcome("settled_community", "Settled by the community (mediators, workers, grid members)", "issues",
                "higher", lambda m: m.counts.settled[Level.COMMUNITY]),
        Outcome("settled_street", "Settled by the street office", "issues", "neither", lambda m: m.counts.settled[Level.STREET]),
        Outcome("settled_district", "Settled by district departments or the district's channels (courts, public "
                "legal services, police, a conflict-resolution centre)", "issues", "neither",
                lambda m: m.counts.settled[Level.DISTRICT]),
        Outcome("settled_city", "Settled by city coordination or the city's petition office", "issues", "neither",
                lambda m: m.counts.settled[Level.CITY]),
        Outcome("left_city", "Issues that left the city (petitions beyond it): the failure state", "issues", "lower",
                lambda m: m.counts.left_city),
        Outcome("abandoned", "Issues whose resident gave up unsettled", "issues", "lower", lambda m: m.counts.abandoned),
        Outcome("open_issues", "Issues not yet closed (latent, queued, in handling or referred)", "issues", "lower",
                lambda m: m.counts.open),
        Outcome("share_settled_by_community", "Share of closed issues settled at or below community "
                "(小事不出村)", "share", "higher",
                lambda m: _share(m.counts.settled[Level.SELF] + m.counts.settled[Level.COMMUNITY], _closed(m))),
        Outcome("share_settled_by_street", "Share of closed issues settled at or below street (大事不出镇)",
                "share", "higher", lambda m: _share(sum(m.counts.settled[:Level.STREET + 1]), _closed(m))),
        Outcome("share_left_city", "Share of closed issues that left the city", "share", "lower",
                lambda m: _share(m.counts.left_city, _closed(m))),
        Outcome("mean_resolution_days", "Mean days from arising to settlement, over settled issues", "days", "lower",
                lambda m: _share(m.counts.resolution_days_sum, m.counts.settled_total)),
        Outcome("p90_resolution_days", "90th percentile of days from arising to settlement", "days", "lower", _p90),
        Outcome("mean_trust", "Mean trust of residents in local government", "0–1", "higher",
                lambda m: m.residents.mean_trust()),
        Outcome("share_low_trust", "Share of residents below the Tacitus threshold", "share", "lower",
                lambda m: m.residents.share_low_trust()),
        Outcome("participation_rate", "Mean willingness of residents to take part in community affairs",
                "probability", "higher", lambda m: m.residents.participation_rate(m.time)),
        Outcome("staff_utilisation", "Cases taken up over case capacity offered by all offices", "share", "neither",
                lambda m: _share(m.counts.cases_taken, m.counts.capacity_offered)),
        Outcome("collective_disputes", "Collective disputes (a group with a shared grievance: property fees, wage "
                "arrears, demolition) that have arisen", "disputes", "lower", lambda m: m.counts.collective),
        Outcome("group_petitions", "Group petitions (集体上访): collective disputes that escalated as a group to "
                "the petition office or a conflict-resolution centre", "petitions", "lower",
                lambda m: m.counts.group_petitions),
        Outcome("residents_involved", "Residents party to collective disputes (the groups' sizes summed)",
                "residents", "lower", lambda m: m.counts.residents_involved),
        Outcome("petitions", "Petitions (T11): cases residents took to the city's petition office themselves plus "
                "petitions above the city; cases a conflict-resolution centre routed to the petition office are "
                "counted by centre_to_petition_office", "petitions", "lower",
                lambda m: m.counts.petition_office + m.counts.left_city),
        Outcome("went_to_court", "Disputes a party took to court (a legal channel inside the city)", "cases",
                "neither", lambda m: m.counts.went_to_court),
        Outcome("cost", "Cost so far of staff and levers", "万元 (10,000 yuan)", "lower",
                lambda m: m.yearly_cost * m.time / 365.0),
        Outcome("service_inequality", "Gini coefficient across communities of the share of their closed issues "
                "that were settled", "Gini 0–1", "lower", _service_inequality),
    ]
}

OUTCOME_NAMES: tuple[str, ...] = tuple(OUTCOMES)

# Extra outcomes kept for calibration and validation (not part of the fixed contract list above).
EXTRA_OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in [
        Outcome("utilisation_community", "Cases communities took up over the case capacity their staff's other "
                "duties left them (ODD §5; too low is idle staff, near 1 is a backlog)", "share", "neither",
                _utilisation(Level.COMMUNITY)),
        Outcome("utilisation_community_sd", "Spread across communities of their utilisation (standard deviation)",
                "share", "lower", _community_utilisation_sd),
        Outcome("utilisation_street", "Cases streets took up over their case capacity", "share", "neither",
                _utilisation(Level.STREET)),
        Outcome("utilisation_district", "Cases district departments took up over their case capacity", "share",
                "neither", _utilisation(Level.DISTRICT)),
        Outcome("utilisation_city", "Cases the city centre took up over its case capacity", "share", "neither",
                _utilisation(Level.CITY)),
        Outcome("mean_wait_days", "Mean days a case waited in an office's queue before it was taken up", "days",
                "lower", lambda m: _share(m.counts.wait_days_sum, m.counts.waits)),
        Outcome("patience_expired", "Times a resident's patience ran out in a queue (they escalated or gave up)",
                "events", "lower", lambda m: m.counts.patience_expired),
        Outcome("deadlines_missed", "Hotline cases that missed their response deadline in a queue", "cases",
                "lower", lambda m: m.counts.deadlines_missed),
        Outcome("bounces", "Referrals sent to the wrong department (推诿)", "bounces", "lower",
                lambda m: m.counts.bounces),
        Outcome("escalations", "Times residents escalated on their own", "escalations", "lower",
                lambda m: m.counts.escalations),
        Outcome("mediation_success_rate", "People's mediation success (T1): settled share of the mediation cases "
                "(neighbour, family, property, labour, land) that community and street mediators tried; cases "
                "passed up for lack of authority or whistled to a department were not accepted and do not count",
                "share", "higher",
                lambda m: _share(m.counts.mediation_settled, m.counts.mediation_settled + m.counts.mediation_failed)),
        Outcome("satisfaction_community", "Timely share of settlement experiences at community level (settled "
                "within settlement.satisfied_days of being known, not corrupt)", "share", "higher",
                lambda m: _share(m.counts.satisfied[Level.COMMUNITY], m.counts.experiences[Level.COMMUNITY])),
        Outcome("satisfaction_street", "Timely share of settlement experiences at street level", "share",
                "higher", lambda m: _share(m.counts.satisfied[Level.STREET], m.counts.experiences[Level.STREET])),
        Outcome("satisfaction_district", "Timely share of settlement experiences at district level", "share",
                "higher", lambda m: _share(m.counts.satisfied[Level.DISTRICT], m.counts.experiences[Level.DISTRICT])),
        Outcome("satisfaction_city", "Timely share of settlement experiences at city level", "share",
                "higher", lambda m: _share(m.counts.satisfied[Level.CITY], m.counts.experiences[Level.CITY])),
        Outcome("approval_community", "Residents' general satisfaction with the community (mean approval: the "
                "chance a surveyed resident says satisfied)", "share", "higher", lambda m: _approval(m, Level.COMMUNITY)),
        Outcome("approval_street", "Residents' general satisfaction with the street / township (T10: 70 %)",
                "share", "higher", lambda m: _approval(m, Level.STREET)),
        Outcome("approval_district", "Residents' general satisfaction with the district / county (T10: 74 %)",
                "share", "higher", lambda m: _approval(m, Level.DISTRICT)),
        Outcome("approval_city", "Residents' general satisfaction with the city government (T10: between the "
                "county's 74 % and the province's 82 %)", "share", "higher", lambda m: _approval(m, Level.CITY)),
        Outcome("approval_gradient", "Hierarchical satisfaction (T10): mean rise of general satisfaction per "
                "level from street to city, (approval_city − approval_street)/2", "share per level", "neither",
                lambda m: (_approval(m, Level.CITY) - _approval(m, Level.STREET)) / 2.0),
        Outcome("disputes_per_1000", "Disputes (all but public-service demands) per 1,000 residents per year",
                "per 1,000 per year", "neither",
                lambda m: _share(m.counts.disputes * 1000.0 * 365.0, m.population * max(m.time, 1.0))),
        Outcome("mediated_per_1000", "Mediation cases taken up by community and street mediators per 1,000 "
                "residents per year (T4)", "per 1,000 per year", "neither",
                lambda m: _share(m.counts.mediation_cases.sum() * 1000.0 * 365.0, m.population * max(m.time, 1.0))),
        Outcome("cases_per_mediator", "Mediation cases per community and street mediator per year (T5)",
                "cases per year", "neither",
                lambda m: _share(m.counts.mediation_cases.sum() * 365.0, m.n_mediators * max(m.time, 1.0))),
        Outcome("mix_family", "Family share of mediation cases (T6: marriage/family 19–20 %)", "share", "neither",
                lambda m: _mix(m, "family")),
        Outcome("mix_neighbour", "Neighbour share of mediation cases (T6: 21–23 %)", "share", "neither",
                lambda m: _mix(m, "neighbour")),
        Outcome("items_per_grid", "Items known to the grid system (reported or found) per grid per year (T8)",
                "items per grid per year", "neither",
                lambda m: _share((m.counts.reported + m.counts.detected_early) * 365.0, m.n_grids * max(m.time, 1.0))),
        Outcome("share_resolved", "Settled share of all issues that arose (T8: ≈ 91 % of items closed)", "share",
                "higher", lambda m: _share(m.counts.settled_total, m.counts.arisen)),
        Outcome("share_unsolved", "Share of closed issues closed without a settlement (left the city or given up)",
                "share", "lower", lambda m: _share(m.counts.left_city + m.counts.abandoned, _closed(m))),
        Outcome("share_reaching_city", "Share of closed issues that reached the city or left it (the funnel's tail)",
                "share", "lower", lambda m: _share(m.counts.settled[Level.CITY] + m.counts.left_city, _closed(m))),
        Outcome("mediated_to_court", "Share of people's-mediation cases a party took to court after mediation "
                "failed (T2: ≈ 1 %)", "share", "neither",
                lambda m: _share(m.counts.mediated_to_court, m.counts.mediation_settled + m.counts.mediation_failed)),
        Outcome("centre_cases", "Cases a conflict-resolution centre received and routed", "cases", "neither",
                lambda m: m.counts.centre_cases),
        Outcome("centre_to_petition_office", "Cases a conflict-resolution centre routed to the petition office "
                "(T3: 21 % of its cases)", "cases", "neither", lambda m: m.counts.centre_routed[2]),
        Outcome("other_party_escalations", "Two-party disputes the second party carried on after the first gave "
                "up", "cases", "neither", lambda m: m.counts.other_party_escalated),
        Outcome("whistles", "Cases a street called a department to (吹哨报到)", "cases", "neither",
                lambda m: m.counts.whistles),
        Outcome("issues_found_proactively", "Issues found by grid members, building heads, party members or the "
                "risk score before the resident reported them (a count, not a measure of speed)", "issues", "neither",
                lambda m: m.counts.detected_early),
        Outcome("warning_found", "Issues the early-warning risk score found (true alarms' latent issues)", "issues",
                "higher", lambda m: m.counts.warning_found),
        Outcome("warning_false_alarms", "Buildings the risk score flagged where no issue was latent", "visits",
                "lower", lambda m: m.counts.false_alarms),
        Outcome("warning_capacity", "Community case capacity spent on the risk score's visits", "cases", "lower",
                lambda m: m.counts.warning_capacity),
        Outcome("left_city_hard_share", "Share of issues that left the city that were land/demolition or labour",
                "share", "neither", lambda m: _share(m.counts.left_city_hard, m.counts.left_city)),
    ]
}

ALL_OUTCOMES: dict[str, Outcome] = {**OUTCOMES, **EXTRA_OUTCOMES}
ALL_OUTCOME_NAMES: tuple[str, ...] = tuple(ALL_OUTCOMES)


def model_reporters() -> dict[str, Callable[[GovernanceModel], float]]:
    """Reporters for Mesa's DataCollector, one per outcome."""
    return {name: o.fn for name, o in ALL_OUTCOMES.items()}


def summarise(model: GovernanceModel) -> dict[str, float]:
    """Every outcome's current value."""
    return {name: float(o.fn(model)) for name, o in ALL_OUTCOMES.items()}
