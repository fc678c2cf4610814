"""Mesa's own example models, written the Mesa 3.5 way (a typed ``Scenario``), swept and analysed.

Each example is swept through ``govsim sweep`` on the processes and the Dask executors, then
``govsim analyze``; every run's outcomes must equal a direct run of the model with the same
parameters and the replicate's seed (``SeedSequence(seed, spawn_key=(replicate,))``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from govsim.experiments import read_runs
from govsim.experiments.mesa_adapter import scenario_class
from govsim.experiments.worker import RunConfig, Task, run_batch
from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence, EpsteinScenario
from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth
from mesa.examples.basic.schelling.model import Schelling, SchellingScenario

from govsim.cli import main

SEED = 11
STEPS = 5

# name → (model ref, [parameters] lines, outcomes, direct(params, seed) → model)
EXAMPLES = {
    "boltzmann": (
        "mesa.examples.basic.boltzmann_wealth_model.model:BoltzmannWealth",
        "n = { low = 10, high = 30, integer = true }\nwidth = { levels = [4, 6] }\n",
        ["Gini", "gini"],  # a DataCollector column and a DataRecorder model dataset
        lambda p, s: BoltzmannWealth(BoltzmannScenario(**p, height=5, rng=s)),
        {"height": 5},
    ),
    "civil_violence": (
        "mesa.examples.advanced.epstein_civil_violence.model:EpsteinCivilViolence",
        "legitimacy = { low = 0.5, high = 0.9 }\nwidth = { levels = [8, 12] }\n",
        ["active", "quiet", "arrested"],
        lambda p, s: EpsteinCivilViolence(
            width=p["width"], height=10, scenario=EpsteinScenario(legitimacy=p["legitimacy"], rng=s)
        ),
        {"height": 10},
    ),
    "schelling": (
        "mesa.examples.basic.schelling.model:Schelling",
        "homophily = { low = 0.2, high = 0.8 }\ndensity = { low = 0.5, high = 0.9 }\n",
        ["happy", "pct_happy"],
        lambda p, s: Schelling(SchellingScenario(**p, width=8, height=8, rng=s)),
        {"width": 8, "height": 8},
    ),
}


def _experiment(tmp_path, name: str) -> tuple:
    ref, params, outcomes, direct, fixed = EXAMPLES[name]
    exp = tmp_path / f"{name}.toml"
    fixed_lines = "".join(f"{k} = {v}\n" for k, v in fixed.items())
    exp.write_text(
        f"""
[experiment]
name = "{name}"
model = "{ref}"
design = "lhs"
samples = 6
replicates = 2
seed = {SEED}
steps = {STEPS}
outcomes = {json.dumps(outcomes)}
timeseries = true

