"""A sync killed between pages (SIGKILL, a real process) loses nothing and duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from metrics.models import Incident
from sources.models import Source
from sources.sync import sync_source
from tests.services import current_database_url
from tests.sources.fake_pagerduty import pd_incident

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_killed_between_pages_then_resumed(pd_source, fake_pd, waits, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the killed process shares the test database: PostgreSQL only")
    fake_pd.add(*[pd_incident(f"K{i}", created_at=f"2026-01-{10 + i:02d}T10:00:00Z") for i in range(8)])
    arrived = fake_pd.hang_on("/incidents", "offset=6")  # the third page of three-item pages
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "PD_TOKEN": "pd-token",
        "KPI_ROLLUP_ON_COMMIT": "false",
        "SOURCES_TEST_PAGE_SIZE": "3",
    }
    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'productops.settings');"
        "django.setup();"
        "import sources.tools.pagerduty as pd; pd.PAGE_SIZE = int(os.environ['SOURCES_TEST_PAGE_SIZE']);"
        "from django.core.management import call_command; call_command('sync_sources', '--source', 'pd', '--full')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        assert arrived.wait(60), "the sync never asked for the third page"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    fake_pd.release()

    # Two pages were committed with their cursor; the third was never written.
    assert Incident.objects.count() == 6
    source = Source.objects.get(pk=pd_source.pk)
    assert source.cursor == {"since": "2026-01-15T10:00:00Z"}

    monkeypatch.setattr("sources.tools.pagerduty.PAGE_SIZE", 3)
    report = sync_source(source)
    assert report.ok
    assert (report.created, report.unchanged) == (2, 1)  # K6, K7 new; K5 re-read at the cursor
    ids = sorted(Incident.objects.values_list("external_id", flat=True))
    assert ids == [f"pagerduty:K{i}" for i in range(8)]
