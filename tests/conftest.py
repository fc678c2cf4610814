from __future__ import annotations

from pathlib import Path

import pytest
from govsim.sim.scenario import ScenarioSpec, apply_overrides

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_spec() -> ScenarioSpec:
    """A small city that runs a year in well under a second."""
    return apply_overrides(ScenarioSpec(), {"world.population": 3000, "run.days": 120}, "test")


def small(**overrides) -> ScenarioSpec:
    base = {"world.population": 3000, "run.days": 120}
    base.update(overrides)
    return apply_overrides(ScenarioSpec(), base, "test")


def unwritable_path(tmp_path: Path) -> str:
    """A folder path an ``--out`` option cannot create: under /proc as root, else in a read-only folder."""
    import os

    if os.geteuid() == 0:
        return "/proc/govsim-cannot-write-here"
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    return str(ro / "x")
