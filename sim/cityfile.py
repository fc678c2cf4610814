"""City files: a real city's districts, streets and communities, read from CSV or TOML.

A city file is data, not code: one row per community (社区/村), or per group of similar communities
of one street with a ``communities`` count, naming its district (区/县), its street or town
(街道/乡镇) and its population, and optionally its staff, grids, households, the share of households
served by a property firm, the share of migrants (residents without local hukou) and its
neighbourhood type. :func:`load_city` validates a file into a frozen :class:`CityTable` of
per-community arrays from which a model builds its administrative tree; :func:`derive_city` builds
the same table from a population alone with the national ratios of T15 (the default when a
scenario names no city file). The format, the limits and the neighbourhood-type effects are
documented in ``docs/city-files.md``.

Every problem is a one-line :class:`~govsim.sim.errors.InputError` naming the file, the line (CSV)
or dotted key (TOML) and what is allowed.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from govsim.sim.errors import InputError, from_validation_error, loads_toml, read_text_file
from govsim.sim.neighbourhoods import (  # noqa: F401  (re-exported: the effects lived here)
    MIGRANT_EFFECTS,
    NEIGHBOURHOOD_TYPES,
    TYPE_EFFECTS,
    CommunityEffects,
    Effect,
    community_effects,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# --------------------------------------------------------------------------- vocabulary and limits

STREET_KINDS: tuple[str, ...] = ("street", "town")
"""街道 (urban sub-district) or 乡镇 (town or township)."""
COMMUNITY_KINDS: tuple[str, ...] = ("community", "village")
"""社区 (residents' committee) or 村 (villagers' committee)."""

type NeighbourhoodType = Literal[
    "mixed", "old_town", "commercial_housing", "urban_village", "resettlement", "rural_village"]

MAX_FILE_BYTES = 8 * 2**20
"""Largest city file read (a city of 10,000 communities is well under 1 MB)."""
MAX_ROWS = 20_000
"""Most rows (communities or groups of communities) in one file."""
MAX_COMMUNITIES = 50_000
"""Most communities after expanding ``communities`` counts (Chongqing, the largest city, has ≈ 11,000)."""
MAX_PER_ROW = 2_000
"""Largest ``communities`` count of one row."""
MAX_COMMUNITY_POPULATION = 1_000_000
"""Most residents of one community (the largest real ones hold ≈ 100,000–200,000)."""
MAX_NAME = 80
"""Longest district, street or community name (characters)."""

COLUMNS: dict[str, str] = {
    "district": "district (区/县) name; required",
    "street": "street (街道) or town (乡镇) name; required",
    "street_kind": "street | town (default street)",
    "community": "community (社区) or village (村) name (default: the street's name and a number)",
    "community_kind": "community | village (default community)",
    "communities": "how many communities of equal size the row stands for (integer ≥ 1, default 1)",
    "population": "resident population of the row, all its communities together (integer ≥ 1 per community); required",
    "type": "neighbourhood type: " + " | ".join(NEIGHBOURHOOD_TYPES) + " (default mixed)",
    "staff": "community workers (社区工作者), all the row's communities together (number ≥ 0)",
    "grids": "grids (网格), all the row's communities together (integer ≥ 0)",
    "households": "households, all the row's communities together (integer ≥ 0)",
    "property_firm_share": "share of households served by a property firm (0–1; default by type)",
    "migrant_share": "share of residents without local hukou (0–1)",
}
"""Every column (CSV) or key (TOML ``[[community]]``) of a city file, with what it holds."""
REQUIRED: tuple[str, ...] = ("district", "street", "population")
METADATA: dict[str, str] = {
    "name": "the city's name",
    "year": "year of the statistics",
    "population": "published total population; the rows must add up to it exactly",
    "urban_population": "published urban population (documentation; not checked)",
    "migrants": "published residents without local hukou (documentation; not checked)",
}
"""Header metadata: ``# key: value`` comment lines (CSV) or keys of the ``[city]`` table (TOML)."""


# --------------------------------------------------------------------------- one row


