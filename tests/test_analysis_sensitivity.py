"""Sensitivity analysis checked against functions with analytic answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from govsim.analysis import synthetic as syn
from govsim.analysis.results import SweepResults
from govsim.analysis.sensitivity import TABLE_COLUMNS, analyze, analyze_table, check_convergence
from govsim.sim.errors import InputError

ISHIGAMI_S2_13 = 0.2437  # the only non-zero second-order index of Ishigami (a=7, b=0.1)


def ishigami_model(X, rng):
    return {"y": syn.ishigami(X)}


def noisy_model(X, rng):
    return {"y": syn.ishigami(X) + rng.normal(0.0, 1.0, len(X))}


def _index(table, ix, outcome="y"):
    return table[(table["outcome"] == outcome) & (table["index"] == ix)].set_index("parameter")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sobol_recovers_ishigami_within_intervals(tmp_path, seed):
    folder = syn.write_sweep(tmp_path, ishigami_model, syn.ISHIGAMI_PROBLEM, design="sobol", n=1024, seed=seed)
    res = analyze(folder, seed=seed)
    assert res.method == "sobol"
    assert list(res.table.columns) == TABLE_COLUMNS
    for ix, truth in (("S1", syn.ISHIGAMI_S1), ("ST", syn.ISHIGAMI_ST)):
        tab = _index(res.table, ix)
        for name, t in zip(["x1", "x2", "x3"], truth, strict=True):
            assert tab.loc[name, "ci_low"] <= t <= tab.loc[name, "ci_high"], (ix, name, tab.loc[name].to_dict())
        # the intervals are informative, not trivially wide
        assert (tab["ci_high"] - tab["ci_low"]).max() < 0.25
    meta = res.meta["y"]
    assert meta["N"] == 1024 and meta["replicates"] == 1 and meta["runs_total"] == 1024 * 5
    assert res.table.attrs["N"] == {"y": 1024} and res.table.attrs["runs_total"] == 5120


def test_sobol_second_order_on_request(tmp_path):
    folder = syn.write_sweep(tmp_path, ishigami_model, syn.ISHIGAMI_PROBLEM, design="sobol", n=1024, seed=4,
                             second_order=True)
    res = analyze(folder, second_order=True, convergence=False)
    s2 = _index(res.table, "S2")
    assert set(s2.index) == {"x1×x2", "x1×x3", "x2×x3"}
    assert s2.loc["x1×x3", "ci_low"] <= ISHIGAMI_S2_13 <= s2.loc["x1×x3", "ci_high"]
    assert abs(s2.loc["x1×x2", "value"]) < 0.1
    # first-order indices are still right from the second-order matrix
    st = _index(res.table, "ST")
    assert st.loc["x3", "ci_low"] <= syn.ISHIGAMI_ST[2] <= st.loc["x3", "ci_high"]
    # S2 is not reported unless asked for... unless the design has it and the caller did not say
    res_no = analyze(folder, second_order=False, convergence=False)
    assert "S2" not in set(res_no.table["index"])


def test_second_order_needs_second_order_design(tmp_path):
    folder = syn.write_sweep(tmp_path, ishigami_model, syn.ISHIGAMI_PROBLEM, design="sobol", n=64, seed=1)
    with pytest.raises(InputError, match="second_order"):
        analyze(folder, second_order=True)


def test_convergence_flags_small_n_and_passes_large_n(tmp_path):
    small = syn.write_sweep(tmp_path / "s", ishigami_model, syn.ISHIGAMI_PROBLEM, design="sobol", n=128, seed=5)
    res = analyze(small, seed=5)
    assert res.converged == {"y": False}
    assert not res.all_converged
    assert any("increase N" in w or "cannot be ranked" in w for w in res.warnings)
    assert sorted(res.convergence["n"].unique()) == [32, 64, 128]
    large = syn.write_sweep(tmp_path / "l", ishigami_model, syn.ISHIGAMI_PROBLEM, design="sobol", n=16384, seed=5)
    res = analyze(large, seed=5, num_resamples=300)
    assert res.converged == {"y": True}, res.warnings
    assert sorted(res.convergence["n"].unique()) == [4096, 8192, 16384]


def test_convergence_rule_on_hand_made_trajectories():
    def conv(rows):
        return pd.DataFrame(rows, columns=["n", "parameter", "outcome", "index", "value", "ci_low", "ci_high"])

    good = conv([
        (50, "a", "y", "ST", 0.60, 0.57, 0.63), (50, "b", "y", "ST", 0.30, 0.27, 0.33),
        (100, "a", "y", "ST", 0.61, 0.59, 0.63), (100, "b", "y", "ST", 0.31, 0.29, 0.33),
    ])
    assert check_convergence(good, "sobol") == (True, [])
    overlap = good.copy()
    overlap.loc[3, ["value", "ci_low", "ci_high"]] = [0.55, 0.50, 0.60]
    ok, msgs = check_convergence(overlap, "sobol")
    assert not ok and any("cannot be ranked" in m for m in msgs)
    moved = good.copy()
    moved.loc[0, "value"] = 0.40
    ok, msgs = check_convergence(moved, "sobol")
    assert not ok and any("moved by" in m for m in msgs)
    # two negligible parameters need no order
    tie = conv([(100, "a", "y", "ST", 0.9, 0.88, 0.92), (100, "b", "y", "ST", 0.01, 0.0, 0.02),
                (100, "c", "y", "ST", 0.01, 0.0, 0.02), (50, "a", "y", "ST", 0.9, 0.88, 0.92),
                (50, "b", "y", "ST", 0.01, 0.0, 0.02), (50, "c", "y", "ST", 0.01, 0.0, 0.02)])
    assert check_convergence(tie, "sobol")[0]


def linear_model(X, rng):
    return {"y": 10 * X[:, 0] + 3 * X[:, 1] + 0.1 * X[:, 2] + 2 * X[:, 3] * X[:, 4]}


def test_morris_ranks_known_ordering(tmp_path):
    problem = {"num_vars": 5, "names": ["x1", "x2", "x3", "x4", "x5"], "bounds": [[0, 1]] * 5}
    folder = syn.write_sweep(tmp_path, linear_model, problem, design="morris", n=40, seed=2, num_levels=4)
    res = analyze(folder, seed=2)
    assert res.method == "morris"
    mu_star = _index(res.table, "mu_star")["value"]
    order = list(mu_star.sort_values(ascending=False).index)
    assert order[:2] == ["x1", "x2"] and order[-1] == "x3"
    assert mu_star["x1"] == pytest.approx(10.0, rel=1e-6)  # linear: every elementary effect is exact
    sigma = _index(res.table, "sigma")["value"]
    assert sigma["x1"] == pytest.approx(0.0, abs=1e-9) and sigma["x4"] > 0.1  # x4 interacts, x1 does not
    assert {"mu_star", "mu_star_conf", "sigma", "mu"} <= set(res.table["index"])
    assert res.meta["y"]["N"] == 40


def test_fast_and_given_data_methods(tmp_path):
    fast = syn.write_sweep(tmp_path / "f", ishigami_model, syn.ISHIGAMI_PROBLEM, design="fast", n=2000, seed=3)
    res = analyze(fast, seed=3)
    s1 = _index(res.table, "S1_fast")["value"]
    assert s1.to_numpy() == pytest.approx(syn.ISHIGAMI_S1, abs=0.05)
    assert any("indicative" in w for w in res.warnings)  # SALib's FAST-interval caveat is passed on
    lhs = syn.write_sweep(tmp_path / "l", ishigami_model, syn.ISHIGAMI_PROBLEM, design="lhs", n=600, seed=3)
    res = analyze(lhs, seed=3, num_resamples=40)
    assert res.method == "delta"  # auto on an LHS design
    d = _index(res.table, "delta")
    assert d["value"].idxmax() == "x2" and d["value"].idxmin() == "x3"
    assert (d["ci_low"] <= d["value"]).all() and (d["value"] <= d["ci_high"]).all()
    res = analyze(lhs, "pawn", seed=3, num_resamples=60, convergence=False)
    p = _index(res.table, "pawn")
    assert p["value"].idxmax() == "x2"
    assert (p["ci_low"] < p["ci_high"]).all()
    res = analyze(lhs, "rbd_fast", seed=3)
    rb = _index(res.table, "S1_rbd")["value"]
    assert rb.to_numpy() == pytest.approx(syn.ISHIGAMI_S1, abs=0.06)


def test_seeded_and_leaves_global_rng_alone(tmp_path):
    lhs = syn.write_sweep(tmp_path, ishigami_model, syn.ISHIGAMI_PROBLEM, design="lhs", n=300, seed=3)
    np.random.seed(12345)  # noqa: NPY002 - the global state is what this test guards
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    a = analyze(lhs, "pawn", seed=7, num_resamples=50, convergence=False)
    b = analyze(lhs, "pawn", seed=7, num_resamples=50, convergence=False)
    c = analyze(lhs, "pawn", seed=8, num_resamples=50, convergence=False)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table[["ci_low", "ci_high"]].equals(c.table[["ci_low", "ci_high"]])


def stochastic_model(X, rng):
    return {"y": X[:, 0] + rng.normal(0.0, 0.3, len(X))}


def test_replicates_aggregation_and_noise_share(tmp_path):
    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0, 1], [0, 1]]}
    folder = syn.write_sweep(tmp_path, stochastic_model, problem, design="sobol", n=512, replicates=4, seed=9)
    sweep = SweepResults.load(folder)
    truth = 0.09 / (1 / 12 + 0.09)  # noise variance over total variance
    assert sweep.noise_share("y") == pytest.approx(truth, abs=0.04)
    ok = sweep.ok_runs()
    g = ok.groupby("point_id")["y"]
    pd.testing.assert_series_equal(sweep.aggregate("y", "mean"), g.mean(), check_names=False)
    pd.testing.assert_series_equal(sweep.aggregate("y", "median"), g.median(), check_names=False)
    pd.testing.assert_series_equal(sweep.aggregate("y", "q90"), g.quantile(0.9), check_names=False)
    pd.testing.assert_series_equal(sweep.aggregate("y", "std"), g.std(), check_names=False)
    with pytest.raises(InputError, match="stat"):
        sweep.aggregate("y", "mode")
    res = analyze(sweep, seed=1)
    assert res.meta["y"]["replicates"] == 4 and res.meta["y"]["runs_total"] == 512 * 4 * 4
    assert res.meta["y"]["noise_share"] == pytest.approx(truth, abs=0.04)
    # averaging 4 replicates shrinks noise: x1 explains more of the mean than of a single run
    single = analyze_table(ok[ok["replicate"] == 0].drop(columns=["point_id"]), problem, ["y"], "sobol", seed=1,
                           convergence=False)
    s1_mean = _index(res.table, "S1").loc["x1", "value"]
    s1_single = _index(single.table, "S1").loc["x1", "value"]
    assert s1_mean > s1_single + 0.1
    assert s1_mean == pytest.approx((1 / 12) / (1 / 12 + 0.09 / 4), abs=0.08)


def test_failed_runs_refused_for_sobol_dropped_for_given_data(tmp_path):
    sob = syn.write_sweep(tmp_path / "s", ishigami_model, syn.ISHIGAMI_PROBLEM, design="sobol", n=64, seed=1,
                          fail_points=(3, 17))
    with pytest.raises(InputError, match=r"2 point\(s\) have no ok run \(point_id 3, 17\)"):
        analyze(sob)
    # a timed-out replicate leaves the point with other ok runs: analysed, and said so
    rep = syn.write_sweep(tmp_path / "r", noisy_model, syn.ISHIGAMI_PROBLEM, design="sobol", n=64, replicates=2,
                          seed=1, fail_runs=(0, 5))
    res = analyze(rep, convergence=False)
    assert any("dropped failed runs: 2 timeout of 640" in w for w in res.warnings)
    assert res.meta["y"]["runs_ok"] == 638
    lhs = syn.write_sweep(tmp_path / "l", ishigami_model, syn.ISHIGAMI_PROBLEM, design="lhs", n=200, seed=1,
                          fail_points=(0, 1, 2))
    res = analyze(lhs, "delta", num_resamples=30, convergence=False)
    assert res.meta["y"]["points_used"] == 197
    assert any("3 design point(s) without an ok run dropped" in w for w in res.warnings)


def test_bad_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        analyze(tmp_path / "nope")
    with pytest.raises(InputError, match="manifest.json"):
        analyze(tmp_path)
    folder = syn.write_sweep(tmp_path / "s", ishigami_model, syn.ISHIGAMI_PROBLEM, design="sobol", n=32, seed=1)
    with pytest.raises(InputError, match="unknown outcome") as err:
        analyze(folder, outcomes=["nope"])
    assert err.value.key == "nope"
    with pytest.raises(InputError, match="'sobol' design supports sobol"):
        analyze(folder, "delta")
    man = json.loads((folder / "manifest.json").read_text())
    del man["design"]["parameters"]
    (folder / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(InputError, match="design.parameters"):
        analyze(folder)


def test_plain_table_with_categorical_free_problem():
    from govsim.analysis.synthetic import sample

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 2], [0, 1]]}
    X = sample(problem, "sobol", 512, 11)
    table = pd.DataFrame(X, columns=problem["names"])
    table["y"] = 4 * table["a"] + table["b"]
    res = analyze_table(table, problem, ["y"], "sobol", seed=1)
    s1 = _index(res.table, "S1")["value"]
    # Var(4a) = 16/12, Var(b) = 4/12: S1 = 0.8 and 0.2
    assert s1["a"] == pytest.approx(0.8, abs=0.05) and s1["b"] == pytest.approx(0.2, abs=0.05)
    assert abs(s1["c"]) < 0.02
