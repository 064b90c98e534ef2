"""Structured logs: one JSON line per request and per Celery task, with the duration."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from productops import celery_app
from productops.logging import JsonFormatter
from tests.factories import UserFactory


@celery_app.task(name="tests.logging.add")
def add(x: int, y: int) -> int:
    return x + y


@celery_app.task(name="tests.logging.explode")
def explode() -> None:
    raise ValueError("boom")


def as_json(record: logging.LogRecord) -> dict:
    line = JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def test_json_formatter_writes_one_line_with_the_extra_fields() -> None:
    record = logging.LogRecord("x.y", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.duration_ms = 12.5
    record.path = "/a\nb"
    payload = as_json(record)
    assert payload["message"] == "hello world"
    assert payload["level"] == "WARNING"
    assert payload["logger"] == "x.y"
    assert payload["duration_ms"] == 12.5
    assert payload["path"] == "/a\nb"
    assert payload["time"].endswith("+00:00")


def test_json_formatter_includes_the_traceback_on_one_line() -> None:
    try:
        raise RuntimeError("bad")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    payload = as_json(record)
    assert "RuntimeError: bad" in payload["exc_info"]


def request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "productops.request"]


def test_each_request_logs_method_path_status_duration_and_no_user(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="productops.request")
    Client().get("/healthz")
    (record,) = request_records(caplog)
    payload = as_json(record)
    assert {k: payload[k] for k in ("event", "method", "path", "status", "user_id")} == {
        "event": "request",
        "method": "GET",
        "path": "/healthz",
        "status": 200,
        "user_id": None,
    }
    assert isinstance(payload["duration_ms"], float)
    assert payload["duration_ms"] >= 0
    assert record.levelno == logging.DEBUG, "probe requests stay out of the INFO log"


@pytest.mark.django_db
def test_a_signed_in_request_logs_the_user_id_at_info(caplog) -> None:
    caplog.set_level(logging.INFO, logger="productops.request")
    user = UserFactory(role="viewer")
    client = Client()
    client.force_login(user)
    client.get("/no-such-page/")
    (record,) = request_records(caplog)
    assert record.levelno == logging.INFO
    assert (record.method, record.path, record.status, record.user_id) == ("GET", "/no-such-page/", 404, user.pk)


def task_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "productops.task"]


def test_each_task_run_logs_name_state_and_duration(caplog) -> None:
    caplog.set_level(logging.INFO, logger="productops.task")
    result = add.apply(args=(2, 3))
    assert result.successful()
    assert result.result == 5
    (record,) = task_records(caplog)
    payload = as_json(record)
    assert (payload["event"], payload["task"], payload["state"]) == ("task", "tests.logging.add", "SUCCESS")
    assert payload["task_id"]
    assert payload["duration_ms"] >= 0


def test_a_failed_task_logs_failure_at_error(caplog) -> None:
    caplog.set_level(logging.INFO, logger="productops.task")
    assert explode.apply(throw=False).failed()  # as in a worker: the error is stored, not raised
    with pytest.raises(ValueError, match="boom"):
        explode.apply(throw=True)  # as eager tasks in the web process: raised to the caller
    records = task_records(caplog)
    assert [(r.levelno, r.task, r.state) for r in records] == [(logging.ERROR, "tests.logging.explode", "FAILURE")] * 2
