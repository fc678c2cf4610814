"""``govsim optimize``: the command-line face of :func:`experiments.optimize.optimize`.

Heavy imports (pymoo, pandas, matplotlib) happen inside the command, so registering it costs nothing.
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    """Add the ``optimize`` command to the ``govsim`` application."""
    app.command("optimize")(optimize)


def _parse_sets(items: list[str], option: str) -> dict[str, Any]:
    from govsim.sim.errors import InputError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InputError(option, item, "KEY=VALUE with VALUE a TOML value (8, 0.5, true, \"text\")")
        try:
            out[key.strip()] = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = text.strip()
    return out


def optimize(
    file: Annotated[Path, typer.Argument(help="Optimisation file (\\[experiment], \\[parameters], \\[objectives], "
                                               "\\[search] ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder (empty or new, unless --resume).")],
    executor: Annotated[str, typer.Option(help="serial | processes | dask | mpi")] = "processes",
    workers: Annotated[int | None, typer.Option(help="Worker count (default: all cores).", min=1)] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address tcp://HOST:PORT.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a search interrupted in --out.")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Change a key for this run: search.population=8, uncertainties.ensemble=2, "
                      "experiment.replicates=1 (repeatable).")] = None,
    fixed: Annotated[list[str] | None, typer.Option(
        "--fixed", help="More [fixed] overrides: world.population=500 (repeatable).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars and no summary.")] = False,
) -> None:
    """Search the levers for the best packages (NSGA-II/III over the sweep runner), robust across uncertainties.

    Writes pareto.parquet, history.parquet, evaluations.parquet, options.parquet and report.html/.md into
    OUT; an interrupted search continues with --resume without repeating a run.
    """
    from govsim.analysis.optimize_report import write_optimize_report
    from govsim.experiments.optimize import load_optimize, read_optimize, with_changes
    from govsim.experiments.optimize import optimize as run_optimize
    from govsim.sim.errors import OutputError

    t0 = time.perf_counter()
    spec = with_changes(load_optimize(file), _parse_sets(set_ or [], "--set"), _parse_sets(fixed or [], "--fixed"))
    try:
        folder = run_optimize(spec, out, executor=executor, workers=workers, scheduler=scheduler, resume=resume,
                              progress=not quiet)
        report = write_optimize_report(read_optimize(folder), folder)
    except KeyboardInterrupt:
        typer.echo(f"interrupted; finished runs are saved in {out}. Continue with: govsim optimize {file} "
                   f"--out {out} --resume", err=True)
        raise typer.Exit(130) from None
    except OSError as exc:
        raise OutputError(out, "--out", f"cannot write the results ({exc.strerror or exc})") from None
    if not quiet:
        res = read_optimize(folder)
        meta = res["meta"]
        typer.echo(f"{len(res['pareto'])} packages on the front of {meta['evaluations']} evaluated "
                   f"({meta['runs']} runs), {time.perf_counter() - t0:.1f} s wall → {report}")
