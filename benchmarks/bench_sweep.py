"""Per-run overhead of govsim's sweep runner against ``mesa.batch_run``.

Same trivial Mesa model (:class:`experiments.examples.RandomWalkModel`, which accepts ``rng``),
same full-factorial design, same seeds and the same process count. Prints figures and the ratio;
never fails (a benchmark, not a test). Run: ``.venv/bin/python benchmarks/bench_sweep.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STEPS = 10


def model_floor(points: list[tuple[int, float]], seeds: list[np.random.SeedSequence]) -> float:
    """Seconds to build and run every model in this process, with no runner at all."""
    from govsim.experiments.examples import RandomWalkModel

    t0 = time.perf_counter()
    for seed in seeds:
        for n, sd in points:
            m = RandomWalkModel(n=n, step_sd=sd, rng=seed)
            for _ in range(STEPS):
                m.step()
            _ = m.datacollector.get_model_vars_dataframe().iloc[-1]
    return time.perf_counter() - t0


def ours(ns: list[int], sds: list[float], reps: int, procs: int, executor: str) -> float:
    """Wall seconds of ``run_sweep`` (including writing Parquet, manifest and consolidation)."""
    from govsim.experiments import read_runs, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        exp = tmp / "bench.toml"
        exp.write_text(
            f"""
[experiment]
name = "bench"
model = "govsim.experiments.examples:RandomWalkModel"
design = "factorial"
replicates = {reps}
seed = 1
steps = {STEPS}
outcomes = ["mean_pos", "spread"]

[parameters]
n = {{ levels = {ns} }}
step_sd = {{ levels = {sds} }}
"""
        )
        t0 = time.perf_counter()
        run_sweep(exp, tmp / "out", executor=executor, workers=procs)
        wall = time.perf_counter() - t0
        assert len(read_runs(tmp / "out")) == len(ns) * len(sds) * reps
        return wall
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def mesa_batch_run(ns: list[int], sds: list[float], seeds: list[np.random.SeedSequence], procs: int) -> float:
    """Wall seconds of ``mesa.batch_run`` on the same design."""
    import mesa
    from govsim.experiments.examples import RandomWalkModel

    t0 = time.perf_counter()
    rows = mesa.batch_run(
        RandomWalkModel,
        parameters={"n": ns, "step_sd": sds},
        number_processes=procs,
        data_collection_period=-1,
        max_steps=STEPS,
        display_progress=False,
        rng=seeds,
    )
    wall = time.perf_counter() - t0
    assert len(rows) == len(ns) * len(sds) * len(seeds)
    return wall


def main() -> None:
    """Print per-run wall times and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=4000, help="approximate number of runs")
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    ns = list(range(5, 55, 5))
    sds = [round(0.2 * k, 1) for k in range(1, 11)]
    reps = max(1, args.runs // (len(ns) * len(sds)))
    runs = len(ns) * len(sds) * reps
    seeds = np.random.SeedSequence(1).spawn(reps)
    points = [(n, sd) for n in ns for sd in sds]
    print(
        f"design: {len(points)} points x {reps} replicates = {runs} runs of a {STEPS}-step Mesa model, {args.procs} processes"
    )
    print(f"python {sys.version.split()[0]}")
    floor = model_floor(points, seeds)
    print(f"model alone, in-process serial : {floor:7.2f} s  {1e3 * floor / runs:7.3f} ms/run")
    serial = ours(ns, sds, reps, 1, "serial")
    print(
        f"govsim sweep, serial           : {serial:7.2f} s  {1e3 * serial / runs:7.3f} ms/run  "
        f"(overhead {1e3 * (serial - floor) / runs:+.3f} ms/run)"
    )
    mine = ours(ns, sds, reps, args.procs, "processes")
    print(f"govsim sweep, processes        : {mine:7.2f} s  {1e3 * mine / runs:7.3f} ms/run")
    # includes starting (and stopping) a LocalCluster; the timing the tests no longer assert on
    on_dask = ours(ns, sds, reps, args.procs, "dask")
    print(f"govsim sweep, dask (local)     : {on_dask:7.2f} s  {1e3 * on_dask / runs:7.3f} ms/run")
    theirs = mesa_batch_run(ns, sds, seeds, args.procs)  # last: it sets the global start method to spawn
    print(f"mesa.batch_run, processes      : {theirs:7.2f} s  {1e3 * theirs / runs:7.3f} ms/run")
    ideal = floor / args.procs
    print(
        f"per-run overhead over the ideal {args.procs}-process time: govsim {1e3 * (mine - ideal) / runs:.3f} ms, "
        f"batch_run {1e3 * (theirs - ideal) / runs:.3f} ms"
    )
    print(f"ratio batch_run / govsim sweep (wall): {theirs / mine:.2f}x")


if __name__ == "__main__":
    main()
