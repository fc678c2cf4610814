"""Choose the baseline's point from a finished ABC calibration by a fixed rule, and print it.

Run from the repository root:
    .venv/bin/python tools/choose_point.py out/calibrate_baseline [--top 8] [--replicates 10] [--workers 2]

A posterior is a cloud and a baseline file is one point. The rule:
the candidates are the ``--top`` accepted parameter sets of the last generation with the smallest
distance (each distance rests on the experiment's few replicates, so a lucky draw can rank first), the
posterior's weighted mean, and the baseline as shipped before the calibration (a calibration does not
replace a point by one that fits worse; that point is kept only if ABC, run afresh, finds nothing
closer); each is re-run with ``--replicates`` replicates of root seed 7 (not the
validation seed 11 of ``tools/calibration_figures.py``, so the point is not chosen on the runs that
then check it); the one with the smallest distance, computed exactly as the calibration does
(``experiments.calibrate.distances`` with the calibration's own scales), is the baseline. The best
of ABC's own sets is printed as well, so the documentation can say what ABC alone returns. Nothing is
moved by hand afterwards: the values printed are copied into the spec defaults (rounded to three
significant digits) and ``docs/calibration.md`` reports the targets the result meets and misses.

Writes ``chosen_point.json`` into the calibration folder (candidates, their distances, the choice).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def candidates(folder: Path, names: list[str], top: int) -> pd.DataFrame:
    """The ``top`` accepted sets of the last generation by distance, and the weighted posterior mean."""
    gens = sorted(folder.glob("gen*_population.parquet"))
    last = pd.read_parquet(gens[-1])
    acc = last[last["accepted"]].sort_values("distance")
    best = acc.head(top)[names].assign(candidate=[f"gen{len(gens) - 1} point {i}" for i in acc.head(top).index])
    w = acc["weight"].to_numpy(float)
    mean = {n: float(np.average(acc[n].to_numpy(float), weights=w)) for n in names}
    return pd.concat([best, pd.DataFrame([{**mean, "candidate": "posterior mean"}])], ignore_index=True)


def _get(spec, dotted: str):
    """The value of a dotted scenario field."""
    obj = spec
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def main(argv: list[str] | None = None) -> None:
    """Re-run the candidates, print their distances and the chosen point."""
    from govsim.experiments.calibrate import distances
    from govsim.experiments.options import replicate_seeds, run_replicates
    from govsim.experiments.spec import load_experiment
    from govsim.sim import apply_overrides, load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--replicates", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    meta = json.loads((args.folder / "calibration.json").read_text())
    if not meta.get("experiment_file"):
        sys.exit(f"{args.folder}: the calibration ran an experiment held in memory; no file to re-run it from")
    spec = load_experiment(meta["experiment_file"])  # the experiment this calibration ran, not a fixed file
    names = list(meta["parameters"])
    cands = candidates(args.folder, names, args.top)
    base = load_scenario(spec.scenario_path)
    current = {n: float(_get(base, n)) for n in names}
    cands = pd.concat([cands, pd.DataFrame([{**current, "candidate": "shipped baseline"}])],
                      ignore_index=True)
    specs = [apply_overrides(base, {**{n: float(row[n]) for n in names}, "run.name": f"c{i}"})
             for i, row in cands.iterrows()]
    runs, _ = run_replicates(specs, replicate_seeds(7, args.replicates), workers=args.workers)
    outcomes = list(dict.fromkeys(t.outcome for t in spec.targets.values()))
    means = runs.groupby("scenario")[outcomes].mean().reindex([f"c{i}" for i in range(len(specs))])
    means = means.reset_index(drop=True)
    cands["distance"] = distances(spec, means, meta["scales"])
    cands = pd.concat([cands, means], axis=1)
    pd.set_option("display.width", 200)
    print(cands[["candidate", "distance", *outcomes]].to_string(float_format=lambda v: f"{v:.4g}"))
    chosen = cands.loc[cands["distance"].idxmin()]
    abc = cands.loc[cands["distance"].iloc[:-1].idxmin()]
    print(f"\nABC's own best: {abc['candidate']} (distance {abc['distance']:.3f})")
    print(f"\nchosen: {chosen['candidate']} (distance {chosen['distance']:.3f} over {args.replicates} replicates)")
    for n in names:
        print(f"  {n} = {float(f'{chosen[n]:.3g}')}")
    (args.folder / "chosen_point.json").write_text(json.dumps({
        "rule": "smallest distance over --replicates replicates of seed 7 among the top accepted sets and the "
                "posterior mean", "top": args.top, "replicates": args.replicates,
        "candidates": json.loads(cands.to_json(orient="records")),
        "chosen": {n: float(f"{chosen[n]:.3g}") for n in names}, "chosen_candidate": chosen["candidate"],
        "abc_best": {n: float(f"{abc[n]:.3g}") for n in names}, "abc_best_candidate": abc["candidate"]},
        indent=1))


if __name__ == "__main__":  # pragma: no cover
    main()
