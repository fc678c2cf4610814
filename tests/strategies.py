"""Hypothesis strategies for the hardening tests (issue 9).

* :func:`scenario_dicts` — valid scenario dicts derived from :class:`sim.scenario.ScenarioSpec`:
  the pydantic models are walked recursively (``model_fields``) and each field's ``ge``/``le``
  bounds its values, so a new field or a changed range is picked up without editing this file.
  :data:`FAST` narrows a few ranges so runs stay short (population 200–3000, 10–60 days, a small
  administrative tree, mild shocks).
* :func:`toml_values`, :func:`toml_doc` — arbitrary TOML values and documents, including NaN,
  ±inf, huge integers, datetimes, deep nesting and hostile strings.
* :func:`mutated_docs` — a real file's parsed content with one key path replaced, deleted or added.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import types
from typing import Any, Literal, TypeAliasType, Union, get_args, get_origin

from govsim.sim.scenario import ScenarioSpec, ShockSpec
from hypothesis import strategies as st
from pydantic import BaseModel

FAST: dict[str, tuple[float, float]] = {
    "run.days": (10, 60),
    "world.population": (200, 3000),
    "world.districts": (1, 3),
    "world.streets_per_district": (1, 3),
    "world.communities_per_street": (1, 3),
    "shocks.rate_multiplier": (0.0, 5.0),
    "shocks.day": (0, 60),
    "shocks.duration_days": (1, 60),
}
"""Ranges narrowed for speed (everything else spans the field's documented ge–le range)."""

SAFE_NAME = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_\- ]{0,20}", fullmatch=True)


def bounds(field: Any) -> tuple[float | None, float | None]:
    """A pydantic field's (ge, le) from its metadata."""
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return lo, hi


def _unalias(tp: Any) -> Any:
    return tp.__value__ if isinstance(tp, TypeAliasType) else tp


def _scalar(tp: Any, lo: float | None, hi: float | None) -> st.SearchStrategy:
    tp = _unalias(tp)
    if get_origin(tp) is Literal:
        return st.sampled_from(get_args(tp))
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(int(lo if lo is not None else -(10**6)), int(hi if hi is not None else 10**6))
    if tp is float:
        return st.floats(lo if lo is not None else -1e6, hi if hi is not None else 1e6, allow_nan=False,
                         allow_infinity=False)
    if tp is str:
        return st.text(max_size=30)
    raise TypeError(f"no strategy for {tp!r}")


def leaf_paths(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    """Every leaf field of ``model`` by dotted path (file key names), with its pydantic field."""
    out: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        key = f.alias or name
        path = f"{prefix}{key}"
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(leaf_paths(ann, path + "."))
        else:
            out[path] = f
    return out


def model_dicts(model: type[BaseModel], prefix: str = "", fast: dict | None = None) -> st.SearchStrategy[dict]:
    """Dicts of every field of ``model`` with values within each field's ge/le (or :data:`FAST`)."""
    fast = FAST if fast is None else fast
    fields: dict[str, st.SearchStrategy] = {}
    for name, f in model.model_fields.items():
        key = f.alias or name
        path = f"{prefix}{key}"
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            fields[key] = model_dicts(ann, path + ".", fast)
            continue
        if get_origin(ann) in (Union, types.UnionType):  # optional fields (run.base): leave them out
            continue
        if get_origin(ann) is list:  # lists with cross-field rules are drawn in scenario_dicts
            continue
        lo, hi = bounds(f)
        if path in fast:
            lo, hi = fast[path]
        if path == "run.name" or (prefix.startswith("shocks") and key == "name"):
            fields[key] = SAFE_NAME
        else:
            fields[key] = _scalar(ann, lo, hi)
    return st.fixed_dictionaries(fields)


def _capacity_range() -> tuple[float, float]:
    extra = ScenarioSpec.model_fields["world"].annotation.model_fields["district_capacity"].json_schema_extra
    lo, hi = str(extra["range"]).replace("each", "").split("–")  # "each 0.1–3.0"
    return float(lo), float(hi)


@st.composite
def scenario_dicts(draw: st.DrawFn, fast: dict | None = None) -> dict[str, Any]:
    """A valid scenario dict: every field drawn from its documented range (narrowed by ``fast``)."""
    d = draw(model_dicts(ScenarioSpec, "", fast))
    fast_ = FAST if fast is None else fast
    # the tree: derived from the population (one district, street and community at ≤ 3,000 residents
    # here), or explicit counts
    districts, n_comm = 1, max(1, round(d["world"]["population"] / 7_500))
    if draw(st.booleans()):
        counts = {k: draw(st.integers(*map(int, fast_.get(f"world.{k}", (1, 3)))))
                  for k in ("districts", "streets_per_district", "communities_per_street")}
        d["world"].update(counts)
        districts = counts["districts"]
        n_comm = districts * counts["streets_per_district"] * counts["communities_per_street"]
    lo, hi = _capacity_range()
    n_caps = draw(st.sampled_from([1, districts]))
    d["world"]["district_capacity"] = draw(st.lists(st.floats(lo, hi), min_size=n_caps, max_size=n_caps))
    shock = model_dicts(ShockSpec, "shocks.", fast).flatmap(
        lambda s: st.builds(lambda types_, dist, comm: {**s, "types": types_, "district": dist, "community": comm},
                            st.lists(_scalar(get_args(ShockSpec.model_fields["types"].annotation)[0], None, None),
                                     min_size=1, max_size=3, unique=True),
                            st.integers(-1, districts - 1), st.integers(-1, n_comm - 1)))
    d["shocks"] = draw(st.lists(shock, max_size=2))
    issue_type = _scalar(get_args(ShockSpec.model_fields["types"].annotation)[0], None, None)
    for key in ("two_party_types", "collective_types"):
        d["parties"][key] = draw(st.lists(issue_type, max_size=3, unique=True))
    d["channels"]["centre_routing"] = draw(st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5)
                                           .filter(lambda xs: sum(xs) > 0.01))
    d["participation"]["collective_types"] = draw(st.lists(issue_type, max_size=3, unique=True))
    for key in ("baseline_good", "baseline_bad"):  # four levels' exposure rates
        d["approval"][key] = draw(st.lists(st.floats(0.0, 0.5), min_size=4, max_size=4))
    shares = draw(st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3))
    d["approval"]["routine_shares"] = [x / sum(shares) for x in shares[:2]] + [1.0 - sum(x / sum(shares) for x in shares[:2])]
    entry = st.fixed_dictionaries({
        "day": st.integers(0, 60), "key": st.sampled_from(["policy.grassroots_corruption", "event.success",
                                                         "policy.conflict_centre"]),
        "value": st.floats(0.0, 1.0), "phase_in_days": st.integers(0, 60)})
    d["timeline"] = draw(st.lists(entry, max_size=2))
    return d


