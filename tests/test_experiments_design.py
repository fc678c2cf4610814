"""Designs: sizes, bounds, integer/categorical/distribution mapping, points CSV, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
from govsim.experiments.design import build_design, expected_size
from govsim.experiments.spec import parse_experiment
from govsim.sim.errors import InputError

PARAMS = {
    "a": {"low": -1.0, "high": 3.0},
    "n": {"low": 1, "high": 5, "integer": True},
    "flag": {"levels": [False, True]},
    "kind": {"levels": ["x", "y", "z"]},
}


def make(design: str, params: dict | None = None, **extra):
    exp = {
        "name": "t",
        "model": "govsim.experiments.examples:linear",
        "design": design,
        "seed": 11,
        "outcomes": ["y"],
        **extra,
    }
    return parse_experiment({"experiment": exp, "parameters": params or PARAMS})


def check_ranges(points):
    assert points["a"].between(-1.0, 3.0).all()
    assert points["n"].dtype == np.int64 and set(points["n"]) <= {1, 2, 3, 4, 5}
    assert points["flag"].dtype == bool
    assert set(points["kind"]) <= {"x", "y", "z"}
    assert list(points["point_id"]) == list(range(len(points)))


@pytest.mark.parametrize(
    ("design", "extra", "size"),
    [
        ("sobol", {"samples": 16}, 16 * (2 * 4 + 2)),
        ("sobol", {"samples": 16, "second_order": False}, 16 * (4 + 2)),
        ("morris", {"samples": 5}, 5 * (4 + 1)),
        ("fast", {"samples": 65}, 65 * 4),
        ("lhs", {"samples": 30}, 30),
        ("factorial", {"samples": 3}, 3 * 3 * 2 * 3),
    ],
)
def test_design_sizes_and_bounds(design, extra, size):
    spec = make(design, **extra)
    d = build_design(spec)
    assert d.n_points == size == expected_size(spec)
    assert d.unit.shape == (size, 4)
    assert (d.unit >= 0).all() and (d.unit <= 1).all()
    check_ranges(d.points)


def test_every_level_and_integer_is_reached():
    d = build_design(make("lhs", samples=300))
    assert set(d.points["n"]) == {1, 2, 3, 4, 5}
    assert set(d.points["kind"]) == {"x", "y", "z"}
    assert set(d.points["flag"]) == {False, True}


def test_unit_to_natural_mapping_rules():
    d = build_design(make("lhs", samples=200))
    u = d.unit
    np.testing.assert_allclose(d.points["a"], -1.0 + 4.0 * u[:, 0])
    np.testing.assert_array_equal(d.points["n"], np.rint(1 + 4 * u[:, 1]).astype(int))
    np.testing.assert_array_equal(d.points["flag"], np.floor(u[:, 2] * 2) == 1)
    idx = np.minimum(np.floor(u[:, 3] * 3).astype(int), 2)
    assert list(d.points["kind"]) == [["x", "y", "z"][i] for i in idx]


def test_factorial_levels_are_even_and_complete():
    d = build_design(make("factorial", samples=5))
    assert sorted(set(d.points["a"])) == pytest.approx([-1.0, 0.0, 1.0, 2.0, 3.0])
    assert len(d.points.drop(columns="point_id").drop_duplicates()) == d.n_points


def test_factorial_integer_levels_do_not_repeat():
    spec = make("factorial", {"n": {"low": 1, "high": 3, "integer": True}}, samples=7)
    assert sorted(build_design(spec).points["n"]) == [1, 2, 3]


def test_morris_levels_on_grid():
    spec = make(
        "morris", {"a": {"low": 0.0, "high": 3.0}, "b": {"low": 0.0, "high": 1.0}}, samples=4, num_levels=4
    )
    d = build_design(spec)
    assert set(np.round(d.points["a"], 9)) <= {0.0, 1.0, 2.0, 3.0}
    assert d.n_points == 4 * 3


def test_distributions_follow_ppf():
    from scipy import stats

    params = {
        "g": {"dist": "normal", "mean": 2.0, "sd": 0.5},
        "t": {"dist": "triangular", "low": 0.0, "mode": 1.0, "high": 4.0},
        "u": {"dist": "uniform", "low": 5.0, "high": 6.0},
        "tn": {"dist": "truncnormal", "mean": 0.0, "sd": 1.0, "low": -1.0, "high": 1.0},
        "ln": {"dist": "lognormal", "mean": 0.0, "sd": 0.3},
    }
    d = build_design(make("lhs", params, samples=400))
    np.testing.assert_allclose(d.points["g"], stats.norm(2.0, 0.5).ppf(d.unit[:, 0]))
    assert d.points["t"].between(0, 4).all() and d.points["u"].between(5, 6).all()
    assert d.points["tn"].between(-1, 1).all() and (d.points["ln"] > 0).all()
    assert abs(d.points["g"].mean() - 2.0) < 0.05


def test_designs_are_deterministic_in_the_seed():
    a, b = build_design(make("sobol", samples=8)), build_design(make("sobol", samples=8))
    np.testing.assert_array_equal(a.unit, b.unit)
    c = build_design(make("lhs", samples=8)), build_design(make("lhs", samples=8, seed=12))
    assert not np.array_equal(c[0].unit, c[1].unit)


def test_points_csv(tmp_path):
    (tmp_path / "pts.csv").write_text("a,n,flag,kind\n0.5,2,true,y\n-1,5,False,z\n3.0,1,1,x\n")
    exp = {
        "name": "p",
        "model": "govsim.experiments.examples:linear",
        "design": "points",
        "points": "pts.csv",
        "seed": 1,
        "outcomes": ["y"],
    }
    path = tmp_path / "e.toml"
    spec = parse_experiment({"experiment": exp, "parameters": PARAMS}, path)
    d = build_design(spec)
    assert d.n_points == 3 and expected_size(spec) is None
    assert list(d.points["n"]) == [2, 5, 1] and list(d.points["flag"]) == [True, False, True]
    assert list(d.points["kind"]) == ["y", "z", "x"]
    (tmp_path / "pts.csv").write_text("a,n,flag,kind\n7.5,2,true,y\n")
    with pytest.raises(InputError) as err:
        build_design(spec)
    assert "a (row 2)" in str(err.value) and "pts.csv" in str(err.value)
    (tmp_path / "pts.csv").write_text("a,n,flag\n0.5,2,true\n")
    with pytest.raises(InputError, match="kind"):
        build_design(spec)


def test_sobol_matches_salib_directly():
    from SALib.sample import sobol

    spec = make("sobol", {"x": {"low": 0.0, "high": 2.0}, "y": {"low": 0.0, "high": 1.0}}, samples=8)
    ref = sobol.sample({"num_vars": 2, "names": ["x", "y"], "bounds": [[0, 2], [0, 1]]}, 8, seed=11)
    got = build_design(spec).points[["x", "y"]].to_numpy()
    np.testing.assert_allclose(got, ref)
    assert math.isclose(len(got), 8 * 6)