class CityRow(BaseModel):
    """One row of a city file: a community, or ``communities`` communities of equal size."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_strip_whitespace=True)

    district: str = Field(min_length=1, max_length=MAX_NAME)
    street: str = Field(min_length=1, max_length=MAX_NAME)
    street_kind: Literal["street", "town"] = "street"
    community: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    community_kind: Literal["community", "village"] = "community"
    communities: int = Field(1, ge=1, le=MAX_PER_ROW)
    population: int = Field(ge=1, le=MAX_PER_ROW * MAX_COMMUNITY_POPULATION)
    type: NeighbourhoodType = "mixed"
    staff: float | None = Field(None, ge=0.0, le=1e6)
    grids: int | None = Field(None, ge=0, le=10_000_000)
    households: int | None = Field(None, ge=0, le=100_000_000)
    property_firm_share: float | None = Field(None, ge=0.0, le=1.0)
    migrant_share: float | None = Field(None, ge=0.0, le=1.0)

    @field_validator("population", "communities", "staff", "grids", "households", "property_firm_share",
                     "migrant_share", mode="before")
    @classmethod
    def _no_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):  # TOML true/false is not a number (pydantic would read it as 1/0)
            raise ValueError("a number is needed, not true/false")
        return v

    @field_validator("district", "street", "community", mode="before")
    @classmethod
    def _printable(cls, v: Any) -> Any:
        if isinstance(v, str) and not v.isprintable():
            raise ValueError("names may not hold control characters or line breaks")
        return v


# --------------------------------------------------------------------------- the table


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class CityTable:
    """A city's administrative tree as per-community arrays (index ``c`` runs over communities).

    Districts and streets are numbered in order of first appearance; ``street[c]`` indexes
    ``street_names`` and ``street_district[s]`` the district of street ``s``. Optional figures a
    file did not give are NaN.

    Attributes:
        name: The city's name.
        source: The file it was read from, or ``"derived"``.
        district_names: One name per district.
        street_names: One name per street or town.
        street_district: District index of each street (int32).
        street_is_town: Whether each street is a town or township (乡镇) rather than a 街道 (bool).
        community_names: One name per community.
        district: District index of each community (int32).
        street: Street index of each community (int32).
        is_village: Whether each community is a village (村) rather than a 社区 (bool).
        population: Residents of each community (int64).
        ntype: Neighbourhood type of each community, an index into :data:`NEIGHBOURHOOD_TYPES` (int8).
        staff: Community workers of each community (float64, NaN if not given).
        grids: Grids of each community (float64, NaN if not given).
        households: Households of each community (float64, NaN if not given).
        property_firm_share: Share of households served by a property firm (float64, NaN if not given).
        migrant_share: Share of residents without local hukou (float64, NaN if not given).
        meta: Header metadata (``name``, ``year``, ``population``, ``urban_population``, ``migrants``).
    """

    name: str
    source: str
    district_names: tuple[str, ...]
    street_names: tuple[str, ...]
    street_district: np.ndarray
    street_is_town: np.ndarray
    community_names: tuple[str, ...]
    district: np.ndarray
    street: np.ndarray
    is_village: np.ndarray
    population: np.ndarray
    ntype: np.ndarray
    staff: np.ndarray
    grids: np.ndarray
    households: np.ndarray
    property_firm_share: np.ndarray
    migrant_share: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def n_districts(self) -> int:
        """Number of districts."""
        return len(self.district_names)

    @property
    def n_streets(self) -> int:
        """Number of streets and towns."""
        return len(self.street_names)

    @property
    def n_communities(self) -> int:
        """Number of communities and villages."""
        return len(self.community_names)

    @property
    def total_population(self) -> int:
        """Residents of the whole city."""
        return int(self.population.sum())

    def type_names(self) -> list[str]:
        """The neighbourhood type of each community, by name."""
        return [NEIGHBOURHOOD_TYPES[t] for t in self.ntype]

    def shares(self, default_migrant_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(migrant share, property-firm share) per community, with the gaps filled.

        A missing migrant share becomes ``default_migrant_share``; a missing property-firm share
        becomes its neighbourhood type's default (:data:`TYPE_EFFECTS`).
        """
        migrant = np.where(np.isnan(self.migrant_share), default_migrant_share, self.migrant_share)
        by_type = np.array([TYPE_EFFECTS[t]["property_firm_share"].value for t in NEIGHBOURHOOD_TYPES])
        firm = np.where(np.isnan(self.property_firm_share), by_type[self.ntype], self.property_firm_share)
        return migrant, firm

    def summary(self) -> dict[str, float]:
        """Counts and ratios to compare with T15: units, residents per community, communities per street."""
        per_street = np.bincount(self.street, minlength=self.n_streets)
        per_district = np.bincount(self.street_district, minlength=self.n_districts)
        return {
            "districts": self.n_districts,
            "streets": int((~self.street_is_town).sum()),
            "towns": int(self.street_is_town.sum()),
            "communities": int((~self.is_village).sum()),
            "villages": int(self.is_village.sum()),
            "population": self.total_population,
            "residents_per_community": float(self.population.mean()),
            "residents_per_community_min": int(self.population.min()),
            "residents_per_community_max": int(self.population.max()),
            "communities_per_street": float(per_street.mean()),
            "streets_per_district": float(per_district.mean()),
        }


# --------------------------------------------------------------------------- reading files


def _read_text(path: Path) -> str:
    return read_text_file(path, limit=MAX_FILE_BYTES, kind="a .csv or .toml city file", encoding="utf-8-sig")


