"""govsim as a user meets it: names nobody can shadow, and the installed wheel.

A researcher's project often has its own ``analysis/``, ``experiments/`` or ``sim/`` folder. The
first test runs the command line, the API, a notebook-style import and ``python -m`` from a folder
holding empty packages of those names: govsim's own packages install as ``govsim.sim``,
``govsim.experiments`` and ``govsim.analysis``, so nothing there can shadow them.

The second builds the wheel (not editable, offline), installs it into a fresh virtual environment
and runs ``govsim run baseline`` and the dashboard's preset list from a temporary folder: the
bundled scenarios and experiments travel with the package and are found by name.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SHADOWS = ("analysis", "experiments", "sim")
SMALL_RUN = ["run", "baseline", "--days", "5", "--set", "world.population=500"]


def _env() -> dict[str, str]:
    """The test's environment without PYTHONPATH (and with the working folder on ``sys.path``, as usual)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _ok(cmd: list[str], cwd: Path, timeout: float = 180) -> str:
    res = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False)
    assert res.returncode == 0, f"{' '.join(cmd)} (rc {res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    return res.stdout


# --------------------------------------------------------------------------- bundled files by name


def test_every_verb_takes_a_bundled_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """run, validate, compare and sweep find bundled files by name from any folder (here an empty one)."""
    from govsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main([*SMALL_RUN, "--quiet"]) == 0
    assert main(["validate", "baseline"]) == 0
    assert main(["validate", "morris_screening"]) == 0
    out = capsys.readouterr().out
    assert "valid scenario 'baseline'" in out and "valid experiment 'morris_screening'" in out
    assert main(["compare", "baseline", "street_empowerment", "--replicates", "2", "--days", "5",
                 "--set", "world.population=500", "--workers", "1", "--out", "cmp", "--quiet"]) == 0
    assert (tmp_path / "cmp" / "comparison.csv").is_file()
    # the same name resolution as morris_screening, on an experiment that runs in seconds
    assert main(["sweep", "ishigami", "--out", "ish", "--executor", "serial", "--quiet"]) == 0
    assert (tmp_path / "ish" / "runs.parquet").is_file()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "no_such_city"], "neither a file nor a bundled scenario; bundled: baseline, "),
        (["compare", "baseline", "no_such_city"], "bundled: baseline, "),
        (["validate", "no_such_file"], "bundled experiments: best_package, calibrate_baseline, "),
        (["sweep", "no_such_study", "--out", "x"], "neither a file nor a bundled experiment; bundled: "),
        (["run", "no_such_city.toml"], "no_such_city.toml: file not found"),
    ],
)
def test_an_unknown_name_is_one_line_listing_the_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], args: list[str],
                                                        words: str) -> None:
    from govsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and words in err


# --------------------------------------------------------------------------- names nobody can shadow


@pytest.fixture
def shadowed(tmp_path: Path) -> Path:
    """A working folder with empty ``analysis/``, ``experiments/`` and ``sim/`` packages."""
    for name in SHADOWS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("", encoding="utf-8")
    return tmp_path


def test_cli_api_notebooks_and_python_m_ignore_a_users_own_packages(shadowed: Path) -> None:
    py = sys.executable
    govsim = str(Path(py).with_name("govsim"))
    out = _ok([govsim, *SMALL_RUN], shadowed)
    assert "baseline" in out
    assert "Usage" in _ok([govsim, "sweep", "--help"], shadowed)
    assert "Usage" in _ok([govsim, "analyze", "--help"], shadowed)
    assert "Usage" in _ok([py, "-m", "govsim.experiments", "--help"], shadowed)
    api = textwrap.dedent("""
        import sys
        import govsim
        res = govsim.run("baseline", seed=1, days=5, overrides={"world.population": 500})
        assert res.summary["issues_arisen"] >= 0
        runs = govsim.sweep("ishigami", "ish", executor="serial", samples=64)  # sweep → analyze, in seconds
        sens = govsim.analyze("ish")
        assert len(runs) == 512 and type(sens).__name__ == "SensitivityResult"
        assert not any(m in sys.modules for m in ("sim", "analysis", "experiments"))
        print("api ok")
    """)
    assert "api ok" in _ok([py, "-c", api], shadowed)
    notebook = textwrap.dedent("""
        import sys
        from govsim.analysis.figures import forest_plot
        from govsim.experiments import run_sweep
        from govsim.sim.scenario import load_scenario
        assert callable(forest_plot) and callable(run_sweep) and load_scenario("baseline").run.name == "baseline"
        assert "" in sys.path or sys.path[0] in ("", ".")  # the shadowing folder is on the path...
        assert not any(m in sys.modules for m in ("sim", "analysis", "experiments"))  # ...and never used
        print("notebook ok")
    """)
    assert "notebook ok" in _ok([py, "-c", notebook], shadowed)


