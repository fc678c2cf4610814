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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import solara
from govsim.sim import metrics
from govsim.sim.errors import InputError
from govsim.sim.model import GovernanceModel
from govsim.sim.policies import LEVERS, Lever
from govsim.sim.scenario import ScenarioSpec, WorldSpec, apply_overrides, load_scenario
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
EXTRA_PRESET_ENV = "GOVSIM_DASHBOARD_SCENARIO"
"""Environment variable naming one more scenario file to offer (``govsim dashboard --scenario``)."""

DEFAULT_SEED = 42
DEFAULT_POPULATION = 3000
POPULATION_RANGE = (500, 20_000)
"""Classroom city sizes: the default steps and redraws well within 200 ms."""
MOVES_WINDOW = 7
"""Days over which the ladder shows how issues moved."""

UNCERTAINTIES: dict[str, tuple[str, float]] = {
    # control name: (label a student understands, slider step); ranges come from WorldSpec
    "trust_loss_weight": ("Trust is lost … times faster than won", 0.1),
    "tacitus_threshold": ("Tacitus trap: trust below which nothing is believed (塔西佗陷阱)", 0.01),
    "initial_trust_mean": ("Trust in government at the start", 0.01),
}
CHARTS: dict[str, str] = {
    "mean_trust": "Mean trust",
    "share_left_city": "Share left the city",
    "open_issues": "Open issues",
    "mean_resolution_days": "Mean days to settle",
    "participation_rate": "Participation",
}
LADDER_NAMES = ("self-governance", "community", "street", "district", "city")
LEVEL_COLOURS = ("#9e9e9e", "#43a047", "#1e88e5", "#fb8c00", "#e53935", "#8e24aa")
"""Marker colours of open issues by their level: not yet known, self … city."""
type ColourBy = Literal["open issues", "trust"]


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
            spec = apply_overrides(base, {"world.population": pop}, "dashboard")
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
        self.layout = city_layout(self)
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


# --------------------------------------------------------------------------- the map


@dataclass
class CityLayout:
    """Where each building sits on the map: streets as blocks, communities within, grids within.

    Attributes:
        x, y: Column and row of each building's cell.
        shape: Rows and columns of the map image.
        rects: Outlines ``(x0, y0, width, height)`` per tier: ``"grid"``, ``"community"``, ``"street"``.
        street_labels: ``(x, y, text)`` at the top left of each street block.
    """

    x: np.ndarray
    y: np.ndarray
    shape: tuple[int, int]
    rects: dict[str, list[tuple[int, int, int, int]]]
    street_labels: list[tuple[float, float, str]]


def _block(n: int) -> tuple[int, int]:
    """Columns and rows of a near-square block holding ``n`` cells."""
    cols = max(1, math.ceil(math.sqrt(n)))
    return cols, max(1, math.ceil(n / cols))


