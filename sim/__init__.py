"""govsim's model: municipal social governance on Mesa 3.5."""

from govsim.sim.errors import InputError
from govsim.sim.metrics import ALL_OUTCOME_NAMES, OUTCOME_NAMES, OUTCOMES
from govsim.sim.model import GovernanceModel, simulate
from govsim.sim.policies import LEVERS
from govsim.sim.scenario import ScenarioSpec, apply_overrides, load_scenario, parse_set_options

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
