"""``govsim compare``: scenarios under common random numbers, with intervals and paired differences."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from govsim.experiments.fileio import atomic_write_csv, versions
from govsim.experiments.options import read_options, replicate_seeds, run_options, run_replicates
from govsim.runio import fmt
from govsim.sim.metrics import ALL_OUTCOME_NAMES
from govsim.sim.scenario import ScenarioSpec

__all__ = ["CONTRACT_COLUMNS", "MAIN_OUTCOMES", "full_comparison", "print_comparison", "replicate_seeds",
           "run_compare", "run_replicates"]

MAIN_OUTCOMES = ("share_left_city", "share_settled_by_street", "share_settled_by_community",
                 "mean_resolution_days", "mean_trust", "participation_rate", "days_to_known", "cost")


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
        rows = table[table.outcome == o]
        better = str(rows["better"].iloc[0]) if "better" in rows and len(rows) else "neither"
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
                timeseries: bool = True, no_report: bool = False, posterior: str | Path | None = None, *,
                executor: str | None = None, scheduler: str | None = None, resume: bool = False,
                run_timeout: float | None = None) -> pd.DataFrame:
    """Run the options as a sweep into ``out``, then write ``comparison.csv`` (and the report) and print.

    The runs go through the sweep runner (:func:`experiments.options.run_options`): ``out`` is a sweep
    folder (manifest, parts, ``runs.parquet``, ``failures.jsonl``) plus ``compare.toml`` and one
    scenario file per option. With ``posterior`` (a ``govsim calibrate`` folder) replicate r also runs
    posterior draw r mod n under every option (common random numbers and common parameters).
    Replicates in which some option failed are left out of the comparison (pairs stay complete).
    """
    from govsim.experiments.options import check_names
    from govsim.sim.errors import InputError

    check_names(specs, files)
    show = list(outcomes or MAIN_OUTCOMES)
    for o in show:
        if o not in ALL_OUTCOME_NAMES:
            raise InputError("--outcome", o, "unknown outcome; allowed: " + ", ".join(ALL_OUTCOME_NAMES))
    if executor is None:
        executor = "serial" if workers == 1 else "processes"
    folder = run_options(specs, out, replicates, seed, executor=executor, workers=workers, scheduler=scheduler,
                         resume=resume, run_timeout=run_timeout, progress=not quiet, timeseries=timeseries,
                         posterior=posterior)
    runs, ts, failed = read_options(folder)
    if runs.empty:
        raise InputError(folder, "", f"every replicate has a failed run ({len(failed)} failed; see failures.jsonl)")
    import json

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    table = full_comparison(runs, specs, seed, manifest)
    if len(failed):
        table.attrs["warnings"] = [*table.attrs.get("warnings", []),
                                   f"{len(failed)} run(s) failed or timed out (failures.jsonl); replicates "
                                   f"{sorted(set(failed['replicate']))} are left out of every option"]
    report = None
    if not no_report:
        from govsim.analysis.report import write_comparison_report

        provenance = {"scenario files": files, "root seed": seed,
                      "replicate seeds": f"SeedSequence({seed}, spawn_key=(r,)) for r = 0..{replicates - 1}",
                      "versions": versions(), "tacitus_threshold": specs[0].world.tacitus_threshold}
        if posterior is not None:
            provenance["posterior"] = f"{posterior} (replicate r uses draw r mod n)"
        shown = table[table["outcome"].isin(show)].copy()
        shown.attrs = dict(table.attrs)
        report = write_comparison_report(shown, runs, ts[["scenario", "replicate", "day", *[
            o for o in show if o in ts.columns]]] if ts is not None else None, folder, provenance)
    # written last, once: the full table (every outcome), contract columns first
    atomic_write_csv(folder / "comparison.csv", table)
    if not quiet:
        for w in table.attrs.get("warnings", []):
            print(f"warning: {w}")
        print_comparison(table, show, replicates)
        print(f"wrote {folder / 'comparison.csv'} and {folder / 'runs.parquet'}")
        if report is not None:
            print(f"report: {report}")
    return table


CONTRACT_COLUMNS = ["scenario", "outcome", "mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"]


def full_comparison(runs: pd.DataFrame, specs: list[ScenarioSpec], seed: int,
                    manifest: dict | None = None) -> pd.DataFrame:
    """Paired comparison with BCa bootstrap intervals, effect sizes, ranks and cost-effectiveness.

    The first eight columns are ``govsim compare``'s contract (see README); the rest extend it.
    Each outcome's better direction is the one the results' ``manifest`` records.
    """
    from govsim.analysis.compare import compare_runs, outcome_directions
    from govsim.sim.policies import yearly_cost

    costs = {s.run.name: yearly_cost(s) for s in specs}
    full = compare_runs(runs, outcomes=list(ALL_OUTCOME_NAMES), costs=costs, n_boot=2000, seed=seed % (2**32 - 1) + 1,
                        better=outcome_directions(manifest))
    cols = CONTRACT_COLUMNS + [c for c in full.columns if c not in CONTRACT_COLUMNS]
    out = full[cols]
    out.attrs = dict(full.attrs)
    return out
