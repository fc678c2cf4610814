"""govsim: an agent-based simulation of municipal social governance (市域社会治理) on Mesa 3.5.

The command line is ``govsim``; the same verbs are functions here (see :mod:`govsim.api`)::

    import govsim

    res = govsim.run("baseline", seed=7, days=120)
    table = govsim.compare(["baseline", "street_empowerment"], replicates=8)

Names are imported on first use, so ``import govsim`` (and the command line) starts fast.

The command line's own modules have other names (``govsim.comparison``, ``govsim.dashboard_server``),
so no submodule ever shadows one of these verbs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govsim.api import (
        RunResult,
        analyze,
        compare,
        dashboard,
        data_dir,
        discover,
        experiment_names,
        load_experiment,
        load_scenario,
        optimize,
        override,
        plot,
        run,
        scenario_names,
        sweep,
    )

__all__ = [
    "RunResult",
    "analyze",
    "compare",
    "dashboard",
    "data_dir",
    "discover",
    "experiment_names",
    "load_experiment",
    "load_scenario",
    "optimize",
    "override",
    "plot",
    "run",
    "scenario_names",
    "sweep",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from govsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'govsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
