"""Bets in real headless Chromium: ops creates a bet through the page form, sees its verdict and
charts drawn under the strict CSP, then follows the bet's start marker from a squad's trend chart
back to the bet."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from bets.models import Bet
from metrics.demo.users import DEMO_USERS
from tests.dashboards.conftest import _chromium, browser, demo_org  # noqa: F401  (fixtures)
from tests.dashboards.test_browser import SHOTS, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

VERDICTS = {"improved", "worsened", "no clear effect", "too early"}


@pytest.mark.slow
def test_create_a_bet_see_the_verdict_and_follow_its_marker(live_server, demo_org, browser):  # noqa: F811
    passwords = {u.username: u.password for u in DEMO_USERS}
    session = Session(browser, live_server.url, "ops", passwords["ops"])
    page = session.page
    treated = demo_org[2]
    start = timezone.now().date() - dt.timedelta(weeks=12)

    page.goto(f"{live_server.url}/bets/")
    page.click("a:has-text('New bet')")
    page.fill("input[name=title]", "Trunk-based development")
    page.fill("textarea[name=hypothesis]", "Small daily merges ship more often.")
    page.select_option("select[name=kind]", "process_change")
    page.select_option("select[name=treatment_squads]", [treated.slug])
    page.fill("input[name=start]", start.isoformat())
    page.select_option("select[name=metric_1]", "releases")
    page.select_option("select[name=direction_1]", "higher")
    page.select_option("select[name=metric_2]", "incidents")
    page.select_option("select[name=direction_2]", "lower")
    page.click("form.bet-form button[type=submit]")
    page.wait_for_load_state("load")

    bet = Bet.objects.get()
    assert urlparse(page.url).path == f"/bets/{bet.pk}/"
    assert session.charts_drawn() == 2  # one per target KPI
    chips = page.locator("section.effect [data-verdict]")
    assert chips.count() == 2
    assert {chips.nth(i).get_attribute("data-verdict") for i in range(2)} <= VERDICTS
    assert page.locator("p.verdict-words").first.inner_text().split(":")[0].lower() in VERDICTS
    assert "weeks before" in page.locator("p.estimate").first.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "bet-detail-ops.png"), full_page=True)

    page.goto(f"{live_server.url}/bets/")
    assert page.locator("table.bets .verdict-chip").count() >= 2

    # the treated squad's velocity trends carry the bet's start; its label links to the bet
    page.goto(f"{live_server.url}/squads/{treated.slug}/?grain=week")
    session.charts_drawn()
    marker = page.locator("#family-velocity div.chart svg a", has_text="bet: Trunk-based development")
    assert marker.count() == 1
    page.screenshot(path=str(SHOTS / "squad-with-bet-marker-ops.png"), full_page=True)
    # a reader clicks the marker's label box (it sits over the link text)
    label = page.locator("#family-velocity g.annotation").filter(has_text="bet: Trunk-based development")
    label.locator("rect.bg").click()
    page.wait_for_load_state("load")
    assert urlparse(page.url).path == f"/bets/{bet.pk}/"
    session.charts_drawn()
    assert session.errors == [], session.errors
