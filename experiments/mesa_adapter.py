"""Mesa model classes in a sweep: how one is built from a design point, and where its outcomes are read.

:func:`mesa_constructor` builds a model from a point's parameters and a replicate's seed (a
``scenario``-taking model gets its :class:`~mesa.experimental.scenarios.Scenario` built);
:class:`MesaOutcomes` reads a model's outcomes after its run (``summary()``, a ``DataCollector``,
Mesa's data registry, or an attribute). :mod:`experiments.worker` runs such a model.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np


def mesa_constructor(cls: type) -> Callable[[dict[str, Any], np.random.SeedSequence], Any]:
    """How to build a Mesa model class from a design point's parameters and a replicate's seed.

    A class whose constructor takes ``scenario`` (Mesa 3.5's own examples) gets its scenario
    built from the parameters, with the seed as the scenario's ``rng``; the scenario class is the
    constructor's annotation, else the one :class:`~mesa.experimental.scenarios.Scenario`
    subclass defined beside the model, else a plain ``Scenario``. Parameters that name another
    constructor argument (``width`` of the civil-violence example) are passed to the constructor.
    Any other class gets the parameters as keyword arguments and the seed as ``rng``.

    Raises:
        TypeError: A parameter the model does not take (named, with the ones it does).
    """
    sig = inspect.signature(cls.__init__)
    args = {n for n, p in sig.parameters.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    if "scenario" not in sig.parameters:

        def build_kwargs(params: dict[str, Any], seed: np.random.SeedSequence) -> Any:
            return cls(**params, rng=seed)

        return build_kwargs
    scenario_cls = scenario_class(cls)
    own = args - {"scenario", "rng", "seed"}

    typed = scenario_cls.__name__ != "Scenario"
    known = set(getattr(scenario_cls, "_scenario_defaults", {})) | own | {"rng"}

    def build_scenario(params: dict[str, Any], seed: np.random.SeedSequence) -> Any:
        if typed and not known.issuperset(params):
            raise TypeError(unknown_parameters(cls, params))
        kwargs = {k: v for k, v in params.items() if k in own}
        values = {k: v for k, v in params.items() if k not in own and k != "rng"}
        return cls(**kwargs, scenario=scenario_cls(rng=seed, **values))

    return build_scenario


def unknown_parameters(cls: type, names: Any) -> str:
    """Why a Mesa model built from a typed scenario cannot take ``names`` (empty when it can).

    Only a scenario model with a typed ``Scenario`` subclass is checked: keyword models and plain
    scenarios accept what their code reads, which cannot be known before a run.
    """
    sig = inspect.signature(cls.__init__)
    if "scenario" not in sig.parameters:
        return ""
    scenario_cls = scenario_class(cls)
    if scenario_cls.__name__ == "Scenario":
        return ""
    fields = set(getattr(scenario_cls, "_scenario_defaults", {})) - {"rng"}
    own = {n for n, p in sig.parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    own -= {"self", "scenario", "rng", "seed"}
    unknown = sorted(set(names) - fields - own)
    if not unknown:
        return ""
    return (
        f"{cls.__name__} takes no parameter {unknown[0]!r}; its scenario {scenario_cls.__name__} has "
        f"{', '.join(sorted(fields)) or 'no fields'}" + (f" and its constructor {', '.join(sorted(own))}" if own else "")
    )


def scenario_class(cls: type) -> type:
    """The ``Scenario`` class a Mesa model's constructor expects (see :func:`mesa_constructor`)."""
    import sys
    import typing

    from mesa.experimental.scenarios import Scenario

    try:
        hint = typing.get_type_hints(cls.__init__).get("scenario")
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to the module's scenario
        hint = None
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, Scenario):
            return candidate
    module = sys.modules.get(cls.__module__)
    local = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, Scenario) and v is not Scenario and v.__module__ == cls.__module__
    ] if module is not None else []
    return local[0] if len(local) == 1 else Scenario


def sample_outcomes(model: Any, names: tuple[str, ...]) -> dict[str, float]:
    """Outcomes that only the model itself knows (summary or attributes), read after a step."""
    summary = model.summary() if callable(getattr(model, "summary", None)) else {}
    out = {}
    for n in names:
        if n in summary:
            out[n] = _number(summary[n])
        elif hasattr(model, n) and not callable(getattr(model, n)):
            out[n] = _number(getattr(model, n))
    return out


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


