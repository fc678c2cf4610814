"""The results folder: lock, manifest, incremental Parquet parts and their consolidation.

Layout of a sweep folder::

    .lock                 fcntl lock held by the running sweep
    manifest.json         experiment, design description, seeds, versions, counts
    design.parquet        point_id + one column per parameter (natural units)
    design_unit.parquet   the same points on the unit hypercube (the sampler's matrix)
    parts/part-NNNNNN.parquet     finished runs, flushed every few seconds (source of truth)
    ts_parts/part-NNNNNN.parquet  their daily time series (when asked), same part number
    runs.parquet          all runs, sorted by run_id (consolidated from parts)
    timeseries.parquet    all time series, sorted by run_id, day (when asked)
    failures.jsonl        run_id, point_id, replicate, error, traceback of every failed run

Every file is written through :mod:`experiments.fileio` (a temporary name, fsync, ``os.replace``,
fsync of the folder), so a kill leaves either the old or the new version, never a torn one. A time-series part is written
before the runs part with the same number, and is used only when that runs part exists.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from govsim.experiments.fileio import (
    atomic_write,
    atomic_write_bytes,
    atomic_write_table,
    write_error,
)
from govsim.sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from govsim.experiments.worker import Result, Task

RUN_COLUMNS = ("run_id", "point_id", "replicate", "root_seed", "status", "wall_s")
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
_BUCKET_RUNS = 200_000


class FolderLock:
    """An exclusive ``fcntl.flock`` on ``DIR/.lock``; a second sweep on the folder is refused."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".lock"
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise InputError(folder, "--out", "is a file; an output folder is needed")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_error(folder, "--out", exc, "cannot create or write the folder") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                self.path.parent, "", "another govsim sweep is running in this folder (it holds .lock)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _arrow_type(kind: str) -> pa.DataType:
    import pyarrow as pa

    return {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64()}.get(kind, pa.string())


