"""Every KPI of docs/kpis.md against numbers worked out by hand from tests/metrics/kpis/kpi_fixture.py.

now = Wed 2026-04-15 12:00 UTC. March has 31 days = 744 h. April so far (the current period):
Apr 1 00:00 → Apr 15 12:00 = 14.5 days = 348 h. Q1 = 90 days = 2160 h.
"""

from __future__ import annotations

import pytest

from metrics.kpis.rollup import full_rollup
from metrics.models import KpiSnapshot
from tests.metrics.kpis.kpi_fixture import NOW, build_org, snap


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-12, abs=1e-9)


@pytest.fixture
def rolled_up(db):
    build_org()
    full_rollup(now=NOW)


def test_every_scope_grain_and_period_is_stored(rolled_up: None) -> None:
    # scopes: org, area:growth, area:labs, area:payments, squad:alpha, squad:bravo, squad:charlie, squad:delta = 8
    # earliest record: A4 (time allocation, month 2026-02-01, a Sunday) → first week Mon 2026-01-26;
    # weeks Jan 26 … Apr 13 = 12; months Feb, Mar, Apr = 3; quarters Q1, Q2 = 2.
    # week: 8 × 12 × 18 KPIs (21 less the 3 support/time ones) = 1728; month: 8 × 3 × 21 = 504;
    # quarter: 8 × 2 × 21 = 336
    assert KpiSnapshot.objects.filter(grain="week").count() == 1728
    assert KpiSnapshot.objects.filter(grain="month").count() == 504
    assert KpiSnapshot.objects.filter(grain="quarter").count() == 336
    assert not KpiSnapshot.objects.filter(
        grain="week", metric__in=["support_cost", "support_time_pct", "feature_time_pct"]
    ).exists()
    weeks = sorted(
        {d.isoformat() for d in KpiSnapshot.objects.filter(grain="week").values_list("period_start", flat=True)}
    )
    assert weeks[0] == "2026-01-26"
    assert weeks[-1] == "2026-04-13"


def test_quality(rolled_up: None) -> None:
    # alpha March: D1 (production, customer), D2 (production), D3 (staging) → found 3, escaped 2
    assert snap("defects_found", "squad:alpha", "month", "2026-03-01") == (3, 3)
    assert snap("escaped_defects", "squad:alpha", "month", "2026-03-01") == (2, 2)
    value, n = snap("escaped_defect_rate", "squad:alpha", "month", "2026-03-01")
    assert (value, n) == (approx(100 * 2 / 3), 3)  # 66.666…
    assert snap("customer_found_defects", "squad:alpha", "month", "2026-03-01") == (1, 1)
    # org March: + D4 (bravo, development) → found 4, escaped 2 → 50 %
    assert snap("defects_found", "org", "month", "2026-03-01") == (4, 4)
    assert snap("escaped_defect_rate", "org", "month", "2026-03-01") == (50.0, 4)
    # alpha February: D0 (testing) → rate 0 % of 1
    assert snap("escaped_defect_rate", "squad:alpha", "month", "2026-02-01") == (0.0, 1)
    # Q1 org: D0..D4 = 5 found, 2 escaped → 40 %
    assert snap("escaped_defect_rate", "org", "quarter", "2026-01-01") == (40.0, 5)


def test_incident_counts_and_restore_times(rolled_up: None) -> None:
    # alpha March by started_at: I1 (sev 1, Mar 31 22:00), I2 (sev 3), I3 (sev 2) → 3, major 2
    assert snap("incidents", "squad:alpha", "month", "2026-03-01") == (3, 3)
    assert snap("major_incidents", "squad:alpha", "month", "2026-03-01") == (2, 2)
    # I1 spans the month and quarter boundary: it starts in March/Q1 and is resolved in April/Q2
    assert snap("incidents", "squad:alpha", "month", "2026-04-01") == (0, 0)
    # mttr alpha March: resolved in March I2 (10→14: 4 h), I3 (12→16: 4 h) → 4 h over 2
    assert snap("mttr_hours", "squad:alpha", "month", "2026-03-01") == (4.0, 2)
    # mttr alpha April: I1 22:00 → 04:00 = 6 h; Q2 the same
    assert snap("mttr_hours", "squad:alpha", "month", "2026-04-01") == (6.0, 1)
    assert snap("mttr_hours", "squad:alpha", "quarter", "2026-04-01") == (6.0, 1)
    # org March: I2 4 h, I3 4 h, I5 (charlie, 08:00 → 10:30) 2.5 h → 10.5 / 3 = 3.5 h
    assert snap("mttr_hours", "org", "month", "2026-03-01") == (3.5, 3)
    # the open incident I4 has no restore time: bravo April mttr is null, but it counts as an incident
    assert snap("mttr_hours", "squad:bravo", "month", "2026-04-01") == (None, 0)
    assert snap("incidents", "squad:bravo", "month", "2026-04-01") == (1, 1)
    # Q1 org major: I1 (sev 1), I3 (sev 2) → 2
    assert snap("major_incidents", "org", "quarter", "2026-01-01") == (2, 2)


