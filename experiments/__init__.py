"""Sweeps: experiment files → design points × replicates → runs on an executor → Parquet tables.

Public API (imported lazily so ``govsim --help`` stays fast)::

    from govsim.experiments import load_experiment, run_sweep, read_runs
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govsim.experiments.runner import run_sweep
    from govsim.experiments.spec import load_experiment
    from govsim.experiments.spec_models import ExperimentSpec
    from govsim.experiments.store import read_runs

__all__ = ["ExperimentSpec", "load_experiment", "read_runs", "run_sweep"]

_WHERE = {
    "run_sweep": "govsim.experiments.runner",
    "load_experiment": "govsim.experiments.spec",
    "ExperimentSpec": "govsim.experiments.spec_models",
    "read_runs": "govsim.experiments.store",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
