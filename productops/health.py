"""Health endpoints for load balancers and container orchestrators.

`/healthz` says the process is up and touches nothing else, so a slow database
never makes an orchestrator kill healthy web processes. `/readyz` says whether
this instance can serve: the database answers `SELECT 1` and, when a broker is
configured, the broker accepts a connection, each with a short timeout. It also
reports how old the last successful KPI rollup is; a stale rollup is reported
(`rollup.stale`) but does not make the instance unready, because taking every
web process out of rotation would not bring the worker back — `rollup_status`
and monitoring on this field are the tools for that.

Both are reachable without login and reveal no hostnames, URLs or error texts:
only check names and fixed reasons. Details go to the server log.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering HTTP. No database, no broker."""
    return JsonResponse({"status": "ok"})


def check_database() -> str | None:
    """None when the database answers `SELECT 1`, else a fixed reason."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("readyz: database check failed", exc_info=True)
        return "database unreachable"
    return None


def check_broker() -> str | None:
    """None when no broker is configured or it accepts a connection, else a fixed reason."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    from kombu import Connection
    from kombu.exceptions import OperationalError

    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    except (OperationalError, OSError):
        logger.warning("readyz: broker check failed", exc_info=True)
        return "broker unreachable"
    return None


def rollup_state() -> dict[str, Any]:
    """Age of the last successful KPI rollup, and whether (and why) the KPIs are stale."""
    # Imported here: the project package must not import the metrics app at load time.
    from metrics.kpis.selectors import last_successful_rollup_at, stale_reasons

    last = last_successful_rollup_at()
    now = timezone.now()
    reasons = stale_reasons(now)
    return {
        "last_success_age_seconds": round((now - last).total_seconds()) if last else None,
        "stale": bool(reasons),
        "stale_reasons": reasons,
    }


@login_not_required
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and broker, if configured) answer; 503 with the reasons otherwise."""
    reasons = [reason for reason in (check_database(), check_broker()) if reason]
    body: dict[str, Any] = {"status": "not ready" if reasons else "ready", "reasons": reasons}
    if "database unreachable" not in reasons:
        try:
            body["rollup"] = rollup_state()
        except DatabaseError:
            logger.warning("readyz: rollup state unavailable", exc_info=True)
            body["reasons"].append("rollup state unavailable")
            body["status"] = "not ready"
        else:
            if body["rollup"]["stale"] and settings.READYZ_FAIL_WHEN_STALE:
                body["reasons"].append("kpis stale")
                body["status"] = "not ready"
    return JsonResponse(body, status=503 if body["reasons"] else 200)
