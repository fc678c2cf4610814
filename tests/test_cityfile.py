"""City files: the shipped cities load and keep their published totals, bad files fail in one line,
the structure derived from a population has the national ratios (T15) and is deterministic, and
every neighbourhood effect lies in its stated range with a stated basis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from govsim.sim.city import derive_city
from govsim.sim.cityfile import (
    COLUMNS,
    MAX_ROWS,
    MIGRANT_EFFECTS,
    NEIGHBOURHOOD_TYPES,
    TYPE_EFFECTS,
    CityTable,
    community_effects,
    load_city,
)
from govsim.sim.errors import InputError
from govsim.sim.scenario import ISSUE_TYPES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT

CITIES = ROOT / "scenarios" / "cities"
SHIPPED = sorted(p for p in CITIES.iterdir() if p.suffix in (".csv", ".toml"))


# --------------------------------------------------------------------------- shipped cities


def test_two_cities_are_shipped() -> None:
    assert {p.name for p in SHIPPED} >= {"zhuji.csv", "dongcheng.toml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_city_loads_and_matches_its_header(path: Path) -> None:
    city = load_city(path)
    assert isinstance(city, CityTable)
    assert city.total_population == city.meta["population"]  # the loader also enforces it
    assert city.n_communities == len(city.population) == len(city.street) == len(city.ntype)
    assert (city.population >= 1).all()
    assert city.street_district.max() < city.n_districts and city.street.max() < city.n_streets
    assert (city.district == city.street_district[city.street]).all()
    assert len(set(zip(city.street.tolist(), city.community_names, strict=True))) == city.n_communities
    text = path.read_text(encoding="utf-8")
    assert "STATISTICS" in text and "ALLOCATIONS" in text, "the header must separate statistics from allocations"
    with pytest.raises(ValueError):
        city.population[0] = 1  # frozen arrays


def test_zhuji_matches_the_published_figures() -> None:
    city = load_city(CITIES / "zhuji.csv")
    s = city.summary()
    assert (s["population"], s["districts"], s["streets"], s["towns"]) == (1_218_072, 1, 5, 18)
    assert s["communities"] + s["villages"] == 553
    names = set(city.street_names)
    assert {"暨阳街道", "浣东街道", "陶朱街道", "暨南街道", "大唐街道", "枫桥镇", "东和乡"} <= names
    urban = city.population[np.isin(city.ntype, [NEIGHBOURHOOD_TYPES.index(t) for t in
                                                  ("old_town", "commercial_housing", "resettlement",
                                                   "urban_village")])].sum()
    assert urban == city.meta["urban_population"] == 762_917
    migrants = float((city.migrant_share * city.population).sum())
    assert abs(migrants - city.meta["migrants"]) / city.meta["migrants"] < 1e-3


def test_dongcheng_matches_the_published_figures() -> None:
    city = load_city(CITIES / "dongcheng.toml")
    s = city.summary()
    assert (s["population"], s["districts"], s["streets"], s["towns"], s["communities"]) == (708_829, 1, 17, 0, 177)
    per_street = dict(zip(city.street_names, np.bincount(city.street, weights=city.population).astype(int),
                          strict=True))
    # the five streets with a published 2020 census figure keep it exactly
    assert per_street["北新桥街道"] == 55_449 and per_street["朝阳门街道"] == 30_473
    assert per_street["建国门街道"] == 33_094 and per_street["东直门街道"] == 46_712
    assert per_street["前门街道"] == 9_081


def _district_table(text: str) -> dict[str, tuple[int, int, int]]:
    """The district table of a city file's STATISTICS block: name -> (census population, streets, towns).

    Rows read ``#   CODE  NAME  ENGLISH  POPULATION  STREETS  AREAS  TOWNS  TOWNSHIPS``; areas, towns and
    townships are all towns (乡镇) of the tree.
    """
    out = {}
    for line in text.splitlines():
        m = re.fullmatch(r"#\s+11\d{4}\s+(\S+区)\s+[A-Za-z]+\s+([\d,]+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*", line)
        if m:
            pop, streets, areas, towns, townships = (int(x.replace(",", "")) for x in m.groups()[1:])
            out[m.group(1)] = (pop, streets, areas + towns + townships)
    return out


def test_beijing_matches_the_census_figures_in_its_header() -> None:
    """The whole municipality: 16 districts, 343 streets and towns, each district's 2020 census population."""
    path = CITIES / "beijing.csv"
    text = path.read_text(encoding="utf-8")
    city = load_city(path)
    s = city.summary()
    assert s["population"] == city.meta["population"] == 21_893_095
    assert s["districts"] == 16 and city.n_streets == s["streets"] + s["towns"] == 343
    table = _district_table(text)
    assert len(table) == 16 and sum(p for p, _, _ in table.values()) == 21_893_095
    per_district = np.bincount(city.district, weights=city.population, minlength=city.n_districts).astype(int)
    assert dict(zip(city.district_names, per_district.tolist(), strict=True)) == {d: t[0] for d, t in table.items()}
    for d, (_, streets, towns) in table.items():
        mine = city.street_district == city.district_names.index(d)
        assert (int((mine & ~city.street_is_town).sum()), int((mine & city.street_is_town).sum())) == (streets, towns), d
    # the census urban and rural populations: villages hold the rural residents, communities the urban
    assert city.population[~city.is_village].sum() == city.meta["urban_population"]
    assert city.population.sum() - city.meta["urban_population"] == city.population[city.is_village].sum()
    # Changping's units with a census figure in the header keep it exactly
    block = text[text.index("Changping District, 2020 census"):text.index("# ALLOCATIONS")]
    found = {n: int(p.replace(",", "")) for n, p in
             re.findall(r"([\u4e00-\u9fff]+(?:街道|地区|镇|乡))\s*(?:\n#\s*)?([\d,]{5,})", block)}
    assert len(found) == 17
    cp = city.district_names.index("昌平区")
    per_street = np.bincount(city.street, weights=city.population, minlength=city.n_streets).astype(int)
    changping = {n: int(per_street[i]) for i, n in enumerate(city.street_names) if city.street_district[i] == cp}
    assert {n: changping[n] for n in found} == found
    # Dongcheng is its own city file's rows
    dongcheng = load_city(CITIES / "dongcheng.toml")
    mine = city.district == city.district_names.index("东城区")
    assert city.population[mine].tolist() == dongcheng.population.tolist()


