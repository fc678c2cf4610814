"""Many-objective search over levers, judged across an ensemble of uncertain states, over the sweep runner.

An optimisation file (see ``docs/optimize.md``) names the levers (``[parameters]``: bounds, integers
or levels), the objectives (``[objectives]``: outcome → ``"min"`` / ``"max"``), optional constraints
(``[constraints]``: outcome → ``{max = …}`` / ``{min = …}``), optional uncertainties
(``[uncertainties]``: an ensemble of states of the world and a robustness measure) and the search
(``[search]``: ``nsga2`` or ``nsga3``, population, generations, seed).

pymoo proposes candidates through its ask-and-tell interface; every evaluation is an ordinary sweep
(``points`` design) of the sweep runner in ``DIR/evals/genNNN``: candidates × ensemble states ×
replicates, replicate ``r`` seeded ``SeedSequence(seed, spawn_key=(r,))`` under every candidate and
state (common random numbers). Runs are flushed to Parquet as they finish. The search seed fixes
pymoo's proposals, so a resumed search replays the finished generations from their stored runs,
re-proposes the same candidates and only runs what is missing. A candidate proposed again in a later
generation is not run again: its stored runs are reused.

Outputs in ``DIR``: ``pareto.parquet`` (the non-dominated feasible packages), ``evaluations.parquet``
(every candidate), ``history.parquet`` (hypervolume and front size per generation), ``options.parquet``
(the shipped options of ``[options]``, run with the same seeds and ensemble, with the packages that
dominate them) and ``optimize.json`` (what was run).

This module is the search (pymoo's algorithm, the front and its hypervolume) and its outputs; how a
candidate is encoded, run across the ensemble and scored is in ``experiments.optimize_eval``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from govsim.experiments.optimize_eval import (
    _BIG,
    Archive,
    Encoding,
    Evaluator,
    _archive_values,
    _key,
    _run_batch,
    ensemble,
)
from govsim.experiments.optimize_spec import (
    ALGORITHMS,
    ROBUSTNESS,
    Bound,
    OptimizeSpec,
    OptimizeTable,
    SearchTable,
    UncertaintyTable,
    check_optimize,
    load_optimize,
    option_values,
    parse_optimize,
    with_changes,
)
from govsim.experiments.spec_models import ParameterSpec
from govsim.sim.errors import InputError

__all__ = [
    "ALGORITHMS", "FORMAT", "ROBUSTNESS", "Bound", "OptimizeSpec", "OptimizeTable", "SearchTable", "UncertaintyTable",
    "check_optimize", "ensemble", "load_optimize", "optimize", "option_values", "parse_optimize", "read_optimize",
    "with_changes",
]

FORMAT = "govsim-optimize/1"


# --------------------------------------------------------------------------- the algorithm


def _algorithm(spec: OptimizeSpec, enc: Encoding, n_obj: int) -> Any:
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.core.repair import Repair
    from pymoo.util.ref_dirs import get_reference_directions

    class _Round(Repair):
        def _do(self, problem: Any, X: np.ndarray, **kwargs: Any) -> np.ndarray:  # noqa: N803 - pymoo's name
            return enc.repair(X)

    s = spec.search
    if s.algorithm == "nsga2":
        return NSGA2(pop_size=s.population, repair=_Round(), eliminate_duplicates=True)
    parts = s.partitions
    if parts is None:
        from math import comb

        parts = 1
        while comb(parts + 1 + n_obj - 1, n_obj - 1) <= s.population:
            parts += 1
    dirs = get_reference_directions("das-dennis", n_obj, n_partitions=parts)
    if len(dirs) > s.population:
        raise InputError(spec.path or "<optimize>", "search.population",
                         f"nsga3 with {parts} partitions has {len(dirs)} reference directions; "
                         f"population must be at least that (got {s.population})")
    return NSGA3(ref_dirs=dirs, pop_size=s.population, repair=_Round(), eliminate_duplicates=True)


def _hypervolume(f: np.ndarray, ref: np.ndarray) -> float:
    from pymoo.indicators.hv import HV

    inside = f[np.all(f < ref, axis=1)]
    return float(HV(ref_point=ref)(inside)) if len(inside) else 0.0


def _front(f: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated feasible rows of ``f`` (rows with equal values are all kept)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    idx = np.flatnonzero(feasible)
    if not len(idx):
        return idx
    uniq, inverse = np.unique(f[idx], axis=0, return_inverse=True)
    front = NonDominatedSorting().do(uniq, only_non_dominated_front=True)
    return idx[np.isin(inverse.ravel(), front)]


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


# --------------------------------------------------------------------------- the search


def optimize(spec_or_path: OptimizeSpec | str | Path, out: str | Path, executor: str = "processes",
             workers: int | None = None, scheduler: str | None = None, resume: bool = False,
             progress: bool = False) -> Path:
    """Run (or resume) a search into the folder ``out``.

    Args:
        spec_or_path: An optimisation file or its loaded spec.
        out: Results folder: empty or absent unless ``resume``.
        executor: ``serial``, ``processes``, ``dask`` or ``mpi`` (as :func:`experiments.run_sweep`).
        workers: Worker count.
        scheduler: Dask scheduler address.
        resume: Continue a search interrupted in ``out`` (stored runs are reused, none is repeated).
        progress: Show each generation's progress bar.

    Returns:
        The results folder.

    Raises:
        InputError: A bad file, or a folder that holds something else.
    """
    from govsim.experiments.fileio import atomic_write_json
    from govsim.experiments.store import FolderLock, existing_study

    spec = spec_or_path if isinstance(spec_or_path, OptimizeSpec) else load_optimize(spec_or_path)
    folder = Path(out)
    t0 = time.perf_counter()
    with FolderLock(folder):
        meta_path = folder / "optimize.json"
        fingerprint = spec.content_hash()
        meta = existing_study(folder, meta_path.name, fingerprint, resume, "search", ignore=(".lock",))
        if meta is not None:
            meta["resumed"] = [*meta.get("resumed", []), _now()]
        else:
            from govsim.experiments.fileio import versions

            meta = {"format": FORMAT, "fingerprint": fingerprint, "file": str(spec.path) if spec.path else None,
                    "raw": spec.raw, "spec": spec.model_dump(mode="json"), "started": _now(), "resumed": [],
                    "finished": None, "versions": {**versions(), "pymoo": _pymoo_version()},
                    "seeds": {"root_seed": spec.experiment.seed,
                              "replicate_seed": "numpy.random.SeedSequence(root_seed, spawn_key=(replicate,))",
                              "search_seed": _search_seed(spec),
                              "ensemble": "scipy LatinHypercube from SeedSequence(root_seed, spawn_key=(2**31 - 1,))"}}
        meta["finished"] = None
        atomic_write_json(meta_path, meta)
        (folder / "evals").mkdir(exist_ok=True)
        run = {"executor": executor, "workers": workers, "scheduler": scheduler, "progress": progress}
        result = _search(spec, folder, run)
        meta.update(finished=_now(), runs=result["runs"], evaluations=result["evaluations"],
                    wall_s=round(meta.get("wall_s", 0.0) + time.perf_counter() - t0, 2),
                    reference_point=result["reference_point"], ensemble=result["ensemble"])
        atomic_write_json(meta_path, meta)
    return folder


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _pymoo_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pymoo")
    except PackageNotFoundError:
        return None


def _search_seed(spec: OptimizeSpec) -> int:
    return int(spec.search.seed if spec.search.seed is not None else spec.experiment.seed % 2**32)


def _search(spec: OptimizeSpec, folder: Path, run: dict[str, Any]) -> dict[str, Any]:
    from pymoo.core.evaluator import Evaluator as PymooEvaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem

    enc = Encoding(spec)
    ev = Evaluator(spec)
    states = ensemble(spec)
    n_obj = len(spec.objectives)
    problem = Problem(n_var=len(enc.names), n_obj=n_obj, n_ieq_constr=ev.n_constraints(), xl=enc.xl, xu=enc.xu)
    algo = _algorithm(spec, enc, n_obj)
    algo.setup(problem, termination=("n_gen", spec.search.generations), seed=_search_seed(spec), verbose=False)
    archive = Archive()
    params = {**spec.parameters, **spec.uncertain}
    history: list[dict[str, Any]] = []
    ref: np.ndarray | None = None if spec.search.reference_point is None else \
        np.array(spec.search.reference_point) * ev.sign
    if spec.robustness in ("regret", "satisficing") and spec.search.reference_point is not None:
        ref = np.array(spec.search.reference_point) * (-1.0 if spec.robustness == "satisficing" else 1.0)
    for gen in range(spec.search.generations):
        pop = algo.ask()
        x = enc.repair(pop.get("X"))
        cands = [enc.decode(r) for r in x]
        keys = [_key(c) for c in cands]
        new = list(dict.fromkeys(k for k in keys if k not in archive.runs))
        if new:
            res = _run_batch(spec, folder / "evals", f"gen{gen:03d}", [json.loads(k) for k in new], states, params,
                             run)
            for k, r in zip(new, res, strict=True):
                archive.values[k], archive.runs[k], archive.first_gen[k] = json.loads(k), r, gen
                archive.order.append(k)
                archive.n_runs += r.shape[0] * r.shape[1]
            ev.update_best(archive, new)
        f = np.array([ev.objective(archive.runs[k]) for k in keys])
        g = np.array([ev.constraints(archive.runs[k]) for k in keys])
        PymooEvaluator().eval(StaticProblem(problem, F=f, G=g), pop)
        algo.tell(infills=pop)
        if spec.robustness == "regret" and algo.pop is not None:  # the best per state moved: refresh the parents
            pkeys = [_key(enc.decode(r)) for r in enc.repair(algo.pop.get("X"))]
            algo.pop.set("F", np.array([ev.objective(archive.runs[k]) for k in pkeys]))
        fa, feas = _archive_values(ev, archive)
        if ref is None:
            ok = fa[feas & np.all(fa < _BIG, axis=1)]
            base = ok if len(ok) else fa[np.all(fa < _BIG, axis=1)]
            lo, hi = (base.min(axis=0), base.max(axis=0)) if len(base) else (np.zeros(n_obj), np.ones(n_obj))
            ref = hi + 0.1 * np.where(hi > lo, hi - lo, np.maximum(np.abs(hi), 1.0))
        front = _front(fa, feas)
        history.append({"generation": gen, "evaluations": len(archive.order), "runs": archive.n_runs,
                        "front_size": len(front), "feasible": int(feas.sum()),
                        "hypervolume": _hypervolume(fa[front], ref)})
    _write_outputs(spec, folder, enc, ev, archive, states, history, run, params)
    return {"runs": archive.n_runs, "evaluations": len(archive.order), "ensemble": len(states),
            "reference_point": (ref * (ev.sign if spec.robustness in ("mean", "p90") else
                                       (-1.0 if spec.robustness == "satisficing" else 1.0))).tolist()}


# --------------------------------------------------------------------------- outputs


def _summary_rows(spec: OptimizeSpec, ev: Evaluator, keys: list[str], archive: Archive) -> pd.DataFrame:
    """One row per candidate: levers, robust objectives (outcome names), ensemble means and 5–95 % ranges."""
    rows = []
    for k in keys:
        runs = archive.runs[k]
        f = ev.natural(ev.objective(runs))
        g = ev.constraints(runs)
        row: dict[str, Any] = dict(archive.values[k])
        for j, o in enumerate(ev.objectives):
            row[o] = f[j]
        for o, j in ev.idx.items():
            x = runs[..., j].ravel()
            x = x[~np.isnan(x)]
            if o not in spec.objectives:
                row[o] = float(x.mean()) if len(x) else np.nan
            row[f"{o}_mean"] = float(x.mean()) if len(x) else np.nan
            row[f"{o}_low"] = float(np.quantile(x, 0.05)) if len(x) else np.nan
            row[f"{o}_high"] = float(np.quantile(x, 0.95)) if len(x) else np.nan
        row["feasible"] = bool(np.all(g <= 0))
        row["failed_runs"] = int(np.isnan(runs).any(axis=-1).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _write_outputs(spec: OptimizeSpec, folder: Path, enc: Encoding, ev: Evaluator, archive: Archive,
                   states: pd.DataFrame, history: list[dict[str, Any]], run: dict[str, Any],
                   params: dict[str, ParameterSpec]) -> None:
    from govsim.experiments.fileio import atomic_write_table

    def write(name: str, df: pd.DataFrame) -> None:
        import pyarrow as pa

        atomic_write_table(folder / name, pa.Table.from_pandas(df, preserve_index=False))

    fa, feas = _archive_values(ev, archive)
    front = _front(fa, feas)
    evals = _summary_rows(spec, ev, archive.order, archive)
    evals.insert(0, "generation", [archive.first_gen[k] for k in archive.order])
    evals.insert(0, "candidate_id", np.arange(len(evals)))
    evals["on_front"] = np.isin(np.arange(len(evals)), front)
    write("evaluations.parquet", evals)
    pareto = evals.iloc[front].sort_values(list(spec.objectives)[-1]).reset_index(drop=True)
    write("pareto.parquet", pareto.drop(columns=["on_front"]))
    write("history.parquet", pd.DataFrame(history))
    write("ensemble.parquet", states.assign(state=np.arange(len(states))))
    if spec.options:
        names = list(spec.options)
        values = [option_values(spec, n) for n in names]
        oparams = dict(params)
        for lever in spec.levers:  # an option may sit outside the search range: run it with its own value
            used = list(dict.fromkeys(v[lever] for v in values))
            oparams[lever] = ParameterSpec(levels=used)
        res = _run_batch(spec, folder / "evals", "options", values, states, oparams, run)
        opt = Archive()
        for n, v, r in zip(names, values, res, strict=True):
            opt.values[n], opt.runs[n] = v, r
            opt.order.append(n)
        table = _summary_rows(spec, ev, names, opt)
        table.insert(0, "option", names)
        fo = np.array([ev.objective(opt.runs[n]) for n in names])
        ids = pareto["candidate_id"].to_numpy(int)  # candidate_id is the row of fa (order of first evaluation)
        dom = [[int(c) for c in ids if _dominates(fa[c], fo[i])] for i in range(len(names))]
        table["dominated_by"] = [json.dumps(d) for d in dom]
        table["n_dominating"] = [len(d) for d in dom]
        write("options.parquet", table)


def read_optimize(folder: str | Path) -> dict[str, Any]:
    """The tables of a finished search: ``pareto``, ``evaluations``, ``history``, ``options`` (or None), ``meta``.

    Raises:
        InputError: When the folder holds no finished search.
    """
    folder = Path(folder)
    meta_path = folder / "optimize.json"
    if not meta_path.is_file() or not (folder / "pareto.parquet").is_file():
        raise InputError(folder, "", "no optimize.json and pareto.parquet here: not a finished `govsim optimize` folder")
    out: dict[str, Any] = {"meta": json.loads(meta_path.read_text(encoding="utf-8"))}
    for name in ("pareto", "evaluations", "history", "options", "ensemble"):
        p = folder / f"{name}.parquet"
        out[name] = pd.read_parquet(p) if p.is_file() else None
    return out

