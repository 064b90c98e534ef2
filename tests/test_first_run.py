"""The Quick start on a fresh clone, exactly as the README writes it: `bin/start`.

The repository is cloned into a scratch folder (what CI's checkout and a new user's clone are:
committed files only, no collected static files, no database), `bin/start` runs there on the
embedded default (SQLite, tasks in-process) with the already-installed venv (PRODUCTOPS_VENV) on a
free port (PORT), and headless Chromium signs in with the demo password the start printed, then
opens the org overview, the admin and the API docs: every request answered (no 4xx/5xx, nothing
failed), no console error, the charts drawn. Static files come compressed, hashed names cached for
good. A second start of the same clone prints the demo sign-ins again.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import free_port, require, require_chromium

# one clone and one start for both tests: the same test process must run them (bin/test: loadgroup)
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("fresh-clone")]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Variables of this test run that must not leak into the user's first run (embedded default).
NOT_INHERITED = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "REDIS_URL",
    "DJANGO_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PYTEST_CURRENT_TEST",
    "PRODUCTOPS_VENV",
    "PORT",
}
START_TIMEOUT = 600  # seconds: migrate + seed (24 squads, 2 years) + rollup + collectstatic, on a busy CI box


class Start:
    """`bin/start` running in `clone`, its output in a log file; stopped with its process group."""

    def __init__(self, clone: Path, port: int) -> None:
        self.clone, self.port = clone, port
        self.log = clone.parent / f"start-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env.update({"PRODUCTOPS_VENV": sys.prefix, "PORT": str(port)})
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                ["bin/start"],
                cwd=clone,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: runserver's reloader child stops with it
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"bin/start exited with {self.process.returncode}:\n{self.output()[-4000:]}")
            with socket.socket() as sock:
                sock.settimeout(1)
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(1)
        pytest.fail(f"bin/start did not serve within {START_TIMEOUT}s:\n{self.output()[-4000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)

    def demo_passwords(self) -> dict[str, str]:
        """username → password from the 'Demo users' block bin/start printed."""
        text = self.output()
        assert "Demo users (username / password):" in text, text[-4000:]
        block = text.split("Demo users (username / password):", 1)[1]
        return dict(re.findall(r"^  (\w+)\s+(\S+)", block, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(subprocess.run(["git", "--version"], capture_output=True).returncode == 0, "git")
    target = tmp_path_factory.mktemp("fresh") / "productops"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True, timeout=120)
    assert not (target / "staticfiles").exists()
    assert not (target / "db.sqlite3").exists()
    return target


@pytest.fixture(scope="module")
def started(clone: Path) -> Iterator[Start]:
    start = Start(clone, free_port())
    try:
        start.wait_until_serving()
        yield start
    finally:
        start.stop()


class Visit:
    """A Chromium tab recording every failed or 4xx/5xx response and every console error."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1440, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.problems: list[str] = []
        self.static: list = []
        self.page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"))
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        self.page.on("response", self._response)

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} {response.url}")
        if "/static/" in response.url:
            self.static.append(response)

    def sign_in(self, username: str, password: str) -> None:
        self.page.goto(f"{self.base}/")
        assert "/login/" in self.page.url
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("form[action='/login/'] button[type=submit]")
        self.page.wait_for_load_state("load")
        assert "/login/" not in self.page.url, f"{username} could not sign in with the printed password"


def test_quick_start_on_a_fresh_clone_serves_a_working_product(started: Start) -> None:
    executable = require_chromium()
    passwords = started.demo_passwords()
    assert set(passwords) == {"viewer", "pm", "ops", "admin"}
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        visit = Visit(browser, f"http://127.0.0.1:{started.port}")
        visit.sign_in("admin", passwords["admin"])
        page = visit.page
        # the org overview, styled and with every chart drawn as Plotly SVG
        assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")
        expected = page.locator("div.chart[data-figure]").count()
        assert expected >= 4
        page.wait_for_function(
            "n => document.querySelectorAll('div.chart[data-figure] .main-svg').length >= n",
            arg=expected,
            timeout=30000,
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "first-run-overview.png"))
        # every other page, drawn: a squad (from the heatmap), a metric, customers, time, review, a record
        squad = page.locator("table.heatmap tbody th a").first.get_attribute("href")
        for path in [squad, "/metrics/uptime_pct/", "/customers/", "/time/", "/review/"]:
            page.goto(f"{visit.base}{path}")
            charts = page.locator("div.chart[data-figure]").count()
            assert charts >= 1, path
            page.wait_for_function(
                "n => document.querySelectorAll('div.chart[data-figure] .main-svg').length >= n",
                arg=charts,
                timeout=30000,
            )
            if path == squad:
                record = page.locator("#records a[href^='/records/']").first.get_attribute("href")
        page.goto(f"{visit.base}{record}")
        assert page.locator("table.record").count() == 1
        # the admin (its own CSS and JS) and Swagger UI (the sidecar's assets)
        page.goto(f"{visit.base}/admin/")
        page.wait_for_load_state("load")
        assert page.evaluate("getComputedStyle(document.querySelector('#header')).display") == "flex"
        page.goto(f"{visit.base}/api/docs/")
        page.wait_for_selector(".swagger-ui .info .title", timeout=30000)
        page.screenshot(path=str(SHOTS / "first-run-api-docs.png"))
        assert visit.problems == []
        # compressed, and cached for good under a content-hashed name
        plotly = [r for r in visit.static if "plotly-cartesian" in r.url]
        assert plotly
        assert re.search(r"plotly-cartesian\.min\.[0-9a-f]{12}\.js$", plotly[0].url)
        headers = plotly[0].all_headers()
        assert headers.get("content-encoding") in {"br", "gzip"}
        assert "immutable" in headers.get("cache-control", "")
        assert all(r.status in {200, 304} for r in visit.static)
        browser.close()


def test_every_start_prints_the_demo_sign_ins(started: Start) -> None:
    first = started.demo_passwords()
    started.stop()
    again = Start(started.clone, free_port())
    try:
        again.wait_until_serving()
        assert "nothing seeded" in again.output()  # the second start keeps the data …
        assert again.demo_passwords() == first  # … and still tells how to sign in
        assert "Collecting static files" not in again.output()  # nothing changed: not collected again
    finally:
        again.stop()
