"""Sweeps: experiment files → design points × replicates → runs on an executor → Parquet tables.

Public API (imported lazily so ``govsim --help`` stays fast)::

    from experiments import load_experiment, run_sweep, read_runs
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from experiments.runner import run_sweep
    from experiments.spec import ExperimentSpec, load_experiment
    from experiments.store import read_runs

__all__ = ["ExperimentSpec", "load_experiment", "read_runs", "run_sweep"]

_WHERE = {
    "run_sweep": "experiments.runner",
    "load_experiment": "experiments.spec",
    "ExperimentSpec": "experiments.spec",
    "read_runs": "experiments.store",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