def _meta_value(file: Path, key: str, value: Any, where: str | None = None) -> Any:
    """A header value checked: the name a short printable string, the figures whole numbers."""
    where = where or key
    if key == "name":
        if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME or not value.isprintable():
            raise InputError(file, where, f"a printable name of 1–{MAX_NAME} characters is needed")
        return value
    if isinstance(value, str):
        value = value.replace(",", "").replace("_", "").strip()
        if not value.isdecimal():
            raise InputError(file, where, f"a whole number is needed (got {value[:30]!r})")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**10:
        raise InputError(file, where, "a whole number ≥ 0 is needed")
    return value


def _parse_csv(path: Path, text: str) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Rows as (key prefix, raw dict) and the header metadata of a CSV city file."""
    meta: dict[str, Any] = {}
    body: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            key, sep, value = stripped.lstrip("#").strip().partition(":")
            if sep and key.strip() in METADATA:
                meta[key.strip()] = _meta_value(path, key.strip(), value.strip())
            continue
        body.append((lineno, line))
    if not body:
        raise InputError(path, "", "no header line; the first non-comment line must name the columns, e.g. "
                         "district,street,population")
    if len(body) - 1 > MAX_ROWS:
        raise InputError(path, "", f"{len(body) - 1} rows; at most {MAX_ROWS}")
    try:
        records = list(csv.reader(io.StringIO("\n".join(line for _, line in body)), strict=True))
    except csv.Error as exc:
        raise InputError(path, "", f"malformed CSV: {exc}") from None
    if len(records) != len(body):
        raise InputError(path, "", "a quoted field spans several lines; each row must be one line")
    header_line = body[0][0]
    header = [h.strip() for h in records[0]]
    for col in header:
        if col not in COLUMNS:
            raise InputError(path, f"line {header_line}.{col[:40]}",
                             "unknown column; allowed columns: " + ", ".join(COLUMNS))
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise InputError(path, f"line {header_line}.{dup}", "column named twice; each column once")
    for col in REQUIRED:
        if col not in header:
            raise InputError(path, col, "required column is missing; the header must name "
                             + ", ".join(REQUIRED))
    rows = []
    for (lineno, _), rec in zip(body[1:], records[1:], strict=True):
        if len(rec) != len(header):
            raise InputError(path, f"line {lineno}", f"{len(rec)} fields; the header names {len(header)}")
        rows.append((f"line {lineno}", {k: v.strip() for k, v in zip(header, rec, strict=True) if v.strip()}))
    return rows, meta


def _parse_toml(path: Path, text: str) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Rows as (key prefix, raw dict) and the ``[city]`` metadata of a TOML city file."""
    data = loads_toml(text, path)
    for key in data:
        if key not in ("city", "community"):
            raise InputError(path, key, "unknown key; allowed: [city] and [[community]]")
    city = data.get("city", {})
    if not isinstance(city, dict):
        raise InputError(path, "city", "must be a table: [city]")
    meta: dict[str, Any] = {}
    for key, value in city.items():
        if key == "sources":
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                raise InputError(path, "city.sources", "must be a list of strings")
            continue
        if key not in METADATA:
            raise InputError(path, f"city.{key}", "unknown key; allowed keys: sources, " + ", ".join(METADATA))
        meta[key] = _meta_value(path, key, value, f"city.{key}")
    rows = data.get("community")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InputError(path, "community", "at least one [[community]] table is needed")
    if len(rows) > MAX_ROWS:
        raise InputError(path, "community", f"{len(rows)} rows; at most {MAX_ROWS}")
    return [(f"community.{i}", r) for i, r in enumerate(rows)], meta


