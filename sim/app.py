"""The classroom dashboard (issue 6): a Mesa 3.5 SolaraViz app of the governance model.

Serve it with ``govsim dashboard`` (or ``solara run sim.app``). The page shows the city map
(buildings laid out by the administrative tree, coloured by open issues or trust, open issues
marked where they arise), the ladder (open and settled issues per level, issues that left the city,
how issues moved in the last days), live charts of the main outcomes, and a control for every lever
of :data:`sim.policies.LEVERS` and the main uncertainties. A/B mode runs a second city with another
preset's policy side by side, on the same seed.

SolaraViz rebuilds the model from its ``model_params`` when *Reset* is pressed, so the keys of
:func:`model_params` are the keyword arguments of :class:`ClassroomModel`. Loading a preset builds
the preset's model at once and re-mounts the controls so that they show the preset's values.
"""

from __future__ import annotations

import math
import os
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import solara

# The views live in sim.dashboard_views; they are imported here for the page and for existing importers.
from govsim.sim.dashboard_views import (  # noqa: F401
    CHARTS,
    LADDER_NAMES,
    LEVEL_COLOURS,
    MOVES_WINDOW,
    CityLayout,
    ColourBy,
    chart_frame,
    city_figure,
    city_layout,
    ladder_html,
    ladder_rows,
    latest_values,
    open_by_building,
    outcome_svg,
    recent_flows,
    trust_by_building,
)
from govsim.sim.errors import InputError
from govsim.sim.model import GovernanceModel
from govsim.sim.policies import LEVERS, Lever
from govsim.sim.scenario import ScenarioSpec, WorldSpec, apply_overrides, load_scenario
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
EXTRA_PRESET_ENV = "GOVSIM_DASHBOARD_SCENARIO"
"""Environment variable naming one more scenario file to offer (``govsim dashboard --scenario``)."""

DEFAULT_SEED = 42
DEFAULT_POPULATION = 3000
POPULATION_RANGE = (500, 20_000)
"""Classroom city sizes: the default steps and redraws well within 200 ms."""
MAX_CITY_FILE_POPULATION = 2_000_000
"""Largest real city (a preset's city file) the page builds at its own size: Zhuji (1.2 M) and
Dongcheng (0.7 M) build in seconds; Beijing's whole tree (21.9 M: about 10 s and 2.6 GB to build) is
shown as a classroom city with the preset's policy instead, with a notice."""

UNCERTAINTIES: dict[str, tuple[str, float]] = {
    # control name: (label a student understands, slider step); ranges come from WorldSpec
    "trust_loss_weight": ("Trust is lost … times faster than won", 0.1),
    "tacitus_threshold": ("Tacitus trap: trust below which nothing is believed (塔西佗陷阱)", 0.01),
    "initial_trust_mean": ("Trust in government at the start", 0.01),
}


def _world_range(name: str) -> tuple[float, float]:
    lo, hi = 0.0, 1.0
    for m in WorldSpec.model_fields[name].metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return float(lo), float(hi)


# --------------------------------------------------------------------------- presets


def presets() -> dict[str, Path]:
    """Every preset the page offers: the bundled scenarios (baseline first) and the ``--scenario`` file.

    The bundled scenarios are the clone's ``scenarios/`` or, in an installed copy, the package's own
    copies (:mod:`govsim.sim.catalog`).
    """
    from govsim.sim import catalog

    try:
        out = catalog.files("scenarios")
    except InputError:  # a broken installation: the page still runs the defaults (the baseline city)
        out = {}
    extra = os.environ.get(EXTRA_PRESET_ENV)
    if extra:
        p = Path(extra).resolve()
        if p not in out.values():
            out[p.stem if p.stem not in out else f"{p.stem} ({p.parent.name})"] = p
    return out


