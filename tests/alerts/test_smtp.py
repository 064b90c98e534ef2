"""Alerts and the weekly digest go out through a real SMTP server on loopback (aiosmtpd), and
the messages it received are read back: subject, recipients, the numbers, working links.

Hand-worked (frozen now Friday 2026-03-20; target CFR ≤ 10 %, at risk to 12.5 %):
- alpha January: 5 ok → CFR 0 % (on track), deploys/week 5 / (31/7) = 1.129;
- alpha February: 3 ok + 2 rolled back → CFR 40 % (off track), deploys/week 5 / (28/7) = 1.25 (+10.7 %);
- alpha March: 5 ok + 2 rolled back → CFR 200/7 = 28.6 % on 7 releases → the "above 20" alert starts.
"""

from __future__ import annotations

import email
import threading
from email.message import Message
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from alerts.digest import send_digests
from alerts.services import create_rule
from metrics.models import Target
from reviews.services import create_action_item, create_review
from tests.reviews.org import NOW, releases, run_rollup
from tests.services import free_port

pytestmark = pytest.mark.django_db


class Inbox:
    """An aiosmtpd handler that keeps every message it is handed."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        with self.lock:
            self.received.append(
                (envelope.mail_from, list(envelope.rcpt_tos), email.message_from_bytes(envelope.original_content))
            )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1; the default mailer points at it (as EMAIL_URL=smtp://… would)."""
    from productops.email_url import mailers_setting

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = mailers_setting(f"smtp://127.0.0.1:{port}")
    settings.SITE_URL = "http://testserver"
    settings.KPI_ROLLUP_ON_COMMIT = False
    try:
        yield inbox
    finally:
        controller.stop()


def _body(message: Message) -> str:
    return message.get_payload(decode=True).decode()


def _links(body: str) -> list[str]:
    return [word for word in body.split() if word.startswith("http://testserver/")]


def _assert_links_work(client, body: str) -> None:
    links = _links(body)
    assert links
    for link in links:
        parts = urlsplit(link)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        assert client.get(path).status_code == 200, link


def test_alert_emails_reach_the_rule_subscribers(
    smtp, users, squad_a, client_for, django_capture_on_commit_callbacks
) -> None:
    create_rule(
        user=users["ops"],
        metric="change_failure_rate",
        scope="squad:alpha",
        grain="month",
        condition="above",
        threshold=20,
        subscribers=["pm_alpha", "ops"],
    )
    releases(squad_a, 3, ok=5)
    run_rollup("full", django_capture_on_commit_callbacks)
    assert smtp.received == []
    releases(squad_a, 3, failed=2)
    run_rollup("incremental", django_capture_on_commit_callbacks)

    assert sorted(rcpt for _, rcpts, _ in smtp.received for rcpt in rcpts) == [
        "ops@example.com",
        "pm_alpha@example.com",
    ]
    for sender, rcpts, message in smtp.received:
        assert message["Subject"] == "[productops] alert: change_failure_rate squad:alpha month 2026-03-01"
        assert message["To"] == rcpts[0]  # one message per subscriber: nobody sees the others' addresses
        assert "productops@localhost" in sender
        body = _body(message)
        assert "Change failure rate is above 20.0 %: 28.6 % (n=7)" in body
        _assert_links_work(client_for(users["viewer"]), body)


def test_smtp_down_fails_nothing_and_the_next_rollup_sends(
    smtp, users, squad_a, settings, django_capture_on_commit_callbacks
) -> None:
    from alerts.models import Alert
    from productops.email_url import mailers_setting

    working = settings.MAILERS
    settings.MAILERS = mailers_setting(f"smtp://127.0.0.1:{free_port()}?timeout=2")  # nobody listens there
    create_rule(
        user=users["ops"],
        metric="change_failure_rate",
        scope="squad:alpha",
        grain="month",
        condition="above",
        threshold=20,
        subscribers=["ops"],
    )
    releases(squad_a, 3, ok=5, failed=2)
    run_rollup("full", django_capture_on_commit_callbacks)  # the send fails: logged, the rollup is fine
    [alert] = Alert.objects.all()
    assert alert.emailed_at is None
    assert smtp.received == []
    settings.MAILERS = working
    run_rollup("incremental", django_capture_on_commit_callbacks)  # nothing new fires; the mail goes out
    assert Alert.objects.count() == 1
    assert Alert.objects.get().emailed_at is not None
    assert [rcpts for _, rcpts, _ in smtp.received] == [["ops@example.com"]]
    run_rollup("incremental", django_capture_on_commit_callbacks)
    assert len(smtp.received) == 1  # never twice