class Store:
    """Appends finished runs as Parquet parts and consolidates them into the final tables.

    Args:
        folder: The sweep folder.
        params: Parameter name → column type (``bool``, ``int``, ``float`` or ``str``).
        outcomes: Outcome names.
        timeseries: Whether time-series parts are written.
        root_seed: Written into every row.
    """

    def __init__(
        self, folder: Path, params: dict[str, str], outcomes: list[str], timeseries: bool, root_seed: int
    ) -> None:
        import pyarrow as pa

        self.folder = folder
        self.parts = folder / "parts"
        self.ts_parts = folder / "ts_parts"
        self.params = params
        self.outcomes = outcomes
        self.timeseries = timeseries
        self.root_seed = root_seed
        base = [
            ("run_id", pa.int64()),
            ("point_id", pa.int64()),
            ("replicate", pa.int64()),
            ("root_seed", pa.int64()),
            ("status", pa.string()),
            ("wall_s", pa.float64()),
        ]
        cols = base + [(n, _arrow_type(t)) for n, t in params.items()] + [(n, pa.float64()) for n in outcomes]
        self.runs_schema = pa.schema(cols)
        self.part_schema = pa.schema(cols + [("error", pa.string()), ("traceback", pa.string())])
        self.ts_schema = pa.schema(
            [("run_id", pa.int64()), ("point_id", pa.int64()), ("replicate", pa.int64()), ("day", pa.int64())]
            + [(n, pa.float64()) for n in outcomes]
        )
        self.parts.mkdir(parents=True, exist_ok=True)
        if timeseries:
            self.ts_parts.mkdir(parents=True, exist_ok=True)
        self._clean_orphans()
        numbers = [n for n, _ in self._numbered(self.parts)]
        self._next = max(numbers, default=-1) + 1

    # --- parts ----------------------------------------------------------------------------------
    @staticmethod
    def _numbered(folder: Path) -> list[tuple[int, Path]]:
        if not folder.is_dir():
            return []
        out = []
        for p in folder.iterdir():
            m = _PART.match(p.name)
            if m:
                out.append((int(m.group(1)), p))
        return sorted(out)

    def _clean_orphans(self) -> None:
        """Remove temporary files and time-series parts whose runs part never landed (a kill)."""
        for folder in (self.parts, self.ts_parts, self.folder):
            if folder.is_dir():
                for p in folder.glob("*.tmp"):
                    p.unlink(missing_ok=True)
        have = {n for n, _ in self._numbered(self.parts)}
        for n, p in self._numbered(self.ts_parts):
            if n not in have:
                p.unlink(missing_ok=True)

    def finished_run_ids(self) -> set[int]:
        """Run ids recorded in the parts (ok, failed or timeout)."""
        import pyarrow.parquet as pq

        done: set[int] = set()
        for _, p in self._numbered(self.parts):
            done.update(pq.read_table(p, columns=["run_id"])["run_id"].to_pylist())
        return done

    def finished_mask(self, total: int) -> np.ndarray:
        """Boolean array over run ids ``0..total-1``: True where a part records the run.

        One byte a run (a 10-million-run sweep resumes with 10 MB, not a set of Python ints).
        """
        import pyarrow.parquet as pq

        mask = np.zeros(total, dtype=bool)
        for _, p in self._numbered(self.parts):
            ids = pq.read_table(p, columns=["run_id"])["run_id"].to_numpy()
            mask[ids[(ids >= 0) & (ids < total)]] = True
        return mask

    def write_part(self, results: list[tuple[Task, Result]]) -> None:
        """Write one part (and its time-series part first), atomically and durably."""
        import pyarrow as pa

        if not results:
            return
        n = self._next
        self._next += 1
        name = f"part-{n:06d}.parquet"
        if self.timeseries:
            chunks = [(t, r) for t, r in results if r.timeseries is not None]
            atomic_write_table(self.ts_parts / name, self._ts_table(chunks))
        cols: dict[str, list[Any]] = {f.name: [] for f in self.part_schema}
        for task, res in results:
            cols["run_id"].append(task.run_id)
            cols["point_id"].append(task.point_id)
            cols["replicate"].append(task.replicate)
            cols["root_seed"].append(self.root_seed)
            cols["status"].append(res.status)
            cols["wall_s"].append(res.wall_s)
            for p in self.params:
                cols[p].append(task.params[p])
            for o in self.outcomes:
                cols[o].append(res.outcomes.get(o, float("nan")) if res.status == "ok" else float("nan"))
            cols["error"].append(res.error or None)
            cols["traceback"].append(res.traceback or None)
        atomic_write_table(self.parts / name, pa.Table.from_pydict(cols, schema=self.part_schema))
        failed = [(t, r) for t, r in results if r.status != "ok"]
        if failed:  # a live view; consolidate() rewrites it from the parts
            with open(self.folder / "failures.jsonl", "a", encoding="utf-8") as fh:
                for t, r in failed:
                    fh.write(
                        json.dumps(
                            _failure(t.run_id, t.point_id, t.replicate, r.status, r.error, r.traceback)
                        )
                        + "\n"
                    )

    def _ts_table(self, chunks: list[tuple[Task, Result]]) -> pa.Table:
        import pyarrow as pa

        if not chunks:
            return self.ts_schema.empty_table()
        cols: dict[str, Any] = {}
        lens = [len(r.timeseries["day"]) for _, r in chunks]  # type: ignore[index]
        cols["run_id"] = np.repeat([t.run_id for t, _ in chunks], lens)
        cols["point_id"] = np.repeat([t.point_id for t, _ in chunks], lens)
        cols["replicate"] = np.repeat([t.replicate for t, _ in chunks], lens)
        for name in ["day", *self.outcomes]:
            cols[name] = np.concatenate([r.timeseries[name] for _, r in chunks])  # type: ignore[index]
        return pa.Table.from_pydict(cols, schema=self.ts_schema)

    # --- consolidation -------------------------------------------------------------------------
    def consolidate(self) -> dict[str, int]:
        """Merge the parts into ``runs.parquet`` (and ``timeseries.parquet``), sorted and de-duplicated.

        Streams bucket by bucket of run ids, so memory stays bounded by a bucket, not the sweep.
        Also rewrites ``failures.jsonl``. Returns counts by status and the total.
        """
        run_parts = [p for _, p in self._numbered(self.parts)]
        counts = {"ok": 0, "failed": 0, "timeout": 0}
        failures: list[dict[str, Any]] = []

        def on_bucket(table: pa.Table) -> pa.Table:
            status = table["status"].to_numpy(zero_copy_only=False)
            for s in counts:
                counts[s] += int((status == s).sum())
            bad = np.flatnonzero(status != "ok")
            if len(bad):
                sub = table.take(bad).select(
                    ["run_id", "point_id", "replicate", "status", "error", "traceback"]
                )
                failures.extend(_failure(**row) for row in sub.to_pylist())
            return table.select(self.runs_schema.names)

        _merge(
            run_parts,
            self.folder / "runs.parquet",
            self.part_schema,
            self.runs_schema,
            ["run_id"],
            _BUCKET_RUNS,
            on_bucket,
        )
        body = "".join(json.dumps(f) + "\n" for f in failures)
        atomic_write_bytes(self.folder / "failures.jsonl", body.encode())
        if self.timeseries:
            have = {n for n, _ in self._numbered(self.parts)}
            ts = [p for n, p in self._numbered(self.ts_parts) if n in have]
            _merge(
                ts,
                self.folder / "timeseries.parquet",
                self.ts_schema,
                self.ts_schema,
                ["run_id", "day"],
                2_000,
                None,
            )
        counts["total"] = counts["ok"] + counts["failed"] + counts["timeout"]
        return counts


