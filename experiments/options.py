"""Options as a sweep: the engine of ``govsim compare``.

Comparing scenarios ("options") under common random numbers is a sweep whose design points are the
options: a ``points``-like design over one parameter, ``scenario``, whose levels are the options'
scenario files. :func:`run_options` writes each option (overrides applied) as a scenario file into
the results folder, writes the experiment that names them (``compare.toml``) beside them, and
hands it to :func:`experiments.runner.run_sweep`: the same seeds, executors, ``--resume``, failure
records, folder lock and Parquet parts as ``govsim sweep``.

Seeds (one convention for every verb, ``docs/reproducibility.md``): replicate ``r`` of every option
runs with ``numpy.random.SeedSequence(seed, spawn_key=(r,))`` (:func:`replicate_seeds`).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from govsim.experiments.worker import replicate_seed
from govsim.sim.errors import InputError

if TYPE_CHECKING:
    from govsim.sim.scenario import ScenarioSpec

EXPERIMENT_FILE = "compare.toml"
"""The experiment a comparison runs, written into its results folder."""
OPTIONS_DIR = "scenarios"
"""The folder (inside the results folder) holding one scenario file per option."""


def replicate_seeds(seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """The seeds of replicates ``0 .. replicates-1``: ``SeedSequence(seed, spawn_key=(r,))``.

    These are what the sweep runner passes to the model as ``rng`` (the SeedSequence itself, not an
    integer drawn from it), the same for every design point or option (common random numbers).
    """
    return [replicate_seed(seed, r) for r in range(replicates)]


def _root_of(seeds: Sequence[np.random.SeedSequence]) -> int:
    """The root seed of ``replicate_seeds(root, n)``; anything else is refused."""
    if not seeds:
        raise InputError("replicates", "seeds", "give at least one replicate seed")
    root = seeds[0].entropy if isinstance(seeds[0], np.random.SeedSequence) else None
    if not isinstance(root, int) or [s.spawn_key for s in seeds] != [(r,) for r in range(len(seeds))] or any(
            s.entropy != root for s in seeds):
        raise InputError("replicates", "seeds", "seeds must be replicate_seeds(root_seed, replicates)")
    return root


def check_names(specs: Sequence[ScenarioSpec], labels: Sequence[str]) -> None:
    """Refuse two options with one ``run.name`` (they name the rows of every table).

    Raises:
        InputError: Naming the second option's file or label.
    """
    names = [s.run.name for s in specs]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise InputError(labels[names.index(dup)], "run.name",
                         f"two scenarios are both named '{dup}'; give each a distinct run.name (or --set run.name=...)")


def _complete(spec: ScenarioSpec) -> dict:
    """The scenario as a self-contained file: every field, no ``run.base`` to follow."""
    data = spec.to_dict()
    data["run"].pop("base", None)
    return data


def options_experiment(specs: Sequence[ScenarioSpec], replicates: int, seed: int, *, timeseries: bool = False,
                       posterior: str | Path | None = None) -> tuple[str, dict[str, str]]:
    """The experiment file that runs ``specs`` as a sweep, and the option files it names.

    Returns:
        ``(experiment_toml, {relative path: scenario toml})``; paths are relative to the experiment.
    """
    from govsim.sim.metrics import ALL_OUTCOME_NAMES
    from govsim.sim.tomlio import dumps

    files = {f"{OPTIONS_DIR}/{s.run.name}.toml": dumps(_complete(s)) for s in specs}
    digest = hashlib.sha256("".join(files.values()).encode()).hexdigest()[:16]
    first = next(iter(files))
    levels = ", ".join(f'"{f}"' for f in files)
    outcomes = ", ".join(f'"{o}"' for o in ALL_OUTCOME_NAMES)
    lines = [
        "# Written by govsim compare: the options are the levels of the `scenario` parameter.",
        f"# options digest {digest}",
        "[experiment]",
        'name = "compare"',
        f'scenario = "{first}"',
        'design = "factorial"',
        "samples = 1",
        f"replicates = {replicates}",
        f"seed = {seed}",
        f"outcomes = [{outcomes}]",
        f"timeseries = {'true' if timeseries else 'false'}",
    ]
    if posterior is not None:
        lines.append(f"posterior = {str(Path(posterior).resolve())!r}".replace("'", '"'))
    lines += ["", "[parameters]", f"scenario = {{ levels = [{levels}] }}", ""]
    return "\n".join(lines), files


def run_options(specs: Sequence[ScenarioSpec], out: str | Path, replicates: int, seed: int, *,
                executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
                resume: bool = False, run_timeout: float | None = None, progress: bool = False,
                timeseries: bool = False, posterior: str | Path | None = None) -> Path:
    """Run every option ``replicates`` times with the sweep runner into ``out``.

    Args:
        specs: The options (distinct ``run.name``); the first is the reference.
        out: Results folder (new or empty, or an interrupted comparison with ``resume``).
        replicates: Replicates per option.
        seed: Root seed of the replicate seeds.
        executor: ``serial``, ``processes``, ``dask`` or ``mpi``.
        workers: Worker count (default: all cores).
        scheduler: Dask scheduler address.
        resume: Continue a comparison interrupted in ``out`` (finished runs are not redone).
        run_timeout: Seconds after which a run is stopped and recorded as ``timeout``.
        progress: Show a progress bar.
        timeseries: Keep the daily series of every outcome.
        posterior: A ``govsim calibrate`` folder: replicate r also applies posterior draw r mod n.

    Returns:
        The results folder (a sweep folder, see ``docs/sweeps.md``, plus ``compare.toml`` and
        ``scenarios/``).

    Raises:
        InputError: Duplicate names, or a folder that holds something else.
    """
    from govsim.experiments.fileio import atomic_write_text
    from govsim.experiments.runner import run_sweep
    from govsim.experiments.spec import load_experiment

    check_names(specs, [s.run.name for s in specs])
    folder = Path(out)
    text, files = options_experiment(specs, replicates, seed, timeseries=timeseries, posterior=posterior)
    inputs = (OPTIONS_DIR, EXPERIMENT_FILE)
    if folder.is_dir() and any(p.name not in (".lock", *inputs) for p in folder.iterdir()):
        if not resume:
            raise InputError(folder, "", "the output folder is not empty; pass --resume to continue the "
                             "comparison in it, or choose an empty folder")
        if not (folder / "manifest.json").is_file():
            raise InputError(folder, "", "the folder is not empty and holds no manifest.json: not a comparison "
                             "folder; choose an empty folder")
    # Never rewrite an input of a comparison that may be running: write what is missing, refuse what differs.
    for rel, body in [(EXPERIMENT_FILE, text), *files.items()]:  # compare.toml names and digests the options
        path = folder / rel
        if not path.is_file():
            atomic_write_text(path, body)
        elif path.read_text(encoding="utf-8") != body:
            raise InputError(path, "", "the folder holds a different comparison (other options, replicates, seed "
                             "or overrides); use another folder")
    spec = load_experiment(folder / EXPERIMENT_FILE)
    return run_sweep(spec, folder, executor=executor, workers=workers, scheduler=scheduler, resume=resume,
                     run_timeout=run_timeout, progress=progress, inputs=inputs)


def read_options(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """A comparison folder's runs and series, keyed by option name, and its failed runs.

    Returns:
        ``(runs, timeseries or None, failed)``: ``runs`` has ``scenario`` (the option's
        ``run.name``), ``replicate``, ``root_seed`` (and ``draw`` with a posterior), then every
        outcome, for the replicates in which every option ran to the end (pairs stay complete);
        ``timeseries`` has ``scenario, replicate, day`` and the outcomes; ``failed`` lists the runs
        that failed or timed out (``failures.jsonl`` holds their tracebacks).
    """
    import json

    from govsim.experiments.store import read_runs

    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    raw = read_runs(folder)
    name_of = {v: Path(v).stem for v in raw["scenario"].unique()}
    raw["scenario"] = raw["scenario"].map(name_of)
    order = [Path(str(v)).stem for v in manifest["experiment"]["parameters"]["scenario"]["levels"]]
    failed = raw[raw["status"] != "ok"][["run_id", "scenario", "replicate", "status"]]
    bad = set(failed["replicate"])
    ok = raw[(raw["status"] == "ok") & ~raw["replicate"].isin(bad)]
    outcomes = list(manifest["outcomes"])
    runs = ok[["scenario", "replicate", "root_seed", *outcomes]].copy()
    draws_dir = manifest["experiment"]["experiment"].get("posterior")
    if draws_dir:
        from govsim.experiments.fileio import read_posterior

        runs.insert(3, "draw", runs["replicate"] % len(read_posterior(draws_dir)))
    runs["scenario"] = pd.Categorical(runs["scenario"], categories=order, ordered=True)
    runs = runs.sort_values(["scenario", "replicate"], kind="stable").reset_index(drop=True)
    runs["scenario"] = runs["scenario"].astype(str)
    ts = None
    ts_path = folder / "timeseries.parquet"
    if manifest.get("timeseries") and ts_path.is_file():
        series = pd.read_parquet(ts_path)
        series = series[series["run_id"].isin(set(ok["run_id"]))]
        series.insert(0, "scenario", series["run_id"].map(raw.set_index("run_id")["scenario"]).to_numpy())
        rank = series["scenario"].map({n: i for i, n in enumerate(order)})
        ts = (series.assign(_rank=rank).sort_values(["_rank", "replicate", "day"], kind="stable")
              .drop(columns=["_rank", "run_id", "point_id"]).reset_index(drop=True))
    return runs, ts, failed.reset_index(drop=True)


def run_replicates(specs: Sequence[ScenarioSpec], seeds: Sequence[np.random.SeedSequence],
                   workers: int | None = None, timeseries: bool = False,
                   draws: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run every option with every replicate seed through the sweep runner, in a temporary folder.

    Args:
        specs: The options.
        seeds: ``replicate_seeds(root, n)``.
        workers: Worker processes (default: all cores; 1 = in this process).
        timeseries: Return the daily series too.
        draws: A ``govsim calibrate`` folder (replicate r applies posterior draw r mod n).

    Returns:
        ``(runs, timeseries or None)`` as :func:`read_options` gives them.

    Raises:
        InputError: When a run failed (the comparison needs every pair).
    """
    root = _root_of(seeds)
    with tempfile.TemporaryDirectory(prefix="govsim-options-") as tmp:
        folder = run_options(specs, Path(tmp) / "run", len(seeds), root, executor="serial" if workers == 1 else
                             "processes", workers=workers, timeseries=timeseries, posterior=draws)
        runs, ts, failed = read_options(folder)
    if len(failed):
        raise InputError("replicates", "", f"{len(failed)} run(s) failed, e.g. {failed.iloc[0].to_dict()}")
    return runs, ts
