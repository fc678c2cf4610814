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


@pytest.mark.parametrize("edited", ["scenario", "its base"])
def test_a_second_serial_sweep_in_one_process_reads_the_edited_scenario(tmp_path, edited):
    """A scenario file (or the file its ``run.base`` varies) edited between two sweeps of one
    process: the second sweep runs the edited city, not the one the first sweep cached."""
    city = tmp_path / "city.toml"
    top = tmp_path / "top.toml"
    city.write_text(f'[run]\nbase = "{ROOT / "scenarios" / "baseline.toml"}"\n\n[world]\npopulation = 300\n')
    top.write_text('[run]\nbase = "city.toml"\n\n[policy]\nhotline_response = false\n')
    exp = tmp_path / "exp.toml"
    exp.write_text(
        '[experiment]\nname = "edit"\nscenario = "top.toml"\ndesign = "factorial"\nreplicates = 1\n'
        'seed = 5\ndays = 3\noutcomes = ["mean_trust", "issues_arisen"]\n\n'
        '[parameters]\n"policy.street_empowerment" = { levels = [0.0, 1.0] }\n'
    )
    first = read_runs(run_sweep(exp, tmp_path / "first", executor="serial")).drop(columns="wall_s")
    if edited == "scenario":
        top.write_text('[run]\nbase = "city.toml"\n\n[policy]\nhotline_response = false\n\n[world]\npopulation = 600\n')
    else:
        city.write_text(city.read_text().replace("population = 300", "population = 600"))
    second = read_runs(run_sweep(exp, tmp_path / "second", executor="serial")).drop(columns="wall_s")
    assert (second["status"] == "ok").all(), second
    import numpy as np

    for _, row in second.iterrows():
        spec = sim.apply_overrides(sim.load_scenario(top), {"policy.street_empowerment": row["policy.street_empowerment"]})
        assert spec.world.population == 600
        summary, _ = sim.simulate(spec, rng=np.random.SeedSequence(5, spawn_key=(0,)), days=3)
        assert (row["mean_trust"], row["issues_arisen"]) == (summary["mean_trust"], summary["issues_arisen"])
    assert not first[["mean_trust", "issues_arisen"]].equals(second[["mean_trust", "issues_arisen"]])
