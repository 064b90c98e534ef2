"""docker-compose.yml checked without a container engine (issue 6, "Done when").

It parses; every service's command and health check points at something that
exists in the project; every variable it interpolates, and every variable the
settings and docker/ scripts read, is documented in .env.example; exactly one
beat; a health check on every service; data in named volumes.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
APP_SERVICES = ("web", "worker", "beat")

# ${VAR}, ${VAR:-default}, ${VAR?err} — but not $${VAR}, which the container's shell expands.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_bool|env_list|os\.environ\[)\(?\s*["']([A-Z][A-Z0-9_]*)["']"""
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def documented() -> set[str]:
    """Variables named in .env.example, set (NAME=) or shown commented out (# NAME=)."""
    names = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line.strip())
        if match:
            names.add(match.group(1))
    return names


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_parses_with_the_expected_services(compose) -> None:
    assert set(compose["services"]) == {"postgres", "redis", "cache", "web", "worker", "beat"}
    assert compose["services"]["postgres"]["image"].split(":")[1].startswith("16")


def test_web_runs_gunicorn_on_the_project_wsgi_application(compose) -> None:
    argv = command_of(compose["services"]["web"])
    assert argv[0] == "gunicorn"
    module, _, attr = argv[1].partition(":")
    assert module == "productops.wsgi"
    wsgi = importlib.import_module(module)
    assert callable(getattr(wsgi, attr or "application"))
    config = argv[argv.index("--config") + 1]
    assert (ROOT / config).is_file()


def test_worker_and_beat_run_celery_on_the_project_app(compose) -> None:
    for name, subcommand in (("worker", "worker"), ("beat", "beat")):
        argv = command_of(compose["services"][name])
        assert argv[0] == "celery"
        app_name = argv[argv.index("--app") + 1]
        assert app_name == "productops"
        module = importlib.import_module(app_name)
        assert module.celery_app.main == "productops"
        assert subcommand in argv


def test_exactly_one_beat(compose) -> None:
    beats = [name for name, svc in compose["services"].items() if "beat" in command_of(svc)]
    assert beats == ["beat"]
    assert compose["services"]["beat"]["deploy"]["replicas"] == 1


def test_every_service_has_a_healthcheck_whose_script_exists(compose) -> None:
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test")
        assert test, f"{name} has no healthcheck"
        words = test[1:] if test[0] in {"CMD", "CMD-SHELL"} else test
        if words[:2] == ["python", "docker/healthcheck.py"]:
            assert os.access(ROOT / words[1], os.X_OK)
    web = compose["services"]["web"]["healthcheck"]["test"]
    assert web[-1] == "web"
    worker = " ".join(compose["services"]["worker"]["healthcheck"]["test"])
    assert "celery --app productops inspect ping" in worker
    beat_check = compose["services"]["beat"]["healthcheck"]["test"]
    beat_argv = command_of(compose["services"]["beat"])
    assert beat_check[-1] == beat_argv[beat_argv.index("--schedule") + 1], "beat check watches its schedule file"


def test_app_services_build_the_image_and_read_env_file(compose) -> None:
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == ".env"
        assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]) == DOCKERFILE
    assert compose["services"]["web"]["environment"]["MIGRATE_ON_START"] == "1"
    for name in ("worker", "beat"):
        assert "MIGRATE_ON_START" not in (compose["services"][name].get("environment") or {})


def test_dockerfile_entrypoint_scripts_exist_and_are_executable() -> None:
    text = DOCKERFILE.read_text()
    assert text.startswith("#")
    assert "FROM python:3.12-slim" in text
    assert "COPY requirements.txt" in text
    assert "pip install -r requirements.txt" in text
    assert "collectstatic --noinput" in text
    entrypoint = re.search(r'ENTRYPOINT \["/app/([^"]+)"\]', text).group(1)
    for script in (entrypoint, "docker/migrate_locked.py", "docker/healthcheck.py"):
        assert os.access(ROOT / script, os.X_OK), f"{script} must exist and be executable"
    assert "docker/migrate_locked.py" in (ROOT / entrypoint).read_text()


def test_data_lives_in_named_volumes(compose) -> None:
    named = set(compose["volumes"])
    expectations = {"postgres": "/var/lib/postgresql/data", "redis": "/data", "beat": "/var/lib/celerybeat"}
    for service, target in expectations.items():
        mounts = dict(v.split(":", 1) for v in compose["services"][service]["volumes"])
        assert target in mounts.values()
        source = next(src for src, dst in mounts.items() if dst == target)
        assert source in named, f"{service} data must be in a named volume, not {source}"


def test_every_interpolated_variable_is_documented(documented) -> None:
    used = set(INTERPOLATION.findall(COMPOSE.read_text()))
    assert used, "the pattern must find the ${...} the file uses"
    assert used - documented == set()


def test_every_variable_the_app_reads_is_documented(documented) -> None:
    sources = [ROOT / "productops" / "settings.py", *sorted((ROOT / "docker").glob("*.py"))]
    used = {name for path in sources for name in ENV_READ.findall(path.read_text())}
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS"} <= used
    assert used - documented == set()
    assert {"DJANGO_ENV", "CSRF_TRUSTED_ORIGINS", "POSTGRES_PASSWORD"} <= documented


def test_env_example_is_production_and_database_url_matches_postgres(documented) -> None:
    values = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if re.match(r"^[A-Z][A-Z0-9_]*=", line)
    )
    assert values["DJANGO_ENV"] == "production"
    assert values["DEBUG"] == "false"
    url = values["DATABASE_URL"]
    expected = (
        f"postgres://{values['POSTGRES_USER']}:{values['POSTGRES_PASSWORD']}@postgres:5432/{values['POSTGRES_DB']}"
    )
    assert url == expected
    assert values["CELERY_BROKER_URL"].startswith("redis://redis:6379/")


def test_the_image_leaves_secrets_and_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "db.sqlite3", "staticfiles"} <= ignored
    assert "USER app" in DOCKERFILE.read_text(), "the processes do not run as root"
