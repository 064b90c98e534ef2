"""A full GitHub sync against the local fake: records/s, peak memory, API requests.

Run:  .venv/bin/python bench/sources_bench.py [--deployments 10000] [--per-deploy 5] [--resync]

Uses its own PostgreSQL database (`BENCH_DATABASE_URL`, default
postgres://root@127.0.0.1:5432/po_sources_bench), created and migrated when
missing, emptied of records before each run. The fake GitHub (one repo,
N hourly deployments, 5 commits each, every 20th rolled back) runs in its own
process, and the sync in a fresh child process, so the peak RSS is the sync's
own. The sync writes through the record services (one validated save per
record, audit and dirty marks included); the KPI rollup is not part of it
(KPI_ROLLUP_ON_COMMIT=false: the dirty marks wait for the scheduled run).
Prints one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DB = "postgres://root@127.0.0.1:5432/po_sources_bench"
REPO = "bench/monolith"


def _env(db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "KPI_ROLLUP_ON_COMMIT": "false",
        "BENCH_GH_TOKEN": "gh-token",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "productops.settings",
    }


def ensure_database(db_url: str) -> None:
    import psycopg2

    name = db_url.rsplit("/", 1)[1]
    conn = psycopg2.connect(db_url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=_env(db_url), check=True)


def serve(deployments: int, per_deploy: int) -> None:
    """Child: run the synthetic fake GitHub until killed; print its URL first."""
    sys.path.insert(0, ROOT)
    from tests.sources.fake_github import SyntheticGitHub

    fake = SyntheticGitHub(REPO, deployments, per_deploy)
    print(fake.url, flush=True)
    fake.thread.join()


def sync(url: str, label: str) -> None:
    """Child: (re)create the source and run one full sync; print the figures."""
    sys.path.insert(0, ROOT)
    import django

    django.setup()
    from metrics.models import Change, Release
    from sources.models import Source
    from sources.sync import sync_source
    from squads.models import Area, Squad

    if label == "full":  # a clean slate, without per-row signals (this is the scratch database)
        from django.db import connection

        with connection.cursor() as cursor:
            for table in (Change._meta.db_table, Release._meta.db_table, "metrics_dirtyrange"):
                cursor.execute(f"TRUNCATE {table} CASCADE")
        Source.objects.filter(name="bench-gh").delete()
    area, _ = Area.objects.get_or_create(slug="bench")
    Squad.objects.get_or_create(
        slug="bench-squad", defaults={"name": "Bench", "area": area, "monthly_cost_per_head": 1}
    )
    source, _ = Source.objects.get_or_create(
        name="bench-gh",
        defaults={"kind": "github", "base_url": url, "token_env": "BENCH_GH_TOKEN", "squads": {REPO: "bench-squad"}},
    )
    Source.objects.filter(pk=source.pk).update(base_url=url)
    source.refresh_from_db()
    started = time.perf_counter()
    report = sync_source(source, full=True)
    elapsed = time.perf_counter() - started
    records = report.created + report.updated + report.unchanged
    print(
        json.dumps(
            {
                "run": label,
                "ok": report.ok,
                "error": report.error,
                "releases": Release.objects.filter(external_id__startswith=f"github:{REPO}:").count(),
                "changes": Change.objects.filter(external_id__startswith=f"github:{REPO}:").count(),
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "seconds": round(elapsed, 1),
                "records_per_s": round(records / elapsed, 1),
                "api_requests": report.requests,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--per-deploy", type=int, default=5)
    parser.add_argument("--resync", action="store_true", help="then sync again (everything unchanged)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sync", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--label", default="full", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.deployments, args.per_deploy)
    if args.sync:
        return sync(args.sync, args.label)

    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    ensure_database(db_url)
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--deployments",
            str(args.deployments),
            "--per-deploy",
            str(args.per_deploy),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        url = server.stdout.readline().strip()
        labels = ["full", "resync"] if args.resync else ["full"]
        for label in labels:
            subprocess.run(
                [sys.executable, __file__, "--sync", url, "--label", label], cwd=ROOT, env=_env(db_url), check=True
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
