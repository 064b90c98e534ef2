"""Latency of the dashboards and /api/kpis/ under concurrent load (not a test: numbers for humans).

Run:  .venv/bin/python bench/pages_bench.py [--squads 50] [--users 20] [--seconds 20] [--think 0.5]
                                            [--json out.json] [--probe]

Uses DATABASE_URL (default postgres://root@127.0.0.1:5432/productops_bench_pages). When the
database has no squads it migrates, generates the demo org (`--squads` × `--years`,
`metrics.demo.generate_org`) and runs the full KPI rollup. It then serves the app exactly as the
compose `web` service does — gunicorn with docker/gunicorn.conf.py (WEB_CONCURRENCY, WEB_THREADS
and the keep-alive set there), the shared cache and the page cache in Redis (`--cache-url`, default
redis://127.0.0.1:6379/9, standing in for CACHE_URL and PAGE_CACHE_URL) — on loopback, signs in
`--users` simulated users through the login form (one keep-alive connection each, reopened when
the server closes it), requests every page once, runs the same load as the measurement for
`--warmup` seconds (not measured), and for `--seconds` has every user request, in turn, `/`, a
squad page, a metric page, `/api/kpis/` and `/ping/` (a minimal login-required page), back to back
or with `--think` seconds (±50 %) between requests; users start at different pages and times.
It prints the median and p95 latency of each and the ratio of the p95s to /ping/'s, all measured
in the same run, with the load average; `--json` writes the same as JSON. It also times each page
once with empty caches (a cold build) in-process.

`--probe` serves through bench/pages_probe.py (settings + one middleware, bench only), which logs
per request the server-side time, CPU time, SQL statements and their time, new database
connections and garbage-collector time; the summary then splits each page's slow requests into
time in the server and time before it (queueing, connection set-up).

Target (issue 4, kept by issue 18): p95 within 4× of the minimal page, with and without think time.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/productops_bench_pages"
USERNAME = "bench-viewer"
PASSWORD = "bench-viewer-pw-2026"


def django_setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")
    os.environ.setdefault("KPI_ROLLUP_ON_COMMIT", "false")
    sys.path.insert(0, str(ROOT))
    django.setup()


def ensure_database(url: str) -> None:
    """Create the bench database when it does not exist yet (PostgreSQL only)."""
    if not url.startswith("postgres"):
        return
    import psycopg2

    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'create database "{name}"')
    finally:
        conn.close()


def setup_data(squads: int, years: int, scale: float, force: bool) -> str:
    """Migrate, fill the demo org and roll it up (unless already there); return a squad slug."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    if not (ROOT / "staticfiles/staticfiles.json").exists():  # pages link hashed static names
        call_command("collectstatic", "--noinput", verbosity=0)
    from metrics.demo.generator import generate_org
    from metrics.kpis.rollup import full_rollup
    from squads.models import Squad

    if force and Squad.objects.exists():
        sys.exit("--setup needs an empty database; drop it first or run without --setup to reuse it")
    if not Squad.objects.exists():
        today = timezone.now().date()
        began = time.monotonic()
        with transaction.atomic():
            counts = generate_org(
                squads=squads, areas=6, start=today - timedelta(days=365 * years), end=today, scale=scale
            )
        print(f"generated {sum(counts.values()):,} records in {time.monotonic() - began:.0f}s", flush=True)
        began = time.monotonic()
        written = full_rollup()
        print(f"full rollup: {written:,} snapshots in {time.monotonic() - began:.0f}s", flush=True)
    user_model = get_user_model()
    if not user_model.objects.filter(username=USERNAME).exists():
        user_model.objects.create_user(USERNAME, f"{USERNAME}@example.com", PASSWORD)
    return Squad.objects.filter(active=True).order_by("slug").values_list("slug", flat=True)[0]


def cold_build_times(paths: list[str]) -> dict[str, float]:
    """One request per page in-process with empty caches: the cost of building it."""
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=USERNAME))
    times = {}
    for path in paths:
        for cache in caches.all():
            cache.clear()
        began = time.perf_counter()
        response = client.get(path)
        times[path] = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code)
    return times


