"""The ``govsim`` command line: run, validate, compare, calibrate, demo, sweep, analyze, dashboard, bench.

Each command parses its options and calls the function :mod:`govsim.api` (or the runner) offers
for it, so the command line and Python run the same code.

Exit status: 0 done; 2 bad input (one line on standard error naming the file, the key and what is
allowed, no traceback); 1 an environment fault — the input was fine but the machine refused (disk
full, quota, permission, read-only file system: one line); 130 interrupted.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Annotated

import typer

from govsim.sim.errors import InputError, OutputError

app = typer.Typer(
    name="govsim",
    help="Agent-based simulation of municipal social governance (市域社会治理) on Mesa 3.5.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO})
"""OS errors that are the machine's fault, not the input's: exit status 1."""

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario field: DOTTED.KEY=VALUE (repeatable)."),
]


def _prepare_out(out: Path) -> Path:
    """Create the output folder: a path that is a file is bad input, one the machine refuses is not."""
    from govsim.experiments.fileio import write_error

    if out.exists() and not out.is_dir():
        raise InputError(out, "--out", "is a file; an output folder is needed")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(out, "--out", exc, "cannot create the folder") from None
    probe = out / ".govsim-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise write_error(out, "--out", exc, "folder is not writable") from None
    return out


def _overrides(sets: list[str] | None) -> dict:
    from govsim.sim.scenario import parse_set_options

    return parse_set_options(sets or [])


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file or a bundled scenario's name (baseline).")],
    seed: Annotated[int, typer.Option(help="Random seed.", min=0)] = 1,
    replicate: Annotated[int | None, typer.Option(
        help="Run replicate R of a sweep or compare whose root seed is --seed (the model gets "
        "SeedSequence(seed, spawn_key=(R,))).", min=0)] = None,
    days: Annotated[int | None, typer.Option(help="Days to simulate (default: the scenario's run.days).",
                                             min=1, max=3650)] = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="Write timeseries.parquet, summary.json and by_unit.parquet here.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Run one scenario and print its outcomes."""
    from govsim import api
    from govsim.runio import print_summary

    spec = api.load_scenario(scenario, _overrides(set_))
    if out is not None:
        _prepare_out(out)
    try:
        res = api.run(spec, seed=seed, days=days, out=out, replicate=replicate)
    except OSError as exc:
        from govsim.experiments.fileio import write_error

        raise write_error(out or ".", "--out", exc) from None
    if not quiet:
        print_summary(res.spec, res.summary, seed)
        if out is not None:
            typer.echo(f"wrote {out / 'timeseries.parquet'}, {out / 'summary.json'} and {out / 'by_unit.parquet'}")


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="A scenario or experiment TOML file, or a bundled name.")]) -> None:
    """Check a scenario or experiment file without running it."""
    from govsim.sim.catalog import find
    from govsim.sim.scenario import _read_toml, load_scenario

    file = find(file)  # a file that exists, else a bundled scenario or experiment of that name
    data = _read_toml(file)
    if "objectives" in data:  # an optimisation study (govsim optimize)
        from govsim.experiments.optimize import load_optimize

        typer.echo(f"{file}: valid optimisation '{load_optimize(file).experiment.name}'")
        return
    if "experiment" in data:
        from govsim.experiments.spec import load_experiment

        exp = load_experiment(file)
        typer.echo(f"{file}: valid experiment '{exp.experiment.name}'")
        return
    spec = load_scenario(file)
    typer.echo(f"{file}: valid scenario '{spec.run.name}' ({spec.world.population} residents, {spec.run.days} days)")


@app.command()
def compare(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario files or bundled names; the first is the reference.")],
    replicates: Annotated[int, typer.Option(help="Replicates per scenario (same seeds for all).", min=2,
                                            max=10_000)] = 10,
    seed: Annotated[int, typer.Option(help="Root seed of the replicate seeds.", min=0)] = 20261129,
    days: Annotated[int | None, typer.Option(help="Days to simulate.", min=1, max=3650)] = None,
    set_: SetOpt = None,
    executor: Annotated[str | None, typer.Option(
        help="serial | processes | dask | mpi (default: serial with --workers 1, else processes).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker count (default: all cores; 1 = in process).",
                                                min=1)] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address tcp://HOST:PORT.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a comparison interrupted in --out.")] = False,
    run_timeout: Annotated[float | None, typer.Option(help="Seconds after which a run is stopped and recorded "
                                                      "as timeout.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder (empty, or an interrupted comparison with --resume).")]
    = Path("out/compare"),
    outcomes: Annotated[list[str] | None, typer.Option("--outcome", help="Outcomes to print (default: main ones).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    posterior: Annotated[Path | None, typer.Option(
        help="A `govsim calibrate` folder: replicate r runs posterior draw r (cycled) with its seed, the same "
        "for every option, so differences carry parameter uncertainty as well as noise.")] = None,
) -> None:
    """Compare scenarios under common random numbers: a sweep whose points are the options."""
    from govsim import api
    from govsim.comparison import run_compare

    if len(scenarios) < 1:
        raise InputError("compare", "SCENARIOS", "give at least one scenario file")
    changes = _overrides(set_)
    if days is not None:
        changes["run.days"] = days
    specs = [api.load_scenario(p, changes) for p in scenarios]
    if posterior is not None:
        from govsim.experiments.fileio import read_posterior

        read_posterior(posterior)
    if out.exists() and not out.is_dir():
        raise InputError(out, "--out", "is a file; an output folder is needed")
    try:
        run_compare(specs, scenarios, replicates=replicates, seed=seed, workers=workers, out=out,
                    outcomes=outcomes, quiet=quiet, posterior=posterior, executor=executor, scheduler=scheduler,
                    resume=resume, run_timeout=run_timeout)
    except OSError as exc:
        from govsim.experiments.fileio import write_error

        raise write_error(out, "--out", exc) from None


