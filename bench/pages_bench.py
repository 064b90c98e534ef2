"""Latency of the org overview and a squad page under concurrent load (not a test: numbers for humans).

Run:  .venv/bin/python bench/pages_bench.py [--setup] [--users 20] [--seconds 20] [--workers 3 --threads 8]

Uses DATABASE_URL (default postgres://root@127.0.0.1:5432/productops_bench_pages). With --setup
(or when the database has no squads) it migrates, generates the demo org at 50 squads × 3 years
(`metrics.demo.generate_org`) and runs the full KPI rollup. It then serves the app with gunicorn
(gthread workers) on loopback, signs in `--users` simulated users through the login form, warms
up, and for `--seconds` has every user request, in turn, `/`, one squad page and `/ping/` (a
minimal login-required page), back to back (or with `--think` seconds between requests). It
prints the median and p95 latency of each, and the ratio of the p95s to /ping/'s, all measured
in the same run. It also times each page once
with an empty page cache (a cold build) in-process.

Target (issue 4): p95 < 300 ms and within 4× of the minimal page.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
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
    """One request per page in-process with an empty cache: the cost of building it."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=USERNAME))
    times = {}
    for path in paths:
        cache.clear()
        began = time.perf_counter()
        response = client.get(path)
        times[path] = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code)
    return times


class User:
    """One simulated user: a keep-alive connection and a session signed in via the login form."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
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
            # the server closed an idle keep-alive connection: reconnect once
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
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

    def timed_get(self, path: str) -> float:
        began = time.perf_counter()
        status, _ = self.request("GET", path)
        elapsed = (time.perf_counter() - began) * 1000
        assert status == 200, (path, status)
        return elapsed


def wait_for(port: int, seconds: float = 30) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", action="store_true", help="require an empty database and fill it")
    parser.add_argument("--squads", type=int, default=50)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="records volume factor of generate_org")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause (s) of a user between requests; 0 = back to back (worst case)",
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or DEFAULT_DB
    ensure_database(os.environ["DATABASE_URL"])
    django_setup()
    slug = setup_data(args.squads, args.years, args.scale, args.setup)
    pages = {"overview": "/", "squad": f"/squads/{slug}/", "ping": "/ping/"}
    cold = cold_build_times(list(pages.values()))

    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "KPI_ROLLUP_ON_COMMIT": "false",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "productops.wsgi:application",
            "-b",
            f"127.0.0.1:{args.port}",
            "-k",
            "gthread",
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--keep-alive",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(args.port)
        users = [User(args.port) for _ in range(args.users)]
        for user in users:  # warm-up: every worker builds and caches each page once
            for path in pages.values():
                user.timed_get(path)
        samples: dict[str, list[float]] = {name: [] for name in pages}
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def run(user: User) -> None:
            local: dict[str, list[float]] = {name: [] for name in pages}
            pause = random.Random(id(user))
            while time.monotonic() < stop_at:
                for name, path in pages.items():
                    local[name].append(user.timed_get(path))
                    if args.think:
                        time.sleep(pause.uniform(0.5, 1.5) * args.think)
            with lock:
                for name, values in local.items():
                    samples[name].extend(values)

        threads = [threading.Thread(target=run, args=(u,)) for u in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    think = f"think time ~{args.think:g}s" if args.think else "no think time"
    print(
        f"\n{args.users} concurrent users ({think}), {args.seconds:.0f}s, gunicorn {args.workers} workers × "
        f"{args.threads} threads, {os.cpu_count()} CPUs (load generator on the same machine), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'page':<10} {'path':<28} {'requests':>8} {'median ms':>10} {'p95 ms':>8} {'p95/ping':>9} {'cold ms':>8}")
    ping_p95 = percentile(samples["ping"], 95)
    for name, path in pages.items():
        values = samples[name]
        p95 = percentile(values, 95)
        print(
            f"{name:<10} {path:<28} {len(values):>8} {statistics.median(values):>10.1f} {p95:>8.1f} "
            f"{p95 / ping_p95:>9.2f} {cold[path]:>8.0f}"
        )
    print("\ncold ms = one in-process request with an empty page cache (the cost of building the page)")


if __name__ == "__main__":
    main()
