"""Golden outputs: refactors of the model must not change what a seed gives.

``tests/golden/runs.json`` holds, for a handful of scenarios that between them switch on every lever,
shock and programme, the SHA-256 of the run's summary and of its daily table. A change that is
meant to alter outputs (a bug fixed, a mechanism added) regenerates the file in the same commit and
says why in the message::

    .venv/bin/python tests/test_golden.py --write
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from govsim.sim.model import simulate
from govsim.sim.scenario import apply_overrides, load_scenario

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).with_name("golden") / "runs.json"
SMALL = {"world.population": 6000, "run.days": 240}
CASES = {
    "baseline": ("baseline.toml", 11, {}),
    "fengqiao_full": ("fengqiao_full.toml", 12, {}),
    "tacitus_trap": ("tacitus_trap.toml", 13, {}),
    "demolition_shock": ("demolition_shock.toml", 14, {}),
    "smart_governance": ("smart_governance.toml", 15, {}),
    "austerity": ("austerity.toml", 16, {}),
    "corruption_scandal": ("corruption_scandal.toml", 17, {}),
    "all_levers": ("baseline.toml", 18, {
        "policy.street_empowerment": 0.6, "policy.street_refocus": 0.5, "policy.party_member_return": 0.5,
        "policy.building_heads": 0.7, "policy.party_building_alliance": 0.6, "policy.red_property": 0.5,
        "policy.data_sharing": 0.7, "policy.conflict_centre": 0.5, "policy.early_warning": 0.6,
        "policy.hotline_response": True,
        "policy.rule_of_law": 0.5, "policy.moral_governance": 0.5, "policy.self_governance": 0.5,
        "policy.secretary_projects": 4, "policy.grassroots_corruption": 0.2,
    }),
}


def digest(name: str) -> dict[str, str]:
    """The summary's and the daily table's SHA-256 for one golden case."""
    file, seed, overrides = CASES[name]
    spec = apply_overrides(load_scenario(ROOT / "scenarios" / file), {**SMALL, **overrides})
    summary, ts = simulate(spec, rng=seed, timeseries=True)
    s = json.dumps({k: float(v) for k, v in sorted(summary.items())}, sort_keys=True).encode()
    t = pd.util.hash_pandas_object(ts.reindex(sorted(ts.columns), axis=1), index=True).to_numpy().tobytes()
    return {"summary": hashlib.sha256(s).hexdigest(), "timeseries": hashlib.sha256(t).hexdigest()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_match_golden(name: str) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert digest(name) == expected[name], f"{name}: outputs changed; if intended, regenerate with --write"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_golden.py --write")
    GOLDEN.write_text(json.dumps({n: digest(n) for n in sorted(CASES)}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
