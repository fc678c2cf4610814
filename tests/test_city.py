"""One City: the tree the model builds is the tree the costs count and the dashboard lays out."""

from __future__ import annotations

import numpy as np
import pytest
from govsim.sim.city import City
from govsim.sim.costs import lever_costs, staff_cost, yearly_cost
from govsim.sim.model import GovernanceModel
from govsim.sim.policies import LEVER_COSTS, LEVERS
from govsim.sim.scenario import ScenarioSpec, apply_overrides

from tests.conftest import ROOT


def spec_of(population: int, **more) -> ScenarioSpec:
    from govsim.sim.scenario import load_scenario

    return apply_overrides(load_scenario(ROOT / "scenarios" / "baseline.toml"), {"world.population": population, **more})


@pytest.mark.parametrize("population", [500, 3000, 20_000])
def test_the_model_builds_the_city_of_its_world_spec(population: int) -> None:
    s = spec_of(population)
    city = City.from_world(s.world)
    m = GovernanceModel(s, rng=1)
    assert isinstance(m.world, City)
    for name in ("n_districts", "n_streets", "n_communities", "n_grids", "n_buildings", "population"):
        assert getattr(m.world, name) == getattr(city, name) == getattr(m, name)
    assert len(m.communities) == city.n_communities and len(m.streets) == city.n_streets
    assert len(m.has_head) == city.n_buildings
    np.testing.assert_array_equal(m.residents.building, city.resident_building)
    assert city.community_size.sum() == city.building_end[-1] == population


def test_every_unit_has_a_parent_and_ranges_are_contiguous() -> None:
    city = City.from_world(spec_of(5000).world)
    assert np.all(np.diff(city.resident_building) >= 0) and np.all(np.diff(city.building_grid) >= 0)
    assert set(city.building_grid) == set(range(city.n_grids))
    assert set(city.grid_community) == set(range(city.n_communities))
    assert city.n_buildings >= city.n_grids >= city.n_communities
    assert city.community_of_resident(0) == 0 and city.community_of_resident(4999) == city.n_communities - 1


def test_small_city_costs_the_buildings_it_builds() -> None:
    # the bug this fixed: with a fixed tree of 18 communities, 500 residents got 18 buildings (one per
    # grid at least) while the cost accounting counted ceil(households / 40) = 5; the costs now count
    # the buildings the model builds (with 18 communities given explicitly as well)
    s = spec_of(500, **{"policy.building_heads": 1.0, "world.districts": 2, "world.streets_per_district": 3,
                        "world.communities_per_street": 3})
    m = GovernanceModel(s, rng=1)
    assert m.n_buildings == 18
    assert LEVER_COSTS["building_heads"](s) == pytest.approx(0.3 * 18)
    assert lever_costs(s)["building_heads"] == pytest.approx(0.3 * m.n_buildings)
    assert m.yearly_cost == yearly_cost(s) == yearly_cost(s, m.world)


def test_costs_count_units_on_the_city() -> None:
    s = spec_of(20_000)
    city = City.from_world(s.world)
    lv, c = s.levels, s.costs
    per_10k = s.world.population / 10_000  # staff follow per-resident norms, so they add up over the units
    assert staff_cost(s) == pytest.approx(per_10k * (
        c.community_staff * lv.community.staff_per_10k + c.street_staff * lv.street.staff_per_10k
        + c.department_staff * lv.district.staff_per_10k * 6 + c.city_staff * lv.city.staff_per_10k)
        + s.world.population / 100_000 * (c.city_staff * s.channels.petition_office.staff_per_100k
                                          + c.department_staff * s.channels.legal_services.staff_per_100k))
    assert lever_costs(s, city) == {n: lv_.yearly_cost(s, city) for n, lv_ in LEVERS.items()}


def test_old_cost_names_still_resolve_from_policies() -> None:
    from govsim.sim import costs, policies

    assert policies.yearly_cost is costs.yearly_cost and policies.staff_cost is costs.staff_cost
    with pytest.raises(AttributeError):
        _ = policies.no_such_name


def test_the_dashboard_lays_out_the_buildings_of_the_city() -> None:
    from govsim.sim.dashboard_views import city_layout

    city = City.from_world(spec_of(2000).world)
    lay = city_layout(city)
    assert len(lay.x) == city.n_buildings
    assert len({(int(x), int(y)) for x, y in zip(lay.x, lay.y, strict=True)}) == city.n_buildings
