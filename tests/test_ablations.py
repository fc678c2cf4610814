"""Every capacity channel matters: switching it off changes an outcome (issue 14; docs/policies.md).

Paired replicates with common random numbers (the same seed with the channel on and off), 32 pairs in
the 20,000-resident baseline city (240 days), two-sided Wilcoxon signed-rank test, p < 0.01. The
channels and the table of effect sizes live in ``tools/capacity_ablations.py``.
"""

from __future__ import annotations

import pytest

from tools.capacity_ablations import ABLATIONS, run_ablations

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows():
    return {r["channel"]: r for r in run_ablations()}


@pytest.mark.parametrize("ablation", ABLATIONS, ids=[a.channel for a in ABLATIONS])
def test_switching_a_capacity_channel_off_changes_an_outcome(ablation, rows):
    r = rows[ablation.channel]
    assert r["p"] < 0.01, r
    assert r["effect"] != 0.0
