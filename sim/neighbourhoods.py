"""Effects of neighbourhood type and migrants' share on a community (ODD §7.1, docs/city-files.md).

A city file (:mod:`sim.cityfile`) may give each community a neighbourhood type (old town,
commercial housing, urban village, resettlement estate, rural village) and a share of migrants
(residents without local hukou). :data:`TYPE_EFFECTS` and :data:`MIGRANT_EFFECTS` hold the effect of
each on issue rates, on the reporting log-odds and on initial trust, each with a plausible range and
the literature its direction rests on; :func:`community_effects` combines them per community.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
from govsim.sim.spec_sections import ISSUE_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.cityfile import CityTable

NEIGHBOURHOOD_TYPES: tuple[str, ...] = (
    "mixed", "old_town", "commercial_housing", "urban_village", "resettlement", "rural_village")
"""Neighbourhood types. ``mixed`` (the default) means "no information": the scenario's average rates."""


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True)
class Effect:
    """An effect size with its plausible range and its basis (a source, or "assumption" and why).

    Attributes:
        value: The default.
        low: Lower end of the plausible range (sweep it as an uncertainty).
        high: Upper end of the plausible range.
        basis: The literature the direction rests on; every magnitude here is an assumption.
    """

    value: float
    low: float
    high: float
    basis: str


def _E(value: float, low: float, high: float, basis: str) -> Effect:
    return Effect(value, low, high, basis)


_NONE = "no information: the scenario's calibrated average"
_OLD = "Forrest & Yip 2007; Li, Zhu & Li 2012 (dense neighbouring, older residents); assumption"
_COM = "Read 2003; Cai 2005; Tomba 2005 (homeowner–property firm disputes); assumption"
_VIL = "Wang, Wang & Wu 2009; Liu, He, Wu & Webster 2010 (crowding, informal building); assumption"
_RES = "Hsing 2010; Ong 2014 (relocation and compensation grievances); assumption"
_RUR = "Michelson 2007; Guo 2001 (land and homestead disputes in villages); assumption"

