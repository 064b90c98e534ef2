"""Production settings (see docs/operations.md): `check --deploy` is clean, secrets are required,
probes skip the HTTPS redirect."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
    assert "WARNING" not in output
    assert "security." not in output


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


STATIC_SCRIPT = """
import re, sys
from django.conf import settings
settings.STATIC_ROOT = sys.argv[-1]  # as the image's build step, into a scratch folder
# Hashing, the gzip copies and serving are checked here. Brotli at its best quality (Plotly, the
# Swagger and admin assets, each twice: hashed and unhashed names) is the slow part on a shared CI
# machine; tests/test_first_run.py runs bin/start, which makes and serves the brotli copies.
import whitenoise.compress
whitenoise.compress.brotli_installed = False
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
from django.test import Client
c = Client(HTTP_HOST="example.com", HTTP_X_FORWARDED_PROTO="https")
page = c.get("/login/")
css = re.search(r'/static/css/app\\.[0-9a-f]{12}\\.css', page.content.decode()).group(0)
served = c.get(css)
print(page.status_code, css, served.status_code, served["Cache-Control"])
"""


def test_collected_static_files_are_served_by_whitenoise_with_hashed_names(tmp_path: Path) -> None:
    """The image runs collectstatic at build (manifest storage); pages then link hashed, cacheable files."""
    script = tmp_path / "static_check.py"
    script.write_text(STATIC_SCRIPT)
    env_script = (
        "import os, runpy, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'productops.settings'); "
        f"django.setup(); runpy.run_path({str(script)!r}, run_name='__main__')"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    env.update(
        {
            "DJANGO_ENV": "production",
            "ALLOWED_HOSTS": "example.com",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "LOG_FORMAT": "plain",
            "LOG_LEVEL": "WARNING",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", env_script, str(tmp_path / "static")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    page_status, css, css_status, cache_control = result.stdout.split(maxsplit=3)
    assert (page_status, css_status) == ("200", "200")
    assert (tmp_path / "static" / "staticfiles.json").exists()
    assert (tmp_path / "static" / f"{css.removeprefix('/static/')}.gz").exists()  # the compressed copy
    assert "max-age=315360000" in cache_control
    assert "immutable" in cache_control
