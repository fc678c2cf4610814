"""The researcher's path end to end, through the command line: `govsim sweep` then `govsim analyze`."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from govsim.cli import main
from tests.conftest import ROOT

ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


@pytest.mark.slow
def test_ishigami_through_sweep_and_analyze_recovers_analytic_indices(tmp_path):
    """A `module:function` model swept with the Saltelli design and analysed from the results folder."""
    out = tmp_path / "sweep"
    assert main(["sweep", str(ROOT / "experiments" / "ishigami.toml"), "--out", str(out), "--quiet"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 1024 * (2 * 3 + 2) and (runs["status"] == "ok").all()
    assert main(["analyze", str(out), "--out", str(tmp_path / "analysis")]) == 0
    ix = pd.read_csv(tmp_path / "analysis" / "indices.csv")
    assert list(ix.columns) == ["parameter", "outcome", "index", "value", "ci_low", "ci_high"]
    for name, truth in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        tab = ix[ix["index"] == name].set_index("parameter")
        for p, t in truth.items():
            lo, hi = tab.loc[p, "ci_low"], tab.loc[p, "ci_high"]
            assert lo <= t <= hi, (name, p, t, lo, hi)
            assert hi - lo < 0.25  # informative, not trivially wide
    s2 = ix[ix["index"] == "S2"].set_index("parameter")
    assert s2.loc["x1×x3", "ci_low"] <= 0.2437 <= s2.loc["x1×x3", "ci_high"]


@pytest.mark.slow
def test_morris_screening_of_the_model_gives_tables_figures_and_report(tmp_path):
    """The shipped Morris screening, shrunk to CI size, swept on the real model and analysed."""
    exp = (ROOT / "experiments" / "morris_screening.toml").read_text(encoding="utf-8")
    exp = re.sub(r"(?m)^samples = .*$", "samples = 4", exp)
    exp = re.sub(r"(?m)^replicates = .*$", "replicates = 2", exp)
    exp = re.sub(r"(?m)^days = .*$", "days = 60", exp)
    exp = exp.replace('scenario = "../scenarios/baseline.toml"',
                      f'scenario = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"')
    exp = re.sub(r'(?m)^"world.population" = .*$', '"world.population" = 1500', exp)
    path = tmp_path / "morris_small.toml"
    path.write_text(exp, encoding="utf-8")
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    n_params = 8
    assert len(runs) == 4 * (n_params + 1) * 2
    assert {"run_id", "point_id", "replicate", "root_seed", "status", "wall_s", "policy.street_empowerment",
            "share_left_city", "mean_trust"} <= set(runs.columns)
    adir = tmp_path / "analysis"
    assert main(["analyze", str(out), "--out", str(adir)]) == 0
    ix = pd.read_csv(adir / "indices.csv")
    outcomes = sorted(set(ix["outcome"]))
    assert {"share_left_city", "mean_trust"} <= set(outcomes)
    assert {"mu_star", "sigma"} <= set(ix["index"])
    assert ix["value"].map(math.isfinite).all()
    html = (adir / "report.html").read_text(encoding="utf-8")
    pngs = sorted((adir / "figures").glob("*.png"))
    assert len(pngs) == len(outcomes)  # one μ*–σ figure per outcome
    assert html.count('src="data:image/png;base64,') == len(pngs)  # every figure embedded
    for o in outcomes:  # every outcome's index table is in the report
        assert f"Indices for {o}" in html
    assert "http://" not in html and "https://" not in html
    # provenance: the run count and replicates (a bare number would match anywhere in the base64 figures)
    assert f"replicates = 2, total runs = {len(runs)}" in html
