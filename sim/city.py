"""The city's administrative tree (ODD §2.2 and §5): from a city file, or derived from the population.

Districts hold streets, streets hold communities, communities hold grids, grids hold buildings, and
buildings hold residents. Every unit is numbered so that the units of its parent are contiguous:
the residents of one building, the buildings of one grid, … form a range. :class:`City` is the
single place these counts, ranges and the offices' staff are worked out; the model, the cost
accounting (:mod:`sim.costs`) and the dashboard's map (:func:`sim.dashboard_views.city_layout`) read
it, so they cannot disagree on how many buildings, grids or staff a city has.

Where the tree comes from (:func:`world_table`, in this order):

1. ``world.city_file`` names a city file (:mod:`sim.cityfile`): its districts, streets and
   communities with their populations (the file's total replaces ``world.population``);
2. any of ``world.districts``, ``world.streets_per_district``, ``world.communities_per_street`` is
   given: a uniform tree with those counts (a count not given is taken from the derived tree);
3. otherwise the tree is derived from ``world.population`` with the national ratios of T15
   (:func:`derive_city`): ≈ 7,500 residents per community, 12 communities per street, 8.5 streets
   per district.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim.cityfile import MAX_COMMUNITIES, CityTable, _frozen, _split, load_city
from govsim.sim.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.scenario import LevelsSpec, WorldSpec

# --------------------------------------------------------------------------- structure from population

RESIDENTS_PER_COMMUNITY = 7_500.0
"""Default of :func:`derive_city`: T15, ≈ 7,000–8,000 urban residents per community (*derived* from
the Ministry of Civil Affairs' count of 96,693 residents' committees, 2014)."""
COMMUNITIES_PER_STREET = 12.0
"""Default of :func:`derive_city`: T15, ≈ 12 communities per street (Ministry of Civil Affairs 2014)."""
STREETS_PER_DISTRICT = 8.5
"""Default of :func:`derive_city`: T15, ≈ 8–9 streets per urban district (7,957 streets / 921 districts, 2015)."""


def _even(total: int, parts: int) -> np.ndarray:
    """Index of the part each of ``total`` items falls in, parts as equal as possible (first ones larger)."""
    sizes = _split(total, parts)
    return np.repeat(np.arange(parts, dtype=np.int32), sizes)


def derive_city(population: int, *, residents_per_community: float = RESIDENTS_PER_COMMUNITY,
                communities_per_street: float = COMMUNITIES_PER_STREET,
                streets_per_district: float = STREETS_PER_DISTRICT,
                persons_per_household: float = 2.6, households_per_grid: float = 400.0,
                name: str = "derived", exact: tuple[int, int, int] | None = None) -> CityTable:
    """An urban city's administrative tree derived from its population with national ratios (T15).

    Communities = round(population / residents_per_community), streets = round(communities /
    communities_per_street), districts = round(streets / streets_per_district), each at least 1;
    communities are spread over streets and streets over districts as evenly as possible, residents
    over communities likewise (equal shares, the first ones one resident more). Every community is
    of type ``mixed`` (the scenario's average rates) with no migrant or property-firm share given.
    A pure, deterministic function: no randomness, the same arguments give the same table.

    Args:
        population: Residents (≥ 1).
        residents_per_community: Mean residents per community; T15 gives 7,000–8,000.
        communities_per_street: Mean communities per street; T15 gives ≈ 12.
        streets_per_district: Mean streets per district; T15 gives ≈ 8–9.
        persons_per_household: Mean household size (``world.persons_per_household``, 2.6; the 2020
            census gives 2.62 persons per family household).
        households_per_grid: Households per grid (``world.households_per_grid``; T7: 300–500).
        name: The city's name.
        exact: ``(districts, streets per district, communities per street)`` for an explicit uniform
            tree (the ratios are then ignored).

    Returns:
        The derived table (source ``"derived"``; households and grids filled in).
    """
    for label, v, lo in (("population", population, 1), ("residents_per_community", residents_per_community, 1),
                         ("communities_per_street", communities_per_street, 1),
                         ("streets_per_district", streets_per_district, 1),
                         ("persons_per_household", persons_per_household, 1),
                         ("households_per_grid", households_per_grid, 1)):
        if not (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= lo):
            raise InputError("derive_city", label, f"a finite number ≥ {lo} is needed (got {v!r})")
    population = int(population)
    if exact is not None:  # an explicit uniform tree: districts × streets per district × communities per street
        n_districts, spd, cps = exact
        n_streets, n_comm = n_districts * spd, n_districts * spd * cps
        if n_comm > population:
            raise InputError("world", "world.districts", f"{n_comm} communities need at least {n_comm} residents "
                             f"(world.population is {population})")
        street = np.repeat(np.arange(n_streets, dtype=np.int32), cps)
        street_district = np.repeat(np.arange(n_districts, dtype=np.int32), spd)
    else:
        n_comm = min(max(1, round(population / residents_per_community)), population, MAX_COMMUNITIES)
        n_streets = max(1, round(n_comm / communities_per_street))
        n_districts = max(1, round(n_streets / streets_per_district))
        street = _even(n_comm, n_streets)
        street_district = _even(n_streets, n_districts)
    pop = np.array(_split(population, n_comm), dtype=np.int64)
    households = np.maximum(1.0, np.round(pop / persons_per_household))
    grids = np.maximum(1.0, np.round(households / households_per_grid))
    nan = np.full(n_comm, np.nan)
    return CityTable(
        name=name, source="derived",
        district_names=tuple(f"district {d + 1}" for d in range(n_districts)),
        street_names=tuple(f"street {s + 1}" for s in range(n_streets)),
        street_district=_frozen(street_district),
        street_is_town=_frozen(np.zeros(n_streets, dtype=bool)),
        community_names=tuple(f"community {c + 1}" for c in range(n_comm)),
        district=_frozen(street_district[street]),
        street=_frozen(street),
        is_village=_frozen(np.zeros(n_comm, dtype=bool)),
        population=_frozen(pop),
        ntype=_frozen(np.zeros(n_comm, dtype=np.int8)),
        staff=_frozen(nan.copy()), grids=_frozen(grids), households=_frozen(households),
        property_firm_share=_frozen(nan.copy()), migrant_share=_frozen(nan.copy()),
        meta=MappingProxyType({"name": name, "population": population}),
    )


def city_table(path: str | Path | None, population: int, base: str | Path | None = None) -> CityTable:
    """The city a scenario describes: its city file if it names one, else the tree derived from its population.

    Args:
        path: The scenario's city file (``None`` for none); a relative path is read relative to ``base``.
        population: The scenario's ``world.population``, used only when there is no city file (a
            city file's own total replaces it).
        base: The folder of the scenario file, for relative paths.

    Raises:
        InputError: A bad city file, in one line.
    """
    if path is None:
        return derive_city(population)
    p = Path(path)
    if base is not None and not p.is_absolute():
        p = Path(base) / p
    return load_city(p)


def world_table(w: WorldSpec) -> CityTable:
    """The city table of a ``[world]`` table: its city file, its explicit counts, or the derived tree.

    Raises:
        InputError: A bad city file, in one line.
    """
    if w.city_file is not None:
        return city_table(w.city_file, w.population)
    derived = derive_city(w.population, persons_per_household=w.persons_per_household,
                          households_per_grid=w.households_per_grid)
    if w.districts is None and w.streets_per_district is None and w.communities_per_street is None:
        return derived
    d0 = derived.n_districts
    d = w.districts if w.districts is not None else d0
    spd = w.streets_per_district if w.streets_per_district is not None else max(1, round(derived.n_streets / d0))
    cps = (w.communities_per_street if w.communities_per_street is not None
           else max(1, round(derived.n_communities / derived.n_streets)))
    n_comm = min(d * spd * cps, w.population)
    return derive_city(w.population, residents_per_community=w.population / n_comm, communities_per_street=cps,
                       streets_per_district=spd, persons_per_household=w.persons_per_household,
                       households_per_grid=w.households_per_grid, exact=(d, spd, cps))


def _nested(totals: np.ndarray, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each parent's ``totals`` over its ``parts`` children as evenly as possible (first ones larger).

    Returns:
        (size of each child, parent of each child), children of one parent contiguous.
    """
    parts = np.asarray(parts, dtype=np.int64)
    totals = np.asarray(totals, dtype=np.int64)
    parent = np.repeat(np.arange(len(parts)), parts)
    first = np.cumsum(parts) - parts
    rank = np.arange(int(parts.sum())) - first[parent]
    base, rem = np.divmod(totals, parts)
    return base[parent] + (rank < rem[parent]), parent


@dataclass(frozen=True, eq=False)
class City:
    """The administrative tree of one city and where its residents live.

    Attributes:
        table: The per-community table it was built from (names, neighbourhood types, migrants).
        population: Residents.
        n_districts, n_streets, n_communities, n_grids, n_buildings: Units per tier.
        street_district: District of each street.
        community_street: Street of each community.
        grid_community: Community of each grid.
        building_grid: Grid of each building.
        resident_building: Building of each resident (non-decreasing).
        building_start, building_end: First resident and one past the last of each building.
        community_start, community_size: First resident and residents of each community.
        street_population, district_population: Residents of each street and district.
        grid_residents: Residents of each grid.
        grid_households: Households of each grid (at least 1).
        district_capacity: Capacity multiplier of each district's offices.
    """

    table: CityTable
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
    street_population: np.ndarray
    district_population: np.ndarray
    grid_residents: np.ndarray
    grid_households: np.ndarray
    district_capacity: np.ndarray

    @classmethod
    def from_world(cls, w: WorldSpec) -> City:
        """Build the tree of the ``[world]`` table (:func:`world_table`; deterministic: no random draws)."""
        return cls.from_table(world_table(w), w)

    @classmethod
    def from_table(cls, t: CityTable, w: WorldSpec) -> City:
        """Build the tree of a city table; grids and households a file does not give come from ``w``'s norms.

        A community's households are its residents / ``persons_per_household`` unless given; its
        grids are its households / ``households_per_grid`` (at least 1) unless given; a grid's
        buildings hold ``households_per_building`` households (at least one per grid). Residents are
        spread evenly over a community's grids and a grid's buildings.
        """
        pop = np.asarray(t.population, dtype=np.int64)
        n = int(pop.sum())
        hh = np.where(np.isnan(t.households) | (t.households <= 0), np.maximum(1.0, np.round(pop / w.persons_per_household)),
                      t.households)
        grids = np.where(np.isnan(t.grids) | (t.grids <= 0), np.round(hh / w.households_per_grid), t.grids)
        grids = np.clip(grids, 1, pop).astype(np.int64)
        grid_residents, grid_community = _nested(pop, grids)
        grid_households = np.maximum(1.0, (hh / grids)[grid_community])
        per_building = np.clip(np.ceil(grid_households / w.households_per_building), 1, grid_residents).astype(np.int64)
        building_size, building_grid = _nested(grid_residents, per_building)
        n_buildings = len(building_size)
        res_building = np.repeat(np.arange(n_buildings, dtype=np.int32), building_size)  # int32: 4 bytes a resident
        bounds = np.concatenate([[0], np.cumsum(building_size)])
        cb = np.concatenate([[0], np.cumsum(pop)])
        n_streets, n_districts = t.n_streets, t.n_districts
        caps = w.district_capacity
        street_population = np.bincount(t.street, weights=pop, minlength=n_streets).astype(np.int64)
        return cls(
            table=t, population=n, n_districts=n_districts, n_streets=n_streets, n_communities=t.n_communities,
            n_grids=len(grid_residents), n_buildings=n_buildings,
            street_district=np.asarray(t.street_district, dtype=np.int64),
            community_street=np.asarray(t.street, dtype=np.int64),
            grid_community=grid_community, building_grid=building_grid, resident_building=res_building,
            building_start=bounds[:-1], building_end=bounds[1:], community_start=cb[:-1], community_size=pop.copy(),
            street_population=street_population,
            district_population=np.bincount(t.street_district, weights=street_population,
                                            minlength=n_districts).astype(np.int64),
            grid_residents=grid_residents, grid_households=grid_households,
            district_capacity=np.array([caps[d % len(caps)] for d in range(n_districts)], dtype=float),
        )

    @property
    def community_district(self) -> np.ndarray:
        """District of each community."""
        return self.street_district[self.community_street]

    def community_of_resident(self, r: int) -> int:
        """Community resident ``r`` lives in."""
        return int(self.grid_community[self.building_grid[self.resident_building[r]]])

    def staff(self, levels: LevelsSpec) -> dict[str, np.ndarray]:
        """Staff of every office by level, from the staffing norms (ODD §5, docs/calibration.md T14).

        An office's staff is ``staff_per_unit + staff_per_10k × residents served / 10,000``: a
        community serves its residents, a street its communities' residents, each district department
        its district's residents, the city centre everyone. A city file's ``staff`` column replaces the
        norm for its communities. Returns ``{"community": per community, "street": per street,
        "district": per district (each department), "city": one value}``.
        """
        def norm(spec, served: np.ndarray) -> np.ndarray:
            return spec.staff_per_unit + spec.staff_per_10k * np.asarray(served, dtype=float) / 10_000.0

        given = np.asarray(self.table.staff, dtype=float)
        community = np.where(np.isnan(given), norm(levels.community, self.community_size), given)
        return {"community": community, "street": norm(levels.street, self.street_population),
                "district": norm(levels.district, self.district_population),
                "city": norm(levels.city, np.array([self.population]))}
