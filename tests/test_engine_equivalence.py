"""Issue 19's output-preserving optimisations keep to what they replaced (docs/performance.md).

Approval experiences against the plain ``np.unique`` formulation they replaced — bit for bit,
with Python and numpy scales and with weights a timeline changes mid-run; the latent-issue registry
holding exactly the latent issues and no empty grid; the collector's threshold growing with the
city and restored afterwards. The golden hashes (tests/test_golden.py) check whole runs.
"""

from __future__ import annotations

import gc
from types import SimpleNamespace

import numpy as np
from govsim.sim.issues import IssueState
from govsim.sim.model import GovernanceModel, collect_rarely, quiet_gc, run_quietly
from govsim.sim.scenario import ScenarioSpec, apply_overrides


def small(population: int = 5_000, days: int = 30) -> ScenarioSpec:
    return apply_overrides(ScenarioSpec(), {"world.population": population, "run.days": days}, "test")


def reference_evaluate(model, rows, sums, r, level, good, scale) -> None:
    """Approval.evaluate as it was before issue 19's second round (np.unique, fresh weight vectors)."""
    a = model.spec.approval
    row = rows[level - 1]
    c = model.trust_dynamics.contacts[r]
    c = np.unique(c[(c >= 0) & (c != r)])
    idx = np.concatenate(([r], c))
    step = np.full(len(idx), a.experience_weight * a.heard_share, dtype=np.float32)
    step[0] = a.experience_weight
    old = row[idx]
    if good:
        new = old + np.minimum(step * scale, 1.0) * (1.0 - old)
    else:
        new = old - np.minimum(step * (model.spec.world.trust_loss_weight * scale), 1.0) * old
    row[idx] = new
    sums[level] += float(new.sum(dtype=np.float64) - old.sum(dtype=np.float64))


def test_approval_experiences_are_bit_identical_to_the_unique_formulation():
    model = GovernanceModel(small(), rng=4)
    rows, sums = model.approval.rows.copy(), model.approval_sum.copy()
    draw = np.random.default_rng(11)
    scales = [1.0, 0.3, np.float64(0.7), 0.05, 0.3 * 0.5]
    for k in range(3_000):
        if k == 1_500:  # a timeline changes the weights mid-run: no cached vector may outlive them
            a = model.spec.approval
            model.spec = apply_overrides(model.spec, {"approval.experience_weight": a.experience_weight * 1.7,
                                                      "approval.heard_share": a.heard_share * 0.6}, "test")
        r = int(draw.integers(model.population))
        level = int(draw.integers(1, 5))
        good = bool(draw.random() < 0.5)
        scale = scales[int(draw.integers(len(scales)))]
        model.approval.evaluate(r, level, good, scale)
        reference_evaluate(model, rows, sums, r, level, good, scale)
    assert np.array_equal(model.approval.rows, rows)
    assert np.array_equal(model.approval_sum, sums)


def test_latent_registry_holds_exactly_the_latent_issues_and_no_empty_grid():
    model = run_quietly(small(days=60), rng=5)
    registry = {(g, uid) for g, latent in model.latent_by_grid.items() for uid in latent}
    assert all(model.latent_by_grid.values()), "a grid without latent issues stayed in the registry"
    latent = {(i.grid, i.uid) for i in model.open_issues.values() if i.state == IssueState.LATENT}
    assert registry == latent
    assert latent, "the test city should have latent issues to check"


def test_collector_threshold_grows_with_the_city_and_is_restored():
    before = gc.get_threshold()
    with quiet_gc():
        collect_rarely(SimpleNamespace(population=5_000))
        assert gc.get_threshold()[0] == 50_000
        collect_rarely(SimpleNamespace(population=21_893_095))
        assert gc.get_threshold()[0] == 21_893_095 // 25
    assert gc.get_threshold() == before
