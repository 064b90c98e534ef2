"""The bet pages, the start markers on the overview, squad and metric pages and the initiatives on /time/."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.utils.html import escape

from bets.models import Bet
from bets.selectors import bet_markers, initiative_plans
from bets.services import PlannedInput, TargetInput, create_bet
from tests.bets.test_effects import hand_worked  # noqa: F401  (fixture)
from tests.factories import TimeAllocationFactory

pytestmark = pytest.mark.django_db
D = dt.date


def figures(html: str) -> dict[str, dict]:
    return {
        m[0]: json.loads(m[1])
        for m in re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', html, re.S)
    }


def test_list_and_detail_show_the_verdict_windows_and_start(hand_worked, users, client_for):  # noqa: F811
    client = client_for(users["viewer"])
    listing = client.get("/bets/").content.decode()
    assert "On-call rotation" in listing
    assert 'class="verdict-chip verdict-' in listing
    html = client.get(f"/bets/{hand_worked.pk}/").content.decode()
    assert "On-call rotation" in html
    assert "fewer incidents" in html
    assert "records" in html
    assert "weeks before" in html
    (figure,) = figures(html).values()
    assert [t["name"].split(":")[0] for t in figure["data"]] == ["treatment", "comparison"]
    shapes = figure["layout"]["shapes"]
    assert [s["type"] for s in shapes] == ["rect", "rect", "line"]  # before, after, start
    assert shapes[2]["x0"] == "2026-03-04"


def test_the_verdict_in_words_and_the_numbers_behind_it(hand_worked, users, client_for):  # noqa: F811
    from bets import views

    html = client_for(users["viewer"]).get(f"/bets/{hand_worked.pk}/").content.decode()
    assert re.search(r'data-verdict="([^"]+)"', html)[1] == "improved"  # see test_effects: all periods ended
    assert escape(views.VERDICT_WORDS["improved"]) in html
    assert "Effect <strong>-2.50 count</strong>" in html
    assert "<strong>4</strong> weeks before and <strong>4</strong> after, and <strong>152</strong> records" in html


def test_ops_creates_a_bet_through_the_page_and_a_viewer_cannot(users, squad_b, client_for):
    form = {
        "title": "Pairing Fridays",
        "hypothesis": "Pairing finds defects early.",
        "kind": "experiment",
        "treatment_squads": ["alpha"],
        "start": "2026-02-02",
        "window": "8",
        "metric_1": "defects_found",
        "direction_1": "lower",
    }
    assert client_for(users["viewer"]).post("/bets/new/", form).status_code == 403
    response = client_for(users["ops"]).post("/bets/new/", form)
    bet = Bet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/bets/{bet.pk}/"
    assert [s.slug for s in bet.comparison_squads.all()] == ["bravo"]
    bad = client_for(users["ops"]).post("/bets/new/", form | {"metric_1": ""})
    assert bad.status_code == 200
    assert Bet.objects.count() == 1


def test_pm_page_form_offers_only_their_squads(users, squad_b, client_for):
    html = client_for(users["pm"]).get("/bets/new/").content.decode()
    select = re.search(r'<select name="treatment_squads".*?</select>', html, re.S)[0]
    assert 'value="alpha"' in select
    assert 'value="bravo"' not in select


def test_bet_markers_select_by_kpi_squad_and_range(hand_worked):  # noqa: F811
    markers = bet_markers("incidents", ["squad:t1"], D(2026, 1, 1), D(2026, 6, 1))
    assert [(m.bet_id, m.start, m.metric, m.url) for m in markers] == [
        (hand_worked.pk, D(2026, 3, 4), "incidents", f"/bets/{hand_worked.pk}/")
    ]
    assert bet_markers("incidents", ["squad:c1"], D(2026, 1, 1), D(2026, 6, 1)) == []  # comparison squads: no
    assert bet_markers("nps", ["squad:t1"], D(2026, 1, 1), D(2026, 6, 1)) == []
    assert bet_markers(["nps", "incidents"], ["area:a"], D(2026, 1, 1), D(2026, 6, 1))[0].bet_id == hand_worked.pk
    assert bet_markers("incidents", ["squad:t1"], D(2026, 4, 1), D(2026, 6, 1)) == []


def test_squad_page_trends_carry_the_bets_start(hand_worked, users, client_for):  # noqa: F811
    client = client_for(users["viewer"])
    html = client.get("/squads/t1/?grain=week&from=2026-01-01&to=2026-04-20").content.decode()
    stability = figures(html)["trend-stability"]
    links = [a["text"] for a in stability["layout"]["annotations"] if "href" in a.get("text", "")]
    assert links == [f'<a href="/bets/{hand_worked.pk}/" target="_self">bet: On-call rotation</a>']
    marker = next(a for a in stability["layout"]["annotations"] if "href" in a.get("text", ""))
    # on the incidents subplot: the family's KPIs in catalog order, incidents is the first
    assert marker["xref"] == "x"
    assert marker["x"] == "2026-03-04"


def test_metric_page_trend_carries_the_start_of_bets_on_that_kpi_in_its_scope(hand_worked, users, client_for):  # noqa: F811
    client = client_for(users["viewer"])
    window = "grain=week&from=2026-01-01&to=2026-04-20"

    def bet_links(path: str) -> list[str]:
        trend = figures(client.get(path).content.decode())["chart-trend"]
        return [a["text"] for a in trend["layout"].get("annotations", []) if "/bets/" in a.get("text", "")]

    link = f'<a href="/bets/{hand_worked.pk}/" target="_self">bet: On-call rotation</a>'
    assert bet_links(f"/metrics/incidents/?{window}") == [link]  # the org: every bet on the KPI
    assert bet_links(f"/metrics/incidents/?{window}&area=a") == [link]  # the treated squads' area
    assert bet_links(f"/metrics/incidents/?{window}&area=b") == []  # the comparison squads' area
    assert bet_links(f"/metrics/nps/?{window}") == []  # a KPI the bet does not aim at
    assert bet_links("/metrics/incidents/?grain=week&from=2026-03-09&to=2026-04-20") == []  # started before


def test_overview_trends_carry_the_start_of_bets_on_their_kpis(hand_worked, users, client_for):  # noqa: F811
    client = client_for(users["viewer"])
    window = "grain=week&from=2026-01-01&to=2026-04-20"

    def bet_links(path: str) -> dict[str, list[str]]:
        charts = figures(client.get(path).content.decode())
        return {
            chart_id: links
            for chart_id, figure in charts.items()
            if chart_id.startswith("trend-")
            and (links := [a["text"] for a in figure["layout"].get("annotations", []) if "/bets/" in a.get("text", "")])
        }

    link = f'<a href="/bets/{hand_worked.pk}/" target="_self">bet: On-call rotation</a>'
    assert bet_links(f"/?{window}") == {"trend-stability": [link]}  # on the incidents chart only
    assert bet_links(f"/areas/a/?{window}") == {"trend-stability": [link]}  # the treated squads' area
    assert bet_links(f"/areas/b/?{window}") == {}


def test_labels_of_bets_on_one_subplot_do_not_print_over_each_other():
    from bets.charts import add_bet_markers
    from bets.selectors import BetMarker

    markers = [
        BetMarker(1, "First", D(2026, 8, 27), "releases", "/bets/1/"),
        BetMarker(2, "Second", D(2026, 9, 16), "releases", "/bets/2/"),
        BetMarker(3, "Third", D(2026, 9, 20), "incidents", "/bets/3/"),
        BetMarker(4, "Fourth", D(2026, 9, 30), "releases", "/bets/4/"),
        BetMarker(5, "Other KPI", D(2026, 9, 30), "nps", "/bets/5/"),
    ]
    figure = add_bet_markers({"data": [], "layout": {}}, markers, ["releases", "incidents"])
    placed = [(a["name"], a["xref"], round(a["y"], 2)) for a in figure["layout"]["annotations"]]
    assert placed == [("bet-1", "x", 1.0), ("bet-2", "x", 0.8), ("bet-3", "x2", 1.0), ("bet-4", "x", 0.6)]
    assert len(figure["layout"]["shapes"]) == 4  # a start line each; none for a KPI not on the chart


def test_time_page_sets_planned_against_actual(users, squad_a, squad_b, client_for):
    squad_a.monthly_cost_per_head = Decimal("8000.00")
    squad_a.save()
    TimeAllocationFactory(squad=squad_a, month=D(2026, 3, 1), headcount=3)
    TimeAllocationFactory(squad=squad_a, month=D(2026, 3, 1), headcount=2)
    create_bet(
        user=None,
        title="Release train",
        hypothesis="Fewer rollbacks.",
        kind="initiative",
        treatment_squads=["alpha"],
        comparison_squads=None,
        start=D(2026, 3, 1),
        targets=[TargetInput("change_failure_rate", "lower")],
        planned_headcount=[
            PlannedInput("alpha", D(2026, 3, 1), Decimal("4")),
            PlannedInput("alpha", D(2026, 4, 1), Decimal("4")),
        ],
    )
    rows = initiative_plans(start=D(2026, 1, 1), end=D(2026, 6, 1))
    assert [(r.month, r.planned, r.actual, r.planned_cost, r.actual_cost) for r in rows] == [
        (D(2026, 3, 1), Decimal("4.00"), 5, Decimal("32000.00"), Decimal("40000.00")),
        (D(2026, 4, 1), Decimal("4.00"), None, Decimal("32000.00"), None),
    ]
    html = client_for(users["viewer"]).get("/time/?from=2026-01-01&to=2026-05-31").content.decode()
    assert "Release train" in html
    assert "32000" in html
    assert "40000" in html


def test_viewer_sees_why_they_cannot_create(users, client_for):
    response = client_for(users["viewer"]).get("/bets/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bets are created by ops staff" in html
    assert '<form method="post" class="bet-form"' not in html
