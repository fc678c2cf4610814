"""``govsim compare``: scenarios under common random numbers, with intervals and paired differences."""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from govsim.experiments.executors import SerialExecutor
from govsim.runio import atomic_write_bytes, atomic_write_parquet, fmt
from govsim.sim.metrics import ALL_OUTCOME_NAMES, ALL_OUTCOMES, OUTCOMES
from govsim.sim.scenario import ScenarioSpec

MAIN_OUTCOMES = ("share_left_city", "share_settled_by_street", "share_settled_by_community",
                 "mean_resolution_days", "mean_trust", "participation_rate", "issues_detected_early", "cost")


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Replicate seeds from ``SeedSequence(seed).spawn``; the same for every scenario (common random numbers)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(replicates)]


def _one(args: tuple[dict, int, int, bool]) -> tuple[dict[str, float], pd.DataFrame | None]:
    from govsim.sim.model import simulate
    from govsim.sim.scenario import ScenarioSpec

    spec_dict, seed, days, want_ts = args
    spec = ScenarioSpec.model_validate(spec_dict)
    return simulate(spec, rng=seed, days=days, timeseries=want_ts)


def posterior_specs(spec: ScenarioSpec, draws: pd.DataFrame, replicates: int) -> list[ScenarioSpec]:
    """The scenario under posterior draw r mod len(draws) for each replicate r (same draws for every option)."""
    from govsim.sim.scenario import apply_overrides

    rows = draws.to_dict(orient="records")
    return [apply_overrides(spec, {k: (v.item() if hasattr(v, "item") else v) for k, v in rows[r % len(rows)].items()},
                            "--posterior") for r in range(replicates)]


