"""Build hook: bundle the top-level data folders with the package (everything else is in pyproject.toml).

``scenarios/`` and the experiment files are data, not packages, and live at the repository's top
level so that a clone reads naturally. A wheel gets a copy of both under ``govsim/_bundled/``, in
the same layout, so ``govsim.load_scenario("baseline")``, ``run.base`` and an experiment's
``scenario = "../scenarios/baseline.toml"`` work the same in an installed copy (see
``govsim.sim.catalog``, which finds them by name for every verb and for the dashboard). Editable
installs read the clone's own folders and need no copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLE = {"scenarios": ("*.toml",), "scenarios/cities": ("*.csv", "*.toml"), "experiments": ("*.toml", "*.csv")}
"""Folders bundled, each with its file patterns (``scenarios/cities`` holds the city files that
scenarios name by a path relative to themselves, so it keeps its place under ``scenarios``)."""


class BuildPyWithData(build_py):
    """``build_py`` that also copies :data:`BUNDLE` into ``govsim/_bundled`` of the build tree."""

    def run(self) -> None:
        """Build the packages, then the bundled data (not for editable installs)."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "govsim" / "_bundled"
        for folder, patterns in BUNDLE.items():
            src = ROOT / folder
            files = sorted({p for pattern in patterns for p in src.glob(pattern)})
            if folder == "scenarios" and not files:
                raise FileNotFoundError(f"no scenario files in {src}: cannot bundle them")
            dest = target / folder
            for f in sorted(dest.glob("*")) if dest.exists() else []:  # keep sub-folders bundled on their own
                if f.is_file():
                    f.unlink()
            dest.mkdir(parents=True, exist_ok=True)
            for f in files:
                shutil.copy2(f, dest / f.name)


setup(cmdclass={"build_py": BuildPyWithData})
