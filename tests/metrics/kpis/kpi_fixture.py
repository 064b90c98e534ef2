"""The hand-worked KPI fixture (see test_kpi_handworked.py for every expected number).

Org on a frozen "now" of Wednesday 2026-04-15 12:00 UTC:
  area payments: squads alpha (cost/head 10000), charlie (10000)
  area growth:   squads bravo (8000), delta (inactive, no records)
  area labs:     no squads at all
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from metrics.models import KpiSnapshot, Release
from metrics.records.ingest.importer import import_csv
from tests.factories import (
    AreaFactory,
    CustomerResponseFactory,
    DefectFactory,
    IncidentFactory,
    ReleaseFactory,
    SquadFactory,
    SurveyFactory,
    TimeAllocationFactory,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=UTC)


def t(text: str) -> dt.datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def build_org() -> dict:
    payments, growth = AreaFactory(slug="payments"), AreaFactory(slug="growth")
    AreaFactory(slug="labs")
    alpha = SquadFactory(slug="alpha", area=payments, monthly_cost_per_head=Decimal("10000"))
    charlie = SquadFactory(slug="charlie", area=payments, monthly_cost_per_head=Decimal("10000"))
    bravo = SquadFactory(slug="bravo", area=growth, monthly_cost_per_head=Decimal("8000"))
    SquadFactory(slug="delta", area=growth, active=False)

    # releases
    r1 = ReleaseFactory(
        external_id="R1", squad=alpha, released_at=t("2026-03-02 12:00"), first_commit_at=t("2026-02-28 12:00")
    )
    r2 = ReleaseFactory(
        external_id="R2",
        squad=alpha,
        released_at=t("2026-03-10 09:00"),
        first_commit_at=t("2026-03-09 21:00"),
        status=Release.Status.ROLLED_BACK,
    )
    ReleaseFactory(external_id="R3", squad=alpha, released_at=t("2026-03-20 18:00"), first_commit_at=None)
    ReleaseFactory(
        external_id="R4", squad=bravo, released_at=t("2026-03-05 10:00"), first_commit_at=t("2026-03-04 10:00")
    )
    # R5 through the importer: an offset timestamp (-02:00 → 2026-04-01 01:30 UTC) and a naive one (= UTC)
    report = import_csv(
        kind="releases",
        stream=io.StringIO(
            "external_id,squad,version,released_at,first_commit_at,status\n"
            "R5,charlie,5.0,2026-03-31T23:30:00-02:00,2026-03-31T10:00:00,succeeded\n"
        ),
    )
    assert report.ok, report.errors

    # incidents
    IncidentFactory(
        external_id="I1",
        squad=alpha,
        severity=1,
        started_at=t("2026-03-31 22:00"),
        resolved_at=t("2026-04-01 04:00"),
        customer_impact=True,
        caused_by_release=r1,
    )
    IncidentFactory(
        external_id="I2",
        squad=alpha,
        severity=3,
        started_at=t("2026-03-10 10:00"),
        resolved_at=t("2026-03-10 14:00"),
        customer_impact=True,
        caused_by_release=r2,
    )
    IncidentFactory(
        external_id="I3",
        squad=alpha,
        severity=2,
        started_at=t("2026-03-10 12:00"),
        resolved_at=t("2026-03-10 16:00"),
        customer_impact=True,
    )
    IncidentFactory(
        external_id="I4",
        squad=bravo,
        severity=4,
        started_at=t("2026-04-14 12:00"),
        resolved_at=None,
        customer_impact=True,
    )
    IncidentFactory(
        external_id="I5",
        squad=charlie,
        severity=4,
        started_at=t("2026-03-15 08:00"),
        resolved_at=t("2026-03-15 10:30"),
        customer_impact=False,
    )

    # defects
    DefectFactory(external_id="D0", squad=alpha, found_at=t("2026-02-03 09:00"), found_in="testing")
    DefectFactory(
        external_id="D1", squad=alpha, found_at=t("2026-03-04 09:00"), found_in="production", found_by="customer"
    )
    DefectFactory(external_id="D2", squad=alpha, found_at=t("2026-03-05 09:00"), found_in="production")
    DefectFactory(external_id="D3", squad=alpha, found_at=t("2026-03-06 09:00"), found_in="staging")
    DefectFactory(external_id="D4", squad=bravo, found_at=t("2026-03-07 09:00"), found_in="development")

    # customer responses (C1, C2 without a squad: org only)
    survey = SurveyFactory(slug="pulse")
    for ext, squad, day, nps, csat, outcome in (
        ("C1", None, "2026-03-10 10:00", 10, 5, 4),
        ("C2", None, "2026-03-11 10:00", 6, 3, None),
        ("C3", alpha, "2026-03-12 10:00", 9, None, 2),
        ("C4", alpha, "2026-03-13 10:00", 7, 4, 5),
        ("C5", bravo, "2026-03-14 10:00", None, 2, None),
        ("C6", alpha, "2026-04-02 10:00", 0, None, None),
    ):
        CustomerResponseFactory(
            external_id=ext,
            survey=survey,
            squad=squad,
            submitted_at=t(day),
            nps_score=nps,
            csat_score=csat,
            outcome_score=outcome,
        )

    # time allocations (features, quality, support, onboarding, ktlo, other)
    for ext, squad, month, headcount, pcts in (
        ("A1", alpha, dt.date(2026, 3, 1), 5, (50, 10, 20, 5, 10, 5)),
        ("A2", alpha, dt.date(2026, 3, 1), 3, (30, 10, 40, 10, 5, 5)),
        ("A3", bravo, dt.date(2026, 3, 1), 2, (70, 10, 10, 0, 10, 0)),
        ("A4", alpha, dt.date(2026, 2, 1), 4, (25, 25, 25, 0, 25, 0)),
    ):
        features, quality, support, onboarding, ktlo, other = (Decimal(p) for p in pcts)
        TimeAllocationFactory(
            external_id=ext,
            squad=squad,
            month=month,
            headcount=headcount,
            pct_features=features,
            pct_quality=quality,
            pct_support=support,
            pct_onboarding=onboarding,
            pct_ktlo=ktlo,
            pct_other=other,
        )
    return {"alpha": alpha, "bravo": bravo, "charlie": charlie}


def snap(metric: str, scope: str, grain: str, period: str) -> tuple[float | None, int]:
    row = KpiSnapshot.objects.get(metric=metric, scope=scope, grain=grain, period_start=dt.date.fromisoformat(period))
    return row.value, row.sample_size


def all_snapshots() -> dict[tuple, tuple]:
    """Every stored snapshot as {(metric, scope, grain, period_start): (value rounded to 9 places, sample_size)}."""
    return {
        (m, s, g, p): (None if v is None else round(v, 9), n)
        for m, s, g, p, v, n in KpiSnapshot.objects.values_list(
            "metric", "scope", "grain", "period_start", "value", "sample_size"
        )
    }
