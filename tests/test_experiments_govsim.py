"""Sweeps of the govsim model itself on a tiny world."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from govsim.experiments import load_experiment, read_runs, run_sweep

ROOT = Path(__file__).resolve().parents[1]
sim = pytest.importorskip("sim")
if not hasattr(sim, "simulate") or not (ROOT / "scenarios" / "baseline.toml").exists():
    pytest.skip("the govsim model is not there yet", allow_module_level=True)

TINY = f"""
[experiment]
name = "tiny"
scenario = "{ROOT / "scenarios" / "baseline.toml"}"
design = "lhs"
samples = 4
replicates = 2
seed = 99
days = 20
outcomes = ["share_left_city", "mean_trust"]
timeseries = true

[parameters]
"policy.street_empowerment" = {{ low = 0.0, high = 1.0 }}
"policy.hotline_response" = {{ levels = [false, true] }}
"world.trust_loss_weight" = {{ low = 1.0, high = 5.0 }}

[fixed]
"world.population" = 1000
"""


def test_tiny_govsim_sweep_serial_equals_processes(tmp_path):
    exp = tmp_path / "tiny.toml"
    exp.write_text(TINY)
    a = run_sweep(exp, tmp_path / "a", executor="serial")
    b = run_sweep(exp, tmp_path / "b", executor="processes", workers=2)
    ra, rb = read_runs(a), read_runs(b)
    assert len(ra) == 8 and (ra["status"] == "ok").all(), ra
    assert {
        "policy.street_empowerment",
        "policy.hotline_response",
        "world.trust_loss_weight",
        "mean_trust",
    } <= set(ra.columns)
    pd.testing.assert_frame_equal(ra.drop(columns="wall_s"), rb.drop(columns="wall_s"))
    ts = pd.read_parquet(a / "timeseries.parquet")
    assert len(ts) == 8 * 21 and list(ts.columns) == [
        "run_id",
        "point_id",
        "replicate",
        "day",
        "share_left_city",
        "mean_trust",
    ]
    pd.testing.assert_frame_equal(ts, pd.read_parquet(b / "timeseries.parquet"))
    # a row recreates its run through the public model API
    row = ra.iloc[5]
    spec = sim.apply_overrides(
        sim.load_scenario(ROOT / "scenarios" / "baseline.toml"),
        {
            "world.population": 1000,
            **{
                k: row[k].item()
                for k in ("policy.street_empowerment", "policy.hotline_response", "world.trust_loss_weight")
            },
        },
    )
    import numpy as np

    summary, _ = sim.simulate(spec, rng=np.random.SeedSequence(99).spawn(2)[int(row["replicate"])], days=20)
    assert summary["mean_trust"] == row["mean_trust"]
    man = json.loads((a / "manifest.json").read_text())
    assert man["outcomes"] == ["share_left_city", "mean_trust"] and man["scenario"].endswith("baseline.toml")


def test_default_outcomes_are_every_govsim_outcome(tmp_path):
    exp = tmp_path / "tiny.toml"
    exp.write_text(
        TINY.replace('outcomes = ["share_left_city", "mean_trust"]\n', "")
        .replace("samples = 4", "samples = 1")
        .replace("replicates = 2", "replicates = 1")
    )
    spec = load_experiment(exp)
    assert spec.outcome_names == list(sim.OUTCOME_NAMES)
    runs = read_runs(run_sweep(spec, tmp_path / "o", executor="serial"))
    assert list(runs.columns[-len(sim.OUTCOME_NAMES) :]) == list(sim.OUTCOME_NAMES)
