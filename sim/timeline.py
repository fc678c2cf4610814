"""Reforms and events on a timeline: the ``[[timeline]]`` list of a scenario (ODD §7.14b).

Each entry sets a dotted key to a value on a given day, at once or phased in linearly over
``phase_in_days`` (monthly steps). Entries are applied by scheduled Mesa events
(``Model.schedule_event``) that replace the model's frozen scenario with an updated copy, so every
process that reads the scenario afterwards sees the new value. Only keys that the model reads while
it runs are allowed (:data:`MUTABLE_KEYS`; a capacity fixed at construction would silently not
change); ``event.scandal`` and ``event.success`` are public events (:meth:`TrustDynamics.public_event`)
of the given size in experiences per resident-year. Entries are list items, so a sweep can vary a
reform's start and phase-in as ``timeline.0.day`` and ``timeline.0.phase_in_days``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from govsim.sim import arrivals
from govsim.sim.scenario import apply_overrides
from govsim.sim.trust_spec import PHASE_STEP_DAYS, TimelineEntry

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel

def _refresh(model: GovernanceModel, key: str) -> None:
    """Recompute the few quantities the model derives from a mutable key at construction."""
    p, e = model.spec.policy, model.spec.effects
    if key == "policy.moral_governance":
        types = [model.spec.issues.get(t) for t in arrivals.ISSUE_TYPES]
        model.type_moral = np.array([1 - t.moral_sensitivity * p.moral_governance for t in types])
        arrivals.update_rates(model)
    elif key == "policy.self_governance":
        model.council_availability = p.self_governance * e.council_availability
        if model.programmes.activity_reach > 0:
            model.programmes.activity_reach = e.activity_reach_per_month * (
                1 - (1 - p.self_governance) * (1 - p.party_building_alliance))
    elif key == "policy.conflict_centre":
        model.channels.open_centres()  # new centres open today (reach from zero) with staff stationed from departments
    elif key == "policy.grassroots_corruption" and p.grassroots_corruption > 0:
        model.programmes.ensure_routine_contacts()


def _current(model: GovernanceModel, key: str) -> float:
    section, name = key.split(".")
    return float(getattr(getattr(model.spec, section), name))


def _set(model: GovernanceModel, key: str, value: float) -> None:
    section, name = key.split(".")
    if section == "event":
        td = model.trust_dynamics
        td.public_event(name == "success", value)
        return
    old = getattr(getattr(model.spec, section), name)
    model.spec = apply_overrides(model.spec, {key: type(old)(value)}, label="timeline")
    _refresh(model, key)
    model.timeline_log.append((float(model.time), key, float(value)))


class _Change:
    """A scheduled change (kept alive on the model: Mesa holds scheduled callables weakly)."""

    def __init__(self, model: GovernanceModel, entry: TimelineEntry, value: float | None = None) -> None:
        self.model, self.entry, self.value = model, entry, value

    def apply(self) -> None:
        """Set the value, or start the entry's phase-in."""
        if self.value is not None:
            _set(self.model, self.entry.key, self.value)
        else:
            _phase(self.model, self.entry)


def _at(model: GovernanceModel, change: _Change, day: float) -> None:
    model.timeline_changes.append(change)
    model.schedule_event(change.apply, at=day)


def schedule(model: GovernanceModel) -> None:
    """Schedule every timeline entry of the model's scenario as Mesa events."""
    model.timeline_log = []
    model.timeline_changes = []
    for entry in model.spec.timeline:
        instant = entry.phase_in_days <= 0 or entry.key.startswith("event.")
        _at(model, _Change(model, entry, entry.value if instant else None), float(entry.day))


def _phase(model: GovernanceModel, entry: TimelineEntry) -> None:
    """Start a phase-in: monthly linear steps from the current value to the entry's value."""
    start = _current(model, entry.key)
    steps = max(1, -(-entry.phase_in_days // PHASE_STEP_DAYS))
    _set(model, entry.key, entry.value if steps == 1 else start + (entry.value - start) / steps)
    for k in range(2, steps + 1):
        v = entry.value if k == steps else start + (entry.value - start) * k / steps
        _at(model, _Change(model, entry, v), float(entry.day + (k - 1) * PHASE_STEP_DAYS))
