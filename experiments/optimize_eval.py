"""Evaluating candidates of a lever search: encoding, the ensemble, the runs and their robust scores.

What :func:`experiments.optimize.optimize` needs to judge a package, and nothing of pymoo:

* :class:`Encoding`: levers ↔ the real vector a search proposes (integers and levels rounded);
* :func:`ensemble`: the states of the world, a Latin hypercube over ``[uncertainties]``;
* :func:`_run_batch`: candidates × states × replicates run as one ``points`` sweep of the sweep runner;
* :class:`Archive`: every evaluated candidate's runs, so a candidate proposed again is not rerun;
* :class:`Evaluator`: runs → robust objective values (``mean``, ``p90``, ``regret``, ``satisficing``)
  and constraint values, in pymoo's minimisation form.

Separate from ``experiments.optimize`` (the pymoo search, the front and hypervolume, the output
tables) so the evaluation reads, and can be tested, on its own: it is the same whichever algorithm
proposes the candidates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from govsim.experiments.optimize_spec import OptimizeSpec, _sweep_spec
from govsim.experiments.spec_models import ParameterSpec
from govsim.sim.errors import InputError

_BIG = 1e30  # the objective value of a candidate whose every run failed (it is also infeasible)


class Encoding:
    """Levers ↔ pymoo's real vector: bounds as they are, integers and levels (by index) rounded."""

    def __init__(self, spec: OptimizeSpec) -> None:
        self.names = spec.levers
        self.params = [spec.parameters[n] for n in self.names]
        self.xl = np.array([0.0 if p.kind == "levels" else float(p.low) for p in self.params])  # type: ignore[arg-type]
        self.xu = np.array([len(p.levels) - 1.0 if p.kind == "levels" else float(p.high)  # type: ignore[arg-type]
                            for p in self.params])
        self.discrete = np.array([p.kind == "levels" or p.integer for p in self.params])

    def repair(self, x: np.ndarray) -> np.ndarray:
        """Round the integer and level columns and clip to the bounds."""
        x = np.clip(np.asarray(x, dtype=float), self.xl, self.xu)
        x[:, self.discrete] = np.round(x[:, self.discrete])
        return x

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """One candidate's lever values (levels by their value, integers as ``int``)."""
        out: dict[str, Any] = {}
        for name, p, v in zip(self.names, self.params, row, strict=True):
            if p.kind == "levels":
                out[name] = p.levels[int(round(v))]  # type: ignore[index]
            elif p.integer:
                out[name] = int(round(v))
            else:
                out[name] = float(v)
        return out

    def encode(self, values: dict[str, Any]) -> np.ndarray:
        """Inverse of :meth:`decode` (a lever value outside its levels is an error)."""
        row = []
        for name, p in zip(self.names, self.params, strict=True):
            v = values[name]
            row.append(float(p.levels.index(v)) if p.kind == "levels" else float(v))  # type: ignore[union-attr]
        return np.array(row)


def _key(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=False)


def ensemble(spec: OptimizeSpec) -> pd.DataFrame:
    """The states of the world: a Latin hypercube over the uncertainties, drawn from the experiment seed.

    Without ``[uncertainties]``, one empty state.
    """
    from govsim.experiments.design import from_unit
    from scipy.stats import qmc

    unc = spec.uncertain
    if not unc:
        return pd.DataFrame(index=range(1))
    n = spec.uncertainties.ensemble  # type: ignore[union-attr]
    rng = np.random.default_rng(np.random.SeedSequence(spec.experiment.seed, spawn_key=(2**31 - 1,)))
    u = qmc.LatinHypercube(d=len(unc), seed=rng).random(n)
    cols = {}
    for j, (name, p) in enumerate(unc.items()):
        vals = from_unit(p, u[:, j])
        cols[name] = [v.item() if hasattr(v, "item") else v for v in vals]
    return pd.DataFrame(cols)


@dataclass
class Archive:
    """Every evaluated candidate: its lever values and its runs, by candidate key.

    Attributes:
        values: Key → lever values.
        runs: Key → array (states × replicates × outcomes) of run results (NaN where a run failed).
        first_gen: Key → the generation that first proposed it (-1 for options).
        order: Keys in order of first evaluation.
    """

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, np.ndarray] = field(default_factory=dict)
    first_gen: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    n_runs: int = 0
    cache: dict[str, tuple[np.ndarray, bool]] = field(default_factory=dict)


def _run_batch(spec: OptimizeSpec, folder: Path, label: str, candidates: list[dict[str, Any]],
               states: pd.DataFrame, parameters: dict[str, ParameterSpec], run: dict[str, Any]) -> np.ndarray:
    """Run candidates × states × replicates as one sweep in ``folder/label``; return (n, S, R, O) results."""
    from govsim.experiments.fileio import atomic_write_bytes
    from govsim.experiments.runner import run_sweep
    from govsim.experiments.store import read_runs

    n, s, reps = len(candidates), len(states), spec.experiment.replicates
    rows = []
    for cand in candidates:
        for i in range(s):
            rows.append({**cand, **{k: states[k].iloc[i] for k in states.columns}})
    table = pd.DataFrame(rows, columns=[*spec.levers, *states.columns])
    csv = folder / f"{label}.csv"
    text = table.to_csv(index=False).encode()
    if csv.exists():
        if csv.read_bytes() != text:
            raise InputError(csv, "", "this generation's stored candidates differ from the ones the search "
                                      "proposes now: the folder holds another search; use another folder")
    else:
        atomic_write_bytes(csv, text)
    gdir = folder / label
    gspec = _sweep_spec(spec, csv, label, parameters)
    run_sweep(gspec, gdir, executor=run["executor"], workers=run["workers"], scheduler=run["scheduler"],
              resume=gdir.exists() and any(p.name != ".lock" for p in gdir.iterdir()), progress=run["progress"])
    runs = read_runs(gdir)
    out = np.full((n * s * reps, len(spec.outcome_names)), np.nan)
    ok = runs["status"].to_numpy() == "ok"
    rid = runs["run_id"].to_numpy()
    out[rid[ok]] = runs.loc[ok, spec.outcome_names].to_numpy(float)
    return out.reshape(n, s, reps, len(spec.outcome_names))


