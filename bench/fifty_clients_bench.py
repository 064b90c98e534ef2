#!/usr/bin/env python
"""50 clients for 30 s against a real server, with two kills of the app's database connections.

    BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/productops_load_bench \\
    BENCH_BROKER_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/fifty_clients_bench.py [--clients 50] [--seconds 30] [--kills 2]

Sets up its own database (created and migrated when missing, emptied of records otherwise):
12 squads in 3 areas, 5,000 releases of history, a full rollup. Then starts what production
runs — gunicorn with docker/gunicorn.conf.py (WEB_CONCURRENCY=3 processes × WEB_THREADS=4,
persistent connections DB_CONN_MAX_AGE=60 with health checks) and one Celery worker for the
on-commit rollups (broker BENCH_BROKER_URL, purged first) — and runs the clients as threads of
this process over HTTP on loopback:

- half are pipelines: POST /api/releases/ (token), each a new external_id; a post that fails
  (5xx, a dropped connection) is sent again until acknowledged (200/201), as a pipeline would;
- half are readers: the org page, a squad page, a KPI page (session cookie), /api/kpis/ and
  /api/releases/ (token), in turn.

At 1/3 and 2/3 of the run, `pg_terminate_backend` ends every connection of the app (web and
worker) to the bench database. Afterwards it checks every acknowledged post is stored exactly
once, waits for the worker's rollups to drain the dirty marks, and checks the org's monthly
release count in the snapshots equals the stored releases. Prints JSON lines: requests,
errors by kind (first attempts and retries), p50/p95 per kind, records posted/stored, the
kills, and the load average. Not part of the test suite; bench/README.md records runs.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://root@127.0.0.1:5432/productops_load_bench"
DEFAULT_BROKER = "redis://127.0.0.1:6379/7"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT") or _free_port())
SQUADS = 12
LOG = Path(tempfile.gettempdir()) / "fifty_clients_bench.log"


def _env(db_url: str, broker: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": broker,
        "CACHE_URL": broker,  # shared by every process (lockout counts, the rollup-enqueue flag)
        # The test settings: plain static storage (no collectstatic needed for the pages).
        "DJANGO_SETTINGS_MODULE": "productops.settings_test",
        "DB_CONN_MAX_AGE": "60",
        "KPI_ROLLUP_ON_COMMIT": "true",
        "API_THROTTLE_USER": "1000000/min",
        "WEB_CONCURRENCY": "3",
        "WEB_THREADS": "4",
        "WEB_BIND_HOST": "127.0.0.1",
        "PORT": str(PORT),
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "plain",
    }


def _ensure_database(db_url: str) -> None:
    import psycopg2

    base, name = db_url.rsplit("/", 1)
    conn = psycopg2.connect(base + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def setup(db_url: str, broker: str) -> tuple[str, str]:
    """Migrate and seed the bench database; returns (API token, session cookie)."""
    _ensure_database(db_url)
    env = _env(db_url, broker)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")})
    os.environ["KPI_ROLLUP_ON_COMMIT"] = "false"  # the seeding below rolls up once, at its end
    import django

    django.setup()
    import datetime as dt

    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from metrics.kpis.rollup import full_rollup
    from metrics.models import DirtyRange, KpiSnapshot, Release, RollupRun
    from squads.models import Area, Squad
    from tests.factories import UserFactory

    Release.objects.all().delete()
    KpiSnapshot.objects.all().delete()
    DirtyRange.objects.all().delete()
    RollupRun.objects.all().delete()
    areas = [Area.objects.get_or_create(slug=f"area-{i}")[0] for i in range(3)]
    squads = [
        Squad.objects.get_or_create(
            slug=f"sq-{i}", defaults={"name": f"Squad {i}", "area": areas[i % 3], "monthly_cost_per_head": 9000}
        )[0]
        for i in range(SQUADS)
    ]
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    Release.objects.bulk_create(
        Release(
            external_id=f"hist-{i}",
            squad=squads[i % SQUADS],
            version=str(i),
            status="rolled_back" if i % 9 == 0 else "succeeded",
            released_at=start + dt.timedelta(hours=1.5 * i),
        )
        for i in range(5000)
    )
    full_rollup()
    pipeline = UserFactory(username="bench-pipeline", role="admin", is_superuser=True)
    viewer = UserFactory(username="bench-viewer", role="viewer")
    token = Token.objects.get_or_create(user=pipeline)[0].key
    browser = Client()
    browser.force_login(viewer)
    connection.close()
    return token, f"sessionid={browser.cookies['sessionid'].value}"


def start_servers(db_url: str, broker: str) -> list[subprocess.Popen]:
    from productops.celery import app

    env = _env(db_url, broker)
    app.conf.broker_url = broker
    app.control.purge()
    log = open(LOG, "ab")  # noqa: SIM115 — the servers' output, kept open while they run
    web = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "productops.wsgi:application", "--config", "docker/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "--app", "productops", "worker", "--pool=solo", "--loglevel=WARNING"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2):
                break
        except OSError:
            time.sleep(0.3)
    return [web, worker]


def kill_connections(db_url: str) -> int:
    import psycopg2

    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        killed = cursor.fetchone()[0]
    conn.close()
    return killed


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.acknowledged: list[str] = []
        self.abandoned: list[str] = []

    def add(self, kind: str, seconds: float, outcome: str) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.outcomes[f"{kind} {outcome}"] += 1


def request(method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            response.read()
            return str(response.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except OSError as exc:  # refused, reset, timed out
        return type(exc).__name__


def run_clients(token: str, cookie: str, clients: int, seconds: float, kill_at: list[float], db_url: str) -> dict:
    stats = Stats()
    stop = time.monotonic() + seconds
    api = {"Authorization": f"Token {token}"}
    kills: list[dict] = []

    def poster(n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            external_id = f"load-{n}-{i}"
            body = json.dumps(
                {
                    "external_id": external_id,
                    "squad": f"sq-{(n + i) % SQUADS}",
                    "version": f"{n}.{i}",
                    "status": "succeeded",
                    "released_at": f"2026-03-{1 + i % 28:02d}T10:00:00Z",
                }
            ).encode()
            give_up = time.monotonic() + 60
            attempt = 0
            while True:
                began = time.perf_counter()
                outcome = request("POST", "/api/releases/", {**api, "Content-Type": "application/json"}, body)
                stats.add("post" if attempt == 0 else "post-retry", time.perf_counter() - began, outcome)
                if outcome in ("200", "201"):
                    with stats.lock:
                        stats.acknowledged.append(external_id)
                    break
                attempt += 1
                if time.monotonic() > give_up:
                    with stats.lock:
                        stats.abandoned.append(external_id)
                    break
                time.sleep(0.2)
            i += 1

    reads = [
        ("/", {"Cookie": cookie}),
        ("/squads/sq-1/", {"Cookie": cookie}),
        ("/metrics/releases/", {"Cookie": cookie}),
        ("/api/kpis/?metric=releases&grain=month&scope=org", api),
        ("/api/releases/?page_size=50", api),
    ]

    def reader(n: int) -> None:
        i = n
        while time.monotonic() < stop:
            path, headers = reads[i % len(reads)]
            began = time.perf_counter()
            outcome = request("GET", path, headers)
            stats.add("page" if "Cookie" in headers else "api-get", time.perf_counter() - began, outcome)
            i += 1

    def killer() -> None:
        began = time.monotonic()
        for at in kill_at:
            time.sleep(max(0.0, began + at - time.monotonic()))
            kills.append({"at_s": round(time.monotonic() - began, 1), "connections_killed": kill_connections(db_url)})

    threads = [threading.Thread(target=poster, args=(n,)) for n in range(clients // 2)]
    threads += [threading.Thread(target=reader, args=(n,)) for n in range(clients - clients // 2)]
    threads.append(threading.Thread(target=killer))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    percentiles = {}
    for kind, values in sorted(stats.latency.items()):
        cuts = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        percentiles[kind] = {
            "requests": len(values),
            "p50_ms": round(cuts[49] * 1000, 1),
            "p95_ms": round(cuts[94] * 1000, 1),
        }
    return {
        "elapsed_s": round(elapsed, 1),
        "requests": sum(len(v) for v in stats.latency.values()),
        "by_kind": percentiles,
        "outcomes": dict(sorted(stats.outcomes.items())),
        "kills": kills,
        "acknowledged": stats.acknowledged,
        "abandoned": stats.abandoned,
    }


def verify(acknowledged: list[str], abandoned: list[str]) -> dict:
    """Every acknowledged post stored once; after the worker drained the dirty marks, the org's
    March 2026 release count in the snapshots equals the stored March releases."""
    import datetime as dt

    from django.db import connection
    from django.db.models import Count

    from metrics.models import DirtyRange, KpiSnapshot, Release

    connection.close()
    rows = dict(
        Release.objects.filter(external_id__startswith="load-")
        .values_list("external_id")
        .annotate(n=Count("id"))
        .values_list("external_id", "n")
    )
    lost = sorted(set(acknowledged) - set(rows))
    doubled = sorted(k for k, n in rows.items() if n > 1)
    unexplained = sorted(set(rows) - set(acknowledged) - set(abandoned))
    deadline = time.monotonic() + 120
    while DirtyRange.objects.exists() and time.monotonic() < deadline:
        time.sleep(1)  # the worker's on-commit rollups catch up
    stored_march = Release.objects.filter(released_at__year=2026, released_at__month=3).count()
    snapshot = (
        KpiSnapshot.objects.filter(metric="releases", scope="org", grain="month", period_start=dt.date(2026, 3, 1))
        .values_list("value", flat=True)
        .first()
    )
    return {
        "posted_acknowledged": len(acknowledged),
        "stored": len(rows),
        "lost": len(lost),
        "stored_twice": len(doubled),
        "stored_not_acknowledged": len(unexplained),
        "abandoned": len(abandoned),
        "dirty_marks_left": DirtyRange.objects.count(),
        "march_releases_stored": stored_march,
        "march_releases_in_snapshot": snapshot,
        "counts_match": snapshot == stored_march == len(acknowledged),
        "examples_lost": lost[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--kills", type=int, default=2)
    args = parser.parse_args()
    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    broker = os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER)
    token, cookie = setup(db_url, broker)
    servers = start_servers(db_url, broker)
    try:
        print(json.dumps({"phase": "start", "loadavg": Path("/proc/loadavg").read_text().split()[:3]}), flush=True)
        kill_at = [args.seconds * (k + 1) / (args.kills + 1) for k in range(args.kills)]
        result = run_clients(token, cookie, args.clients, args.seconds, kill_at, db_url)
        loadavg = Path("/proc/loadavg").read_text().split()[:3]
        acknowledged, abandoned = result.pop("acknowledged"), result.pop("abandoned")
        print(json.dumps({"phase": "load", **result, "loadavg": loadavg}), flush=True)
        print(json.dumps({"phase": "verify", **verify(acknowledged, abandoned)}), flush=True)
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
