"""The demo org's bets show every verdict (fixed dates, so the generated records are fixed too)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from bets.demo import create_demo_bets
from bets.effects import bet_effects
from bets.models import Bet
from metrics.demo.generator import generate_org
from metrics.kpis.rollup import full_rollup

END = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 23, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_demo_bets_show_each_verdict(settings):
    settings.KPI_ROLLUP_ON_COMMIT = False
    with transaction.atomic():
        generate_org(squads=24, areas=5, start=END - dt.timedelta(days=760), end=END, seed=7, now=NOW)
        assert create_demo_bets(today=END, seed=7, now=NOW) == {"bets": 4}
    full_rollup(now=NOW)
    verdicts = {
        (bet.title, e.metric): e.effect.verdict
        for bet in Bet.objects.all()
        for e in bet_effects(bet, today=END, use_cache=False)
    }
    assert verdicts[("Trunk-based development", "releases")] == "improved"  # 90 % more releases injected
    assert verdicts[("Skip staging for small changes", "escaped_defect_rate")] == "worsened"  # escapes injected
    assert verdicts[("Shared design system", "releases")] == "no clear effect"  # nothing injected
    assert verdicts[("Pairing Fridays", "defects_found")] == "too early"  # started 15 days ago
    initiative = Bet.objects.get(kind="initiative")
    assert initiative.planned_headcount.count() == 2 * 4  # two squads × four months
