from __future__ import annotations

import importlib

import pytest
from django.test import Client

from tests.factories import SquadFactory, UserFactory
from tests.services import IN_CI


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
    """Transactional tests flush every table, the migration-made role groups included:
    recreate them (idempotent) instead of serialized_rollback, which clashes with
    content types left by other flushing tests."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the flush may have left cached ids that no longer exist
    importlib.import_module("squads.migrations.0002_roles").create_roles(apps, None)
    yield
    ContentType.objects.clear_cache()
