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
from govsim.sim.errors import InputError, from_validation_error, loads_toml
from govsim.sim.scenario import ISSUE_TYPES
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# --------------------------------------------------------------------------- vocabulary and limits

NEIGHBOURHOOD_TYPES: tuple[str, ...] = (
    "mixed", "old_town", "commercial_housing", "urban_village", "resettlement", "rural_village")
"""Neighbourhood types. ``mixed`` (the default) means "no information": the scenario's average rates."""
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
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(path, "", "file not found") from None
    except IsADirectoryError:
        raise InputError(path, "", "is a folder; a .csv or .toml city file is needed") from None
    except OSError as exc:
        raise InputError(path, "", f"cannot read the file ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(path, "", f"larger than {MAX_FILE_BYTES // 2**20} MB; a city file is at most that")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, "", "not UTF-8 text; save the city file as UTF-8") from None


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
                name: str = "derived") -> CityTable:
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
    n_comm = min(max(1, round(population / residents_per_community)), population, MAX_COMMUNITIES)
    n_streets = max(1, round(n_comm / communities_per_street))
    n_districts = max(1, round(n_streets / streets_per_district))
    street = _even(n_comm, n_streets)
    street_district = _even(n_streets, n_districts)
    pop = np.array(_split(population, n_comm), dtype=np.int64)
    households = np.maximum(1.0, np.round(pop / persons_per_household))
    grids = np.maximum(1.0, np.ceil(households / households_per_grid))
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


# --------------------------------------------------------------------------- neighbourhood effects


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
    rate = {}
    for issue in ISSUE_TYPES:
        by_type = np.array([_get(t, f"rate.{issue}", 1.0) for t in types])[city.ntype]
        mig = _get(MIGRANT_EFFECTS, f"rate.{issue}", 1.0)
        rate[issue] = _frozen(by_type * (1.0 - m + m * mig))
    shift = {}
    for key in ("report_logit", "trust"):
        by_type = np.array([_get(t, key, 0.0) for t in types])[city.ntype]
        shift[key] = _frozen(by_type + m * _get(MIGRANT_EFFECTS, key, 0.0))
    return CommunityEffects(rate=MappingProxyType(rate), report_logit=shift["report_logit"], trust=shift["trust"],
                            migrant_share=_frozen(m), property_firm_share=_frozen(firm))


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
