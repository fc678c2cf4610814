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
        assert gc.get_threshold()[0] == 21_893_095 // 2
    assert gc.get_threshold() == before


def reference_trust_update(td, res, years: float) -> np.ndarray:
    """TrustDynamics.update's target and step as one whole-array expression (before blocks)."""
    t, w = td.model.spec.trust, td.model.spec.world
    tau = res.trust.copy()
    low = tau < td.threshold
    g = np.where(low, (td.good + td.public_good) * w.tacitus_discount, td.good + td.public_good) + 1e-9
    b = np.where(low, (td.bad + td.public_bad) * t.bad_news_amplification, td.bad + td.public_bad) + 1e-9
    target = 1.0 / (1.0 + np.exp(-((np.log(g) - np.log(b) - td.reference) * t.sensitivity + td.disposition)))
    tau += (target - tau) * (1.0 - np.exp(-years / t.relaxation_years))
    return np.clip(tau, 0.0, 1.0)


def test_blocked_weekly_passes_are_bit_identical_to_whole_array_passes():
    from govsim.sim import approval as approval_mod
    from govsim.sim.trust import BLOCK

    # a city of several blocks and a ragged last one, with varied experiences and trust on both
    # sides of the Tacitus threshold
    model = GovernanceModel(small(population=2 * BLOCK + 12_345), rng=5)
    td, res = model.trust_dynamics, model.residents
    draw = np.random.default_rng(3)
    n = res.n
    td.good[:] = draw.exponential(2.0, n)
    td.bad[:] = draw.exponential(1.0, n)
    res.trust[:] = draw.random(n)
    td.flush()
    fade = np.exp(-(7 / 365.0) / model.spec.trust.memory_years)
    expect_good, expect_bad = td.good * fade, td.bad * fade
    # what the public climate will be after the update's fade, as update computes it
    probe = SimpleNamespace(**{k: getattr(td, k) for k in ("threshold", "reference", "disposition", "model")})
    probe.good, probe.bad = expect_good, expect_bad
    probe.public_good = td.public_good * fade + (1 - fade) * (td.period_good / (n * 7 / 365.0) + td.extra_good)
    probe.public_bad = td.public_bad * fade + (1 - fade) * (td.period_bad / (n * 7 / 365.0) + td.extra_bad)
    expected = reference_trust_update(probe, res, 7 / 365.0)
    td.update(7)
    assert np.array_equal(res.trust, expected)
    assert res.trust_sum == float(expected.sum())

    ap = model.approval
    ap.rows[:] = draw.random(ap.rows.shape).astype(np.float32)
    p = approval_mod.prior(model.spec.approval.offset, res.trust)  # whole-array prior
    keep = np.float32(np.exp(-7 / 365.0 / model.spec.approval.memory_years))
    expected_rows = (ap.rows - p) * keep + p
    ap.update(7)
    assert np.array_equal(ap.rows, expected_rows)
    assert np.array_equal(model.approval_sum[1:], expected_rows.sum(axis=1, dtype=np.float64))


def test_a_months_contacts_at_once_are_bit_identical_to_one_after_another():
    model = GovernanceModel(small(population=20_000), rng=6)
    model.run_for(20)  # approvals apart from the prior
    ap = model.approval
    draw = np.random.default_rng(8)
    # many experiences, residents and levels repeated (a person reached several times a month),
    # a level below the community (ignored), good and bad, two scales
    for good, scale in ((False, 0.3), (True, 0.7), (False, 1.0)):
        rs = draw.integers(0, 300, 4_000)  # few residents: contacts overlap heavily
        levels = draw.integers(0, 5, 4_000)
        state = (ap.rows.copy(), model.approval_sum.copy(), ap.exposure_good.copy(), ap.exposure_bad.copy())
        for r, level in zip(rs.tolist(), levels.tolist(), strict=True):
            ap.evaluate(r, level, good, scale)
        expected = (ap.rows.copy(), model.approval_sum.copy(), ap.exposure_good.copy(), ap.exposure_bad.copy())
        ap.rows[:], model.approval_sum[:], ap.exposure_good[:], ap.exposure_bad[:] = state
        ap.evaluate_many(rs, levels, good, scale)
        for got, want in zip((ap.rows, model.approval_sum, ap.exposure_good, ap.exposure_bad), expected, strict=True):
            assert np.array_equal(got, want)
        assert not np.array_equal(expected[0], state[0])  # the experiences moved approval


def test_a_days_recorded_experiences_are_bit_identical_to_one_after_another():
    """Approval.record + flush (a day's case experiences at once) against evaluate one at a time.

    Mixed polarities, scales and levels interleaved (the order between them matters: a good then a
    bad experience of one person is not the bad then the good), a level below the community, a
    numpy scale (which must fall back to one at a time) and a flush forced mid-way by evaluate.
    """
    model = GovernanceModel(small(population=20_000), rng=9)
    model.run_for(20)
    ap = model.approval
    draw = np.random.default_rng(12)
    for scales in ([1.0, 0.5, 0.3 * 0.5, 0.05], [1.0, np.float64(0.7)]):
        n = 5_000
        rs = draw.integers(0, 300, n).tolist()  # few residents: contacts overlap heavily
        levels = draw.integers(0, 5, n).tolist()
        goods = (draw.random(n) < 0.5).tolist()
        sc = [scales[int(k)] for k in draw.integers(len(scales), size=n)]
        state = (ap.rows.copy(), model.approval_sum.copy(), ap.exposure_good.copy(), ap.exposure_bad.copy())
        for r, level, good, scale in zip(rs, levels, goods, sc, strict=True):
            ap.evaluate(r, level, good, scale)
        expected = (ap.rows.copy(), model.approval_sum.copy(), ap.exposure_good.copy(), ap.exposure_bad.copy())
        ap.rows[:], model.approval_sum[:], ap.exposure_good[:], ap.exposure_bad[:] = state
        for k, (r, level, good, scale) in enumerate(zip(rs, levels, goods, sc, strict=True)):
            if k == n // 2:
                ap.evaluate(r, level, good, scale)  # flushes what was recorded before it, then applies itself
            else:
                ap.record(r, level, good, scale)
        assert ap.mean(2) == model.approval_sum[2] / model.population  # a read flushes
        for got, want in zip((ap.rows, model.approval_sum, ap.exposure_good, ap.exposure_bad), expected, strict=True):
            assert np.array_equal(got, want)
        assert not np.array_equal(expected[0], state[0])
