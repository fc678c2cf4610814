"""Each figure function returns a Figure with the expected axes and artists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from govsim.analysis import figures as F
from govsim.analysis.compare import compare_runs
from govsim.analysis.discovery import prim
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure


@pytest.fixture(scope="module")
def ts():
    rng = np.random.default_rng(0)
    rows = []
    for s, e in (("base", 0.0), ("reform", 0.1), ("both", 0.2)):
        for r in range(8):
            trust = 0.5 + e + np.cumsum(rng.normal(0, 0.01, 30))
            rows.append(pd.DataFrame({"scenario": s, "replicate": r, "seed": r, "day": np.arange(30),
                                      "mean_trust": trust, "share_low_trust": 1 - trust, "open_issues": 30 * trust}))
    return pd.concat(rows, ignore_index=True)


def _polys(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_fan_chart(ts):
    fig = F.fan_chart(ts, "mean_trust")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.lines) == 3 and len(_polys(ax)) == 6  # a median and two bands per scenario
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base", "reform", "both"]


def test_trust_trap(ts):
    fig = F.trust_trap(ts, 0.45)
    assert len(fig.axes) == 2
    top, bottom = fig.axes
    assert len(top.lines) == 4  # three scenarios and the threshold
    assert any(np.allclose(line.get_ydata(), 0.45) for line in top.lines)
    assert len(bottom.lines) == 3


def test_forest_plot(ts):
    cmp = compare_runs(ts[ts.day == 29], ["mean_trust", "open_issues"], n_boot=200)
    fig = F.forest_plot(cmp)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_yticklabels()] == ["reform", "both"]
        assert len(ax.lines) >= 2  # the zero line and the points


def _table(indices, values, params=("a", "b", "c")):
    rows = []
    for ix, vals in zip(indices, values, strict=True):
        for p, v in zip(params, vals, strict=True):
            rows.append({"parameter": p, "outcome": "y", "index": ix, "value": v, "ci_low": v - 0.05, "ci_high": v + 0.05})
    return pd.DataFrame(rows)


def test_sobol_bars():
    fig = F.sobol_bars(_table(["S1", "ST"], [[0.3, 0.4, 0.0], [0.55, 0.45, 0.25]]), "y")
    ax = fig.axes[0]
    assert len(ax.patches) == 6 and len(ax.containers) == 4  # 2 bar containers + 2 error-bar containers
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["S1", "ST"]


def test_morris_plot():
    tab = _table(["mu_star", "mu_star_conf", "sigma", "mu"], [[10, 3, 0.1], [1, 0.5, 0.01], [0, 2, 0.05], [10, 3, 0.1]])
    fig = F.morris_plot(tab, "y")
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["a", "b", "c"]
    assert ax.get_xlim()[1] >= 10


def test_prim_figures():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.uniform(size=(400, 3)), columns=["a", "b", "c"])
    res = prim(X, ((X.a > 0.5) & (X.b < 0.5)).to_numpy())
    fig = F.prim_tradeoff(res.trajectory, res.chosen)
    assert len(fig.axes) == 2  # the plot and its colour bar
    scatters = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2 and len(scatters[0].get_offsets()) == len(res.trajectory)
    fig = F.prim_box(res.box)
    assert len(fig.axes[0].lines) == 2 * len(res.box) and len(res.box) == 2


def test_save_png_and_svg(tmp_path, ts):
    paths = F.save(F.fan_chart(ts, "open_issues"), tmp_path / "fan")
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and b"<svg" in paths[1].read_bytes()
