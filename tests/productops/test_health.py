"""/healthz and /readyz: reachable without login, honest about what is down, silent about details."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from metrics.models import RollupRun
from productops import health
from tests.services import require_redis

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/7"  # port 1: nothing listens, connection refused at once


@pytest.fixture
def anon() -> Client:
    return Client()


def test_healthz_answers_anonymously_without_touching_the_database(anon) -> None:
    # No django_db mark: pytest-django makes any database access in this test an error.
    response = anon.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_only_answers_safe_methods(anon) -> None:
    assert anon.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_ready_with_database_and_no_broker_configured(anon, settings) -> None:
    settings.CELERY_BROKER_URL = ""
    RollupRun.objects.create(
        kind="full",
        status="succeeded",
        started_at=timezone.now() - timedelta(hours=2, minutes=1),
        finished_at=timezone.now() - timedelta(hours=2),
        snapshots_written=10,
    )
    response = anon.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["reasons"] == []
    assert body["rollup"]["stale"] is False
    assert 7200 - 60 <= body["rollup"]["last_success_age_seconds"] <= 7200 + 60


@pytest.mark.django_db
def test_readyz_reports_a_stale_or_missing_rollup_without_going_unready(anon, settings) -> None:
    settings.CELERY_BROKER_URL = ""
    settings.KPI_STALE_AFTER = timedelta(hours=26)
    assert anon.get("/readyz").json()["rollup"] == {
        "last_success_age_seconds": None,
        "stale": True,
        "stale_reasons": ["no successful rollup within KPI_STALE_AFTER"],
    }

    RollupRun.objects.create(
        kind="incremental",
        status="succeeded",
        started_at=timezone.now() - timedelta(hours=27),
        finished_at=timezone.now() - timedelta(hours=27),
    )
    # A newer failed run does not count as a successful rollup.
    RollupRun.objects.create(
        kind="full", status="failed", started_at=timezone.now(), finished_at=timezone.now(), error="boom"
    )
    response = anon.get("/readyz")
    assert response.status_code == 200
    rollup = response.json()["rollup"]
    assert rollup["stale"] is True
    assert abs(rollup["last_success_age_seconds"] - 27 * 3600) <= 60


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_unreachable_and_names_no_url(anon, settings) -> None:
    settings.CELERY_BROKER_URL = CLOSED_PORT_BROKER
    response = anon.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["reasons"] == ["broker unreachable"]
    text = response.content.decode()
    assert "127.0.0.1" not in text
    assert "redis" not in text
    assert "refused" not in text.lower()


def test_readyz_is_503_when_the_database_is_unreachable(anon, settings, monkeypatch) -> None:
    settings.CELERY_BROKER_URL = ""

    class DownConnection:
        def cursor(self):
            raise OperationalError("could not connect to server at db.internal:5432 password=secret")

    monkeypatch.setattr(health, "connection", DownConnection())
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "reasons": ["database unreachable"]}
    assert "db.internal" not in response.content.decode()


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_is_ready_with_a_reachable_broker(anon, settings) -> None:
    settings.CELERY_BROKER_URL = require_redis()
    response = anon.get("/readyz")
    assert response.status_code == 200, json.loads(response.content)
    assert response.json()["reasons"] == []
