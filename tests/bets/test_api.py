"""`/api/bets/`: shapes, roles (a PM only on their own squads, viewers read-only), audit."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from bets.models import Bet
from tests.factories import SquadFactory

pytestmark = pytest.mark.django_db


def payload(**overrides):
    body = {
        "title": "Trunk-based development",
        "hypothesis": "Smaller changes fail less often.",
        "kind": "experiment",
        "treatment_squads": ["alpha"],
        "start": "2026-03-04",
        "targets": [
            {"metric": "change_failure_rate", "direction": "lower"},
            {"metric": "lead_time_hours", "direction": "lower"},
        ],
    }
    return body | overrides


def post(client: Client, body: dict):
    return client.post("/api/bets/", body, content_type="application/json")


@pytest.fixture
def org(squad_a, squad_b, users):
    SquadFactory(slug="charlie", name="Charlie")
    SquadFactory(slug="retired", name="Retired", active=False)
    return users


def test_ops_creates_a_bet_and_reads_it_back_with_effects(org, client_for):
    client = client_for(org["ops"])
    response = post(client, payload())
    assert response.status_code == 201, response.content
    bet_id = response.json()["id"]
    detail = client.get(f"/api/bets/{bet_id}/").json()
    assert detail["title"] == "Trunk-based development"
    assert detail["kind"] == "experiment"
    assert detail["treatment_squads"] == ["alpha"]
    assert detail["comparison_squads"] == ["bravo", "charlie"]  # every other ACTIVE squad
    assert detail["start"] == "2026-03-04"
    assert detail["end"] is None
    assert detail["window"] == 8
    assert detail["targets"] == [
        {"metric": "change_failure_rate", "direction": "lower"},
        {"metric": "lead_time_hours", "direction": "lower"},
    ]
    assert [e["metric"] for e in detail["effects"]] == ["change_failure_rate", "lead_time_hours"]
    for effect in detail["effects"]:
        assert set(effect) == {"metric", "grain", "estimate", "interval", "verdict", "periods_before", "periods_after"}
        assert effect["grain"] == "week"
        assert len(effect["interval"]) == 2
        assert effect["verdict"] in {"improved", "worsened", "no clear effect", "too early"}
    listed = client.get("/api/bets/").json()
    assert [b["id"] for b in listed["results"]] == [bet_id]
    event = AuditEvent.objects.get(action="create", model_label="bets.bet")
    assert event.username == "ops"
    assert event.changes["title"] == [None, "Trunk-based development"]
    joined = AuditEvent.objects.get(action="create", model_label="bets.bet_treatment_squads")
    assert joined.changes["squad_id"] == [None, org["pm"].managed_squads.get().pk]  # alpha
    assert sorted(e.changes["metric"][1] for e in AuditEvent.objects.filter(model_label="bets.bettarget")) == [
        "change_failure_rate",
        "lead_time_hours",
    ]


def test_month_only_kpi_is_judged_by_month(org, client_for):
    body = payload(targets=[{"metric": "support_time_pct", "direction": "lower"}], comparison_squads=["bravo"])
    bet_id = post(client_for(org["ops"]), body).json()["id"]
    effect = client_for(org["viewer"]).get(f"/api/bets/{bet_id}/").json()["effects"][0]
    assert effect["grain"] == "month"


def test_pm_creates_bets_only_on_their_own_squads(org, client_for):
    client = client_for(org["pm"])  # PM of alpha only
    assert post(client, payload()).status_code == 201
    refused = post(client, payload(treatment_squads=["alpha", "bravo"]))
    assert refused.status_code == 403
    assert Bet.objects.count() == 1


def test_pm_cannot_change_a_bet_on_someone_elses_squad(org, client_for):
    other = post(client_for(org["ops"]), payload(treatment_squads=["bravo"])).json()["id"]
    pm = client_for(org["pm"])
    response = pm.patch(f"/api/bets/{other}/", {"title": "mine now"}, content_type="application/json")
    assert response.status_code == 403
    # nor move a bet of their own onto another squad
    own = post(pm, payload()).json()["id"]
    moved = pm.patch(f"/api/bets/{own}/", {"treatment_squads": ["bravo"]}, content_type="application/json")
    assert moved.status_code == 403
    ok = pm.patch(f"/api/bets/{own}/", {"title": "Trunk-based, round two"}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["title"] == "Trunk-based, round two"
    assert AuditEvent.objects.filter(action="update", model_label="bets.bet").get().changes["title"] == [
        "Trunk-based development",
        "Trunk-based, round two",
    ]


def test_viewer_reads_but_never_writes(org, client_for):
    bet_id = post(client_for(org["ops"]), payload()).json()["id"]
    viewer = client_for(org["viewer"])
    assert viewer.get(f"/api/bets/{bet_id}/").status_code == 200
    assert post(viewer, payload()).status_code == 403
    assert viewer.patch(f"/api/bets/{bet_id}/", {"title": "x"}, content_type="application/json").status_code == 403
    assert viewer.delete(f"/api/bets/{bet_id}/").status_code in {403, 405}
    assert Bet.objects.get().title == "Trunk-based development"


def test_anonymous_gets_401(org):
    assert Client().get("/api/bets/").status_code in {401, 403}
    assert post(Client(), payload()).status_code in {401, 403}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "hunch"}, "kind"),
        ({"treatment_squads": []}, "treatment_squads"),
        ({"treatment_squads": ["nobody"]}, "treatment_squads"),
        ({"comparison_squads": ["alpha"]}, "comparison_squads"),
        ({"targets": [{"metric": "happiness", "direction": "higher"}]}, "targets"),
        ({"targets": [{"metric": "nps", "direction": "sideways"}]}, "targets"),
        ({"targets": []}, "targets"),
        ({"start": "2026-13-01"}, "start"),
        ({"start": "0001-01-01"}, "start"),
        ({"end": "9999-12-31"}, "end"),
        ({"end": "2026-01-01"}, "end"),
        ({"window": 1}, "window"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(org, client_for, change, field):
    response = post(client_for(org["ops"]), payload(**change))
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Bet.objects.count() == 0


def test_initiative_planned_headcount_round_trips(org, client_for):
    body = payload(
        kind="initiative",
        planned_headcount=[
            {"squad": "alpha", "month": "2026-03", "headcount": "4"},
            {"squad": "alpha", "month": "2026-04", "headcount": "5.5"},
        ],
    )
    bet_id = post(client_for(org["ops"]), body).json()["id"]
    detail = client_for(org["viewer"]).get(f"/api/bets/{bet_id}/").json()
    assert detail["planned_headcount"] == [
        {"squad": "alpha", "month": "2026-03", "headcount": "4.00"},
        {"squad": "alpha", "month": "2026-04", "headcount": "5.50"},
    ]
    bad = post(
        client_for(org["ops"]), payload(planned_headcount=[{"squad": "alpha", "month": "2026-03", "headcount": "4"}])
    )
    assert bad.status_code == 400
    assert "planned_headcount" in bad.json()
