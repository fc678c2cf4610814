"""The ladder's levels, lowest first: the one place their names and numbers are declared.

An issue climbs from self-governance (building heads, residents' councils, party-member volunteers)
through the community, the street office and the district's departments to the city's coordination
centre; beyond the city it leaves (a petition). Counters of settlements, attempts and approval are
indexed by :class:`Level`; outcome names (``settled_community``) and scenario tables
(``[levels.community]``) use :attr:`Level.key`.
"""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    """A rung of the ladder (the integer values are the counters' indices)."""

    SELF = 0
    COMMUNITY = 1
    STREET = 2
    DISTRICT = 3
    CITY = 4

    @property
    def key(self) -> str:
        """The level's name in scenario tables and outcome names (``"community"``)."""
        return self.name.lower()

    @property
    def label(self) -> str:
        """The level's name on the dashboard (``"self-governance"`` for :attr:`SELF`)."""
        return _LABELS[self]


_LABELS = {Level.SELF: "self-governance", Level.COMMUNITY: "community", Level.STREET: "street",
           Level.DISTRICT: "district", Level.CITY: "city"}

LEVEL_NAMES: tuple[str, ...] = tuple(lv.key for lv in Level)
"""``("self", "community", "street", "district", "city")``: :attr:`Level.key` of every level, lowest first."""
