"""The first look (issue 10): the verdict band, honest colours and verdicts, periods and units
people read, presets and range messages, the read-only record view and a PM's landing page —
from a hand-built KPI store, every expected figure worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dashboards.controls import Controls, preset_links, presets
from dashboards.formatting import format_target, format_value, period_label
from metrics.kpis.catalog import CATALOG
from metrics.models import Baseline, Target
from tests.factories import IncidentFactory, ReleaseFactory, SquadFactory
from tests.support.snapshots import snap

RANGE = "grain=month&from=2025-01-01&to=2025-06-30"  # latest complete month: June 2025
UTC = dt.UTC


@pytest.fixture
def store(db, squad_a, squad_b):
    """June 2025, month grain. Org: CFR 12 % (n=50, target ≤ 10 % ±30 % → at risk), NPS +100 from ONE
    response (target ≥ +30 → would be on track, but n=1 is too few), lead time 30 h (target ≤ 20 h,
    margin 10 % → off track), MTTR 2.0 h in June and 2.04 h in May (a change that shows as 0.0 h).
    Squads: alpha CFR 25 % n=20 and lead time 40 h n=10 (2 off track), bravo CFR 5 % n=20 (on track),
    charlie CFR 30 % n=10 (off track)."""
    charlie = SquadFactory(slug="charlie", name="Charlie", area__slug="payments")
    Baseline.objects.create(name="Q1", start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31))
    Target.objects.create(metric="change_failure_rate", value=10.0, at_risk_margin_pct=30.0)
    Target.objects.create(metric="nps", value=30.0, at_risk_margin_pct=20.0)
    Target.objects.create(metric="lead_time_hours", value=20.0, at_risk_margin_pct=10.0)
    snap("change_failure_rate", "org", "2025-05-01", 20.0, 40)
    snap("change_failure_rate", "org", "2025-06-01", 12.0, 50)
    snap("change_failure_rate", "org", "2025-01-01", 16.0, 40)
    snap("nps", "org", "2025-05-01", 20.0, 30)
    snap("nps", "org", "2025-06-01", 100.0, 1)
    snap("lead_time_hours", "org", "2025-05-01", 25.0, 30)
    snap("lead_time_hours", "org", "2025-06-01", 30.0, 30)
    snap("mttr_hours", "org", "2025-05-01", 2.04, 12)
    snap("mttr_hours", "org", "2025-06-01", 2.0, 12)
    snap("change_failure_rate", "squad:alpha", "2025-06-01", 25.0, 20)
    snap("lead_time_hours", "squad:alpha", "2025-06-01", 40.0, 10)
    snap("change_failure_rate", "squad:bravo", "2025-06-01", 5.0, 20)
    snap("change_failure_rate", "squad:charlie", "2025-06-01", 30.0, 10)
    return {"alpha": squad_a, "bravo": squad_b, "charlie": charlie}


def tile(html: str, label: str) -> str:
    match = re.search(r'<article class="tile[^"]*" title="' + re.escape(label) + r":.*?</article>", html, re.S)
    assert match, f"no tile {label!r}"
    return match.group(0)


def band(html: str) -> str:
    return html.split('<section class="verdict"', 1)[1].split("</section>", 1)[0]


def test_verdict_band_counts_moves_and_squads_needing_attention(client_for, users, store) -> None:
    html = client_for(users["viewer"]).get(f"/?{RANGE}").content.decode()
    verdict = band(html)
    # judged at org level: CFR at risk (12 within 10 + 3), lead time off track (30 > 22); NPS not judged (n=1)
    assert "1 off track and 1 at risk of 2 KPIs with a target." in verdict
    assert "<strong>0</strong> on track" in verdict
    assert "<strong>1</strong> too few records" in verdict
    # biggest move vs May by |relative change|: CFR −40 % (20 → 12, better) before lead time +20 % (worse);
    # NPS (+400 %) rests on one response and MTTR's change rounds to zero: neither is a "move"
    moves = verdict.split("Biggest moves vs May 2025", 1)[1].split("</ul>", 1)[0]
    assert re.findall(r"/metrics/([a-z_]+)/", moves) == ["change_failure_rate", "lead_time_hours"]
    assert "▼ 8.0 pp" in moves
    assert "better" in moves
    assert "worse" in moves
    # squads with off-track KPIs, most first: alpha (CFR 25 > 13, lead time 40 > 22), then charlie (30)
    squads = verdict.split("Squads that need attention", 1)[1]
    assert re.findall(r"/squads/([a-z]+)/", squads) == ["alpha", "charlie"]
    assert "2 off track" in squads
    assert "1 off track" in squads
    # an area page: its own verdict over its squads only (bravo is in growth)
    area = band(client_for(users["viewer"]).get(f"/areas/payments/?{RANGE}").content.decode())
    assert "No KPI has both a target and enough records to judge it." in area  # no area snapshots stored
    assert re.findall(r"/squads/([a-z]+)/", area.split("Squads that need attention", 1)[1]) == ["alpha", "charlie"]


def test_low_confidence_value_gets_too_few_records_not_a_verdict(client_for, users, store) -> None:
    html = client_for(users["viewer"]).get(f"/?{RANGE}").content.decode()
    nps = tile(html, "Net Promoter Score")
    assert "+100" in nps
    assert "n=1" in nps
    assert "too few records" in nps
    assert "on track" not in nps
    assert 'class="tile good"' not in nps
    # the metric page's squad table and the review say the same
    review = client_for(users["viewer"]).get(f"/review/?{RANGE}").content.decode()
    table = review.split('<table class="data review-table"', 1)[1]
    row = re.search(r"/metrics/nps/.*?</tr>", table, re.S).group(0)
    assert "too few records" in row
    assert "on track" not in row


def test_a_change_that_rounds_to_zero_is_neither_green_nor_red(client_for, users, store) -> None:
    mttr = tile(client_for(users["viewer"]).get(f"/?{RANGE}").content.decode(), "Mean time to restore")
    # 2.00 h vs 2.04 h: −0.04 h shows as 0.0 h, so it is "no change", not a green ▼
    assert "prev = no change" in mttr
    assert 'class="chg good" title="Change vs previous period"' not in mttr
    assert 'class="chg " title="Change vs previous period"' in mttr


def test_targets_periods_and_units_read_as_words(client_for, users, store, settings) -> None:
    settings.CURRENCY_SYMBOL = "£"
    html = client_for(users["viewer"]).get(f"/?{RANGE}").content.decode()
    assert "target ≤ 10.0 %" in tile(html, "Change failure rate")
    assert "Squads at a glance, Jun 2025" in html
    assert "2025-06-01" not in html.split("<main>", 1)[1].split("<form", 1)[0]  # no raw period in headings
    assert period_label(dt.date(2026, 9, 28), "week") == "W40 2026"
    assert period_label(dt.date(2026, 10, 1), "month") == "Oct 2026"
    assert period_label(dt.date(2026, 10, 1), "quarter") == "Q4 2026"
    assert format_value(CATALOG["support_cost"], 12345.4) == "£12,345"
    assert format_target(CATALOG["nps"], 30.0) == "≥ +30"
    assert format_value(CATALOG["uptime_pct"], 99.953) == "99.95 %"  # not rounded up to 100.0 %
    metric = client_for(users["viewer"]).get(f"/metrics/change_failure_rate/?{RANGE}").content.decode()
    heading = re.search(r"<h1>.*?</h1>", metric, re.S).group(0)
    assert "change_failure_rate" not in heading
    assert "Change failure rate" in heading


def test_presets_and_range_explained_in_words(client_for, users, store) -> None:
    today = dt.date(2026, 5, 20)  # a Wednesday in Q2
    found = {p.label: (p.grain, p.date_from, p.date_to) for p in presets(today)}
    assert found == {
        "Last 4 weeks": ("week", dt.date(2026, 4, 20), today),  # Monday of this week (18 May) − 4 weeks
        "Last quarter": ("month", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        "Year to date": ("month", dt.date(2026, 1, 1), today),
        "Last 12 months": ("month", dt.date(2025, 6, 1), today),
    }
    chosen = Controls("month", dt.date(2025, 6, 1), today, "growth", "year")
    links = preset_links(chosen, today)
    assert [link["active"] for link in links] == [False, False, False, True]
    assert all("area=growth" in link["query"] and "compare=year" in link["query"] for link in links)
    client = client_for(users["viewer"])
    inverted = client.get("/?grain=month&from=2025-06-30&to=2025-01-01").content.decode()
    assert "The range ends (2025-01-01) before it starts (2025-06-30): showing the last 12 months instead." in inverted
    assert "date_to" not in inverted.split("<main>", 1)[1]
    empty = client.get("/?grain=quarter&from=2025-04-01&to=2025-05-15").content.decode()
    assert "No complete quarter ends between 01 Apr 2025 and 15 May 2025" in empty


def test_compare_with_a_year_before(client_for, users, store) -> None:
    snap("change_failure_rate", "org", "2024-06-01", 24.0, 30)
    html = client_for(users["viewer"]).get(f"/?{RANGE}&compare=year").content.decode()
    cfr = tile(html, "Change failure rate")
    assert "yoy ▼ 12.0 pp" in cfr  # 12 % in June 2025 against 24 % in June 2024
    assert 'title="Change vs a year before (Jun 2024)"' in cfr
    assert "Biggest moves vs Jun 2024" in band(html)


def test_viewer_reads_a_record_without_admin_links(client_for, users, store) -> None:
    release = ReleaseFactory(
        squad=store["alpha"],
        external_id="gh:acme/web:77",
        version="7.1.0",
        status="rolled_back",
        released_at=dt.datetime(2025, 6, 10, 9, tzinfo=UTC),
    )
    IncidentFactory(
        squad=store["alpha"],
        external_id="PD-9",
        title="Checkout down",
        caused_by_release=release,
        started_at=dt.datetime(2025, 6, 11, tzinfo=UTC),
    )
    viewer = client_for(users["viewer"])
    response = viewer.get("/records/releases/gh:acme/web:77/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "7.1.0" in html
    assert "rolled back" in html
    assert "Checkout down" in html
    assert "/admin/" not in html.split("<main>", 1)[1]
    assert "/records/incidents/PD-9/" in html
    assert "/squads/alpha/" in html
    assert viewer.get("/records/incidents/PD-9/").status_code == 200
    assert viewer.get("/records/releases/nope/").status_code == 404
    assert viewer.get("/records/targets/x/").status_code == 404
    # the PM of alpha may change it: their view links the admin form; another squad's PM's would not
    pm_html = client_for(users["pm"]).get("/records/releases/gh:acme/web:77/").content.decode()
    assert f"/admin/metrics/release/{release.pk}/change/" in pm_html
    other = ReleaseFactory(squad=store["bravo"], external_id="bravo-1")
    assert (
        "/admin/metrics/release/"
        not in client_for(users["pm"])
        .get(f"/records/releases/{other.external_id}/")
        .content.decode()
        .split("<main>", 1)[1]
    )


def test_a_pm_lands_on_their_squads(client, client_for, users, store) -> None:
    pm = users["pm"]  # manages alpha only
    pm.set_password("a-long-pm-password-1")
    pm.save()
    response = client.post("/login/", {"username": pm.username, "password": "a-long-pm-password-1", "next": "/"})
    assert response.status_code == 302
    landing = client.get(response["Location"])
    assert landing.status_code == 302
    assert landing["Location"] == "/squads/alpha/"
    assert 'class="mine" href="/squads/alpha/' in client.get(f"/?{RANGE}").content.decode()
    # a page asked for explicitly is honoured
    response = client_for(pm).get("/")  # already signed in: no landing redirect on the org page
    assert response.status_code == 200
    # two squads: the My squads page with each one's verdict
    store["charlie"].pm = pm
    store["charlie"].save()
    assert client_for(pm).get("/home/")["Location"] == "/my-squads/"
    mine = client_for(pm).get(f"/my-squads/?{RANGE}").content.decode()
    assert re.findall(r'<h2><a href="/squads/([a-z]+)/', mine) == ["alpha", "charlie"]
    assert "Change failure rate" in mine.split("charlie", 2)[-1]  # charlie: CFR off track
    # a viewer lands on the org overview, and /my-squads/ sends them there too
    assert client_for(users["viewer"]).get("/home/")["Location"] == "/"
    assert client_for(users["viewer"]).get("/my-squads/")["Location"] == "/"


def test_api_docs_are_linked_from_every_page(client_for, users, store) -> None:
    html = client_for(users["viewer"]).get(f"/?{RANGE}").content.decode()
    assert 'href="/api/docs/"' in html


def test_org_uptime_is_explained_beside_the_squad_range(client_for, users, store) -> None:
    # org 99.50 % is the union of outages; the squads were 99.90 % and 100 % on their own
    snap("uptime_pct", "org", "2025-06-01", 99.5, 2)
    snap("uptime_pct", "squad:alpha", "2025-06-01", 99.9, 1)
    snap("uptime_pct", "squad:bravo", "2025-06-01", 100.0, 0)
    for url in (f"/?{RANGE}", f"/metrics/uptime_pct/?{RANGE}"):
        uptime = tile(client_for(users["viewer"]).get(url).content.decode(), "Uptime")
        assert "99.50 %" in uptime
        assert "squads 99.90 % – 100.0 %" in uptime
        assert "union of every squad&#x27;s outages" in uptime or "union of every squad's outages" in uptime