class User:
    """One simulated user: a keep-alive connection and a session signed in via the login form."""

    ids = itertools.count()

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.reconnects = 0
        self.sign_in()

    def _headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie} if cookie else {}

    def request(self, method: str, path: str, body: str | None = None, extra: dict | None = None) -> tuple[int, bytes]:
        headers = {**self._headers(), **(extra or {})}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # the server closed an idle keep-alive connection: reconnect once (counted)
            self.reconnects += 1
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        if response.will_close:  # "Connection: close", or a server without keep-alive
            self.conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def sign_in(self) -> None:
        status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200, f"login page answered {status}"
        assert token, "login page without a CSRF token"
        form = urlencode({"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()})
        status, _ = self.request(
            "POST",
            "/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/login/"},
        )
        assert status == 302, f"sign-in failed: {status}"

    def timed_get(self, path: str) -> tuple[str, float, bool, int]:
        """(request id, milliseconds, whether a new TCP connection was opened for it, body bytes)."""
        request_id = str(next(self.ids))
        fresh = self.conn.sock is None
        before = self.reconnects
        began = time.perf_counter()
        status, body = self.request("GET", path, extra={"X-Bench-Id": request_id})
        elapsed = (time.perf_counter() - began) * 1000
        assert status == 200, (path, status)
        return request_id, elapsed, fresh or self.reconnects > before, len(body)


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("the server did not come up")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def start_server(args: argparse.Namespace, probe_dir: str | None) -> subprocess.Popen:
    """gunicorn as the compose `web` service runs it: docker/gunicorn.conf.py, read from the environment."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "KPI_ROLLUP_ON_COMMIT": "false",
        "WEB_BIND_HOST": "127.0.0.1",
        "PORT": str(args.port),
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["WEB_THREADS"] = str(args.threads)
    if args.cache_url:
        env["CACHE_URL"] = env["PAGE_CACHE_URL"] = args.cache_url
    if probe_dir:
        env["DJANGO_SETTINGS_MODULE"] = "bench.pages_probe"
        env["PAGES_PROBE_DIR"] = probe_dir
    command = [str(ROOT / ".venv/bin/gunicorn"), "productops.wsgi:application", "--config", "docker/gunicorn.conf.py"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def read_probe(folder: str) -> dict[str, dict]:
    lines = {}
    for path in Path(folder).glob("*.jsonl"):
        for text in path.read_text().splitlines():
            row = json.loads(text)
            if row.get("id") is not None:
                lines[row["id"]] = row
    return lines


def probe_summary(samples: list[dict], probe: dict[str, dict]) -> dict:
    """Means over the slowest 5 % of a page's requests and over all of them: where the time goes."""
    joined = [(s, probe[s["id"]]) for s in samples if s["id"] in probe]
    if not joined:
        return {}
    cut = percentile([s["ms"] for s, _ in joined], 95)

    def means(rows: list[tuple[dict, dict]]) -> dict:
        n = len(rows) or 1
        return {
            "client_ms": round(sum(s["ms"] for s, _ in rows) / n, 1),
            "server_ms": round(sum(p["server_ms"] for _, p in rows) / n, 1),
            "outside_server_ms": round(sum(s["ms"] - p["server_ms"] for s, p in rows) / n, 1),
            "cpu_ms": round(sum(p["cpu_ms"] for _, p in rows) / n, 1),
            "queries": round(sum(p["queries"] for _, p in rows) / n, 1),
            "sql_ms": round(sum(p["sql_ms"] for _, p in rows) / n, 1),
            "gc_ms": round(sum(p["gc_ms"] for _, p in rows) / n, 1),
            "db_connects_per_request": round(sum(p["connects"] for _, p in rows) / n, 3),
            "new_tcp_per_request": round(sum(s["new_tcp"] for s, _ in rows) / n, 3),
        }

    return {"all": means(joined), "slowest_5pct": means([(s, p) for s, p in joined if s["ms"] >= cut])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", action="store_true", help="require an empty database and fill it")
    parser.add_argument("--squads", type=int, default=50)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="records volume factor of generate_org")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of the same load before measuring")
    parser.add_argument("--workers", type=int, default=0, help="WEB_CONCURRENCY (default: as in gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=0, help="WEB_THREADS (default: as in gunicorn.conf.py)")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/9"),
        help="Redis for CACHE_URL and PAGE_CACHE_URL (as in compose); '' = per-process memory caches",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause (s) of a user between requests; 0 = back to back (worst case)",
    )
    parser.add_argument("--json", help="write the results to this file as JSON")
    parser.add_argument("--probe", action="store_true", help="per-request server timings (bench/pages_probe.py)")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or DEFAULT_DB
    if args.cache_url:
        os.environ["CACHE_URL"] = os.environ["PAGE_CACHE_URL"] = args.cache_url
    ensure_database(os.environ["DATABASE_URL"])
    django_setup()
    slug = setup_data(args.squads, args.years, args.scale, args.setup)
    from squads.models import Squad

    squads = Squad.objects.filter(active=True).count()
    pages = {
        "overview": "/",
        "squad": f"/squads/{slug}/",
        "metric": "/metrics/change_failure_rate/",
        "api_kpis": "/api/kpis/",
        "ping": "/ping/",
    }
    cold = cold_build_times(list(pages.values()))

    probe_dir = tempfile.mkdtemp(prefix="pages-probe-") if args.probe else None
    server = start_server(args, probe_dir)
    load_before = os.getloadavg()
    try:
        wait_for(args.port)
        users = [User(args.port) for _ in range(args.users)]
        for user in users:  # every page built and cached once
            for path in pages.values():
                user.timed_get(path)
        samples: dict[str, list[dict]] = {name: [] for name in pages}
        lock = threading.Lock()
        names = list(pages)

        def run(user: User, index: int, seconds: float, keep: bool) -> None:
            # Users do not arrive in lockstep: each starts at its own page, after its own pause.
            local: dict[str, list[dict]] = {name: [] for name in pages}
            pause = random.Random(index)
            stop_at = time.monotonic() + seconds
            time.sleep(pause.uniform(0, max(args.think, 0.05)))
            for step in itertools.count(index):
                if time.monotonic() >= stop_at:
                    break
                name = names[step % len(names)]
                request_id, ms, new_tcp, size = user.timed_get(pages[name])
                local[name].append({"id": request_id, "ms": ms, "new_tcp": new_tcp, "bytes": size})
                if args.think:
                    time.sleep(pause.uniform(0.5, 1.5) * args.think)
            if keep:
                with lock:
                    for name, values in local.items():
                        samples[name].extend(values)

        # A warm-up with the same load (not measured): the server reaches its steady state (threads
        # started, database connections open) before the measurement, as a server up for a while has.
        for seconds, keep in ((args.warmup, False), (args.seconds, True)):
            threads = [threading.Thread(target=run, args=(u, i, seconds, keep)) for i, u in enumerate(users)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    load_after = os.getloadavg()
    probe = read_probe(probe_dir) if probe_dir else {}
    if probe_dir:
        shutil.rmtree(probe_dir, ignore_errors=True)

    ping_p95 = percentile([s["ms"] for s in samples["ping"]], 95)
    results = {}
    for name, path in pages.items():
        values = [s["ms"] for s in samples[name]]
        p95 = percentile(values, 95)
        results[name] = {
            "path": path,
            "requests": len(values),
            "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(p95, 1),
            "p95_over_ping": round(p95 / ping_p95, 2),
            "cold_ms": round(cold[path], 1),
            "new_tcp_share": round(sum(s["new_tcp"] for s in samples[name]) / len(values), 3),
            "body_kb": round(statistics.mean(s["bytes"] for s in samples[name]) / 1024, 1),
            **({"probe": probe_summary(samples[name], probe)} if probe else {}),
        }
    config = gunicorn_config(args)
    summary = {
        "squads": squads,
        "users": args.users,
        "seconds": args.seconds,
        "think_s": args.think,
        "gunicorn": config,
        "cache": "redis" if args.cache_url else "memory",
        "cpus": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "pages": results,
    }
    think = f"think time ~{args.think:g}s" if args.think else "no think time"
    print(
        f"\n{args.users} concurrent users ({think}), {args.seconds:.0f}s, {squads} squads, gunicorn "
        f"{config['workers']} workers × {config['threads']} threads (keep-alive {config['keepalive']}s), "
        f"{summary['cache']} caches, {os.cpu_count()} CPUs (load generator on the same machine), "
        f"load average {load_before[0]:.1f} → {load_after[0]:.1f}"
    )
    print(
        f"{'page':<10} {'path':<32} {'requests':>8} {'median ms':>10} {'p95 ms':>8} {'p95/ping':>9} "
        f"{'cold ms':>8} {'new TCP':>8} {'body KB':>8}"
    )
    for name, row in results.items():
        print(
            f"{name:<10} {row['path']:<32} {row['requests']:>8} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} "
            f"{row['p95_over_ping']:>9.2f} {row['cold_ms']:>8.0f} {row['new_tcp_share']:>8.1%} {row['body_kb']:>8.0f}"
        )
    print("\ncold ms = one in-process request with empty caches (the cost of building the page)")
    if probe:
        print("\nwhere the time goes (probe; means over all requests | over the slowest 5 %):")
        for name, row in results.items():
            print(f"  {name:<9} all {json.dumps(row['probe'].get('all'))}")
            print(f"  {'':<9} p95+ {json.dumps(row['probe'].get('slowest_5pct'))}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")


def gunicorn_config(args: argparse.Namespace) -> dict:
    """workers, threads and keep-alive as docker/gunicorn.conf.py resolves them for this run."""
    import runpy

    saved = dict(os.environ)
    try:
        if args.workers:
            os.environ["WEB_CONCURRENCY"] = str(args.workers)
        if args.threads:
            os.environ["WEB_THREADS"] = str(args.threads)
        config = runpy.run_path(str(ROOT / "docker/gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {name: config.get(name) for name in ("workers", "threads", "keepalive", "worker_class")}


if __name__ == "__main__":
    main()
