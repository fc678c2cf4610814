"""Yearly cost accounting (ODD §7.22): standing staff plus every lever, in 万元 (10,000 yuan).

Each lever's cost is declared with the lever (:func:`sim.policies.L`); the staff's cost comes from
the offices the city has, the petition office's and public legal services' included (the channels the
governance budget pays; courts and police are other budgets). Both count units on the same :class:`~sim.city.City` the model builds, so
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


def channel_staff_cost(spec: ScenarioSpec) -> float:
    """Yearly cost in 万元 of the standing channels the city's governance budget pays (ODD §7.22).

    The petition office (信访局, a city bureau: city pay) and public legal services (the district justice
    bureaus' 公共法律服务: department pay). Courts and police are not the city's governance budget (the
    courts' since the 2014 judicial reform from the province, police from public security) and are not
    counted; the centre's hired mediators are the ``conflict_centre`` lever's cost (``sim/policies.py``).
    """
    ch, c = spec.channels, spec.costs
    per_100k = spec.world.population / 100_000
    return float(per_100k * (c.city_staff * ch.petition_office.staff_per_100k
                             + c.department_staff * ch.legal_services.staff_per_100k))


def staff_cost(spec: ScenarioSpec, city: City | None = None) -> float:
    """Yearly cost of the standing offices' staff in 万元 (communities, streets, departments, city, channels).

    The channels are those the governance budget pays (:func:`channel_staff_cost`).
    """
    city = City.from_world(spec.world) if city is None else city
    c = spec.costs
    staff = city.staff(spec.levels)
    return float(
        c.community_staff * staff["community"].sum()
        + c.street_staff * staff["street"].sum()
        + c.department_staff * staff["district"].sum() * len(DEPARTMENTS)
        + c.city_staff * staff["city"].sum()
        + channel_staff_cost(spec)
    )


def yearly_cost(spec: ScenarioSpec, city: City | None = None) -> float:
    """Total yearly cost in 万元: standing staff plus every lever."""
    city = City.from_world(spec.world) if city is None else city
    return staff_cost(spec, city) + sum(lever_costs(spec, city).values())
