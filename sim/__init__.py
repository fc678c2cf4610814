"""govsim's model: municipal social governance on Mesa 3.5.

Public names are imported lazily, so ``import govsim.sim.errors`` (the CLI, a sweep of a Mesa
model) does not import Mesa, scipy and pandas with the model::

    from govsim.sim import GovernanceModel, load_scenario, simulate
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govsim.sim.errors import InputError
    from govsim.sim.metrics import ALL_OUTCOME_NAMES, OUTCOME_NAMES, OUTCOMES
    from govsim.sim.model import GovernanceModel, simulate
    from govsim.sim.policies import LEVERS
    from govsim.sim.scenario import ScenarioSpec, apply_overrides, load_scenario, parse_set_options

_WHERE = {
    "ALL_OUTCOME_NAMES": "govsim.sim.metrics",
    "GovernanceModel": "govsim.sim.model",
    "InputError": "govsim.sim.errors",
    "LEVERS": "govsim.sim.policies",
    "OUTCOMES": "govsim.sim.metrics",
    "OUTCOME_NAMES": "govsim.sim.metrics",
    "ScenarioSpec": "govsim.sim.scenario",
    "apply_overrides": "govsim.sim.scenario",
    "load_scenario": "govsim.sim.scenario",
    "parse_set_options": "govsim.sim.scenario",
    "simulate": "govsim.sim.model",
}
__all__ = [
    "ALL_OUTCOME_NAMES",
    "GovernanceModel",
    "InputError",
    "LEVERS",
    "OUTCOMES",
    "OUTCOME_NAMES",
    "ScenarioSpec",
    "apply_overrides",
    "load_scenario",
    "parse_set_options",
    "simulate",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'govsim.sim' has no attribute {name!r}")
