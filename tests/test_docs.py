"""The docs cannot drift from the code: ODD.md names every lever, outcome and §3 process, and the
scenario reference is exactly what ``tools/gen_reference.py`` generates from the models."""

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

import govsim.sim.agents  # noqa: E402
import govsim.sim.model  # noqa: E402
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


def _resolves(name: str) -> bool:
    """A §3 name is a method of GovernanceModel, or ``Class.method`` of a class in sim.agents / sim.model."""
    if "." in name:
        cls_name, _, attr = name.partition(".")
        cls = getattr(govsim.sim.agents, cls_name, None) or getattr(govsim.sim.model, cls_name, None)
        return isinstance(cls, type) and callable(getattr(cls, attr, None))
    return callable(getattr(GovernanceModel, name, None))


def test_odd_process_names_are_methods(odd: str) -> None:
    names = _ticked(_section(odd, 3))
    assert len(names) >= 20, "§3 should name the step's and the events' methods in backticks"
    missing = sorted(n for n in names if not _resolves(n))
    assert not missing, f"ODD §3 names that are not methods: {missing}"


def test_odd_process_overview_names_every_event_handler(odd: str) -> None:
    names = _ticked(_section(odd, 3))
    handlers = {n for n in dir(GovernanceModel) if n.startswith("on_") and callable(getattr(GovernanceModel, n))}
    assert handlers <= names, f"event handlers missing from ODD §3: {sorted(handlers - names)}"


def _resolves_anywhere(name: str) -> bool:
    """Like :func:`_resolves`, plus ``sim.module`` and ``sim.module.function``."""
    if not name.startswith("sim."):
        return _resolves(name)
    try:
        importlib.import_module(name)
        return True
    except ImportError:
        mod, _, attr = name.rpartition(".")
        return callable(getattr(importlib.import_module(mod), attr, None))


def test_odd_submodels_name_methods(odd: str) -> None:
    # every §7 subsection heading names at least one method (or sim.* module or function) that exists
    sec = _section(odd, 7)
    headings = re.findall(r"^### 7\.\d+a? .*$", sec, flags=re.M)
    assert len(headings) >= 20
    for h in headings:
        names = re.findall(r"`([^`]+)`", h)
        if "(summary)" in h:
            continue
        assert names, f"§7 heading names no method: {h}"
        for n in names:
            assert _resolves_anywhere(n), f"§7 heading names a missing method: {n} in {h!r}"


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