# --------------------------------------------------------------------------- the installed wheel


def _build_wheel(tmp_path: Path) -> Path:
    """Build govsim's wheel from a copy of the sources (the build writes build/ and *.egg-info)."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")
    for d in ("sim", "govsim", "experiments", "analysis", "scenarios"):
        shutil.copytree(ROOT / d, src / d, ignore=ignore)
    for f in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / f, src / f)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _ok([*pip, "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")], src, 300)
    return next((tmp_path / "dist").glob("govsim-*.whl"))


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed and the dev environment's libraries visible.

    The dev environment's site-packages is listed in a ``.pth`` file: the folder joins ``sys.path``
    but its own ``.pth`` files (the editable govsim finder among them) are not processed, so the
    only govsim the new environment can import is the installed wheel.
    """
    venv = tmp_path / "venv"
    _ok([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    purelib = Path(_ok([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       tmp_path).strip())
    (purelib / "_govsim_dev_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # pip comes from the dev libraries; --ignore-installed: never touch the dev environment's govsim
    _ok([str(python), "-m", "pip", "--disable-pip-version-check", "--no-input", "install", "--no-deps",
         "--no-index", "--ignore-installed", "-q", str(wheel)], tmp_path, 300)
    return venv


@pytest.mark.timeout(600)  # about 10 s: build, fresh venv, install, two runs
def test_installed_wheel_runs_bundled_scenarios_and_lists_dashboard_presets(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    scenarios = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    for name in scenarios:
        assert f"govsim/_bundled/scenarios/{name}.toml" in names
    for p in (ROOT / "experiments").glob("*.toml"):
        assert f"govsim/_bundled/experiments/{p.name}" in names
    for p in (ROOT / "scenarios" / "cities").glob("*.*"):  # city files, named relative to their scenarios
        assert f"govsim/_bundled/scenarios/cities/{p.name}" in names
    assert {"govsim/py.typed", "govsim/sim/py.typed", "govsim/api.py", "govsim/sim/catalog.py",
            "govsim/experiments/runner.py", "govsim/analysis/figures.py"} <= names
    assert not any(n.startswith(("scenarios/", "tests/", "docs/", "sim/", "experiments/", "analysis/"))
                   for n in names)
    data = {n for n in names if n.endswith((".toml", ".csv")) and not n.startswith("govsim-")}
    assert all(n.startswith("govsim/_bundled/") for n in data), sorted(data)  # bundled once, in one place

    venv = _fresh_venv(tmp_path, wheel)
    work = tmp_path / "work"  # an empty folder: nothing of the clone is near
    work.mkdir()
    installed = textwrap.dedent("""
        import json, sys
        import govsim, govsim.sim, govsim.sim.catalog
        from govsim.sim.app import presets
        spec = govsim.load_scenario("fengqiao_full")          # follows run.base inside the bundled copy
        city = govsim.load_scenario("zhuji").world.city_file  # a city file beside the bundled scenario
        exp = govsim.load_experiment("morris_screening")      # ../scenarios/baseline.toml inside the bundle
        print(json.dumps({
            "prefix": sys.prefix, "govsim": govsim.__file__, "sim": govsim.sim.__file__,
            "data_dir": str(govsim.data_dir()), "experiment_scenario": str(exp.scenario_path),
            "fengqiao_empowerment": spec.policy.street_empowerment, "city_file": city,
            "presets": {k: str(v) for k, v in presets().items()},
        }))
    """)
    got = json.loads(_ok([str(venv / "bin" / "python"), "-c", installed], work).strip().splitlines()[-1])
    home = Path(got["govsim"]).parent
    assert Path(got["prefix"]).resolve() == venv.resolve()
    assert home.is_relative_to(venv) and Path(got["sim"]).is_relative_to(venv), got  # not the clone
    assert not Path(got["govsim"]).is_relative_to(ROOT)
    assert Path(got["data_dir"]) == home / "_bundled"
    assert Path(got["experiment_scenario"]) == home / "_bundled" / "scenarios" / "baseline.toml"
    assert got["fengqiao_empowerment"] == 0.8
    assert Path(got["city_file"]) == home / "_bundled" / "scenarios" / "cities" / "zhuji.csv"
    assert list(got["presets"])[0] == "baseline" and sorted(got["presets"]) == scenarios
    assert all(Path(p).parent == home / "_bundled" / "scenarios" for p in got["presets"].values())

    out = _ok([str(venv / "bin" / "govsim"), *SMALL_RUN], work)
    assert "baseline" in out
    assert "valid scenario 'baseline'" in _ok([str(venv / "bin" / "govsim"), "validate", "baseline"], work)