def initial_preset() -> str:
    """The preset shown first: the ``--scenario`` file if one was given, else ``baseline``."""
    extra = os.environ.get(EXTRA_PRESET_ENV)
    if extra:
        p = Path(extra).resolve()
        for name, path in presets().items():
            if path == p:
                return name
    return "baseline"


_SPEC_CACHE: dict[tuple[Path, float], ScenarioSpec] = {}


def _load_preset(name: str, notices: list[str]) -> tuple[str, ScenarioSpec]:
    """The preset's scenario; an unknown or broken preset falls back to the baseline with a notice."""
    found = presets()
    path = found.get(name)
    if path is None and str(name).endswith(".toml") and Path(name).is_file():
        path = Path(name).resolve()
    if path is None:
        notices.append(f"Preset '{name}' not found: showing 'baseline'. Presets: {', '.join(found)}.")
        name, path = "baseline", found.get("baseline")
    if path is None:  # no scenarios folder (an installed copy): the built-in defaults
        return "baseline", ScenarioSpec()
    key = (path, path.stat().st_mtime)
    if key not in _SPEC_CACHE:
        try:
            _SPEC_CACHE[key] = load_scenario(path)
        except InputError as exc:
            notices.append(f"Preset '{name}' could not be read ({exc}): showing the built-in defaults.")
            return name, ScenarioSpec()
    return name, _SPEC_CACHE[key]


# --------------------------------------------------------------------------- input coercion


def coerce_seed(value: Any, notices: list[str]) -> int:
    """A seed typed into the page (it may arrive as text) as a whole number ≥ 0, or the default with a notice."""
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or text == "":
        notices.append(f"The seed was empty: using {DEFAULT_SEED}.")
        return DEFAULT_SEED
    try:
        seed = int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            notices.append(f"The seed '{text[:40]}' is not a whole number: using {DEFAULT_SEED}.")
            return DEFAULT_SEED
        if not math.isfinite(f) or f != int(f):
            notices.append(f"The seed '{text[:40]}' is not a whole number: using {DEFAULT_SEED}.")
            return DEFAULT_SEED
        seed = int(f)
    if not 0 <= seed < 2**63:
        notices.append(f"The seed {text[:40]} is out of range (0 to 2⁶³−1): using {DEFAULT_SEED}.")
        return DEFAULT_SEED
    return seed


def _coerce_number(label: str, value: Any, lo: float, hi: float, default: float, integer: bool,
                   notices: list[str]) -> float | int:
    try:
        x = float(value)
        if isinstance(value, bool) or not math.isfinite(x):
            raise ValueError
    except (TypeError, ValueError):
        notices.append(f"'{label}': {str(value)[:40]!r} is not a number: using {default}.")
        x = float(default)
    if x < lo or x > hi:
        clipped = min(max(x, lo), hi)
        notices.append(f"'{label}': {x:g} is outside {lo:g}–{hi:g}: using {clipped:g}.")
        x = clipped
    return int(round(x)) if integer else x


def coerce_lever(lever: Lever, value: Any, notices: list[str]) -> float | int | bool:
    """A lever's value from a control, clipped to the lever's range (with a notice if it had to be)."""
    if lever.kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    return _coerce_number(lever.label, value, lever.low, lever.high, lever.default, lever.kind == "int", notices)


# --------------------------------------------------------------------------- the model


class _MovesLog:
    """Daily snapshots of a model's ``counts.moves``, to show how issues moved in the last days."""

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        self.snapshots: deque[np.ndarray] = deque([model.counts.moves.copy()], maxlen=MOVES_WINDOW + 1)

    def record(self) -> None:
        self.snapshots.append(self.model.counts.moves.copy())

    def recent(self) -> np.ndarray:
        """Moves (from level + 1 → to level + 1, column 7 = left the city) over the last days."""
        return self.snapshots[-1] - self.snapshots[0]


