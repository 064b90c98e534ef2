"""`export_kpis`: CSV of stored snapshots, filtered and sorted, values with up to 4 decimals."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from metrics.models import KpiSnapshot


def _snap(metric: str, scope: str, grain: str, day: str, value: float | None, n: int) -> None:
    KpiSnapshot.objects.create(
        metric=metric,
        scope=scope,
        grain=grain,
        period_start=dt.date.fromisoformat(day),
        value=value,
        sample_size=n,
        computed_at=timezone.now(),
    )


@pytest.fixture
def snapshots(db):
    _snap("nps", "org", "month", "2026-04-01", -100.0, 1)
    _snap("nps", "org", "month", "2026-03-01", 25.0, 4)
    _snap("escaped_defect_rate", "squad:alpha", "month", "2026-03-01", 200 / 3, 3)
    _snap("escaped_defect_rate", "org", "month", "2026-03-01", None, 0)
    _snap("releases", "org", "week", "2026-03-02", 12.0, 12)
    _snap("releases", "area:payments", "quarter", "2026-01-01", 0.0, 0)
    _snap("uptime_pct", "org", "month", "2026-03-01", 99.99996, 1)
    _snap("support_cost", '=HYPERLINK("x")', "month", "2026-03-01", 12.5, 2)


def _export(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("export_kpis", *args, stdout=out)
    return out.getvalue().splitlines()


def test_everything_sorted_with_formatted_values(snapshots: None) -> None:
    assert _export() == [
        "metric,scope,grain,period_start,value,sample_size",
        "escaped_defect_rate,org,month,2026-03-01,,0",  # null → empty
        "escaped_defect_rate,squad:alpha,month,2026-03-01,66.6667,3",  # 66.666… rounded to 4 decimals
        "nps,org,month,2026-03-01,25,4",
        "nps,org,month,2026-04-01,-100,1",  # a negative number stays a plain number
        "releases,area:payments,quarter,2026-01-01,0,0",
        "releases,org,week,2026-03-02,12,12",
        'support_cost,"\'=HYPERLINK(""x"")",month,2026-03-01,12.5,2',  # formula-looking cell neutralised
        "uptime_pct,org,month,2026-03-01,100,1",  # 99.99996 → 100.0000 → 100
    ]


def test_filters(snapshots: None) -> None:
    assert _export("--metric", "nps", "--from", "2026-04-01") == [
        "metric,scope,grain,period_start,value,sample_size",
        "nps,org,month,2026-04-01,-100,1",
    ]
    assert _export("--grain", "week") == [
        "metric,scope,grain,period_start,value,sample_size",
        "releases,org,week,2026-03-02,12,12",
    ]
    assert _export("--scope", "squad:alpha", "--to", "2026-03-01")[1:] == [
        "escaped_defect_rate,squad:alpha,month,2026-03-01,66.6667,3",
    ]


def test_bad_options_name_the_option(snapshots: None) -> None:
    with pytest.raises(CommandError, match="--from"):
        call_command("export_kpis", "--from", "March")
    with pytest.raises(CommandError, match="--metric"):
        call_command("export_kpis", "--metric", "happiness")


def test_rollup_kpis_command(db) -> None:
    from tests.metrics.kpis.kpi_fixture import build_org

    build_org()
    out = io.StringIO()
    call_command("rollup_kpis", stdout=out)  # empty snapshot table → a full rollup
    written = KpiSnapshot.objects.count()
    assert written > 0
    assert out.getvalue().strip() == f"{written} snapshots written"
    out = io.StringIO()
    call_command("rollup_kpis", "--full", "--since", "2026-03-01", stdout=out)
    assert KpiSnapshot.objects.count() == written
    with pytest.raises(CommandError, match="--since"):
        call_command("rollup_kpis", "--since", "yesterday")
