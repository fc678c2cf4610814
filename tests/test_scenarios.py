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
BIG_CITY = 2_000_000
"""A scenario whose city file holds more residents runs its 30 contract days in a derived small city."""

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
    "austerity": ("levels.*.staff_per_10k", "policy.grid_members_per_10k"),
    "corruption_scandal": ("policy.grassroots_corruption",),
    "demolition_shock": ("shocks",),
    "wage_arrears": ("shocks",),
    "tacitus_trap": ("world.initial_trust_mean", "policy.grassroots_corruption"),
    "scandal_and_cleanup": ("timeline",),
    "phased_fengqiao": ("timeline",),
    "zhuji": ("world.city_file", "world.population"),
    "dongcheng": ("world.city_file", "world.population"),
    "beijing": ("world.city_file", "world.population"),
    "beijing_scale": ("world.population",),
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
    small_city = {"world.population": 2000, "run.days": 30}
    if spec.world.city_file is not None and spec.world.population > BIG_CITY:
        # a real tree of millions (beijing) is loaded and checked in tests/test_cityfile.py; here its
        # policy runs in a small derived city, as beijing_scale's does
        small_city["world.city_file"] = None
    small = apply_overrides(spec, small_city, "test")
    m = GovernanceModel(small, rng=1)
    for _ in range(30):
        m.run_for(1)
        assert m.check_conservation()
    assert m.counts.arisen > 0


def test_demolition_shock_hits_one_community_with_land_and_property():
    shocks = load_scenario(ROOT / "scenarios" / "demolition_shock.toml").shocks
    assert len(shocks) == 1
    assert set(shocks[0].types) == {"land", "property"} and shocks[0].community >= 0
    assert shocks[0].collective_share > 0


def test_wage_arrears_seeds_collective_disputes():
    spec = apply_overrides(load_scenario(ROOT / "scenarios" / "wage_arrears.toml"),
                           {"world.population": 6000, "run.days": 150})
    from govsim.sim.model import simulate

    summary = simulate(spec, rng=5)[0]
    assert summary["collective_disputes"] >= 3
    assert summary["residents_involved"] >= 5 * summary["collective_disputes"]


# --------------------------------------------------------------------------- one baseline


def test_defaults_are_the_baseline_file():
    """``ScenarioSpec()`` and ``scenarios/baseline.toml`` are one set of numbers, field by field."""
    from govsim.sim.scenario import ScenarioSpec

    default = _flat(ScenarioSpec().to_dict())
    file = _flat(load_scenario(ROOT / "scenarios" / "baseline.toml").to_dict())
    assert {k for k in default.keys() | file.keys() if default.get(k) != file.get(k)} == set()


def test_baseline_file_is_written_from_the_defaults():
    """The file is exactly what ``tools/write_baseline.py`` writes (run it after changing a default)."""
    from tools.write_baseline import OUT, render

    assert OUT.read_text(encoding="utf-8") == render(), (
        "scenarios/baseline.toml is stale: run .venv/bin/python tools/write_baseline.py")


def test_defaults_and_baseline_by_name_run_the_same_city():
    """The model's fallback city (no spec given) is the bundled baseline: same seed, same summary."""
    from govsim.sim.model import simulate
    from govsim.sim.scenario import ScenarioSpec

    small = {"world.population": 1500, "run.days": 40}
    by_default, _ = simulate(apply_overrides(ScenarioSpec(), small, "test"), rng=7)
    by_name, _ = simulate(apply_overrides(load_scenario("baseline"), small, "test"), rng=7)
    assert by_default == by_name
    assert GovernanceModel(rng=7).spec == ScenarioSpec()


# --------------------------------------------------------------------------- the catalog


def test_catalog_finds_every_bundled_file_by_name():
    from govsim.sim import catalog

    assert catalog.scenario_names()[0] == "baseline"
    assert set(catalog.scenario_names()) == {f.stem for f in FILES}
    assert set(catalog.experiment_names()) == {f.stem for f in (ROOT / "experiments").glob("*.toml")}
    # one namespace for `govsim validate NAME`: no name is both a scenario and an experiment
    assert not set(catalog.scenario_names()) & set(catalog.experiment_names())
    for name in catalog.scenario_names():
        assert catalog.find(name) == catalog.scenario_file(f"{name}.toml") == ROOT / "scenarios" / f"{name}.toml"
    for name in catalog.experiment_names():
        assert catalog.find(name) == catalog.experiment_file(name) == ROOT / "experiments" / f"{name}.toml"


def test_catalog_a_file_that_exists_wins_over_a_name(tmp_path, monkeypatch):
    from govsim.sim import catalog

    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").write_text('[run]\nname = "mine"\n', encoding="utf-8")
    assert catalog.scenario_file("baseline") == tmp_path.joinpath("baseline").relative_to(tmp_path)
    assert load_scenario("baseline").run.name == "mine"
    (tmp_path / "baseline").unlink()
    (tmp_path / "baseline").mkdir()  # a folder of that name is not a scenario file: the name wins
    assert catalog.scenario_file("baseline") == ROOT / "scenarios" / "baseline.toml"


def test_catalog_unknown_name_is_one_line_listing_the_names():
    from govsim.sim import catalog
    from govsim.sim.errors import InputError

    with pytest.raises(InputError, match="neither a file nor a bundled scenario; bundled: baseline, "):
        load_scenario("no_such_city")
    with pytest.raises(InputError, match="file not found"):  # a path is reported as the path typed
        load_scenario("no_such_city.toml")
    with pytest.raises(InputError) as exc:
        catalog.find("no_such_thing")
    assert "bundled scenarios:" in str(exc.value) and "morris_screening" in str(exc.value)
    assert "\n" not in str(exc.value)