TYPE_EFFECTS: Mapping[str, Mapping[str, Effect]] = MappingProxyType({
    "mixed": MappingProxyType({
        **{f"rate.{t}": _E(1.0, 1.0, 1.0, _NONE) for t in ISSUE_TYPES},
        "report_logit": _E(0.0, 0.0, 0.0, _NONE), "trust": _E(0.0, 0.0, 0.0, _NONE),
        "property_firm_share": _E(0.6, 0.4, 0.8, "assumption: share of urban households under a property firm"),
    }),
    "old_town": MappingProxyType({
        "rate.neighbour": _E(1.3, 1.0, 1.6, _OLD), "rate.family": _E(1.1, 1.0, 1.3, _OLD),
        "rate.property": _E(0.7, 0.4, 1.0, "few property firms in pre-1990s housing (Read 2012); assumption"),
        "rate.labour": _E(0.8, 0.6, 1.0, "older residents, fewer employees; assumption"),
        "rate.environment": _E(1.3, 1.0, 1.6, "ageing infrastructure in old housing; assumption"),
        "rate.land": _E(0.5, 0.2, 1.0, "assumption"), "rate.public_service": _E(1.2, 1.0, 1.5, _OLD),
        "report_logit": _E(0.2, 0.0, 0.5, "long-standing ties to the residents' committee (Read 2012); assumption"),
        "trust": _E(0.03, 0.0, 0.08, "Read 2012; assumption"),
        "property_firm_share": _E(0.2, 0.0, 0.5, "assumption"),
    }),
    "commercial_housing": MappingProxyType({
        "rate.neighbour": _E(0.9, 0.7, 1.0, "weaker neighbouring in gated estates (Forrest & Yip 2007); assumption"),
        "rate.family": _E(1.0, 0.9, 1.1, "assumption"), "rate.property": _E(1.5, 1.2, 2.0, _COM),
        "rate.labour": _E(0.9, 0.7, 1.0, "assumption"), "rate.environment": _E(1.0, 0.8, 1.2, "assumption"),
        "rate.land": _E(0.2, 0.0, 0.5, "assumption"), "rate.public_service": _E(0.9, 0.7, 1.0, "assumption"),
        "report_logit": _E(-0.1, -0.3, 0.1,
                           "owners turn to the property firm and owners' committee first (Tomba 2014); assumption"),
        "trust": _E(0.0, -0.05, 0.05, "assumption"),
        "property_firm_share": _E(0.95, 0.8, 1.0, "commercial estates are managed by firms (Read 2003); assumption"),
    }),
    "urban_village": MappingProxyType({
        "rate.neighbour": _E(1.2, 1.0, 1.5, _VIL), "rate.family": _E(1.0, 0.8, 1.2, "assumption"),
        "rate.property": _E(0.8, 0.5, 1.2, "landlord–tenant rather than firm disputes; assumption"),
        "rate.labour": _E(1.5, 1.0, 2.0, "migrant workers concentrate here (Gallagher 2006); assumption"),
        "rate.environment": _E(1.5, 1.1, 2.0, _VIL),
        "rate.land": _E(2.0, 1.0, 4.0, "collective land and redevelopment (Wu, Zhang & Webster 2013); assumption"),
        "rate.public_service": _E(1.2, 1.0, 1.5, _VIL),
        "report_logit": _E(-0.3, -0.6, 0.0, "tenants' weak local ties (Wu & Logan 2016); assumption"),
        "trust": _E(-0.05, -0.10, 0.0, "Wu & Logan 2016; assumption"),
        "property_firm_share": _E(0.05, 0.0, 0.2, "assumption"),
    }),
    "resettlement": MappingProxyType({
        "rate.neighbour": _E(1.1, 1.0, 1.3, "assumption"), "rate.family": _E(1.1, 1.0, 1.3, "assumption"),
        "rate.property": _E(1.5, 1.1, 2.0, "building quality and fee disputes; assumption"),
        "rate.labour": _E(1.0, 0.8, 1.2, "assumption"), "rate.environment": _E(1.1, 0.9, 1.3, "assumption"),
        "rate.land": _E(3.0, 1.5, 5.0, _RES), "rate.public_service": _E(1.2, 1.0, 1.5, "assumption"),
        "report_logit": _E(0.0, -0.3, 0.3, "assumption"),
        "trust": _E(-0.08, -0.15, 0.0, _RES),
        "property_firm_share": _E(0.6, 0.3, 0.9, "assumption"),
    }),
    "rural_village": MappingProxyType({
        "rate.neighbour": _E(1.2, 1.0, 1.5, _RUR), "rate.family": _E(1.2, 1.0, 1.4, _RUR),
        "rate.property": _E(0.3, 0.1, 0.6, "few managed estates; assumption"),
        "rate.labour": _E(0.6, 0.4, 1.0, "assumption"), "rate.environment": _E(0.7, 0.5, 1.0, "assumption"),
        "rate.land": _E(3.0, 1.5, 5.0, _RUR), "rate.public_service": _E(0.9, 0.7, 1.2, "assumption"),
        "report_logit": _E(0.1, -0.2, 0.4, "villagers go to village cadres first (Michelson 2007); assumption"),
        "trust": _E(0.0, -0.05, 0.05, "local trust not clearly different (Li 2004); assumption"),
        "property_firm_share": _E(0.0, 0.0, 0.1, "assumption"),
    }),
})
"""Multipliers on issue rates (``rate.<issue type>``), shifts of the reporting log-odds
(``report_logit``) and of initial trust (``trust``, on the 0–1 scale), and the default property-firm
share, by neighbourhood type. Missing ``rate.*`` entries are 1. Directions follow the cited
literature; every magnitude is an assumption with the range to sweep (``docs/city-files.md``)."""

