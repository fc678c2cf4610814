"""Writing results: atomic files, the manifest's provenance and outcome metadata, package versions.

The one module every verb writes through (``govsim run --out``, ``compare``, ``sweep``,
``calibrate``, the analysis reports), so a crash leaves either the old file or the new one, and
every results folder records the same provenance in the same words.

A file is written to a unique temporary name beside it (``.NAME.XXXX.tmp``), flushed and
``fsync``-ed, renamed over the target with ``os.replace`` and the rename made durable by
``fsync``-ing the folder. On any error (``ENOSPC``, ``EACCES``) the temporary is removed and the old
file is left as it was; the error propagates for the caller to report.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from govsim.sim.errors import InputError

PACKAGES = ("govsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "SALib", "distributed")
"""Packages whose versions shape results and are recorded with them."""


def versions() -> dict[str, str | None]:
    """Python's version and those of :data:`PACKAGES` (``None`` for a package not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then fsync and rename it to ``path``.

    Args:
        path: The file to (re)place; its folder is created if missing.
        write: Writes the whole content to the path it is given.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # e.g. ENOSPC: leave the old file, not a half-written temporary
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically and durably."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON (non-ASCII kept) atomically and durably."""
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a pyarrow table as Parquet atomically and durably."""
    import pyarrow.parquet as pq

    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def atomic_write_frame(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet (no index) atomically and durably."""
    atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))


def atomic_write_csv(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as CSV (no index) atomically and durably."""
    atomic_write_text(path, df.to_csv(index=False))


def outcome_metadata(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Unit, better direction and description of each named outcome of the model's registry.

    This is what a results folder's ``manifest.json`` carries under ``outcome_meta``, so the
    analysis reads an outcome's direction from the results, never from a list of its own.
    Names the registry does not hold (outcomes of other models) are left out.
    """
    from govsim.sim.metrics import ALL_OUTCOMES

    return {n: {"unit": ALL_OUTCOMES[n].unit, "better": str(ALL_OUTCOMES[n].better),
                "description": ALL_OUTCOMES[n].description}
            for n in names if n in ALL_OUTCOMES}


_BAD_PATH_ERRNOS = frozenset({errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.EINVAL})
"""Errors that say the path given is wrong (a file where a folder is needed ...): bad input."""


def write_error(path: str | Path, key: str, exc: OSError, what: str = "cannot write the results") -> InputError:
    """The one-line error for an ``OSError`` met while creating or writing ``path``.

    A path that cannot be a folder (a file on the way, a name too long) is bad input
    (:class:`~sim.errors.InputError`, exit status 2); anything else (``ENOSPC``, ``EDQUOT``, ``EACCES``,
    ``EPERM``, ``EROFS``, ``EIO``, a folder that vanished) is the machine's fault
    (:class:`~sim.errors.OutputError`, exit status 1): the input was fine.
    """
    from govsim.sim.errors import InputError, OutputError

    cls = InputError if exc.errno in _BAD_PATH_ERRNOS else OutputError
    return cls(path, key, f"{what} ({exc.strerror or exc})")


def read_posterior(folder: str | Path) -> pd.DataFrame:
    """The equal-weight posterior draws of a finished calibration (``posterior_draws.csv``).

    Raises:
        InputError: When the folder holds no finished calibration.
    """
    import pandas as pd
    from govsim.sim.errors import InputError

    path = Path(folder) / "posterior_draws.csv"
    if not path.is_file():
        raise InputError(folder, "--posterior", "no posterior_draws.csv here: not a finished `govsim calibrate` folder")
    draws = pd.read_csv(path)
    if draws.empty:
        raise InputError(path, "--posterior", "the posterior holds no parameter sets")
    return draws
