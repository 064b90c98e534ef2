"""The Celery side of the KPI engine: task options, beat schedule, eager runs."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError

from metrics.kpis import tasks
from metrics.models import KpiSnapshot, RollupRun
from tests.factories import ReleaseFactory


def test_tasks_are_late_acked_and_retry_only_transient_errors() -> None:
    for task in (tasks.rollup_dirty, tasks.rollup_full, tasks.rollup_unit):
        assert task.acks_late is True
        assert set(task.autoretry_for) == {OperationalError, InterfaceError}
        assert task.retry_backoff


def test_beat_schedule_expires_before_the_next_run() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE  # configuration in productops/settings.py
    dirty = schedule["kpi-rollup-dirty"]
    assert dirty["task"] == tasks.rollup_dirty.name
    assert 0 < dirty["options"]["expires"] < 60
    full = schedule["kpi-rollup-full-nightly"]
    assert full["task"] == tasks.rollup_full.name
    assert 0 < full["options"]["expires"] < 24 * 3600


@pytest.mark.django_db  # Celery's Django fix-up runs the system checks; on SQLite they query the database
def test_autodiscovery_registers_every_scheduled_task() -> None:
    """A worker started from productops.celery finds the tasks in metrics/kpis/tasks.py."""
    from productops.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
    assert {"metrics.rollup_unit", "metrics.rollup_full_distributed"} <= set(app.tasks)


def test_without_a_broker_a_committed_save_rolls_up_in_process(django_capture_on_commit_callbacks, db) -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER  # CELERY_BROKER_URL unset in tests
    with django_capture_on_commit_callbacks(execute=True):
        release = ReleaseFactory()
    scope = f"squad:{release.squad.slug}"
    snapshot = KpiSnapshot.objects.get(metric="releases", scope=scope, grain="month", period_start="2026-03-01")
    assert (snapshot.value, snapshot.sample_size) == (1.0, 1)
    assert RollupRun.objects.filter(kind="incremental", status="succeeded").exists()


def test_full_and_unit_tasks(db) -> None:
    ReleaseFactory()
    assert tasks.rollup_full.delay().get() > 0
    assert tasks.rollup_unit.delay({"grain": "quarter", "since": None}).get() == 0  # nothing changed
    assert tasks.rollup_full.delay("2026-03-01").get() == 0
