"""Contract test over every file in ``scenarios/``.

Each file loads and validates, its ``run.name`` equals its file stem and it has a description, it runs
30 days on a 2,000-resident city keeping the conservation identity every day, and a variant of the
baseline differs from it only in the fields its name says.
"""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

import pytest
from govsim.sim.model import GovernanceModel
from govsim.sim.scenario import apply_overrides, load_scenario

from tests.conftest import ROOT

FILES = sorted((ROOT / "scenarios").glob("*.toml"))

# What each variant may change relative to the baseline (dotted paths, ``fnmatch`` patterns).
CHANGES: dict[str, tuple[str, ...]] = {
    "baseline": (),
    "street_empowerment": ("policy.street_empowerment",),
    "street_refocus": ("policy.street_refocus",),
    "party_members_return": ("policy.party_member_return",),
    "building_heads": ("policy.building_heads",),
    "party_building_alliance": ("policy.party_building_alliance",),
    "red_property": ("policy.red_property",),
    "smart_governance": ("policy.data_sharing", "policy.early_warning"),
    "hotline_response": ("policy.hotline_response",),
    "fengqiao_full": ("policy.*",),
    "austerity": ("levels.*.staff_per_unit", "policy.grid_members_per_10k"),
    "corruption_scandal": ("policy.grassroots_corruption",),
    "demolition_shock": ("shocks",),
    "tacitus_trap": ("world.initial_trust_mean", "policy.grassroots_corruption"),
}


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else k))
        return out
    return {prefix: d}


def _changed(spec, base) -> set[str]:
    a = {k: v for k, v in _flat(spec.to_dict()).items() if not k.startswith("run.")}
    b = {k: v for k, v in _flat(base.to_dict()).items() if not k.startswith("run.")}
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


def test_every_scenario_file_is_declared():
    """A new scenario file must say here what it changes."""
    assert {f.stem for f in FILES} == set(CHANGES)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_scenario_contract(path):
    spec = load_scenario(path)
    assert spec.run.name == path.stem
    if path.stem != "baseline":
        assert spec.run.base == "baseline.toml"
        assert spec.run.description.strip() and "\n" not in spec.run.description
        changed = _changed(spec, load_scenario(ROOT / "scenarios" / "baseline.toml"))
        allowed = CHANGES[path.stem]
        assert changed, f"{path.name} changes nothing"
        stray = sorted(k for k in changed if not any(fnmatch(k, pat) for pat in allowed))
        assert not stray, f"{path.name} changes {stray}, beyond what its name says ({allowed})"
        for pat in allowed:  # and every field its name promises actually changes
            assert any(fnmatch(k, pat) for k in changed), f"{path.name} does not change {pat}"
    small = apply_overrides(spec, {"world.population": 2000, "run.days": 30}, "test")
    m = GovernanceModel(small, rng=1)
    for _ in range(30):
        m.run_for(1)
        assert m.check_conservation()
    assert m.counts.arisen > 0


def test_demolition_shock_hits_one_district_with_land_and_property():
    shocks = load_scenario(ROOT / "scenarios" / "demolition_shock.toml").shocks
    assert len(shocks) == 1
    assert set(shocks[0].types) == {"land", "property"} and shocks[0].district >= 0
