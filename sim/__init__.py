"""govsim's model: municipal social governance on Mesa 3.5."""

from sim.errors import InputError
from sim.metrics import ALL_OUTCOME_NAMES, OUTCOME_NAMES, OUTCOMES
from sim.model import GovernanceModel, simulate
from sim.policies import LEVERS
from sim.scenario import ScenarioSpec, apply_overrides, load_scenario, parse_set_options

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
