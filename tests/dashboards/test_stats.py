"""Hand-worked checks of the honest-number rules (Wilson, low confidence, change, target status)."""

from __future__ import annotations

import pytest

from dashboards import stats
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import CATALOG


def test_wilson_interval_for_half_of_ten() -> None:
    # p = .5, n = 10, z = 1.96: centre .5, half-width = 1.96*sqrt(.025 + .0096)/1.384 = .2634
    lo, hi = stats.wilson_interval(50.0, 10)
    assert lo == pytest.approx(23.66, abs=0.01)
    assert hi == pytest.approx(76.34, abs=0.01)


def test_wilson_interval_at_zero_is_not_degenerate() -> None:
    # p = 0, n = 10: upper bound z²/n / (1 + z²/n) = .38415/1.38415 = 27.75 %
    lo, hi = stats.wilson_interval(0.0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(27.75, abs=0.01)


def test_wilson_needs_a_value_and_trials() -> None:
    assert stats.wilson_interval(None, 10) is None
    assert stats.wilson_interval(40.0, 0) is None


def test_interval_only_for_proportion_kpis() -> None:
    assert stats.kpi_interval(CATALOG["csat_pct"], 80.0, 20) is not None
    assert stats.kpi_interval(CATALOG["uptime_pct"], 99.0, 20) is None
    assert stats.kpi_interval(CATALOG["nps"], 20.0, 20) is None


def test_low_confidence_below_five_records_except_counts() -> None:
    assert CATALOG["mttr_hours"].is_low_confidence(3.0, 4)
    assert not CATALOG["mttr_hours"].is_low_confidence(3.0, 5)
    assert not CATALOG["incidents"].is_low_confidence(2.0, 2)
    assert not CATALOG["uptime_pct"].is_low_confidence(100.0, 0)  # measured over the whole period
    assert not CATALOG["deploys_per_week"].is_low_confidence(0.7, 3)
    assert CATALOG["csat_pct"].is_low_confidence(75.0, 4)
    assert not CATALOG["mttr_hours"].is_low_confidence(None, 0)


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        # lower is better, target 10 %, margin 10 % of 10 = 1 → at risk up to 11
        ("change_failure_rate", 9.0, kpi_selectors.ON_TRACK),
        ("change_failure_rate", 10.0, kpi_selectors.ON_TRACK),
        ("change_failure_rate", 11.0, kpi_selectors.AT_RISK),
        ("change_failure_rate", 11.5, kpi_selectors.OFF_TRACK),
        # higher is better, target 10 (per week), at risk down to 9
        ("deploys_per_week", 12.0, kpi_selectors.ON_TRACK),
        ("deploys_per_week", 9.0, kpi_selectors.AT_RISK),
        ("deploys_per_week", 8.9, kpi_selectors.OFF_TRACK),
    ],
)
def test_target_status_follows_direction(code: str, value: float, expected: str) -> None:
    assert kpi_selectors.target_status(CATALOG[code], value, 10.0, 10.0) == expected


def test_target_status_needs_value_and_target() -> None:
    assert kpi_selectors.target_status(CATALOG["nps"], None, 10.0, 10.0) is None
    assert kpi_selectors.target_status(CATALOG["nps"], 5.0, None, 10.0) is None


def test_change_is_judged_by_direction() -> None:
    worse = stats.change(CATALOG["incidents"], 12.0, 8.0)
    assert worse.delta == 4.0
    assert worse.pct == 50.0
    assert worse.good is False
    better = stats.change(CATALOG["releases"], 12.0, 8.0)
    assert better.good is True
    assert stats.change(CATALOG["releases"], 8.0, 8.0).good is None
    assert stats.change(CATALOG["releases"], 8.0, 0.0).pct is None
    assert stats.change(CATALOG["releases"], None, 8.0) is None