def city_layout(m: GovernanceModel) -> CityLayout:
    """Lay the buildings out on a grid following the administrative tree (computed once per city)."""
    bg, gc, cs = m.building_grid, m.grid_community, m.community_street
    n_grids, n_comm, n_streets = len(gc), len(cs), len(m.street_district)
    g_first = np.searchsorted(bg, np.arange(n_grids))
    b_per_g = np.bincount(bg, minlength=n_grids)
    c_first = np.searchsorted(gc, np.arange(n_comm))
    g_per_c = np.bincount(gc, minlength=n_comm)
    s_first = np.searchsorted(cs, np.arange(n_streets))
    c_per_s = np.bincount(cs, minlength=n_streets)
    bw, bh = _block(int(b_per_g.max()))  # a grid's block, in buildings
    gw, gh = _block(int(g_per_c.max()))  # a community's block, in grids
    cw, ch = _block(int(c_per_s.max()))  # a street's block, in communities
    sw, sh = _block(n_streets)  # the city, in streets
    gap = 1  # a road between streets
    street_w, street_h = cw * gw * bw, ch * gh * bh
    x = np.zeros(len(bg), dtype=np.int64)
    y = np.zeros(len(bg), dtype=np.int64)
    rects: dict[str, list[tuple[int, int, int, int]]] = {"grid": [], "community": [], "street": []}
    labels: list[tuple[float, float, str]] = []
    for s in range(n_streets):
        sx, sy = (s % sw) * (street_w + gap), (s // sw) * (street_h + gap)
        rects["street"].append((sx, sy, street_w, street_h))
        labels.append((sx, sy, f"D{m.street_district[s] + 1}·S{s + 1}"))
        for k in range(int(c_per_s[s])):
            c = int(s_first[s]) + k
            cx, cy = sx + (k % cw) * gw * bw, sy + (k // cw) * gh * bh
            rects["community"].append((cx, cy, gw * bw, gh * bh))
            for j in range(int(g_per_c[c])):
                g = int(c_first[c]) + j
                gx, gy = cx + (j % gw) * bw, cy + (j // gw) * bh
                if g_per_c[c] > 1:
                    rects["grid"].append((gx, gy, bw, bh))
                b0, nb = int(g_first[g]), int(b_per_g[g])
                idx = np.arange(nb)
                x[b0:b0 + nb] = gx + idx % bw
                y[b0:b0 + nb] = gy + idx // bw
    shape = (sh * (street_h + gap) - gap, sw * (street_w + gap) - gap)
    return CityLayout(x, y, shape, rects, labels)


def open_by_building(m: GovernanceModel) -> tuple[np.ndarray, np.ndarray]:
    """Open issues per building and the highest ladder level among them (−1 = not yet known)."""
    n = m.n_buildings
    if not m.open_issues:
        return np.zeros(n, dtype=np.int64), np.full(n, -2, dtype=np.int64)
    b = np.fromiter((i.building for i in m.open_issues.values()), dtype=np.int64, count=len(m.open_issues))
    lv = np.fromiter((i.level for i in m.open_issues.values()), dtype=np.int64, count=len(m.open_issues))
    top = np.full(n, -2, dtype=np.int64)
    np.maximum.at(top, b, lv)
    return np.bincount(b, minlength=n), top


def trust_by_building(m: GovernanceModel) -> np.ndarray:
    """Mean trust of each building's residents."""
    res = m.residents
    n = m.n_buildings
    return np.bincount(res.building, weights=res.trust, minlength=n) / np.maximum(
        np.bincount(res.building, minlength=n), 1)


def _rect_segments(rects: list[tuple[int, int, int, int]]) -> list[list[tuple[float, float]]]:
    segs = []
    for x0, y0, w, h in rects:
        a, b, c, d = x0 - 0.5, y0 - 0.5, x0 + w - 0.5, y0 + h - 0.5
        segs.append([(a, b), (c, b), (c, d), (a, d), (a, b)])
    return segs


_TRUST_CMAP = colormaps["RdYlGn"].with_extremes(bad="#eceff1")
_OPEN_CMAP = colormaps["Oranges"].with_extremes(bad="#eceff1")


def city_figure(cities: dict[str, GovernanceModel], layout: CityLayout, colour_by: ColourBy = "open issues") -> Figure:
    """The city map of each city side by side: buildings coloured by open issues or trust, open issues marked.

    Args:
        cities: ``{"A": model}`` or ``{"A": model, "B": twin}`` (same world, so one layout).
        layout: The cities' :class:`CityLayout`.
        colour_by: ``"open issues"`` (count per building) or ``"trust"`` (mean trust per building).
    """
    rows, cols = layout.shape
    n = len(cities)
    # Fixed axes positions (no constrained layout): drawing must stay well under the 200 ms budget.
    panel_w = 5.2 if n == 1 else 4.4
    panel_h = min(4.4, max(2.2, panel_w * rows / max(cols, 1)))
    fig_w, fig_h = panel_w * n + 0.9, panel_h + 1.0
    fig = Figure(figsize=(fig_w, fig_h), dpi=80)
    counts_all = {k: open_by_building(m) for k, m in cities.items()}
    vmax = max(3, *(int(c.max()) for c, _ in counts_all.values()))
    ax = None
    for k, (name, m) in enumerate(cities.items()):
        ax = fig.add_axes((0.1 / fig_w + k * panel_w / fig_w, 0.75 / fig_h, (panel_w - 0.2) / fig_w, panel_h / fig_h))
        counts, top = counts_all[name]
        img = np.full(layout.shape, np.nan)
        if colour_by == "trust":
            img[layout.y, layout.x] = trust_by_building(m)
            im = ax.imshow(img, cmap=_TRUST_CMAP, vmin=0.0, vmax=1.0, interpolation="nearest", aspect="auto")
        else:
            img[layout.y, layout.x] = counts
            im = ax.imshow(img, cmap=_OPEN_CMAP, vmin=0, vmax=vmax, interpolation="nearest", aspect="auto")
        for tier, (lw, colour) in {"grid": (0.6, "#90a4ae"), "community": (1.2, "#455a64"),
                                   "street": (2.4, "#000000")}.items():
            if layout.rects[tier]:
                ax.add_collection(LineCollection(_rect_segments(layout.rects[tier]), linewidths=lw, colors=colour))
        has = counts > 0
        if has.any():
            colours = np.array(LEVEL_COLOURS)[np.clip(top[has], -1, 4) + 1]
            ax.scatter(layout.x[has], layout.y[has], s=18 + 40 * np.sqrt(counts[has]), c=colours,
                       edgecolors="white", linewidths=0.8, zorder=3, gid="open-issues")
        if len(layout.street_labels) <= 30:
            for x, y, text in layout.street_labels:
                ax.text(x - 0.4, y - 0.4, text, fontsize=7, va="top", ha="left", color="#263238", zorder=4)
        ax.set_xlim(-0.6, cols - 0.4)
        ax.set_ylim(rows - 0.4, -0.6)
        ax.set_axis_off()
        ax.set_title(f"City {name}: {m.counts.open} open issues" if n > 1 else f"{m.counts.open} open issues",
                     fontsize=9)
    cax = fig.add_axes((1 - 0.75 / fig_w, 0.75 / fig_h, 0.15 / fig_w, panel_h / fig_h))
    cbar = fig.colorbar(im, cax=cax)
    cbar.set_label("mean trust" if colour_by == "trust" else "open issues in building", fontsize=7)
    cbar.ax.tick_params(labelsize=7)
    handles = [Line2D([], [], ls="", marker="o", markersize=7, color=c) for c in LEVEL_COLOURS]
    fig.legend(handles, ["not yet known", *LADDER_NAMES], loc="lower center", ncols=6, fontsize=7,
               frameon=False, title="open issues, by the level now holding them", title_fontsize=7,
               handletextpad=0.2, columnspacing=0.8)
    return fig


# --------------------------------------------------------------------------- charts and ladder


def _nice(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"


def outcome_svg(frames: dict[str, pd.DataFrame], width: int = 210, height: int = 150, max_points: int = 400) -> str:
    """Small multiples of :data:`CHARTS` as inline SVG, one line per city (A solid blue, B dashed orange).

    Drawn as plain SVG on purpose: five Matplotlib axes cost more than the whole 200 ms redraw
    budget, and the Vega-Lite scripts Altair charts need are not among the assets served offline.

    Args:
        frames: City name → its daily outcome table (columns named as in :data:`sim.metrics.ALL_OUTCOMES`).
        width: Width of one chart in pixels.
        height: Height of one chart in pixels.
        max_points: Days kept per line (evenly thinned beyond this).
    """
    styles = {"A": ("#1f77b4", ""), "B": ("#ff7f0e", ' stroke-dasharray="6 3"')}
    left, right, top, bottom = 44, 8, 30, 22
    pw, ph = width - left - right, height - top - bottom
    out = []
    for col, title in CHARTS.items():
        unit = metrics.ALL_OUTCOMES[col].unit
        series = {k: df[col].to_numpy(dtype=float) for k, df in frames.items()}
        n = max(len(v) for v in series.values())
        lo = min(float(np.nanmin(v)) for v in series.values() if len(v))
        hi = max(float(np.nanmax(v)) for v in series.values() if len(v))
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5 if lo != 0 else 0.0, hi + 0.5
        parts = [f'<svg class="govsim-chart" data-outcome="{col}" width="{width}" height="{height}" '
                 f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">',
                 f'<text x="4" y="13" font-size="12" font-weight="600">{title}</text>',
                 f'<text x="4" y="25" font-size="10" fill="#555">{unit}</text>',
                 f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>',
                 f'<text x="{left - 3}" y="{top + 8}" font-size="10" text-anchor="end">{_nice(hi)}</text>',
                 f'<text x="{left - 3}" y="{top + ph}" font-size="10" text-anchor="end">{_nice(lo)}</text>',
                 f'<text x="{left}" y="{height - 6}" font-size="10">day 0</text>',
                 f'<text x="{left + pw}" y="{height - 6}" font-size="10" text-anchor="end">day {max(n - 1, 0)}</text>']
        for city, ys in series.items():
            if len(ys) == 0:
                continue
            idx = np.unique(np.linspace(0, len(ys) - 1, min(len(ys), max_points)).astype(int))
            xs = left + pw * idx / max(n - 1, 1)
            yv = top + ph * (1 - (ys[idx] - lo) / (hi - lo))
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, yv, strict=True))
            colour, dash = styles.get(city, ("#777", ""))
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8"{dash} points="{pts}"/>')
        if len(series) > 1:
            for k, (city, (colour, dash)) in enumerate((c, styles.get(c, ("#777", ""))) for c in series):
                x0 = left + pw - 70 + 36 * k
                parts.append(f'<line x1="{x0}" y1="{top + 10}" x2="{x0 + 14}" y2="{top + 10}" stroke="{colour}" '
                             f'stroke-width="2"{dash}/><text x="{x0 + 16}" y="{top + 14}" font-size="10">{city}</text>')
        parts.append("</svg>")
        out.append("".join(parts))
    return "".join(out)


def _frame(m: GovernanceModel) -> pd.DataFrame:
    return pd.DataFrame({c: m.datacollector.model_vars[c] for c in CHARTS})


def latest_values(cities: dict[str, GovernanceModel]) -> str:
    """Today's value of each charted outcome, per city (the charts' text twin)."""
    parts = []
    for col, title in CHARTS.items():
        vals = " / ".join(f"{name} {float(m.datacollector.model_vars[col][-1]):.3g}" for name, m in cities.items())
        parts.append(f"{title}: {vals}")
    return " · ".join(parts)


def ladder_rows(m: GovernanceModel, recent: np.ndarray) -> list[dict[str, Any]]:
    """The ladder now: per level the open issues it holds, issues settled there, and last days' moves up.

    Args:
        m: A city.
        recent: Moves over the last days (:meth:`_MovesLog.recent`).
    """
    open_at = np.bincount([i.level + 1 for i in m.open_issues.values()], minlength=6)
    rows = [{"level": "not yet known", "open": int(open_at[0]), "settled": "", "in": "", "out": int(recent[0].sum())}]
    for lv, name in enumerate(LADDER_NAMES):
        rows.append({"level": name, "open": int(open_at[lv + 1]), "settled": int(m.counts.settled[lv]),
                     "in": int(recent[:, lv + 1].sum()), "out": int(recent[lv + 1].sum())})
    rows.append({"level": "left the city", "open": "", "settled": "", "in": int(recent[:, 7].sum()),
                 "out": "", "total": int(m.counts.left_city)})
    return rows


def recent_flows(recent: np.ndarray, top: int = 6) -> list[str]:
    """The largest moves of the last days as ``"community → street: 3"``."""
    names = ("not yet known", *LADDER_NAMES, "?", "left the city")
    flows = [(int(recent[i, j]), names[i], names[j]) for i in range(recent.shape[0]) for j in range(recent.shape[1])
             if recent[i, j] > 0]
    flows.sort(key=lambda t: -t[0])
    return [f"{a} → {b}: {k}" for k, a, b in flows[:top]]


def ladder_html(name: str, m: GovernanceModel, recent: np.ndarray) -> str:
    """The ladder of one city as an HTML table, with the largest moves of the last days below it."""
    rows = ladder_rows(m, recent)
    cell = 'style="padding:2px 8px;text-align:right"'
    head = f"<b>City {name}</b>" if name else ""
    html = [f'<div class="govsim-ladder" data-city="{name or "A"}">{head}<table style="border-collapse:collapse;'
            'font-size:13px"><tr><th style="text-align:left">level</th>'
            f"<th {cell}>open now</th><th {cell}>settled</th><th {cell}>arrived (last {MOVES_WINDOW} d)</th>"
            f"<th {cell}>moved on (last {MOVES_WINDOW} d)</th></tr>"]
    for r in rows[:-1]:
        html.append(f'<tr data-level="{r["level"]}"><td>{r["level"]}</td><td {cell}>{r["open"]}</td>'
                    f'<td {cell}>{r["settled"]}</td><td {cell}>{r["in"]}</td><td {cell}>{r["out"]}</td></tr>')
    last = rows[-1]
    html.append(f'<tr data-level="left the city" style="color:#b71c1c;font-weight:600"><td>left the city</td>'
                f'<td {cell}>total {last["total"]}</td><td {cell}></td><td {cell}>{last["in"]}</td><td {cell}></td>'
                "</tr></table>")
    flows = recent_flows(recent)
    html.append(f'<div style="font-size:12px;margin-top:4px">Moves in the last {MOVES_WINDOW} days: '
                + ("; ".join(flows) if flows else "none yet") + "</div></div>")
    return "".join(html)


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
        solara.HTML(tag="div", unsafe_innerHTML=outcome_svg({k: _frame(m) for k, m in cities.items()}),
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
