"""A real Celery worker against Redis and PostgreSQL: save a record, see its KPI snapshot change.

The test process sends tasks to Redis (not eagerly); a `celery -A productops worker`
subprocess, pointed at the pytest-django test database, runs the incremental rollup
that the save enqueued on commit.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metrics.models import KpiSnapshot
from tests.factories import ReleaseFactory, SquadFactory
from tests.services import current_database_url
from tests.support.workers import stop

pytestmark = pytest.mark.services
ROOT = Path(__file__).resolve().parents[2]
UTC = dt.UTC


def _releases_this_month() -> float | None:
    month = dt.datetime.now(UTC).date().replace(day=1)
    row = KpiSnapshot.objects.filter(metric="releases", scope="squad:alpha", grain="month", period_start=month)
    return row.values_list("value", flat=True).first()


def _wait_for(predicate, worker: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        assert worker.poll() is None, "the Celery worker exited"
        time.sleep(0.5)
    pytest.fail(f"no snapshot change within {timeout:.0f} s")


@pytest.mark.django_db(transaction=True)
def test_a_saved_record_reaches_the_snapshot_through_a_real_worker(broker_app: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "CELERY_BROKER_URL": broker_app,
        "KPI_ROLLUP_ON_COMMIT": "true",
        "DB_CONN_MAX_AGE": "0",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "productops",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        now = dt.datetime.now(UTC)
        alpha = SquadFactory(slug="alpha")
        ReleaseFactory(squad=alpha, released_at=now - dt.timedelta(minutes=1))  # commits → rollup_dirty queued
        _wait_for(lambda: _releases_this_month() == 1, worker)
        ReleaseFactory(squad=alpha, released_at=now - dt.timedelta(minutes=2))
        _wait_for(lambda: _releases_this_month() == 2, worker)
    finally:
        output = stop(worker)
        if worker.returncode not in (0, -15):
            print(output.decode(errors="replace")[-4000:])
