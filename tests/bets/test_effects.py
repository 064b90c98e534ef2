"""A bet's effect read from stored squad snapshots: windows, per-period means, records, cache."""

from __future__ import annotations

import datetime as dt

import pytest

from bets.effects import bet_effects, windows_for
from bets.services import TargetInput, create_bet
from metrics.models import KpiSnapshot
from tests.bets.conftest import put_series

D = dt.date
BEFORE = [D(2026, 2, 2), D(2026, 2, 9), D(2026, 2, 16), D(2026, 2, 23)]
START_WEEK = D(2026, 3, 2)
AFTER = [D(2026, 3, 9), D(2026, 3, 16), D(2026, 3, 23), D(2026, 3, 30)]
OUTSIDE = [D(2026, 1, 26), START_WEEK, D(2026, 4, 6)]  # before the window, the start's week, after the window

# Weekly incident counts (lower is better). Per-period means, by hand:
#   treatment before (4+6)/2, (4+6)/2, (4+8)/2, (4+4)/2 = 5, 5, 6, 4 → 5;  after (2+2)/2, (2+4)/2, … = 2, 3, 2, 3 → 2.5
#   comparison before (3+5+4)/3, (3+5)/2 [c3 null], 4, 4 → 4;          after (3+6+3)/3 each → 4
#   DiD = (2.5 − 5) − (4 − 4) = −2.5
SERIES = {
    "t1": ([4, 4, 4, 4], [2, 2, 2, 2]),
    "t2": ([6, 6, 8, 4], [2, 4, 2, 4]),
    "c1": ([3, 3, 3, 3], [3, 3, 3, 3]),
    "c2": ([5, 5, 5, 5], [6, 6, 6, 6]),
    "c3": ([4, None, 4, 4], [3, 3, 3, 3]),
}
RECORDS = sum(v or 0 for before, after in SERIES.values() for v in before + after)  # 152


@pytest.fixture
def hand_worked(five_squads):
    for slug, (before, after) in SERIES.items():
        values = dict(zip(BEFORE + AFTER, before + after, strict=True))
        values |= {day: 100.0 for day in OUTSIDE}  # must not count: outside both windows
        put_series("incidents", slug, "week", values)
    return create_bet(
        user=None,
        title="On-call rotation",
        hypothesis="fewer incidents",
        kind="process_change",
        treatment_squads=["t1", "t2"],
        comparison_squads=["c1", "c2", "c3"],
        start=D(2026, 3, 4),
        window=4,
        targets=[TargetInput("incidents", "lower")],
    )


def test_windows_leave_out_the_period_holding_the_start():
    win = windows_for(grain="week", start=D(2026, 3, 4), window=4, end=None, today=D(2026, 4, 20))
    assert win.start_period == START_WEEK
    assert win.before == BEFORE
    assert win.after == AFTER
    assert win.ended_after == 6  # 03-09 … 04-13 have ended by 04-20


def test_windows_stop_at_the_bets_end_and_stay_equal():
    win = windows_for(grain="week", start=D(2026, 3, 4), window=8, end=D(2026, 3, 22), today=D(2026, 6, 1))
    assert win.after == [D(2026, 3, 9), D(2026, 3, 16)]
    assert win.before == [D(2026, 2, 16), D(2026, 2, 23)]


def test_month_only_kpis_are_judged_by_month():
    win = windows_for(grain="month", start=D(2026, 3, 4), window=2, end=None, today=D(2026, 6, 15))
    assert win.before == [D(2026, 1, 1), D(2026, 2, 1)]
    assert win.after == [D(2026, 4, 1), D(2026, 5, 1)]


@pytest.mark.django_db
def test_hand_worked_effect_from_snapshots(hand_worked):
    (effect,) = bet_effects(hand_worked, today=D(2026, 4, 20), use_cache=False)
    e = effect.effect
    assert effect.grain == "week"
    assert e.estimate == pytest.approx(-2.5, abs=1e-12)
    assert (e.treatment_before, e.treatment_after, e.comparison_before, e.comparison_after) == (5, 2.5, 4, 4)
    assert (e.periods_before, e.periods_after) == (4, 4)
    assert e.low < e.high < 0
    assert e.verdict == "improved"  # incidents: lower is better, the whole interval is below 0
    assert effect.records == RECORDS == 152
    assert effect.as_api() == {
        "metric": "incidents",
        "grain": "week",
        "estimate": -2.5,
        "interval": [round(e.low, 4), round(e.high, 4)],
        "verdict": "improved",
        "periods_before": 4,
        "periods_after": 4,
    }


@pytest.mark.django_db
def test_too_early_while_fewer_than_four_periods_have_ended(hand_worked):
    (effect,) = bet_effects(hand_worked, today=D(2026, 3, 23), use_cache=False)
    assert effect.effect.verdict == "too early"
    assert (effect.effect.periods_before, effect.effect.periods_after) == (2, 2)


@pytest.mark.django_db
def test_same_data_same_interval_and_a_rollup_refreshes_it(hand_worked):
    first = bet_effects(hand_worked, today=D(2026, 4, 20))[0].effect
    assert bet_effects(hand_worked, today=D(2026, 4, 20))[0].effect == first  # cached, and equal anyway
    assert bet_effects(hand_worked, today=D(2026, 4, 20), use_cache=False)[0].effect == first  # seeded
    # a rollup rewrites t1's first after-week: 2 → 10 (treatment after mean 2.5 → 3.5)
    KpiSnapshot.objects.filter(scope="squad:t1", period_start=AFTER[0], metric="incidents").update(
        value=10.0, sample_size=10, computed_at=dt.datetime(2026, 4, 21, tzinfo=dt.UTC)
    )
    after = bet_effects(hand_worked, today=D(2026, 4, 20))[0].effect
    assert after.estimate == pytest.approx(-1.5)


@pytest.mark.django_db
def test_a_rewritten_month_snapshot_refreshes_a_bet_judged_on_two_grains(five_squads):
    months = [
        D(2025, 11, 1),
        D(2025, 12, 1),
        D(2026, 1, 1),
        D(2026, 2, 1),
        D(2026, 4, 1),
        D(2026, 5, 1),
        D(2026, 6, 1),
        D(2026, 7, 1),
    ]  # four before March (the start's month), four after
    for slug in five_squads:
        put_series("support_time_pct", slug, "month", dict.fromkeys(months, 20.0))
    bet = create_bet(
        user=None,
        title="Support rota",
        hypothesis="less support time",
        kind="process_change",
        treatment_squads=["t1"],
        comparison_squads=["c1", "c2"],
        start=D(2026, 3, 4),
        window=4,
        targets=[TargetInput("incidents", "lower"), TargetInput("support_time_pct", "lower")],
    )
    today = D(2026, 8, 10)
    effects = {e.metric: e for e in bet_effects(bet, today=today)}
    assert effects["support_time_pct"].grain == "month"
    assert effects["support_time_pct"].effect.estimate == 0
    KpiSnapshot.objects.filter(scope="squad:t1", period_start__in=months[4:]).update(
        value=12.0, computed_at=dt.datetime(2026, 8, 9, tzinfo=dt.UTC)
    )
    effects = {e.metric: e for e in bet_effects(bet, today=today)}
    assert effects["support_time_pct"].effect.estimate == pytest.approx(-8.0)  # (12 − 20) − (20 − 20)