def load_city(path: str | Path) -> CityTable:
    """Read and validate a city file (``.csv`` or ``.toml``) into a :class:`CityTable`.

    Args:
        path: The city file.

    Returns:
        The frozen table, one entry per community (rows with a ``communities`` count expanded
        into that many communities of equal size).

    Raises:
        InputError: One line naming the file, the line or dotted key and what is allowed.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".toml"):
        raise InputError(p, "", "a city file must be .csv or .toml")
    text = _read_text(p)
    rows, meta = (_parse_csv if suffix == ".csv" else _parse_toml)(p, text)
    return city_from_rows(rows, meta, p)


def _split(total: int, n: int) -> list[int]:
    base, rem = divmod(total, n)
    return [base + (1 if i < rem else 0) for i in range(n)]


def city_from_rows(rows: list[tuple[str, dict[str, Any]]], meta: Mapping[str, Any],
                   file: str | Path | None = None) -> CityTable:
    """Validate raw rows (each with the key prefix used in errors) into a :class:`CityTable`.

    Args:
        rows: ``(key prefix, {column: value})`` pairs, as a CSV or TOML file gives them.
        meta: Header metadata (see :data:`METADATA`).
        file: The file named in error messages.

    Raises:
        InputError: One line naming the file, the row and what is allowed.
    """
    districts: dict[str, int] = {}
    streets: dict[tuple[str, str], int] = {}
    street_kind: dict[tuple[str, str], tuple[str, str]] = {}
    seen_names: dict[tuple[int, str], str] = {}
    numbered: dict[int, int] = {}
    cols: dict[str, list] = {k: [] for k in ("names", "district", "street", "village", "pop", "type", "staff",
                                             "grids", "households", "firm", "migrant")}
    for where, raw in rows:
        for key in raw:
            if key not in COLUMNS:
                raise InputError(file, f"{where}.{str(key)[:40]}", "unknown key; allowed keys: " + ", ".join(COLUMNS))
        try:
            row = CityRow.model_validate(raw)
        except ValidationError as err:
            raise from_validation_error(err, file, prefix=where) from None
        if row.population < row.communities:
            raise InputError(file, f"{where}.population",
                             f"{row.population} residents for {row.communities} communities; at least 1 each")
        if row.population > row.communities * MAX_COMMUNITY_POPULATION:
            raise InputError(file, f"{where}.population",
                             f"more than {MAX_COMMUNITY_POPULATION:,} residents per community")
        d = districts.setdefault(row.district, len(districts))
        skey = (row.district, row.street)
        s = streets.setdefault(skey, len(streets))
        first = street_kind.setdefault(skey, (row.street_kind, where))
        if first[0] != row.street_kind:
            raise InputError(file, f"{where}.street_kind",
                             f"'{row.street}' is a {first[0]} at {first[1]}; one street has one kind")
        n = row.communities
        if len(cols["names"]) + n > MAX_COMMUNITIES:
            raise InputError(file, f"{where}.communities", f"more than {MAX_COMMUNITIES:,} communities in the city")
        if row.community is None:  # unnamed: the street's name and a running number
            names = [f"{row.street} {numbered.get(s, 0) + i + 1}" for i in range(n)]
            numbered[s] = numbered.get(s, 0) + n
        else:
            names = [row.community] if n == 1 else [f"{row.community} {i + 1}" for i in range(n)]
        for nm in names:
            prev = seen_names.setdefault((s, nm), where)
            if prev != where:
                raise InputError(file, f"{where}.community", f"'{nm}' already named at {prev}; names are unique in a street")
        cols["names"] += names
        cols["district"] += [d] * n
        cols["street"] += [s] * n
        cols["village"] += [row.community_kind == "village"] * n
        cols["pop"] += _split(row.population, n)
        cols["type"] += [NEIGHBOURHOOD_TYPES.index(row.type)] * n
        cols["staff"] += [math.nan if row.staff is None else row.staff / n] * n
        cols["grids"] += [math.nan] * n if row.grids is None else [float(x) for x in _split(row.grids, n)]
        cols["households"] += ([math.nan] * n if row.households is None
                               else [float(x) for x in _split(row.households, n)])
        cols["firm"] += [math.nan if row.property_firm_share is None else row.property_firm_share] * n
        cols["migrant"] += [math.nan if row.migrant_share is None else row.migrant_share] * n
    if not rows:
        raise InputError(file, "", "no rows; a city needs at least one community")
    total = sum(cols["pop"])
    published = meta.get("population")
    if published is not None and published != total:
        raise InputError(file, "population", f"the header says {published:,} residents but the rows add up to "
                         f"{total:,}; they must agree")
    sd = np.zeros(len(streets), dtype=np.int32)
    town = np.zeros(len(streets), dtype=bool)
    for (dname, _), s in streets.items():
        sd[s] = districts[dname]
    for skey, (kind, _) in street_kind.items():
        town[streets[skey]] = kind == "town"
    return CityTable(
        name=str(meta.get("name", Path(file).stem if file is not None else "city")),
        source=str(file) if file is not None else "<rows>",
        district_names=tuple(districts),
        street_names=tuple(s for _, s in streets),
        street_district=_frozen(sd),
        street_is_town=_frozen(town),
        community_names=tuple(cols["names"]),
        district=_frozen(np.array(cols["district"], dtype=np.int32)),
        street=_frozen(np.array(cols["street"], dtype=np.int32)),
        is_village=_frozen(np.array(cols["village"], dtype=bool)),
        population=_frozen(np.array(cols["pop"], dtype=np.int64)),
        ntype=_frozen(np.array(cols["type"], dtype=np.int8)),
        staff=_frozen(np.array(cols["staff"], dtype=np.float64)),
        grids=_frozen(np.array(cols["grids"], dtype=np.float64)),
        households=_frozen(np.array(cols["households"], dtype=np.float64)),
        property_firm_share=_frozen(np.array(cols["firm"], dtype=np.float64)),
        migrant_share=_frozen(np.array(cols["migrant"], dtype=np.float64)),
        meta=MappingProxyType(dict(meta)),
    )
