"""Faults survived, nothing lost (issue 5), against the real PostgreSQL.

- broker down: records are saved through the API and their dirty marks kept; the
  rollup catches up once it runs again;
- a rollup process SIGKILLed mid-run: snapshots are the old ones or the new ones,
  never a mix; a rerun converges to a full recompute;
- two rollups at once: both finish, the result equals one full rollup; the same
  record POSTed twice at once: one row;
- PostgreSQL connections terminated (pg_terminate_backend, not a server restart):
  the next request and the next rollup succeed.

The shared Redis and PostgreSQL servers are never stopped: faults are simulated
on this test's own database and a closed port.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection, connections
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

from metrics.kpis.catalog import GRAINS
from metrics.kpis.rollup import full_rollup, grain_locks, incremental_rollup
from metrics.models import DirtyRange, KpiSnapshot, Release, RollupRun
from tests.factories import SquadFactory, UserFactory
from tests.services import current_database_url, require_postgres
from tests.support.workers import reset_broker_pools, stop

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _postgres() -> None:
    require_postgres()


def snapshot_table() -> dict[tuple, tuple]:
    return {
        (m, s, g, p): (v, n)
        for m, s, g, p, v, n in KpiSnapshot.objects.values_list(
            "metric", "scope", "grain", "period_start", "value", "sample_size"
        )
    }


def release_body(external_id: str, squad: str = "alpha", day: int = 2) -> dict:
    return {
        "external_id": external_id,
        "squad": squad,
        "version": "1.0",
        "status": "succeeded",
        "released_at": f"2026-03-{day:02d}T10:00:00Z",
    }


def releases_in_march(scope: str = "squad:alpha") -> float | None:
    return (
        KpiSnapshot.objects.filter(metric="releases", scope=scope, grain="month", period_start=dt.date(2026, 3, 1))
        .values_list("value", flat=True)
        .first()
    )


@pytest.fixture(autouse=True)
def _celery_as_configured():
    """Each test starts from the settings' Celery config (embedded: eager, no broker) and fresh pools,
    whatever an earlier test did to the shared app; the config is restored afterwards."""
    from django.conf import settings

    from productops.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=settings.CELERY_BROKER_URL or None, task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER)
    reset_broker_pools(app)
    yield
    app.conf.update(saved)
    reset_broker_pools(app)


@pytest.fixture(autouse=True)
def _roles(role_groups):
    return


@pytest.fixture
def pipeline(db):
    """An admin's token client (as a pipeline posts) and squad alpha."""
    SquadFactory(slug="alpha", area__slug="payments")
    SquadFactory(slug="bravo", area__slug="growth")
    user = UserFactory(username="pipeline", role="admin", is_superuser=True)
    token = Token.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_broker_down_records_saved_dirty_marks_kept_and_rollup_catches_up(pipeline):
    from productops.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)  # nothing listens on port 1
    reset_broker_pools(app)
    try:
        for n in range(3):
            response = pipeline.post(
                "/api/releases/", release_body(f"down-{n}", day=2 + n), content_type="application/json"
            )
            assert response.status_code == 201, response.content
    finally:
        app.conf.update(saved)
        reset_broker_pools(app)
    assert Release.objects.filter(external_id__startswith="down-").count() == 3
    assert DirtyRange.objects.filter(scope="squad:alpha").exists()  # nothing was rolled up, nothing lost
    assert releases_in_march() is None
    incremental_rollup(now=NOW)  # what the worker runs once the broker is back
    assert releases_in_march() == 3  # hand count: three March releases of alpha
    assert releases_in_march("org") == 3
    assert not DirtyRange.objects.exists()


ROLLUP_SCRIPT = (
    "import django, datetime as dt; django.setup();"
    "from metrics.kpis.rollup import incremental_rollup;"
    "incremental_rollup(now=dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC))"
)


def _bulk_releases(prefix: str, count: int, squads: list) -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    Release.objects.bulk_create(
        Release(
            external_id=f"{prefix}-{i}",
            squad=squads[i % len(squads)],
            version=str(i),
            status="succeeded",
            released_at=start + dt.timedelta(hours=19 * i),
        )
        for i in range(count)
    )


