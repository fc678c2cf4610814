"""Issue 9: files are data, the dashboard stays on this machine, outputs stay in --out."""

from __future__ import annotations

import ast
import importlib
import os
import sys
from pathlib import Path

import pytest

from govsim.cli import main
from tests.conftest import ROOT

PACKAGES = ("sim", "govsim", "experiments", "analysis")
BANNED_CALLS = {"eval", "exec", "compile"}
BANNED_ATTRS = {("pickle", "load"), ("pickle", "loads"), ("cloudpickle", "load"), ("cloudpickle", "loads"),
                ("dill", "load"), ("dill", "loads"), ("marshal", "loads"), ("yaml", "load"), ("pd", "read_pickle"),
                ("pandas", "read_pickle"), ("np", "load"), ("numpy", "load")}


def banned_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in BANNED_CALLS:
                found.append(f"{f.id}( line {node.lineno}")
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in BANNED_ATTRS:
                found.append(f"{f.value.id}.{f.attr}( line {node.lineno}")
    return found


def test_checker_catches_what_it_bans():
    assert banned_uses("eval('1')") and banned_uses("exec(x)") and banned_uses("import pickle\npickle.load(f)")
    assert banned_uses("pd.read_pickle(p)") and not banned_uses("model.evaluate(1)\nliteral_eval(x)")


def test_no_eval_exec_or_pickle_load_in_our_packages():
    bad = {}
    for pkg in PACKAGES:
        for py in (ROOT / pkg).rglob("*.py"):
            hits = banned_uses(py.read_text(encoding="utf-8"))
            if hits:
                bad[str(py.relative_to(ROOT))] = hits
    assert not bad, bad


def test_only_the_experiment_model_is_ever_imported_by_name():
    """import_module appears only in resolve_model (a model the file's author asked for) and lazy exports."""
    users = sorted(str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                   if "import_module(" in p.read_text(encoding="utf-8"))
    assert users == ["analysis/__init__.py", "experiments/__init__.py", "experiments/spec.py", "sim/__init__.py"]


def test_scenario_files_cannot_name_code(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_text('[run]\nmodel = "os:system"\n')
    assert main(["validate", str(p)]) == 2 and "unknown key" in capsys.readouterr().err
    p.write_text('[run]\nbase = "evil.py"\n')
    assert main(["validate", str(p)]) == 2 and ".toml" in capsys.readouterr().err


def test_parsing_an_experiment_imports_nothing(tmp_path):
    from govsim.experiments.spec import load_experiment

    p = tmp_path / "e.toml"
    p.write_text('[experiment]\nname="x"\nmodel="govsim_never_exists_mod:f"\ndesign="lhs"\nseed=1\n'
                 'outcomes=["y"]\n[parameters]\na={low=0.0, high=1.0}\n')
    before = set(sys.modules)
    load_experiment(p, check=False)
    assert "govsim_never_exists_mod" not in set(sys.modules) - before


@pytest.mark.parametrize(("host", "warned"), [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                              ("0.0.0.0", True), ("::", True), ("192.168.1.7", True),
                                              ("example.org", True)])
def test_dashboard_binds_loopback_by_default_and_warns_when_exposed(monkeypatch, capsys, host, warned):
    import solara.__main__ as sm

    dashboard = importlib.import_module("govsim.dashboard_server")
    seen = {}
    monkeypatch.setattr(sm.cli, "main", lambda args, **kw: seen.setdefault("args", args))
    monkeypatch.setattr(os, "environ", dict(os.environ))
    dashboard.serve(None, host=host, port=0)
    args = seen["args"]
    assert args[args.index("--host") + 1] == host
    assert ("warning: the dashboard is bound to" in capsys.readouterr().err) is warned
    seen.clear()
    assert main(["dashboard", "--port", "0"]) == 0
    assert seen["args"][seen["args"].index("--host") + 1] == "127.0.0.1"


def _tree(root: Path, skip: Path) -> set[str]:
    return {str(p) for p in root.rglob("*") if skip not in p.parents and p != skip}


def test_names_from_files_cannot_escape_out(tmp_path, monkeypatch):
    """Hostile experiment/parameter/outcome names and run names: nothing is written outside --out."""
    work = tmp_path / "work"
    (work / "pkg").mkdir(parents=True)
    (work / "pkg" / "hostile_model.py").write_text(
        "def f(params, rng):\n    return {'../../evil_o': float(rng.random()), 'y': sum(params.values())}\n")
    monkeypatch.syspath_prepend(str(work / "pkg"))
    exp = work / "e.toml"
    exp.write_text('[experiment]\nname = ".."\nmodel = "hostile_model:f"\ndesign = "sobol"\nsamples = 8\n'
                   'replicates = 2\nseed = 1\noutcomes = ["../../evil_o", "y"]\n'
                   '[parameters]\n"../../evil_p" = { low = 0.0, high = 1.0 }\n"/tmp/evil_abs" = { low = 0.0, high = 1.0 }\n')
    out = work / "deep" / "out"
    out.parent.mkdir()
    scen = work / "s.toml"
    scen.write_text(f'[run]\nbase = "{ROOT / "scenarios" / "baseline.toml"}"\nname = ".."\n')
    scen2 = work / "s2.toml"
    scen2.write_text(f'[run]\nbase = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "..."\n')
    before = _tree(tmp_path, out)
    assert main(["sweep", str(exp), "--out", str(out), "--executor", "serial", "-q"]) == 0
    assert main(["analyze", str(out), "--resamples", "50"]) == 0
    assert main(["compare", str(scen), str(scen2), "--replicates", "2", "--set", "world.population=200",
                 "--days", "3", "--workers", "1", "--out", str(out / "cmp"), "-q"]) == 0
    assert _tree(tmp_path, out) == before
    assert not Path("/tmp/evil_abs").exists()
    bad = work / "bad.toml"
    bad.write_text('[run]\nname = "../../evil"\n')
    assert main(["validate", str(bad)]) == 2
