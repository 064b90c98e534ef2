"""Reviews in real headless Chromium, signed in through the login form: an ops user starts a review
from the review pack and freezes one; the squad PM adds a note and an action item to their squad's
review and is refused on another squad's; a viewer reads it (and its print layout).
Screenshots go to artifacts/screenshots/reviews-*.png."""

from __future__ import annotations

import pytest

from alerts.models import Alert, AlertRule
from metrics.demo.users import DEMO_USERS
from reviews.kpi_reads import latest_complete_period
from reviews.models import ActionItem, Note, Review
from tests.dashboards.conftest import _chromium, browser, demo_org  # noqa: F401  (fixtures)
from tests.dashboards.test_browser import SHOTS, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]
PASSWORDS = {u.username: u.password for u in DEMO_USERS}


def _shot(session: Session, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    session.page.screenshot(path=str(SHOTS / f"reviews-{name}.png"), full_page=True)


@pytest.mark.slow
def test_review_lifecycle_by_role(live_server, demo_org, browser) -> None:  # noqa: F811
    from django.utils import timezone

    own, other = demo_org[0], demo_org[3]  # the demo PM manages the first two squads
    period = latest_complete_period("month", timezone.now().date()).isoformat()

    # --- ops: start a review from the pack, and one per squad; freeze the PM's squad's review
    ops = Session(browser, live_server.url, "ops", PASSWORDS["ops"])
    page = ops.page
    ops.open("/review/?grain=month", "pack-ops")
    page.click("a.start-review")
    page.wait_for_load_state("load")
    assert page.locator("#start input[name=scope]").input_value() == "org"
    assert page.locator("#start select[name=grain]").input_value() == "month"
    page.click("#start button[type=submit]")
    page.wait_for_load_state("load")
    assert "/reviews/" in page.url
    assert "Review created." in page.content()
    for squad in (own, other):
        page.goto(f"{live_server.url}/reviews/?scope=squad:{squad.slug}&grain=month&period_start={period}")
        page.fill("#start input[name=title]", f"{squad.name} monthly review")
        page.click("#start button[type=submit]")
        page.wait_for_load_state("load")
    own_review = Review.objects.get(scope=f"squad:{own.slug}")
    other_review = Review.objects.get(scope=f"squad:{other.slug}")
    page.goto(f"{live_server.url}/reviews/{own_review.pk}/")
    page.click("#freeze")
    page.wait_for_load_state("load")
    assert "Frozen: these values will not change." in page.content()
    assert page.locator(".badge.frozen").count() == 1
    _shot(ops, "frozen-ops")
    assert ops.errors == []
    ops.context.close()
    own_review.refresh_from_db()
    assert own_review.frozen_at is not None
    assert own_review.frozen_values.count() > 10

    # --- PM: note and action item on their squad's review
    pm = Session(browser, live_server.url, "pm", PASSWORDS["pm"])
    page = pm.page
    page.goto(f"{live_server.url}/reviews/{own_review.pk}/")
    page.select_option("#note-form select[name=metric]", "change_failure_rate")
    page.fill("#note-form textarea[name=text]", "Two rollbacks came from one flaky migration.")
    page.click("#note-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "Two rollbacks came from one flaky migration." in page.locator("#kpi-change_failure_rate").inner_text()
    page.fill("#item-form input[name=title]", "Add a migration dry-run to the pipeline")
    page.fill("#item-form input[name=due]", "2027-01-15")
    page.select_option("#item-form select[name=metrics]", ["change_failure_rate"])
    page.click("#item-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "Add a migration dry-run to the pipeline" in page.locator("#items").inner_text()
    _shot(pm, "own-squad-pm")
    # ... and refused on another squad's review: no forms, and a crafted POST is turned down
    page.goto(f"{live_server.url}/reviews/{other_review.pk}/")
    assert page.locator("#note-form").count() == 0
    assert page.locator("#item-form").count() == 0
    token = next(c["value"] for c in pm.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"{live_server.url}/reviews/{other_review.pk}/notes/",
        form={"text": "sneaky", "csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
    )
    assert refused.ok
    assert "Not allowed" in refused.text()
    assert not Note.objects.filter(review=other_review).exists()
    page.goto(f"{live_server.url}/reviews/{other_review.pk}/")
    _shot(pm, "other-squad-pm")
    assert pm.errors == []
    pm.context.close()

    # --- viewer: reads everything, writes nothing; the print layout hides the forms
    viewer = Session(browser, live_server.url, "viewer", PASSWORDS["viewer"])
    page = viewer.page
    page.goto(f"{live_server.url}/reviews/{own_review.pk}/")
    text = page.content()
    assert "Two rollbacks came from one flaky migration." in text
    assert "Add a migration dry-run to the pipeline" in text
    assert page.locator("form").count() == 1  # only the sign-out form
    _shot(viewer, "read-viewer")
    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden()
    _shot(viewer, "print-viewer")
    page.emulate_media(media="screen")
    # the in-app alert list: an alert fired on the PM's squad, acknowledged with the button
    rule = AlertRule.objects.create(
        metric="change_failure_rate", scope=f"squad:{own.slug}", grain="month", condition="above", threshold=5
    )
    alert = Alert.objects.create(
        rule=rule,
        metric="change_failure_rate",
        scope=f"squad:{own.slug}",
        grain="month",
        period_start=own_review.period_start,
        event="start",
        value=12.5,
        sample_size=8,
        created_at=timezone.now(),
    )
    page.goto(f"{live_server.url}/alerts/")
    assert "Change failure rate is above 5.0 %: 12.5 % (n=8)" in page.content()
    page.click(f"#alert-{alert.pk} button[type=submit]")
    page.wait_for_load_state("load")
    assert "acknowledged by viewer" in page.locator(f"#alert-{alert.pk}").inner_text()
    _shot(viewer, "alerts-viewer")
    assert viewer.errors == []
    viewer.context.close()
    assert ActionItem.objects.filter(review=own_review, owner__username="pm").count() == 1
