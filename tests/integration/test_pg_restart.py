"""A real PostgreSQL restart (`pg_ctl restart -m fast`), not a simulated one (test_faults.py kills
connections with pg_terminate_backend): mid-load, nothing acknowledged is lost or doubled, and
mid-rollup, the rollup fails cleanly, its retry gives what a fresh full rollup gives.

The test starts a throwaway cluster of its own (initdb + pg_ctl, as the `postgres` user, on a
free port, in a temporary directory), copies the migrated test database's schema into it, and
runs the application in subprocesses whose DATABASE_URL names that cluster
(tests/integration/pg_restart_client.py). The suite's own server is never restarted. CI only:
it needs root (to act as `postgres`) and the PostgreSQL server binaries.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.services import IN_CI, free_port, require, require_postgres

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
DB = "po_restart"
LOAD_SECONDS, LOAD_THREADS = 3.0, 8


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return found[-1] if found else None


class Cluster:
    """A PostgreSQL cluster in `directory`, run as the `postgres` user on `port`."""

    def __init__(self, bin_dir: str, directory: Path, port: int) -> None:
        self.bin_dir, self.directory, self.port = bin_dir, directory, port
        self.data, self.log = directory / "data", directory / "server.log"

    def run(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args]
        subprocess.run(command, check=True, capture_output=True, timeout=60, cwd=self.directory)

    def pg_ctl(self, *args: str) -> None:
        self.run(f"{self.bin_dir}/pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", *args)

    def url(self, database: str = DB) -> str:
        return f"postgresql://root@127.0.0.1:{self.port}/{database}"

    def query(self, sql: str, database: str = DB) -> list[tuple]:
        """Run `sql` in a fresh autocommit session; its rows (none for a statement without)."""
        conn = psycopg2.connect(self.url(database))
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()

    def started_at(self) -> str:
        return str(self.query("SELECT pg_postmaster_start_time()")[0][0])


@pytest.fixture
def cluster(role_groups) -> Iterator[Cluster]:
    if not IN_CI:
        pytest.skip("starts a PostgreSQL cluster of its own: CI only")
    require_postgres()
    bin_dir = _bin_dir()
    require(bin_dir is not None and shutil.which("runuser") is not None, "PostgreSQL server binaries and runuser")
    require(os.geteuid() == 0, "root (to run initdb as the postgres user)")
    owner = pwd.getpwnam("postgres")
    directory = Path(tempfile.mkdtemp(prefix="po-pg-restart-"))
    os.chown(directory, owner.pw_uid, owner.pw_gid)
    server = Cluster(bin_dir, directory, free_port())
    try:
        server.run(
            f"{bin_dir}/initdb", "-D", str(server.data), "-A", "trust", "-U", "root", "-E", "UTF8", "--locale=C", "-N"
        )
        options = f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        server.pg_ctl("-o", options, "start")
        server.query(f"CREATE DATABASE {DB}", database="postgres")
        _copy_schema(server)
        yield server
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{bin_dir}/pg_ctl", "-D", str(server.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(directory, ignore_errors=True)


def _copy_schema(server: Cluster) -> None:
    """The test database, migrated by pytest-django (schema, migration rows, role groups), into the
    throwaway cluster: a second's pg_dump instead of a quarter minute of `migrate`."""
    cfg = connection.settings_dict
    source = f"postgresql://{cfg['USER']}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"
    dump = subprocess.run(
        [f"{server.bin_dir}/pg_dump", "--no-owner", "--no-privileges", source],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [f"{server.bin_dir}/psql", "-q", "-v", "ON_ERROR_STOP=1", server.url()],
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=60,
    )


