"""Scenario files: TOML tables validated into frozen pydantic models.

A scenario file's tables map one-to-one onto the models of :mod:`govsim.sim.spec_sections` (all
re-exported here) and its keys equal field names. Dotted paths such as
``policy.street_empowerment`` or ``issues.land.rate_per_1000`` name a field everywhere: in
``--set`` overrides, sweep files, result columns and SALib problems. ``ScenarioSpec()`` is the
calibrated baseline city, the same numbers as ``scenarios/baseline.toml``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from govsim.sim.catalog import scenario_file
from govsim.sim.effects_spec import EffectsSpec
from govsim.sim.errors import InputError, from_validation_error, loads_toml, read_toml_file
from govsim.sim.feedback_spec import ApprovalSpec, ParticipationSpec
from govsim.sim.policies import PolicySpec
from govsim.sim.spec_disputes import ChannelSpec, ChannelsSpec, PartiesSpec, ShockSpec
from govsim.sim.spec_sections import (
    DEPARTMENTS,
    ISSUE_TYPES,
    LEVELS,
    MEDIATION_TYPES,
    BehaviourSpec,
    CostsSpec,
    Department,
    DepartmentsSpec,
    F,
    GridSpec,
    IssuesSpec,
    IssueType,
    IssueTypeSpec,
    LevelName,
    LevelSpec,
    LevelsSpec,
    RunSpec,
    SettlementSpec,
    WorldSpec,
    _Frozen,
)
from govsim.sim.trust_spec import TimelineEntry, TrustSpec
from pydantic import Field, ValidationError, model_validator

__all__ = [
    "DEPARTMENTS",
    "ISSUE_TYPES",
    "LEVELS",
    "MEDIATION_TYPES",
    "BehaviourSpec",
    "ChannelSpec",
    "ChannelsSpec",
    "CostsSpec",
    "Department",
    "DepartmentsSpec",
    "EffectsSpec",
    "F",
    "GridSpec",
    "InputError",
    "IssueType",
    "IssueTypeSpec",
    "IssuesSpec",
    "LevelName",
    "LevelSpec",
    "LevelsSpec",
    "PartiesSpec",
    "PolicySpec",
    "RunSpec",
    "ScenarioSpec",
    "SettlementSpec",
    "ShockSpec",
    "WorldSpec",
    "apply_overrides",
    "load_scenario",
    "parse_set_options",
    "parse_value",
    "scenario_from_dict",
]


class ScenarioSpec(_Frozen):
    """A whole scenario: one TOML file."""

    run: RunSpec = Field(default_factory=RunSpec)
    world: WorldSpec = Field(default_factory=WorldSpec)
    issues: IssuesSpec = Field(default_factory=IssuesSpec)
    levels: LevelsSpec = Field(default_factory=LevelsSpec)
    behaviour: BehaviourSpec = Field(default_factory=BehaviourSpec)
    settlement: SettlementSpec = Field(default_factory=SettlementSpec)
    departments: DepartmentsSpec = Field(default_factory=DepartmentsSpec)
    grid: GridSpec = Field(default_factory=GridSpec)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    effects: EffectsSpec = Field(default_factory=EffectsSpec)
    parties: PartiesSpec = Field(default_factory=PartiesSpec)
    channels: ChannelsSpec = Field(default_factory=ChannelsSpec)
    costs: CostsSpec = Field(default_factory=CostsSpec)
    shocks: list[ShockSpec] = Field(default_factory=list)
    trust: TrustSpec = Field(default_factory=TrustSpec)
    approval: ApprovalSpec = Field(default_factory=ApprovalSpec)
    participation: ParticipationSpec = Field(default_factory=ParticipationSpec)
    timeline: list[TimelineEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_shocks(self) -> ScenarioSpec:
        for i, s in enumerate(self.shocks):
            if self.world.districts is not None and s.district >= self.world.districts:
                raise ValueError(f"shocks[{i}].district={s.district} but the city has {self.world.districts} districts")
        for i, e in enumerate(self.timeline):  # a timeline value must be valid for its key, checked at load
            section, name = e.key.split(".")
            if section == "event":
                if not 0.0 <= e.value <= 100.0:
                    raise ValueError(f"timeline[{i}].value={e.value} for {e.key}; allowed: 0–100 experiences per resident-year")
                continue
            sec = getattr(self, section)
            kind = type(getattr(sec, name))
            try:
                type(sec).model_validate({**sec.model_dump(by_alias=True), name: kind(e.value)})
            except ValidationError as err:
                raise ValueError(f"timeline[{i}].value={e.value} for {e.key}: {err.errors()[0]['msg']}") from None
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the file's key names (``levels.self`` rather than ``self_``)."""
        return self.model_dump(mode="json", by_alias=True)


# --------------------------------------------------------------------------- loading


def _read_toml(path: Path) -> dict[str, Any]:
    # read_toml_file bounds the size and the nesting, so no file can crash or exhaust the parser
    return read_toml_file(path)[1]