def test_beijing_file_is_written_by_its_tool() -> None:
    """scenarios/cities/beijing.csv is exactly what tools/beijing_city.py writes (its tables and rules)."""
    from tools.beijing_city import OUT, render

    assert OUT.read_text(encoding="utf-8") == render(), (
        "scenarios/cities/beijing.csv is stale: run .venv/bin/python tools/beijing_city.py")


# --------------------------------------------------------------------------- format


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD_CSV = """# A test city.
# name: Testville
# population: 30000
district,street,street_kind,community,community_kind,communities,population,type,staff,grids,households,property_firm_share,migrant_share
East,North street,street,Elm,community,1,8000,old_town,9,7,3000,0.2,0.1
East,North street,street,,community,2,12001,commercial_housing,,,,,
East,Hill town,town,,village,3,9999,rural_village,12.5,6,3600,,0.05
"""


def test_csv_format_expands_groups_and_keeps_totals(tmp_path: Path) -> None:
    city = load_city(_write(tmp_path, "t.csv", GOOD_CSV))
    assert city.name == "Testville" and city.n_communities == 6 and city.total_population == 30_000
    assert city.community_names == ("Elm", "North street 1", "North street 2", "Hill town 1", "Hill town 2",
                                    "Hill town 3")
    assert city.population.tolist() == [8000, 6001, 6000, 3333, 3333, 3333]
    assert city.street_is_town.tolist() == [False, True] and city.is_village.tolist()[-3:] == [True] * 3
    assert np.isnan(city.staff[1]) and city.staff[3] == pytest.approx(12.5 / 3)
    assert city.grids[3:].tolist() == [2.0, 2.0, 2.0]
    migrant, firm = city.shares(default_migrant_share=0.3)
    assert migrant.tolist() == [0.1, 0.3, 0.3, 0.05, 0.05, 0.05]
    assert firm[0] == 0.2 and firm[1] == TYPE_EFFECTS["commercial_housing"]["property_firm_share"].value


