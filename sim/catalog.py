"""The bundled scenario and experiment files, found by name or by path, in a clone and when installed.

govsim ships its scenarios (``scenarios/*.toml``) and experiment files (``experiments/*.toml``) as
data. In a clone (and in an editable install) they are the repository's own folders, so an edit is
seen at once; a wheel carries a copy of both under ``govsim/_bundled/`` in the same layout (see
``setup.py``), so ``run.base = "baseline.toml"`` and an experiment's
``scenario = "../scenarios/baseline.toml"`` resolve alike in either.

Every verb finds a file through this module: ``govsim run baseline``, ``govsim validate
morris_screening``, ``govsim compare baseline street_empowerment``, ``govsim sweep
morris_screening``, the Python API and the dashboard's preset list. A path to an existing file
always wins over a name; an unknown name is one line listing the names there are.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

from govsim.sim.errors import InputError

type Kind = Literal["scenarios", "experiments"]
"""The two bundled folders."""

_HOME = Path(__file__).resolve().parents[1]
"""``govsim/`` of an installed copy, or the repository root of a clone (``sim/`` lives there)."""
_BUNDLED = _HOME / "_bundled"
"""Where a wheel keeps its copies of ``scenarios/`` and ``experiments/`` (written by ``setup.py``)."""


def data_dir() -> Path:
    """The folder holding the bundled ``scenarios/`` and ``experiments/`` folders.

    In an installed copy this is ``govsim/_bundled``; in a clone it is the clone's root.

    Raises:
        InputError: When neither holds the baseline scenario (a broken installation).
    """
    for root in (_BUNDLED, _HOME):
        if (root / "scenarios" / "baseline.toml").is_file() and (root / "experiments").is_dir():
            return root
    raise InputError(_BUNDLED, "", "no bundled scenarios found: reinstall govsim (pip install govsim)")


def files(kind: Kind) -> dict[str, Path]:
    """The bundled files of one kind by name (``baseline`` first for scenarios, then alphabetical)."""
    found = sorted((data_dir() / kind).glob("*.toml"), key=lambda p: (p.stem != "baseline", p.stem))
    return {p.stem: p for p in found}


def scenario_names() -> list[str]:
    """Names of the bundled scenarios, ``baseline`` first."""
    return list(files("scenarios"))


def experiment_names() -> list[str]:
    """Names of the bundled experiment files (``morris_screening``, ``sobol_levers`` …)."""
    return list(files("experiments"))


def _name_of(value: str | os.PathLike[str]) -> str | None:
    """The bundled name ``value`` may stand for: ``baseline`` or ``baseline.toml``, never a path with folders."""
    path = Path(value)
    if path.parent != Path("."):
        return None
    return path.stem if path.suffix == ".toml" else str(value)


def _stat(path: Path) -> Literal["missing", "folder", "other"]:
    """What is at ``path``; an unreadable parent or a NUL in the name count as nothing there."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return "missing"
    return "folder" if stat.S_ISDIR(mode) else "other"


def find(value: str | os.PathLike[str], kind: Kind | None = None) -> Path:
    """The file ``value`` names: an existing file as given, else a bundled file of that name.

    Args:
        value: A path, or the name of a bundled file (``"baseline"``, ``"morris_screening.toml"``).
        kind: ``"scenarios"`` or ``"experiments"``; ``None`` looks among both (for ``govsim validate``).

    Returns:
        The path to read: ``value`` itself when it exists, else the bundled file.

    Raises:
        InputError: One line: a path (with folders or a suffix) that is not there or is a folder, or
            a bare name that is neither a file nor bundled (the message lists the bundled names).
    """
    path = Path(value)
    kind_of_path = _stat(path)
    if kind_of_path == "other":  # a file (or a device, a pipe: the reader judges those)
        return path
    kinds: tuple[Kind, ...] = (kind,) if kind is not None else ("scenarios", "experiments")
    name = _name_of(value)
    if name is not None:
        for k in kinds:
            hit = files(k).get(name)
            if hit is not None:
                return hit
    if kind_of_path == "folder":
        raise InputError(path, "", "is a folder; a .toml file is needed")
    if name is None or path.suffix:
        raise InputError(path, "", "file not found")
    what = " or ".join(k[:-1] for k in kinds)
    if len(kinds) == 1:
        listing = f"bundled: {', '.join(files(kinds[0]))}"
    else:
        listing = "; ".join(f"bundled {k}: {', '.join(files(k))}" for k in kinds)
    raise InputError(value, "", f"neither a file nor a bundled {what}; {listing}")


def scenario_file(value: str | os.PathLike[str]) -> Path:
    """A scenario file by path or bundled name (see :func:`find`)."""
    return find(value, "scenarios")


def experiment_file(value: str | os.PathLike[str]) -> Path:
    """An experiment file by path or bundled name (see :func:`find`)."""
    return find(value, "experiments")
