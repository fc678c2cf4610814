"""govsim optimize: standard test problems through the sweep runner, resume after kill -9, robustness,
constraints, discrete levers, validation, the shipped study (tiny) and its report."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govsim.experiments.optimize import load_optimize, optimize, parse_optimize, read_optimize
from govsim.experiments.store import read_runs
from govsim.sim.errors import InputError

from govsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
ZDT1_HV = 1.1 * 1.1 - 1.0 / 3.0  # hypervolume of the true ZDT1 front to (1.1, 1.1)
DTLZ2_HV = 1.1**3 - math.pi / 6.0  # the unit sphere's octant to (1.1, 1.1, 1.1)


def _study(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _unit_vars(n: int, first: int = 1) -> str:
    return "\n".join(f"x{i} = {{ low = 0.0, high = 1.0 }}" for i in range(first, n + 1))


def _zdt1(tmp_path: Path, population: int = 100, generations: int = 30, extra: str = "", fixed: str = "",
          seed: int = 1) -> Path:
    return _study(tmp_path, "zdt1", f"""
[experiment]
name = "zdt1"
model = "govsim.experiments.examples:zdt1"
seed = {seed}
[parameters]
{_unit_vars(5)}
{fixed}
[objectives]
f1 = "min"
f2 = "min"
{extra}
[search]
algorithm = "nsga2"
population = {population}
generations = {generations}
seed = 1
reference_point = [1.1, 1.1]
""")


# --------------------------------------------------------------------------- standard problems


@pytest.mark.timeout(300)
def test_zdt1_reaches_97_percent_of_the_true_hypervolume(tmp_path):
    folder = optimize(_zdt1(tmp_path), tmp_path / "out", executor="serial")
    res = read_optimize(folder)
    hist = res["history"]
    assert hist["evaluations"].iloc[-1] <= 3000
    ratio = hist["hypervolume"].iloc[-1] / ZDT1_HV
    print(f"ZDT1: {hist['evaluations'].iloc[-1]} evaluations, hypervolume ratio {ratio:.4f}")
    assert ratio >= 0.97
    assert hist["hypervolume"].is_monotonic_increasing  # an archive's front never loses ground
    front = res["pareto"]
    # every evaluation was one run of the sweep runner, stored in Parquet
    runs = sum(len(read_runs(d)) for d in sorted((folder / "evals").iterdir()) if d.is_dir())
    assert runs == res["meta"]["runs"] == len(res["evaluations"])
    assert {"x1", "x5", "f1", "f2", "f1_low", "f1_high"} <= set(front.columns)
    # on the true front x2..x5 = 0 and f2 = 1 - sqrt(f1)
    assert np.abs(front["f2"] - (1 - np.sqrt(front["f1"]))).median() < 0.02


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_dtlz2_reaches_90_percent_of_the_true_hypervolume(tmp_path):
    path = _study(tmp_path, "dtlz2", f"""
