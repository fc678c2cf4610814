"""Approval by level that emerges from exposure (ODD §7.24, :mod:`sim.approval`; T10).

Cities of 20,000 residents (several streets and districts), paired replicates (same seeds with and
without the cause). Approval does not act back on behaviour, so paired runs share every case.
"""

from __future__ import annotations

import numpy as np
import pytest
from govsim.sim.approval import steady_state
from govsim.sim.levels import Level
from govsim.sim.model import GovernanceModel
from govsim.sim.scenario import ScenarioSpec, apply_overrides

SEEDS = (3, 4, 5)
COLD = {"world.population": 20000, "run.days": 730, "approval.warm_start": False}
"""Start every resident at the common prior: no gradient at day 0, so any gradient must come from exposure."""


def _approval(over: dict, seed: int) -> np.ndarray:
    m = GovernanceModel(apply_overrides(ScenarioSpec(), over, "test"), rng=seed)
    start = m.approval_sum[Level.COMMUNITY:].copy() / m.population
    m.run_for(m.spec.run.days)
    return start, m.approval_sum[Level.COMMUNITY:] / m.population


def test_gradient_emerges_from_exposure_and_vanishes_without_experiences():
    """From the prior alone (no gradient at day 0), two years of experiences make street < district < city;
    with experiences switched off (``approval.experience_weight = 0``), the same runs end with no gradient."""
    for seed in SEEDS:
        start, end = _approval(COLD, seed)
        assert np.ptp(start) < 1e-6  # the prior is the same for every level
        street, district, city = end[1], end[2], end[3]
        assert street + 0.01 < district < city - 0.01
        _, flat = _approval({**COLD, "approval.experience_weight": 0.0}, seed)
        assert np.ptp(flat) < 1e-6
        assert flat[3] - flat[1] < (city - street) / 5


def test_equal_exposure_equalises_street_and_district():
    """Ablation of distance: routine contacts split equally between street and district (and none at the
    community) close most of the street–district gap that the default split leaves (paired, same seeds)."""
    for seed in SEEDS:
        _, base = _approval(COLD, seed)
        _, equal = _approval({**COLD, "approval.routine_shares": [0.0, 0.5, 0.5]}, seed)
        assert abs(equal[2] - equal[1]) < 0.3 * (base[2] - base[1])


def test_warm_start_is_the_steady_state_of_the_baseline():
    """With the measured baseline exposure the warm start is stationary: over a year approval of each level
    moves by less than a point (mean of three cities)."""
    drift = []
    for seed in SEEDS:
        start, end = _approval({"world.population": 20000, "run.days": 365}, seed)
        drift.append(end - start)
    assert np.abs(np.mean(drift, axis=0)).max() < 0.01


def test_steady_state_formula():
    """a* solves (p − a)/memory + w·G·(1 − a) − w·ℓ·B·a = 0; no exposure gives the prior."""
    p, g, b, w, loss, mem = 0.8, 0.2, 0.1, 0.3, 3.5, 2.0
    a = steady_state(np.array([p]), g, b, w, loss, mem)[0]
    assert (p - a) / mem + w * g * (1 - a) - w * loss * b * a == pytest.approx(0.0, abs=1e-12)
    assert steady_state(np.array([p]), 0.0, 0.0, w, loss, mem)[0] == pytest.approx(p)
