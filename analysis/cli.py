"""``govsim analyze``: sensitivity indices, scenario discovery, figures and a report for a sweep.

Registered on the main Typer app by :func:`register`; bad input raises
:class:`sim.errors.InputError`, which the main command line prints as one line (exit status 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from govsim.sim.errors import InputError

METHOD_CHOICES = ("auto", "sobol", "morris", "fast", "rbd_fast", "pawn", "delta", "prim")


def analyze_command(
    results_dir: Annotated[Path, typer.Argument(help="Results folder written by 'govsim sweep'.")],
    method: Annotated[str, typer.Option(help="auto (from the design), sobol, morris, fast, rbd_fast, pawn, delta or prim.")] = "auto",
    outcome: Annotated[list[str] | None, typer.Option("--outcome", help="Outcome to analyse (repeatable); default all.")] = None,
    threshold: Annotated[float | None, typer.Option(help="prim: the outcome value that separates bad from acceptable.")] = None,
    direction: Annotated[str, typer.Option(help="prim: 'above' (bad when outcome > threshold) or 'below'.")] = "above",
    stat: Annotated[str, typer.Option(help="Replicate statistic per design point: mean, median, std or q<percent>.")] = "mean",
    out: Annotated[Path | None, typer.Option("--out", help="Output folder; default RESULTS_DIR/analysis.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every bootstrap and forest.")] = 0,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 1000,
) -> None:
    """Compute sensitivity indices (or a PRIM box) for a sweep and write tables, figures and a report."""
    from govsim.analysis.discovery import discover
    from govsim.analysis.report import write_sensitivity_report
    from govsim.analysis.results import SweepResults
    from govsim.analysis.sensitivity import RANKING_INDEX, analyze, resolve_method
    from govsim.experiments.fileio import atomic_write_csv
    from rich.console import Console
    from rich.table import Table

    if method not in METHOD_CHOICES:
        raise InputError("--method", "method", f"one of {', '.join(METHOD_CHOICES)}; got {method!r}")
    if direction not in ("above", "below"):
        raise InputError("--direction", "direction", f"above or below; got {direction!r}")
    results = SweepResults.load(results_dir)
    outcomes = list(outcome or results.outcomes)
    results.check_outcomes(outcomes)
    results.aggregate(outcomes[0], stat)  # validates --stat before any work
    out_dir = out or (results_dir / "analysis")
    out_dir.mkdir(parents=True, exist_ok=True)
    console = Console()
    sens = None
    prim = None
    if method == "prim":
        if threshold is None:
            raise InputError("--threshold", "threshold", "prim needs --threshold X (and --direction above|below)")
        if len(outcomes) != 1:
            raise InputError("--outcome", "outcome", "prim searches one outcome at a time; give exactly one --outcome")
        prim = discover(results, outcomes[0], threshold, direction, stat=stat, seed=seed)
        atomic_write_csv(out_dir / "prim_box.csv", prim[0].box)
        atomic_write_csv(out_dir / "prim_trajectory.csv", prim[0].trajectory)
        atomic_write_csv(out_dir / "feature_importance.csv", prim[1])
        table = Table(title=f"PRIM box: {outcomes[0]} {direction} {threshold:g}")
        for c in ("parameter", "low", "high"):
            table.add_column(c)
        for r in prim[0].box.itertuples():
            table.add_row(str(r.parameter), f"{r.low:.4g}", f"{r.high:.4g}")
        console.print(table)
        if prim[0].box.empty:
            console.print("[yellow]warning:[/yellow] PRIM found no box better than the whole sample")
        console.print(f"coverage {prim[0].coverage:.3f}, density {prim[0].density:.3f}")
    else:
        method = resolve_method(results, method)
        sens = analyze(results, method, outcomes, stat=stat, seed=seed, num_resamples=resamples)
        atomic_write_csv(out_dir / "indices.csv", sens.table)
        atomic_write_csv(out_dir / "convergence.csv", sens.convergence)
        rank_ix = RANKING_INDEX[method]
        table = Table(title=f"{method} ({rank_ix}) — {results.source}")
        for c in ("outcome", "parameter", rank_ix, "interval", "N", "replicates", "runs", "noise", "converged"):
            table.add_column(c)
        for o in outcomes:
            meta = sens.meta[o]
            sub = sens.table[(sens.table["outcome"] == o) & (sens.table["index"] == rank_ix)]
            for r in sub.sort_values("value", ascending=False).itertuples():
                table.add_row(
                    o, str(r.parameter), f"{r.value:.3f}", f"[{r.ci_low:.3f}, {r.ci_high:.3f}]", str(meta["N"]),
                    str(meta["replicates"]), str(meta["runs_total"]), f"{meta['noise_share']:.3f}",
                    "yes" if sens.converged[o] else "no",
                )
        console.print(table)
        for w in sens.warnings:
            console.print(f"[yellow]warning:[/yellow] {w}", highlight=False, markup=True)
    report = write_sensitivity_report(sens, results, out_dir, prim=prim)
    console.print(f"report: {report}")


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to the main ``govsim`` command line."""
    app.command("analyze")(analyze_command)
