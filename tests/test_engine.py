"""One engine per verb: compare is a sweep, one seed convention, one I/O module, one-way imports.

* ``govsim compare`` and a sweep whose points are the same scenario files give identical rows;
* replicate r of a compare or sweep with seed N is ``govsim run --seed N --replicate r``;
* compare has the sweep's folder lock, ``--resume``, executors and manifest (with outcome metadata);
* the analysis reads outcome directions from the results' manifest;
* environment faults exit 1, bad input 2;
* imports run one way: ``govsim`` → ``experiments``/``analysis`` → ``sim``, no cycle.
"""

from __future__ import annotations

import ast
import errno
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from govsim.experiments.options import read_options
from govsim.experiments.spec import load_experiment
from govsim.sim.errors import InputError

from govsim import api
from govsim.cli import main
from tests.conftest import ROOT

FILES = [str(ROOT / "scenarios" / f"{n}.toml") for n in ("baseline", "street_empowerment")]
SMALL = {"world.population": 800, "run.days": 45}
SEED = 42


def _experiment(tmp_path: Path, replicates: int = 3) -> Path:
    """A sweep over the two scenario files (a factorial design over the `scenario` parameter)."""
    levels = ", ".join(f'"{f}"' for f in FILES)
    path = tmp_path / "options.toml"
    path.write_text(f"""
[experiment]
name = "two_options"
scenario = "{FILES[0]}"
design = "factorial"
samples = 1
replicates = {replicates}
seed = {SEED}

[parameters]
scenario = {{ levels = [{levels}] }}

[fixed]
"world.population" = 800
"run.days" = 45
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    out = tmp_path_factory.mktemp("cmp") / "compare"
    table = api.compare(FILES, replicates=3, seed=SEED, workers=1, overrides=SMALL, out=out)
    return table, out


def test_compare_and_a_sweep_of_the_same_scenarios_give_identical_rows(compared, tmp_path: Path) -> None:
    _, out = compared
    swept = api.sweep(str(_experiment(tmp_path)), tmp_path / "sweep", executor="serial")
    runs, _, failed = read_options(out)
    assert failed.empty and len(runs) == len(swept) == 6
    swept["scenario"] = swept["scenario"].map(lambda p: Path(p).stem)
    outcomes = [c for c in swept.columns if c in runs.columns and c not in ("scenario", "replicate")]
    assert "share_left_city" in outcomes and "issues_arisen" in outcomes
    a = runs.set_index(["scenario", "replicate"])[outcomes].sort_index()
    b = swept.set_index(["scenario", "replicate"])[outcomes].sort_index()
    pd.testing.assert_frame_equal(a, b)
    assert runs.loc[runs.scenario == "baseline", "issues_arisen"].nunique() > 1  # the replicates differ


def test_replicate_r_of_compare_is_govsim_run_seed_n_replicate_r(compared, tmp_path: Path) -> None:
    _, out = compared
    runs, _, _ = read_options(out)
    row = runs[(runs.scenario == "street_empowerment") & (runs.replicate == 2)].iloc[0]
    res = api.run(FILES[1], seed=SEED, replicate=2, overrides=SMALL)
    assert res.summary["issues_arisen"] == row["issues_arisen"]
    assert res.summary["mean_trust"] == row["mean_trust"]
    # the command line runs the same function and records the replicate it ran
    assert main(["run", FILES[1], "--seed", str(SEED), "--replicate", "2", "--set", "world.population=800",
                 "--days", "45", "-q", "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert doc["replicate"] == 2 and doc["outcomes"]["mean_trust"] == row["mean_trust"]
    # without --replicate, --seed N is the model's own rng=N: a single run, not a replicate
    assert api.run(FILES[1], seed=SEED, overrides=SMALL).summary != res.summary


def test_compare_folder_is_a_sweep_folder_with_outcome_metadata(compared) -> None:
    table, out = compared
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "govsim-sweep/1"
    meta = manifest["outcome_meta"]
    assert meta["share_left_city"] == {"unit": meta["share_left_city"]["unit"], "better": "lower",
                                       "description": meta["share_left_city"]["description"]}
    assert meta["mean_trust"]["better"] == "higher"
    assert set(table["outcome"]) <= set(meta)
    assert {p.name for p in (out / "scenarios").iterdir()} == {"baseline.toml", "street_empowerment.toml"}
    assert (out / "compare.toml").is_file() and (out / "failures.jsonl").exists()
    csv = pd.read_csv(out / "comparison.csv")  # written once, the full table
    assert set(csv["outcome"]) == set(table["outcome"])


def test_compare_refuses_a_used_folder_and_resumes(compared) -> None:
    table, out = compared
    with pytest.raises(InputError, match="not empty.*--resume"):
        api.compare(FILES, replicates=3, seed=SEED, workers=1, overrides=SMALL, out=out)
    again = api.compare(FILES, replicates=3, seed=SEED, workers=1, overrides=SMALL, out=out, resume=True)
    pd.testing.assert_frame_equal(again, table)
    with pytest.raises(InputError, match="different comparison"):  # other options, same folder
        api.compare(FILES, replicates=3, seed=SEED + 1, workers=1, overrides=SMALL, out=out, resume=True)


def test_compare_gives_the_same_rows_on_every_executor(tmp_path: Path) -> None:
    small = {"world.population": 500, "run.days": 20}
    serial = api.compare(FILES, replicates=2, seed=7, executor="serial", overrides=small, out=tmp_path / "s")
    pool = api.compare(FILES, replicates=2, seed=7, executor="processes", workers=2, overrides=small,
                       out=tmp_path / "p")
    pd.testing.assert_frame_equal(read_options(tmp_path / "s")[0], read_options(tmp_path / "p")[0])
    pd.testing.assert_frame_equal(serial, pool)


def test_a_scenario_parameter_names_existing_files(tmp_path: Path) -> None:
    path = _experiment(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(FILES[1], str(tmp_path / "nope.toml")),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"parameters\.scenario.*not found"):
        load_experiment(path)


# --------------------------------------------------------------------------- outcome directions


def test_analysis_reads_directions_from_the_results_manifest() -> None:
    from govsim.analysis.compare import better_direction, compare_runs, outcome_directions

    manifest = {"outcome_meta": {"mean_trust": {"unit": "share", "better": "lower", "description": "x"}}}
    assert better_direction("mean_trust", outcome_directions(manifest)) == "lower"  # the results say so
    assert better_direction("mean_trust", outcome_directions({})) == "higher"  # an old folder: the registry
    assert better_direction("not_an_outcome") == "unknown"  # analysis keeps no list of its own
    runs = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 3, "replicate": [0, 1, 2] * 2,
                         "mean_trust": [0.5, 0.6, 0.55, 0.7, 0.8, 0.75]})
    table = compare_runs(runs, ["mean_trust"], better=outcome_directions(manifest), n_boot=200)
    assert set(table["better"]) == {"lower"}
    assert int(table.loc[table.scenario == "a", "rank"].iloc[0]) == 1


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_an_environment_fault_exits_1_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str], code: int) -> None:
    import govsim.runio

    def refuse(path: Path, df: pd.DataFrame) -> None:
        raise OSError(code, "refused by the machine", str(path))

    monkeypatch.setattr(govsim.runio, "atomic_write_frame", refuse)
    assert main(["run", FILES[0], "--set", "world.population=500", "--days", "5", "-q", "--out",
                 str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused by the machine" in err and "Traceback" not in err


def test_compare_disk_full_exits_1_and_bad_input_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import govsim.comparison

    def full(path: Path, df: pd.DataFrame) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(govsim.comparison, "atomic_write_csv", full)
    args = [*FILES, "--replicates", "2", "--set", "world.population=500", "--days", "5", "--workers", "1", "-q"]
    assert main(["compare", *args, "--out", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left" in err
    (tmp_path / "f").write_text("a file")
    assert main(["compare", *args, "--out", str(tmp_path / "f")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_an_import_failure_inside_govsim_is_an_error_not_a_missing_command() -> None:
    script = "import sys; sys.modules['govsim.analysis.cli'] = None; import govsim.cli"
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120)
    assert res.returncode != 0 and "govsim.analysis.cli" in res.stderr


# --------------------------------------------------------------------------- dependency graph

LAYERS = {"sim": "govsim.sim", "experiments": "govsim.experiments", "analysis": "govsim.analysis",
          "govsim": "govsim"}
ALLOWED = {"govsim.sim": set(), "govsim.experiments": {"govsim.sim"},
           "govsim.analysis": {"govsim.sim", "govsim.experiments"},
           "govsim": {"govsim.sim", "govsim.experiments", "govsim.analysis"}}


def _modules() -> dict[str, Path]:
    mods = {}
    for folder, pkg in LAYERS.items():
        for f in (ROOT / folder).glob("*.py"):
            mods[pkg if f.stem == "__init__" else f"{pkg}.{f.stem}"] = f
    return mods


def _imports(path: Path, known: set[str]) -> set[str]:
    """Modules of govsim imported anywhere in ``path`` (functions too), except under ``TYPE_CHECKING``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module)
                found.update(f"{child.module}.{a.name}" for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in known}


def _layer(module: str) -> str:
    return next((p for p in ("govsim.sim", "govsim.experiments", "govsim.analysis")
                 if module == p or module.startswith(p + ".")), "govsim")


def test_imports_run_one_way_with_no_cycle() -> None:
    mods = _modules()
    graph = {m: _imports(f, set(mods)) - {m} for m, f in mods.items()}
    for m, deps in graph.items():
        wrong = {d for d in deps if _layer(d) != _layer(m) and _layer(d) not in ALLOWED[_layer(m)]}
        assert not wrong, f"{m} imports {sorted(wrong)} against the layering govsim → experiments/analysis → sim"
    # no module cycle outside sim/ (sim's own modules are checked by its tests)
    outside = {m: {d for d in deps if _layer(d) != "govsim.sim" and d != "govsim"}
               for m, deps in graph.items() if _layer(m) != "govsim.sim"}
    state: dict[str, int] = {}

    def walk(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in outside.get(m, ()):
            assert state.get(d) != 1, "import cycle: " + " → ".join([*path[path.index(d):], d])
            if d not in state:
                walk(d, [*path, d])
        state[m] = 2

    for m in outside:
        if m not in state:
            walk(m, [m])