class Evaluator:
    """Turns stored runs into robust objective and constraint values (pymoo's minimisation form)."""

    def __init__(self, spec: OptimizeSpec) -> None:
        self.spec = spec
        self.objectives = list(spec.objectives)
        self.sign = np.array([1.0 if spec.objectives[o] == "min" else -1.0 for o in self.objectives])
        self.idx = {o: j for j, o in enumerate(spec.outcome_names)}
        self.robustness = spec.robustness
        self.best: np.ndarray | None = None  # per state and objective, the best (signed) value seen (regret)

    def state_means(self, runs: np.ndarray) -> np.ndarray:
        """States × outcomes: the mean over replicates (NaN if every replicate failed)."""
        with np.errstate(all="ignore"):
            cnt = np.sum(~np.isnan(runs), axis=1)
            tot = np.nansum(runs, axis=1)
            return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)

    def update_best(self, archive: Archive, keys: list[str]) -> None:
        """Fold candidates' state means into the best signed value per state (for ``regret``)."""
        for k in keys:
            m = self.state_means(archive.runs[k])[:, [self.idx[o] for o in self.objectives]] * self.sign
            m = np.where(np.isnan(m), np.inf, m)
            self.best = m if self.best is None else np.minimum(self.best, m)

    def _bad_quantile(self, x: np.ndarray, sign: float) -> float:
        x = x[~np.isnan(x)]
        return float(np.quantile(sign * x, 0.9)) if len(x) else np.inf

    def objective(self, runs: np.ndarray) -> np.ndarray:
        """The signed robust objective values of one candidate (lower is better for each)."""
        m = self.state_means(runs)
        out = np.empty(len(self.objectives))
        for j, o in enumerate(self.objectives):
            x, sg = m[:, self.idx[o]], self.sign[j]
            if np.isnan(x).all():
                out[j] = _BIG
                continue
            match self.robustness:
                case "mean":
                    out[j] = sg * float(np.nanmean(x))
                case "p90":
                    out[j] = self._bad_quantile(x, sg)
                case "regret":
                    assert self.best is not None
                    out[j] = float(np.nanmax(sg * x - self.best[:, j]))
                case "satisficing":
                    th = self.spec.uncertainties.thresholds[o]  # type: ignore[union-attr]
                    out[j] = -float(np.mean(th.met(x)))
        return out

    def natural(self, f: np.ndarray) -> np.ndarray:
        """Signed objective values back in the outcome's own direction (regret and shares stay as they are)."""
        if self.robustness in ("regret", "satisficing"):
            return np.where(np.asarray(f) == _BIG, np.nan, -f if self.robustness == "satisficing" else f)
        return np.where(np.asarray(f) == _BIG, np.nan, f * self.sign)

    def constraints(self, runs: np.ndarray) -> np.ndarray:
        """Pymoo's ``G ≤ 0`` values: each constraint scaled by its bound, then the share of failed runs."""
        m = self.state_means(runs)
        g: list[float] = []
        for o, b in self.spec.constraints.items():
            x = m[:, self.idx[o]]
            for bound, sg in ((b.max, 1.0), (b.min, -1.0)):
                if bound is None:
                    continue
                v = self._bad_quantile(x, sg) * sg if self.robustness == "p90" else float(np.nanmean(x)) \
                    if not np.isnan(x).all() else np.inf
                scale = abs(bound) if bound else 1.0
                g.append(min(sg * (v - bound) / scale, _BIG))
        g.append(float(np.mean(np.isnan(runs).any(axis=-1))))  # any failed run makes a candidate infeasible
        return np.array(g)

    def n_constraints(self) -> int:
        """Number of pymoo constraint columns."""
        return sum((b.max is not None) + (b.min is not None) for b in self.spec.constraints.values()) + 1


def _archive_values(ev: Evaluator, archive: Archive) -> tuple[np.ndarray, np.ndarray]:
    """Signed objective values and feasibility of every evaluated candidate.

    Values are cached per candidate except under ``regret``, where each state's best value moves.
    """
    cache = archive.cache
    if ev.robustness == "regret":
        cache.clear()
    for k in archive.order:
        if k not in cache:
            cache[k] = (ev.objective(archive.runs[k]), bool(np.all(ev.constraints(archive.runs[k]) <= 0)))
    f = np.array([cache[k][0] for k in archive.order])
    return f, np.array([cache[k][1] for k in archive.order], dtype=bool)
