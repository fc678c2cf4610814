"""The city's administrative tree, built once from the world spec (ODD §2.2 and §5).

Districts hold streets, streets hold communities, communities hold grids, grids hold buildings, and
buildings hold residents. Every unit is numbered so that the units of its parent are contiguous:
the residents of one building, the buildings of one grid, … form a range. :class:`City` is the
single place these counts and ranges are worked out; the model, the cost accounting
(:mod:`sim.policies`) and the dashboard's map (:func:`sim.dashboard_views.city_layout`) read it, so
they cannot disagree on how many buildings or grids a city has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.scenario import WorldSpec


@dataclass(frozen=True, eq=False)
class City:
    """The administrative tree of one city and where its residents live.

    Attributes:
        population: Residents.
        n_districts, n_streets, n_communities, n_grids, n_buildings: Units per tier.
        street_district: District of each street.
        community_street: Street of each community.
        grid_community: Community of each grid.
        building_grid: Grid of each building.
        resident_building: Building of each resident (non-decreasing).
        building_start, building_end: First resident and one past the last of each building.
        community_start, community_size: First resident and residents of each community.
        grid_residents: Residents of each grid.
        grid_households: Households of each grid (at least 1).
        district_capacity: Capacity multiplier of each district's offices.
    """

    population: int
    n_districts: int
    n_streets: int
    n_communities: int
    n_grids: int
    n_buildings: int
    street_district: np.ndarray
    community_street: np.ndarray
    grid_community: np.ndarray
    building_grid: np.ndarray
    resident_building: np.ndarray
    building_start: np.ndarray
    building_end: np.ndarray
    community_start: np.ndarray
    community_size: np.ndarray
    grid_residents: np.ndarray
    grid_households: np.ndarray
    district_capacity: np.ndarray

    @classmethod
    def from_world(cls, w: WorldSpec) -> City:
        """Build the tree of the ``[world]`` table (deterministic: no random draws).

        Grids hold ``households_per_grid`` households (at least one per community) and buildings
        ``households_per_building`` (at least one per grid); units are spread evenly over their parents.
        """
        n = w.population
        households = max(1, round(n / w.persons_per_household))
        n_streets = w.districts * w.streets_per_district
        n_communities = n_streets * w.communities_per_street
        n_grids = max(n_communities, round(households / w.households_per_grid))
        n_buildings = max(n_grids, -(-households // w.households_per_building))
        building_grid = (np.arange(n_buildings) * n_grids) // n_buildings
        grid_community = (np.arange(n_grids) * n_communities) // n_grids
        res_building = (np.arange(n, dtype=np.int64) * n_buildings) // n
        bounds = np.searchsorted(res_building, np.arange(n_buildings + 1))
        res_grid = building_grid[res_building]
        cb = np.searchsorted(grid_community[res_grid], np.arange(n_communities + 1))
        grid_residents = np.bincount(res_grid, minlength=n_grids)
        return cls(
            population=n, n_districts=w.districts, n_streets=n_streets, n_communities=n_communities,
            n_grids=n_grids, n_buildings=n_buildings,
            street_district=np.arange(n_streets) // w.streets_per_district,
            community_street=np.arange(n_communities) // w.communities_per_street,
            grid_community=grid_community, building_grid=building_grid, resident_building=res_building,
            building_start=bounds[:-1], building_end=bounds[1:], community_start=cb[:-1], community_size=np.diff(cb),
            grid_residents=grid_residents,
            grid_households=np.maximum(grid_residents / w.persons_per_household, 1.0),
            district_capacity=np.array([w.capacity_of(d) for d in range(w.districts)]),
        )

    @property
    def community_district(self) -> np.ndarray:
        """District of each community."""
        return self.street_district[self.community_street]

    def community_of_resident(self, r: int) -> int:
        """Community resident ``r`` lives in."""
        return int(self.grid_community[self.building_grid[self.resident_building[r]]])
