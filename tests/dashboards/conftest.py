from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from metrics.demo.generator import generate_org
from metrics.demo.users import create_demo_users
from metrics.kpis.rollup import full_rollup
from metrics.models import Baseline, Target
from squads.models import Squad
from tests.services import require_chromium, sync_playwright
from tests.support import table_copy

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Page data is cached per rollup; each test starts with an empty cache."""
    cache.clear()


_BUILT: dict[dt.date, table_copy.Tables] = {}  # today → the database right after the build below


@pytest.fixture
def demo_org(settings):
    """A modest demo org (8 squads, ~14 months of every record kind), rolled up for real; built once
    a session (a day) and restored from a copy of the tables for the next test."""
    settings.KPI_ROLLUP_ON_COMMIT = False  # the test runs the rollup itself, once
    today = timezone.now().date()
    if today in _BUILT:
        table_copy.copy_in(_BUILT[today])
        return list(Squad.objects.order_by("slug"))
    with transaction.atomic():
        generate_org(squads=8, areas=3, start=today - dt.timedelta(days=430), end=today, scale=0.6, seed=11)
        squads = list(Squad.objects.order_by("slug"))
        create_demo_users(squads[:2])
        Target.objects.create(metric="change_failure_rate", value=12.0, at_risk_margin_pct=25.0)
        Target.objects.create(metric="nps", value=30.0, at_risk_margin_pct=20.0)
        Baseline.objects.create(
            name="first quarter", start=today - dt.timedelta(days=420), end=today - dt.timedelta(days=330)
        )
    full_rollup()
    if table_copy.can_copy():
        _BUILT[today] = table_copy.copy_out()
    return squads


@pytest.fixture(scope="module")
def _chromium():
    """One headless Chromium per test module (a launch costs seconds); each test gets fresh contexts."""
    executable = require_chromium()

    # sync Playwright keeps an event loop running in this thread while it is started: Django's
    # async-safety check must be off for the module's tests, and only for them
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as p:
            instance = p.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
            yield instance
            instance.close()


@pytest.fixture
def browser(_chromium):
    """The module's Chromium; the contexts (tabs, cookies) a test opened are closed after it."""
    yield _chromium
    for context in list(_chromium.contexts):
        context.close()
