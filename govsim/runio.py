"""Printing and writing one run's results."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from govsim.sim.metrics import ALL_OUTCOMES, OUTCOME_NAMES
from govsim.sim.scenario import ScenarioSpec


def versions() -> dict[str, str]:
    """Versions of govsim and the packages that shape its results."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {"python": platform.python_version()}
    for pkg in ("govsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "SALib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_run(out: Path, spec: ScenarioSpec, summary: dict[str, float], ts: pd.DataFrame, seed: int,
              by_unit: pd.DataFrame | None = None) -> None:
    """Write ``timeseries.parquet``, ``summary.json`` and (if given) ``by_unit.parquet`` for one run."""
    atomic_write_parquet(out / "timeseries.parquet", ts)
    if by_unit is not None:  # per district and street: where the city is overloaded (sim.units.by_unit)
        atomic_write_parquet(out / "by_unit.parquet", by_unit)
    doc: dict[str, Any] = {"outcomes": summary, "scenario": spec.to_dict(), "seed": seed, "versions": versions()}
    atomic_write_bytes(out / "summary.json", json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8"))


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
