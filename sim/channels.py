"""The city's channels beyond the ladder (ODD §7.26): petition office, courts, legal services, police, the centre.

Each channel is a set of offices with staff, capacity, a queue, a pace and a settlement chance
(``[channels.*]``, ``sim/spec_disputes.py``); cases wait in their queues like any other office's
(:meth:`sim.agents.Office.take_up_cases`) and are handled by :meth:`CityChannel.on_handled`.

- The **petition office** (信访局, one per city, at city level) receives every petition inside the
  city: residents below the Tacitus threshold who skip levels (:meth:`Channels.petition`) and group
  petitions. A petition it fails leaves the city (a petition above it, :func:`sim.ladder.leave_city`).
- **Courts** (one basic court per district): a party to a failed people's-mediation case sues with
  ``channels.court_propensity`` (:meth:`Channels.sue`); going to court is counted (``went_to_court``),
  and is a legal channel inside the city, not leaving it (T2).
- **Public legal services** and **police** (per district) are reached through a centre.
- A **conflict-resolution centre** (矛调中心, lever ``policy.conflict_centre``, per district) receives
  the residents who escalate beyond the street or skip levels and group petitions, and routes each
  case once, at once, by the shares of T3 (:meth:`Channels.to_centre`): legal services, its own
  mediation bodies, the petition office, courts or police (最多跑一地). A new centre is found by a
  growing share of those parties, 1 − exp(−years open / ``channels.centre_reach_years``)
  (:meth:`Channels.finds_centre`), and part of its staff is stationed from the district's departments,
  whose capacity falls accordingly (入驻, :meth:`Channels.open_centres`).

Grounding: the seed report asks for "多元协商、信访、听证、司法等机制体制" so that residents' claims go
through lawful channels, and for conflicts to end inside the city; T2, T3 and T11
(CALIBRATION_TARGETS.md). Staff and settlement intercepts are sourced or declared assumptions with
ranges on their fields.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim import ladder, parties
from govsim.sim.agents import Office
from govsim.sim.issues import Channel as Known
from govsim.sim.issues import Issue, IssueState
from govsim.sim.levels import Level

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel
    from govsim.sim.spec_disputes import ChannelSpec

CHANNELS: tuple[str, ...] = ("legal_services", "centre", "petition_office", "court", "police")
"""The channels, in the order of ``channels.centre_routing`` (T3) and of the per-channel counters."""
LEGAL, CENTRE, PETITION, COURT, POLICE = range(5)


class CityChannel:
    """One channel: its spec, its index in :data:`CHANNELS` and the handling of its cases."""

    def __init__(self, model: GovernanceModel, k: int, spec: ChannelSpec) -> None:
        self.model = model
        self.k = k
        self.name = CHANNELS[k]
        self.spec = spec

    def on_handled(self, model: GovernanceModel, issue: Issue) -> None:
        """The channel has dealt with the case: settled (at its level), or failed and the parties react.

        Settlement log-odds: the channel's intercept − severity weight × (severity − 0.5) + trust weight
        × (parties' trust − 0.5) (weights of ``[settlement]``; trust: :func:`sim.parties.settle_trust`).
        """
        st = model.spec.settlement
        now = model.time
        logit = (self.spec.settle_intercept - st.severity_weight * (issue.severity(now) - 0.5)
                 + st.trust_weight * (parties.settle_trust(model, issue) - 0.5))
        if model.rng.random() < 1.0 / (1.0 + math.exp(-logit)):
            model.counts.channel_settled[self.k] += 1
            ladder.settle(model, issue, issue.level)
            return
        model.counts.channel_failed[self.k] += 1
        parties.experience(model, issue, False, 1.0, issue.level)
        issue.history.append((now, "failed:" + self.name, issue.level))
        ladder.resident_reacts(model, issue)


class Channels:
    """The city's channels and their offices; the routing the ladder calls (``model.channels``).

    Attributes:
        channels: One :class:`CityChannel` per name in :data:`CHANNELS`.
        offices: ``offices[k][d]``: channel ``k``'s office in district ``d`` (one entry, the city's, for
            the petition office).
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        cs = model.spec.channels
        specs = {"legal_services": cs.legal_services, "centre": cs.centre, "petition_office": cs.petition_office,
                 "court": cs.court, "police": cs.police}
        self.channels = [CityChannel(model, k, specs[name]) for k, name in enumerate(CHANNELS)]
        routing = np.asarray(cs.centre_routing, dtype=float)
        self.routing_cdf = np.cumsum(routing / routing.sum())
        per_100k = model.population / 100_000
        districts = model.street_district[model.community_street]
        share = np.bincount(districts, weights=model.community_size, minlength=model.n_districts) / model.population
        self.district_share = share
        self.offices: list[list[Office]] = []
        self.opened = np.full(model.n_districts, np.inf)  # day each district's centre opened (inf: none)
        self.moved = np.zeros(model.n_districts)  # departments' staff stationed at each district's centre
        self.dept_capacity: dict[int, list[float]] = {}  # departments' capacities before their staff moved
        for ch in self.channels:
            if ch.k == PETITION:
                self.offices.append([self._office(ch, Level.CITY, -1, per_100k)])
                continue
            # every district has the centre's office; only the first n_centres receive cases (a timeline may add more)
            self.offices.append([self._office(ch, Level.DISTRICT, d, per_100k * float(share[d]))
                                 for d in range(model.n_districts)])
        self.open_centres()

    def _office(self, ch: CityChannel, level: Level, district: int, per_100k: float) -> Office:
        o = Office(self.model, level, district)
        o.channel = ch
        o.capacity = ch.spec.staff_per_100k * per_100k * ch.spec.cases_per_staff_day
        return o

    def all_offices(self) -> list[Office]:
        """Every channel office (the model appends them to its office list)."""
        return [o for offices in self.offices for o in offices]

    # ------------------------------------------------------------------ routing the ladder calls

    def file(self, issue: Issue, k: int, routed: bool = False) -> None:
        """File the case in channel ``k``'s office for its district (the city's for the petition office).

        A case filed at the petition office by the parties' own choice is a petition; one a centre
        ``routed`` there is counted among the centre's routings (``centre_routed``), not as a petition.
        """
        model = self.model
        ch = self.channels[k]
        office = self.offices[k][0 if k == PETITION else issue.district]
        now = model.time
        model.counts.moves[issue.level + 1, office.level + 1] += 1
        issue.stage += 1
        issue.level = office.level
        issue.history.append((now, "filed:" + ch.name, office.level))
        issue.state = IssueState.QUEUED
        issue.office = office
        issue.thaw(now)
        office.queue.append(issue)
        model.busy_offices.add(office.index)
        if k == PETITION and not routed:
            model.counts.petition_office += 1
        elif k == COURT:
            model.counts.went_to_court += 1
        model.calendar.set(issue, ladder.on_patience, ch.spec.patience_days)

    @property
    def n_centres(self) -> int:
        """Districts with a conflict-resolution centre: the lowest-numbered share ``policy.conflict_centre``."""
        return int(round(self.model.spec.policy.conflict_centre * self.model.n_districts))

    def centre_for(self, issue: Issue) -> bool:
        """Whether a conflict-resolution centre can take the case (its district has one; not routed before)."""
        return issue.district < self.n_centres and not issue.centred

    def reach(self, district: int) -> float:
        """Share of the district's escalating parties who know of its centre: 1 − exp(−years open / reach years)."""
        tau = self.model.spec.channels.centre_reach_years
        age = self.model.time - self.opened[district]
        if not age >= 0:  # no centre (opened = inf)
            return 0.0
        return 1.0 if tau <= 0 else float(-math.expm1(-age / (365.0 * tau)))

    def finds_centre(self, issue: Issue) -> bool:
        """Whether the parties take the case to the district's centre (it has one, they know of it, not routed before).

        One draw against :meth:`reach`, only where a centre can take the case (no draw without centres).
        """
        return self.centre_for(issue) and self.model.rng.random() < self.reach(issue.district)

    def open_centres(self) -> None:
        """Open (or close) centres to match ``policy.conflict_centre``: opening day and stationed staff (入驻).

        Called at construction and when the timeline changes the lever (:func:`sim.timeline._refresh`). A
        new centre takes ``channels.centre_stationed_share`` of its staff from the district's departments:
        each department's case capacity falls by the share of the departments' staff who moved (a closed
        centre gives them back). The rest of its staff are hired (the lever's cost, ``sim/policies.py``).
        """
        model = self.model
        cs = model.spec.channels
        n_dept = len(model.departments) // max(1, model.n_districts)
        for d in range(model.n_districts):
            has = d < self.n_centres
            if has == np.isfinite(self.opened[d]):
                continue
            dept_staff = float(model.office_staff["district"][d]) * n_dept
            depts = [model.departments[(d, k)] for k in range(n_dept)]
            if has:
                self.opened[d] = model.time
                centre_staff = cs.centre.staff_per_100k * model.population / 100_000 * float(self.district_share[d])
                self.moved[d] = min(dept_staff, cs.centre_stationed_share * centre_staff)
                keep = 1.0 - self.moved[d] / dept_staff if dept_staff > 0 else 1.0
                self.dept_capacity[d] = [o.capacity for o in depts]
                for o in depts:
                    o.capacity *= keep
            else:
                self.opened[d] = np.inf
                self.moved[d] = 0.0
                for o, cap in zip(depts, self.dept_capacity.pop(d), strict=True):
                    o.capacity = cap  # the stationed staff go back
        model.daily_offer = None  # capacities changed: the model recomputes its daily offer
        if hasattr(model, "offices"):
            model.total_capacity = float(sum(o.capacity for o in model.offices))

    def to_centre(self, issue: Issue) -> None:
        """The centre receives the case and routes it at once by the shares of T3 (``channels.centre_routing``)."""
        model = self.model
        issue.centred = True
        model.counts.centre_cases += 1
        k = int(np.searchsorted(self.routing_cdf, model.rng.random(), side="right"))
        k = min(k, len(CHANNELS) - 1)
        model.counts.centre_routed[k] += 1
        self.file(issue, k, routed=True)

    def petition(self, issue: Issue) -> None:
        """A petition: to a centre where the parties find one, else above the city or to the city's petition office.

        Above the city with ``behaviour.petition_propensity``.
        """
        if self.finds_centre(issue):
            self.to_centre(issue)
        elif self.model.rng.random() < self.model.spec.behaviour.petition_propensity:
            issue.channel = int(Known.PETITION)
            ladder.leave_city(self.model, issue)
        else:
            self.file(issue, PETITION)

    def sue(self, issue: Issue) -> None:
        """A party takes a failed people's-mediation case to court."""
        self.model.counts.mediated_to_court += 1
        self.file(issue, COURT)
