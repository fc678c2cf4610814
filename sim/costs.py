"""Yearly cost accounting (ODD §7.22): standing staff plus every lever, in 万元 (10,000 yuan).

Each lever's cost is declared with the lever (:func:`sim.policies.L`); the staff's cost comes from
the offices the city has. Both count units on the same :class:`~sim.city.City` the model builds, so
the costed buildings, communities and streets are the ones that exist.
"""

from __future__ import annotations

from govsim.sim.city import City
from govsim.sim.policies import LEVERS
from govsim.sim.scenario import DEPARTMENTS, ScenarioSpec


def lever_costs(spec: ScenarioSpec, city: City | None = None) -> dict[str, float]:
    """Yearly cost of each lever in 万元 (``city``: the scenario's tree, built from ``spec.world`` if not given)."""
    city = City.from_world(spec.world) if city is None else city
    return {name: lv.yearly_cost(spec, city) for name, lv in LEVERS.items()}


def staff_cost(spec: ScenarioSpec, city: City | None = None) -> float:
    """Yearly cost of the standing offices' staff in 万元 (communities, streets, departments, city)."""
    city = City.from_world(spec.world) if city is None else city
    lv, c = spec.levels, spec.costs
    return (
        c.community_staff * lv.community.staff_per_unit * city.n_communities
        + c.street_staff * lv.street.staff_per_unit * city.n_streets
        + c.department_staff * lv.district.staff_per_unit * len(DEPARTMENTS) * city.n_districts
        + c.city_staff * lv.city.staff_per_unit
    )


def yearly_cost(spec: ScenarioSpec, city: City | None = None) -> float:
    """Total yearly cost in 万元: standing staff plus every lever."""
    city = City.from_world(spec.world) if city is None else city
    return staff_cost(spec, city) + sum(lever_costs(spec, city).values())
