"""The docs cannot drift from the code: ODD.md names every lever, outcome and §3 process by the
function that implements it, and the scenario reference is exactly what ``tools/gen_reference.py``
generates from the models."""

from __future__ import annotations

import importlib
import re
import sys
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from govsim.sim.metrics import OUTCOME_NAMES  # noqa: E402
from govsim.sim.model import GovernanceModel  # noqa: E402
from govsim.sim.policies import LEVERS  # noqa: E402
from govsim.sim.scenario import ScenarioSpec  # noqa: E402

from tools.gen_reference import render  # noqa: E402

ODD = ROOT / "docs" / "ODD.md"
REFERENCE = ROOT / "docs" / "scenario-reference.md"


@pytest.fixture(scope="module")
def odd() -> str:
    return ODD.read_text(encoding="utf-8")


def _section(text: str, number: int) -> str:
    m = re.search(rf"^## {number}\. .*?(?=^## \d+\. |\Z)", text, flags=re.M | re.S)
    assert m, f"ODD.md has no section '## {number}.'"
    return m.group(0)


def _ticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


@pytest.mark.parametrize("lever", list(LEVERS))
def test_every_lever_is_in_the_odd(odd: str, lever: str) -> None:
    assert f"`{lever}`" in odd


def test_the_odd_lever_table_lists_every_lever_once(odd: str) -> None:
    table = _section(odd, 8)
    rows = re.findall(r"^\| `([a-z_0-9]+)` \|", table, flags=re.M)
    assert sorted(rows) == sorted(LEVERS)


@pytest.mark.parametrize("outcome", OUTCOME_NAMES)
def test_every_outcome_is_in_the_odd(odd: str, outcome: str) -> None:
    assert f"`{outcome}`" in odd


SIM_MODULES = sorted(p.stem for p in (ROOT / "sim").glob("*.py") if p.stem != "__init__")


def _sim_classes() -> dict[str, type]:
    """Every class defined in a sim module, by name (a name defined twice would be ambiguous: refused)."""
    out: dict[str, type] = {}
    for mod_name in SIM_MODULES:
        mod = importlib.import_module(f"govsim.sim.{mod_name}")
        for attr, obj in vars(mod).items():
            if isinstance(obj, type) and obj.__module__ == mod.__name__:
                assert attr not in out, f"class {attr} is defined in two sim modules"
                out[attr] = obj
    return out


def _resolves(name: str) -> bool:
    """A §3 or §7 name is the code that implements it, strictly one of:

    ``module.function`` (a function of ``sim/<module>.py``), ``Class.method`` (a method of a class
    defined in ``sim/``), ``sim.module`` or ``sim.module.function``, or a bare method of
    ``GovernanceModel``.
    """
    if name.startswith("sim."):
        try:
            importlib.import_module("govsim." + name)
            return True
        except ImportError:
            mod, _, attr = name.rpartition(".")
            try:
                return callable(getattr(importlib.import_module("govsim." + mod), attr, None))
            except ImportError:
                return False
    if "." in name:
        head, _, attr = name.partition(".")
        if head in SIM_MODULES:
            fn = getattr(importlib.import_module(f"govsim.sim.{head}"), attr, None)
            return callable(fn) and getattr(fn, "__module__", None) == f"govsim.sim.{head}"
        cls = _sim_classes().get(head)
        return cls is not None and callable(getattr(cls, attr, None))
    if name in _sim_classes():
        return True  # a class named as a process: its constructor (``Programmes``)
    return callable(getattr(GovernanceModel, name, None))


def test_odd_process_names_are_methods(odd: str) -> None:
    names = _ticked(_section(odd, 3))
    assert len(names) >= 20, "§3 should name the step's and the events' functions in backticks"
    missing = sorted(n for n in names if not _resolves(n))
    assert not missing, f"ODD §3 names that are not functions or methods: {missing}"


def test_odd_process_overview_names_every_case_handler(odd: str) -> None:
    # every process a case timer can run (``on_*`` of the arrivals and the ladder) is in §3
    names = _ticked(_section(odd, 3))
    handlers = {f"{mod}.{n}" for mod in ("arrivals", "ladder")
                for n, fn in vars(importlib.import_module(f"govsim.sim.{mod}")).items()
                if n.startswith("on_") and callable(fn)}
    assert len(handlers) >= 7
    assert handlers <= names, f"case handlers missing from ODD §3: {sorted(handlers - names)}"


