"""Scale-out on Celery (issue 6): the full rollup's units, sent as a Celery group, are shared by
two real worker processes; sending it twice at once (units of the same window contending) gives
no failure, no deadlock, and the same snapshots a single-process `rollup_kpis --full` gives.
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.integration.small_org import small_org_imports
from tests.integration.stack import (
    ROOT,
    compose_command,
    create_database,
    drop_database,
    manage,
    manage_many,
    production_env,
    running,
    wait_for,
)
from tests.services import require_postgres, require_redis, server_url

pytestmark = pytest.mark.services

SNAPSHOTS = (
    "SELECT metric, scope, grain, period_start, value, sample_size FROM metrics_kpisnapshot "
    "ORDER BY metric, scope, grain, period_start"
)


def query(url: str, statement: str) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_two_workers_share_two_concurrent_full_rollups(tmp_path: Path) -> None:
    require_postgres()
    broker = require_redis()
    server = server_url(connection.settings_dict)
    name = f"{connection.settings_dict['NAME'].removeprefix('test_')}_scaleout"
    db_url = create_database(server, name)
    try:
        env = production_env(database_url=db_url, broker_url=broker, KPI_ROLLUP_ON_COMMIT="false")
        manage_many(env, ("migrate", "--noinput"), *small_org_imports(tmp_path))  # one process: Django loads once
        celery = ["celery", "--app", "productops"]
        subprocess.run([*celery, "purge", "-f"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)
        worker = compose_command("worker") + ["--concurrency", "1", "--without-gossip", "--without-mingle"]
        with running(tmp_path) as stack:
            for n in range(2):
                stack.start(f"worker{n}", [*worker, "--hostname", f"scaleout{n}@%h"], env)
            for n in range(2):
                wait_for(
                    lambda n=n: stack.assert_running() or "ready." in stack.log(f"worker{n}"),
                    timeout=60,
                    what=f"worker{n} ready",
                )
            counted = manage(env, "shell", "-c", "from metrics.kpis.tasks import worker_processes as w; print(w())")
            assert counted.stdout.split()[-1] == "2"  # what the nightly run counts before it fans out
            units = int(
                manage(
                    env, "shell", "-c", "from metrics.kpis.rollup import rollup_units; print(len(rollup_units()))"
                ).stdout.split()[-1]
            )
            assert units > 1
            for _ in range(2):  # two full rollups at once: every unit twice
                subprocess.run(
                    [*celery, "call", "metrics.rollup_full_distributed"],
                    env=env,
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    timeout=60,
                )

            def all_units_done() -> list[tuple] | None:
                stack.assert_running()
                runs = query(db_url, "SELECT status, error FROM metrics_rolluprun WHERE kind = 'full'")
                done = len(runs) == 2 * units and all(status != "running" for status, _ in runs)
                return runs if done else None

            runs = wait_for(all_units_done, timeout=120, what=f"{2 * units} rollup units")
        assert runs == [("succeeded", "")] * (2 * units)

        distributed = query(db_url, SNAPSHOTS)
        assert ("releases", "org", "month", date(2026, 1, 1), 2.0, 2) in distributed
        manage(env, "rollup_kpis", "--full")
        assert query(db_url, SNAPSHOTS) == distributed
    finally:
        drop_database(server, name)
