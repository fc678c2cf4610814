"""govsim.api: the Python face of the command line and bundled files by name (the wheel: test_packaging.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govsim.sim.errors import InputError
from govsim.sim.scenario import load_scenario as sim_load

from govsim import api

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"world.population": 2000}


# --------------------------------------------------------------------------- package surface


def test_package_reexports_the_api() -> None:
    import govsim.comparison  # noqa: F401 - the command line's modules do not shadow the API's verbs
    import govsim.dashboard_server  # noqa: F401
    from govsim.comparison import replicate_seeds

    for name in api.__all__:
        assert getattr(govsim, name) is getattr(api, name), name
    assert callable(govsim.compare) and govsim.compare is api.compare
    assert govsim.dashboard is api.dashboard
    assert [s.spawn_key for s in replicate_seeds(1, 2)] == [(0,), (1,)]
    with pytest.raises(AttributeError):
        _ = govsim.no_such_name


def test_typed_markers_are_there() -> None:
    assert (ROOT / "govsim" / "py.typed").is_file() and (ROOT / "sim" / "py.typed").is_file()


def test_public_names_have_google_docstrings() -> None:
    for name in api.__all__:
        doc = getattr(api, name).__doc__ or ""
        assert len(doc) > 40, name
    for name in ("load_scenario", "run", "compare", "sweep", "analyze", "discover", "dashboard"):
        assert "Args:" in getattr(api, name).__doc__, name


# --------------------------------------------------------------------------- scenarios


def test_bundled_scenarios_and_experiments_are_found_by_name() -> None:
    assert api.data_dir() == ROOT  # a clone reads its own folders
    names = api.scenario_names()
    assert names[0] == "baseline"
    assert set(names) == {p.stem for p in (ROOT / "scenarios").glob("*.toml")}
    assert set(api.experiment_names()) == {p.stem for p in (ROOT / "experiments").glob("*.toml")}
    for name in names:
        assert api.load_scenario(name) == sim_load(ROOT / "scenarios" / f"{name}.toml")
    assert api.load_scenario("fengqiao_full.toml") == sim_load(ROOT / "scenarios" / "fengqiao_full.toml")


def test_a_file_path_wins_over_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "baseline").write_text('[run]\nname = "mine"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert api.load_scenario("baseline").run.name == "mine"
    assert api.load_scenario(tmp_path / "baseline").run.name == "mine"


def test_overrides_as_dict_and_keywords() -> None:
    spec = api.load_scenario("baseline", {"policy.street_empowerment": 0.7}, world__population=3000,
                             **{"policy.data_sharing": 0.4})
    assert (spec.policy.street_empowerment, spec.world.population, spec.policy.data_sharing) == (0.7, 3000, 0.4)
    again = api.override(spec, {"world.population": 4000}, policy__street_empowerment=0.1)
    assert (again.world.population, again.policy.street_empowerment) == (4000, 0.1)
    assert spec.world.population == 3000  # frozen, never changed
    assert api.load_scenario(spec) is spec


def test_bad_input_is_one_input_error_naming_the_problem() -> None:
    with pytest.raises(InputError, match="bundled: baseline, austerity"):
        api.load_scenario("no_such_scenario")
    with pytest.raises(InputError, match="file not found"):
        api.load_scenario("missing/dir/file.toml")
    with pytest.raises(InputError, match="policy.no_such_lever"):
        api.load_scenario("baseline", **{"policy.no_such_lever": 1})
    with pytest.raises(InputError, match="world.population"):
        api.load_scenario("baseline", world__population=-5)
    with pytest.raises(InputError, match="bundled experiment"):
        api.load_experiment("no_such_experiment")


# --------------------------------------------------------------------------- run


def test_run_is_deterministic_and_matches_the_command_line(tmp_path: Path) -> None:
    a = api.run("baseline", seed=5, days=40, overrides=SMALL, out=tmp_path / "api")
    b = api.run(api.load_scenario("baseline", SMALL), seed=5, days=40)
    c = api.run("baseline", seed=6, days=40, overrides=SMALL)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.summary != c.summary
    assert a.spec.run.days == 40 and a.seed == 5
    assert len(a.timeseries) >= 40 and "mean_trust" in a.timeseries.columns
    from govsim.cli import main

    assert main(["run", str(ROOT / "scenarios" / "baseline.toml"), "--seed", "5", "--days", "40",
                 "--set", "world.population=2000", "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    cli = json.loads((tmp_path / "cli" / "summary.json").read_text())
    mine = json.loads((tmp_path / "api" / "summary.json").read_text())
    assert cli["outcomes"] == mine["outcomes"] == pytest.approx(a.summary)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cli" / "timeseries.parquet"),
                                  pd.read_parquet(tmp_path / "api" / "timeseries.parquet"))


# --------------------------------------------------------------------------- compare


def test_compare_pairs_replicates_and_matches_the_command_line(tmp_path: Path) -> None:
    table = api.compare(["baseline", "street_empowerment"], replicates=3, seed=11, workers=1, days=40,
                        overrides=SMALL)
    assert list(table.columns[:8]) == ["scenario", "outcome", "mean", "ci_low", "ci_high", "diff",
                                       "diff_ci_low", "diff_ci_high"]
    assert list(dict.fromkeys(table.scenario)) == ["baseline", "street_empowerment"]
    assert (table.loc[table.scenario == "baseline", "diff"] == 0).all()
    from govsim.comparison import replicate_seeds

    seeds = table.attrs["replicate_seeds"]
    assert [(s.entropy, s.spawn_key) for s in seeds] == [(s.entropy, s.spawn_key) for s in replicate_seeds(11, 3)]
    # the same numbers as `govsim compare`
    from govsim.cli import main

    files = [str(ROOT / "scenarios" / f) for f in ("baseline.toml", "street_empowerment.toml")]
    assert main(["compare", *files, "--replicates", "3", "--seed", "11", "--workers", "1", "--days", "40",
                 "--set", "world.population=2000", "--out", str(tmp_path), "--quiet"]) == 0
    cli = pd.read_csv(tmp_path / "comparison.csv")
    mine = table.set_index(["scenario", "outcome"])["mean"]
    theirs = cli.set_index(["scenario", "outcome"])["mean"]
    np.testing.assert_allclose(mine.loc[theirs.index].to_numpy(float), theirs.to_numpy(float), rtol=1e-9)


def test_compare_with_out_writes_the_command_lines_files(tmp_path: Path) -> None:
    table = api.compare(["baseline", "street_empowerment"], replicates=2, seed=1, workers=1, days=20,
                        overrides=SMALL, out=tmp_path / "c")
    assert {"comparison.csv", "runs.parquet", "report.html"} <= {p.name for p in (tmp_path / "c").iterdir()}
    assert len(pd.read_parquet(tmp_path / "c" / "runs.parquet")) == 4
    assert len(table) == len(pd.read_csv(tmp_path / "c" / "comparison.csv"))


def test_compare_refuses_bad_requests() -> None:
    with pytest.raises(InputError, match="at least 2"):
        api.compare(["baseline", "street_empowerment"], replicates=1)
    with pytest.raises(InputError, match="both named 'baseline'"):
        api.compare(["baseline", api.load_scenario("baseline")], replicates=2)
    with pytest.raises(InputError, match="at least one"):
        api.compare([], replicates=2)


# --------------------------------------------------------------------------- sweep, analyze, discover


@pytest.fixture(scope="module")
def morris_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweeps") / "morris"
    runs = api.sweep("morris_screening", out, executor="serial", samples=3, replicates=1, days=30,
                     fixed={"world.population": 1000})
    assert len(runs) == 3 * (8 + 1) and (runs.status == "ok").all()
    return out


def test_sweep_changes_only_what_it_is_asked_to(morris_dir: Path) -> None:
    manifest = json.loads((morris_dir / "manifest.json").read_text())
    exp = manifest["experiment"]["experiment"]
    assert (exp["samples"], exp["replicates"], exp["days"], exp["design"]) == (3, 1, 30, "morris")
    assert manifest["experiment"]["fixed"]["world.population"] == 1000
    assert "changed from Python" in manifest["experiment_raw"]
    assert Path(manifest["scenario"]) == (ROOT / "scenarios" / "baseline.toml").resolve()
    original = api.load_experiment("morris_screening")
    assert original.experiment.samples == 20 and original.fixed["world.population"] == 2000


def test_load_experiment_from_a_dict_with_a_bundled_scenario_name() -> None:
    exp = api.load_experiment({
        "experiment": {"name": "d", "scenario": "street_empowerment", "design": "lhs", "samples": 4, "seed": 1},
        "parameters": {"policy.data_sharing": {"low": 0.0, "high": 1.0}},
    }, days=10)
    assert exp.scenario_path == (ROOT / "scenarios" / "street_empowerment.toml").resolve()
    assert exp.experiment.days == 10
    assert api.load_experiment(exp) is exp
    with pytest.raises(InputError, match="experiment.samples"):
        api.load_experiment(exp, samples=0)
    with pytest.raises(InputError, match="no_such"):
        api.load_experiment(exp, fixed={"policy.no_such": 1})


def test_analyze_and_plot_a_morris_sweep(morris_dir: Path, tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    sens = api.analyze(morris_dir, outcomes=["mean_trust"], num_resamples=50, out=tmp_path)
    assert sens.method == "morris"
    assert set(sens.table["parameter"]) == set(api.load_experiment("morris_screening").parameters)
    assert {"indices.csv", "convergence.csv", "report.html"} <= {p.name for p in tmp_path.iterdir()}
    assert isinstance(api.plot(sens, "mean_trust"), Figure)
    with pytest.raises(InputError, match="mean_trust"):
        api.plot(sens, "cost")
    with pytest.raises(InputError, match="morris"):
        api.analyze(morris_dir, method="sobol")


def test_discover_finds_the_box_of_a_known_model(tmp_path: Path) -> None:
    exp = {"experiment": {"name": "lin", "model": "govsim.experiments.examples:linear", "design": "lhs", "samples": 120,
                          "seed": 3, "outcomes": ["y"]},
           "parameters": {"x": {"low": 0.0, "high": 10.0}, "w": {"low": 0.0, "high": 0.1}}}
    api.sweep(exp, tmp_path / "lin", executor="serial")
    res, importance = api.discover(tmp_path / "lin", "y", 8.0, "above")
    assert list(res.box["parameter"]) == ["x"]  # y ≈ x + w: only x decides
    assert res.coverage > 0.8 and res.density > 0.8
    assert importance.iloc[0]["parameter"] == "x"


# --------------------------------------------------------------------------- dashboard


def test_dashboard_is_the_classroom_page(tmp_path: Path) -> None:
    import ipyvuetify as v
    import solara

    page = api.dashboard(preset="street_empowerment", population=800, seed=9)
    _, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    status = " ".join(str(w.children[0]) for w in rc.find(v.Html, class_="govsim-status").widgets)
    assert "preset 'street_empowerment'" in status and "seed 9" in status and "800 residents" in status
    rc.find(v.Btn, children=["Step"]).widget.click()
    status = " ".join(str(w.children[0]) for w in rc.find(v.Html, class_="govsim-status").widgets)
    assert status.startswith("Day 1 ")
    own = tmp_path / "mine.toml"
    own.write_text(f'[run]\nname = "mine"\nbase = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"\n'
                   '[policy]\nstreet_empowerment = 0.35\n', encoding="utf-8")
    _, rc = solara.render(solara.AppLayout(children=[api.dashboard(preset=str(own))]), handle_error=False)
    policy = " ".join(str(w.children[0]) for w in rc.find(v.Html, class_="govsim-policy").widgets)
    assert "0.35" in policy