# --------------------------------------------------------------------------- arbitrary TOML

HOSTILE_STRINGS = ["", "../../evil", "/etc/passwd", "os:system", "__import__('os')", "${HOME}", "\u202e",
                   "a" * 5000, "nan", "inf", "1e400", "{{}}", "\\x00", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "CON", "..", "."]

scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, -1, 1, 2**63 - 1, -(2**63), 2**62, 10**18]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 0.0, -0.0]),
    st.text(max_size=20),
    st.sampled_from(HOSTILE_STRINGS),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(),
)


def toml_values(max_leaves: int = 8) -> st.SearchStrategy:
    """Any TOML value: scalars, arrays and inline tables, nested."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=max_leaves,
    )


def dump_value(v: Any) -> str:
    """A TOML literal for ``v`` (inline tables for dicts)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v)  # JSON escapes are valid TOML basic-string escapes (lone surrogates are not: fine)
    if isinstance(v, list):
        return "[" + ", ".join(dump_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {dump_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def dump_doc(doc: dict[str, Any]) -> str:
    """A TOML document: top-level tables as ``[table]`` sections, everything else inline."""
    lines: list[str] = []
    tables = {k: v for k, v in doc.items() if isinstance(v, dict)}
    for k, v in doc.items():
        if k not in tables:
            lines.append(f"{json.dumps(str(k))} = {dump_value(v)}")
    for k, v in tables.items():
        lines.append(f"[{json.dumps(str(k))}]")
        for kk, vv in v.items():
            lines.append(f"{json.dumps(str(kk))} = {dump_value(vv)}")
    return "\n".join(lines) + "\n"


def toml_doc(known_keys: list[str]) -> st.SearchStrategy[str]:
    """TOML documents whose keys are mostly known dotted paths, with values of any type."""
    key = st.one_of(st.sampled_from(known_keys), st.text(min_size=1, max_size=10))
    return st.dictionaries(key, toml_values(), max_size=6).map(_nest).map(dump_doc)


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, v in flat.items():
        head, _, tail = path.partition(".")
        if tail:
            node = out.setdefault(head, {})
            if isinstance(node, dict):
                node[tail] = v  # dotted remainder stays one quoted key: unknown or nested mistakes
        else:
            out[head] = v
    return out


def set_path(doc: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with ``path`` set (tables created as needed); ``...`` as value deletes."""
    import copy

    out = copy.deepcopy(doc)
    node = out
    for p in path[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = node[p] = {}
        node = nxt
    if value is ...:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return out


def doc_paths(doc: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path of a parsed document (tables and leaves)."""
    out = []
    for k, v in doc.items():
        out.append((*prefix, k))
        if isinstance(v, dict):
            out += doc_paths(v, (*prefix, k))
    return out


def mutated_docs(doc: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``doc`` with one to three mutations: a key path set to any value, deleted, or a new key added."""
    paths = doc_paths(doc)

    @st.composite
    def one(draw: st.DrawFn, d: dict[str, Any]) -> dict[str, Any]:
        kind = draw(st.sampled_from(["replace", "delete", "add"]))
        path = list(draw(st.sampled_from(paths)))
        if kind == "delete":
            return set_path(d, path, ...)
        if kind == "add":
            path = [*path[:-1], draw(st.text(min_size=1, max_size=8))]
        return set_path(d, path, draw(toml_values(4)))

    @st.composite
    def several(draw: st.DrawFn) -> dict[str, Any]:
        d = doc
        for _ in range(draw(st.integers(1, 3))):
            d = draw(one(d))
        return d

    return several()
