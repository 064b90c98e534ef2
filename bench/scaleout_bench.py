#!/usr/bin/env python
"""Scale-out benchmark: the 1M-record full rollup as a Celery group, on 1 and on 2 worker processes.

    .venv/bin/python bench/scaleout_bench.py [--workers 1 2] [--rounds 2]

Uses the data of bench/rollup_bench.py (its builder; database `BENCH_DATABASE_URL`,
default postgres://root@127.0.0.1:5432/productops_bench, about 1,000,000 records) and
the broker `BENCH_BROKER_URL` (default redis://127.0.0.1:6379/7, purged first). For each
worker count it starts that many `celery worker --concurrency 1` processes — the same
command docker-compose.yml runs, through docker/entrypoint.sh — sends
`metrics.rollup_full_distributed` (one `rollup_unit` message per unit of
`metrics.kpis.rollup.rollup_units()`), and measures the wall time from sending it until every
unit's `RollupRun` has finished. Rounds alternate the worker counts (1, 2, 1, 2, ...) so
a warm cache favours neither. Two modes: `warm` (snapshots already stored, as for the
nightly run, which writes only changed rows) and `cold` (the snapshot table emptied
first, as after a restore: every row is written). Prints JSON lines and a summary with the speed-up
(best wall time on 1 worker / best on 2); docs/operations.md quotes it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://root@127.0.0.1:5432/productops_bench"
DEFAULT_BROKER = "redis://127.0.0.1:6379/7"


def _rollup_bench():
    """bench/rollup_bench.py as a module (bench/ is not a package): its data builder is reused."""
    spec = importlib.util.spec_from_file_location("rollup_bench", ROOT / "bench" / "rollup_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup(db_url: str, broker: str, scale: float) -> dict:
    os.environ["BENCH_DATABASE_URL"] = db_url
    os.environ["CELERY_BROKER_URL"] = broker  # before django.setup(): tasks go to the broker, not eager
    builder = _rollup_bench()
    builder._ensure_database()
    builder._setup()
    return builder.build(False, scale)


def wait_for_workers(count: int, timeout: float = 120) -> list[str]:
    from productops import celery_app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = celery_app.control.ping(timeout=1.0)
        names = sorted(name for reply in replies for name in reply)
        if len(names) >= count:
            return names
    raise TimeoutError(f"{count} workers did not answer ping within {timeout:.0f}s")


def one_round(workers: int, db_url: str, broker: str, log_dir: Path, mode: str) -> dict:
    from django.db import connection
    from django.utils import timezone

    from metrics.kpis.rollup import rollup_units
    from metrics.kpis.tasks import rollup_full_distributed
    from metrics.models import RollupRun
    from productops import celery_app
    from tests.integration.stack import compose_command, production_env, running

    units = len(rollup_units())
    env = production_env(database_url=db_url, broker_url=broker, LOG_LEVEL="INFO", KPI_ROLLUP_ON_COMMIT="0")
    argv = compose_command("worker") + ["--concurrency", "1", "--without-gossip", "--without-mingle"]
    celery_app.control.purge()
    if mode == "cold":  # as after a restore: every snapshot must be written, not just the changed ones
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE metrics_kpisnapshot")
    with running(log_dir) as stack:
        for n in range(workers):
            stack.start(f"worker{workers}-{n}", [*argv, "--hostname", f"bench{n}@%h"], env)
        names = wait_for_workers(workers)
        sent_at = timezone.now()
        started = time.perf_counter()
        rollup_full_distributed.delay()
        while True:
            stack.assert_running()
            runs = list(RollupRun.objects.filter(kind="full", started_at__gte=sent_at))
            if any(r.status == "failed" for r in runs):
                raise RuntimeError(f"a unit failed: {[r.error for r in runs if r.error]}")
            if len(runs) == units and all(r.status == "succeeded" for r in runs):
                break
            time.sleep(0.1)
        wall = time.perf_counter() - started
    return {
        "phase": "round",
        "mode": mode,
        "workers": workers,
        "worker_names": names,
        "wall_seconds": round(wall, 2),
        "units": units,
        "unit_seconds": sorted(round((r.finished_at - r.started_at).total_seconds(), 2) for r in runs),
        "snapshots": sum(r.snapshots_written for r in runs),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews the numbers
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker process counts to compare")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per worker count")
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=["warm", "cold"],
        default=["warm", "cold"],
        help="warm: snapshots stored (the nightly run writes only changes); cold: snapshot table emptied first",
    )
    parser.add_argument("--scale", type=float, default=17.0, help="rollup_bench scale when building (17 ≈ 1M)")
    args = parser.parse_args()
    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    broker = os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    print(json.dumps(setup(db_url, broker, args.scale)), flush=True)

    from metrics.models import CustomerResponse, Defect, Incident, Release, TimeAllocation

    records = sum(m.objects.count() for m in (Release, Incident, Defect, CustomerResponse, TimeAllocation))
    print(json.dumps({"phase": "data", "records": records, "cpus": os.cpu_count()}), flush=True)
    results: dict[tuple[str, int], list[dict]] = {(m, n): [] for m in args.modes for n in args.workers}
    with tempfile.TemporaryDirectory(prefix="scaleout-bench-") as tmp:
        for mode in args.modes:
            for _ in range(args.rounds):
                for workers in args.workers:
                    result = one_round(workers, db_url, broker, Path(tmp), mode)
                    results[mode, workers].append(result)
                    print(json.dumps(result), flush=True)
    for mode in args.modes:
        best = {n: min(r["wall_seconds"] for r in results[mode, n]) for n in args.workers}
        summary = {"phase": "summary", "mode": mode, "records": records, "best_wall_seconds": best}
        if 1 in best:
            summary["speedup"] = {n: round(best[1] / seconds, 2) for n, seconds in best.items() if n != 1}
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