def test_recovery_hours(rolled_up: None) -> None:
    # March: I2 names R2 (released Mar 10 09:00), resolved 14:00 → 5 h; I3 names none
    assert snap("recovery_hours", "squad:alpha", "month", "2026-03-01") == (5.0, 1)
    # April: I1 names R1 (released Mar 2 12:00), resolved Apr 1 04:00 → 29 d 16 h = 712 h
    assert snap("recovery_hours", "squad:alpha", "month", "2026-04-01") == (712.0, 1)
    # org over Q1 + Q2 separately; bravo never
    assert snap("recovery_hours", "org", "quarter", "2026-01-01") == (5.0, 1)
    assert snap("recovery_hours", "squad:bravo", "month", "2026-03-01") == (None, 0)


def test_uptime(rolled_up: None) -> None:
    # alpha March: I2 [10:00, 14:00) ∪ I3 [12:00, 16:00) = 6 h (not 8: they overlap), I1 clipped to
    # [Mar 31 22:00, Apr 1 00:00) = 2 h → D = 8 h of 744 h; 3 incidents overlap March
    value, n = snap("uptime_pct", "squad:alpha", "month", "2026-03-01")
    assert (value, n) == (approx(100 * (1 - 8 / 744)), 3)  # 98.9247…
    # alpha April (current: L = 348 h): I1 [00:00, 04:00) = 4 h
    assert snap("uptime_pct", "squad:alpha", "month", "2026-04-01") == (approx(100 * (1 - 4 / 348)), 1)
    # alpha Q1: 8 h of 2160 h
    assert snap("uptime_pct", "squad:alpha", "quarter", "2026-01-01") == (approx(100 * (1 - 8 / 2160)), 3)
    # alpha week of Mon Mar 30: I1 fully inside (6 h of 168 h)
    assert snap("uptime_pct", "squad:alpha", "week", "2026-03-30") == (approx(100 * (1 - 6 / 168)), 1)
    # bravo April: the open I4 runs from Apr 14 12:00 to now (Apr 15 12:00) = 24 h of 348 h
    assert snap("uptime_pct", "squad:bravo", "month", "2026-04-01") == (approx(100 * (1 - 24 / 348)), 1)
    # bravo current week (Mon Apr 13 00:00 → now = 60 h): 24 h down → 60 %
    assert snap("uptime_pct", "squad:bravo", "week", "2026-04-13") == (approx(60.0), 1)
    # org April: I1 4 h + I4 24 h = 28 h of 348 h; the areas split them
    assert snap("uptime_pct", "org", "month", "2026-04-01") == (approx(100 * (1 - 28 / 348)), 2)
    assert snap("uptime_pct", "area:payments", "month", "2026-04-01") == (approx(100 * (1 - 4 / 348)), 1)
    assert snap("uptime_pct", "area:growth", "month", "2026-04-01") == (approx(100 * (1 - 24 / 348)), 1)
    # I5 has no customer impact: charlie March is fully up, with no incident overlapping
    assert snap("uptime_pct", "squad:charlie", "month", "2026-03-01") == (100.0, 0)


def test_change_failure_rate_and_velocity(rolled_up: None) -> None:
    # alpha March: R1 (named by I1 → failed), R2 (rolled back, also named by I2: counted once), R3 → 2 / 3
    assert snap("change_failure_rate", "squad:alpha", "month", "2026-03-01") == (approx(100 * 2 / 3), 3)
    assert snap("releases", "squad:alpha", "month", "2026-03-01") == (3, 3)
    # deploys per week: 3 / (31 / 7)
    assert snap("deploys_per_week", "squad:alpha", "month", "2026-03-01") == (approx(3 / (31 / 7)), 3)
    # lead time alpha March: R1 48 h, R2 12 h, R3 has no first commit → median of [12, 48] = 30 (even size)
    assert snap("lead_time_hours", "squad:alpha", "month", "2026-03-01") == (30.0, 2)
    # org March: + R4 (bravo, 24 h, succeeded) → CFR 2 / 4; lead median of [12, 24, 48] = 24
    assert snap("change_failure_rate", "org", "month", "2026-03-01") == (50.0, 4)
    assert snap("lead_time_hours", "org", "month", "2026-03-01") == (24.0, 3)
    # R5 (charlie) came in as 2026-03-31T23:30-02:00 = Apr 1 01:30 UTC: April, Q2, week of Mar 30;
    # first commit naive 2026-03-31T10:00 = UTC → lead 15.5 h
    assert snap("releases", "squad:charlie", "month", "2026-03-01") == (0, 0)
    assert snap("releases", "squad:charlie", "month", "2026-04-01") == (1, 1)
    assert snap("lead_time_hours", "squad:charlie", "quarter", "2026-04-01") == (15.5, 1)
    assert snap("deploys_per_week", "squad:charlie", "week", "2026-03-30") == (1.0, 1)
    # April has 30 days: 1 / (30 / 7)
    assert snap("deploys_per_week", "area:payments", "month", "2026-04-01") == (approx(7 / 30), 1)
    # Q1 (90 days) org: 4 releases → 4 / (90 / 7)
    assert snap("deploys_per_week", "org", "quarter", "2026-01-01") == (approx(4 * 7 / 90), 4)