@pytest.mark.slow
def test_rollup_killed_mid_run_leaves_old_or_new_snapshots_and_rerun_converges(db, settings):
    settings.KPI_ROLLUP_ON_COMMIT = False  # the dirty marks wait for the (killed) subprocess rollup
    squads = [SquadFactory(slug=f"sq-{i}", area__slug=f"area-{i % 3}") for i in range(12)]
    _bulk_releases("old", 800, squads)
    full_rollup(now=NOW)
    old = snapshot_table()
    env = {**os.environ, "DATABASE_URL": current_database_url(), "DJANGO_SETTINGS_MODULE": "productops.settings"}
    outcomes = []
    for attempt, delay in enumerate((0.0, 0.05, 0.15, 0.3, 0.6, 1.2)):
        # New records (March 2026 and January 2024: a wide recompute) are what the killed rollup works on.
        for squad in squads[:4]:
            squad.refresh_from_db()
            for when in (dt.datetime(2026, 3, 3 + attempt, tzinfo=UTC), dt.datetime(2024, 1, 5, tzinfo=UTC)):
                Release.objects.create(
                    external_id=f"new-{attempt}-{squad.slug}-{when:%Y}",
                    squad=squad,
                    version="x",
                    status="rolled_back",
                    released_at=when,
                )
        before = snapshot_table()
        runs_before = RollupRun.objects.count()
        # Hold the grain locks so the subprocess is parked at the start of its run, then let it go
        # and kill it `delay` seconds into the computing/writing.
        with grain_locks(GRAINS):
            proc = subprocess.Popen([sys.executable, "-c", ROLLUP_SCRIPT], cwd=ROOT, env=env)
            deadline = time.monotonic() + 60
            while RollupRun.objects.count() == runs_before and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.2)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        time.sleep(0.5)  # the server notices the lost client and rolls its transaction back
        after = snapshot_table()
        if DirtyRange.objects.exists():
            assert after == before, "killed before commit, yet snapshots changed"
            outcomes.append("old")
        else:
            outcomes.append("new")
        incremental_rollup(now=NOW)  # the redelivered task
        assert not DirtyRange.objects.exists()
    converged = snapshot_table()
    full_rollup(now=NOW)
    assert snapshot_table() == converged, "incremental reruns differ from a full recompute"
    assert converged != old
    # Hand count: 6 attempts each added one March 2026 release to squads sq-0..sq-3 (none were there before).
    march = dt.date(2026, 3, 1)
    assert KpiSnapshot.objects.get(metric="releases", scope="squad:sq-0", grain="month", period_start=march).value == 6
    print(f"\nSIGKILL mid-rollup outcomes: {outcomes}")


def test_two_rollups_at_once_and_one_record_posted_twice_at_once(pipeline):
    squads = [SquadFactory(slug=f"sq-{i}", area__slug="area-x") for i in range(6)]
    _bulk_releases("c", 300, squads)
    Release.objects.create(
        external_id="mark",
        squad=squads[0],
        version="m",
        status="succeeded",
        released_at=dt.datetime(2026, 3, 4, tzinfo=UTC),
    )
    errors: list[BaseException] = []

    def run(func) -> None:
        try:
            func(now=NOW)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f,)) for f in (full_rollup, incremental_rollup, full_rollup)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    concurrent = snapshot_table()
    full_rollup(now=NOW)
    assert snapshot_table() == concurrent

    # The same record POSTed by two clients at the same moment: one row.
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    token = Token.objects.get(user__username="pipeline").key

    def post() -> None:
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        try:
            statuses.append(
                client.post("/api/releases/", release_body("twice"), content_type="application/json").status_code
            )
        finally:
            connections.close_all()

    posters = [threading.Thread(target=post) for _ in range(2)]
    for thread in posters:
        thread.start()
    for thread in posters:
        thread.join(timeout=60)
    assert sorted(statuses) in ([200, 201], [201, 201]), statuses
    assert Release.objects.filter(external_id="twice").count() == 1


