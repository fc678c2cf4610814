"""Generate ``docs/experiment-reference.md`` from the experiment-file models.

Every field of :class:`experiments.spec_models.ExperimentTable` (the ``[experiment]`` table), of
:class:`experiments.spec_models.ParameterSpec` (one ``[parameters]`` entry), of
:class:`experiments.spec_models.CalibrationTable` (the ``[calibration]`` table) and of
:class:`experiments.spec_models.TargetSpec` (one ``[targets.NAME]`` table), plus the ``[fixed]`` table,
gets one row: its key, type, default, allowed values and description. Descriptions come from the
models' Google-style ``Attributes:`` docstrings, so the code stays the one place they are written.
The file is generated, never edited by hand; ``tests/test_site.py`` checks it equals :func:`render`.

Run: ``.venv/bin/python tools/gen_experiment_reference.py`` (``--check`` exits 1 if the file is stale).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from govsim.experiments.spec_models import (  # noqa: E402
    DESIGNS,
    CalibrationTable,
    ExperimentSpec,
    ExperimentTable,
    ParameterSpec,
    TargetSpec,
)

from tools.gen_reference import _cell, _fmt, _num, _type_name, write_or_check  # noqa: E402

OUT = ROOT / "docs" / "experiment-reference.md"


@dataclass(frozen=True)
class Row:
    """One documented key."""

    key: str
    type: str
    default: str
    allowed: str
    description: str


def attribute_docs(cls: type) -> dict[str, str]:
    """``{name: description}`` from the ``Attributes:`` section of a Google-style class docstring."""
    doc = cls.__doc__ or ""
    m = re.search(r"^\s*Attributes:\s*\n(.*?)(?:\n\s*\n|\Z)", doc, flags=re.M | re.S)
    if not m:
        return {}
    out: dict[str, str] = {}
    current = None
    for line in m.group(1).splitlines():
        item = re.match(r"^\s{4,8}(\w+):\s*(.*)$", line)
        if item and len(line) - len(line.lstrip()) <= 8:
            current = item.group(1)
            out[current] = item.group(2).strip()
        elif current is not None and line.strip():
            out[current] += " " + line.strip()
    return {k: " ".join(v.split()).replace("``", "`") for k, v in out.items()}


def _allowed(f: FieldInfo) -> str:
    parts: list[str] = []
    for m in f.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            v = getattr(m, attr, None)
            if v is not None:
                parts.append(f"{sign} {_num(v) if v < 1e12 else f'2^{int(v).bit_length() - 1}'}")
        for attr, label in (("min_length", "at least {} item(s)"), ("pattern", "pattern `{}`")):
            v = getattr(m, attr, None)
            if v is not None:
                parts.append(label.format(v))
    return ", ".join(parts)


def _default(f: FieldInfo) -> str:
    if f.is_required():
        return "(required)"
    value = f.get_default(call_default_factory=True)
    return "(unset)" if value is None else f"`{_fmt(value)}`"


def _rows(cls: type[BaseModel], prefix: str) -> list[Row]:
    docs = attribute_docs(cls)
    rows = []
    for name, f in cls.model_fields.items():
        desc = docs.get(name) or (f.description or "")
        rows.append(Row(f"{prefix}{name}", _type_name(f.annotation), _default(f), _allowed(f), desc))
    return rows


def sections() -> list[tuple[str, str, list[Row]]]:
    """``(table header, introduction, rows)`` for every table of an experiment file.

    The tables: ``[experiment]``, ``[parameters]``, ``[fixed]``, ``[calibration]`` and ``[targets.NAME]``.
    """
    spec_docs = attribute_docs(ExperimentSpec)
    fixed = ExperimentSpec.model_fields["fixed"]
    return [
        ("[experiment]", _first_line(ExperimentTable) + " Required: `name`, `design`, `seed` (and `scenario` for the govsim model).",
         _rows(ExperimentTable, "experiment.")),
        ("[parameters]", spec_docs["parameters"].rstrip(".") + ". Each entry is `\"dotted.path\" = { ... }` with the keys "
         "below, in exactly one of three forms: bounds `{low, high}` (optionally `integer = true`), levels "
         "`{levels = [...]}` or a distribution `{dist = \"...\", ...}` (uniform: low, high; normal: mean, sd; "
         "truncnormal: mean, sd, low, high; triangular: low, mode, high; lognormal: mean, sd of the "
         "underlying normal). At least one parameter is required.",
         _rows(ParameterSpec, "parameters.<path>.")),
        ("[fixed]", spec_docs["fixed"].rstrip(".") + ". A path may not be both varied and fixed.",
         [Row("fixed.<path>", "any TOML value", _default(fixed), "a value the model accepts at that path",
              "For govsim, any scenario key (`docs/scenario-reference.md`); for other models, a keyword "
              "argument or `params` entry.")]),
        ("[calibration]", _first_line(CalibrationTable) + " Optional: a file with this table is a calibration, "
         "run by `govsim calibrate` (see [Calibration and validation](calibration.md)); it needs at least one "
         "`[targets.NAME]` table. The `[parameters]` are the calibrated parameters and their bounds or "
         "distributions the prior (continuous only: no `levels`, no `integer`); each generation runs as a "
         "`points` sweep, so `[experiment].design` is not used, and `replicates` are the runs per parameter set "
         "(the distance uses their mean).",
         _rows(CalibrationTable, "calibration.")),
        ("[targets.NAME]", _first_line(TargetSpec) + " One table per target, `NAME` free (e.g. `[targets.T1]`); "
         "give either `value` or both `low` and `high`. The distance of a parameter set from the targets is the "
         "weighted root mean square of each target's discrepancy (0 inside an interval) divided by its `scale`.",
         _rows(TargetSpec, "targets.<name>.")),
    ]


def _first_line(cls: type) -> str:
    """The summary line of a class docstring, in Markdown."""
    return (cls.__doc__ or "").strip().splitlines()[0].replace("``", "`")


def dotted_keys() -> list[str]:
    """Every key documented."""
    return [r.key for _, _, rows in sections() for r in rows]


def render() -> str:
    """The Markdown text of ``docs/experiment-reference.md``."""
    out = [
        "# Experiment file reference",
        "",
        "<!-- GENERATED by tools/gen_experiment_reference.py from experiments/spec_models.py; do not edit. -->",
        "",
        "Every key an experiment file (TOML, the input of `govsim sweep` and `govsim calibrate`) may set, generated from the pydantic "
        "models `experiments.spec_models.ExperimentTable`, `ParameterSpec`, `CalibrationTable`, `TargetSpec` and "
        "`ExperimentSpec`. Unknown keys, wrong "
        "types and values outside the allowed range are errors naming the file and the dotted key. How the "
        "designs, seeds, executors and the results folder work is in [Sweeps](sweeps.md); the keys a "
        "govsim parameter path may name are in the [scenario file reference](scenario-reference.md).",
        "",
        f"Designs: {', '.join(f'`{d}`' for d in DESIGNS)}.",
        "",
        "The experiment files shipped with govsim (`experiments/` of a clone, bundled with an installed "
        "copy) can be named instead of given as a path: `govsim sweep morris_screening --out DIR`, "
        "`govsim validate sobol_levers`, `govsim.load_experiment(\"morris_screening\")`. A file that exists "
        "wins over a name; `govsim.experiment_names()` lists them.",
        "",
        "Regenerate with `.venv/bin/python tools/gen_experiment_reference.py`.",
    ]
    for header, intro, rows in sections():
        out += ["", f"## `{header}`", "", intro, "",
                "| key | type | default | allowed | description |", "| --- | --- | --- | --- | --- |"]
        for r in rows:
            out.append("| " + " | ".join(_cell(c) for c in (f"`{r.key}`", r.type, r.default, r.allowed,
                                                              r.description)) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the reference (or, with ``--check``, report whether the file on disk is current)."""
    return write_or_check(OUT, render(), "tools/gen_experiment_reference.py", argv)


if __name__ == "__main__":
    raise SystemExit(main())