def test_property_disputes_follow_the_share_of_households_a_firm_serves(tmp_path: Path) -> None:
    """A city file's property-firm share scales its community's property rate against the type's default."""
    from govsim.sim.neighbourhoods import community_effects

    city = load_city(_write(tmp_path, "t.csv", GOOD_CSV.replace("3000,0.2,0.1", "3000,0.5,0.1")))
    eff = community_effects(city)
    old_town = TYPE_EFFECTS["old_town"]
    default = old_town["property_firm_share"].value
    assert eff.rate["property"][0] == pytest.approx(old_town["rate.property"].value * (1 - 0.1 + 0.1 * _mig("property"))
                                                    * 0.5 / default)
    assert 0.5 / default == pytest.approx(2.5)  # the file's share is 2.5 times the old town's default
    assert eff.rate["neighbour"][0] == pytest.approx(old_town["rate.neighbour"].value
                                                     * (1 - 0.1 + 0.1 * _mig("neighbour")))
    com = TYPE_EFFECTS["commercial_housing"]["rate.property"].value  # no share given: the type's rate stands
    assert eff.rate["property"][1] == pytest.approx(com)


def _mig(issue: str) -> float:
    from govsim.sim.neighbourhoods import MIGRANT_EFFECTS

    e = MIGRANT_EFFECTS.get(f"rate.{issue}")
    return 1.0 if e is None else e.value


def test_toml_format_is_equivalent(tmp_path: Path) -> None:
    text = """[city]
name = "Testville"
population = 30000
sources = ["made up"]

[[community]]
district = "East"
street = "North street"
community = "Elm"
population = 8000
type = "old_town"
staff = 9
grids = 7
households = 3000
property_firm_share = 0.2
migrant_share = 0.1

[[community]]
district = "East"
street = "North street"
communities = 2
population = 12001
type = "commercial_housing"

[[community]]
district = "East"
street = "Hill town"
street_kind = "town"
community_kind = "village"
communities = 3
population = 9999
type = "rural_village"
staff = 12.5
grids = 6
households = 3600
migrant_share = 0.05
"""
    a = load_city(_write(tmp_path, "t.toml", text))
    b = load_city(_write(tmp_path, "t.csv", GOOD_CSV))
    assert a.community_names == b.community_names
    for attr in ("district", "street", "is_village", "population", "ntype", "staff", "grids", "households",
                 "property_firm_share", "migrant_share", "street_is_town", "street_district"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)


BAD = [
    # (file name, text, substrings the one-line message must hold)
    ("type.csv", "district,street,population,type\nD,S,100,slum\n", ["line 2.type", "old_town", "rural_village"]),
    ("neg.csv", "district,street,population\nD,S,-5\n", ["line 2.population", "greater than or equal to 1"]),
    ("nan.csv", "district,street,population\nD,S,many\n", ["line 2.population", "integer"]),
    ("share.csv", "district,street,population,migrant_share\nD,S,100,1.5\n", ["line 2.migrant_share", "1"]),
    ("inf.csv", "district,street,population,staff\nD,S,100,inf\n", ["line 2.staff"]),
    ("missing.csv", "district,population\nD,100\n", ["key 'street'", "required column"]),
    ("unknown.csv", "district,street,population,colour\nD,S,100,red\n", ["line 1.colour", "unknown column",
                                                                         "migrant_share"]),
    ("fields.csv", "district,street,population\nD,S,100,4\n", ["line 2", "4 fields"]),
    ("kind.csv", "district,street,street_kind,population\nD,S,street,100\nD,S,town,100\n",
     ["line 3.street_kind", "street at line 2"]),
    ("dup.csv", "district,street,community,population\nD,S,A,100\nD,S,A,100\n", ["line 3.community", "already named"]),
    ("total.csv", "# population: 500\ndistrict,street,population\nD,S,100\n", ["key 'population'", "500", "100"]),
    ("few.csv", "district,street,communities,population\nD,S,5,3\n", ["line 2.population", "at least 1 each"]),
    ("empty.csv", "# nothing\n", ["no header"]),
    ("norows.csv", "district,street,population\n", ["no rows"]),
    ("ctrl.csv", "district,street,population\n\"D\x07\",S,100\n", ["line 2.district", "control"]),
    ("key.toml", "[[community]]\ndistrict='D'\nstreet='S'\npopulation=100\ncolour='red'\n",
     ["community.0.colour", "unknown key", "migrant_share"]),
    ("bool.toml", "[[community]]\ndistrict='D'\nstreet='S'\npopulation=true\n", ["community.0.population"]),
    ("top.toml", "[town]\nx=1\n", ["key 'town'", "[city]"]),
    ("meta.toml", "[city]\nmayor='x'\n[[community]]\ndistrict='D'\nstreet='S'\npopulation=1\n",
     ["city.mayor", "unknown key"]),
    ("none.toml", "[city]\nname='x'\n", ["key 'community'", "at least one"]),
    ("bad.toml", "[[community]\n", ["malformed TOML"]),
    ("city.txt", "district,street,population\n", [".csv or .toml"]),
]