def _terminate_other_backends() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def wsgi_get(path: str, token: str) -> tuple[int, dict]:
    """One request through the real WSGI handler, with its request_started/finished signals
    (close_old_connections → CONN_HEALTH_CHECKS), unlike django.test.Client which disables them."""
    environ = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Token {token}").environ
    status: list[str] = []
    body = b"".join(WSGIHandler()(environ, lambda code, headers, *exc: status.append(code)))
    return int(status[0].split()[0]), json.loads(body)


def _terminate(pid: int) -> None:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()


def test_next_request_and_next_rollup_succeed_after_connections_are_killed(pipeline):
    token = Token.objects.get(user__username="pipeline").key
    assert wsgi_get("/api/squads/", token)[0] == 200  # the persistent connection (CONN_MAX_AGE) stays open
    pid = connection.connection.info.backend_pid
    _terminate(pid)
    status, body = wsgi_get("/api/squads/", token)
    assert status == 200
    assert {row["slug"] for row in body["results"]} == {"alpha", "bravo"}
    assert connection.connection.info.backend_pid != pid  # a new connection replaced the dead one

    # The worker side: Celery's Django fixup calls close_old_connections before each task, as requests do.
    Release.objects.create(
        external_id="after-kill",
        squad_id=body["results"][0]["id"],
        version="1",
        status="succeeded",
        released_at=dt.datetime(2026, 3, 5, tzinfo=UTC),
    )
    _terminate(connection.connection.info.backend_pid)
    close_old_connections()
    incremental_rollup(now=NOW)
    assert releases_in_march("org") == 1