def test_the_resolver_is_strict() -> None:
    assert _resolves("ladder.on_handled") and _resolves("Office.take_up_cases") and _resolves("step")
    assert _resolves("sim.costs.yearly_cost") and _resolves("sim.metrics")
    for bad in ("ladder.no_such", "on_handled", "take_up", "Office.take_up", "ladder.Level", "sim.nope",
                "sim.costs.nope", "nomodule.fn"):
        assert not _resolves(bad), bad


def test_odd_submodels_name_methods(odd: str) -> None:
    # every §7 subsection heading names at least one function, method or sim module that exists
    sec = _section(odd, 7)
    headings = re.findall(r"^### 7\.\d+a? .*$", sec, flags=re.M)
    assert len(headings) >= 20
    for h in headings:
        names = re.findall(r"`([^`]+)`", h)
        if "(summary)" in h:
            continue
        assert names, f"§7 heading names no method: {h}"
        for n in names:
            assert _resolves(n), f"§7 heading names a missing function or method: {n} in {h!r}"


def test_odd_code_map_lists_every_sim_module(odd: str) -> None:
    table = _section(odd, 11)
    listed = set(re.findall(r"`sim/([a-z_]+)\.py`", table))
    assert listed == set(SIM_MODULES), sorted(set(SIM_MODULES) ^ listed)


def test_every_lever_declares_its_cost_once() -> None:
    from govsim.sim.city import City

    spec = ScenarioSpec()
    city = City.from_world(spec.world)
    text = render()
    for name, lever in LEVERS.items():
        assert lever.cost_note and lever.yearly_cost(spec, city) >= 0.0
        row = next(line for line in text.splitlines() if line.startswith(f"| `policy.{name}` |"))
        assert f"Yearly cost: {lever.cost_note.replace('|', chr(92) + '|')}" in row


def _dotted(cls: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, f in cls.model_fields.items():
        key = f"{prefix}{f.alias or name}"
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _dotted(ann, key + ".")
        elif typing.get_origin(ann) is list and isinstance(typing.get_args(ann)[0], type) \
                and issubclass(typing.get_args(ann)[0], BaseModel):
            out += _dotted(typing.get_args(ann)[0], key + "[].")
        else:
            out.append(key)
    return out


def test_reference_is_generated() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        "docs/scenario-reference.md is stale: run .venv/bin/python tools/gen_reference.py")


def test_reference_lists_every_field() -> None:
    text = render()
    keys = _dotted(ScenarioSpec)
    assert len(keys) > 150
    listed = set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.M))
    assert set(keys) == listed
    for k in ("policy.street_empowerment", "issues.land.rate_per_1000", "levels.self.skill", "shocks[].day"):
        assert k in listed


def test_reference_shows_ranges_units_and_sources() -> None:
    text = render()
    row = next(line for line in text.splitlines() if line.startswith("| `world.trust_loss_weight` |"))
    assert "1 – 5" in row and "ratio" in row and "Kampen" in row and "`3.5`" in row
    lever = next(line for line in text.splitlines() if line.startswith("| `policy.building_heads` |"))
    assert "**Lever" in lever and "楼栋长" in lever


def test_odd_scenario_keys_exist(odd: str) -> None:
    # dotted keys cited in the ODD (`table.key` with a known table) are real fields
    keys = set(_dotted(ScenarioSpec))
    tables = {k.split(".")[0] for k in keys}
    wildcard = re.compile(r"^(issues|levels)\.<[a-zA-Z]+>\.")
    bad = []
    for name in _ticked(odd):
        if "." not in name or " " in name or name.split(".")[0] not in tables:
            continue
        if wildcard.match(name):
            rest = wildcard.sub("", name)
            ok = any(k.endswith("." + rest) and k.startswith(name.split(".")[0] + ".") for k in keys)
        else:
            ok = name in keys or name.rstrip(".") in tables
        if not ok:
            bad.append(name)
    assert not bad, f"ODD.md cites scenario keys that do not exist: {sorted(bad)}"