@pytest.mark.parametrize(("name", "text", "needles"), BAD, ids=[b[0] for b in BAD])
def test_bad_file_is_one_line_naming_file_and_key(tmp_path: Path, name: str, text: str, needles: list[str]) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        load_city(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(path)), msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_too_many_rows_is_refused(tmp_path: Path) -> None:
    text = "district,street,population\n" + "D,S,1\n" * (MAX_ROWS + 1)
    with pytest.raises(InputError, match=f"at most {MAX_ROWS}"):
        load_city(_write(tmp_path, "big.csv", text))


def test_missing_folder_and_binary_files_are_one_line(tmp_path: Path) -> None:
    for path, needle in ((tmp_path / "absent.csv", "not found"), (tmp_path, ".csv or .toml")):
        with pytest.raises(InputError, match=needle):
            load_city(path)
    folder = tmp_path / "f.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        load_city(folder)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="UTF-8"):
        load_city(binary)


def test_every_column_is_documented() -> None:
    doc = (ROOT / "docs" / "city-files.md").read_text(encoding="utf-8")
    for col in COLUMNS:
        assert f"`{col}`" in doc, col
    for t in NEIGHBOURHOOD_TYPES:
        assert f"`{t}`" in doc, t


# --------------------------------------------------------------------------- structure from population

SIZES = (20_000, 100_000, 1_000_000, 21_900_000)


@pytest.mark.parametrize("population", SIZES)
def test_derived_structure_has_the_national_ratios(population: int) -> None:
    city = derive_city(population)
    s = city.summary()
    assert s["population"] == population
    # T15: ≈ 7,000–8,000 residents per community (rounding the count keeps every community in 5,000–10,000)
    assert 5_000 <= s["residents_per_community_min"] and s["residents_per_community_max"] <= 10_000
    assert s["residents_per_community_max"] - s["residents_per_community_min"] <= 1
    if population >= 1_000_000:
        assert 7_000 <= s["residents_per_community"] <= 8_000
        assert 11 <= s["communities_per_street"] <= 13  # T15: ≈ 12
    if s["streets"] >= 9:
        assert 8.5 / 1.5 <= s["streets_per_district"] <= 8.5 * 1.5  # T15: ≈ 8–9
    if population == 21_900_000:
        assert 8 <= s["streets_per_district"] <= 9
    per_street = np.bincount(city.street)
    assert per_street.max() - per_street.min() <= 1
    ratio = city.households / city.grids  # grids = round(households / 400), at least one (T7: 300–500)
    assert ((ratio >= 200) & (ratio < 600)).all()