[parameters]
{params}
[fixed]
{fixed_lines}"""
    )
    return exp, outcomes, direct


def _direct(direct, runs: pd.DataFrame, names: list[str], outcomes: list[str]) -> pd.DataFrame:
    rows = []
    for r in runs.itertuples():
        params = {n: getattr(r, n) for n in names}
        params = {k: v.item() if hasattr(v, "item") else v for k, v in params.items()}
        model = direct(params, np.random.SeedSequence(SEED, spawn_key=(r.replicate,)))
        for _ in range(STEPS):
            if not model.running:
                break
            model.step()
        row = {}
        for o in outcomes:
            dc = model.datacollector.model_vars
            row[o] = float(dc[o][-1]) if o in dc else float(getattr(model, o))
        rows.append(row)
    return pd.DataFrame(rows, index=runs.index)


@pytest.mark.parametrize("executor", ["processes", "dask"])
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_mesa_example_swept_equals_direct_runs_and_analyses(tmp_path, capsys, name, executor):
    exp, outcomes, direct = _experiment(tmp_path, name)
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--executor", executor, "--workers", "2", "--quiet"]) == 0
    runs = read_runs(out)
    assert len(runs) == 12 and (runs["status"] == "ok").all(), runs
    names = [n for n in ("n", "width", "legitimacy", "homophily", "density") if n in runs.columns]
    want = _direct(direct, runs, names, outcomes)
    pd.testing.assert_frame_equal(runs[outcomes], want, check_dtype=False)
    assert runs[outcomes[0]].nunique() > 1, "every run gave the same outcome: the parameters did not arrive"
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(ts["run_id"]) == set(runs["run_id"]) and ts["day"].min() == 0
    last = ts.sort_values("day").groupby("run_id").last()
    np.testing.assert_array_equal(last.loc[runs["run_id"], outcomes[0]].to_numpy(), runs[outcomes[0]].to_numpy())
    capsys.readouterr()
    assert main(["analyze", str(out), "--resamples", "50"]) == 0, capsys.readouterr().err
    indices = pd.read_csv(out / "analysis" / "indices.csv")
    assert set(indices["outcome"]) == set(outcomes) and set(indices["parameter"]) == set(names)


def test_scenario_class_is_found_from_annotation_or_module():
    assert scenario_class(EpsteinCivilViolence) is EpsteinScenario  # `scenario: EpsteinScenario | None`
    assert scenario_class(BoltzmannWealth) is BoltzmannScenario  # unannotated: the module's one Scenario


def test_a_parameter_the_scenario_lacks_fails_the_run_naming_the_fields():
    config = RunConfig(EXAMPLES["boltzmann"][0], None, "{}", None, 1, ("Gini",), False, 1)
    (res,) = run_batch(config, [Task(0, 0, 0, {"nn": 5})])
    assert res.status == "failed"
    assert "no parameter 'nn'" in res.error and "height, n, width" in res.error


def test_plain_scenario_and_keyword_models_and_named_attributes():
    from mesa import Model
    from mesa.experimental.scenarios import Scenario

    class Plain(Model):
        def __init__(self, scenario: Scenario | None = None) -> None:
            super().__init__(scenario=scenario)
            self.level = float(scenario.base) + self.rng.random()

        def step(self) -> None:
            self.level += 1

    import sys
    import types

    mod = types.ModuleType("govsim_test_plain_mesa")
    mod.Plain = Plain
    Plain.__module__ = mod.__name__
    sys.modules[mod.__name__] = mod
    try:
        config = RunConfig(f"{mod.__name__}:Plain", None, "{}", None, 3, ("level",), True, 4)
        (res,) = run_batch(config, [Task(0, 0, 0, {"base": 2.0})])
    finally:
        del sys.modules[mod.__name__]
    assert res.status == "ok", res.error
    start = Plain(Scenario(base=2.0, rng=np.random.SeedSequence(4, spawn_key=(0,)))).level
    assert res.outcomes["level"] == start + 3
    np.testing.assert_allclose(res.timeseries["level"], start + np.arange(4))
    assert list(res.timeseries["day"]) == [0, 1, 2, 3]


def test_a_misspelt_scenario_parameter_is_refused_before_the_sweep(tmp_path, capsys):
    exp, _, _ = _experiment(tmp_path, "civil_violence")
    exp.write_text(exp.read_text().replace("legitimacy = {", "legitimacyy = {"))
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no parameter 'legitimacyy'" in err and "legitimacy" in err
    assert not out.exists()


def test_a_process_keeps_a_bounded_number_of_run_functions():
    """A long session (many sweeps, each a new configuration) does not keep every run function."""
    from govsim.experiments import worker

    configs = [RunConfig(EXAMPLES["boltzmann"][0], None, "{}", None, 1, ("Gini",), False, seed)
               for seed in range(worker.KEEP_RUNNERS + 3)]
    for config in configs:
        (res,) = run_batch(config, [Task(0, 0, 0, {"n": 5})])
        assert res.status == "ok", res.error
    assert len(worker._RUNNERS) <= worker.KEEP_RUNNERS
    assert configs[-1] in worker._RUNNERS and configs[0] not in worker._RUNNERS
    first = worker.runner_for(configs[-1])
    assert worker.runner_for(configs[-1]) is first  # the current configuration's function is reused
