"""Structured logs: one JSON object per line, one line per request and per Celery task.

`JsonFormatter` turns any log record into a JSON line: time, level, logger,
message, and every field passed through `extra=`. `RequestLogMiddleware` logs
each request (method, path, status, duration_ms, user_id) and
`connect_task_logging` logs each Celery task (task, task_id, state,
duration_ms). Settings pick the formatter with `LOG_FORMAT` (`json` by default
in production, `plain` in development); the message text is readable either way.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

request_logger = logging.getLogger("productops.request")
task_logger = logging.getLogger("productops.task")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

#: Probes hit these every few seconds; their lines go to DEBUG so they don't drown the log.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line with its `extra=` fields at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class RequestLogMiddleware:
    """Log one line per request: method, path, status, duration_ms and the user's id (or null).

    Placed first in MIDDLEWARE so the duration covers every other middleware;
    the user is read after the response, when authentication (session or DRF
    token) has set it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        request_logger.log(
            level,
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            user_id,
            extra={
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user_id,
            },
        )
        return response


_task_started: dict[str, float] = {}


def _task_prerun(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


def _task_postrun(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    started = _task_started.pop(task_id, None) if task_id else None
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    name = getattr(task, "name", str(task))
    if state is None:
        state = "FAILURE"  # eager tasks with propagation re-raise before Celery sets a state
    level = logging.ERROR if state == "FAILURE" else logging.INFO
    task_logger.log(
        level,
        "task %s %s %s %sms",
        name,
        task_id,
        state,
        duration_ms,
        extra={"event": "task", "task": name, "task_id": task_id, "state": state, "duration_ms": duration_ms},
    )


def connect_task_logging() -> None:
    """Log every Celery task run (worker and eager) through Celery's prerun/postrun signals."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_prerun, weak=False, dispatch_uid="productops-task-prerun")
    task_postrun.connect(_task_postrun, weak=False, dispatch_uid="productops-task-postrun")