def test_weekly_digest_through_smtp(
    smtp, users, squad_a, client_for, django_capture_on_commit_callbacks, settings
) -> None:
    settings.DIGEST_GRAIN = "month"
    Target.objects.create(metric="change_failure_rate", value=10.0, at_risk_margin_pct=25.0)
    releases(squad_a, 1, ok=5)
    releases(squad_a, 2, ok=3, failed=2)
    run_rollup("full", django_capture_on_commit_callbacks)
    review = create_review(
        user=users["ops"], title="Alpha February", scope="squad:alpha", grain="month", period_start="2026-02-01"
    )
    pm = users["pm"]
    due_soon = create_action_item(
        user=pm,
        review=review,
        title="Fix the rollback checklist",
        owner=pm,
        due="2026-03-24",
        metrics=["change_failure_rate"],
    )
    create_action_item(user=pm, review=review, title="Later thing", owner=pm, due="2026-04-30")

    assert send_digests(now=NOW) == 1  # only the PM follows a scope (their squad, by default)
    assert send_digests(now=NOW) == 0  # once per week, whatever reruns
    [(_, rcpts, message)] = smtp.received
    assert rcpts == ["pm_alpha@example.com"]
    assert message["Subject"] == "[productops] weekly digest: month of 2026-02-01"
    body = _body(message)
    assert "Change failure rate (squad alpha): on track -> off track, now 40.0 %" in body
    assert "Deploys per week (squad alpha): 1.13 -> 1.25 (+10.7 %)" in body
    assert "Fix the rollback checklist (due 2026-03-24, squad alpha)" in body
    assert "Later thing" not in body
    assert f"http://testserver/reviews/{review.pk}/#item-{due_soon.pk}" in body
    _assert_links_work(client_for(users["viewer"]), body)


def test_email_url_forms() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from productops.email_url import mailers_setting

    assert mailers_setting("")["default"]["BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    options = mailers_setting("smtp://bot%40acme:p%2Fw@mail.acme.test:2525?tls=1")["default"]["OPTIONS"]
    assert options == {
        "host": "mail.acme.test",
        "port": 2525,
        "username": "bot@acme",
        "password": "p/w",
        "use_ssl": False,
        "use_tls": True,
        "timeout": 10,
    }
    assert mailers_setting("smtps://mail.acme.test")["default"]["OPTIONS"]["port"] == 465
    for bad in ("ftp://x", "smtp://", "smtp://h:notaport", "smtps://h?tls=1"):
        with pytest.raises(ImproperlyConfigured):
            mailers_setting(bad)


def test_digest_schedule_is_monday_0800_utc_and_configurable() -> None:
    from django.conf import settings

    from productops.cron import crontab_from

    entry = settings.CELERY_BEAT_SCHEDULE["alerts-weekly-digest"]
    assert entry["task"] == "alerts.send_weekly_digests"
    schedule = entry["schedule"]
    assert schedule.day_of_week == {1}
    assert schedule.hour == {8}
    assert schedule.minute == {0}
    custom = crontab_from("30 7 * * 2", "DIGEST_CRON")
    assert custom.day_of_week == {2}
    assert custom.hour == {7}
    assert custom.minute == {30}
    assert "kpi-rollup-dirty" in settings.CELERY_BEAT_SCHEDULE  # the engine's entries are kept
