"""GovernanceModel: a city's layers detect and settle disputes and demands, or let them leave the city.

One Mesa step is one day. The step does the day's bookkeeping that is cheap and vectorised
(arrivals of new issues, grid patrols where latent issues exist, offices taking up queued cases
within capacity, data collection); everything that happens to a single issue later — a report, a
detection, the end of a case's handling, a referral arriving, a resident's patience running out, a
hotline deadline — is a scheduled Mesa event at mid-day (``day + 0.5``). Residents are never
stepped, so the cost of a day grows with the issues in play, not with the number of residents.

Process names here are the ODD's (docs/ODD.md §3 and §7).
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from govsim.sim import metrics
from govsim.sim.agents import (
    CITY,
    COMMUNITY,
    DISTRICT,
    SELF,
    STREET,
    Channel,
    CityCentre,
    CommunityOffice,
    Department,
    GridMember,
    Issue,
    IssueState,
    Mediator,
    Office,
    PropertyFirm,
    Resident,
    ResidentTable,
    RiskShock,
    StreetOffice,
    Timer,
)
from govsim.sim.city import City
from govsim.sim.costs import yearly_cost
from govsim.sim.scenario import DEPARTMENTS, ISSUE_TYPES, LEVELS, MEDIATION_TYPES, ScenarioSpec
from mesa import DataCollector, Model
from mesa.time import Schedule

_PROACTIVE = (Channel.GRID, Channel.BUILDING_HEAD, Channel.PARTY_MEMBER, Channel.EARLY_WARNING)
_HARD_TYPES = (ISSUE_TYPES.index("land"), ISSUE_TYPES.index("labour"))
_MAX_BOUNCES = 3


@dataclass
class Counts:
    """Running counters behind the outcomes (never recomputed by scanning issues or residents)."""

    n_communities: int
    arisen: int = 0
    reported: int = 0
    detected_early: int = 0
    settled: list[int] = field(default_factory=lambda: [0] * 5)
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
    attempts: list[int] = field(default_factory=lambda: [0] * 5)
    satisfied: list[int] = field(default_factory=lambda: [0] * 5)
    experiences: list[int] = field(default_factory=lambda: [0] * 5)
    disputes: int = 0
    on_the_spot: int = 0
    community_closed: np.ndarray = field(init=False)
    community_settled: np.ndarray = field(init=False)
    moves: np.ndarray = field(default_factory=lambda: np.zeros((6, 8), dtype=np.int64))
    failed: list[int] = field(default_factory=lambda: [0] * 5)
    mediation_cases: np.ndarray = field(default_factory=lambda: np.zeros(len(ISSUE_TYPES), dtype=np.int64))
    mediation_settled: int = 0
    mediation_failed: int = 0
    whistles: int = 0

    def __post_init__(self) -> None:
        self.community_closed = np.zeros(self.n_communities, dtype=np.int64)
        self.community_settled = np.zeros(self.n_communities, dtype=np.int64)

    @property
    def settled_total(self) -> int:
        """Issues settled at any level."""
        return sum(self.settled)


class _Relapse:
    """A settlement that will not hold: the same dispute resurfaces later as a new issue."""

    __slots__ = ("model", "kind", "resident")

    def __init__(self, model: GovernanceModel, kind: int, resident: int) -> None:
        self.model = model
        self.kind = kind
        self.resident = resident

    def fire(self) -> None:
        self.model.relapse(self)


class SecretaryProject:
    """A secretary project (书记项目): extra staff and supply for a hotspot community for a period."""

    __slots__ = ("model", "community", "staff_capacity", "supply", "__weakref__")

    def __init__(self, model: GovernanceModel, community: int, staff_capacity: float, supply: float) -> None:
        self.model = model
        self.community = community
        self.staff_capacity = staff_capacity
        self.supply = supply

    def end(self) -> None:
        """The project's period is over."""
        self.model.end_secretary_project(self)