@pytest.mark.slow
def test_concurrent_load_readers_poster_and_rollup(live_server, pipeline, settings, capsys):
    """20 readers on dashboards and KPIs, one pipeline posting, one rollup loop, on loopback for a bounded time."""
    settings.KPI_ROLLUP_ON_COMMIT = False  # a worker-like loop below does the rollups
    token = Token.objects.get(user__username="pipeline").key
    viewer = UserFactory(username="reader", role="viewer")
    browser = Client()
    browser.force_login(viewer)
    session_cookie = f"sessionid={browser.cookies['sessionid'].value}"
    posts, readers_n, budget = 100, 20, 30.0
    posted: list[str] = []
    errors: list[str] = []
    reads = [0]
    done = threading.Event()
    started = time.monotonic()

    def fetch(path: str, headers: dict[str, str], data: bytes | None = None) -> int:
        request = urllib.request.Request(live_server.url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def reader(n: int) -> None:
        paths = ["/", "/squads/alpha/", "/metrics/releases/", "/api/kpis/?metric=releases&grain=month"]
        try:
            while not done.is_set() and time.monotonic() - started < budget:
                path = paths[n % len(paths)]
                headers = (
                    {"Cookie": session_cookie} if not path.startswith("/api/") else {"Authorization": f"Token {token}"}
                )
                status = fetch(path, headers)
                if status != 200:
                    errors.append(f"GET {path}: {status}")
                reads[0] += 1
        finally:
            connections.close_all()

    def poster() -> None:
        try:
            for i in range(posts):
                if time.monotonic() - started > budget:
                    break
                body = json.dumps(release_body(f"load-{i}", squad=("alpha", "bravo")[i % 2], day=1 + i % 28)).encode()
                status = fetch(
                    "/api/releases/", {"Authorization": f"Token {token}", "Content-Type": "application/json"}, body
                )
                if status != 201:
                    errors.append(f"POST load-{i}: {status}")
                posted.append(f"load-{i}")
        finally:
            done.set()
            connections.close_all()

    def roller() -> None:
        try:
            while not done.is_set() and time.monotonic() - started < budget:
                incremental_rollup(now=NOW)
                time.sleep(0.2)
        except Exception as exc:  # noqa: BLE001 — reported as a test failure below
            errors.append(f"rollup: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers_n)]
    threads += [threading.Thread(target=poster), threading.Thread(target=roller)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=budget + 30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    incremental_rollup(now=NOW)  # the last dirty marks
    found = Release.objects.filter(external_id__startswith="load-").count()
    counted = KpiSnapshot.objects.get(
        metric="releases", scope="org", grain="month", period_start=dt.date(2026, 3, 1)
    ).value
    with capsys.disabled():
        print(
            f"\nload: {readers_n} readers made {reads[0]} reads; posted {len(posted)}, found {found}, "
            f"counted in March org releases {counted}; {time.monotonic() - started:.1f} s; errors {len(errors)}"
        )
    assert not errors, errors[:20]
    assert len(posted) >= 20, "the poster barely ran"
    assert found == len(posted)
    assert counted == len(posted)  # every posted release is dated March 2026


WORKER_SCRIPT = (
    "from productops.celery import app;"
    "app.conf.broker_transport_options = {**app.conf.broker_transport_options, 'visibility_timeout': 2,"
    " 'unacked_restore_interval': 1, 'unacked_restore_throttle': 1};"
    "app.worker_main(['worker', '--pool=solo', '--loglevel=WARNING', '--without-gossip', '--without-mingle',"
    " '--without-heartbeat'])"
)


@pytest.mark.slow
def test_celery_worker_sigkilled_mid_rollup_redoes_the_task_on_restart(db, settings):
    """A real worker takes rollup_dirty, is SIGKILLed in the middle; the unacked (acks_late) task is
    redelivered to the restarted worker, which finishes it: dirty marks consumed, snapshots = full recompute."""
    from productops.celery import app
    from tests.services import require_redis

    broker = require_redis(spare=True)  # a database no other test of this process uses
    settings.KPI_ROLLUP_ON_COMMIT = False  # exactly one task, sent below
    squads = [SquadFactory(slug=f"sq-{i}", area__slug=f"area-{i % 3}") for i in range(8)]
    _bulk_releases("w", 400, squads)
    full_rollup()  # real now, as the worker uses
    for squad in squads[:3]:
        squad.refresh_from_db()
        Release.objects.create(
            external_id=f"w-new-{squad.slug}",
            squad=squad,
            version="n",
            status="rolled_back",
            released_at=dt.datetime(2026, 3, 9, tzinfo=UTC),
        )
    assert DirtyRange.objects.exists()
    env = {**os.environ, "DATABASE_URL": current_database_url(), "CELERY_BROKER_URL": broker, "DB_CONN_MAX_AGE": "0"}
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def start_worker() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    app.conf.update(broker_url=broker, task_always_eager=False)
    reset_broker_pools(app)
    workers = []
    try:
        app.control.purge()
        runs_before = RollupRun.objects.count()
        with grain_locks(GRAINS):  # park the worker inside the task and kill it there
            from metrics.kpis.tasks import rollup_dirty

            rollup_dirty.delay()
            workers.append(start_worker())
            deadline = time.monotonic() + 60
            while RollupRun.objects.count() == runs_before and time.monotonic() < deadline:
                assert workers[0].poll() is None, "the worker exited"
                time.sleep(0.05)
            assert RollupRun.objects.count() > runs_before, "the worker never started the rollup"
            # Killed inside the task (it waits for the grain locks): deterministic, and nothing was written.
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=30)
        assert DirtyRange.objects.exists()
        time.sleep(3)  # past the visibility timeout: the unacked message may be restored
        workers.append(start_worker())
        deadline = time.monotonic() + 90
        while DirtyRange.objects.exists() and time.monotonic() < deadline:
            assert workers[1].poll() is None, "the restarted worker exited"
            time.sleep(0.25)
        assert not DirtyRange.objects.exists(), "the killed task was not redone by the restarted worker"
    finally:
        for worker in workers:
            stop(worker)
        app.conf.update(saved)
        reset_broker_pools(app)
    redone = snapshot_table()
    full_rollup()  # real now, as the worker uses
    assert snapshot_table() == redone
    march = dt.date(2026, 3, 1)
    assert KpiSnapshot.objects.get(metric="releases", scope="squad:sq-0", grain="month", period_start=march).value == (
        Release.objects.filter(squad=squads[0], released_at__year=2026, released_at__month=3).count()
    )
