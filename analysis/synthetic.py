"""Synthetic sweeps of functions with known answers, written in the ``experiments`` folder format.

The analysis pipeline is checked against analytic test functions (Ishigami, linear models,
planted boxes) rather than the model, so that a wrong index is an analysis bug, not a model
property. :func:`write_sweep` produces the same ``manifest.json`` / ``design.parquet`` /
``runs.parquet`` layout the sweep runner writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

type Model = Callable[[np.ndarray, np.random.Generator], dict[str, np.ndarray]]

ISHIGAMI_PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
#: Analytic first-order and total indices of Ishigami with a = 7, b = 0.1.
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami function ``sin x1 + a sin² x2 + b x3⁴ sin x1``."""
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def sample(problem: dict[str, Any], design: str, n: int, seed: int, **kw: Any) -> np.ndarray:
    """A SALib sample matrix for ``design`` (``sobol``, ``morris``, ``fast``, ``lhs``), seeded."""
    if design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=kw.get("second_order", False), seed=seed)
    if design == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=kw.get("num_levels", 4), seed=seed)
    if design == "fast":
        from SALib.sample import fast_sampler

        return fast_sampler.sample(problem, n, seed=seed)
    if design == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, n, seed=seed)
    raise ValueError(f"unknown design {design!r}")


def write_sweep(
    out_dir: str | Path,
    model: Model,
    problem: dict[str, Any],
    *,
    design: str = "sobol",
    n: int = 256,
    replicates: int = 1,
    seed: int = 1,
    fail_points: tuple[int, ...] = (),
    fail_runs: tuple[int, ...] = (),
    name: str = "synthetic",
    **design_kw: Any,
) -> Path:
    """Sample ``problem``, evaluate ``model`` on every replicate and write a results folder.

    Args:
        out_dir: Folder to create.
        model: ``model(X, rng) -> {outcome: values}``; ``rng`` provides replicate noise.
        problem: SALib problem dict.
        design: Sampler name.
        n: SALib's N for the sampler.
        replicates: Runs per design point (each with its own ``SeedSequence`` child).
        seed: Root seed of the sample and the replicate streams.
        fail_points: Design points whose every run is marked ``failed``.
        fail_runs: Run ids marked ``timeout`` (other replicates of the point stay ok).
        name: Experiment name.
        **design_kw: ``second_order`` (Sobol), ``num_levels`` (Morris).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X = sample(problem, design, n, seed, **design_kw)
    names = list(problem["names"])
    design_df = pd.DataFrame(X, columns=names)
    design_df.insert(0, "point_id", np.arange(len(X)))
    children = np.random.SeedSequence(seed).spawn(replicates)
    frames = []
    outcomes: list[str] = []
    for r, child in enumerate(children):
        ys = model(X, np.random.default_rng(child))
        outcomes = list(ys)
        f = design_df.copy()
        f["replicate"] = r
        f["root_seed"] = seed
        for k, v in ys.items():
            f[k] = np.asarray(v, float)
        frames.append(f)
    runs = pd.concat(frames, ignore_index=True).sort_values(["point_id", "replicate"]).reset_index(drop=True)
    runs.insert(0, "run_id", np.arange(len(runs)))
    runs["status"] = "ok"
    runs["wall_s"] = 0.0
    bad = runs["point_id"].isin(fail_points)
    runs.loc[bad, "status"] = "failed"
    runs.loc[runs["run_id"].isin(fail_runs), "status"] = "timeout"
    runs.loc[runs["status"] != "ok", outcomes] = np.nan
    params = [
        {"name": nm, "kind": "float", "low": float(b[0]), "high": float(b[1]), "levels": None}
        for nm, b in zip(names, problem["bounds"], strict=True)
    ]
    manifest = {
        "experiment": {
            "name": name, "design": design, "samples": n, "replicates": replicates, "seed": seed,
            "outcomes": outcomes,
        },
        "design": {
            "name": design, "samples": n, "replicates": replicates,
            "second_order": bool(design_kw.get("second_order", False)) if design == "sobol" else None,
            "num_levels": design_kw.get("num_levels", 4) if design == "morris" else None,
            "parameters": params,
        },
        "runs_total": int(len(runs)),
        "versions": {"python": "synthetic"},
        "git_commit": "synthetic",
        "started": "1970-01-01T00:00:00Z",
        "finished": "1970-01-01T00:00:00Z",
    }
    design_df.to_parquet(out / "design.parquet", index=False)
    runs.to_parquet(out / "runs.parquet", index=False)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return out