class ClassroomModel(GovernanceModel):
    """The governance model as the dashboard builds it: a preset, a classroom city, the controls' values.

    Args:
        preset: Name of a preset (a file in ``scenarios/``) or a path to a scenario file.
        population: Residents (clipped to classroom sizes, :data:`POPULATION_RANGE`).
        seed: Seed typed into the page (text or number); empty or non-numeric → :data:`DEFAULT_SEED`.
        ab_mode: Also run city B, with the policy of ``b_preset``, on the same seed and world.
        b_preset: The preset whose ``[policy]`` city B uses.
        rng: Seed for Mesa compatibility; when given it replaces ``seed``.
        **controls: Levers (by :data:`sim.policies.LEVERS` name) and uncertainties (by
            :data:`UNCERTAINTIES` name); values outside their range are clipped.

    Attributes:
        preset: The preset actually used.
        seed_value: The seed actually used.
        notices: Messages about input that had to be corrected, shown on the page.
        twin: City B in A/B mode, else ``None``.
        b_preset: The preset of city B's policy.
    """

    def __init__(self, preset: str = "baseline", population: Any = DEFAULT_POPULATION, seed: Any = DEFAULT_SEED,
                 ab_mode: bool = False, b_preset: str = "baseline", rng: Any = None, **controls: Any) -> None:
        # SolaraViz's Reset hands every model a Mesa Scenario; govsim's scenario is the spec built here.
        controls.pop("scenario", None)
        unknown = sorted(set(controls) - set(LEVERS) - set(UNCERTAINTIES))
        if unknown:
            raise TypeError(f"unknown dashboard controls: {', '.join(unknown)}")
        notices: list[str] = []
        preset, base = _load_preset(preset, notices)
        seed_value = coerce_seed(seed if rng is None else rng, notices)
        pop = _coerce_number("Residents", population, *POPULATION_RANGE, DEFAULT_POPULATION, True, notices)
        overrides: dict[str, Any] = {"world.population": pop}
        if base.world.city_file is not None and base.world.population > MAX_CITY_FILE_POPULATION:
            notices.append(f"Preset '{preset}' is a real city of {base.world.population:,} residents, too large for "
                           f"the page: showing a classroom city with its policy (govsim run {preset} runs it whole).")
            overrides["world.city_file"] = None
        for name, value in controls.items():
            if name in LEVERS:
                overrides[f"policy.{name}"] = coerce_lever(LEVERS[name], value, notices)
            else:
                label = UNCERTAINTIES[name][0]
                default = getattr(base.world, name)
                overrides[f"world.{name}"] = _coerce_number(label, value, *_world_range(name), default, False, notices)
        try:
            spec = apply_overrides(base, overrides, "dashboard")
        except InputError as exc:  # pragma: no cover - coercion keeps every value in range
            notices.append(f"Settings rejected ({exc}): using the preset as it is.")
            spec = apply_overrides(base, {k: overrides[k] for k in ("world.population", "world.city_file")
                                          if k in overrides}, "dashboard")
        super().__init__(spec, rng=seed_value)
        self.preset = preset
        self.seed_value = seed_value
        self.notices = notices
        self.b_preset = b_preset
        self.twin: GovernanceModel | None = None
        if ab_mode:
            self.b_preset, b_base = _load_preset(b_preset, notices)
            b_spec = apply_overrides(spec, {"policy": b_base.policy.model_dump(mode="json"),
                                            "run.name": f"{b_base.run.name}"[:80]}, "dashboard B")
            self.twin = GovernanceModel(b_spec, rng=seed_value)
        self.layout = city_layout(self.world)
        self.moves_log = {"A": _MovesLog(self)}
        if self.twin is not None:
            self.moves_log["B"] = _MovesLog(self.twin)

    def step(self) -> None:
        """One day for city A and, in A/B mode, city B."""
        super().step()
        if self.twin is not None:
            self.twin.step()
        for log in self.moves_log.values():
            log.record()

    def cities(self) -> dict[str, GovernanceModel]:
        """``{"A": self}`` or, in A/B mode, ``{"A": self, "B": twin}``."""
        return {"A": self} if self.twin is None else {"A": self, "B": self.twin}

    def status_line(self) -> str:
        """What the running model was built with (read from its spec, not from the controls)."""
        ab = f" · A/B: B uses the policy of '{self.b_preset}'" if self.twin is not None else ""
        return (f"Day {int(self.time)} · preset '{self.preset}' · seed {self.seed_value} · "
                f"{self.spec.world.population:,} residents{ab}")

    def policy_line(self) -> str:
        """Every lever's value in the running model, with the student's label."""
        return " · ".join(f"{lv.label} = {_fmt(getattr(self.spec.policy, n))}" for n, lv in LEVERS.items())

    def timeline_line(self) -> str:
        """The scenario's timeline, each entry marked done once its day has passed ("" without one)."""
        parts = []
        for e in self.spec.timeline:
            phase = f" over {e.phase_in_days} d" if e.phase_in_days else ""
            done = " ✓" if self.time >= e.day + e.phase_in_days else (" …" if self.time >= e.day else "")
            parts.append(f"day {e.day}: {e.key} → {_fmt(e.value)}{phase}{done}")
        return ("Timeline: " + " · ".join(parts)) if parts else ""

    def world_line(self) -> str:
        """The uncertainties' values in the running model."""
        return " · ".join(f"{lab} = {getattr(self.spec.world, n):.2f}" for n, (lab, _) in UNCERTAINTIES.items())


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, int):
        return str(v)
    return f"{v:.2f}"


