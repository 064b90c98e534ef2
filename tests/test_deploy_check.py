"""Production settings (SPEC §5): `check --deploy` is clean, secrets are required, probes skip the HTTPS redirect."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_production(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_FORMAT", "SECURE_SSL_REDIRECT"}}
    env.pop("DATABASE_URL", None)  # the deploy checks need no database; SQLite default is never opened
    env.update({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "example.com", **extra_env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_gives_no_warning() -> None:
    result = run_production("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(64))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output and "security." not in output


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = run_production("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr


PROBE_SCRIPT = """
from django.test import Client
c = Client(HTTP_HOST="example.com")
print(c.get("/healthz").status_code, c.get("/login/").status_code, c.get("/login/")["Location"])
"""


def test_probes_answer_over_plain_http_while_pages_redirect_to_https() -> None:
    result = run_production("shell", "--no-imports", "-c", PROBE_SCRIPT, SECRET_KEY=secrets.token_urlsafe(64))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["200", "301", "https://example.com/login/"]
