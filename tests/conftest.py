from __future__ import annotations

import os
from pathlib import Path

import pytest
from govsim.sim.scenario import ScenarioSpec, apply_overrides
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
"""Under CI a missing tool a test needs (chromium, mpiexec) fails the test instead of skipping it."""

# No deadlines: a loaded 2-core machine makes any per-example time limit a race (a compare that
# takes 3 s idle took over 5 s there). CI also derandomizes, so a red build replays exactly and
# cannot turn green by itself; locally examples stay random and failures are kept in the database.
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if CI else "dev"))


def require_tool(name: str, found: object, install: str) -> None:
    """Skip a test whose tool is missing — or, under CI, fail it (CI installs everything)."""
    if found:
        return
    message = f"{name} is not installed ({install})"
    if CI:
        pytest.fail(f"CI=true and {message}: the CI set-up must provide it", pytrace=False)
    pytest.skip(message)


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