class Client:
    """The warm client process (pg_restart_client.py) and its log."""

    def __init__(self, server: Cluster, log: Path) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": server.url(),
            "DJANGO_SETTINGS_MODULE": "productops.settings_test",
            "DB_CONN_MAX_AGE": "60",  # persistent connections: the health check must notice the restart
            "KPI_ROLLUP_ON_COMMIT": "false",  # the rollup is this test's second half
            "API_THROTTLE_USER": "1000000/min",
            "CELERY_BROKER_URL": "",
        }
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.pg_restart_client"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
            text=True,
        )

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def line(self) -> str:
        line = self.proc.stdout.readline()
        assert line, self.log.read_text()[-4000:]
        return line.strip()

    def answer(self) -> dict:
        return json.loads(self.line())

    def running(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _snapshots(server: Cluster) -> dict[tuple, tuple]:
    rows = server.query("SELECT metric, scope, grain, period_start, value, sample_size FROM metrics_kpisnapshot")
    return {row[:4]: row[4:] for row in rows}


@pytest.mark.slow
def test_a_real_restart_mid_load_and_mid_rollup_loses_nothing(cluster: Cluster, tmp_path: Path, capsys) -> None:
    started = time.monotonic()
    client = Client(cluster, tmp_path / "client.log")
    try:
        acknowledged, outcome, failed = _restart_mid_load(cluster, client)
        retried, after_retry = _restart_mid_rollup(cluster, client)
        # A fresh full rollup over an emptied table, computed on its own, gives the same rows.
        cluster.query("DELETE FROM metrics_kpisnapshot")
        client.send("rollup")
        assert client.answer()["failed_attempts"] == []
        assert _snapshots(cluster) == after_retry, "the retried rollup differs from a fresh full rollup"
    finally:
        client.close()
    # Hand count: every acknowledged post is a March 2026 release; the bulk history ends in 2024.
    assert after_retry[("releases", "org", "month", dt.date(2026, 3, 1))][0] == len(acknowledged)
    with capsys.disabled():
        print(
            f"\nPostgreSQL restart: {len(acknowledged)} posts acknowledged and stored once, "
            f"{failed} failed attempts retried ({dict(outcome['failures'])}); rollup attempts failed: "
            f"{len(retried['failed_attempts'])}; {time.monotonic() - started:.1f} s"
        )


def _restart_mid_load(cluster: Cluster, client: Client) -> tuple[set[str], dict, int]:
    """Posts flow, the server restarts, the clients retry what failed: every acknowledged post is
    stored exactly once."""
    before = cluster.started_at()
    client.send(f"load {LOAD_SECONDS} {LOAD_THREADS}")
    assert client.line() == "STARTED"
    time.sleep(0.5)
    cluster.pg_ctl("-m", "fast", "restart")
    outcome = client.answer()
    assert cluster.started_at() != before, "the server did not restart"
    acknowledged = set(outcome["acknowledged"])
    stored = cluster.query(
        "SELECT external_id, count(*) FROM metrics_release WHERE external_id LIKE 'load-%' GROUP BY external_id"
    )
    stored_ids = {external_id for external_id, _ in stored}
    assert all(count == 1 for _, count in stored), "a record stored twice"
    assert acknowledged <= stored_ids, f"acknowledged but lost: {sorted(acknowledged - stored_ids)[:10]}"
    # Anything stored was posted; a post given up on (none expected) may or may not have landed.
    assert stored_ids - acknowledged <= set(outcome["abandoned"])
    failed = sum(n for kind, n in outcome["failures"].items() if not kind.startswith("ok"))
    assert failed > 0, "no post failed: the restart did not happen during the load"
    assert len(acknowledged) > 20
    return acknowledged, outcome, failed


def _restart_mid_rollup(cluster: Cluster, client: Client) -> tuple[dict, dict[tuple, tuple]]:
    """Restart while a full rollup is under way — its first windows' snapshots committed, the run
    not finished: the run fails cleanly (closed as failed, not left running) and its retry completes.

    Once some snapshots are in, this session locks the snapshot table (SHARE: the next window's
    write waits) and the run's row, so however fast the machine, the rollup is still in flight
    when the server goes down."""
    client.send("rollup")
    conn = psycopg2.connect(cluster.url())
    conn.autocommit = True
    written = running = 0
    try:
        with conn.cursor() as cursor:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (written and running):
                assert client.running(), client.log.read_text()[-4000:]
                time.sleep(0.01)
                cursor.execute(
                    "SELECT (SELECT count(*) FROM metrics_kpisnapshot), "
                    "(SELECT count(*) FROM metrics_rolluprun WHERE status = 'running')"
                )
                written, running = cursor.fetchone()
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE metrics_kpisnapshot IN SHARE MODE")
            cursor.execute("SELECT id FROM metrics_rolluprun WHERE status = 'running' FOR UPDATE")
            assert cursor.fetchall(), "the rollup finished before the restart"
            cursor.execute("SELECT count(*) FROM metrics_kpisnapshot")
            written = cursor.fetchone()[0]
            cluster.pg_ctl("-m", "fast", "restart")
    finally:
        conn.close()
    retried = client.answer()
    assert retried["failed_attempts"], "the rollup did not notice the restart"
    statuses = [status for (status,) in cluster.query("SELECT status FROM metrics_rolluprun ORDER BY id")]
    assert statuses[-1] == "succeeded"
    assert "running" not in statuses, statuses  # the interrupted run is closed as failed
    snapshots = _snapshots(cluster)
    assert 0 < written < len(snapshots), f"not mid-rollup: {written} of {len(snapshots)} snapshots written"
    return retried, snapshots