def model_params(model: ClassroomModel) -> dict[str, Any]:
    """SolaraViz's ``model_params``: one control per lever and uncertainty, starting at ``model``'s values."""
    names = list(presets())
    params: dict[str, Any] = {
        "preset": model.preset,  # fixed here: the preset selector above loads presets at once
        "seed": {"type": "InputText", "value": str(model.seed_value), "label": "Seed (same seed = same city)"},
        "population": {"type": "SliderInt", "value": int(model.spec.world.population), "min": POPULATION_RANGE[0],
                       "max": POPULATION_RANGE[1], "step": 500, "label": "Residents"},
    }
    for name, lv in LEVERS.items():
        value = getattr(model.spec.policy, name)
        if lv.kind == "bool":
            params[name] = {"type": "Checkbox", "value": bool(value), "label": lv.label}
        else:
            span = lv.high - lv.low
            integer = lv.kind == "int" or span > 5
            params[name] = {"type": "SliderInt" if lv.kind == "int" else "SliderFloat", "value": value,
                            "min": lv.low if not integer else int(lv.low), "max": lv.high if not integer else int(lv.high),
                            "step": 1 if integer else 0.01, "label": lv.label}
    for name, (label, step) in UNCERTAINTIES.items():
        lo, hi = _world_range(name)
        params[name] = {"type": "SliderFloat", "value": float(getattr(model.spec.world, name)), "min": lo,
                        "max": hi, "step": step, "label": label}
    params["ab_mode"] = {"type": "Checkbox", "value": model.twin is not None,
                         "label": "A/B: run city B beside A (same seed)"}
    params["b_preset"] = {"type": "Select", "value": model.b_preset if model.b_preset in names else names[0],
                          "values": names, "label": "City B uses the policy of"}
    return params


# --------------------------------------------------------------------------- components


@solara.component
def CityMap(model: ClassroomModel):
    """The city map with its colour switch."""
    update_counter.get()
    colour_by, set_colour_by = solara.use_state("open issues")
    with solara.Card("City map", margin=0):
        solara.ToggleButtonsSingle(value=colour_by, values=["open issues", "trust"], on_value=set_colour_by)
        fig = city_figure(model.cities(), model.layout, colour_by)
        solara.FigureMatplotlib(fig, format="png")


