"""The sweep runner: an experiment → a results folder (see :mod:`experiments.store`).

:func:`run_sweep` is the sweep's top level: load the experiment, build its design, open the
folder (lock, manifest, design tables; or the manifest of the sweep it resumes), hand the runs
still to do to :func:`experiments.dispatch.dispatch` (bounded batches on an executor, results
flushed as Parquet parts, the inline start of :mod:`experiments.inline`), then consolidate the
parts and write the finished manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from govsim.experiments.design import Design, build_design, unit_problem
from govsim.experiments.dispatch import dispatch, preload_modules
from govsim.experiments.executors import START_TIMEOUT, check_options, start_forkserver
from govsim.experiments.fileio import atomic_write_json, atomic_write_table, outcome_metadata, versions
from govsim.experiments.inline import MARKER
from govsim.experiments.spec import load_experiment
from govsim.experiments.spec_models import ExperimentSpec
from govsim.experiments.store import FolderLock, Store
from govsim.sim.errors import InputError, OutputError


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _git_commit(where: Path) -> str | None:
    try:
        res = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def _param_kind(spec: ExperimentSpec, name: str) -> str:
    p = spec.parameters[name]
    if p.kind == "levels":
        first = (p.levels or [""])[0]
        return (
            "bool"
            if isinstance(first, bool)
            else "int"
            if isinstance(first, int)
            else "float"
            if isinstance(first, float)
            else "str"
        )
    return "int" if p.integer else "float"


def design_fingerprint(spec: ExperimentSpec, design: Design) -> str:
    """Hash of the experiment content and its design points: a folder holds one fingerprint."""
    import pandas as pd

    h = hashlib.sha256(spec.content_hash().encode())
    h.update(pd.util.hash_pandas_object(design.points, index=False).to_numpy().tobytes())
    return h.hexdigest()


def describe_design(spec: ExperimentSpec, design: Design) -> dict[str, Any]:
    """The manifest's ``design`` entry (what the analysis needs to rebuild the SALib problem)."""
    ex = spec.experiment
    return {
        "name": ex.design,
        "samples": ex.samples,
        "N": ex.samples,
        "n_points": design.n_points,
        "replicates": ex.replicates,
        "parameters": [p.describe(n) for n, p in spec.parameters.items()],
        "second_order": bool(ex.second_order and len(spec.parameters) > 1) if ex.design == "sobol" else None,
        "num_levels": ex.num_levels if ex.design == "morris" else None,
        "fast_m": ex.fast_m if ex.design == "fast" else None,
        "unit_problem": unit_problem(spec),
        "run_id": "point_id * replicates + replicate",
    }


def _manifest(spec: ExperimentSpec, design: Design, fingerprint: str, total: int) -> dict[str, Any]:
    ex = spec.experiment
    where = spec.base_dir
    return {
        "format": "govsim-sweep/1",
        "fingerprint": fingerprint,
        "experiment_file": str(spec.path) if spec.path else None,
        "experiment_raw": spec.raw,
        "experiment": spec.model_dump(mode="json"),
        "model": ex.model,
        "scenario": str(spec.scenario_path) if spec.scenario_path else None,
        "outcomes": spec.outcome_names,
        "outcome_meta": outcome_metadata(spec.outcome_names) if ex.model == "govsim" else {},
        "timeseries": ex.timeseries,
        "design": describe_design(spec, design),
        "seeds": {
            "root_seed": ex.seed,
            "sampler_seed": ex.seed,
            "replicates": ex.replicates,
            "replicate_seed": "numpy.random.SeedSequence(root_seed, spawn_key=(replicate,)) "
            "= SeedSequence(root_seed).spawn(replicates)[replicate] (docs/reproducibility.md)",
            "model_rng": (
                "govsim / Mesa class: that SeedSequence as rng (a scenario-taking Mesa class: as its "
                "Scenario's rng); function models: numpy.random.default_rng(it)"
            ),
        },
        "versions": versions(),
        "git_commit": _git_commit(where),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "started": _now(),
        "resumed": [],
        "finished": None,
        "runs_total": total,
        "runs_done": 0,
        "runs_failed": 0,
    }


def _check_model_parameters(spec: ExperimentSpec) -> None:
    """A Mesa model with a typed scenario: refuse parameters it does not have, before any run."""
    if spec.experiment.model == "govsim":
        return
    from govsim.experiments.mesa_adapter import unknown_parameters
    from govsim.experiments.spec import resolve_model

    target = resolve_model(spec.experiment.model)
    if isinstance(target, type):
        why = unknown_parameters(target, [*spec.parameters, *spec.fixed])
        if why:
            raise InputError(spec.path or "<experiment>", "parameters", why)


