"""``govsim sweep``: the command-line face of :func:`experiments.run_sweep`.

Heavy imports (SALib, pandas, dask) happen inside the command, so registering it costs nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``sweep`` command to the ``govsim`` application."""
    app.command("sweep")(sweep)


def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment file (TOML with an \\[experiment] table).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder (empty or new, unless --resume).")],
    executor: Annotated[str, typer.Option(help="serial | processes | dask | mpi")] = "processes",
    workers: Annotated[int | None, typer.Option(help="Worker count (default: all cores).")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address tcp://HOST:PORT (default: a local cluster).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted sweep in --out.")] = False,
    run_timeout: Annotated[
        float | None, typer.Option("--run-timeout", help="Seconds before a run is recorded as timeout.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
    start_timeout: Annotated[
        float, typer.Option("--start-timeout", help="Seconds the executor may take to start its workers.")
    ] = 120.0,
    inline_start: Annotated[
        bool,
        typer.Option(
            "--inline-start/--no-inline-start",
            help="Run runs in this process while the worker pool starts (processes executor; a run "
            "that crashes its process then stops the sweep: continue with --resume).",
        ),
    ] = True,
) -> None:
    """Run a parameter sweep: design points × replicates, on all cores, a Dask cluster or MPI.

    Results land in OUT as Parquet tables with a manifest; an interrupted sweep continues with
    --resume without redoing finished runs.
    """
    from govsim.experiments.runner import run_sweep
    from govsim.experiments.store import read_runs

    t0 = time.perf_counter()
    try:
        folder = run_sweep(
            experiment,
            out,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            run_timeout=run_timeout,
            progress=not quiet,
            start_timeout=start_timeout,
            inline_start=inline_start,
        )
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted; finished runs are saved in {out}. Continue with: govsim sweep {experiment} --out {out} --resume",
            err=True,
        )
        raise typer.Exit(130) from None
    if not quiet:
        runs = read_runs(folder)
        n_ok = int((runs["status"] == "ok").sum())
        n_bad = len(runs) - n_ok
        typer.echo(f"{n_ok} runs ok, {n_bad} failed, {time.perf_counter() - t0:.1f} s wall → {folder}")
