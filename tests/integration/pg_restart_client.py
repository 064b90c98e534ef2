"""The client side of tests/integration/test_pg_restart.py, run in a subprocess whose DATABASE_URL
names the test's own throwaway PostgreSQL cluster (so nothing here touches the suite's database).
One warm process takes commands on stdin and answers each with one JSON line on stdout:

    load <seconds> <threads>
        creates squads, a pipeline user and bulk releases, then posts releases through the real
        WSGI handler (the API, with Django's per-request connection handling) from <threads>
        threads for <seconds> seconds. A post that fails (a 5xx, an exception) is sent again, as
        a pipeline would, until it is acknowledged (200/201) or RETRY_FOR seconds have passed.
        Prints STARTED once posts are flowing; answers with the acknowledged and abandoned
        external ids and the failures by kind.
    rollup
        a full rollup, retried like the Celery task on a transient database error.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import json
import sys
import threading
import time

import django

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import InterfaceError, OperationalError, connection, connections  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from metrics.kpis import rollup as kpi_rollup  # noqa: E402
from metrics.kpis import windows  # noqa: E402
from metrics.kpis.rollup import full_rollup  # noqa: E402
from tests.factories import SquadFactory, UserFactory  # noqa: E402

#: The rollups' `now`, fixed so an independent recompute gives the very same rows.
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
SQUADS = 12
BULK_RELEASES = 15_000
RETRY_FOR = 25.0

# One window per month (this small org would be one window): the full rollup commits window after
# window, so the test can restart the server with some windows written and others not. The rows
# do not depend on how the rollup is cut (tests/metrics/kpis/test_rollup_units.py).
kpi_rollup.plan = functools.partial(windows.plan, parts=1_000)


def release_body(external_id: str, squad: str, day: int) -> dict:
    return {
        "external_id": external_id,
        "squad": squad,
        "version": "1.0",
        "status": "succeeded",
        "released_at": f"2026-03-{day:02d}T10:00:00Z",
    }


def setup() -> str:
    squads = [SquadFactory(slug=f"sq-{i}", area__slug=f"area-{i % 3}") for i in range(SQUADS)]
    user = UserFactory(username="pipeline", role="admin", is_superuser=True)
    ids = ",".join(str(s.pk) for s in squads)
    with connection.cursor() as cursor:  # history for the rollup to chew on, in one statement
        cursor.execute(
            "INSERT INTO metrics_release (external_id, squad_id, version, released_at, status) "
            f"SELECT 'bulk-' || g, (ARRAY[{ids}])[1 + mod(g, {len(squads)})], 'v' || g, "
            "timestamptz '2024-01-01 00:00+00' + g * interval '23 minutes', "
            "CASE WHEN mod(g, 7) = 0 THEN 'rolled_back' ELSE 'succeeded' END "
            "FROM generate_series(1, %s) AS g",
            [BULK_RELEASES],
        )
    return Token.objects.create(user=user).key


def post(token: str, body: dict) -> int:
    """One POST through the real WSGI handler (request_started/finished: close_old_connections and
    the connection health check, as in production)."""
    request = RequestFactory().post(
        "/api/releases/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    status: list[str] = []
    response = WSGIHandler()(request.environ, lambda code, headers, *exc: status.append(code))
    b"".join(response)
    getattr(response, "close", lambda: None)()
    return int(status[0].split()[0])


def load(seconds: float, threads: int) -> None:
    token = setup()
    acknowledged: list[str] = []
    abandoned: list[str] = []
    failures: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    first = threading.Event()
    stop_at = time.monotonic() + seconds + 60  # reset once posts flow

    def client(n: int) -> None:
        i = 0
        try:
            while time.monotonic() < stop_at:
                external_id = f"load-{n}-{i}"
                body = release_body(external_id, f"sq-{(n + i) % SQUADS}", 1 + i % 28)
                give_up = time.monotonic() + RETRY_FOR
                while True:
                    try:
                        status = post(token, body)
                        kind = str(status)
                    except Exception as exc:  # noqa: BLE001 — counted; a real client sees a dropped request
                        status, kind = 0, type(exc).__name__
                    if status in (200, 201):
                        with lock:
                            acknowledged.append(external_id)
                            failures[f"ok {status}"] += 1
                        first.set()
                        break
                    with lock:
                        failures[kind] += 1
                    if time.monotonic() > give_up:
                        with lock:
                            abandoned.append(external_id)
                        break
                    time.sleep(0.1)
                i += 1
        finally:
            connections.close_all()

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    first.wait(timeout=60)
    stop_at = time.monotonic() + seconds
    print("STARTED", flush=True)
    for worker in workers:
        worker.join()
    print(json.dumps({"acknowledged": acknowledged, "abandoned": abandoned, "failures": failures}), flush=True)


def rollup() -> None:
    failed: list[str] = []
    while True:
        try:
            written = full_rollup(now=NOW)
            break
        except (OperationalError, InterfaceError) as exc:  # what the Celery task retries
            failed.append(f"{type(exc).__name__}: {str(exc).strip()[:200]}")
            connections.close_all()
            if len(failed) > 40:
                raise
            time.sleep(0.5)
    print(json.dumps({"written": written, "failed_attempts": failed}), flush=True)


if __name__ == "__main__":
    for command in sys.stdin:
        name, *args = command.split()
        if name == "load":
            load(float(args[0]), int(args[1]))
        elif name == "rollup":
            rollup()
