"""The dashboard's views (sim/app.py's page shows them): the city map, the outcome charts and the ladder.

Plain functions of a model (or of its :class:`~sim.city.City`) that return a matplotlib figure,
an SVG string or HTML, so they are tested headless and drawn well within a page update's budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from govsim.sim import metrics
from govsim.sim.city import City
from govsim.sim.levels import Level
from govsim.sim.metrics import MOVE_LEFT_CITY
from govsim.sim.model import GovernanceModel
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

CHARTS: dict[str, str] = {
    "mean_trust": "Mean trust",
    "share_left_city": "Share left the city",
    "open_issues": "Open issues",
    "mean_resolution_days": "Mean days to settle",
    "participation_rate": "Participation",
}
LADDER_NAMES = tuple(lv.label for lv in Level)
LEVEL_COLOURS = ("#9e9e9e", "#43a047", "#1e88e5", "#fb8c00", "#e53935", "#8e24aa")
"""Marker colours of open issues by their level: not yet known, self … city."""
type ColourBy = Literal["open issues", "trust"]
MOVES_WINDOW = 7
"""Days over which the ladder shows how issues moved."""


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


def city_layout(city: City) -> CityLayout:
    """Lay the buildings out on a grid following the administrative tree (computed once per city)."""
    m = city
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


def chart_frame(m: GovernanceModel) -> pd.DataFrame:
    """The charted outcomes of one city, one row per day so far."""
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
    open_at = np.bincount([i.level + 1 for i in m.open_issues.values()], minlength=len(Level) + 1)
    rows = [{"level": "not yet known", "open": int(open_at[0]), "settled": "", "in": "", "out": int(recent[0].sum())}]
    for lv in Level:
        rows.append({"level": lv.label, "open": int(open_at[lv + 1]), "settled": int(m.counts.settled[lv]),
                     "in": int(recent[:, lv + 1].sum()), "out": int(recent[lv + 1].sum())})
    rows.append({"level": "left the city", "open": "", "settled": "", "in": int(recent[:, MOVE_LEFT_CITY].sum()),
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
