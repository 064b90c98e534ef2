"""When the tool misbehaves: 401/403, 429 + Retry-After, rate-limit headers at zero,
5xx, timeouts, garbage. Against the fake PagerDuty (the HTTP layer is shared by all kinds)."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from metrics.models import Incident
from sources.models import Source
from sources.sync import sync_source
from tests.sources.fake_pagerduty import pd_incident


def _page_of(fake_pd, n: int = 7) -> None:
    fake_pd.add(*[pd_incident(f"Q{i}", created_at=f"2026-01-0{1 + i}T10:00:00Z") for i in range(n)])


def test_401_marks_the_source_failing_with_the_reason_and_writes_nothing(pd_source, fake_pd, waits):
    _page_of(fake_pd)
    fake_pd.token = "rotated"  # our token is no longer valid
    report = sync_source(pd_source, full=True)
    assert not report.ok
    assert report.requests == 1
    pd_source.refresh_from_db()
    assert pd_source.failing
    assert pd_source.last_error.startswith("credentials refused: 401 Unauthorized")
    assert "Unauthorized" in pd_source.last_error
    assert "pd-token" not in pd_source.last_error
    assert not Incident.objects.exists()
    assert waits == []  # no retrying a refusal


def test_403_is_a_refusal_too_and_other_sources_still_run(pd_source, fake_pd, jira_source, fake_jira, waits):
    from tests.sources.fake_jira import jira_issue

    fake_jira.issues.append(jira_issue("PAY-1"))
    fake_pd.fault("/incidents", 403, body={"error": {"message": "Access Denied", "code": 2010}})
    with pytest.raises(CommandError, match="failed: pd"):
        call_command("sync_sources", "--full")
    pd_source.refresh_from_db()
    jira_source.refresh_from_db()
    assert pd_source.failing
    assert "403 Forbidden" in pd_source.last_error
    assert "Access Denied" in pd_source.last_error
    assert not jira_source.failing
    assert jira_source.last_created == 1


def test_429_waits_as_retry_after_says_then_goes_on(pd_source, fake_pd, waits):
    _page_of(fake_pd)
    fake_pd.fault("/incidents", 429, headers={"Retry-After": "7"}, body={"error": {"message": "Rate Limit"}})
    report = sync_source(pd_source, full=True)
    assert report.ok
    assert report.created == 7
    assert waits == [7.0]


def test_rate_limit_header_at_zero_waits_until_the_reset(pd_source, fake_pd, waits, monkeypatch):
    _page_of(fake_pd)
    monkeypatch.setattr("sources.http.now", lambda: 1_000_000.0)
    fake_pd.fault(
        "/incidents",
        403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000030"},
        body={"message": "API rate limit exceeded"},
    )
    report = sync_source(pd_source, full=True)
    assert report.ok
    assert report.created == 7
    assert waits == [30.0]


def test_a_rate_limit_longer_than_the_bound_fails_the_run_instead_of_sleeping(pd_source, fake_pd, waits):
    _page_of(fake_pd)
    fake_pd.fault("/incidents", 429, headers={"Retry-After": "3600"})
    report = sync_source(pd_source, full=True)
    assert not report.ok
    assert "rate limited for 3600 s" in report.error
    assert waits == []


def test_502_is_retried_with_backoff_then_goes_on(pd_source, fake_pd, waits):
    _page_of(fake_pd)
    fake_pd.fault("/incidents", 502, body=b"<html>Bad Gateway</html>", times=2)
    report = sync_source(pd_source, full=True)
    assert report.ok
    assert report.created == 7
    assert waits == [0.5, 1.0]


def test_persistent_502_fails_the_run_and_keeps_the_committed_pages(pd_source, fake_pd, waits, monkeypatch):
    monkeypatch.setattr("sources.tools.pagerduty.PAGE_SIZE", 3)
    _page_of(fake_pd)  # one window: pages at offsets 0, 3, 6
    fake_pd.add(pd_incident("FEB", created_at="2026-02-15T10:00:00Z"))  # in the next window
    fake_pd.faults.clear()

    original = fake_pd.handle

    def handle(request):
        if request.arg("offset") == "3":
            from tests.sources.fakes import Reply

            return Reply(502, b"bad gateway")
        return original(request)

    fake_pd.handle = handle
    report = sync_source(pd_source, full=True)
    assert not report.ok
    assert "502" in report.error
    assert "3 times" in report.error
    assert waits == [0.5, 1.0]
    assert Incident.objects.count() == 3  # the first page, committed
    pd_source.refresh_from_db()
    assert pd_source.failing
    assert pd_source.cursor == {"since": "2026-01-03T10:00:00Z"}  # the last committed item

    fake_pd.handle = original  # the tool recovers: the next run resumes at the cursor
    again = sync_source(pd_source)
    assert again.ok
    assert again.created == 5
    assert again.unchanged == 1
    assert Incident.objects.count() == 8


def test_a_timeout_is_retried_then_fails_the_run(pd_source, fake_pd, waits, settings):
    settings.SOURCES_HTTP = {**settings.SOURCES_HTTP, "timeout": 0.2, "retries": 1}
    original = fake_pd.handle

    def slow(request):
        time.sleep(0.5)
        return original(request)

    fake_pd.handle = slow
    report = sync_source(pd_source, full=True)
    assert not report.ok
    assert report.error.startswith("timed out 2 times")
    assert waits == [0.5]


def test_a_page_that_is_not_json_fails_the_run_without_writing(pd_source, fake_pd, waits):
    _page_of(fake_pd)
    fake_pd.fault("/incidents", 200, headers={"Content-Type": "text/html"}, body=b"<html>maintenance</html>")
    report = sync_source(pd_source, full=True)
    assert not report.ok
    assert "is not JSON" in report.error
    assert "maintenance" in report.error
    assert not Incident.objects.exists()


def test_status_lists_failing_sources_and_exits_non_zero(pd_source, fake_pd, waits, capsys):
    fake_pd.token = "rotated"
    sync_source(pd_source, full=True)
    with pytest.raises(CommandError, match="failing: pd"):
        call_command("sync_sources", "--status")
    out = capsys.readouterr().out
    assert "pd (pagerduty): FAILING" in out
    assert "credentials refused: 401" in out
    Source.objects.filter(pk=pd_source.pk).update(last_error_at=None)
    call_command("sync_sources", "--status", "--source", "pd")  # exits 0 once it is not failing


def test_an_answer_larger_than_the_bound_fails_the_run_instead_of_filling_memory(pd_source, fake_pd, waits, settings):  # noqa: E501
    settings.SOURCES_HTTP = {**settings.SOURCES_HTTP, "max_body": 10_000}
    _page_of(fake_pd)
    fake_pd.fault("/incidents", 200, body=b'{"incidents": [' + b'{"id": "X"},' * 5000 + b"{}]}")
    report = sync_source(pd_source, full=True)
    assert not report.ok
    assert "larger than 10,000 bytes" in report.error
    assert not Incident.objects.exists()