def _failure(
    run_id: int, point_id: int, replicate: int, status: str, error: str | None, traceback: str | None
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "point_id": point_id,
        "replicate": replicate,
        "status": status,
        "error": error or "",
        "traceback": traceback or "",
    }


def _ranges(parts: list[Path]) -> Iterator[tuple[Path, int, int]]:
    import pyarrow.parquet as pq

    for p in parts:
        ids = pq.read_table(p, columns=["run_id"])["run_id"].to_numpy()
        if len(ids):
            yield p, int(ids.min()), int(ids.max())


def _merge(
    parts: list[Path],
    dest: Path,
    in_schema: pa.Schema,
    out_schema: pa.Schema,
    keys: list[str],
    bucket: int,
    on_bucket: Any,
) -> None:
    """Stream-merge parts into one Parquet file sorted by ``keys``, dropping duplicate keys."""
    ranges = list(_ranges(parts))

    def write(tmp: Path) -> None:
        _merge_into(tmp, ranges, in_schema, out_schema, keys, bucket, on_bucket)

    atomic_write(dest, write)


def _merge_into(tmp: Path, ranges: list[tuple[Path, int, int]], in_schema: pa.Schema, out_schema: pa.Schema,
                keys: list[str], bucket: int, on_bucket: Any) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    with pq.ParquetWriter(tmp, out_schema) as writer:
        if ranges:
            lo_all = min(r[1] for r in ranges) // bucket * bucket
            hi_all = max(r[2] for r in ranges)
            for lo in range(lo_all, hi_all + 1, bucket):
                hi = lo + bucket
                pieces = []
                for p, a, b in ranges:
                    if a < hi and b >= lo:
                        t = pq.read_table(p, schema=in_schema)
                        mask = pc.and_(pc.greater_equal(t["run_id"], lo), pc.less(t["run_id"], hi))
                        pieces.append(t.filter(mask))
                if not pieces:
                    continue
                table = pa.concat_tables(pieces).sort_by([(k, "ascending") for k in keys])
                if table.num_rows > 1:
                    key_arrays = [table[k].to_numpy() for k in keys]
                    keep = np.ones(table.num_rows, dtype=bool)
                    same = np.ones(table.num_rows - 1, dtype=bool)
                    for arr in key_arrays:
                        same &= arr[1:] == arr[:-1]
                    keep[1:] = ~same
                    table = table.filter(pa.array(keep))
                if on_bucket is not None:
                    table = on_bucket(table)
                writer.write_table(table.select(out_schema.names).cast(out_schema))


def existing_study(folder: Path, meta_name: str, fingerprint: str, resume: bool, what: str,
                   ignore: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The metadata of the study ``folder`` already holds (when resuming it), or ``None`` for an empty folder.

    Calibrations and optimisation searches keep a ``meta_name`` file with their study's fingerprint:
    a folder holding another study, a study without ``resume``, or other files is refused in one line.

    Args:
        folder: The results folder (exists).
        meta_name: The study's metadata file in it (``calibration.json``, ``optimize.json``).
        fingerprint: The study's content hash.
        resume: Whether the caller continues an interrupted study.
        what: The study's name in messages ("calibration", "search").
        ignore: Entries that do not make the folder count as used (the caller's own lock).
    """
    meta_path = folder / meta_name
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("fingerprint") != fingerprint:
            raise InputError(meta_path, "fingerprint", f"the folder holds a different {what}; use another folder")
        if not resume:
            raise InputError(folder, "", f"the folder holds a {what}; pass --resume to continue it, or choose "
                                         "an empty folder")
        return meta
    if any(p.name not in ignore for p in folder.iterdir()):
        raise InputError(folder, "", f"the folder is not empty and holds no {meta_name}; choose an empty folder")
    return None


def read_runs(out: str | Path) -> pd.DataFrame:
    """Read a sweep's runs table, sorted by ``run_id``.

    If the sweep was interrupted before consolidating (or is still running), the table is built
    from the flushed parts in memory (nothing is written), so it is always up to date.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(out)
    runs = folder / "runs.parquet"
    parts = [p for _, p in Store._numbered(folder / "parts")]
    newest = max((p.stat().st_mtime for p in parts), default=0.0)
    if runs.exists() and runs.stat().st_mtime >= newest:
        return pq.read_table(runs).to_pandas()
    if not parts:
        if runs.exists():
            return pq.read_table(runs).to_pandas()
        raise InputError(folder, "", "no runs.parquet and no parts/: not a sweep folder")
    table = pa.concat_tables(_read_parts(parts)).sort_by("run_id")
    df = table.to_pandas().drop_duplicates("run_id", keep="first").drop(columns=["error", "traceback"])
    return df.reset_index(drop=True) if isinstance(df, pd.DataFrame) else df


def _read_parts(parts: Iterable[Path]) -> list[pa.Table]:
    import pyarrow.parquet as pq

    return [pq.read_table(p) for p in parts]
