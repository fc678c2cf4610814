"""govsim: an agent-based simulation of municipal social governance (市域社会治理) on Mesa 3.5.

The command line is ``govsim``; the same verbs are functions here (see :mod:`govsim.api`)::

    import govsim

    res = govsim.run("baseline", seed=7, days=120)
    table = govsim.compare(["baseline", "street_empowerment"], replicates=8)

Names are imported on first use, so ``import govsim`` (and the command line) starts fast.

``govsim.compare`` and ``govsim.dashboard`` are the API's functions, although the package also has
modules of those names (the command line's implementation): import from those modules by their full
name (``from govsim.compare import replicate_seeds``), which keeps working.
"""

from __future__ import annotations

import sys
from types import ModuleType
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
    "override",
    "plot",
    "run",
    "scenario_names",
    "sweep",
]


class _Package(ModuleType):
    """The package module, keeping API functions from being replaced by same-named submodules.

    Importing a submodule binds it as an attribute of its package (``govsim.compare`` would become
    the module ``govsim/compare.py``); the API's function of that name stays the attribute instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in __all__ and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in __all__:
        from govsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'govsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
