"""``govsim bench --quick`` end to end: it runs, prints every row and writes its JSON.

No timing is asserted: benchmarks report figures, they never fail because a machine is slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_quick_prints_the_table(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    res = subprocess.run(
        [sys.executable, "-m", "govsim.cli", "bench", "--quick", "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False,  # a hang guard, not a timing check
    )
    assert res.returncode == 0, res.stderr[-3000:]
    text = res.stdout
    for row in (
        "govsim bench --quick",
        "floor build (10,000 agents)", "floor run (60 steps)", "floor total",
        "govsim build (10,000 residents)", "govsim run (60 days)", "govsim total",
        "ratio govsim / floor (total)", "ratio govsim / floor (run only)",
        "5,000 residents × 90 d", "10,000 residents × 90 d", "20,000 residents × 90 d",
        "1M residents × 365 d", "skipped",
        "serial (4 runs)", "parallel (2 processes)", "parallel efficiency",
    ):
        assert row in text, f"missing row {row!r} in:\n{text}"

    rep = json.loads(out.read_text(encoding="utf-8"))
    assert rep["quick"] is True
    assert [p["residents"] for p in rep["scaling"]] == [5_000, 10_000, 20_000]
    for p in rep["scaling"]:
        assert p["issues"] > 0 and p["peak_mb"] > 0 and p["total_s"] > 0
    assert rep["govsim"]["issues"] > 0 and rep["floor"]["total_s"] > 0
    assert rep["sweeps"]["runs"] == 4 and rep["sweeps"]["efficiency"] > 0
    # quick mode leaves the repository's docs alone
    assert "plot_file" not in rep and rep["profile_file"] is None
