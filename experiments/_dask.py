"""Dask pieces of the executor seam, imported only when a Dask executor starts."""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin
from govsim.experiments.parent_watch import exit_with_parent


class ExitWithCoordinator(WorkerPlugin):
    """A worker of a local cluster exits when the coordinator that started it dies.

    The worker process is a child of the coordinator (its nanny runs there); the plugin is set
    up again in every worker the nanny restarts.
    """

    name = "govsim-exit-with-coordinator"

    def setup(self, worker: Any) -> None:
        """Arm :func:`~govsim.experiments.parent_watch.exit_with_parent` in the worker process."""
        # The nanny starts workers from its event-loop thread, so no PR_SET_PDEATHSIG here.
        exit_with_parent(kill_signal=False)
