from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import KpiSnapshot
from tests.factories import SquadFactory

COMPUTED_AT = dt.datetime(2026, 4, 20, 6, 0, tzinfo=dt.UTC)


def put_series(metric: str, slug: str, grain: str, values: dict[dt.date, float | None]) -> None:
    """Store snapshots for one squad; a count KPI's sample size is its value (0 for null)."""
    KpiSnapshot.objects.bulk_create(
        [
            KpiSnapshot(
                metric=metric,
                scope=f"squad:{slug}",
                grain=grain,
                period_start=day,
                value=value,
                sample_size=int(value or 0),
                computed_at=COMPUTED_AT,
            )
            for day, value in values.items()
        ]
    )


@pytest.fixture
def five_squads(db):
    """Treatment t1, t2 (area a); comparison c1, c2, c3 (area b)."""
    return {
        slug: SquadFactory(slug=slug, name=slug.upper(), area__slug="a" if slug.startswith("t") else "b")
        for slug in ("t1", "t2", "c1", "c2", "c3")
    }