def run_sweep(
    spec_or_path: ExperimentSpec | str | Path,
    out: str | Path,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    run_timeout: float | None = None,
    progress: bool = False,
    start_timeout: float = START_TIMEOUT,
    *,
    inputs: tuple[str, ...] = (),
    inline_start: bool = True,
) -> Path:
    """Run (or resume) a sweep into the folder ``out``.

    Args:
        spec_or_path: An experiment file or a loaded :class:`ExperimentSpec`.
        out: Results folder; must be empty or absent unless ``resume``.
        executor: ``serial``, ``processes`` (default), ``dask`` or ``mpi``.
        workers: Worker count (default: all cores; for ``mpi`` under ``mpiexec``, the other ranks).
        scheduler: Dask scheduler address (``tcp://HOST:PORT``); default: a local cluster.
        resume: Continue a sweep interrupted in ``out`` (finished runs are not redone).
        run_timeout: Seconds after which a run is stopped and recorded as ``timeout``.
        progress: Show a progress bar.
        start_timeout: Seconds the executor may take to start (run its first call).
        inputs: Names of entries of ``out`` that are the sweep's own input files, put there by the
            caller (``govsim compare`` writes its options and experiment file there first); they do
            not make the folder count as used.
        inline_start: With the ``processes`` executor, run runs in this process while the pool
            starts (:mod:`govsim.experiments.inline`; off with a ``run_timeout``, and after a
            coordinator died in that phase).

    Returns:
        The results folder.

    Raises:
        InputError: Bad experiment or options, a folder holding something else, or a folder in
            use. Options are checked before anything is written: a refused sweep leaves ``out``
            as it was.
        OutputError: The results cannot be written, or the executor did not start in time.
    """
    check_options(executor, workers, scheduler)
    if run_timeout is not None and run_timeout <= 0:
        raise InputError("--run-timeout", "run_timeout", f"a positive number of seconds (got {run_timeout})")
    if start_timeout <= 0:
        raise InputError("--start-timeout", "start_timeout", f"a positive number of seconds (got {start_timeout})")
    spec = spec_or_path if isinstance(spec_or_path, ExperimentSpec) else load_experiment(spec_or_path)
    if executor == "processes":  # its imports overlap everything below (see start_forkserver)
        start_forkserver(preload_modules(spec))
    _check_model_parameters(spec)
    folder = Path(out)
    design = build_design(spec)
    fingerprint = design_fingerprint(spec, design)
    ex = spec.experiment
    total = design.n_points * ex.replicates
    with FolderLock(folder):
        manifest = _open_folder(folder, spec, design, fingerprint, total, resume=resume, inputs=inputs)
        manifest_path = folder / "manifest.json"
        kinds = {n: _param_kind(spec, n) for n in design.names}
        try:
            store = Store(folder, kinds, spec.outcome_names, ex.timeseries, ex.seed)
            done = store.finished_mask(total) if resume else np.zeros(total, dtype=bool)
            # a marker left behind: the last coordinator died while it ran runs itself (a run may
            # kill its process): this time every run gets a worker of its own
            inline = inline_start and executor == "processes" and run_timeout is None
            inline = inline and not (folder / MARKER).exists()
            counts = dispatch(
                spec, design, store, done, executor, workers, scheduler, run_timeout, progress, total,
                start_timeout, inline_start=inline,
            )
            if counts["complete"]:
                (folder / MARKER).unlink(missing_ok=True)
            final = store.consolidate()
            manifest.update(
                runs_done=final["total"],
                runs_failed=final["failed"] + final["timeout"],
                runs_timeout=final["timeout"],
                runs_inline=counts["inline"] + manifest.get("runs_inline", 0),
                finished=_now() if counts["complete"] else None,
                wall_s=round(counts["wall_s"] + manifest.get("wall_s", 0.0), 3),
            )
            atomic_write_json(manifest_path, manifest)
        except OSError as exc:  # disk full, quota, folder removed or read-only: say so in one line
            raise OutputError(
                folder,
                "",
                f"cannot write the results ({exc.strerror or exc}); every run in parts/ is kept — free "
                "space (or fix the folder) and continue with --resume",
            ) from None
        if not counts["complete"]:
            raise KeyboardInterrupt
    return folder


def _open_folder(
    folder: Path,
    spec: ExperimentSpec,
    design: Design,
    fingerprint: str,
    total: int,
    *,
    resume: bool,
    inputs: tuple[str, ...],
) -> dict[str, Any]:
    """A new sweep's manifest and design tables, or the manifest of the sweep ``resume`` continues.

    Raises:
        InputError: The folder is in use by something else, or holds another experiment.
    """
    manifest_path = folder / "manifest.json"
    others = [p.name for p in folder.iterdir() if p.name != ".lock" and p.name not in inputs]
    if others and not resume:
        raise InputError(
            folder,
            "",
            "the output folder is not empty; pass --resume to continue the sweep in it, or choose an empty folder",
        )
    if others and not manifest_path.exists():
        raise InputError(
            folder,
            "",
            "the folder is not empty and holds no manifest.json: not a sweep folder; choose an empty folder",
        )
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(manifest_path, "", f"unreadable manifest ({exc})") from None
        if manifest.get("fingerprint") != fingerprint:
            raise InputError(
                manifest_path,
                "fingerprint",
                f"the folder holds a different experiment ({manifest.get('experiment', {}).get('experiment', {}).get('name')!r}); use another folder",
            )
        manifest["resumed"] = [*manifest.get("resumed", []), _now()]
    else:
        manifest = _manifest(spec, design, fingerprint, total)
        unit_cols = {"point_id": design.points["point_id"].to_numpy()}
        unit_cols.update({n: design.unit[:, j] for j, n in enumerate(design.names)})
        import pandas as pd
        import pyarrow as pa

        atomic_write_table(
            folder / "design.parquet", pa.Table.from_pandas(design.points, preserve_index=False)
        )
        atomic_write_table(
            folder / "design_unit.parquet",
            pa.Table.from_pandas(pd.DataFrame(unit_cols), preserve_index=False),
        )
    manifest["finished"] = None
    atomic_write_json(manifest_path, manifest)
    return manifest