MIGRANT_EFFECTS: Mapping[str, Effect] = MappingProxyType({
    "rate.labour": _E(1.8, 1.2, 3.0, "wage arrears concentrate on migrant workers (Gallagher 2006; "
                      "Wong, Li & Song 2007); assumption"),
    "rate.property": _E(0.8, 0.5, 1.0, "mostly tenants, not owners; assumption"),
    "rate.family": _E(0.8, 0.6, 1.0, "families often left at home (Wong, Li & Song 2007); assumption"),
    "report_logit": _E(-0.5, -1.0, -0.2, "weaker access to and ties with local institutions (Solinger 1999; "
                       "Wong, Li & Song 2007; Wu & Logan 2016); assumption"),
    "trust": _E(-0.05, -0.12, 0.05, "direction uncertain: high trust in the centre, less in local offices "
                "(Li 2004, for villagers); assumption"),
})
"""Effects of being a migrant (no local hukou) relative to a local resident, same keys as
:data:`TYPE_EFFECTS`; missing ``rate.*`` entries are 1."""


def _get(table: Mapping[str, Effect], key: str, neutral: float) -> float:
    e = table.get(key)
    return neutral if e is None else e.value


@dataclass(frozen=True, eq=False)
class CommunityEffects:
    """Per-community effects of neighbourhood type and migrant share (arrays over communities).

    Attributes:
        rate: Issue-rate multiplier per issue type (``rate["land"][c]``).
        report_logit: Shift of the reporting log-odds of a community's average resident.
        trust: Shift of the mean initial trust of a community's residents.
        migrant_share: The migrant share used.
        property_firm_share: The property-firm share used.
    """

    rate: Mapping[str, np.ndarray]
    report_logit: np.ndarray
    trust: np.ndarray
    migrant_share: np.ndarray
    property_firm_share: np.ndarray


def community_effects(city: CityTable, default_migrant_share: float = 0.0) -> CommunityEffects:
    """Combine the type effects and the migrant mix of each community.

    A community of type ``t`` with migrant share ``m`` gets rate multiplier
    ``type_rate × (1 − m + m × migrant_rate)`` and shifts ``type_shift + m × migrant_shift``: the
    average over its residents. A model that flags residents as migrants (with probability ``m``)
    should apply :data:`MIGRANT_EFFECTS` per resident instead of the ``m``-weighted shifts.

    Args:
        city: The city.
        default_migrant_share: Migrant share where the city file gives none.
    """
    m, firm = city.shares(default_migrant_share)
    types = [TYPE_EFFECTS[t] for t in NEIGHBOURHOOD_TYPES]
    # Property disputes are mostly homeowners against the firm that manages their estate (fees, service,
    # repairs: Read 2003; Cai 2005), so a community's property rate scales with the share of its households
    # a firm serves, relative to its type's default share (already in the type's rate): a city file's own
    # share moves it, a derived city (type defaults) keeps the type's rate. Where the type's default is 0
    # (villages) the file's share cannot be scaled from and the type's rate stands.
    firm_default = np.array([t["property_firm_share"].value for t in types])[city.ntype]
    firm_factor = np.where(firm_default > 0, firm / np.where(firm_default > 0, firm_default, 1.0), 1.0)
    rate = {}
    for issue in ISSUE_TYPES:
        by_type = np.array([_get(t, f"rate.{issue}", 1.0) for t in types])[city.ntype]
        mig = _get(MIGRANT_EFFECTS, f"rate.{issue}", 1.0)
        firm_mult = firm_factor if issue == "property" else 1.0
        rate[issue] = _frozen(by_type * (1.0 - m + m * mig) * firm_mult)
    shift = {}
    for key in ("report_logit", "trust"):
        by_type = np.array([_get(t, key, 0.0) for t in types])[city.ntype]
        shift[key] = _frozen(by_type + m * _get(MIGRANT_EFFECTS, key, 0.0))
    return CommunityEffects(rate=MappingProxyType(rate), report_logit=shift["report_logit"], trust=shift["trust"],
                            migrant_share=_frozen(m), property_firm_share=_frozen(firm))
