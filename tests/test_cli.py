"""The command line: run, validate, compare, and one-line errors with exit status 2 for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from govsim.sim import OUTCOME_NAMES

from govsim.cli import main
from tests.conftest import ROOT, unwritable_path

BASE = str(ROOT / "scenarios" / "baseline.toml")
SMALL = ["--set", "world.population=2000", "--days", "40"]


def test_run_writes_outputs(tmp_path, capsys):
    assert main(["run", BASE, *SMALL, "--seed", "3", "--out", str(tmp_path)]) == 0
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert len(ts) == 41 and set(OUTCOME_NAMES) <= set(ts.columns)
    doc = json.loads((tmp_path / "summary.json").read_text())
    assert set(doc) == {"outcomes", "outcome_meta", "scenario", "seed", "versions"}
    assert doc["outcome_meta"]["share_left_city"]["better"] == "lower"
    assert doc["seed"] == 3 and doc["scenario"]["world"]["population"] == 2000
    assert doc["outcomes"]["issues_arisen"] == ts["issues_arisen"].iloc[-1]
    assert "share_left_city" in capsys.readouterr().out


def test_run_same_seed_same_parquet(tmp_path):
    for d in ("a", "b"):
        assert main(["run", BASE, *SMALL, "--seed", "9", "-q", "--out", str(tmp_path / d)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "timeseries.parquet"),
                                  pd.read_parquet(tmp_path / "b" / "timeseries.parquet"))


def test_validate_every_scenario(capsys):
    for f in sorted((ROOT / "scenarios").glob("*.toml")):
        assert main(["validate", str(f)]) == 0, f
    assert "valid scenario" in capsys.readouterr().out


def _bad(tmp_path, text: str) -> str:
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    return str(p)


@pytest.mark.parametrize(
    ("content", "key", "words"),
    [
        ("[world]\npopulaton = 5\n", "world.populaton", "unknown key"),
        ("[world]\npopulation = 'many'\n", "world.population", "valid integer"),
        ("[world]\npopulation = 10\n", "world.population", "greater than or equal to 50"),
        ("[policy]\nstreet_empowerment = 1.5\n", "policy.street_empowerment", "less than or equal to 1"),
        ("[policy]\nhotline_response = 'yes please'\n", "policy.hotline_response", "boolean"),
        ("[issues.land]\nauthority = 'province'\n", "issues.land.authority", "community"),
        ("[world\npopulation = 3\n", "", "malformed TOML"),
        ("[frobnicate]\nx = 1\n", "frobnicate", "unknown key"),
        ("[[shocks]]\nname = 'x'\ntypes = ['floods']\n", "shocks.0.types.0", "land"),
        ("[world]\ndistricts = 3\ndistrict_capacity = [1.0, 2.0, 1.0, 1.0]\n", "world", "one per district"),
        ("[world]\ncity_file = \"no_such_city.csv\"\n", "world.city_file", "not found"),
        ("[world]\ncity_file = \"c.csv\"\ndistricts = 2\n", "world", "not both"),
    ],
)
def test_bad_scenario_one_line_exit_2(tmp_path, capsys, content, key, words):
    path = _bad(tmp_path, content)
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert path in err and words in err
    if key:
        assert f"'{key}'" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "/no/such/file.toml"], "file not found"),
        (["run", BASE, "--set", "policy.nope=1"], "unknown key 'nope'"),
        (["run", BASE, "--set", "world.population=-5"], "greater than or equal to 50"),
        (["run", BASE, "--set", "justtext"], "DOTTED.KEY=VALUE"),
        (["run", BASE, "--days", "-3"], "--days"),
        (["run", BASE, "--days", "0"], "--days"),
        (["run", BASE, "--seed", "abc"], "--seed"),
        (["compare", BASE, "--replicates", "0"], "--replicates"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_arguments_one_line_exit_2(capsys, args, words):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and words in err


def test_out_that_is_a_file_is_refused_and_untouched(tmp_path, capsys):
    f = tmp_path / "results"
    f.write_text("precious")
    assert main(["run", BASE, *SMALL, "--out", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert f.read_text() == "precious"


def test_unwritable_out_folder_is_an_environment_fault(tmp_path, capsys):
    """A folder the machine refuses (permission, read-only) is not bad input: exit 1, one line."""
    target = unwritable_path(tmp_path)
    assert main(["run", BASE, *SMALL, "--out", target]) == 1
    err = capsys.readouterr().err
    assert "--out" in err and err.count("\n") == 1


def test_console_script_exit_status(tmp_path):
    """The installed entry point exits 2 on bad input with a single line and no traceback."""
    exe = ROOT / ".venv" / "bin" / "govsim"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "govsim.cli"]
    proc = subprocess.run([*cmd, "run", str(tmp_path / "missing.toml")], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_compare_common_random_numbers(tmp_path, capsys):
    se = str(ROOT / "scenarios" / "street_empowerment.toml")
    assert main(["compare", BASE, se, "--replicates", "3", *SMALL, "--workers", "1", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert list(table.columns)[:8] == ["scenario", "outcome", "mean", "ci_low", "ci_high", "diff", "diff_ci_low",
                                       "diff_ci_high"]
    assert {"effect_size", "rank", "cost_effectiveness"} <= set(table.columns)
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64" in html and "share_left_city" in html
    runs = pd.read_parquet(tmp_path / "runs.parquet")  # a sweep folder: one row per run, the option's file
    assert len(runs) == 6 and (runs["status"] == "ok").all()
    assert sorted(runs["scenario"].map(lambda p: Path(p).stem).unique()) == ["baseline", "street_empowerment"]
    reps = runs.groupby("scenario")["replicate"].apply(list)
    assert reps.iloc[0] == reps.iloc[1] == [0, 1, 2]  # the same replicate seeds for every scenario
    assert (runs["root_seed"] == 20261129).all()
    base_rows = table[table.scenario == "baseline"]
    assert (base_rows["diff"] == 0).all()


@pytest.mark.slow
def test_demo_the_readme_main_job(tmp_path, capsys):
    """`make demo`'s job: a baseline year with summary and figure, then a comparison ending in a report path."""
    assert main(["demo", "--out", str(tmp_path), "--replicates", "2"]) == 0
    out = capsys.readouterr().out
    assert "share_left_city" in out
    assert (tmp_path / "baseline" / "timeseries.parquet").exists()
    assert (tmp_path / "baseline" / "ladder.png").stat().st_size > 10_000
    runs = pd.read_parquet(tmp_path / "compare" / "runs.parquet")
    assert sorted(set(runs["scenario"].map(lambda p: Path(p).stem))) == [
        "baseline", "building_heads", "fengqiao_full", "street_empowerment"]
    report = tmp_path / "compare" / "report.html"
    assert report.exists()
    assert out.strip().splitlines()[-1] == f"report: {report}"
