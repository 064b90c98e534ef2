"""Bets in the admin: inlines, the default comparison, the PM rule and the audit trail."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from bets.models import Bet

pytestmark = pytest.mark.django_db


def form(squads, **extra):
    data = {
        "title": "Release train",
        "hypothesis": "Fewer rollbacks.",
        "kind": "initiative",
        "treatment_squads": [squads[0].pk],
        "start": "2026-03-02",
        "window": "8",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-metric": "change_failure_rate",
        "targets-0-direction": "lower",
        "planned_headcount-TOTAL_FORMS": "1",
        "planned_headcount-INITIAL_FORMS": "0",
        "planned_headcount-0-squad": squads[0].pk,
        "planned_headcount-0-month": "2026-03-01",
        "planned_headcount-0-headcount": "3",
    }
    return data | extra


def test_ops_adds_a_bet_with_inlines_and_it_is_audited(users, squad_a, squad_b, client_for):
    response = client_for(users["ops"]).post("/admin/bets/bet/add/", form([squad_a, squad_b]))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    bet = Bet.objects.get()
    assert [s.slug for s in bet.comparison_squads.all()] == ["bravo"]  # left empty: every other active squad
    assert [(t.metric, t.direction) for t in bet.targets.all()] == [("change_failure_rate", "lower")]
    assert bet.planned_headcount.get().headcount == 3
    assert bet.owner == users["ops"]
    assert AuditEvent.objects.get(action="create", model_label="bets.bet").username == "ops"
    target = AuditEvent.objects.get(action="create", model_label="bets.bettarget")
    assert target.changes["metric"] == [None, "change_failure_rate"]
    assert AuditEvent.objects.filter(action="create", model_label="bets.bet_comparison_squads").count() == 1


def test_pm_cannot_add_a_bet_on_another_squad_in_the_admin(users, squad_a, squad_b, client_for):
    response = client_for(users["pm"]).post("/admin/bets/bet/add/", form([squad_b, squad_a]))
    assert response.status_code == 200
    assert "treatment_squads" in response.context["adminform"].form.errors
    assert not Bet.objects.exists()
    ok = client_for(users["pm"]).post("/admin/bets/bet/add/", form([squad_a, squad_b]))
    assert ok.status_code == 302
    assert Bet.objects.count() == 1


def test_unknown_kpi_in_an_inline_is_refused(users, squad_a, squad_b, client_for):
    response = client_for(users["ops"]).post(
        "/admin/bets/bet/add/", form([squad_a, squad_b], **{"targets-0-metric": "happiness"})
    )
    assert response.status_code == 200
    assert not Bet.objects.exists()


def test_only_initiatives_plan_headcount_in_the_admin(users, squad_a, squad_b, client_for):
    response = client_for(users["ops"]).post("/admin/bets/bet/add/", form([squad_a, squad_b], kind="experiment"))
    assert response.status_code == 200
    assert not Bet.objects.exists()
    assert "only initiatives plan headcount." in response.content.decode()
