"""Early warning with a data source (ODD §7.4a): a risk score built from what the system can see.

The score replaces an oracle that started a clock from an issue's true latent severity. Every
``policy.early_warning_check_days`` days the score is computed for the share ``policy.early_warning``
of buildings (drawn each run) from

* the building's past known disputes (any channel, decayed over ``effects.warning_memory_days``),
* the community's hotline records per 1,000 residents (decayed the same way),
* a faint trace of a festering latent issue in grid reports and scattered records, of strength
  ``effects.warning_signal`` per unit of the building's highest latent severity, sharpened by
  ``1 + effects.warning_shared_gain · policy.data_sharing`` when departments share their data,
* and noise, N(0, 1): the score's units are the noise's standard deviations.

A building scoring above ``policy.early_warning_threshold`` is visited by a community worker
(``effects.false_alarm_visit_cases`` of the community office's capacity when it has a queue). If
latent issues are there they become known through the early-warning channel (a true alarm: they go
to the front of the community's queue); if not, it is a false alarm: the visit was spent in vain and
the resident visited is annoyed, a small bad experience (``effects.false_alarm_trust_hit``), more so
when the alarm came from shared personal data (``effects.privacy_trust_weight``, the seed's
"technology Leviathan"). Sensitivity and false-alarm rate are not parameters: they follow from the
threshold and the signal strength (``tools/warning_figures.py`` draws the trade-off).

:class:`Signals` also keeps the "known" measures (:meth:`Signals.on_known`): days from arising to
being known and severity when known, which read the right way (lower is better) where the old race
count did not.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim import ladder
from govsim.sim.issues import Channel, Issue, IssueState
from govsim.sim.levels import Level
from govsim.sim.residents import evaluate, lose_trust

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel


class Signals:
    """What the system has seen: decayed records per building and community, and the known measures.

    Attributes:
        history: Decayed count of known issues per building (past disputes).
        hotline: Decayed count of hotline reports per community.
        decayed_at: Day the records were last decayed.
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        self.history = np.zeros(model.n_buildings)
        self.hotline = np.zeros(model.n_communities)
        self.decayed_at = 0.0

    def on_known(self, issue: Issue, channel: Channel) -> None:
        """An issue became known (called by :func:`sim.ladder.detect`): record it and the known measures."""
        m = self.model
        c = m.counts
        now = m.time
        c.known += 1
        c.known_days_sum += now - issue.born
        c.known_severity_sum += issue.severity(now)
        self.history[issue.building] += 1.0
        if channel == Channel.REPORT and m.spec.policy.hotline_response:
            self.hotline[issue.community] += 1.0

    def decay(self, now: float) -> None:
        """Fade the records by exp(−days since last decay / memory)."""
        f = math.exp(-(now - self.decayed_at) / self.model.spec.effects.warning_memory_days)
        self.history *= f
        self.hotline *= f
        self.decayed_at = now


def latent_by_building(model: GovernanceModel) -> tuple[np.ndarray, dict[int, list[Issue]]]:
    """Highest latent severity per building now, and the latent issues of each building that has any."""
    now = model.time
    sev = np.zeros(model.n_buildings)
    by_b: dict[int, list[Issue]] = {}
    for latent in model.latent_by_grid.values():
        for issue in latent.values():
            s = issue.severity(now)
            b = issue.building
            sev[b] = max(sev[b], s)
            by_b.setdefault(b, []).append(issue)
    return sev, by_b


def scores(model: GovernanceModel, buildings: np.ndarray, sev: np.ndarray) -> np.ndarray:
    """The risk score of ``buildings`` (noise drawn from the model's stream)."""
    p, e = model.spec.policy, model.spec.effects
    sig = model.signals
    comm = model.grid_community[model.building_grid[buildings]]
    hot = sig.hotline[comm] * 1000.0 / np.maximum(model.community_size[comm], 1)
    return (e.warning_signal * (1.0 + e.warning_shared_gain * p.data_sharing) * sev[buildings]
            + e.warning_history_weight * np.log1p(sig.history[buildings])
            + e.warning_hotline_weight * np.log1p(hot)
            + model.rng.standard_normal(len(buildings)))


def daily(model: GovernanceModel) -> None:
    """On a check day, score the covered buildings and visit those above the threshold."""
    p = model.spec.policy
    day = int(model.time)
    if p.early_warning <= 0 or day % p.early_warning_check_days != 0:
        return
    model.signals.decay(model.time)
    covered = np.nonzero(model.rng.random(model.n_buildings) < p.early_warning)[0]
    if len(covered) == 0:
        return
    sev, by_b = latent_by_building(model)
    flagged = covered[scores(model, covered, sev) > p.early_warning_threshold]
    for b in flagged:
        visit(model, int(b), by_b.get(int(b), []))


def visit(model: GovernanceModel, building: int, latent: list[Issue]) -> None:
    """A community worker visits a flagged building: a true alarm finds its latent issues, a false one annoys."""
    p, e = model.spec.policy, model.spec.effects
    c = model.counts
    office = model.communities[int(model.grid_community[model.building_grid[building]])]
    c.warning_flags += 1
    c.warning_capacity += e.false_alarm_visit_cases
    if office.queue:  # an idle office absorbs the visit; a busy one takes it from today's cases
        office.visits += e.false_alarm_visit_cases
    found = [i for i in sorted(latent, key=lambda i: i.uid) if i.state == IssueState.LATENT]
    if found:
        for issue in found:
            c.warning_found += 1
            ladder.detect(model, issue, Channel.EARLY_WARNING)
        return
    c.false_alarms += 1
    size = int(model.building_end[building] - model.building_start[building])
    if size <= 0:
        return
    r = int(model.building_start[building]) + int(model.rng.integers(size))
    scale = e.false_alarm_trust_hit * (1.0 + e.privacy_trust_weight * p.data_sharing)
    lose_trust(model, r, scale)
    evaluate(model, r, Level.COMMUNITY, False, scale)
