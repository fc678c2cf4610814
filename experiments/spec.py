"""Experiment files read and checked: :func:`load_experiment`, :func:`check_experiment`, :func:`resolve_model`.

:func:`load_experiment` reads a TOML experiment file (or a bundled one by name), validates it into an
:class:`ExperimentSpec` (the models are in ``experiments.spec_models``) and checks it against the
world: the scenario, points and posterior files exist, every parameter path and ``[fixed]`` override
is accepted by the base scenario, outcome names are known, and a ``module:callable`` model imports
(:func:`resolve_model`, the one place a model is imported by name). Every problem is a one-line
:class:`sim.errors.InputError` naming the file, the dotted key and what is allowed.

The public models are re-exported here, so ``from govsim.experiments.spec import ExperimentSpec``
keeps working; code inside the package imports them from ``experiments.spec_models``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from govsim.experiments.spec_models import (
    GOVSIM,
    SCENARIO_PARAM,
    CalibrationTable,
    ExperimentSpec,
    ExperimentTable,
    ParameterSpec,
    TargetSpec,
    validate_file_spec,
)
from govsim.sim.catalog import experiment_file
from govsim.sim.errors import InputError, read_toml_file

__all__ = [
    "CalibrationTable", "ExperimentSpec", "ExperimentTable", "ParameterSpec", "TargetSpec",
    "check_experiment", "load_experiment", "parse_experiment", "resolve_model",
]


def parse_experiment(
    data: dict[str, Any], file: Path | str = "<experiment>", raw: str = ""
) -> ExperimentSpec:
    """Validate a parsed TOML dict into an :class:`ExperimentSpec` (no file-system checks).

    Raises:
        InputError: On any unknown key, wrong type or value out of range.
    """
    return validate_file_spec(ExperimentSpec, data, file, raw)


def load_experiment(path: str | Path, *, check: bool = True) -> ExperimentSpec:
    """Read, parse and validate an experiment file (or a bundled experiment by name: ``"morris_screening"``).

    With ``check`` (the default) the file is also checked against the world: the scenario and
    points files exist, every parameter path and every ``[fixed]`` override is accepted by the
    base scenario over the parameter's whole range (``sim.apply_overrides``), outcome names are
    known, and a ``module:callable`` model imports. Importing that module runs its code: only
    load experiment files you trust.

    Raises:
        InputError: One line naming the file, the dotted key and what is allowed.
    """
    path = experiment_file(path)  # a file that exists, else a bundled experiment of that name
    raw, data = read_toml_file(path)  # bounded size and nesting; one-line errors
    spec = parse_experiment(data, path, raw)
    if check:
        check_experiment(spec)
    return spec


def check_experiment(spec: ExperimentSpec) -> None:
    """Check an experiment against the files and the model it names (see :func:`load_experiment`).

    Raises:
        InputError: On the first problem found.
    """
    file = spec.path or "<experiment>"
    ex = spec.experiment
    if spec.points_path is not None and not spec.points_path.is_file():
        raise InputError(file, "experiment.points", f"file not found: {spec.points_path}")
    if ex.model == GOVSIM:
        _check_govsim(spec, file)
    else:
        try:
            resolve_model(ex.model)
        except InputError as exc:
            raise InputError(file, "experiment.model", exc.allowed) from None
    if ex.design == "points":
        from govsim.experiments.design import read_points

        read_points(spec)  # raises InputError naming the CSV


def _check_govsim(spec: ExperimentSpec, file: Path | str) -> None:
    ex = spec.experiment
    scen = spec.scenario_path
    assert scen is not None
    if not scen.is_file():
        raise InputError(file, "experiment.scenario", f"scenario file not found: {scen}")
    from govsim.sim import apply_overrides, load_scenario
    from govsim.sim.metrics import ALL_OUTCOME_NAMES

    base = load_scenario(scen)
    for name in ex.outcomes:
        if name not in ALL_OUTCOME_NAMES:
            raise InputError(
                file, "experiment.outcomes", f"unknown outcome {name!r}; allowed: {', '.join(ALL_OUTCOME_NAMES)}"
            )
    for tname, target in spec.targets.items():
        if target.outcome not in ALL_OUTCOME_NAMES:
            raise InputError(file, f"targets.{tname}.outcome",
                             f"unknown outcome {target.outcome!r}; allowed: {', '.join(ALL_OUTCOME_NAMES)}")
    if ex.days is not None:
        try:
            apply_overrides(base, {"run.days": ex.days})
        except InputError as exc:
            raise InputError(file, "experiment.days", exc.allowed) from None
    bases = [base]
    if SCENARIO_PARAM in spec.parameters:
        p = spec.parameters[SCENARIO_PARAM]
        key = f"parameters.{SCENARIO_PARAM}"
        if p.levels is None or not all(isinstance(v, str) for v in p.levels):
            raise InputError(file, key, "levels = [...] of scenario files (relative to the experiment file)")
        bases = []
        for level, path in zip(p.levels, spec.option_paths, strict=True):
            if not path.is_file():
                raise InputError(file, key, f"scenario file not found: {level}")
            bases.append(load_scenario(path))
    if spec.posterior_path is not None:
        from govsim.experiments.fileio import read_posterior

        read_posterior(spec.posterior_path)
    for one in bases:
        try:
            fixed_spec = apply_overrides(one, dict(spec.fixed)) if spec.fixed else one
        except InputError as exc:
            key = f'fixed."{exc.key}"' if exc.key else "fixed"
            raise InputError(file, key, exc.allowed) from None
        for name, p in spec.parameters.items():
            if name == SCENARIO_PARAM:
                continue
            for value in p.check_values():
                try:
                    apply_overrides(fixed_spec, {name: value})
                except InputError as exc:
                    raise InputError(
                        file, f'parameters."{name}"', f"{exc.allowed} (checked value {value!r})"
                    ) from None


def resolve_model(ref: str) -> Any:
    """Import ``module:attr`` and return the attribute (a function or a Mesa model class).

    Raises:
        InputError: When the module or attribute cannot be found, or it is not callable.
    """
    mod_name, _, attr = ref.partition(":")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise InputError("<model>", "experiment.model", f"cannot import module {mod_name!r}: {exc}") from None
    obj = mod
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise InputError("<model>", "experiment.model", f"module {mod_name!r} has no attribute {attr!r}")
    if not callable(obj):
        raise InputError("<model>", "experiment.model", f"{ref!r} is not callable")
    return obj
