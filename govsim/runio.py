"""Printing and writing one run's results (through :mod:`experiments.fileio`, as every verb writes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from govsim.experiments.fileio import atomic_write_frame, atomic_write_json, outcome_metadata, versions
from govsim.sim.metrics import ALL_OUTCOMES, OUTCOME_NAMES
from govsim.sim.scenario import ScenarioSpec


def write_run(out: Path, spec: ScenarioSpec, summary: dict[str, float], ts: pd.DataFrame, seed: int,
              replicate: int | None = None, by_unit: pd.DataFrame | None = None) -> None:
    """Write ``timeseries.parquet``, ``summary.json`` and (if given) ``by_unit.parquet`` for one run.

    ``summary.json`` records the seed (and the replicate, when the run was replicate ``r`` of root
    seed ``seed``), the scenario, each outcome's unit and direction, and the package versions.
    """
    atomic_write_frame(out / "timeseries.parquet", ts)
    if by_unit is not None:  # per district and street: where the city is overloaded (sim.units.by_unit)
        atomic_write_frame(out / "by_unit.parquet", by_unit)
    doc: dict[str, Any] = {"outcomes": summary, "outcome_meta": outcome_metadata(summary), "scenario": spec.to_dict(),
                           "seed": seed, "versions": versions()}
    if replicate is not None:
        doc["replicate"] = replicate
        doc["rng"] = f"numpy.random.SeedSequence({seed}, spawn_key=({replicate},))"
    atomic_write_json(out / "summary.json", doc)


def fmt(v: float) -> str:
    """Format a number for a table."""
    if abs(v) >= 1000 or (v == int(v) and abs(v) >= 10):
        return f"{v:,.0f}"
    return f"{v:.3f}"


def print_summary(spec: ScenarioSpec, summary: dict[str, float], seed: int) -> None:
    """Print every outcome as a table."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{spec.run.name}: {spec.world.population:,} residents, {spec.run.days} days, seed {seed}")
    t.add_column("outcome")
    t.add_column("value", justify="right")
    t.add_column("unit")
    for name in OUTCOME_NAMES:
        t.add_row(name, fmt(summary[name]), ALL_OUTCOMES[name].unit)
    for name in ALL_OUTCOMES:
        if name not in OUTCOME_NAMES:
            t.add_row(f"[dim]{name}[/dim]", fmt(summary[name]), ALL_OUTCOMES[name].unit)
    Console().print(t)
