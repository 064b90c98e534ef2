"""Peak memory of `import_records` on a big file (issue 15: 3.2M lines once died with MemoryError).

Run:  .venv/bin/python bench/import_memory_bench.py [--lines 3200000] [--dry-run]

Uses its own PostgreSQL database (`BENCH_DATABASE_URL`, default
postgres://root@127.0.0.1:5432/productops_import_bench; created and migrated when missing,
its releases emptied before each run). Writes a releases CSV of `--lines` data lines
(~63 bytes each: 3.2M lines ≈ 200 MB) to a temporary file, then runs
`manage.py import_records releases <file>` in a child process and reports, as one JSON
line, the child's peak resident memory (ru_maxrss from wait4), wall time, rows per second
and the load average. Target: peak ≤ 300 MB for 3.2M lines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/productops_import_bench"


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def ensure_database(url: str) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def prepare(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput")
    script = (
        "from squads.models import Area, Squad; from metrics.models import Release; "
        "Release.objects.filter(external_id__startswith='bench-').delete(); "
        "a, _ = Area.objects.get_or_create(slug='bench', defaults={'name': 'Bench'}); "
        "Squad.objects.get_or_create(slug='bench', defaults={'name': 'Bench', 'area': a, "
        "'monthly_cost_per_head': 1000})"
    )
    manage(env, "shell", "--no-imports", "-c", script)


def write_csv(path: Path, lines: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("external_id,squad,version,released_at,first_commit_at,status\n")
        for i in range(lines):
            day = 1 + i % 28
            out.write(f"bench-{i},bench,{i % 97}.{i % 13},2025-{1 + i % 12:02d}-{day:02d}T10:00:00Z,,succeeded\n")
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=3_200_000)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KPI_ROLLUP_ON_COMMIT": "false",
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    ensure_database(url)
    prepare(env)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "releases.csv"
        size = write_csv(path, args.lines)
        argv = [sys.executable, "manage.py", "import_records", "releases", str(path)]
        if args.dry_run:
            argv.append("--dry-run")
        started = time.monotonic()
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        out, err = child.stdout.read(), child.stderr.read()
    print(
        json.dumps(
            {
                "bench": "import_memory",
                "lines": args.lines,
                "file_mb": round(size / 1e6, 1),
                "dry_run": args.dry_run,
                "exit_status": os.waitstatus_to_exitcode(status),
                "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "seconds": round(seconds, 1),
                "rows_per_second": round(args.lines / seconds),
                "load_average": [round(x, 1) for x in os.getloadavg()],
                "stdout": out.strip()[-200:],
                "stderr": err.strip()[-300:],
            }
        )
    )


if __name__ == "__main__":
    main()
