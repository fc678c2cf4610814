"""PRIM and extra-trees on data with a planted region."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from govsim.analysis import synthetic as syn
from govsim.analysis.discovery import discover, feature_importance, prim
from govsim.analysis.results import SweepResults
from govsim.sim.errors import InputError


def planted(seed=0, n=2000, flip=0.02):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(0, 1, (n, 5)), columns=["a", "b", "c", "d", "e"])
    y = ((X["a"] > 0.6) & (X["c"] < 0.3)).to_numpy()
    return X, y ^ (rng.uniform(size=n) < flip)


def test_prim_finds_planted_box():
    X, y = planted()
    res = prim(X, y)
    box = res.box.set_index("parameter")
    assert set(box.index) == {"a", "c"}
    assert box.loc["a", "low"] == pytest.approx(0.6, abs=0.03)
    assert box.loc["c", "high"] == pytest.approx(0.3, abs=0.03)
    assert res.density > 0.85 and res.coverage > 0.7
    traj = res.trajectory
    assert list(traj.columns) == ["step", "coverage", "density", "mass", "n_restricted"]
    assert traj["coverage"].iloc[0] == 1.0 and traj["mass"].iloc[0] == 1.0
    assert traj["mass"].is_monotonic_decreasing and traj["mass"].iloc[-1] >= 0.05
    assert traj["density"].iloc[-1] > 3 * res.base_density
    assert len(res.limits) == len(traj)


def test_extra_trees_ranks_relevant_parameter_first():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.uniform(0, 1, (800, 4)), columns=["w", "x", "y", "z"])
    out = X["x"] ** 2 * 5 + 0.5 * X["z"] + rng.normal(0, 0.1, 800)
    imp = feature_importance(X, out.to_numpy(), seed=0)
    assert list(imp.columns) == ["parameter", "importance", "std", "rank"]
    assert imp.iloc[0]["parameter"] == "x" and imp.iloc[1]["parameter"] == "z"
    Xc, yc = planted(2)
    imp_c = feature_importance(Xc, yc, seed=0)
    assert set(imp_c.iloc[:2]["parameter"]) == {"a", "c"}
    pd.testing.assert_frame_equal(imp_c, feature_importance(Xc, yc, seed=0))


def box_model(X, rng):
    return {"left": ((X[:, 0] > 0.7) & (X[:, 2] < 0.4)).astype(float) * 5 + rng.normal(0, 0.3, len(X))}


def test_discover_on_a_sweep(tmp_path):
    problem = {"num_vars": 3, "names": ["policy.a", "policy.b", "risk.c"], "bounds": [[0, 1]] * 3}
    folder = syn.write_sweep(tmp_path, box_model, problem, design="lhs", n=1500, replicates=3, seed=4)
    res, imp = discover(SweepResults.load(folder), "left", 2.5, "above")
    box = res.box.set_index("parameter")
    assert set(box.index) == {"policy.a", "risk.c"}
    assert box.loc["policy.a", "low"] == pytest.approx(0.7, abs=0.04)
    assert box.loc["risk.c", "high"] == pytest.approx(0.4, abs=0.04)
    assert imp.iloc[0]["parameter"] in {"policy.a", "risk.c"} and imp.iloc[-1]["parameter"] == "policy.b"
    with pytest.raises(InputError, match="observed range"):
        discover(SweepResults.load(folder), "left", 99.0, "above")
    with pytest.raises(InputError, match="above or below"):
        discover(SweepResults.load(folder), "left", 2.5, "sideways")


def scaled_box_model(X, rng):
    return {"left": ((X[:, 0] > 3.8) & (X[:, 1] < 20.0)).astype(float) * 5 + rng.normal(0, 0.3, len(X))}


def test_discover_reports_limits_in_natural_units(tmp_path):
    """Bounds of 1–5 and 10–50: the box reads in those units, not the sampler's 0–1 coding."""
    problem = {"num_vars": 2, "names": ["world.trust_loss_weight", "policy.grid"], "bounds": [[1, 5], [10, 50]]}
    folder = syn.write_sweep(tmp_path, scaled_box_model, problem, design="lhs", n=1500, replicates=2, seed=5)
    # as the sweep runner does, keep the sampler's unit-cube matrix beside the natural-unit design
    design = pd.read_parquet(folder / "design.parquet")
    unit = design.copy()
    for name, (lo, hi) in zip(problem["names"], problem["bounds"], strict=True):
        unit[name] = (design[name] - lo) / (hi - lo)
    unit.to_parquet(folder / "design_unit.parquet", index=False)
    results = SweepResults.load(folder)
    assert results.unit_design is not None
    res, _ = discover(results, "left", 2.5, "above")
    box = res.box.set_index("parameter")
    assert box.loc["world.trust_loss_weight", "low"] == pytest.approx(3.8, abs=0.2)
    assert box.loc["policy.grid", "high"] == pytest.approx(20.0, abs=1.5)
