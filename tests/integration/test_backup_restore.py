"""Backups (issue 6): docker/backup.sh dumps the records without the derivable snapshots;
docker/restore.sh into a fresh database followed by its `rollup_kpis --full` gives the
very same snapshots as the original.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.integration.small_org import small_org_imports
from tests.integration.stack import ROOT, create_database, drop_database, manage_many, production_env
from tests.services import require, require_postgres, server_url

pytestmark = pytest.mark.services


SNAPSHOTS = (
    "SELECT metric, scope, grain, period_start, round(value::numeric, 9), sample_size FROM metrics_kpisnapshot "
    "ORDER BY metric, scope, grain, period_start"
)
RECORD_TABLES = (
    "squads_squad",
    "metrics_release",
    "metrics_incident",
    "metrics_defect",
    "metrics_customerresponse",
    "metrics_timeallocation",
)


def query(url: str, statement: str) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall()
    finally:
        conn.close()


def run_script(script: str, *args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(ROOT / "docker" / script), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.slow
def test_restore_then_full_rollup_gives_the_same_snapshots(tmp_path: Path) -> None:
    require_postgres()
    require(bool(shutil.which("pg_dump") and shutil.which("pg_restore")), "PostgreSQL client tools")
    server = server_url(connection.settings_dict)
    prefix = connection.settings_dict["NAME"].removeprefix("test_")
    source_name, restored_name = f"{prefix}_backup_src", f"{prefix}_backup_dst"
    source = create_database(server, source_name)
    restored = create_database(server, restored_name)
    dump = tmp_path / "productops.dump"
    try:
        env = production_env(database_url=source, broker_url="", KPI_ROLLUP_ON_COMMIT="false")
        env.pop("CELERY_BROKER_URL")
        # migrate, import and roll up in one process (each start loads Django: seconds on a busy box)
        manage_many(env, ("migrate", "--noinput"), *small_org_imports(tmp_path), ("rollup_kpis", "--full"))
        original = query(source, SNAPSHOTS)
        assert len(original) > 100
        assert ("releases", "org", "month", date(2026, 1, 1), 2, 2) in original
        # 6 people × 10000 a head × 10 % on support
        assert ("support_cost", "squad:alpha", "month", date(2026, 1, 1), 6000, 1) in original

        run_script("backup.sh", str(dump), env=env)
        listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
        assert "TABLE DATA public metrics_release " in listing.stdout
        assert "TABLE DATA public metrics_kpisnapshot " not in listing.stdout, "snapshots are rebuilt, not backed up"

        run_script("restore.sh", str(dump), env=env | {"DATABASE_URL": restored})
        assert query(restored, SNAPSHOTS) == original
        for table in RECORD_TABLES:
            count = f"SELECT count(*) FROM {table}"
            assert query(restored, count) == query(source, count) != [(0,)], table
    finally:
        drop_database(server, source_name)
        drop_database(server, restored_name)
