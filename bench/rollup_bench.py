#!/usr/bin/env python
"""KPI rollup benchmark on PostgreSQL: 50 squads × 3 years, about 1,000,000 records.

    .venv/bin/python bench/rollup_bench.py [--rebuild] [--scale 17]

Builds the org once in its own database (`BENCH_DATABASE_URL`, default
postgres://root@127.0.0.1:5432/productops_bench) with `metrics.demo.generate_org`,
then measures, each in a fresh child process so peak memory is the rollup's own:

1. `COPY (SELECT * FROM <table>) TO STDOUT` over every record table (reading every record once);
2. a full rollup: wall time, peak RSS (getrusage maxrss) and the ratio to (1);
3. an incremental rollup after one day's new records (marked dirty as every bulk write must).

Targets: full ≤ 2 × COPY, first build (`full_cold`) ≤ 3 × COPY, peak memory < 1 GB (also at 5M
records: bench/rollup_scale_bench.py), incremental < 2 s. Results are printed as JSON lines, the
1-minute load average in each; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://root@127.0.0.1:5432/productops_bench"


def _setup() -> None:
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["KPI_ROLLUP_ON_COMMIT"] = "0"  # the bench runs rollups itself
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _ensure_database() -> None:
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    conn = psycopg2.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def build(rebuild: bool, scale: float, years: float = 3.0) -> dict:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from metrics.demo.generator import generate_org
    from metrics.models import (
        CustomerResponse,
        Defect,
        DirtyRange,
        Incident,
        KpiSnapshot,
        Release,
        RollupRun,
        Survey,
        TimeAllocation,
    )
    from squads.models import Area, Squad

    call_command("migrate", verbosity=0)
    if Release.objects.exists() and not rebuild:
        return {"phase": "build", "skipped": "data already there (use --rebuild)"}
    started = time.perf_counter()
    with transaction.atomic():
        for model in (
            KpiSnapshot,
            DirtyRange,
            RollupRun,
            Incident,
            Release,
            Defect,
            CustomerResponse,
            TimeAllocation,
            Survey,
            Squad,
            Area,
        ):
            model.objects.all().delete()
        today = timezone.now().date()
        counts = generate_org(
            squads=50, areas=6, start=today - timedelta(days=round(years * 365)), end=today, scale=scale
        )
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # fresh planner statistics, as a production database would have
    return {
        "phase": "build",
        "seconds": round(time.perf_counter() - started, 1),
        "counts": counts,
        "records": sum(v for k, v in counts.items() if k not in {"areas", "squads", "surveys"}),
    }


def measure_copy() -> dict:
    from django.db import connection

    from metrics.models import CustomerResponse, Defect, Incident, Release, TimeAllocation

    class Sink:
        size = 0

        def write(self, data: str) -> int:
            Sink.size += len(data)
            return len(data)

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (Release, Incident, Defect, CustomerResponse, TimeAllocation):
            cursor.copy_expert(f"COPY (SELECT * FROM {model._meta.db_table}) TO STDOUT", Sink())
    return {"phase": "copy", "seconds": round(time.perf_counter() - started, 3), "bytes": Sink.size}


def measure_full(*, cold: bool = False) -> dict:
    """A full rollup: `cold` from an empty snapshot table (every row inserted), else over the stored
    snapshots (the nightly case: everything recomputed, only changed rows written)."""
    from django.db import connection

    from metrics.kpis.rollup import full_rollup
    from metrics.models import KpiSnapshot

    if cold:
        # TRUNCATE, as a fresh install or a restore has it: a DELETE would leave every old row
        # dead in the heap and the indexes, which the inserts then wade through.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {KpiSnapshot._meta.db_table}")
    base = _peak_mb()
    started = time.perf_counter()
    written = full_rollup()
    return {
        "phase": "full_cold" if cold else "full",
        "seconds": round(time.perf_counter() - started, 3),
        "snapshots": written,
        "peak_rss_mb": round(_peak_mb(), 1),
        "rss_before_mb": round(base, 1),
    }


def insert_one_day() -> dict:
    """About one day of the org's records, written in bulk and marked dirty like an import does."""
    from django.db import transaction
    from django.utils import timezone

    from metrics.kpis.dirty import mark_spans, spans_for
    from metrics.models import CustomerResponse, Defect, Incident, Release, Survey
    from squads.models import Squad

    rng = random.Random(11)
    now = timezone.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    seconds = max(60, int((now - day_start).total_seconds()) - 60)
    squads = list(Squad.objects.values_list("id", flat=True))
    survey = Survey.objects.filter(kind=Survey.Kind.CUSTOMER).first()
    tag = now.strftime("%Y%m%d%H%M%S")
    objs: dict[type, list] = {Release: [], Incident: [], Defect: [], CustomerResponse: []}

    def at() -> datetime:
        return day_start + timedelta(seconds=rng.randrange(seconds))

    for n, squad in enumerate(squads):
        for k in range(9):
            released = at()
            objs[Release].append(
                Release(
                    external_id=f"bench-{tag}-r{n}-{k}",
                    squad_id=squad,
                    version=f"9.{k}",
                    released_at=released,
                    first_commit_at=released - timedelta(hours=30),
                    status="succeeded",
                )
            )
        for k in range(5):
            objs[Defect].append(
                Defect(
                    external_id=f"bench-{tag}-d{n}-{k}",
                    squad_id=squad,
                    severity=3,
                    found_at=at(),
                    found_in="testing",
                    found_by="internal",
                )
            )
        started = at()
        objs[Incident].append(
            Incident(
                external_id=f"bench-{tag}-i{n}",
                squad_id=squad,
                severity=3,
                started_at=started,
                resolved_at=started + timedelta(minutes=30),
                customer_impact=True,
            )
        )
        for k in range(2):
            objs[CustomerResponse].append(
                CustomerResponse(
                    external_id=f"bench-{tag}-c{n}-{k}", survey=survey, submitted_at=at(), squad_id=squad, nps_score=9
                )
            )
    with transaction.atomic():
        spans = []
        for model, rows in objs.items():
            model.objects.bulk_create(rows, batch_size=5000)
            for row in rows:
                spans += spans_for(model, {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields})
        mark_spans(spans)
    return {"phase": "insert_day", "records": sum(len(v) for v in objs.values())}


