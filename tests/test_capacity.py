"""Capacity that binds and a city that scales (ODD §5, docs/calibration.md "Workload" and "Structure").

Per-capita invariance: the derived-structure baseline gives the same shares and waiting times at
20,000 and 1,000,000 residents. Utilisation: the baseline's community and street case capacity is
busy but not collapsed, and residents' patience runs out in some queues.
"""

from __future__ import annotations

import numpy as np
import pytest
from govsim.sim import apply_overrides, load_scenario
from govsim.sim.city import City
from govsim.sim.model import run_quietly

from govsim.comparison import replicate_seeds
from tests.conftest import ROOT

BASELINE = load_scenario(ROOT / "scenarios" / "baseline.toml")
INVARIANT = ("share_settled_by_street", "share_left_city", "mean_resolution_days")


def _run(population: int, seed, days: int) -> dict[str, float]:
    return run_quietly(apply_overrides(BASELINE, {"world.population": population}), seed, days).summary()


def test_staff_follow_per_resident_norms() -> None:
    for population in (20_000, 1_000_000):
        city = City.from_world(apply_overrides(BASELINE, {"world.population": population}).world)
        staff = city.staff(BASELINE.levels)
        assert staff["community"].sum() == pytest.approx(18.0 * population / 10_000)
        assert staff["street"].sum() == pytest.approx(10.0 * population / 10_000)
        assert 7_000 <= population / city.n_communities <= 8_000 or city.n_communities <= 3


@pytest.mark.slow
def test_per_capita_outcomes_do_not_depend_on_city_size() -> None:
    """20,000 residents (mean of 6 seeds) and 1,000,000 (the first of those seeds), 60 days each.

    Tolerance: the shares within 0.02 (absolute), mean resolution days within 15 % (relative).
    Measured (docs/calibration.md, "Structure"): 0.948 / 0.944, 0.001 / 0.001, 10.5 / 10.6 days.
    """
    seeds = replicate_seeds(20261203, 6)
    small = [_run(20_000, s, 60) for s in seeds]
    big = _run(1_000_000, seeds[0], 60)
    for k in INVARIANT:
        mean_small = float(np.mean([r[k] for r in small]))
        if k == "mean_resolution_days":
            assert big[k] == pytest.approx(mean_small, rel=0.15), k
        else:
            assert big[k] == pytest.approx(mean_small, abs=0.02), k


@pytest.mark.slow
def test_baseline_case_capacity_is_busy_but_not_collapsed() -> None:
    """Community and street case capacity are 55–90 % used over a year; some residents' patience runs out."""
    runs = [_run(20_000, s, 365) for s in replicate_seeds(20261204, 6)]
    mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
    assert 0.6 <= mean["utilisation_community"] <= 0.9
    assert 0.5 <= mean["utilisation_street"] <= 0.9
    assert mean["utilisation_community_sd"] > 0.0  # communities differ in their other duties
    assert sum(r["patience_expired"] for r in runs) > 0
    assert mean["share_left_city"] < 0.03 and mean["share_settled_by_street"] > 0.85


def test_by_unit_adds_up_to_the_city(tmp_path) -> None:
    """Per district and street: the ladder counts add up to the city's, and govsim run --out writes them."""
    import pandas as pd
    from govsim.sim.metrics import summarise
    from govsim.sim.units import COLUMNS

    import govsim

    spec = apply_overrides(BASELINE, {"world.population": 100_000})
    m = run_quietly(spec, 3, 60)
    df = m.by_unit()
    assert tuple(df.columns) == COLUMNS
    streets, districts = df[df.unit == "street"], df[df.unit == "district"]
    assert len(streets) == m.n_streets and len(districts) == m.n_districts
    s = summarise(m)
    for frame in (streets, districts):
        assert frame.population.sum() == 100_000
        assert frame.settled_community.sum() == s["settled_community"]
        assert frame.left_city.sum() == s["left_city"]
    assert ((streets.utilisation >= 0) & (streets.utilisation <= 1)).all()
    govsim.run(spec, seed=3, days=20, out=tmp_path)
    assert len(pd.read_parquet(tmp_path / "by_unit.parquet")) == m.n_streets + m.n_districts
