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
from tests.services import require_chromium

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Page data is cached per rollup; each test starts with an empty cache."""
    cache.clear()


@pytest.fixture
def demo_org(settings):
    """A modest demo org (8 squads, ~14 months of every record kind), rolled up for real."""
    settings.KPI_ROLLUP_ON_COMMIT = False  # the test runs the rollup itself, once
    today = timezone.now().date()
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
    return squads


@pytest.fixture
def browser(monkeypatch):
    executable = require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright next to the live server thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        yield instance
        instance.close()