@solara.component
def Ladder(model: ClassroomModel):
    """Open and settled issues per level, issues that left the city, and the last days' moves."""
    update_counter.get()
    with solara.Card("The ladder (小事不出村，大事不出镇，矛盾不上交)", margin=0):
        with solara.Row():
            for name, m in model.cities().items():
                solara.HTML(tag="div", unsafe_innerHTML=ladder_html(name if model.twin is not None else "", m,
                                                                    model.moves_log[name].recent()))


@solara.component
def Charts(model: ClassroomModel):
    """Live charts of the main outcomes, and their latest values as text."""
    update_counter.get()
    cities = model.cities()
    with solara.Card("Outcomes", margin=0):
        solara.HTML(tag="div", unsafe_innerHTML=outcome_svg({k: chart_frame(m) for k, m in cities.items()}),
                    style="display: flex; flex-wrap: wrap; gap: 6px")
        solara.Text(f"Day {int(model.time)} — " + latest_values(cities), classes=["govsim-latest"])


@solara.component
def Status(model: ClassroomModel):
    """What the running model was built with, and any input that had to be corrected."""
    update_counter.get()
    with solara.Card("Running model", margin=0):
        solara.Text(model.status_line(), classes=["govsim-status"], style={"display": "block", "font-weight": "600"})
        solara.Text("Policy A: " + model.policy_line(), classes=["govsim-policy"],
                    style={"display": "block", "font-size": "12px"})
        solara.Text(model.world_line(), classes=["govsim-world"], style={"display": "block", "font-size": "12px"})
        if model.timeline_line():
            solara.Text(model.timeline_line(), classes=["govsim-timeline"], style={"display": "block", "font-size": "12px"})
        for note in model.notices:
            solara.Warning(note, dense=True, classes=["govsim-notice"])
        solara.Text("Lever, seed and A/B changes take effect when you press Reset; a preset loads at once.",
                    style={"display": "block", "font-size": "12px", "color": "#555"})


@solara.component
def PresetPicker(model: solara.Reactive, generation: solara.Reactive):
    """Load any file of ``scenarios/``: builds its model at once and moves the controls to its values."""
    error = solara.use_reactive("")
    names = list(presets())

    def load(name: str) -> None:
        cur = model.value
        try:
            new = ClassroomModel(preset=name, population=cur.spec.world.population, seed=cur.seed_value,
                                 ab_mode=cur.twin is not None, b_preset=cur.b_preset)
        except Exception as exc:  # a preset file broken after start: say so, keep the running model
            error.set(f"Could not load '{name}': {exc}")
            return
        error.set("")
        model.set(new)
        generation.set(generation.value + 1)

    with solara.Card("Classroom", margin=0):
        solara.Select("Preset (scenarios/)", values=names, value=model.value.preset, on_value=load)
        desc = model.value.spec.run.description
        if desc:
            solara.Text(desc)
        if error.value:
            solara.Error(error.value)


@solara.component
def Dashboard(model: solara.Reactive):
    """The whole page around a reactive :class:`ClassroomModel` (tests pass their own reactive)."""
    generation = solara.use_reactive(0)
    params = solara.use_memo(lambda: model_params(model.value), [generation.value])
    with solara.Sidebar():
        PresetPicker(model, generation)
        # SolaraViz's sidebar (its controls hold their values in hooks) reaches the page through a
        # portal, where the key below does not reach: shifting it by one place on every preset load
        # makes reacton mount fresh controls, which start from the preset's values.
        if generation.value % 2:
            solara.Div(style="display: none")
    SolaraViz(model, components=[], model_params=params, name="govsim — city governance classroom",
              play_interval=150).key(f"viz-{generation.value}")
    with solara.Column(style={"padding": "8px"}):
        Status(model.value)
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            CityMap(model.value)
            Ladder(model.value)
        Charts(model.value)


@solara.component
def Page():
    """The app's page (``solara run sim.app``): one classroom model per browser session."""
    first = solara.use_memo(lambda: ClassroomModel(preset=initial_preset()), [])
    model = solara.use_reactive(first)
    Dashboard(model)
