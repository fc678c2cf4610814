"""The comparison and optimisation reports opened in headless Debian chromium: the answer is on the first
screen, nothing runs off the page, and a screenshot of each is kept in tests/artifacts/ (a CI artifact)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govsim.analysis.compare import compare_runs
from govsim.analysis.report import write_comparison_report

from govsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREEN = {"width": 1280, "height": 800}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Debian's chromium is missing on CI (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def _comparison_report(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for s, e, c in (("baseline", 0.0, 2014.0), ("street_empowerment", 0.03, 2086.0), ("hotline_response", 0.01, 2020.0),
                    ("fengqiao_full", 0.05, 2776.0)):
        for r in range(8):
            rows.append({"scenario": s, "replicate": r, "seed": 100 + r, "cost": c,
                         "mean_trust": 0.6 + e + rng.normal(0, 0.005),
                         "share_left_city": max(0.0, 0.02 - e / 5 + rng.normal(0, 0.001)),
                         "mean_resolution_days": 14 - 60 * e + rng.normal(0, 0.3),
                         "issues_arisen": 5000 + rng.normal(0, 50)})
    runs = pd.DataFrame(rows)
    cmp = compare_runs(runs, ["share_left_city", "mean_resolution_days", "mean_trust", "issues_arisen", "cost"],
                       n_boot=300)
    return write_comparison_report(cmp, runs, None, folder, {"git_commit": "abc123"})


def _optimize_report(folder: Path) -> Path:
    tiny = ["--set", "search.population=6", "--set", "search.generations=2", "--set", "uncertainties.ensemble=2",
            "--set", "experiment.replicates=1", "--set", "experiment.days=20", "--fixed", "world.population=300"]
    assert main(["optimize", str(ROOT / "experiments" / "best_package.toml"), "--out", str(folder),
                 "--executor", "serial", "-q", *tiny]) == 0
    return folder / "report.html"


@pytest.mark.parametrize("kind", ["comparison", "optimize"])
def test_report_leads_with_the_answer_in_a_browser(tmp_path, chromium, kind):
    from playwright.sync_api import sync_playwright

    path = _comparison_report(tmp_path) if kind == "comparison" else _optimize_report(tmp_path / "bp")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=SCREEN)
            page.goto(path.resolve().as_uri())
            answer = page.locator(".answer h2").first
            assert answer.inner_text() == "The answer"
            assert answer.bounding_box()["y"] < SCREEN["height"] / 2  # the answer opens the page
            table = page.locator(".answer table").first
            assert table.bounding_box()["y"] < SCREEN["height"]  # ... and its table is on the first screen
            prov = page.locator("h2", has_text="Provenance")
            assert prov.bounding_box()["y"] > page.locator(".answer").bounding_box()["y"]
            # nothing runs off the page sideways (wide tables scroll inside their own box)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            body = page.inner_text("body")
            assert "万元" in body and "e-0" not in body.split("Provenance")[0]
            page.screenshot(path=str(ARTIFACTS / f"{kind}-report-first-screen.png"))
            page.screenshot(path=str(ARTIFACTS / f"{kind}-report.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / f"{kind}-report.png").stat().st_size > 10_000