def measure_incremental() -> dict:
    from metrics.kpis.rollup import incremental_rollup

    started = time.perf_counter()
    written = incremental_rollup()
    return {
        "phase": "incremental",
        "seconds": round(time.perf_counter() - started, 3),
        "snapshots": written,
        "peak_rss_mb": round(_peak_mb(), 1),
    }


PHASES = {
    "copy": measure_copy,
    "full_cold": lambda: measure_full(cold=True),
    "full": measure_full,
    "insert_day": insert_one_day,
    "incremental": measure_incremental,
}


def _child(phase: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", phase], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the bench data")
    parser.add_argument("--scale", type=float, default=17.0, help="demo generator scale (17 ≈ 1M records)")
    parser.add_argument("--years", type=float, default=3.0, help="years of history (3 ≈ 1M records at scale 17)")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _setup()
        print(json.dumps(PHASES[args.phase]()))
        return
    _ensure_database()
    _setup()
    print(json.dumps(build(args.rebuild, args.scale, args.years)), flush=True)
    if args.build_only:
        return
    results: dict[str, dict] = {}
    for step, phase in enumerate(("copy", "full_cold", "copy", "full", "insert_day", "incremental")):
        # COPY is timed right before each full rollup, so both see the same machine load
        load = round(os.getloadavg()[0], 2)
        results[f"{phase}{step}" if phase == "copy" else phase] = result = _child(phase)
        result["load_average_1m"] = load
        print(json.dumps(result), flush=True)
    summary = {
        "phase": "summary",
        "full_over_copy": round(results["full"]["seconds"] / results["copy2"]["seconds"], 2),
        "full_cold_over_copy": round(results["full_cold"]["seconds"] / results["copy0"]["seconds"], 2),
        "peak_rss_mb": max(results["full"]["peak_rss_mb"], results["full_cold"]["peak_rss_mb"]),
        "incremental_seconds": results["incremental"]["seconds"],
        "targets": {"full_over_copy": 2, "full_cold_over_copy": 3, "peak_rss_mb": 1024, "incremental_seconds": 2},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
