"""Customer voice and time allocation pages, checked against hand-worked numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from tests.factories import CustomerResponseFactory, SquadFactory, TimeAllocationFactory
from tests.support.snapshots import snap

RANGE = "grain=month&from=2025-01-01&to=2025-06-30"
UTC = dt.UTC


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_time_allocation_is_weighted_by_headcount(client_for, users, squad_a, squad_b) -> None:
    june = dt.date(2025, 6, 1)
    TimeAllocationFactory(
        squad=squad_a,
        month=june,
        headcount=5,
        pct_features=Decimal("50"),
        pct_quality=Decimal("10"),
        pct_support=Decimal("20"),
        pct_onboarding=Decimal("5"),
        pct_ktlo=Decimal("10"),
        pct_other=Decimal("5"),
    )
    TimeAllocationFactory(
        squad=squad_b,
        month=june,
        headcount=15,
        pct_features=Decimal("30"),
        pct_quality=Decimal("10"),
        pct_support=Decimal("40"),
        pct_onboarding=Decimal("5"),
        pct_ktlo=Decimal("10"),
        pct_other=Decimal("5"),
    )
    client = client_for(users["viewer"])
    rows = csv_rows(client.get(f"/time/?{RANGE}&format=csv&table=mix"))
    header, june_row = rows[0], rows[1]
    assert header[:4] == ["month", "responses", "headcount", "pct_features"]
    values = dict(zip(header, june_row, strict=True))
    assert values["month"] == "2025-06-01"
    assert values["responses"] == "2"
    assert values["headcount"] == "20"
    assert values["pct_support"] == "35"  # (5×20 + 15×40) / 20
    assert values["pct_features"] == "35"  # (5×50 + 15×30) / 20
    # one squad only
    alpha = dict(zip(header, csv_rows(client.get(f"/time/?{RANGE}&squad=alpha&format=csv&table=mix"))[1], strict=True))
    assert alpha["pct_support"] == "20"
    assert alpha["headcount"] == "5"
    html = client.get(f"/time/?{RANGE}&squad=alpha").content.decode()
    assert "How we spend our time — Alpha" in html
    # by area: growth holds bravo only
    growth = dict(zip(header, csv_rows(client.get(f"/time/?{RANGE}&area=growth&format=csv&table=mix"))[1], strict=True))
    assert growth["pct_support"] == "40"


def test_customer_voice_counts_top_problems_per_period(client_for, users, squad_a) -> None:
    other = SquadFactory(slug="other", area__slug="growth")
    for day, problem, squad in [
        (3, "invoicing", squad_a),
        (4, "invoicing", None),
        (5, "mobile app", squad_a),
        (6, "invoicing", other),
        (7, "", squad_a),
    ]:
        CustomerResponseFactory(submitted_at=dt.datetime(2025, 6, day, tzinfo=UTC), top_problem=problem, squad=squad)
    CustomerResponseFactory(submitted_at=dt.datetime(2025, 5, 9, tzinfo=UTC), top_problem="mobile app")
    snap("nps", "org", "2025-06-01", 20.0, 5)
    snap("survey_responses", "org", "2025-06-01", 5.0, 5)
    client = client_for(users["viewer"])
    rows = csv_rows(client.get(f"/customers/?{RANGE}&format=csv&table=problems"))
    assert rows == [
        ["period_start", "top_problem", "responses"],
        ["2025-05-01", "mobile app", "1"],
        ["2025-06-01", "invoicing", "3"],
        ["2025-06-01", "mobile app", "1"],
    ]
    # an area counts only its squads' responses
    rows = csv_rows(client.get(f"/customers/?{RANGE}&area=payments&format=csv&table=problems"))
    assert rows[1:] == [["2025-06-01", "invoicing", "1"], ["2025-06-01", "mobile app", "1"]]
    html = client.get(f"/customers/?{RANGE}").content.decode()
    assert "+20" in html
    assert "n=5" in html
    assert '<script id="chart-customer-trends" type="application/json">' in html