[experiment]
name = "dtlz2"
model = "govsim.experiments.examples:dtlz2"
seed = 1
[parameters]
{_unit_vars(7)}
[objectives]
f1 = "min"
f2 = "min"
f3 = "min"
[search]
algorithm = "nsga3"
population = 92
generations = 108
seed = 1
reference_point = [1.1, 1.1, 1.1]
""")
    res = read_optimize(optimize(path, tmp_path / "out", executor="serial"))
    hist = res["history"]
    assert hist["evaluations"].iloc[-1] <= 10_000
    ratio = hist["hypervolume"].iloc[-1] / DTLZ2_HV
    print(f"DTLZ2: {hist['evaluations'].iloc[-1]} evaluations, hypervolume ratio {ratio:.4f}")
    assert ratio >= 0.90
    r = np.sqrt((res["pareto"][["f1", "f2", "f3"]] ** 2).sum(axis=1))
    assert r.median() < 1.02  # on (or near) the unit sphere


@pytest.mark.timeout(300)
def test_processes_executor_gives_the_serial_front(tmp_path):
    path = _zdt1(tmp_path, population=8, generations=2)
    a = read_optimize(optimize(path, tmp_path / "serial", executor="serial"))
    b = read_optimize(optimize(path, tmp_path / "processes", executor="processes", workers=2))
    pd.testing.assert_frame_equal(a["pareto"], b["pareto"])
    pd.testing.assert_frame_equal(a["history"], b["history"])


# --------------------------------------------------------------------------- resume after kill -9


def _all_runs(folder: Path) -> pd.DataFrame:
    parts = []
    for d in sorted((folder / "evals").iterdir()):
        # a generation the kill caught before its first flushed run has a folder but no runs yet
        if d.is_dir() and ((d / "runs.parquet").exists() or list((d / "parts").glob("*.parquet"))):
            parts.append(read_runs(d).assign(batch=d.name))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.timeout(300)
def test_a_killed_search_resumes_with_exactly_the_runs_of_an_uninterrupted_one(tmp_path):
    path = _zdt1(tmp_path, population=8, generations=8, fixed='[fixed]\nsleep = 0.1')
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-c", "import sys; from govsim.cli import main; sys.exit(main())", "optimize", str(path),
           "--out", str(killed), "--executor", "serial", "-q"]
    log = tmp_path / "killed.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        deadline = time.monotonic() + 120
        try:  # wait until the search is mid-way: generation 2 has flushed runs, later generations have not started
            while not list((killed / "evals" / "gen002" / "parts").glob("*.parquet")) and \
                    not (killed / "evals" / "gen002" / "runs.parquet").exists():
                assert proc.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, "the search never reached generation 2"
                time.sleep(0.02)
            os.killpg(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    meta = json.loads((killed / "optimize.json").read_text())
    assert meta["finished"] is None and not (killed / "pareto.parquet").exists()
    assert not (killed / "evals" / "gen007").exists()  # it really stopped mid-search
    before = len(_all_runs(killed))

    assert main(["optimize", str(path), "--out", str(killed), "--executor", "serial", "--resume", "-q"]) == 0
    whole = optimize(path, tmp_path / "whole", executor="serial")

    a, b = _all_runs(killed), _all_runs(whole)
    assert 0 < before < len(a)
    assert not a.duplicated(["batch", "run_id"]).any()  # no run twice
    cols = ["batch", "run_id", "point_id", "replicate", "status", "x1", "x2", "f1", "f2"]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))
    ra, rb = read_optimize(killed), read_optimize(whole)
    pd.testing.assert_frame_equal(ra["pareto"], rb["pareto"])
    pd.testing.assert_frame_equal(ra["history"], rb["history"])
    assert len(ra["meta"]["resumed"]) == 1


def test_a_second_run_into_the_folder_needs_resume_and_the_same_study(tmp_path):
    path = _zdt1(tmp_path, population=4, generations=1)
    optimize(path, tmp_path / "out", executor="serial")
    with pytest.raises(InputError, match="--resume"):
        optimize(path, tmp_path / "out", executor="serial")
    (tmp_path / "other").mkdir()
    other = _zdt1(tmp_path / "other", population=4, generations=1, seed=2)
    with pytest.raises(InputError, match="different search"):
        optimize(other, tmp_path / "out", executor="serial", resume=True)
    optimize(path, tmp_path / "out", executor="serial", resume=True)  # a finished search: reuses every run


# --------------------------------------------------------------------------- robustness, constraints, levers


def _robust(tmp_path: Path, robustness: str, thresholds: str = "") -> dict:
    path = _study(tmp_path, f"robust_{robustness}", f"""
[experiment]
name = "robust"
model = "govsim.experiments.examples:zdt1"
seed = 3
[parameters]
{_unit_vars(4)}
[objectives]
f1 = "min"
f2 = "min"
[uncertainties]
ensemble = 5
robustness = "{robustness}"
{thresholds}
[uncertainties.parameters]
x5 = {{ low = 0.0, high = 1.0 }}
[search]
population = 8
generations = 3
seed = 2
""")
    return read_optimize(optimize(path, tmp_path / f"out_{robustness}", executor="serial"))


def test_robustness_measures_judge_each_candidate_across_the_same_ensemble(tmp_path):
    res = {r: _robust(tmp_path, r) for r in ("mean", "p90", "regret")}
    res["satisficing"] = _robust(tmp_path, "satisficing",
                                 "[uncertainties.thresholds]\nf1 = { max = 0.5 }\nf2 = { max = 3.0 }")
    ens = res["mean"]["ensemble"]
    assert len(ens) == 5 and ens["x5"].between(0, 1).all()
    for r in res.values():  # the same states for every measure (drawn from the experiment seed)
        pd.testing.assert_frame_equal(r["ensemble"], ens)
        assert r["meta"]["runs"] == 5 * len(r["evaluations"])
    m, p = res["mean"]["evaluations"], res["p90"]["evaluations"]
    # the same first generation; p90 of a minimised outcome is never better than its mean
    first = m[m["generation"] == 0].merge(p[p["generation"] == 0], on=[f"x{i}" for i in range(1, 5)])
    assert len(first) == 8 and (first["f2_y"] >= first["f2_x"] - 1e-12).all()
    assert (res["regret"]["evaluations"][["f1", "f2"]] >= 0).all().all()
    sat = res["satisficing"]["evaluations"]
    assert sat[["f1", "f2"]].isin([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]).all().all()


def test_constraints_and_discrete_levers(tmp_path):
    path = _study(tmp_path, "discrete", """
