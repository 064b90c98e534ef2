"""`rollup_status`: last full and incremental run, dirty ranges waiting, failures; `--check` for alerting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from metrics.models import DirtyRange, RollupRun

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("rollup_status", *args, stdout=out)
    return out.getvalue()


def make_run(kind: str, status: str, started: datetime, seconds: float | None, written: int = 0, error: str = ""):
    return RollupRun.objects.create(
        kind=kind,
        status=status,
        started_at=started,
        finished_at=started + timedelta(seconds=seconds) if seconds is not None else None,
        snapshots_written=written,
        error=error,
    )


@pytest.fixture
def history() -> datetime:
    now = timezone.now()
    make_run("full", "succeeded", now - timedelta(hours=20), 12.5, written=4800)
    make_run("full", "failed", now - timedelta(hours=44), 3.0, error="OperationalError: server closed\nmore")
    make_run("incremental", "succeeded", now - timedelta(minutes=2), 0.25, written=96)
    make_run("incremental", "succeeded", now - timedelta(minutes=3), 0.5, written=12)
    make_run("incremental", "failed", now - timedelta(days=9), 1.0, error="old failure")
    for minutes_ago in (5, 1):
        row = DirtyRange.objects.create(scope="org", start=date(2026, 3, 1), end=date(2026, 3, 2))
        DirtyRange.objects.filter(pk=row.pk).update(created_at=now - timedelta(minutes=minutes_ago))
    return now


def test_json_reports_last_runs_dirty_ranges_and_failures(history) -> None:
    status = json.loads(run("--json"))
    full, incremental = status["last_full"], status["last_incremental"]
    assert (full["status"], full["duration_seconds"], full["snapshots_written"]) == ("succeeded", 12.5, 4800)
    assert abs(full["age_seconds"] - 20 * 3600) <= 60
    assert (incremental["status"], incremental["duration_seconds"], incremental["snapshots_written"]) == (
        "succeeded",
        0.2,  # 0.25 s rounded to one decimal
        96,
    )
    assert status["dirty_waiting"]["count"] == 2
    assert 5 * 60 - 60 <= status["dirty_waiting"]["oldest_age_seconds"] <= 5 * 60 + 60
    assert status["failures_last_7_days"] == 1
    assert [(f["kind"], f["error"]) for f in status["recent_failures"]] == [
        ("full", "OperationalError: server closed"),
        ("incremental", "old failure"),
    ]
    assert status["stale"] is False
    assert status["running"] == []


def test_text_output_names_each_fact(history) -> None:
    text = run()
    assert "last full:" in text
    assert "succeeded" in text
    assert "12.5 s" in text
    assert "4800 snapshots" in text
    assert "20 h ago" in text
    assert "last incremental:" in text
    assert "96 snapshots" in text
    assert "2 min ago" in text
    assert "dirty waiting:    2 ranges, oldest" in text
    assert "5 min ago" in text
    assert "failures (7 d):   1" in text
    assert "OperationalError: server closed" in text
    assert "more" not in text


def test_check_passes_when_fresh_and_the_latest_runs_succeeded(history) -> None:
    run("--check")  # no exception: exit status 0


def test_check_fails_when_the_latest_full_run_failed(history) -> None:
    make_run("full", "failed", timezone.now() - timedelta(minutes=1), 2.0, error="boom")
    with pytest.raises(CommandError, match="the last full rollup failed") as caught:
        run("--check")
    assert caught.value.returncode == 1


def test_empty_database_is_stale_and_shows_never(settings) -> None:
    text = run()
    assert "last full:        never" in text
    assert "last incremental: never" in text
    assert "STALE" in text
    assert "dirty waiting:    0 ranges" in text
    with pytest.raises(CommandError, match="stale"):
        run("--check")


def test_a_run_in_progress_is_listed_with_no_duration() -> None:
    started = timezone.now() - timedelta(minutes=5)  # within Celery's 30-minute hard limit
    live = make_run("full", "running", started, None)
    with worker_session_holding(live):  # its worker is alive (issue 15: a free run lock means a lost worker)
        status = json.loads(run("--json"))
        assert status["last_full"]["duration_seconds"] is None
        assert [(r["kind"], r["started_at"]) for r in status["running"]] == [("full", started.isoformat())]
        assert "still running" in run()


@contextmanager
def worker_session_holding(run_row: RollupRun) -> Iterator[None]:
    """Another database session holding the run's lock, as the worker running it does."""
    import psycopg2
    from django.db import connection

    from metrics.kpis.liveness import _key

    if connection.vendor != "postgresql":
        yield
        return
    info = connection.settings_dict
    other = psycopg2.connect(
        dbname=info["NAME"],
        user=info["USER"],
        password=info["PASSWORD"] or None,
        host=info["HOST"],
        port=info["PORT"] or 5432,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_key(run_row.pk)])
        yield
    finally:
        other.close()


def test_a_run_left_running_past_the_hard_time_limit_shows_as_abandoned(history, settings) -> None:
    settings.CELERY_TASK_TIME_LIMIT = 30 * 60
    make_run("full", "running", timezone.now() - timedelta(minutes=31), None)  # its worker was SIGKILLed
    status = json.loads(run("--json"))
    assert status["last_full"]["status"] == "abandoned"
    assert status["running"] == []
    assert "abandoned" in run()
    assert "worker lost" in run()
    with pytest.raises(CommandError, match="the last full rollup was abandoned"):
        run("--check")