class MesaOutcomes:
    """Where a Mesa model's outcomes come from, first match wins.

    1. ``model.summary()`` (a dict);
    2. the model variables of a ``DataCollector`` attribute (its last collected row);
    3. the model datasets of Mesa's ``DataRegistry`` / ``DataRecorder`` (the current value; a
       dotted ``dataset.field`` picks one dataset);
    4. a named model attribute or property.

    Args:
        model: A model that has run.
    """

    def __init__(self, model: Any) -> None:
        from mesa.datacollection import DataCollector
        from mesa.experimental.data_collection import BaseDataRecorder, ModelDataSet

        self.model = model
        self.summary = dict(model.summary()) if callable(getattr(model, "summary", None)) else {}
        attrs = [v for k, v in vars(model).items() if not k.startswith("__")]
        self.collectors = [v for v in attrs if isinstance(v, DataCollector) and v.model_reporters]
        self.recorders = [v for v in attrs if isinstance(v, BaseDataRecorder)]
        registry = getattr(model, "data_registry", None)
        self.datasets = [
            d for d in getattr(registry, "datasets", {}).values() if isinstance(d, ModelDataSet)
        ]

    def _dataset(self, name: str) -> tuple[Any, str] | None:
        ds_name, dot, fld = name.rpartition(".")
        for d in self.datasets:
            if fld in d._attributes and (not dot or d.name == ds_name):
                return d, fld
        return None

    def final(self, name: str) -> float:
        """The run's value of outcome ``name``.

        Raises:
            KeyError: No source has it (the message lists what the model offers).
        """
        if name in self.summary:
            return _number(self.summary[name])
        for dc in self.collectors:
            if name in dc.model_vars and dc.model_vars[name]:
                return _number(dc.model_vars[name][-1])
        found = self._dataset(name)
        if found is not None:
            return _number(found[0].data[found[1]])
        value = getattr(self.model, name, None)
        if value is not None and not callable(value):
            return _number(value)
        raise KeyError(f"model returned no outcome {name!r} ({self.offered()})")

    def offered(self) -> str:
        """What the model offers as outcomes, for error messages."""
        parts = []
        if self.summary:
            parts.append("summary(): " + ", ".join(map(str, self.summary)))
        for dc in self.collectors:
            parts.append("DataCollector: " + ", ".join(dc.model_reporters))
        for d in self.datasets:
            parts.append(f"DataRegistry {d.name!r}: " + ", ".join(d._attributes))
        return "; ".join(parts) or "it has no summary(), DataCollector or model dataset; name an attribute"

    def series(self, names: tuple[str, ...], samples: list[tuple[float, dict[str, float]]]) -> Any:
        """The time series of ``names``: one row per step, a ``day`` column (the model's time).

        A ``DataCollector`` column keeps its collection times; a recorded model dataset its
        recorded times plus the final state; anything else is what the runner read after
        construction and after every step.
        """
        import pandas as pd

        cols: dict[str, dict[int, float]] = {}
        for n in names:
            cols[n] = self._collected(n) or {round(t): v[n] for t, v in samples if n in v}
        frame = pd.DataFrame(cols).sort_index()
        frame.index.name = "day"
        return frame.reset_index()

    def _collected(self, name: str) -> dict[int, float] | None:
        if name in self.summary:
            return None
        for dc in self.collectors:
            if name in dc.model_vars:
                times = getattr(dc, "_collection_steps", None) or range(len(dc.model_vars[name]))
                return {round(t): _number(v) for t, v in zip(times, dc.model_vars[name], strict=False)}
        found = self._dataset(name)
        if found is None:
            return None
        dataset, fld = found
        out: dict[int, float] = {}
        for rec in self.recorders:
            if dataset.name in getattr(rec, "configs", {}):
                table = rec.get_table_dataframe(dataset.name)
                if fld in table.columns:
                    out.update({round(t): _number(v) for t, v in zip(table["time"], table[fld], strict=True)})
        out[round(self.model.time)] = _number(dataset.data[fld])
        return out
