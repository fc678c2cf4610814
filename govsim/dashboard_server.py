"""``govsim dashboard``: serve the classroom dashboard (``sim/app.py``) with solara's server.

The server binds to 127.0.0.1 unless another host is asked for, in which case a warning says that
the page (which runs code on the server) is reachable from other machines.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(scenario: Path | None = None, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the dashboard until interrupted.

    Args:
        scenario: One more scenario file to offer as a preset, shown first.
        host: Interface to bind (default: this machine only).
        port: TCP port (0 = any free port).

    Raises:
        InputError: if ``scenario`` is not a valid scenario file.
    """
    from govsim.sim.catalog import scenario_file
    from govsim.sim.scenario import load_scenario

    env = os.environ
    if scenario is not None:
        load_scenario(scenario)  # a bad file ends here, in one line, before the server starts
        env["GOVSIM_DASHBOARD_SCENARIO"] = str(scenario_file(scenario).resolve())  # a file, or a bundled name
    if host not in LOOPBACK:
        typer.echo(f"warning: the dashboard is bound to {host}: anyone who can reach this machine on port "
                   f"{port} can use it (and run the model on it)", err=True)
    # No telemetry and no version check: classrooms may be offline, and nothing should phone home.
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    from solara.__main__ import cli

    typer.echo(f"govsim dashboard: http://{host}:{port} (Ctrl+C to stop)")
    cli.main(args=["run", "govsim.sim.app", "--host", host, "--port", str(port), "--production", "--no-open",
                   "--no-check-version", "--log-level-uvicorn", "warning"], prog_name="govsim dashboard",
             standalone_mode=False)
