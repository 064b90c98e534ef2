"""Page controls: defaults, fallbacks and the latest complete period."""

from __future__ import annotations

import datetime as dt

from django.http import QueryDict

from dashboards.controls import Controls, default_controls, parse_controls

AREAS = [("payments", "Payments"), ("growth", "Growth")]


def test_defaults_are_month_grain_and_the_last_twelve_months() -> None:
    controls = default_controls(today=dt.date(2026, 3, 15))
    assert controls == Controls("month", dt.date(2025, 4, 1), dt.date(2026, 3, 15), "")


def test_query_string_round_trips() -> None:
    controls, form = parse_controls(QueryDict("grain=week&from=2025-01-06&to=2025-03-30&area=growth"), AREAS)
    assert not form.errors
    assert controls == Controls("week", dt.date(2025, 1, 6), dt.date(2025, 3, 30), "growth")
    assert controls.scope == "area:growth"
    again, _ = parse_controls(QueryDict(controls.query()), AREAS)
    assert again == controls


def test_bad_values_fall_back_and_are_reported() -> None:
    controls, form = parse_controls(QueryDict("grain=decade&from=notadate&area=nowhere"), AREAS)
    assert controls.grain == "month"
    assert controls.area == ""
    assert controls.scope == "org"
    assert {"grain", "date_from", "area"} <= set(form.errors)


def test_latest_complete_period_per_grain() -> None:
    today = dt.date(2026, 5, 20)
    month = Controls("month", dt.date(2025, 6, 1), dt.date(2026, 5, 20), "")
    assert month.latest_complete_period(today) == dt.date(2026, 4, 1)
    # a range ending on a month's last day makes that month complete
    assert Controls("month", dt.date(2025, 1, 1), dt.date(2025, 6, 30), "").latest_complete_period(today) == dt.date(
        2025, 6, 1
    )
    # 2026-05-20 is a Wednesday: the last complete ISO week started Monday 2026-05-11
    week = Controls("week", dt.date(2026, 1, 1), dt.date(2026, 5, 20), "")
    assert week.latest_complete_period(today) == dt.date(2026, 5, 11)
    quarter = Controls("quarter", dt.date(2025, 1, 1), dt.date(2026, 5, 20), "")
    assert quarter.latest_complete_period(today) == dt.date(2026, 1, 1)
    # nothing complete inside the range
    assert Controls("quarter", dt.date(2026, 4, 1), dt.date(2026, 5, 20), "").latest_complete_period(today) is None
