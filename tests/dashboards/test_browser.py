"""The dashboards in real headless Chromium: every role signs in through the login form,
opens every page, and the Plotly charts draw under the strict CSP without console errors.
Screenshots go to artifacts/screenshots/<page>-<role>.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from metrics.demo.users import DEMO_USERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


class Session:
    """One signed-in browser tab that records console errors and failed page scripts."""

    def __init__(self, browser, base_url: str, username: str, password: str) -> None:
        self.context = browser.new_context(viewport={"width": 1440, "height": 900})
        self.page = self.context.new_page()
        self.base = base_url
        self.errors: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))
        self.page.goto(f"{base_url}/")
        assert "/login/" in self.page.url  # login is required
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("form[action='/login/'] button[type=submit]")
        self.page.wait_for_load_state("load")
        assert "/login/" not in self.page.url, f"{username} could not sign in"

    def charts_drawn(self) -> int:
        """Wait until every chart div holds Plotly's SVG; return how many charts there are."""
        page = self.page
        expected = page.locator("div.chart[data-figure]").count()
        page.wait_for_function(
            "n => document.querySelectorAll('div.chart[data-figure] .main-svg').length >= n",
            arg=expected,
            timeout=15000,
        )
        for i in range(expected):
            assert page.locator("div.chart[data-figure]").nth(i).locator(".main-svg").count() >= 1
        return expected

    def open(self, path: str, shot: str) -> int:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None, path
        assert response.status == 200, path
        charts = self.charts_drawn()
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
        assert self.errors == [], f"console errors on {path}: {self.errors}"
        return charts


@pytest.mark.slow
def test_every_role_sees_every_page_drawn(live_server, demo_org, browser) -> None:
    squad = demo_org[0]
    area = squad.area.slug
    pages = {
        "overview": "/",
        "area": f"/areas/{area}/",
        "squad": f"/squads/{squad.slug}/",
        "metric": "/metrics/change_failure_rate/",
        "customers": "/customers/",
        "time": "/time/",
        "review": "/review/",
    }
    roles = {"viewer": "viewer", "pm": "pm", "ops": "ops", "admin": "admin"}
    passwords = {u.username: u.password for u in DEMO_USERS}
    for role, username in roles.items():
        session = Session(browser, live_server.url, username, passwords[username])
        for name, path in pages.items():
            charts = session.open(path, f"{name}-{role}")
            assert charts >= 1, f"{name} has no chart"
        session.context.close()


@pytest.mark.slow
def test_controls_and_heatmap_navigation(live_server, demo_org, browser) -> None:
    session = Session(browser, live_server.url, "viewer", dict((u.username, u.password) for u in DEMO_USERS)["viewer"])
    page = session.page
    session.open("/", "overview-controls-before")
    # change the grain and the range through the GET form
    page.select_option("form.controls select[name=grain]", "week")
    start = (timezone.now().date() - dt.timedelta(days=120)).isoformat()
    page.fill("form.controls input[name=from]", start)
    page.click("form.controls button[type=submit]")
    page.wait_for_load_state("load")
    query = parse_qs(urlparse(page.url).query)
    assert query["grain"] == ["week"]
    assert query["from"] == [start]
    assert session.charts_drawn() == 4  # one per family; support KPIs have no week grain
    assert "Latest complete week" in page.content()
    assert page.locator("form.controls select[name=grain]").input_value() == "week"
    # sort the heatmap by a KPI column, then follow a cell to the squad page
    page.click("table.heatmap thead th[title^='Change failure rate'] a")  # short header, full name in its title
    page.wait_for_load_state("load")
    assert parse_qs(urlparse(page.url).query)["sort"] == ["change_failure_rate"]
    cell = page.locator("table.heatmap tbody tr").first.locator("td a").first
    href = cell.get_attribute("href")
    cell.click()
    page.wait_for_load_state("load")
    assert urlparse(page.url).path == urlparse(href).path
    assert urlparse(page.url).path.startswith("/squads/")
    assert parse_qs(urlparse(page.url).query)["grain"] == ["week"]  # the controls travel with the link
    assert session.charts_drawn() == 4
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "squad-from-heatmap-viewer.png"), full_page=True)
    assert session.errors == []
