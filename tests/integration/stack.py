"""Run the processes docker-compose.yml starts (web, worker, beat) as local subprocesses.

Shared by the production-stack and backup tests and by `bench/scaleout_bench.py`;
no pytest here, so the bench can import it. Commands come from docker-compose.yml
itself, run through docker/entrypoint.sh, so the test runs what production runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import yaml
from psycopg2 import sql

from tests.services import database_url

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def compose_command(service: str) -> list[str]:
    """The service's command exactly as docker-compose.yml gives it."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return list(compose["services"][service]["command"])


def _admin(base_url: str, *statements: sql.Composable) -> None:
    """Run statements on the server's `postgres` database outside a transaction (CREATE/DROP DATABASE)."""
    conn = psycopg2.connect(database_url(base_url, "postgres"))
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def create_database(base_url: str, name: str) -> str:
    """Drop (if left over) and create an empty database `name`; returns its URL."""
    ident = sql.Identifier(name)
    _admin(
        base_url,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident),
        sql.SQL("CREATE DATABASE {}").format(ident),
    )
    return database_url(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    _admin(base_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def production_env(*, database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    """Environment of a production process on this machine: plain HTTP on loopback, JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PYTEST"))}
    env.update(
        {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "productops.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": "integration-test-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    env.pop("DEBUG", None)
    return env


def manage(env: Mapping[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `python manage.py <args>` with `env`; raises with its output when it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def manage_many(env: Mapping[str, str], *commands: Sequence[str], timeout: float = 300) -> None:
    """Run several management commands, in order, in ONE Python process (`call_command` each, the
    code `manage.py <args>` runs): each process start loads Django, which costs seconds on a busy box.
    The first failing command stops the rest and raises with the output."""
    script = (
        "import json, sys; from django.core.management import call_command\n"
        f"for args in json.loads({json.dumps(json.dumps([list(c) for c in commands]))}): call_command(*args)"
    )
    manage(env, "shell", "--no-imports", "-c", script, timeout=timeout)


class Processes:
    """Started subprocesses, each in its own process group, logging to files; stopped together."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115  (closed when the process is stopped)
        proc = subprocess.Popen(
            [str(ENTRYPOINT), *argv],
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child holds its own descriptor
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def assert_running(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.log(name)[-4000:]}")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM each process group (warm shutdown), then SIGKILL what is left after `timeout`."""
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@contextmanager
def running(log_dir: Path) -> Iterator[Processes]:
    processes = Processes(log_dir)
    try:
        yield processes
    finally:
        processes.stop()


def wait_for(predicate, *, timeout: float, interval: float = 0.5, what: str = "condition"):
    """Poll `predicate()` until it returns something truthy (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