[experiment]
name = "discrete"
model = "govsim.experiments.examples:zdt1"
seed = 4
[parameters]
x1 = { levels = [0.1, 0.3, 0.6, 0.9] }
x2 = { low = 0, high = 1, integer = true }
x3 = { low = 0.0, high = 1.0 }
x4 = { low = 0.0, high = 1.0 }
x5 = { low = 0.0, high = 1.0 }
[objectives]
f1 = "min"
f2 = "min"
[constraints]
f1 = { max = 0.7 }
[search]
population = 12
generations = 4
seed = 3
""")
    res = read_optimize(optimize(path, tmp_path / "out", executor="serial"))
    ev = res["evaluations"]
    assert set(ev["x1"]) <= {0.1, 0.3, 0.6, 0.9} and set(ev["x2"]) <= {0, 1}
    assert ev["x2"].dtype.kind == "i"
    assert (ev["feasible"] == (ev["f1"] <= 0.7)).all()
    assert (res["pareto"]["f1"] <= 0.7).all() and res["pareto"]["feasible"].all()
    assert not ev.duplicated(["x1", "x2", "x3", "x4", "x5"]).any()  # a candidate proposed again is not rerun


# --------------------------------------------------------------------------- validation


BASE = """
[experiment]
name = "v"
model = "govsim.experiments.examples:zdt1"
seed = 1
[parameters]
x1 = { low = 0.0, high = 1.0 }
x2 = { low = 0.0, high = 1.0 }
"""


@pytest.mark.parametrize(("extra", "key", "words"), [
    ('[objectives]\nf1 = "min"', "objectives", "at least 2"),
    ('[objectives]\nf1 = "min"\nf2 = "largest"', "objectives.f2", "min"),
    ('[objectives]\nf1 = "min"\nf2 = "min"\n[search]\nalgorithm = "random"', "search.algorithm", "nsga2"),
    ('[objectives]\nf1 = "min"\nf2 = "min"\n[uncertainties]\nrobustness = "satisficing"\n'
     '[uncertainties.parameters]\nx3 = { low = 0.0, high = 1.0 }', "uncertainties", "thresholds"),
    ('[objectives]\nf1 = "min"\nf2 = "min"\n[constraints]\nf1 = { }', "constraints.f1", "max"),
    ('[objectives]\nf1 = "min"\nf2 = "min"\n[search]\nreference_point = [1.0]', "", "one per objective"),
])
def test_bad_files_give_one_line_errors(tmp_path, capsys, extra, key, words):
    path = _study(tmp_path, "bad", BASE + extra)
    with pytest.raises(InputError) as err:
        load_optimize(path)
    assert str(path) in str(err.value) and key in str(err.value) and words in str(err.value)
    capsys.readouterr()
    assert main(["optimize", str(path), "--out", str(tmp_path / "o")]) == 2
    out = capsys.readouterr().err
    assert out.startswith("error: ") and out.count("\n") == 1 and "Traceback" not in out


def test_a_distribution_is_no_lever_and_govsim_paths_are_checked(tmp_path):
    with pytest.raises(InputError, match="not a distribution"):
        parse_optimize({"experiment": {"name": "x", "model": "m:f", "seed": 1},
                        "parameters": {"a": {"dist": "normal", "mean": 0, "sd": 1}},
                        "objectives": {"y": "min", "z": "min"}})
    path = _study(tmp_path, "govsim_bad", f"""