def run_replicates(specs: list[ScenarioSpec], seeds: list[int], workers: int | None = None,
                   timeseries: bool = False, draws: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run every scenario with every seed; returns the runs table (and daily series if asked).

    With ``draws`` (posterior parameter sets) replicate r also uses draw r mod len(draws): parameter
    uncertainty and noise, both common to every scenario.
    """
    if draws is None:
        jobs = [(s.to_dict(), seed, s.run.days, timeseries) for s in specs for seed in seeds]
    else:
        jobs = [(ps.to_dict(), seed, s.run.days, timeseries) for s in specs
                for ps, seed in zip(posterior_specs(s, draws, len(seeds)), seeds, strict=True)]
    n_workers = workers or os.cpu_count() or 1
    executor: Executor = SerialExecutor() if n_workers == 1 or len(jobs) == 1 else ProcessPoolExecutor(
        max_workers=min(n_workers, len(jobs)))
    with executor:
        results = list(executor.map(_one, jobs, chunksize=1))
    rows, series = [], []
    for (spec_dict, seed, _, _), (summary, ts) in zip(jobs, results, strict=True):
        name = spec_dict["run"]["name"]
        rep = seeds.index(seed)
        extra = {"draw": rep % len(draws)} if draws is not None else {}
        rows.append({"scenario": name, "replicate": rep, "seed": seed, **extra, **summary})
        if ts is not None:
            ts = ts.copy()
            ts.insert(0, "replicate", rep)
            ts.insert(0, "scenario", name)
            series.append(ts)
    return pd.DataFrame(rows), (pd.concat(series, ignore_index=True) if series else None)


def print_comparison(table: pd.DataFrame, outcomes: list[str] | tuple[str, ...], replicates: int) -> None:
    """Print the comparison in long format: one row per outcome × scenario.

    Columns: mean, its 95 % CI, the paired difference Δ from the first (reference) scenario and Δ's
    95 % CI. A Δ whose interval excludes 0 is green when it is an improvement and red when it is worse
    (by the outcome's ``better`` direction); outcomes with no better direction are bold.
    """
    from rich.console import Console
    from rich.table import Table

    names = list(dict.fromkeys(table["scenario"]))
    ref = names[0]
    t = Table(title=f"{len(names)} scenarios × {replicates} replicates (common random numbers); "
                    f"Δ = paired difference vs {ref}")
    for col, just in (("outcome", "left"), ("scenario", "left"), ("mean", "right"), ("95 % CI", "right"),
                      (f"Δ vs {ref}", "right"), ("Δ 95 % CI", "right")):
        t.add_column(col, justify=just, no_wrap=True)
    for o in outcomes:
        better = OUTCOMES[o].better if o in OUTCOMES else ALL_OUTCOMES[o].better if o in ALL_OUTCOMES else "neither"
        for i, n in enumerate(names):
            r = table[(table.scenario == n) & (table.outcome == o)].iloc[0]
            ci = f"[{fmt(r.ci_low)}, {fmt(r.ci_high)}]"
            if n == ref:
                d, dci = "—", ""
            else:
                sig = r.diff_ci_low > 0 or r.diff_ci_high < 0
                good = (r["diff"] < 0) if better == "lower" else (r["diff"] > 0) if better == "higher" else None
                style = "" if not sig else "bold" if good is None else ("green" if good else "red")
                d = f"{r['diff']:+.3g}"
                dci = f"[{r.diff_ci_low:+.3g}, {r.diff_ci_high:+.3g}]"
                if style:
                    d, dci = f"[{style}]{d}[/{style}]", f"[{style}]{dci}[/{style}]"
            t.add_row(o if i == 0 else "", n, fmt(r["mean"]), ci, d, dci,
                      end_section=(i == len(names) - 1))
    console = Console()
    if not console.is_terminal:  # a pipe or a log file: do not squeeze the table into 80 columns
        console = Console(width=max(console.width, 140))
    console.print(t)


def run_compare(specs: list[ScenarioSpec], files: list[str], replicates: int, seed: int, workers: int | None,
                out: Path, outcomes: list[str] | None = None, quiet: bool = False,
                timeseries: bool = True, no_report: bool = False, posterior: pd.DataFrame | None = None,
                posterior_dir: str | None = None) -> pd.DataFrame:
    """Run the comparison, print it and write ``comparison.csv``, ``runs.parquet`` (and the report).

    With ``posterior`` (a calibration's equal-weight draws) replicate r runs draw r (cycled) with its
    seed under every option (common random numbers and common parameters).
    """
    from govsim.sim.errors import InputError

    names = [s.run.name for s in specs]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(files[names.index(dup)], "run.name",
                         f"two scenarios are both named '{dup}'; give each a distinct run.name (or --set run.name=...)")
    show = list(outcomes or MAIN_OUTCOMES)
    for o in show:
        if o not in ALL_OUTCOME_NAMES:
            raise InputError("--outcome", o, "unknown outcome; allowed: " + ", ".join(ALL_OUTCOME_NAMES))
    seeds = replicate_seeds(seed, replicates)
    runs, ts = run_replicates(specs, seeds, workers, timeseries=timeseries, draws=posterior)
    table = full_comparison(runs, specs, seed)
    atomic_write_parquet(out / "runs.parquet", runs)
    if ts is not None:
        atomic_write_parquet(out / "timeseries.parquet", ts)
    report = None
    if not no_report:
        from govsim.analysis.report import write_comparison_report
        from govsim.runio import versions

        provenance = {"scenario files": files, "root seed": seed, "replicate seeds": seeds,
                      "versions": versions(), "tacitus_threshold": specs[0].world.tacitus_threshold}
        if posterior_dir is not None:
            provenance["posterior"] = f"{posterior_dir} ({len(posterior)} draws; replicate r uses draw r mod n)"
        shown = table[table["outcome"].isin(show)].copy()
        shown.attrs = dict(table.attrs)
        report = write_comparison_report(shown, runs, ts[["scenario", "replicate", "day", *[
            o for o in show if o in ts.columns]]] if ts is not None else None, out, provenance)
    # written last: the full table (every outcome), contract columns first
    atomic_write_bytes(out / "comparison.csv", table.to_csv(index=False).encode("utf-8"))
    if not quiet:
        print_comparison(table, show, replicates)
        print(f"wrote {out / 'comparison.csv'} and {out / 'runs.parquet'}")
        if report is not None:
            print(f"report: {report}")
    return table


CONTRACT_COLUMNS = ["scenario", "outcome", "mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"]


def full_comparison(runs: pd.DataFrame, specs: list[ScenarioSpec], seed: int) -> pd.DataFrame:
    """Paired comparison with BCa bootstrap intervals, effect sizes, ranks and cost-effectiveness.

    The first eight columns are ``govsim compare``'s contract (see README); the rest extend it.
    """
    from govsim.analysis.compare import compare_runs
    from govsim.sim.policies import yearly_cost

    costs = {s.run.name: yearly_cost(s) for s in specs}
    full = compare_runs(runs, outcomes=list(ALL_OUTCOME_NAMES), costs=costs, n_boot=2000, seed=seed % (2**32 - 1) + 1)
    cols = CONTRACT_COLUMNS + [c for c in full.columns if c not in CONTRACT_COLUMNS]
    out = full[cols]
    out.attrs = dict(full.attrs)
    return out
