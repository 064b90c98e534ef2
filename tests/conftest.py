from __future__ import annotations

import importlib

import pytest
from django.test import Client
from pytest_django.plugin import blocking_manager_key

from tests.factories import SquadFactory, UserFactory
from tests.services import IN_CI


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests first (longest-first scheduling): bin/test runs several test processes, and
    a two-minute test started last would keep one of them busy long after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _ci_runs_on_postgres(django_db_setup: None, django_db_blocker: object) -> None:
    """In CI the whole suite must run against PostgreSQL, never silently on SQLite."""
    from django.db import connection

    if IN_CI:
        assert connection.vendor == "postgresql", "CI must run the suite on PostgreSQL (DATABASE_URL)"


@pytest.fixture
def squad_a(db):
    return SquadFactory(slug="alpha", name="Alpha", area__slug="payments")


@pytest.fixture
def squad_b(db):
    return SquadFactory(slug="bravo", name="Bravo", area__slug="growth")


@pytest.fixture
def users(db, squad_a):
    """One user per role; the PM manages squad_a only."""
    pm = UserFactory(username="pm_alpha", role="squad_pm")
    squad_a.pm = pm
    squad_a.pm_email = pm.email
    squad_a.save()
    return {
        "viewer": UserFactory(username="viewer", role="viewer"),
        "pm": pm,
        "ops": UserFactory(username="ops", role="ops_staff"),
        "admin": UserFactory(username="admin", role="admin", is_superuser=True),
    }


@pytest.fixture
def client_for(db):
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def role_groups(transactional_db):
    """The role groups a transactional test needs: made by a migration, they exist when it starts
    (the hook below restores them after every test that flushes)."""
    return


def _flushes(item: pytest.Item) -> bool:
    """A test whose teardown flushes every table (a transactional test, as pytest-django runs it)."""
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server", "role_groups"} & set(getattr(item, "fixturenames", ())))


def _restore_migration_data() -> None:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the flush re-created content types under new ids
    importlib.import_module("squads.migrations.0002_roles").create_roles(apps, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """After a transactional test's flush, put back what the migrations made (the role groups and
    their permissions), so the tests after it — in whatever order they run — find the database
    as migrated."""
    result = yield
    if nextitem is not None and _flushes(item):  # after the last test, the test database is gone
        with item.config.stash[blocking_manager_key].unblock():
            _restore_migration_data()
    return result