@app.command()
def calibrate(
    experiment: Annotated[Path, typer.Argument(help="Experiment file with \\[calibration] and \\[targets.NAME] tables.")],
    out: Annotated[Path, typer.Option(help="Output folder (empty, or an interrupted calibration with --resume).")],
    executor: Annotated[str, typer.Option(help="serial | processes | dask | mpi")] = "processes",
    workers: Annotated[int | None, typer.Option(help="Worker count (default: all cores).", min=1)] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address tcp://HOST:PORT.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a calibration interrupted in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Fit the scenario's uncertain parameters to targets by ABC (rejection or ABC-SMC) over the sweep runner."""
    from govsim.experiments.calibrate import calibrate as run_calibration
    from govsim.experiments.spec import load_experiment

    spec = load_experiment(experiment)
    if spec.calibration is None:
        raise InputError(experiment, "calibration", "no [calibration] table: add one with [targets.NAME] tables")
    if out.exists() and not out.is_dir():
        raise InputError(out, "--out", "is a file; an output folder is needed")
    try:
        folder = run_calibration(spec, out, executor=executor, workers=workers, scheduler=scheduler,
                                 resume=resume, progress=not quiet)
    except OSError as exc:
        from govsim.experiments.fileio import write_error

        raise write_error(out, "--out", exc) from None
    if not quiet:
        import pandas as pd

        typer.echo(pd.read_csv(folder / "fit.csv")[["target", "outcome", "low", "high", "value", "model_mean",
                                                      "model_q05", "model_q95", "met"]].to_string(index=False))
        typer.echo(f"wrote {folder / 'accepted.parquet'}, posterior_summary.csv, fit.csv and figures in {folder}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/demo"),
    replicates: Annotated[int, typer.Option(min=2, max=1000)] = 8,
) -> None:
    """The main job on the embedded default: a baseline year, then baseline vs reform options."""
    from govsim.demo import run_demo

    _prepare_out(out)
    run_demo(out, replicates=replicates)


@app.command()
def dashboard(
    scenario: Annotated[Path | None, typer.Option(help="A scenario file to offer as a preset (shown first).")] = None,
    host: Annotated[str, typer.Option(help="Interface to bind; anything but 127.0.0.1 is reachable from other "
                                      "machines.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).", min=0, max=65535)] = 8765,
) -> None:
    """Serve the classroom dashboard (map, ladder, charts, every lever, A/B mode) in the browser."""
    from govsim.dashboard_server import serve

    serve(scenario, host=host, port=port)


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="Small sizes (under a minute); skips the 1M run.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON to this file.")] = None,
    profile: Annotated[Path | None, typer.Option(help="Write the cProfile text to this file.")] = None,
) -> None:
    """Benchmark govsim: against the Mesa floor, at scale, scaling curve, sweeps, profile."""
    from govsim.bench import run_bench

    report = run_bench(quick=quick, out=out, profile=profile)
    if report.errors:  # a section broke (timings never fail the benchmark)
        raise typer.Exit(1)


def _register() -> None:
    """Add the commands that live in the experiments and analysis packages.

    They are part of govsim: if one cannot be imported that is an installation error, raised with
    its cause, never a command silently missing from ``govsim --help``.
    """
    from govsim.analysis.cli import register as register_analysis
    from govsim.experiments.cli import register as register_sweep
    from govsim.optimize_cli import register as register_optimize

    register_sweep(app)
    register_analysis(app)
    register_optimize(app)


_register()


def _click_exceptions(name: str) -> tuple[type[BaseException], ...]:
    """The click exception class ``name`` from click and from typer's vendored copy, whichever exist."""
    found: list[type[BaseException]] = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            mod = __import__(module, fromlist=[name])
        except ImportError:
            continue
        cls = getattr(mod, name, None)
        if cls is not None and cls not in found:
            found.append(cls)
    return tuple(found)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning bad input into one line and exit status 2."""
    usage, no_args = _click_exceptions("UsageError"), _click_exceptions("NoArgsIsHelpError")
    abort, exit_ = _click_exceptions("Abort"), _click_exceptions("Exit")
    try:
        app(args=argv, standalone_mode=False, prog_name="govsim")
    except OutputError as exc:  # the input was fine; the results could not be written
        typer.echo(f"error: {exc}", err=True)
        return 1
    except PermissionError as exc:  # a verb met the machine's refusal outside its own handling
        typer.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
        return 1
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRNOS:
            raise
        typer.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
        return 1
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except no_args:
        return 0
    except usage as exc:
        msg = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "govsim"
        typer.echo(f"error: {where}: {msg}", err=True)
        return 2
    except abort:
        typer.echo("aborted", err=True)
        return 130
    except exit_ as exc:
        return int(getattr(exc, "exit_code", 0))
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