[experiment]
name = "g"
scenario = "{ROOT / 'scenarios' / 'baseline.toml'}"
seed = 1
[parameters]
"policy.street_empowerment" = {{ low = 0.0, high = 1.0 }}
[objectives]
cost = "min"
mean_trust = "max"
[uncertainties.parameters]
"world.no_such_thing" = {{ low = 0.0, high = 1.0 }}
""")
    with pytest.raises(InputError, match=r'uncertainties\.parameters\."world\.no_such_thing"'):
        load_optimize(path)


# --------------------------------------------------------------------------- the shipped study, tiny


TINY = ["--set", "search.population=6", "--set", "search.generations=2", "--set", "uncertainties.ensemble=2",
        "--set", "experiment.replicates=1", "--set", "experiment.days=20", "--fixed", "world.population=300"]


def test_the_shipped_study_validates():
    spec = load_optimize(ROOT / "experiments" / "best_package.toml")
    assert spec.objectives == {"share_left_city": "min", "mean_resolution_days": "min", "mean_trust": "max",
                               "cost": "min"}
    assert spec.constraints["cost"].max is not None and spec.uncertainties is not None
    assert spec.search.algorithm == "nsga3" and len(spec.options) >= 5
    assert main(["validate", str(ROOT / "experiments" / "best_package.toml")]) == 0


@pytest.mark.timeout(300)
def test_the_shipped_study_runs_tiny_and_reports(tmp_path, capsys):
    out = tmp_path / "bp"
    assert main(["optimize", str(ROOT / "experiments" / "best_package.toml"), "--out", str(out),
                 "--executor", "serial", *TINY]) == 0
    res = read_optimize(out)
    assert len(res["pareto"]) >= 1 and len(res["options"]) == len(load_optimize(
        ROOT / "experiments" / "best_package.toml").options)
    spec = load_optimize(ROOT / "experiments" / "best_package.toml")
    assert res["pareto"]["feasible"].all() and (res["pareto"]["cost"] <= spec.constraints["cost"].max).all()
    by_id = res["pareto"].set_index("candidate_id")
    for opt in res["options"].itertuples(index=False):  # a dominating package is no worse on any objective
        for cid in json.loads(opt.dominated_by):
            pkg = by_id.loc[cid]
            for o, sense in spec.objectives.items():
                assert (pkg[o] <= getattr(opt, o)) if sense == "min" else (pkg[o] >= getattr(opt, o)), (opt.option, o)
    text = (out / "report.html").read_text(encoding="utf-8")
    # the report names a dominated option and its package, or says with numbers that none is dominated
    dominated = res["options"][res["options"]["n_dominating"] > 0]
    if len(dominated):
        assert f"{dominated['option'].iloc[0]} is dominated by" in text
    else:
        assert "No shipped option is dominated" in text and "万元" in text
    assert text.index("The answer") < text.index("<h2>Provenance")
    assert (out / "report.md").is_file() and (out / "figures" / "front.png").is_file()


def test_the_shipped_studys_budget_binds():
    """At the study's city the budget admits the baseline and each single-lever option, not the full
    Fengqiao package nor every lever at its top: the cost constraint shapes the front. Options are
    costed as the study runs them: the base scenario with the option's values of the searched levers."""
    from govsim.experiments.optimize_spec import option_values
    from govsim.sim.costs import yearly_cost

    import govsim

    spec = load_optimize(ROOT / "experiments" / "best_package.toml")
    budget = spec.constraints["cost"].max

    def cost(levers: dict) -> float:
        return yearly_cost(govsim.load_scenario(spec.scenario_path, levers))

    costs = {name: cost(option_values(spec, name)) for name in spec.options}
    assert costs["fengqiao_full"] > budget
    assert all(c <= budget for name, c in costs.items() if name != "fengqiao_full"), costs
    assert cost({k: (p.high if p.levels is None else max(p.levels)) for k, p in spec.parameters.items()}) > budget


def test_the_shipped_studys_uncertainties_each_move_an_objective():
    """Each uncertain parameter, at its two bounds with the same seed, changes an objective; the word
    of mouth of the frozen-trust model, left out of the study, changes none under living trust."""
    import govsim

    spec = load_optimize(ROOT / "experiments" / "best_package.toml")
    # early warning on, so that its score's weights act (they are inert without it)
    small = {"world.population": 2000, "run.days": 180, "policy.early_warning": 1.0}

    def objectives(name: str, value: float) -> dict[str, float]:
        s = govsim.run(spec.scenario_path, seed=3, replicate=0, overrides={**small, name: value}).summary
        return {o: s[o] for o in spec.objectives}

    for name, p in spec.uncertain.items():
        assert objectives(name, p.low) != objectives(name, p.high), name
    assert objectives("world.word_of_mouth", 0.1) == objectives("world.word_of_mouth", 0.5)


def test_the_api_runs_a_study_with_changes(tmp_path):
    import govsim

    front = govsim.optimize(_zdt1(tmp_path, population=4, generations=2), tmp_path / "api", executor="serial",
                            search__generations=1)
    res = read_optimize(tmp_path / "api")
    assert len(res["history"]) == 1 and len(front) == len(res["pareto"])
    assert (tmp_path / "api" / "report.html").is_file()


def test_a_bundled_study_is_found_by_name():
    """``govsim optimize best_package`` finds the bundled file, like every other verb."""
    from govsim.experiments.optimize_spec import load_optimize

    spec = load_optimize("best_package", check=False)
    assert spec.path is not None and spec.path.name == "best_package.toml"


def test_ensemble_keeps_its_import_path_through_optimize():
    from govsim.experiments import optimize as opt
    from govsim.experiments import optimize_eval

    assert opt.ensemble is optimize_eval.ensemble and "ensemble" in opt.__all__
