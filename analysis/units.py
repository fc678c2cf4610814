"""Outcomes in units a planner reads: ``1.23 %``, ``13.4 days``, ``2,101 万元``, and the price of an improvement.

Units and better directions come from the model's outcome registry (``sim.metrics``), so analysis
keeps no list of its own; outcomes of other models get plain numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

NBSP = "\u00a0"
"""Between a number and its unit, and inside an interval, so a table cell never breaks a value."""


@dataclass(frozen=True)
class Unit:
    """How a planner reads one outcome.

    Attributes:
        label: Short name.
        suffix: Unit shown after a value (``%``, ``days``, ``万元``).
        factor: Multiplier from the model's value to the shown value (100 for shares).
        step: The unit of improvement that costs are quoted per, in shown units.
        per: Words for one ``step`` of improvement (``percentage point fewer issues leaving the city``).
        better: ``lower``, ``higher`` or ``neither``.
    """

    label: str
    suffix: str
    factor: float
    step: float
    per: str
    better: str


_PER = {
    "share_left_city": "percentage point fewer issues leaving the city",
    "left_city": "dispute kept inside the city",
    "abandoned": "issue not abandoned",
    "mean_resolution_days": "day faster settlement",
    "p90_resolution_days": "day faster settlement (slowest 10 %)",
    "mean_trust": "0.01 more trust",
    "share_low_trust": "percentage point fewer residents in low trust",
    "share_settled_by_community": "percentage point more settled in the community",
    "share_settled_by_street": "percentage point more settled at or below the street",
}


def outcome_unit(name: str) -> Unit:
    """The display unit of an outcome, from the model's outcome registry (generic for unknown outcomes)."""
    from govsim.analysis.compare import better_direction

    better = better_direction(name)
    try:
        from govsim.sim.metrics import ALL_OUTCOMES
    except ImportError:  # pragma: no cover - analysis also serves other models
        ALL_OUTCOMES = {}  # noqa: N806
    o = ALL_OUTCOMES.get(name)
    label = name.replace("_", " ")
    if o is None:
        return Unit(label, "", 1.0, 1.0, f"unit of {name}", better)
    unit = o.unit
    if unit in ("share", "probability"):
        return Unit(label, "%", 100.0, 1.0, _PER.get(name, f"percentage point of {label}"), better)
    if unit == "days":
        return Unit(label, "days", 1.0, 1.0, _PER.get(name, f"day of {label}"), better)
    if unit == "0–1":
        return Unit(label, "", 1.0, 0.01, _PER.get(name, f"0.01 of {label}"), better)
    if unit.startswith("万元"):
        return Unit(label, "万元", 1.0, 1.0, "万元", better)
    if unit == "issues":
        return Unit(label, "issues", 1.0, 1.0, _PER.get(name, f"issue ({label})"), better)
    return Unit(label, unit, 1.0, 1.0, f"unit of {label}", better)


def num(v: Any, sig: int = 3) -> str:
    """A number for people: about ``sig`` significant digits, thousands separated, never ``1.2e-05``."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    digits = max(0, sig - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{min(digits, 10)}f}"


def show(name: str, v: Any, *, unit: bool = True, sig: int = 3, diff: bool = False) -> str:
    """An outcome value in its display unit (``1.23 %``, ``13.4 days``, ``2,101 万元``).

    With ``diff``, ``v`` is a difference: shares are then in percentage points (``pp``).
    """
    u = outcome_unit(name)
    try:
        x = float(v) * u.factor
    except (TypeError, ValueError):
        return str(v)
    text = num(x, sig if u.suffix != "万元" else max(sig, 4))
    suffix = "pp" if diff and u.suffix == "%" else u.suffix
    return f"{text}{NBSP}{suffix}" if unit and suffix and not math.isnan(x) else text


def show_interval(name: str, v: Any, lo: Any, hi: Any, *, diff: bool = False) -> str:
    """``value [low, high]`` in display units (the interval without units)."""
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi) or lo == hi:  # no interval, or no spread to show
        return show(name, v, diff=diff)
    return f"{show(name, v, diff=diff)}{NBSP}[{show(name, lo, unit=False)},{NBSP}{show(name, hi, unit=False)}]"


def cost_per_improvement(name: str, improvement: float, extra_cost: float) -> str:
    """Extra cost per unit of improvement, in words (``12.5 万元 per day faster settlement``).

    ``improvement`` is in model units, signed so that positive is better; ``extra_cost`` in 万元.
    """
    u = outcome_unit(name)
    if not np.isfinite(improvement) or not np.isfinite(extra_cost):
        return "–"
    steps = improvement * u.factor / u.step
    if steps <= 0:
        return "no improvement" if extra_cost >= 0 else "cheaper, but worse"
    if extra_cost <= 0:
        return f"saves {num(-extra_cost, 4)}{NBSP}万元 and improves: dominant"
    return f"{num(extra_cost / steps)}{NBSP}万元 per {u.per}"