class GovernanceModel(Model):
    """Municipal social governance: the administrative tree, its offices and the issue ladder.

    Args:
        spec: The scenario (defaults to :class:`~sim.scenario.ScenarioSpec`'s defaults).
        rng: Seed or generator for all randomness (Mesa 3.5 ``rng=``).

    Attributes:
        spec: The frozen scenario.
        residents: The residents' state arrays.
        counts: Running counters behind the outcomes.
        open_issues: The open-issue registry (uid → issue); closed issues are dropped.
        datacollector: One row per day of every outcome in :data:`sim.metrics.ALL_OUTCOMES`.
    """

    def __init__(self, spec: ScenarioSpec | None = None, *, rng: int | np.random.Generator | np.random.SeedSequence |
                 None = None) -> None:
        super().__init__(rng=rng)
        self.spec = spec if spec is not None else ScenarioSpec()
        self._build_world()
        self._build_offices()
        self._build_channels()
        self._schedule_programmes()
        self.datacollector = DataCollector(model_reporters=metrics.model_reporters())
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ world

    def _build_world(self) -> None:
        s = self.spec
        w = s.world
        rng = self.rng
        self.world = city = City.from_world(w)
        n = self.population = city.population
        # the tree's counts and ranges, under the names the processes and outcomes read
        self.n_districts, self.n_streets = city.n_districts, city.n_streets
        self.n_communities, self.n_grids, self.n_buildings = city.n_communities, city.n_grids, city.n_buildings
        self.building_grid, self.grid_community = city.building_grid, city.grid_community
        self.community_street, self.street_district = city.community_street, city.street_district
        self.building_start, self.building_end = city.building_start, city.building_end
        self.community_start, self.community_size = city.community_start, city.community_size
        self.grid_residents, self.grid_households = city.grid_residents, city.grid_households
        res_building = city.resident_building

        trust = np.clip(rng.normal(w.initial_trust_mean, w.initial_trust_sd, n), 0.0, 1.0)
        party = rng.random(n) < w.party_member_share
        registered = party & (rng.random(n) < s.policy.party_member_return)
        self.residents = ResidentTable(
            n, trust, res_building, party, registered, w.participation_initial, w.participation_floor,
            w.participation_decay_per_year / 365.0, w.tacitus_threshold,
        )
        Resident.create_agents(self, n, np.arange(n))
        self.has_head = rng.random(self.n_buildings) < s.policy.building_heads
        self.district_capacity = city.district_capacity
        self.counts = Counts(self.n_communities)
        self.open_issues: dict[int, Issue] = {}
        self.latent_by_grid: dict[int, dict[int, Issue]] = {}
        self.open_by_community = np.zeros(self.n_communities, dtype=np.int64)
        self._next_uid = 0
        self._calendar: dict[float, list] = {}
        self._active_shocks: list[RiskShock] = []
        self._projects: list[SecretaryProject] = []
        self.project_active = np.zeros(self.n_communities, dtype=np.int64)  # running projects per community
        self.yearly_cost = yearly_cost(s, city)
        self._whistled: set[int] = set()  # uids of cases a street called a department to (吹哨)
        self._init_approval(trust)

    def _init_approval(self, trust: np.ndarray) -> None:
        """Residents' prior approval of each level of government (the survey's general satisfaction, T10).

        approval₀[L, i] = σ(logit τ_i + approval_offset + approval_distance·(L − street)). A survey asks
        everyone, and most respondents have never had a case at a level: their answer is a prior that
        grows with the level's distance (remote levels are known through policy and media, near ones
        through daily frictions; "hierarchical trust", Li Lianjiang 2004) blended with whatever
        experience they had with that level (:meth:`evaluate`). Rows 1–4 are community … city.
        """
        w = self.spec.world
        tau = np.clip(trust, 0.01, 0.99)
        base = np.log(tau / (1.0 - tau)) + w.approval_offset
        self.approval = np.zeros((5, len(trust)))
        for level in range(COMMUNITY, CITY + 1):
            self.approval[level] = 1.0 / (1.0 + np.exp(-(base + w.approval_distance * (level - STREET))))
        self.approval_sum = self.approval.sum(axis=1)

    def evaluate(self, r: int, level: int, good: bool, scale: float = 1.0) -> None:
        """Resident ``r``'s experience with ``level`` moves their approval of it (asymmetrically, like trust).

        A satisfying settlement closes the share ``world.trust_gain`` of the gap to 1; a failure, a bounce,
        a wait too long or a corrupt contact takes ``trust_gain · trust_loss_weight · scale`` of it away.
        """
        if level < COMMUNITY:
            return
        w = self.spec.world
        a = self.approval[level, r]
        new = a + w.trust_gain * (1.0 - a) if good else a - w.trust_gain * w.trust_loss_weight * scale * a
        self.approval[level, r] = new
        self.approval_sum[level] += new - a

    def _build_offices(self) -> None:
        s, p, e = self.spec, self.spec.policy, self.spec.effects
        rng = self.rng
        self.communities: list[CommunityOffice] = []
        self.streets: list[StreetOffice] = []
        self.departments: dict[tuple[int, int], Department] = {}
        corr_keep = 1.0 - p.grassroots_corruption * e.corruption_capacity_diversion
        prof = p.community_worker_professionalisation
        lv = s.levels

        def staff(office: Office, spec_level, dcap: float, skill_gain: float = 0.0) -> None:
            k = max(1, round(spec_level.staff_per_unit * dcap)) if spec_level.staff_per_unit > 0 else 0
            mean = min(0.98, spec_level.skill + skill_gain)
            conc = 20.0
            skills = rng.beta(mean * conc, (1 - mean) * conc, k) if 0 < mean < 1 else np.full(k, mean)
            office.mediators = [Mediator(self, office, sk) for sk in skills]

        for c in range(self.n_communities):
            st = int(self.community_street[c])
            d = int(self.street_district[st])
            dcap = float(self.district_capacity[d])
            o = CommunityOffice(self, COMMUNITY, d, st, c)
            o.capacity = (lv.community.staff_per_unit * lv.community.cases_per_staff_day * dcap
                          * (1 + p.party_building_alliance * e.alliance_capacity_gain)
                          * (1 - e.turnover_capacity_loss * (1 - prof)) * corr_keep)
            staff(o, lv.community, dcap, prof * e.professionalisation_skill_gain)
            self.communities.append(o)
        share0 = p.street_service_share
        share = share0 + p.street_refocus * (1 - share0)
        for st in range(self.n_streets):
            d = int(self.street_district[st])
            dcap = float(self.district_capacity[d])
            o = StreetOffice(self, STREET, d, st)
            o.service_share = share
            # capacity grows with the service share; a base share under 1 % is read as 1 % so that a
            # (valid) near-zero base share cannot make the gain overflow
            refocus_gain = share / max(share0, 0.01)
            o.capacity = lv.street.staff_per_unit * lv.street.cases_per_staff_day * dcap * refocus_gain * corr_keep
            # Refocus (取消招商引资、协税护税): staff no longer pulled away to investment and tax work give
            # a case their attention at once, so a street case is handled faster, not only more of them.
            o.handling_factor = 1.0 - p.street_refocus * e.refocus_handling_cut
            staff(o, lv.street, dcap)
            self.streets.append(o)
        for d in range(self.n_districts):
            dcap = float(self.district_capacity[d])
            for k in range(len(DEPARTMENTS)):
                o = Department(self, DISTRICT, d)
                o.domain = k
                o.capacity = lv.district.staff_per_unit * lv.district.cases_per_staff_day * dcap
                staff(o, lv.district, dcap)
                self.departments[(d, k)] = o
        self.city = CityCentre(self, CITY)
        self.city.capacity = lv.city.staff_per_unit * lv.city.cases_per_staff_day
        staff(self.city, lv.city, 1.0)
        self.offices: list[Office] = [*self.communities, *self.streets, *self.departments.values(), self.city]
        self.n_mediators = sum(len(o.mediators) for o in self.communities + self.streets)
        self._busy: set[int] = set()  # indices into self.offices with a non-empty queue
        for i, o in enumerate(self.offices):
            o.index = i
        self.total_capacity = float(sum(o.capacity for o in self.offices))
        joint = rng.random(self.n_communities) < p.red_property
        self.firms = [PropertyFirm(self, c, bool(joint[c])) for c in range(self.n_communities)]
        self._joint_meetings = np.array([f.joint_meetings for f in self.firms], dtype=bool)  # per community

    def _build_channels(self) -> None:
        """Detection hazards and level-0 availability per grid (volunteers) and the arrival rates."""
        s, p, e, g = self.spec, self.spec.policy, self.spec.effects, self.spec.grid
        res = self.residents
        res_grid = self.building_grid[res.building]
        hours = np.bincount(res_grid[res.registered], minlength=self.n_grids) * p.party_member_hours_per_month
        hh = self.grid_households
        self.pm_hazard = 1.0 - np.exp(-hours * e.party_member_households_per_hour / hh / 30.0)
        self.pm_availability = 1.0 - np.exp(-hours * e.party_member_mediation_per_hour * 100.0 / hh)
        self.council_availability = p.self_governance * e.council_availability
        self.registered_by_grid: dict[int, np.ndarray] = {}
        n_gm = round(self.population / 10_000 * p.grid_members_per_10k)
        self.grid_members: dict[int, list[GridMember]] = {}
        if n_gm > 0:
            for k in range(n_gm):
                gid = (k * self.n_grids) // n_gm
                self.grid_members.setdefault(gid, []).append(GridMember(self, gid, g.caseload_per_day))
        # arrival rates per community and issue type (per day)
        self.supply = np.full(self.n_communities, s.world.public_service_supply)
        self.supply *= self.district_capacity[self.street_district[self.community_street]]
        self.supply *= 1 + p.party_building_alliance * e.alliance_supply_gain
        self.shock_mult = np.ones((self.n_communities, len(ISSUE_TYPES)))
        self.shock_boost = np.zeros((self.n_communities, len(ISSUE_TYPES)))
        types = [s.issues.get(t) for t in ISSUE_TYPES]
        self._type_rate = np.array([t.rate_per_1000 / 1000.0 / 365.0 for t in types])
        self._type_supply_sens = np.array([t.supply_sensitivity for t in types])
        self._type_moral = np.array([1 - t.moral_sensitivity * p.moral_governance for t in types])
        self._type_sev = np.array([t.severity_initial for t in types])
        self._type_growth = np.array([t.severity_growth for t in types])
        self._type_auth = np.array([LEVELS.index(t.authority) for t in types])
        self._type_escalate = np.array([t.escalate_severity for t in types])
        self._type_dept = np.array([DEPARTMENTS.index(t.department) for t in types])
        self._type_enforcement = np.array([t.enforcement for t in types])
        self._type_property = np.array([t.property_related for t in types])
        self._type_cross = np.array([t.cross_unit for t in types])
        self._type_dispute = np.array([t != "public_service" for t in ISSUE_TYPES])
        self._type_mediation = np.array([t in MEDIATION_TYPES for t in ISSUE_TYPES])
        self._update_rates()

    def _update_rates(self) -> None:
        supply_gap = 1.0 - self.supply  # negative when supply exceeds need
        mult = np.clip(1.0 + np.outer(supply_gap, self._type_supply_sens), 0.1, None)
        self.rates = (self.community_size[:, None] * self._type_rate[None, :] * self._type_moral[None, :]
                      * mult * self.shock_mult)

    def _schedule_programmes(self) -> None:
        s, p, e = self.spec, self.spec.policy, self.spec.effects
        reach = e.activity_reach_per_month * (1 - (1 - p.self_governance) * (1 - p.party_building_alliance))
        self._activity_reach = reach
        if reach > 0:
            self.schedule_recurring(self.organised_activities, Schedule(interval=30, start=29.75))
        if p.grassroots_corruption > 0 and e.routine_contacts_per_year > 0:
            # who has a corrupt contact comes from a child stream (spawning draws nothing from self.rng),
            # so the corruption level shifts fewer of the main stream's draws between compared scenarios
            self._contact_rng = self.rng.spawn(1)[0]
            self.schedule_recurring(self.routine_contacts, Schedule(interval=30, start=29.5))
        if p.secretary_projects > 0:
            interval = 365.0 / p.secretary_projects
            self.schedule_recurring(self.start_secretary_project, Schedule(interval=interval, start=0.75))
        self.shocks: list[RiskShock] = []
        for i, sh in enumerate(s.shocks):
            agent = RiskShock(self, i, sh.name)
            self.shocks.append(agent)
            self.schedule_event(agent.start, at=max(0.0, sh.day - 0.25))
            self.schedule_event(agent.end, at=sh.day + sh.duration_days - 0.25)

    # ------------------------------------------------------------------ the day

    def step(self) -> None:
        """One day: arrivals, patrols, offices take up cases, collect the outcomes."""
        self.arise_issues()
        for gid in sorted(g for g, latent in self.latent_by_grid.items() if latent and g in self.grid_members):
            members = self.grid_members[gid]
            for k in self.rng.permutation(len(members)):
                members[k].patrol()
        self.counts.capacity_offered += self.total_capacity
        for i in sorted(self._busy):
            self.offices[i].take_up_cases()
        self.datacollector.collect(self)

    def _after(self, days: float) -> float:
        """Absolute event time ``days`` whole days from today, at mid-day."""
        return math.floor(self.time) + max(0, int(days)) + 0.5

    def _timer(self, issue: Issue, action: str, days: float) -> None:
        self._enqueue(Timer(self, issue, action).fire, days)

    def _enqueue(self, fn, days: float) -> None:
        """Put a case event on the model's calendar ``days`` whole days from today, at mid-day.

        All case events of one mid-day share one Mesa event (:meth:`run_calendar`), run in the order
        they were scheduled — the order Mesa's event list would give them — at a fraction of the cost
        of one heap entry per event. The calendar holds them strongly, so no weak-reference bookkeeping
        is needed; events of closed issues find their issue moved on and do nothing.
        """
        at = self._after(days)
        bucket = self._calendar.get(at)
        if bucket is None:
            bucket = self._calendar[at] = []
            self.schedule_event(self.run_calendar, at=at)
        bucket.append(fn)

    def run_calendar(self) -> None:
        """Run today's case events (reports, detections, handling, referrals, patience, deadlines, relapses)."""
        at = self.time
        bucket = self._calendar.get(at, [])
        i = 0
        while i < len(bucket):  # events scheduled for today while running are appended and run too
            bucket[i]()
            i += 1
        self._calendar.pop(at, None)

    def _delay(self, mean: float) -> int:
        return int(self.rng.poisson(mean)) if mean > 0 else 0

    def arise_issues(self) -> None:
        """New issues arise by community and type (Poisson, vectorised); each gets its detection clocks."""
        counts = self.rng.poisson(self.rates)
        total = int(counts.sum())
        if total == 0:
            return
        rng = self.rng
        comm_idx, type_idx = np.nonzero(counts)
        reps = counts[comm_idx, type_idx]
        comm = np.repeat(comm_idx, reps)
        kind = np.repeat(type_idx, reps)
        res_idx = self.community_start[comm] + (rng.random(total) * self.community_size[comm]).astype(np.int64)
        self._create_issues(comm, kind, res_idx)

    def _create_issues(self, comm: np.ndarray, kind: np.ndarray, res_idx: np.ndarray,
                       extra_severity: float = 0.0) -> list[Issue]:
        """Create issues with vectorised draws: severity, authority after the levers, and their clocks.

        The clocks are the resident's decision to report (or to stay silent and reconsider) and the
        earliest proactive detection by a building head, a party-member volunteer or the early-warning score.
        """
        s, p, b, e = self.spec, self.spec.policy, self.spec.behaviour, self.spec.effects
        rng = self.rng
        total = len(comm)
        conc = s.world.severity_concentration
        m = np.clip(self._type_sev[kind] + self.shock_boost[comm, kind] + extra_severity, 0.01, 0.99)
        sev = rng.beta(m * conc, (1 - m) * conc)
        u_emp, u_joint, u_report, u_bh, u_pm, u_ew = rng.random((6, total))
        trust = self.residents.trust[res_idx]
        building = self.residents.building[res_idx]
        grid = self.building_grid[building]
        head = self.has_head[building]
        now = self.time
        part = self.residents.floor + self.residents.q[res_idx] * math.exp(-self.residents.decay * now)
        logit = self.report_logit(trust, sev, part, head)
        reports = u_report < 1.0 / (1.0 + np.exp(-logit))
        # a hotline is open at any hour: residents who decide to report do so sooner (接诉即办)
        report_delay = rng.poisson(b.report_delay_days * (1.0 - e.hotline_report_delay_cut * float(p.hotline_response)),
                                   total)
        # authority after the levers that move it down the ladder (decided once per issue)
        auth = self._type_auth[kind].copy()
        emp = self._type_enforcement[kind] & (auth == DISTRICT) & (u_emp < p.street_empowerment)
        auth[emp] = STREET
        red = self._type_property[kind] & (auth == STREET) & self._joint_meetings[comm]
        auth[red] = COMMUNITY
        joint = self._type_cross[kind] & (auth == STREET) & (u_joint < p.party_building_alliance)
        auth[joint] = COMMUNITY
        if self._projects:
            # a secretary project brings the street's authority down to its hotspot community (下放权力)
            u_proj = rng.random(total)  # drawn only while a project runs: other runs keep their stream
            proj = (self.project_active[comm] > 0) & (auth == STREET) & (u_proj < e.secretary_authority_share)
            auth[proj] = COMMUNITY
        # proactive detection clocks (geometric waiting times); the earliest wins
        with np.errstate(divide="ignore", over="ignore"):  # a zero or vanishing hazard means "never" (inf)
            t_bh = np.where(head, np.floor(np.log(u_bh) / np.log1p(-e.building_head_detection_per_day))
                            if e.building_head_detection_per_day < 1 else 0.0, np.inf)
            hz = self.pm_hazard[grid]
            t_pm = np.where(hz > 0, np.floor(np.log(u_pm) / np.log1p(-np.minimum(hz, 0.999999))), np.inf)
        loc_street = self.community_street[comm]
        loc_district = self.street_district[loc_street]
        self.counts.arisen += total
        self.counts.open += total
        self.counts.disputes += int(self._type_dispute[kind].sum())
        np.add.at(self.open_by_community, comm, 1)
        created: list[Issue] = []
        for j in range(total):
            k = int(kind[j])
            issue = Issue(self._next_uid, k, int(res_idx[j]),
                          (int(building[j]), int(grid[j]), int(comm[j]), int(loc_street[j]), int(loc_district[j])),
                          now, float(sev[j]), float(self._type_growth[k]), int(auth[j]), float(self._type_escalate[k]))
            self._next_uid += 1
            self.open_issues[issue.uid] = issue
            self.latent_by_grid.setdefault(issue.grid, {})[issue.uid] = issue
            # early warning: the risk score flags the issue when its severity crosses the threshold
            t_ew = math.inf
            if p.early_warning > 0 and u_ew[j] < p.early_warning:
                days = issue.days_to_severity(p.early_warning_threshold, now)
                if days < b.max_silent_days:  # an issue that never gets that severe is never flagged
                    t_ew = math.ceil(days)
            first = min((t_bh[j], Channel.BUILDING_HEAD), (t_pm[j], Channel.PARTY_MEMBER),
                        (t_ew, Channel.EARLY_WARNING))
            if first[0] < b.max_silent_days:
                issue.channel = int(first[1])
                self._timer(issue, "detect", first[0])
            if reports[j]:
                self._timer(issue, "report", report_delay[j])
            else:
                self._timer(issue, "reconsider", b.reconsider_days)
            created.append(issue)
        return created

    # ------------------------------------------------------------------ detection and reporting

    def on_detect(self, issue: Issue) -> None:
        """A building head, a party-member volunteer or the early-warning score finds a latent issue."""
        self.detect(issue, Channel(issue.channel))

    def on_report(self, issue: Issue) -> None:
        """The resident reports the issue."""
        self.detect(issue, Channel.REPORT)

    def report_logit(self, trust, severity, participation, head):
        """Log-odds that a resident reports an issue (scalars or arrays of one length).

        Trust and expected benefit (severity) raise it, so does participation; the cost of reporting
        is lowered by the hotline and by a building head; below the Tacitus threshold the resident no
        longer believes the local channels will help.
        """
        b, p, e = self.spec.behaviour, self.spec.policy, self.spec.effects
        cost = (b.report_cost - p.hotline_cost_reduction * float(p.hotline_response)
                - e.building_head_report_cost_cut * head)
        return (b.report_intercept + b.report_trust_weight * trust + b.report_benefit_weight * severity
                + e.participation_report_weight * participation - cost
                - b.distrust_report_penalty * (trust < self.residents.threshold))

    def on_reconsider(self, issue: Issue) -> None:
        """A silent resident weighs the issue again: report, keep waiting, or give up."""
        b = self.spec.behaviour
        now = self.time
        r = issue.resident
        logit = self.report_logit(self.residents.trust[r], issue.severity(now),
                                  self.residents.participation(r, now), float(self.has_head[issue.building]))
        if self.rng.random() < 1.0 / (1.0 + math.exp(-logit)):
            self.detect(issue, Channel.REPORT)
        elif now - issue.born >= b.max_silent_days:
            self.abandon(issue)
        else:
            self._timer(issue, "reconsider", b.reconsider_days)

    def patrol(self, member: GridMember) -> None:
        """Grid patrol: each latent issue in the grid is found with the visit-and-notice chance, up to the caseload."""
        latent = self.latent_by_grid.get(member.grid)
        if not latent:
            return
        g = self.spec.grid
        visit = min(1.0, g.households_per_member_day / self.grid_households[member.grid])
        p_find = visit * g.patrol_sensitivity
        if p_find <= 0:
            return
        budget = member.caseload
        issues = list(latent.values())
        draws = self.rng.random(len(issues))
        for issue, u in zip(issues, draws, strict=True):
            if budget < 1:
                break
            if u < p_find:
                budget -= 1
                member.found += 1
                self.detect(issue, Channel.GRID)

    def detect(self, issue: Issue, channel: Channel) -> None:
        """An issue becomes known to someone who can act: route it to the first level that will handle it."""
        p, b, g = self.spec.policy, self.spec.behaviour, self.spec.grid
        now = self.time
        rng = self.rng
        latent = self.latent_by_grid.get(issue.grid)
        if latent is not None:
            latent.pop(issue.uid, None)
        issue.known_at = now
        issue.channel = int(channel)
        issue.history.append((now, "known:" + channel.name.lower(), -1))
        if channel in _PROACTIVE:
            self.counts.detected_early += 1
        else:
            self.counts.reported += 1
        if channel == Channel.PARTY_MEMBER:
            self.residents.reinforce(issue.resident, self.spec.world.participation_reinforcement
                                     * self.spec.effects.party_member_example, now)
        auth = issue.authority(now)
        trust = self.residents.trust[issue.resident]
        if channel == Channel.REPORT:
            if trust < self.residents.threshold and rng.random() < b.skip_probability:
                # distrust: skip the local channels altogether (越级上访)
                if rng.random() < b.petition_propensity:
                    issue.channel = int(Channel.PETITION)
                    self.leave_city(issue)
                else:
                    self.file_at(issue, CITY)
                return
            if p.hotline_response:
                issue.hotline = True
                issue.channel = int(Channel.HOTLINE)
                self.file_at(issue, max(COMMUNITY, auth) if auth > SELF or not self._level0(issue) else SELF)
                return
        if channel == Channel.GRID and auth == SELF and issue.severity(now) < issue.escalate_at \
                and rng.random() < g.on_the_spot_share:
            issue.level = COMMUNITY
            self.counts.on_the_spot += 1  # settled by the grid member, not a mediation case (T1 counts cases)
            self.settle(issue, COMMUNITY)
            return
        if channel == Channel.EARLY_WARNING:
            issue.flagged = True
            self.file_at(issue, max(COMMUNITY, auth) if auth > SELF else COMMUNITY)
            return
        if auth == SELF and self._level0(issue):
            self.file_at(issue, SELF)
        elif channel == Channel.GRID and auth > COMMUNITY and rng.random() < p.data_sharing:
            self.file_at(issue, auth)  # the integrated platform dispatches straight to the responsible level
        else:
            self.file_at(issue, COMMUNITY)

    def _level0(self, issue: Issue) -> bool:
        """Whether a building head, a party-member volunteer or a residents' council takes the issue up."""
        a = 1.0 - ((1.0 - float(self.has_head[issue.building])) * (1.0 - self.pm_availability[issue.grid])
                   * (1.0 - self.council_availability))
        return bool(self.rng.random() < a)

    # ------------------------------------------------------------------ the ladder

    def office_for(self, issue: Issue, level: int) -> Office:
        """The office at ``level`` responsible for the issue."""
        if level == COMMUNITY:
            return self.communities[issue.community]
        if level == STREET:
            return self.streets[issue.street]
        if level == DISTRICT:
            return self.departments[(issue.district, int(self._type_dept[issue.kind]))]
        return self.city

    def file_at(self, issue: Issue, level: int, arrived: bool = False) -> None:
        """File the issue at ``level``: level 0 takes it up at once, offices queue it."""
        lv = self.spec.levels.of(level)
        now = self.time
        if not arrived:  # moves of referred and escalated cases are counted when they are sent
            self.counts.moves[issue.level + 1, level + 1] += 1
        issue.stage += 1
        issue.level = level
        issue.history.append((now, "filed", level))
        if level == SELF:
            issue.state = IssueState.IN_HANDLING
            issue.freeze(now)
            self.counts.attempts[SELF] += 1
            self._timer(issue, "handled", self._delay(lv.handling_days))
            return
        office = self.office_for(issue, level)
        issue.state = IssueState.QUEUED
        issue.office = office
        issue.thaw(now)
        if issue.flagged:
            office.queue.appendleft(issue)
        else:
            office.queue.append(issue)
        self._busy.add(office.index)
        if issue.hotline:
            self._timer(issue, "deadline", self.spec.policy.hotline_deadline_days)
        else:
            self._timer(issue, "patience", lv.patience_days)

    def take_up(self, office: Office) -> None:
        """An office takes up queued cases within today's capacity (early-warning flags go first)."""
        cap = office.capacity + office.extra_capacity + office.carry
        n = int(cap)
        office.carry = cap - n
        q = office.queue
        lv = self.spec.levels.of(office.level)
        p = self.spec.policy
        now = self.time
        if p.early_warning > 0 and n > 0 and len(q) > n:
            self._prioritise(office)
        while n > 0 and q:
            issue = q.popleft()
            if issue.state != IssueState.QUEUED or issue.office is not office:
                continue  # stale entry: the resident escalated or gave up while waiting
            n -= 1
            issue.stage += 1
            issue.state = IssueState.IN_HANDLING
            issue.freeze(now)
            issue.handler = office.next_handler()
            if issue.handler is not None:
                issue.handler.cases += 1
            issue.corrupt = office.level in (COMMUNITY, STREET) and self.rng.random() < p.grassroots_corruption
            office.taken += 1
            self.counts.cases_taken += 1
            self.counts.attempts[office.level] += 1
            if office.level in (COMMUNITY, STREET) and self._type_mediation[issue.kind]:
                self.counts.mediation_cases[issue.kind] += 1
            self._timer(issue, "handled", self._delay(lv.handling_days * office.handling_factor))
        if not q:
            self._busy.discard(office.index)

    def _prioritise(self, office: Office) -> None:
        """Early warning: the risk score moves the most severe waiting cases to the front."""
        now = self.time
        live = [i for i in office.queue if i.state == IssueState.QUEUED and i.office is office]
        k = int(round(len(live) * self.spec.policy.early_warning))
        if k <= 0:
            office.queue = type(office.queue)(live)
            return
        ranked = sorted(live, key=lambda i: (-i.severity(now), i.uid))
        top = ranked[:k]
        top_ids = {i.uid for i in top}
        office.queue = type(office.queue)(top + [i for i in live if i.uid not in top_ids])

    def on_handled(self, issue: Issue) -> None:
        """A handler finishes with a case: settle it, refer it up (no authority), or fail."""
        s = self.spec
        st, p, e = s.settlement, s.policy, s.effects
        now = self.time
        level = issue.level
        if level < issue.authority(now) and not self._street_commands(issue, level):
            self.refer(issue)
            return
        if self._street_whistles(issue, level):
            return
        lv = s.levels.of(level)
        r = issue.resident
        trust = self.residents.trust[r]
        sev = issue.severity(now)
        skill = issue.handler.skill if (issue.handler is not None and level > SELF) else lv.skill
        logit = (lv.settle_intercept + st.skill_weight * skill + st.legal_weight * p.rule_of_law
                 - st.severity_weight * sev - st.age_weight * (now - issue.born) / 30.0
                 + st.trust_weight * (trust - 0.5))
        if level == SELF:
            logit += e.participation_settle_weight * (self.residents.participation(r, now) - 0.5)
        if level == COMMUNITY and self._type_property[issue.kind] and self.firms[issue.community].joint_meetings:
            logit += e.red_property_settle_bonus
        if level == STREET and self._type_enforcement[issue.kind]:
            # alone, the street sees an enforcement problem but lacks the powers (看得见管不了)
            logit -= s.departments.street_enforcement_penalty * (1.0 - p.street_empowerment)
        if level == DISTRICT and issue.uid in self._whistled:
            logit += s.departments.whistle_settle_bonus  # joint handling: the street called, the department came
        if issue.corrupt:
            logit -= e.corruption_settle_penalty
            self.lose_trust(r, e.corruption_trust_hit)
            self.evaluate(r, level, False, e.corruption_trust_hit)
        mediation = level in (COMMUNITY, STREET) and bool(self._type_mediation[issue.kind])
        if self.rng.random() < 1.0 / (1.0 + math.exp(-logit)):
            if mediation:
                self.counts.mediation_settled += 1
            self.settle(issue, level)
        elif level == SELF:
            self.file_at(issue, COMMUNITY)  # the building head hands it to the community
        else:
            self.counts.failed[level] += 1
            if mediation:
                self.counts.mediation_failed += 1
            self.lose_trust(r, 1.0)
            self.evaluate(r, level, False)
            issue.history.append((now, "failed", level))
            self.resident_reacts(issue)

    def _street_commands(self, issue: Issue, level: int) -> bool:
        """Whether an empowered street keeps an enforcement case that now needs a department.

        With the five powers (五项权力) the departments' enforcement teams posted in the street take
        the street's orders, so an enforcement issue that has intensified beyond the street's own
        authority is still settled there instead of being passed up ("看得见管不了" ends). The draw is
        made only when the lever is on, so runs without it keep their random stream.
        """
        p = self.spec.policy
        return (level == STREET and p.street_empowerment > 0 and bool(self._type_enforcement[issue.kind])
                and issue.authority(self.time) == DISTRICT and self.rng.random() < p.street_empowerment)

    def _street_whistles(self, issue: Issue, level: int) -> bool:
        """Whether the street calls the responsible department to a case it could try alone (吹哨报到).

        The whistle rate is ``departments.whistle_propensity``; a called department must come: the case
        goes into its queue after ``departments.whistle_days`` without a bounce and, handled jointly,
        settles more easily (``departments.whistle_settle_bonus``). Too few whistles leave hard cases to a
        street that fails more often; too many fill departments' queues when their capacity binds. The
        draw is made only when the rate is above 0, so runs without whistles keep their random stream.
        """
        d = self.spec.departments
        if level != STREET or d.whistle_propensity <= 0 or issue.uid in self._whistled:
            return False
        if self.rng.random() >= d.whistle_propensity:
            return False
        self._whistled.add(issue.uid)
        self.counts.whistles += 1
        days = d.whistle_days * (1.0 - self.spec.policy.data_sharing * self.spec.effects.data_sharing_referral_cut)
        self._send(issue, DISTRICT, self._delay(days), "whistle")
        return True

    def refer(self, issue: Issue) -> None:
        """The level lacks the authority: refer the case one level up after the referral delay."""
        s, p, e = self.spec, self.spec.policy, self.spec.effects
        level = issue.level
        days = s.levels.of(level).referral_days
        if level == STREET and self.rng.random() < p.street_empowerment:
            days = s.departments.whistle_days  # the street's call: departments must report (吹哨报到)
        days *= 1.0 - p.data_sharing * e.data_sharing_referral_cut
        self._send(issue, level + 1, self._delay(days), "referred")

    def _send(self, issue: Issue, target: int, days: int, why: str) -> None:
        now = self.time
        self.counts.moves[issue.level + 1, target + 1] += 1
        issue.stage += 1
        issue.state = IssueState.REFERRED
        issue.history.append((now, why, target))
        issue.level = target
        issue.office = None
        issue.thaw(now)
        self._timer(issue, "arrive", days)

    def on_arrive(self, issue: Issue) -> None:
        """A referred or escalated case reaches its level; siloed departments may bounce it (推诿)."""
        d = self.spec.departments
        target = issue.level
        if target == DISTRICT and issue.bounces < _MAX_BOUNCES and issue.uid not in self._whistled:
            p_bounce = d.bounce_probability * (1.0 - self.spec.policy.data_sharing)
            if self.rng.random() < p_bounce:
                issue.bounces += 1
                self.counts.bounces += 1
                self.lose_trust(issue.resident, 0.5)
                self.evaluate(issue.resident, DISTRICT, False, 0.5)
                issue.stage += 1
                issue.history.append((self.time, "bounced", target))
                self._timer(issue, "arrive", self._delay(d.bounce_days))
                return
        self.file_at(issue, target, arrived=True)

    def on_patience(self, issue: Issue) -> None:
        """The resident has waited too long in a queue: they escalate on their own, or give up."""
        if issue.state != IssueState.QUEUED:
            return
        self.lose_trust(issue.resident, 0.5)
        self.evaluate(issue.resident, issue.level, False, 0.5)
        issue.history.append((self.time, "waited too long", issue.level))
        self.resident_reacts(issue)

    def on_deadline(self, issue: Issue) -> None:
        """A hotline case missed its deadline: trust suffers and the case is escalated under supervision."""
        if issue.state != IssueState.QUEUED:
            return
        self.lose_trust(issue.resident, 0.5)
        issue.flagged = True  # supervised: goes to the front of the next queue
        if issue.level >= CITY:
            self.resident_reacts(issue)
        else:
            self._send(issue, issue.level + 1, 0, "deadline missed")

    def resident_reacts(self, issue: Issue) -> None:
        """After a failure or a long wait the resident gives up, escalates one level, or skips levels.

        A distrustful resident (below the Tacitus threshold) may skip to the city or petition beyond it.
        """
        b = self.spec.behaviour
        rng = self.rng
        now = self.time
        trust = self.residents.trust[issue.resident]
        if rng.random() < b.give_up_base * (1.0 - issue.severity(now)):
            self.abandon(issue)
            return
        self.counts.escalations += 1
        target = issue.level + 1
        distrust = trust < self.residents.threshold
        if distrust and rng.random() < b.skip_probability:
            target = CITY
        if target > CITY or (target == CITY and distrust and rng.random() < b.petition_propensity):
            self.leave_city(issue)
            return
        self._send(issue, target, 1, "escalated by resident")

    # ------------------------------------------------------------------ endings

    def settle(self, issue: Issue, level: int) -> None:
        """The issue is settled at ``level``; a timely, clean settlement raises the resident's trust."""
        s = self.spec
        now = self.time
        c = self.counts
        issue.state = IssueState.SETTLED
        issue.level = level
        c.settled[level] += 1
        days = now - issue.born
        c.resolution_days_sum += days
        c.resolution_hist[min(int(round(days)), len(c.resolution_hist) - 1)] += 1
        c.community_closed[issue.community] += 1
        c.community_settled[issue.community] += 1
        c.experiences[level] += 1
        satisfied = (now - issue.known_at) <= s.settlement.satisfied_days and not issue.corrupt
        if satisfied:
            c.satisfied[level] += 1
            self.gain_trust(issue.resident)
            self.evaluate(issue.resident, level, True)
            self.residents.reinforce(issue.resident, s.world.participation_reinforcement, now)
        p_relapse = (s.settlement.relapse_base * (1.0 - s.policy.rule_of_law)
                     * (s.settlement.relapse_corrupt_multiplier if issue.corrupt else 1.0))
        if self.rng.random() < p_relapse:
            rel = _Relapse(self, issue.kind, issue.resident)
            self._enqueue(rel.fire, 1 + self._delay(s.settlement.relapse_days))
        issue.history.append((now, "settled", level))
        self._close(issue)

    def leave_city(self, issue: Issue) -> None:
        """The issue leaves the city (a petition beyond it): the failure the design exists to avoid."""
        issue.state = IssueState.LEFT_CITY
        self.counts.moves[issue.level + 1, 7] += 1
        self.counts.left_city += 1
        if issue.kind in _HARD_TYPES:
            self.counts.left_city_hard += 1
        self.counts.community_closed[issue.community] += 1
        self.lose_trust(issue.resident, 1.0)
        # the petitioner blames the level they were last dealing with (the community if they never filed)
        self.evaluate(issue.resident, max(issue.level, COMMUNITY), False)
        issue.history.append((self.time, "left city", CITY))
        self._close(issue)

    def abandon(self, issue: Issue) -> None:
        """The resident gives up: the grievance stays and costs trust."""
        issue.state = IssueState.ABANDONED
        self.counts.abandoned += 1
        self.counts.community_closed[issue.community] += 1
        self.lose_trust(issue.resident, 0.5)
        self.evaluate(issue.resident, issue.level, False, 0.5)
        issue.history.append((self.time, "abandoned", issue.level))
        self._close(issue)

    def _close(self, issue: Issue) -> None:
        self.counts.open -= 1
        self.open_by_community[issue.community] -= 1
        latent = self.latent_by_grid.get(issue.grid)
        if latent is not None:
            latent.pop(issue.uid, None)
        self.open_issues.pop(issue.uid, None)
        self._whistled.discard(issue.uid)
        issue.stage += 1
        issue.office = None

    def relapse(self, rel: _Relapse) -> None:
        """A settlement did not hold: the dispute arises again for the same resident, more severe."""
        self.arise_one(rel.kind, rel.resident, extra_severity=self.spec.settlement.relapse_severity_boost)

    def arise_one(self, kind: int, resident: int, extra_severity: float = 0.0) -> Issue:
        """One issue of type ``kind`` arises for ``resident``, through the same clocks as any other.

        Relapses, tests and the dashboard use this.
        """
        comm = self.grid_community[self.building_grid[self.residents.building[resident]]]
        return self._create_issues(np.array([comm]), np.array([kind]), np.array([resident], dtype=np.int64),
                                   extra_severity)[0]

    # ------------------------------------------------------------------ trust and participation

    def gain_trust(self, r: int) -> None:
        """τ ← τ + α_gain(1 − τ), discounted below the Tacitus threshold; neighbours hear of it."""
        w = self.spec.world
        tau = self.residents.trust[r]
        d = w.trust_gain * (1.0 - tau)
        if tau < w.tacitus_threshold:
            d *= w.tacitus_discount
        self._word_of_mouth(r, self.residents.set_trust(r, tau + d))

    def lose_trust(self, r: int, scale: float = 1.0) -> None:
        """τ ← τ − α_loss·τ with α_loss = loss weight × α_gain (scaled for milder experiences)."""
        w = self.spec.world
        tau = self.residents.trust[r]
        d = -w.trust_gain * w.trust_loss_weight * tau * scale
        self._word_of_mouth(r, self.residents.set_trust(r, tau + d))

    def _word_of_mouth(self, r: int, delta: float) -> None:
        w = self.spec.world
        k = w.word_of_mouth_contacts
        if delta == 0.0 or k == 0 or w.word_of_mouth == 0.0:
            return
        b = self.residents.building[r]
        lo, hi = int(self.building_start[b]), int(self.building_end[b])
        if hi - lo <= 1:
            return
        table = self.residents
        for j in self.rng.integers(lo, hi, k):
            if j != r:
                table.set_trust(int(j), table.trust[j] + w.word_of_mouth * delta)

    def organised_activities(self) -> None:
        """Monthly activities of residents' councils and alliance units reinforce participation."""
        n = int(self.rng.binomial(self.population, min(1.0, self._activity_reach)))
        if n:
            idx = np.unique(self.rng.integers(0, self.population, n))
            self.residents.reinforce_many(idx, self.spec.world.participation_reinforcement * 0.5, self.time)

    def routine_contacts(self) -> None:
        """A month of residents' everyday contacts with community and street offices.

        Contacts for certificates, subsidies and permits are each corrupt with the corruption lever's
        chance; a corrupt one costs that resident trust, and their neighbours hear of it. Petty corruption (吃拿卡要) bends benefit policies at the grassroots and is what residents resent
        most (seed, 篇一 §二(二)); it reaches residents who never had a dispute, which is how it drags a
        whole city's trust down (the road into the Tacitus trap). Only corrupt contacts move trust: a
        clean routine contact is what residents expect and is not news.
        """
        p, e = self.spec.policy, self.spec.effects
        rate = e.routine_contacts_per_year * 30.0 / 365.0 * p.grassroots_corruption
        n = int(self._contact_rng.poisson(self.population * rate))
        for r in self._contact_rng.integers(0, self.population, n):
            self.lose_trust(int(r), e.corruption_trust_hit)

    # ------------------------------------------------------------------ programmes and shocks

    def start_secretary_project(self) -> None:
        """A secretary project targets the community with most open issues per resident."""
        p, e = self.spec.policy, self.spec.effects
        per_cap = self.open_by_community / np.maximum(self.community_size, 1)
        # a project names one hotspot: communities that already have a running project are not chosen again
        per_cap = np.where(self.project_active > 0, -np.inf, per_cap)
        c = int(np.argmax(per_cap))
        lv = self.spec.levels.community
        proj = SecretaryProject(self, c, p.secretary_project_staff * lv.cases_per_staff_day,
                                e.secretary_supply_boost)
        self._projects.append(proj)
        office = self.communities[c]
        office.extra_capacity += proj.staff_capacity
        self.total_capacity += proj.staff_capacity
        self.supply[c] += proj.supply
        self.project_active[c] += 1
        self._update_rates()
        self.schedule_event(proj.end, at=self.time + p.secretary_project_days)

    def end_secretary_project(self, proj: SecretaryProject) -> None:
        """Withdraw a finished project's resources."""
        office = self.communities[proj.community]
        office.extra_capacity -= proj.staff_capacity
        self.total_capacity -= proj.staff_capacity
        self.supply[proj.community] -= proj.supply
        self.project_active[proj.community] -= 1
        self._update_rates()
        self._projects.remove(proj)

    def _shock_area(self, shock: RiskShock) -> np.ndarray:
        sh = self.spec.shocks[shock.index]
        districts = self.street_district[self.community_street]
        return np.ones(self.n_communities, bool) if sh.district < 0 else districts == sh.district

    def start_shock(self, shock: RiskShock) -> None:
        """A risk event starts: several issue types' rates rise in its area at once (叠加效应)."""
        sh = self.spec.shocks[shock.index]
        if sh.trust_hit > 0:
            for c in np.nonzero(self._shock_area(shock))[0]:
                lo = int(self.community_start[c])
                self.residents.scale_trust(lo, lo + int(self.community_size[c]), 1.0 - sh.trust_hit)
        shock.active = True
        self._active_shocks.append(shock)
        self._apply_shocks()

    def end_shock(self, shock: RiskShock) -> None:
        """The risk event is over."""
        if not shock.active:
            return
        shock.active = False
        self._active_shocks.remove(shock)
        self._apply_shocks()

    def _apply_shocks(self) -> None:
        """Rebuild the rate multipliers and severity boosts from the shocks under way (overlaps compound)."""
        self.shock_mult[:] = 1.0
        self.shock_boost[:] = 0.0
        for shock in self._active_shocks:
            sh = self.spec.shocks[shock.index]
            area = self._shock_area(shock)
            for t in [ISSUE_TYPES.index(t) for t in sh.types]:
                self.shock_mult[area, t] *= sh.rate_multiplier
                self.shock_boost[area, t] += sh.severity_boost
        self._update_rates()

    # ------------------------------------------------------------------ outputs

    def summary(self) -> dict[str, float]:
        """Every outcome now (after a run: the run's summary, equal to the time series' last row)."""
        return metrics.summarise(self)

    def timeseries(self):
        """One row per day (day 0 = the initial state) and one column per outcome."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "day", np.arange(len(df), dtype=np.int64))
        return df

    def check_conservation(self) -> bool:
        """Whether every arisen issue is in exactly one state (the conservation identity)."""
        c = self.counts
        return c.arisen == c.settled_total + c.left_city + c.abandoned + c.open == (
            c.settled_total + c.left_city + c.abandoned + len(self.open_issues))


@contextmanager
def quiet_gc():
    """Run a simulation with Python's cyclic garbage collector mostly out of the way.

    A model holds hundreds of thousands of long-lived objects (residents, offices) that the collector
    would otherwise traverse again and again: collection is off while the world is built, the world is
    then frozen out of collection, and the young-generation threshold is raised while it runs. Results
    do not change (the collector never touches model state); at a million residents a year runs in
    about half the time (docs/performance.md). Settings are restored on exit.
    """
    was_enabled = gc.isenabled()
    thresholds = gc.get_threshold()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        if was_enabled:
            gc.enable()


def run_quietly(spec: ScenarioSpec, rng, days: int | None = None) -> GovernanceModel:
    """Build and run a model inside :func:`quiet_gc`; returns the finished model."""
    with quiet_gc():
        model = GovernanceModel(spec, rng=rng)
        gc.freeze()
        gc.set_threshold(50_000, 20, 10)
        gc.enable()
        model.run_for(spec.run.days if days is None else days)
    return model


def simulate(spec: ScenarioSpec, rng: int | np.random.Generator | np.random.SeedSequence | None = None,
             days: int | None = None, timeseries: bool = False):
    """Run one scenario and return ``(summary, timeseries or None)``.

    Args:
        spec: The scenario.
        rng: Seed (int, SeedSequence or Generator).
        days: Days to run (default: ``spec.run.days``).
        timeseries: Whether to return the daily table too.
    """
    model = run_quietly(spec, rng, days)
    return model.summary(), (model.timeseries() if timeseries else None)
