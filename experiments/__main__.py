"""``python -m govsim.experiments sweep ...``: the sweep command without the rest of the govsim CLI.

Useful under MPI: ``mpiexec -n 4 python -m mpi4py.futures -m govsim.experiments sweep FILE --out DIR --executor mpi``.
"""

from __future__ import annotations

import sys

import typer
from govsim.experiments.cli import register
from govsim.sim.errors import InputError, OutputError

app = typer.Typer(add_completion=False, no_args_is_help=True)
register(app)


@app.callback()
def _root() -> None:
    """Sweep runner for govsim experiment files."""


def main() -> None:
    """Run the command; bad input is one line on stderr and exit status 2."""
    try:
        rc = app(standalone_mode=False)  # returns the exit code of typer.Exit in this mode
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