def scenario_from_dict(data: dict[str, Any], file: str | Path | None = None) -> ScenarioSpec:
    """Validate a plain dict (a parsed scenario file) into a :class:`ScenarioSpec`."""
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err, file) from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _resolve(path: Path, depth: int = 0) -> dict[str, Any]:
    """Read a scenario file, following ``run.base`` to the file it varies."""
    data = _read_toml(path)
    world = data.get("world")
    if isinstance(world, dict) and isinstance(world.get("city_file"), str):
        # a city file is named relative to the scenario file that names it (like run.base)
        world["city_file"] = str((path.parent / world["city_file"]).resolve())
    run = data.get("run")
    base = run.get("base") if isinstance(run, dict) else None
    if base is None:
        return data
    if not isinstance(base, str) or not base.endswith(".toml"):
        raise InputError(path, "run.base", f"must be the path of a .toml scenario file (got {base!r})")
    if depth >= 5:
        raise InputError(path, "run.base", "chain of base scenarios is too deep (at most 5; is there a cycle?)")
    base_path = (path.parent / base).resolve()
    if not base_path.is_file():
        raise InputError(path, "run.base", f"base scenario {base_path} not found")
    merged = _merge(_resolve(base_path, depth + 1), data)
    return merged


def load_scenario(path: str | Path) -> ScenarioSpec:
    """Read and validate a scenario TOML file (following ``run.base`` if it varies another file).

    Args:
        path: The scenario file, or the name of a bundled scenario (``"baseline"``; a file that
            exists wins over a name, see :func:`govsim.sim.catalog.find`).

    Returns:
        The validated, frozen scenario.

    Raises:
        InputError: naming the file, the dotted key and what is allowed.
    """
    p = scenario_file(path)
    return with_city_file(scenario_from_dict(_resolve(p), p), p)


def with_city_file(spec: ScenarioSpec, label: str | Path) -> ScenarioSpec:
    """Validate the scenario's city file now (not when a model is built) and take its population.

    A scenario naming ``world.city_file`` gets the file's total population as ``world.population``,
    so that everything reading the population (costs, tables, ``govsim validate``) sees the real
    city. Without a city file the scenario is returned unchanged.

    Raises:
        InputError: A bad city file, in one line under ``world.city_file``.
    """
    if spec.world.city_file is None:
        return spec
    from govsim.sim.cityfile import load_city

    try:
        total = load_city(spec.world.city_file).total_population
    except InputError as exc:
        raise InputError(label, "world.city_file", str(exc)) from None
    if total == spec.world.population:
        return spec
    try:
        return spec.model_copy(update={"world": WorldSpec.model_validate({**spec.world.model_dump(), "population": total})})
    except ValidationError as err:
        raise from_validation_error(err, label) from None


def parse_value(text: str) -> Any:
    """Parse the right-hand side of a ``--set KEY=VALUE`` as a TOML value (bare words are strings)."""
    try:
        return loads_toml(f"v = {text}", "--set")["v"]
    except InputError as exc:
        if exc.allowed.startswith("malformed TOML"):
            return text
        raise InputError("--set", text[:40], exc.allowed) from None


def apply_overrides(spec: ScenarioSpec, overrides: dict[str, Any], label: str = "--set") -> ScenarioSpec:
    """Return a copy of ``spec`` with dotted-path fields replaced, validated again.

    Args:
        spec: The scenario to start from.
        overrides: ``{"policy.street_empowerment": 0.5, "world.population": 2000, ...}``.
        label: What to call the source of the overrides in error messages.

    Raises:
        InputError: for an unknown path or a value that is not allowed there.
    """
    data = spec.to_dict()
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = data
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise InputError(label, dotted, f"'{'.'.join(parts[: i + 1])}' is a list; use an index 0–{len(node) - 1}")
                node = node[int(part)]
                continue
            if not isinstance(node, dict) or part not in node:
                known = ", ".join(sorted(node)) if isinstance(node, dict) else "none (not a table)"
                raise InputError(label, dotted, f"unknown key '{part}'; allowed here: {known}")
            node = node[part]
        last = parts[-1]
        if isinstance(node, list):
            if not last.isdigit() or int(last) >= len(node):
                raise InputError(label, dotted, f"a list index 0–{len(node) - 1} is needed")
            node[int(last)] = copy.deepcopy(value)
            continue
        if not isinstance(node, dict) or last not in node:
            known = ", ".join(sorted(node)) if isinstance(node, dict) else "none (not a table)"
            raise InputError(label, dotted, f"unknown key '{last}'; allowed here: {known}")
        if isinstance(node[last], dict) and not isinstance(value, dict):
            raise InputError(label, dotted, "is a table; name one of its keys: " + ", ".join(sorted(node[last])))
        node[last] = copy.deepcopy(value)
    return with_city_file(scenario_from_dict(data, label), label)


def parse_set_options(items: list[str]) -> dict[str, Any]:
    """Turn ``["policy.x=0.5", ...]`` from the command line into an overrides dict."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise InputError("--set", item, "expected DOTTED.KEY=VALUE, e.g. policy.street_empowerment=0.5")
        key, _, val = item.partition("=")
        key = key.strip()
        if not key:
            raise InputError("--set", item, "expected DOTTED.KEY=VALUE with a non-empty key")
        out[key] = parse_value(val.strip())
    return out