@pytest.mark.parametrize("population", SIZES)
def test_derived_structure_is_deterministic(population: int) -> None:
    a, b = derive_city(population), derive_city(population)
    for attr in ("district", "street", "population", "street_district", "households", "grids"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert a.community_names == b.community_names


def test_derived_structure_parameters_are_explicit() -> None:
    city = derive_city(120_000, residents_per_community=4_000, communities_per_street=5, streets_per_district=3)
    s = city.summary()
    assert (s["communities"], s["streets"], s["districts"]) == (30, 6, 2)
    assert derive_city(10).n_communities == 1
    for bad in ({"population": 0}, {"population": 10, "residents_per_community": float("nan")},
                {"population": 10, "communities_per_street": True}):
        with pytest.raises(InputError):
            derive_city(**bad)


# --------------------------------------------------------------------------- effects


def test_every_effect_lies_in_its_range_and_has_a_basis() -> None:
    tables = {**{f"type.{t}": e for t, e in TYPE_EFFECTS.items()}, "migrant": MIGRANT_EFFECTS}
    assert set(TYPE_EFFECTS) == set(NEIGHBOURHOOD_TYPES)
    for where, table in tables.items():
        for key, e in table.items():
            assert key in {f"rate.{t}" for t in ISSUE_TYPES} | {"report_logit", "trust", "property_firm_share"}, key
            assert e.low <= e.value <= e.high, (where, key)
            assert e.basis, (where, key)
            if key.startswith("rate.") and where != "type.mixed":
                assert e.low >= 0 and ("assumption" in e.basis), (where, key)  # magnitudes are assumptions
    assert all(e.value == 1.0 for k, e in TYPE_EFFECTS["mixed"].items() if k.startswith("rate."))


def test_community_effects_mix_type_and_migrants() -> None:
    city = load_city(CITIES / "zhuji.csv")
    eff = community_effects(city)
    c = int(np.argmax(city.migrant_share))
    t = NEIGHBOURHOOD_TYPES[city.ntype[c]]
    m = city.migrant_share[c]
    expected = TYPE_EFFECTS[t]["rate.labour"].value * (1 - m + m * MIGRANT_EFFECTS["rate.labour"].value)
    assert eff.rate["labour"][c] == pytest.approx(expected)
    assert eff.report_logit[c] == pytest.approx(TYPE_EFFECTS[t]["report_logit"].value
                                                + m * MIGRANT_EFFECTS["report_logit"].value)
    neutral = community_effects(derive_city(50_000))
    assert all((v == 1.0).all() for v in neutral.rate.values())
    assert (neutral.report_logit == 0).all() and (neutral.trust == 0).all()


# --------------------------------------------------------------------------- any input: a table or one line

_CELL = st.one_of(st.text(max_size=8), st.sampled_from(["1", "-1", "0.5", "1e9", "nan", "inf", "town", "village",
                                                         "old_town", "²", "１２", "", "true"]))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(header=st.lists(st.sampled_from([*COLUMNS, "colour", ""]), min_size=1, max_size=6),
       rows=st.lists(st.lists(_CELL, min_size=0, max_size=7), max_size=5),
       meta=st.lists(st.tuples(st.sampled_from(["name", "population", "year", "note"]), _CELL), max_size=3),
       suffix=st.sampled_from([".csv", ".toml"]), noise=st.text(max_size=40))
def test_any_file_gives_a_table_or_one_line(tmp_path_factory, header, rows, meta, suffix, noise) -> None:
    if suffix == ".csv":
        lines = [f"# {k}: {v}" for k, v in meta] + [",".join(header)] + [",".join(r) for r in rows] + [noise]
        text = "\n".join(lines)
    else:
        tables = ["[city]"] + [f"{k} = {json.dumps(v)}" for k, v in meta if k != "note"]
        for r in rows:
            tables.append("[[community]]")
            tables += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in zip(header, r, strict=False)]
        text = "\n".join(tables) + "\n" + noise
    path = tmp_path_factory.mktemp("fuzz") / f"city{suffix}"
    path.write_text(text, encoding="utf-8")
    try:
        city = load_city(path)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))
    else:
        assert city.total_population == int(city.population.sum()) >= city.n_communities >= 1


def test_city_table_reads_a_file_or_derives(tmp_path: Path) -> None:
    from govsim.sim.city import city_table

    assert city_table(None, 100_000).n_communities == derive_city(100_000).n_communities
    assert city_table("cities/zhuji.csv", 5, base=ROOT / "scenarios").total_population == 1_218_072
    with pytest.raises(InputError, match="not found"):
        city_table("nowhere.csv", 5, base=tmp_path)


def test_the_two_real_cities_run_from_their_scenarios() -> None:
    """zhuji and dongcheng name their city files relative to themselves; the model builds those trees."""
    from govsim.sim.model import GovernanceModel
    from govsim.sim.scenario import load_scenario

    for name, population, communities in (("zhuji", 1_218_072, 553), ("dongcheng", 708_829, 177)):
        spec = load_scenario(name)
        m = GovernanceModel(spec, rng=1)
        assert m.population == population and m.n_communities == communities
        assert m.world.table.source.endswith(Path(spec.world.city_file).name)


def test_neighbourhood_type_changes_rates_reporting_and_trust(tmp_path: Path) -> None:
    """An urban village with migrants has more labour and land issues, reports less and trusts less."""
    from govsim.sim.model import GovernanceModel
    from govsim.sim.scenario import ScenarioSpec, apply_overrides

    path = tmp_path / "two.csv"
    path.write_text("district,street,community,population,type,migrant_share\n"
                    "d,s,a,3000,mixed,0\nd,s,b,3000,urban_village,0.6\n", encoding="utf-8")
    m = GovernanceModel(apply_overrides(ScenarioSpec(), {"world.city_file": str(path)}, "test"), rng=1)
    labour, land = ISSUE_TYPES.index("labour"), ISSUE_TYPES.index("land")
    assert m.rates[1, labour] > m.rates[0, labour] and m.rates[1, land] > m.rates[0, land]
    assert m.report_shift[1] < m.report_shift[0] == 0.0
    assert m.residents.trust[3000:].mean() < m.residents.trust[:3000].mean()
