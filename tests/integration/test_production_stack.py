"""The processes docker-compose.yml starts — gunicorn, a Celery worker, Celery beat — run here
against the local PostgreSQL and Redis: a release posted over HTTP shows up in the KPI API
a few seconds later (issue 6, "Done when").

The commands are read from docker-compose.yml and run through docker/entrypoint.sh in
production mode (`DJANGO_ENV=production`), on a database of their own that the web
process migrates on start, exactly as in a container.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import connection

from tests.integration.stack import (
    ROOT,
    compose_command,
    create_database,
    drop_database,
    manage,
    production_env,
    running,
    wait_for,
)
from tests.services import free_port, require_postgres, require_redis, server_url

pytestmark = pytest.mark.services

KPI_DEADLINE_SECONDS = 60
COMPOSE_BEAT_SCHEDULE = "/var/lib/celerybeat/schedule"


class Http:
    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json", "Host": "127.0.0.1"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def up(self) -> bool:
        try:
            return self.request("GET", "/healthz")[0] == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False


def healthcheck(service: str, env: dict[str, str], beat_schedule: str) -> int:
    """Run the service's health check from docker-compose.yml here; its exit status."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    test = list(compose["services"][service]["healthcheck"]["test"])
    env = env | {"HOSTNAME": socket.gethostname()}  # set by the container runtime in a container
    if test[0] == "CMD-SHELL":
        argv = ["sh", "-c", test[1].replace("$$", "$")]
    else:
        argv = [beat_schedule if arg == COMPOSE_BEAT_SCHEDULE else arg for arg in test[1:]]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=60).returncode


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.slow
def test_a_release_posted_over_http_reaches_the_kpi_api(tmp_path: Path) -> None:
    require_postgres()
    broker = require_redis()
    base = server_url(connection.settings_dict)
    db_name = f"{connection.settings_dict['NAME'].removeprefix('test_')}_stack"
    db_url = create_database(base, db_name)
    port = free_port()
    env = production_env(
        database_url=db_url,
        broker_url=broker,
        PORT=str(port),
        WEB_BIND_HOST="127.0.0.1",
        WEB_CONCURRENCY="2",
        CELERY_WORKER_CONCURRENCY="2",
    )
    beat_argv = compose_command("beat")
    beat_schedule = str(tmp_path / "celerybeat-schedule")
    beat_argv[beat_argv.index("--schedule") + 1] = beat_schedule
    try:
        with running(tmp_path) as stack:
            stack.start("web", compose_command("web"), env | {"MIGRATE_ON_START": "1"})
            http = Http(f"http://127.0.0.1:{port}")
            wait_for(lambda: stack.assert_running() or http.up(), timeout=120, what="gunicorn /healthz")
            stack.start("worker", compose_command("worker"), env)
            stack.start("beat", beat_argv, env)

            password = secrets.token_urlsafe(24)
            manage(
                env | {"DJANGO_SUPERUSER_PASSWORD": password},
                "createsuperuser",
                "--noinput",
                "--username",
                "pipeline",
                "--email",
                "pipeline@example.com",
            )
            token = manage(env, "drf_create_token", "pipeline").stdout.split()[2]
            api = Http(http.base, token)

            assert Http(http.base).request("GET", "/api/releases/")[0] in {401, 403}, "anonymous is refused"
            status, body = api.request("GET", "/readyz")
            assert (status, body["reasons"]) == (200, []), body

            status, body = api.request(
                "POST",
                "/api/squads/",
                {"slug": "stack", "name": "Stack", "area": "platform", "monthly_cost_per_head": "9000", "active": True},
            )
            assert status == 201, body
            status, body = api.request(
                "POST",
                "/api/releases/",
                {
                    "external_id": "stack-r1",
                    "squad": "stack",
                    "version": "1.0.0",
                    "released_at": "2026-03-10T10:00:00Z",
                    "first_commit_at": "2026-03-09T10:00:00Z",
                    "status": "succeeded",
                },
            )
            assert status == 201, body

            def march_releases() -> dict | None:
                stack.assert_running()
                status, body = api.request("GET", "/api/kpis/?metric=releases&scope=org&grain=month")
                assert status == 200, body
                rows = [r for r in body["results"] if r["period_start"] == "2026-03-01"]
                return rows[0] if rows and rows[0]["sample_size"] == 1 else None

            row = wait_for(march_releases, timeout=KPI_DEADLINE_SECONDS, what="the release in /api/kpis/")
            assert (row["metric"], row["scope"], row["grain"], row["value"]) == ("releases", "org", "month", 1)
            stack.assert_running()  # beat and worker still up after the round trip
            for service in ("web", "worker", "beat"):
                assert healthcheck(service, env, beat_schedule) == 0, f"{service} health check fails"
    finally:
        drop_database(base, db_name)

    web_log = json_lines(stack.log("web"))
    posted = [
        e for e in web_log if e.get("event") == "request" and e["path"] == "/api/releases/" and e["method"] == "POST"
    ]
    assert posted
    assert posted[0]["status"] == 201
    assert posted[0]["user_id"] is not None
    assert posted[0]["duration_ms"] > 0
    tasks = [e for e in json_lines(stack.log("worker")) if e.get("event") == "task"]
    assert any(t["task"] == "metrics.rollup_dirty" and t["state"] == "SUCCESS" and t["duration_ms"] >= 0 for t in tasks)
    assert "beat: Starting" in stack.log("beat")
