"""Generate ``docs/scenario-reference.md`` from the scenario models.

Every field of :class:`sim.scenario.ScenarioSpec` (and of its nested tables, the ``[policy]`` table of
:class:`sim.policies.PolicySpec` included) gets one row: its dotted key, type, default, allowed range,
unit, source and description. The file is generated, never edited by hand; ``tests/test_docs.py``
checks that it equals :func:`render`'s output.

Run: ``.venv/bin/python tools/gen_reference.py`` (``--check`` exits 1 if the file is stale).
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from govsim.sim.scenario import ScenarioSpec  # noqa: E402

OUT = ROOT / "docs" / "scenario-reference.md"


@dataclass(frozen=True)
class Row:
    """One documented field."""

    key: str
    type: str
    default: str
    range: str
    unit: str
    source: str
    description: str
    lever: bool


@dataclass(frozen=True)
class Section:
    """One TOML table and its fields."""

    table: str
    doc: str
    rows: list[Row]


def _type_name(ann: Any) -> str:
    """Readable type of an annotation (Literal aliases spelled out as their allowed values)."""
    if isinstance(ann, typing.TypeAliasType):
        return _type_name(ann.__value__)
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if ann is type(None):
        return "none"
    if isinstance(ann, type):
        return {"str": "string", "int": "integer", "float": "float", "bool": "boolean"}.get(ann.__name__, ann.__name__)
    return str(ann)


def _fmt(value: Any) -> str:
    """A value as it would be written in a TOML file."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _range(f: FieldInfo, extra: dict[str, Any]) -> str:
    lo = hi = minlen = maxlen = pattern = None
    for m in f.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
        minlen = getattr(m, "min_length", minlen)
        maxlen = getattr(m, "max_length", maxlen)
        pattern = getattr(m, "pattern", pattern)
    parts: list[str] = []
    if lo is not None and hi is not None:
        parts.append(f"{_num(lo)} – {_num(hi)}")
    elif lo is not None:
        parts.append(f"≥ {_num(lo)}")
    elif hi is not None:
        parts.append(f"≤ {_num(hi)}")
    if "range" in extra:
        parts.append(str(extra["range"]))
    if minlen is not None or maxlen is not None:
        parts.append(f"length {minlen if minlen is not None else 0}–{maxlen if maxlen is not None else '∞'}")
    if pattern is not None:
        parts.append(f"pattern `{pattern}`")
    return "; ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _key_of(name: str, f: FieldInfo) -> str:
    return f.alias or name


def _nested_model(ann: Any) -> type[BaseModel] | None:
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def _sections(cls: type[BaseModel], value: BaseModel | None, prefix: str,
              evidence: dict[str, dict[str, Any]] | None = None) -> Iterator[Section]:
    """Depth-first: this table's scalar fields, then each nested table.

    ``evidence``: per-field source/range of a table declared by :func:`sim.spec_sections.table_of`
    (each channel's own), which replace the shared model's.
    """
    rows: list[Row] = []
    nested: list[tuple[str, type[BaseModel], Any, dict[str, dict[str, Any]]]] = []
    for name, f in cls.model_fields.items():
        key = _key_of(name, f)
        dotted = f"{prefix}.{key}" if prefix else key
        extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
        sub = _nested_model(f.annotation)
        if sub is not None:
            nested.append((dotted, sub, getattr(value, name) if value is not None else None, extra.get("fields", {})))
            continue
        if typing.get_origin(f.annotation) is list and _nested_model(typing.get_args(f.annotation)[0]):
            nested.append((dotted + "[]", typing.get_args(f.annotation)[0], None, {}))
            continue
        if evidence and name in evidence:
            extra = {**{k: v for k, v in extra.items() if k not in ("source", "range")}, **evidence[name]}
        if f.is_required():
            default = "(required)"
        elif value is not None:
            default = _fmt(getattr(value, name))
        else:
            default = _fmt(f.get_default(call_default_factory=True))
        desc = (f.description or "").replace("\n", " ")
        lever = bool(extra.get("lever"))
        if lever:
            desc = f"**Lever: {extra['label']}** ({extra['term']}). {desc} Yearly cost: {extra['cost']}."
        rows.append(Row(dotted, _type_name(f.annotation), default, _range(f, extra), str(extra.get("unit", "")),
                        str(extra.get("source", "")), desc, lever))
    if rows:
        yield Section(prefix, (cls.__doc__ or "").strip().splitlines()[0].replace("``", "`"), rows)
    for dotted, sub, sub_value, sub_evidence in nested:
        yield from _sections(sub, sub_value, dotted, sub_evidence)


