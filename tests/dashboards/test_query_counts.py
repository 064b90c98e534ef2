"""A page's database queries do not grow with the number of squads (10 vs 40)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import Baseline, KpiSnapshot, Target
from tests.factories import (
    CustomerResponseFactory,
    DefectFactory,
    IncidentFactory,
    ReleaseFactory,
    SquadFactory,
    TimeAllocationFactory,
)
from tests.support.snapshots import COMPUTED_AT

RANGE = "grain=month&from=2025-01-01&to=2025-06-30"
PAGES = [
    "/",
    "/areas/area-x/",
    "/squads/squad-00/",
    "/metrics/change_failure_rate/",
    "/metrics/support_cost/",
    "/customers/",
    "/time/",
    "/review/",
    "/?grain=week&from=2025-04-01&to=2025-06-30",
    "/?format=csv&table=heatmap",
]
UTC = dt.UTC


def add_squads(start: int, stop: int) -> None:
    rows = []
    for i in range(start, stop):
        squad = SquadFactory(slug=f"squad-{i:02d}", name=f"Squad {i:02d}", area__slug="area-x" if i % 2 else "area-y")
        ReleaseFactory(squad=squad, released_at=dt.datetime(2025, 6, 2, tzinfo=UTC))
        IncidentFactory(squad=squad, started_at=dt.datetime(2025, 6, 3, tzinfo=UTC))
        DefectFactory(squad=squad, found_at=dt.datetime(2025, 6, 4, tzinfo=UTC))
        CustomerResponseFactory(
            squad=squad, top_problem=f"theme {i % 3}", submitted_at=dt.datetime(2025, 6, 5, tzinfo=UTC)
        )
        TimeAllocationFactory(squad=squad, month=dt.date(2025, 6, 1))
        Target.objects.create(metric="change_failure_rate", squad=squad, value=10.0 + i)
        for month in range(1, 7):
            for metric in ("change_failure_rate", "releases", "nps", "support_cost"):
                rows.append(
                    KpiSnapshot(
                        metric=metric,
                        scope=squad.scope,
                        grain="month",
                        period_start=dt.date(2025, month, 1),
                        value=float(i + month),
                        sample_size=i,
                        computed_at=COMPUTED_AT,
                    )
                )
    KpiSnapshot.objects.bulk_create(rows)


def count_queries(client, url: str) -> int:
    cache.clear()
    joiner = "&" if "?" in url else "?"
    full = url if "grain=" in url else f"{url}{joiner}{RANGE}"
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(full)
    assert response.status_code == 200, full
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_queries_do_not_grow_with_squads(client_for, users) -> None:
    Baseline.objects.create(name="b", start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31))
    Target.objects.create(metric="change_failure_rate", value=10.0)
    add_squads(0, 10)
    client = client_for(users["viewer"])
    with_10 = {url: count_queries(client, url) for url in PAGES}
    add_squads(10, 40)
    with_40 = {url: count_queries(client, url) for url in PAGES}
    assert with_40 == with_10
    # and the pages really did list the squads (and alpha, the PM's squad)
    html = client.get(f"/?{RANGE}").content.decode()
    assert html.count('<th class="sticky"><a href="/squads/') == 40 + 1