def test_time_allocations(rolled_up: None) -> None:
    # alpha March: A1 5 people × 20 % support, A2 3 × 40 %; 10000 per head
    # cost = 5 × 10000 × 0.20 + 3 × 10000 × 0.40 = 10000 + 12000 = 22000
    assert snap("support_cost", "squad:alpha", "month", "2026-03-01") == (22000.0, 2)
    # support % = (5×20 + 3×40) / 8 = 220 / 8 = 27.5; features = (5×50 + 3×30) / 8 = 340 / 8 = 42.5
    assert snap("support_time_pct", "squad:alpha", "month", "2026-03-01") == (27.5, 2)
    assert snap("feature_time_pct", "squad:alpha", "month", "2026-03-01") == (42.5, 2)
    # org March: + A3 bravo 2 × 8000 × 0.10 = 1600 → 23600; support (220 + 20) / 10 = 24; features (340+140)/10
    assert snap("support_cost", "org", "month", "2026-03-01") == (23600.0, 3)
    assert snap("support_time_pct", "org", "month", "2026-03-01") == (24.0, 3)
    assert snap("feature_time_pct", "org", "month", "2026-03-01") == (48.0, 3)
    # Q1 org: + A4 alpha Feb 4 × 10000 × 0.25 = 10000 → 33600; support (240 + 100) / 14; features (480 + 100) / 14
    assert snap("support_cost", "org", "quarter", "2026-01-01") == (33600.0, 4)
    assert snap("support_time_pct", "org", "quarter", "2026-01-01") == (approx(340 / 14), 4)
    assert snap("feature_time_pct", "org", "quarter", "2026-01-01") == (approx(580 / 14), 4)
    # nothing in April: shares are null, the cost is a sum over nothing = 0
    assert snap("support_time_pct", "org", "month", "2026-04-01") == (None, 0)
    assert snap("support_cost", "org", "month", "2026-04-01") == (0.0, 0)


def test_customer(rolled_up: None) -> None:
    # org March: C1..C5 (C1, C2 without a squad count in org only)
    assert snap("survey_responses", "org", "month", "2026-03-01") == (5, 5)
    # NPS answered C1 10 (P), C2 6 (D), C3 9 (P), C4 7 (passive) → 100 × (2 − 1) / 4 = 25
    assert snap("nps", "org", "month", "2026-03-01") == (25.0, 4)
    # CSAT answered C1 5, C2 3, C4 4, C5 2 → 2 of 4 ≥ 4 → 50
    assert snap("csat_pct", "org", "month", "2026-03-01") == (50.0, 4)
    # outcome answered C1 4, C3 2, C4 5 → 2 of 3
    assert snap("promise_kept_pct", "org", "month", "2026-03-01") == (approx(200 / 3), 3)
    # alpha March: C3 (nps 9, outcome 2), C4 (nps 7, csat 4, outcome 5)
    assert snap("survey_responses", "squad:alpha", "month", "2026-03-01") == (2, 2)
    assert snap("nps", "squad:alpha", "month", "2026-03-01") == (50.0, 2)
    assert snap("csat_pct", "squad:alpha", "month", "2026-03-01") == (100.0, 1)
    assert snap("promise_kept_pct", "squad:alpha", "month", "2026-03-01") == (50.0, 2)
    # the areas see only their squads' responses: payments = alpha's, growth = bravo's C5 (csat 2)
    assert snap("survey_responses", "area:payments", "month", "2026-03-01") == (2, 2)
    assert snap("csat_pct", "area:growth", "month", "2026-03-01") == (0.0, 1)
    assert snap("nps", "area:growth", "month", "2026-03-01") == (None, 0)
    # April: C6 nps 0 (detractor) → −100
    assert snap("nps", "org", "month", "2026-04-01") == (-100.0, 1)


def test_a_period_with_no_records(rolled_up: None) -> None:
    # bravo in February, the inactive delta and the squadless area labs at all times: counts 0, rates null
    for scope, grain, period in (
        ("squad:bravo", "month", "2026-02-01"),
        ("squad:delta", "month", "2026-03-01"),
        ("area:labs", "quarter", "2026-01-01"),
        ("squad:bravo", "week", "2026-01-26"),
    ):
        for metric in (
            "defects_found",
            "escaped_defects",
            "customer_found_defects",
            "incidents",
            "major_incidents",
            "releases",
            "survey_responses",
        ):
            assert snap(metric, scope, grain, period) == (0, 0), (metric, scope)
        for metric in (
            "escaped_defect_rate",
            "mttr_hours",
            "recovery_hours",
            "change_failure_rate",
            "lead_time_hours",
            "nps",
            "csat_pct",
            "promise_kept_pct",
        ):
            assert snap(metric, scope, grain, period) == (None, 0), (metric, scope)
        # no outage: fully up; no release: 0 per week
        assert snap("uptime_pct", scope, grain, period) == (100.0, 0)
        assert snap("deploys_per_week", scope, grain, period) == (0.0, 0)
