"""/api/docs/ in real headless Chromium: Swagger UI loads from our own static files
under CSP `script-src 'self'` with no console error, lists the endpoints, and its
"Try it out" calls the API with the signed-in session."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.services import require_chromium, sync_playwright
from tests.support.api_support import fast_password_hashing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]
__all__ = ["fast_password_hashing"]  # autouse fixture


@pytest.fixture
def page(live_server, monkeypatch):
    executable = require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright next to the live server thread

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--headless", "--no-sandbox", "--disable-gpu"])
        tab = browser.new_page()
        tab.errors = []
        tab.on("console", lambda msg: msg.type == "error" and tab.errors.append(msg.text))
        tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        yield tab
        browser.close()


def test_swagger_ui_renders_and_tries_a_call(page, live_server) -> None:
    UserFactory(username="reader", role="viewer")
    page.goto(f"{live_server.url}/login/?next=/api/docs/")
    page.fill("input[name=username]", "reader")
    page.fill("input[name=password]", "pw-for-tests-only")
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_url("**/api/docs/**")
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    records = ("squads", "releases", "changes", "incidents", "defects", "customer-responses", "time-allocations")
    for name in records:
        assert f"/api/{name}/" in {p.replace("\u200b", "") for p in paths}
    # Records are never deleted through the API (alert rules and subscriptions may be).
    deletable = page.locator(".opblock-delete .opblock-summary-path").all_inner_texts()
    assert deletable, "the docs list the DELETE operations there are"
    assert not [p for p in deletable if p.replace("\u200b", "").split("/")[2] in records]

    catalog = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text="/api/catalog/"))
    catalog.locator(".opblock-summary").click()
    catalog.locator(".try-out__btn").click()
    catalog.locator(".execute").click()
    status = catalog.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=30_000)
    assert status.inner_text().strip() == "200"
    assert "uptime_pct" in catalog.locator(".live-responses-table .microlight").first.inner_text()
    assert page.errors == []
