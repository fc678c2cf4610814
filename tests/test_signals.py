"""Issue 16 (second half): the early-warning score with a data source, evaluation design, outcomes
that read the right way, and effects with sources (sim/warning.py, sim/evaluation.py, sim/effects_spec.py).

Runs are paired (same seeds, one setting changed) on a 6,000-resident city for 240 days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from govsim.sim.effects_spec import EffectsSpec
from govsim.sim.metrics import ALL_OUTCOMES
from govsim.sim.model import simulate
from govsim.sim.scenario import ScenarioSpec, apply_overrides

from govsim.comparison import replicate_seeds
from tests.conftest import ROOT

CITY: dict[str, Any] = {"world.population": 6000, "run.days": 240}
SEED = 20261203


def runs(overrides: dict[str, Any], n: int) -> list[dict[str, float]]:
    spec = apply_overrides(ScenarioSpec(), {**CITY, **overrides}, "test")
    return [simulate(spec, rng=s)[0] for s in replicate_seeds(SEED, n)]


def col(rows: list[dict[str, float]], key: str) -> np.ndarray:
    return np.array([r[key] for r in rows])


def test_detection_gain_and_false_alarms_both_rise_as_the_threshold_falls():
    """Lower threshold: more latent issues found, sooner, and more false alarms and capacity spent."""
    ew = {"policy.early_warning": 1.0}
    off = runs({}, 4)
    by_t = {t: runs({**ew, "policy.early_warning_threshold": t}, 4) for t in (3.0, 2.0, 1.0)}
    found = [col(by_t[t], "warning_found").sum() for t in (3.0, 2.0, 1.0)]
    false = [col(by_t[t], "warning_false_alarms").sum() for t in (3.0, 2.0, 1.0)]
    spent = [col(by_t[t], "warning_capacity").sum() for t in (3.0, 2.0, 1.0)]
    assert found[0] < found[1] < found[2]
    assert false[0] < false[1] < false[2]
    assert spent[0] < spent[1] < spent[2]
    # the gain is real: issues become known sooner than without the score, paired by seed
    assert np.all(col(by_t[1.0], "days_to_known") < col(off, "days_to_known"))


def test_shared_data_sharpens_the_score_and_sours_its_false_alarms():
    """With data sharing the same threshold finds more; false alarms then cost more trust (privacy)."""
    ew = {"policy.early_warning": 1.0, "policy.early_warning_threshold": 1.5}
    siloed = runs({**ew, "policy.data_sharing": 0.0}, 4)
    shared = runs({**ew, "policy.data_sharing": 1.0}, 4)
    assert col(shared, "warning_found").sum() > col(siloed, "warning_found").sum()
    # ablation of the annoyance: same seeds, false alarms harmless → trust higher
    loud = runs({**ew, "policy.early_warning_threshold": 0.5}, 4)
    quiet = runs({**ew, "policy.early_warning_threshold": 0.5, "effects.false_alarm_trust_hit": 0.0}, 4)
    assert col(quiet, "mean_trust").mean() > col(loud, "mean_trust").mean()


def test_closure_rate_targets_raise_false_closures_and_repeat_complaints():
    """Paired replicates: closure targets vs satisfaction-based evaluation; counting repeats deters it."""
    sat = runs({"policy.closure_rate_targets": 0.0}, 8)
    close = runs({"policy.closure_rate_targets": 1.0}, 8)
    counted = runs({"policy.closure_rate_targets": 1.0, "policy.evaluation_counts_repeats": 1.0}, 8)
    for key in ("false_closures", "repeat_complaints"):
        assert col(sat, key).sum() == 0
        assert np.all(col(close, key) >= col(sat, key)) and col(close, key).sum() > 0
        assert col(counted, key).sum() < col(close, key).sum()


GOOD_LEVERS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # outcome: (worse setting, better setting), a lever known to be good for it
    "days_to_known": ({"policy.hotline_response": False}, {"policy.hotline_response": True}),
    "severity_when_known": ({"policy.grid_members_per_10k": 0.0}, {"policy.grid_members_per_10k": 40.0}),
    "false_closures": ({"policy.closure_rate_targets": 1.0}, {"policy.closure_rate_targets": 0.0}),
    "repeat_complaints": ({"policy.closure_rate_targets": 1.0}, {"policy.closure_rate_targets": 0.0}),
    "warning_found": ({"policy.early_warning": 0.0}, {"policy.early_warning": 1.0}),
    "warning_false_alarms": ({"policy.early_warning": 1.0, "policy.early_warning_threshold": 1.0},
                             {"policy.early_warning": 1.0, "policy.early_warning_threshold": 3.0}),
    "warning_capacity": ({"policy.early_warning": 1.0, "policy.early_warning_threshold": 1.0},
                         {"policy.early_warning": 1.0, "policy.early_warning_threshold": 3.0}),
}


@pytest.mark.parametrize("outcome", sorted(GOOD_LEVERS))
def test_a_good_lever_moves_each_new_outcome_the_declared_way(outcome):
    worse, better = GOOD_LEVERS[outcome]
    direction = ALL_OUTCOMES[outcome].better
    assert direction in ("higher", "lower")
    a, b = col(runs(worse, 4), outcome).mean(), col(runs(better, 4), outcome).mean()
    assert (b > a) if direction == "higher" else (b < a), (outcome, a, b)


def test_the_race_count_is_gone_and_renamed_without_a_direction():
    assert "issues_detected_early" not in ALL_OUTCOMES
    assert ALL_OUTCOMES["issues_found_proactively"].better == "neither"


def test_no_effect_parameter_lacks_a_source_or_a_range():
    """Every numeric field of [effects], [parties] and [channels.*] (each channel's own) names a source or a range.

    Categorical lists (which issue types have two parties or can be collective) are choices, not sizes.
    """
    from govsim.sim.spec_sections import evidence

    ev = evidence(ScenarioSpec)
    scalar = {k: v for k, v in ev.items() if k.startswith(("effects.", "parties.", "channels."))
              and k not in ("parties.two_party_types", "parties.collective_types")}
    assert len(scalar) >= len(EffectsSpec.model_fields) + 5 + 5 * 5 + 2
    missing = [k for k, v in scalar.items() if not (v.get("source") or v.get("range"))]
    assert missing == []
    # each channel carries its own evidence, not the shared model's
    assert "Supreme People's Court" in ev["channels.court.staff_per_100k"]["source"]
    assert "range" not in ev["channels.court.staff_per_100k"]
    assert ev["channels.centre.staff_per_100k"]["range"] == [3.0, 15.0]


def test_a_table_of_channels_refuses_a_value_without_evidence_or_outside_its_range():
    from govsim.sim.spec_disputes import ChannelSpec
    from govsim.sim.spec_sections import E, table_of

    ok = {"staff_per_100k": E(3.0, range=(1.0, 10.0)), "cases_per_staff_day": E(0.5, source="x"),
          "handling_days": E(30.0, source="x"), "settle_intercept": E(0.0, range=(-1.0, 1.0)),
          "patience_days": E(60.0, source="x")}
    table_of(ChannelSpec, "fine", **ok)
    with pytest.raises(ValueError, match="source or a range"):
        table_of(ChannelSpec, "bare", **{**ok, "handling_days": E(30.0)})
    with pytest.raises(ValueError, match="must hold the default"):
        table_of(ChannelSpec, "outside", **{**ok, "staff_per_100k": E(30.0, range=(1.0, 10.0))})
    with pytest.raises(ValueError, match="give every field"):
        table_of(ChannelSpec, "short", staff_per_100k=E(3.0, range=(1.0, 10.0)))


def test_uncertainties_toml_ships_every_assumption():
    from tools.write_uncertainties import assumptions, render

    keys = assumptions()
    assert {f"effects.{n}" for n, f in EffectsSpec.model_fields.items()
            if "range" in (f.json_schema_extra or {})} <= set(keys)
    assert {"parties.group_petition_propensity", "channels.court_propensity", "channels.centre.staff_per_100k",
            "channels.petition_office.settle_intercept", "channels.court.settle_intercept"} <= set(keys)
    assert "channels.court.staff_per_100k" not in keys  # sourced, not an assumption
    assert all(lo < hi for lo, hi in keys.values())  # Morris needs a valid interval for every parameter
    assert (ROOT / "experiments" / "uncertainties.toml").read_text(encoding="utf-8") == render(), (
        "experiments/uncertainties.toml is stale: run .venv/bin/python tools/write_uncertainties.py")
