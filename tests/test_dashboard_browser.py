"""The dashboard end to end: ``govsim dashboard`` served, driven in headless Debian chromium by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from govsim.sim.policies import LEVERS

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EMPOWER = LEVERS["street_empowerment"].label

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """Skip without chromium; under CI=true fail instead (a failed install must not turn CI green)."""
    require_tool("Debian's chromium", CHROMIUM, "apt-get install chromium; .ci/run installs it")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    """``govsim dashboard`` on a free port of 127.0.0.1; killed (with its process group) afterwards."""
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "dashboard-server.log", "w")  # noqa: SIM115 - closed in the finally below
    env = {**os.environ, "GOVSIM_DASHBOARD_SCENARIO": ""}
    cmd = [sys.executable, "-c", "import sys; from govsim.cli import main; sys.exit(main())", "dashboard",
           "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                log.flush()
                pytest.fail(f"govsim dashboard exited with {proc.returncode}: "
                            f"{(ARTIFACTS / 'dashboard-server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - our own loopback server
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("govsim dashboard did not serve within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def _number(text: str, label: str) -> float:
    m = re.search(re.escape(label) + r": A (-?[0-9.e+-]+)", text)
    assert m, (label, text)
    return float(m.group(1))


def test_dashboard_in_a_real_browser(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1300})
            outside: list[str] = []
            local = (server, f"blob:{server}", "data:")  # blob: and data: URLs are the page's own images
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(local) else None)
            page.goto(server)
            status = page.locator(".govsim-status")
            expect(status).to_contain_text("Day 0 · preset 'baseline'", timeout=60_000)
            latest = page.locator(".govsim-latest")
            ladder = page.locator(".govsim-ladder")
            charts = page.locator("svg.govsim-chart")
            expect(charts).to_have_count(5)
            first_chart = charts.first.inner_html()
            ladder0 = ladder.inner_text()

            # step: the day, the charts and the ladder move on
            step = page.get_by_role("button", name="Step", exact=True)
            for day in range(1, 13):
                step.click()
                expect(status).to_contain_text(f"Day {day} ")
            expect(latest).to_contain_text("Day 12 — ")
            text = latest.inner_text()
            assert _number(text, "Open issues") > 0
            assert charts.first.inner_html() != first_chart
            assert "day 12" in charts.first.text_content()
            ladder12 = ladder.inner_text()
            assert ladder12 != ladder0
            settled = sum(int(n) for n in re.findall(r"\n(?:self-governance|community|street|district|city)\t\d+\t(\d+)",
                                                      ladder12))
            open_now = sum(int(n) for n in re.findall(r"\n[a-z -]+\t(\d+)\t", ladder12))
            assert settled + open_now > 0, ladder12

            # move a lever with the keyboard (End = its maximum), press Reset: the model was built with it
            slider = page.locator(".v-input", has=page.get_by_text(EMPOWER, exact=True)).locator("[role=slider]")
            slider.focus()
            slider.press("End")
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(status).to_contain_text("Day 0 ")
            expect(page.locator(".govsim-policy")).to_contain_text(f"{EMPOWER} = 1.00")

            # switch a preset: loaded at once, controls and status follow it
            page.locator(".v-select", has=page.get_by_text("Preset (scenarios/)")).click()
            page.locator(".v-menu__content .v-list-item", has_text="building_heads").click()
            expect(status).to_contain_text("preset 'building_heads'")
            expect(page.locator(".govsim-policy")).to_contain_text(f"{LEVERS['building_heads'].label} = 0.80")
            expect(page.locator(".govsim-policy")).to_contain_text(f"{EMPOWER} = 0.00")
            expect(slider).to_have_attribute("aria-valuenow", "0")  # the controls follow the preset
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(status).to_contain_text("Day 0 · preset 'building_heads'")
            expect(page.locator(".govsim-policy")).to_contain_text(f"{EMPOWER} = 0.00")
            for _ in range(5):
                step.click()
            expect(status).to_contain_text("Day 5 ")
            page.wait_for_timeout(300)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
            assert outside == [], f"the page fetched from outside 127.0.0.1: {outside[:5]}"
        finally:
            browser.close()
