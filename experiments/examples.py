"""Small models for experiment files, tests and benchmarks.

Function models take ``(params, rng)`` and return ``dict[str, float]``; they live in an importable
module so that worker processes (spawn, Dask, MPI) can find them by ``module:function``.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np
from mesa import DataCollector, Model


def ishigami(params: dict[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """The Ishigami function, a standard sensitivity-analysis benchmark (Ishigami & Homma 1990).

    ``y = sin x1 + a sin² x2 + b x3⁴ sin x1`` with ``a = 7, b = 0.1`` by default, on ``[-π, π]³``.
    Analytic indices: S1 ≈ (0.314, 0.442, 0), ST ≈ (0.558, 0.442, 0.244).

    Args:
        params: ``x1, x2, x3``; optional ``a``, ``b`` and ``noise`` (sd of additive normal noise).
        rng: Source of the noise.

    Returns:
        ``{"y": value}``.
    """
    x1, x2, x3 = float(params["x1"]), float(params["x2"]), float(params["x3"])
    a, b = float(params.get("a", 7.0)), float(params.get("b", 0.1))
    y = math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)
    noise = float(params.get("noise", 0.0))
    if noise > 0:
        y += float(rng.normal(0.0, noise))
    return {"y": y}


def linear(params: dict[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """A noisy linear toy model: ``y = Σ numeric params + N(0, 0.1)``; ``z`` = the rng's first uniform.

    Bools and strings contribute their ``len``/truth value, so every parameter kind can be swept.
    """
    total = 0.0
    for v in params.values():
        total += float(len(v)) if isinstance(v, str) else float(v)
    return {"y": total + float(rng.normal(0.0, 0.1)), "z": float(rng.random())}


def flaky(params: dict[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """Like :func:`linear`, but misbehaves on request, for failure-handling tests.

    ``params["fail"]`` (a level) selects: ``"ok"``; ``"raise"`` raises ``RuntimeError``;
    ``"sleep"`` sleeps 30 s (for run timeouts); ``"die"`` kills its worker process
    with ``os._exit`` (for broken-pool recovery; never use it with the serial executor).
    """
    mode = params.get("fail", "ok")
    if mode == "raise":
        raise RuntimeError(f"injected failure at x={params.get('x')}")
    if mode == "sleep":  # Python-level waiting, like a long model run (not one long C call)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            time.sleep(0.01)
    if mode == "die":
        os._exit(13)
    x = float(params.get("x", 0.0))
    return {"y": x + float(rng.normal(0.0, 0.1))}


def slow(params: dict[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """Sleep ``params["sleep"]`` seconds (default 0.05), then return like :func:`linear`."""
    time.sleep(float(params.get("sleep", 0.05)))
    return {"y": float(params.get("x", 0.0)) + float(rng.normal(0.0, 0.1))}


def gated(params: dict[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """Like :func:`slow`, but a run with ``x >= 0.5`` waits until the file ``params["gate"]`` exists.

    For kill and resume tests: until the gate opens, the sweep finishes its other runs and then
    cannot finish, so a test can stop it at a checked point instead of racing a sleep.
    """
    if float(params.get("x", 0.0)) >= 0.5:
        while not os.path.exists(str(params["gate"])):
            time.sleep(0.02)
    return slow(params, rng)


class RandomWalkModel(Model):
    """A trivial Mesa model: ``n`` walkers on a line; reports their mean and spread.

    Used by the sweep benchmark (against ``mesa.batch_run``) and the Mesa-class adapter tests.

    Attributes:
        positions: Walker positions.
    """

    def __init__(self, n: int = 10, step_sd: float = 1.0, rng: Any = None) -> None:
        super().__init__(rng=rng)
        self.step_sd = step_sd
        self.positions = np.zeros(n)
        self.datacollector = DataCollector(
            model_reporters={"mean_pos": "mean_pos", "spread": "spread"},
        )
        self.datacollector.collect(self)

    @property
    def mean_pos(self) -> float:
        """Mean walker position."""
        return float(self.positions.mean())

    @property
    def spread(self) -> float:
        """Standard deviation of the positions."""
        return float(self.positions.std())

    def step(self) -> None:
        """Every walker takes a normal step."""
        self.positions += self.rng.normal(0.0, self.step_sd, len(self.positions))
        self.datacollector.collect(self)


def _xs(params: dict[str, Any]) -> np.ndarray:
    """The decision vector ``x1, x2, …`` of a test problem, in index order."""
    names = sorted((k for k in params if k[:1] == "x" and k[1:].isdigit()), key=lambda k: int(k[1:]))
    return np.array([float(params[k]) for k in names])


def zdt1(params: dict[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """ZDT1 (Zitzler, Deb & Thiele 2000), a two-objective test problem on ``[0, 1]ⁿ``, both minimised.

    ``f1 = x1``, ``g = 1 + 9 Σ_{i≥2} xi / (n − 1)``, ``f2 = g (1 − √(f1 / g))``. The true front is
    ``f2 = 1 − √f1`` (``g = 1``); its hypervolume to the reference point (1.1, 1.1) is 1.21 − 1/3.

    Args:
        params: ``x1 … xn``; optional ``sleep`` (seconds to wait first, so tests can interrupt a search).
        rng: Unused (the problem is deterministic).

    Returns:
        ``{"f1": …, "f2": …}``.
    """
    time.sleep(float(params.get("sleep", 0.0)))
    x = _xs(params)
    g = 1.0 + 9.0 * float(x[1:].sum()) / (len(x) - 1)
    f1 = float(x[0])
    return {"f1": f1, "f2": g * (1.0 - math.sqrt(f1 / g))}


def dtlz2(params: dict[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """DTLZ2 (Deb, Thiele, Laumanns & Zitzler 2002) with three objectives on ``[0, 1]ⁿ``, all minimised.

    ``g = Σ_{i≥3} (xi − 0.5)²``; ``f1 = (1 + g) cos(x1 π/2) cos(x2 π/2)``, ``f2 = (1 + g) cos(x1 π/2)
    sin(x2 π/2)``, ``f3 = (1 + g) sin(x1 π/2)``. The true front is the unit sphere's positive octant;
    its hypervolume to the reference point (1.1, 1.1, 1.1) is 1.1³ − π/6.

    Args:
        params: ``x1 … xn`` (n ≥ 3).
        rng: Unused (the problem is deterministic).

    Returns:
        ``{"f1": …, "f2": …, "f3": …}``.
    """
    x = _xs(params)
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return {"f1": (1 + g) * math.cos(a) * math.cos(b), "f2": (1 + g) * math.cos(a) * math.sin(b),
            "f3": (1 + g) * math.sin(a)}