def sections() -> list[Section]:
    """Every table of a scenario file with its documented fields, in file order."""
    return list(_sections(ScenarioSpec, ScenarioSpec(), ""))


def dotted_keys() -> list[str]:
    """Every dotted key documented (``shocks[].name`` for the fields of the ``[[shocks]]`` entries)."""
    return [r.key for s in sections() for r in s.rows]


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "—"


def _header(s: Section) -> str:
    name = s.table.replace("[]", "")
    return f"[[{name}]]" if s.table.endswith("[]") else f"[{name}]"


def _anchor(s: Section) -> str:
    return s.table.replace(".", "").replace("[]", "")


def render() -> str:
    """The Markdown text of ``docs/scenario-reference.md``."""
    secs = sections()
    n_fields = sum(len(s.rows) for s in secs)
    n_levers = sum(r.lever for s in secs for r in s.rows)
    out: list[str] = [
        "# Scenario file reference",
        "",
        "<!-- GENERATED by tools/gen_reference.py from sim/spec_sections.py and sim/policies.py; do not edit. -->",
        "",
        "Every key a scenario file (TOML) may set, generated from the pydantic models "
        "`sim.scenario.ScenarioSpec` and `sim.policies.PolicySpec`. A file's tables map one-to-one onto "
        "the sections below and its keys equal the last part of the dotted key; the same dotted key names "
        "the parameter in `--set` overrides, sweep files, result columns and SALib problems. Keys left out "
        "take the default shown. The defaults are the calibrated baseline city (`calibration.md`): "
        "`ScenarioSpec()` and `scenarios/baseline.toml` (written from them by `tools/write_baseline.py`) "
        "are the same numbers. Unknown keys, wrong types and values outside the range are errors.",
        "",
        f"{n_fields} fields in {len(secs)} tables, {n_levers} of them policy levers (marked **Lever**; "
        "their mechanisms are in `docs/ODD.md` §7 and §8). Sources refer to `CALIBRATION_TARGETS.md` "
        "(T1–T13) or to the literature.",
        "",
        "`[[shocks]]` is an array of tables (none by default): each entry sets the keys listed under "
        "`shocks[]`; in overrides an entry is addressed by its index, e.g. `shocks.0.day`. "
        "Its `name` and `types` have no default and must be given.",
        "",
        "The scenario files shipped with govsim (`scenarios/` of a clone, bundled with an installed copy) "
        "can be named instead of given as a path: `govsim run baseline`, `govsim compare baseline "
        "street_empowerment`, `govsim.load_scenario(\"fengqiao_full\")`, the dashboard's presets. A file "
        "that exists wins over a name; `govsim.scenario_names()` lists them.",
        "",
        "Regenerate with `.venv/bin/python tools/gen_reference.py`.",
        "",
        "## Tables",
        "",
    ]
    for s in secs:
        out.append(f"- [`{_header(s)}`](#{_anchor(s)}) — {s.doc}")
    for s in secs:
        header = _header(s)
        out += ["", f"## `{header}`" + f' <a id="{_anchor(s)}"></a>', "", s.doc, "",
                "| key | type | default | range | unit | source | description |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in s.rows:
            out.append("| " + " | ".join(_cell(c) for c in (
                f"`{r.key}`", r.type, f"`{r.default}`" if not r.default.startswith("(") else r.default,
                r.range, r.unit, r.source, r.description)) + " |")
    return "\n".join(out) + "\n"


def write_or_check(out: Path, text: str, script: str, argv: list[str] | None = None) -> int:
    """Write ``text`` to ``out``, or with ``--check`` in ``argv`` report (exit 1) if the file is stale."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is stale; run {script}", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Write the reference (or, with ``--check``, report whether the file on disk is current)."""
    return write_or_check(OUT, render(), "tools/gen_reference.py", argv)


if __name__ == "__main__":
    raise SystemExit(main())
