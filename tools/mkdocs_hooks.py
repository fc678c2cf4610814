"""MkDocs hook: let mkdocstrings read govsim.sim, govsim.experiments and govsim.analysis from the clone.

The three packages keep their folders at the top of the clone (sim/, experiments/, analysis/) and
install under the ``govsim`` namespace through a package-dir mapping (pyproject.toml), which static
collection cannot follow. Before the build this hook lays out the installed shape in a temporary
folder of links (govsim/* → govsim/, govsim/sim → sim/, …) and points mkdocstrings at it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parents[1]
MAPPED = ("sim", "experiments", "analysis")


@event_priority(100)  # before mkdocstrings reads its handler options
def on_config(config):
    """Build the linked ``govsim`` package and make it mkdocstrings' only search path."""
    stage = Path(tempfile.mkdtemp(prefix="govsim-docs-"))
    atexit.register(shutil.rmtree, stage, ignore_errors=True)
    pkg = stage / "govsim"
    pkg.mkdir()
    for item in (ROOT / "govsim").iterdir():
        if item.name != "__pycache__":
            (pkg / item.name).symlink_to(item)
    for name in MAPPED:
        (pkg / name).symlink_to(ROOT / name, target_is_directory=True)
    handlers = config["plugins"]["mkdocstrings"].config["handlers"]
    handlers.setdefault("python", {})["paths"] = [str(stage)]
    return config
