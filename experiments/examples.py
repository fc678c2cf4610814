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
