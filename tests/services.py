"""Reaching the real services: skip outside CI, fail inside CI (DEVELOPERS.md)."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(available: bool, what: str) -> None:
    """Skip the calling test when `what` is missing, unless in CI where that fails the run."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} not available outside CI")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Databases 7-9 belong to the benches (bench/); each test process takes two of the rest, so
# parallel test processes (pytest-xdist) never share a broker queue they purge.
_TEST_REDIS_DATABASES = (15, 14, 13, 12, 11, 10, 6, 5, 4, 3, 2, 1)


def _worker_index() -> int:
    """0 in a plain run, n for the xdist worker `gw<n>`."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def redis_url(spare: bool = False) -> str:
    """This test process's Redis database (TEST_REDIS_URL names the first process's), or its spare one,
    for a test that needs a broker nothing else in the process touches."""
    base = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    server, _, db = base.rpartition("/")
    if not db.isdigit() or int(db) not in _TEST_REDIS_DATABASES:
        raise ValueError(f"TEST_REDIS_URL must name one of Redis databases {_TEST_REDIS_DATABASES}: {base}")
    start = _TEST_REDIS_DATABASES.index(int(db)) + 2 * _worker_index() + (1 if spare else 0)
    if start >= len(_TEST_REDIS_DATABASES):
        raise ValueError(f"too many test processes for the Redis databases left after {base}")
    return f"{server}/{_TEST_REDIS_DATABASES[start]}"


def require_redis(spare: bool = False) -> str:
    url = redis_url(spare)
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    require(port_open(host or "127.0.0.1", int(port or 6379)), f"Redis at {url}")
    return url


def require_postgres() -> None:
    from django.db import connection

    require(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")


CHROMIUM = "/usr/bin/chromium"


def require_chromium() -> str:
    require(os.path.exists(CHROMIUM) or bool(shutil.which("chromium")), "Debian's chromium")
    return CHROMIUM


@contextmanager
def sync_playwright() -> Iterator[Any]:
    """Playwright's sync API, closing on the way out the Django connections opened while it ran.

    Code running under sync Playwright sees its own context (greenlets), hence its own database
    connection: left open, it kept the test database from being dropped at the end of the run
    (PostgreSQL waits 5 s for it, then refuses)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright as start

    with start() as playwright:
        try:
            yield playwright
        finally:
            connections.close_all()


def database_url(base_url: str, name: str) -> str:
    """`base_url` (a postgres:// URL) pointing at database `name` instead."""
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def server_url(settings_dict: Mapping[str, object]) -> str:
    """A postgres:// URL of the server of a Django DATABASES entry (database `postgres`)."""
    from urllib.parse import quote

    user = quote(str(settings_dict.get("USER") or ""))
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{quote(str(password))}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}{host}:{settings_dict.get('PORT') or 5432}/postgres"


def current_database_url() -> str:
    """The postgres:// URL of the database this test runs against (pytest-django's test database),
    for subprocesses that must see the same data."""
    from django.db import connection

    return database_url(server_url(connection.settings_dict), str(connection.settings_dict["NAME"]))
