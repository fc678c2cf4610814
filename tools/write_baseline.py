"""Regenerate scenarios/baseline.toml with every field explicit, from the scenario models' defaults.

Run: .venv/bin/python tools/write_baseline.py   (keeps values already set in the existing file)
"""

from __future__ import annotations

import sys
from pathlib import Path

from govsim.sim.scenario import ScenarioSpec, load_scenario
from govsim.sim.tomlio import dumps

HEADER = """# The baseline city: every field explicit. Units, ranges and sources: docs/scenario-reference.md
# (generated from sim/scenario.py and sim/policies.py) and docs/ODD.md.
"""


def main() -> None:
    """Write the baseline file (``--fresh``: from the models' defaults instead of the current file)."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
    spec = load_scenario(path) if path.exists() and "--fresh" not in sys.argv else ScenarioSpec()
    path.write_text(HEADER + "\n" + dumps(spec.to_dict()), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
