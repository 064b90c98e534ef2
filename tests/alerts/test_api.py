"""`/api/alert-rules/`, `/api/alerts/`, `/api/subscriptions/` and the `/alerts/` page: shapes, roles,
acknowledge, and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Alert, AlertRule, Subscription
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _rule(client, **overrides):
    body = {
        "metric": "nps",
        "scope": "squad:*",
        "grain": "month",
        "condition": "below",
        "threshold": 20,
        "subscribers": ["pm_alpha"],
        **overrides,
    }
    return client.post("/api/alert-rules/", body, content_type="application/json")


def test_rules_only_ops_and_admins_write(users, client_for, squad_b) -> None:
    for role in ("viewer", "pm"):
        assert _rule(client_for(users[role])).status_code == 403
    created = _rule(client_for(users["ops"]))
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("metric", "scope", "grain", "condition", "threshold", "subscribers")} == {
        "metric": "nps",
        "scope": "squad:*",
        "grain": "month",
        "condition": "below",
        "threshold": 20.0,
        "subscribers": ["pm_alpha"],
    }
    assert _rule(client_for(users["admin"]), condition="off_track", threshold=None, scope="org").status_code == 201
    bad = _rule(client_for(users["ops"]), scope="area:nowhere")
    assert bad.status_code == 400
    assert set(bad.json()) == {"scope"}
    listing = client_for(users["viewer"]).get("/api/alert-rules/").json()
    assert set(listing) == {"results", "next"}
    assert len(listing["results"]) == 2
    rule_id = created.json()["id"]
    assert client_for(users["pm"]).delete(f"/api/alert-rules/{rule_id}/").status_code == 403
    assert client_for(users["ops"]).delete(f"/api/alert-rules/{rule_id}/").status_code == 204
    assert list(
        AuditEvent.objects.filter(model_label="alerts.alertrule").order_by("id").values_list("action", "username")
    ) == [("create", "ops"), ("create", "admin"), ("delete", "ops")]
    assert Client().get("/api/alert-rules/").status_code in {401, 403}


def test_alerts_list_shape_and_acknowledge(users, client_for, squad_a) -> None:
    rule = AlertRule.objects.create(metric="nps", scope="squad:alpha", grain="month", condition="below", threshold=20)
    alert = Alert.objects.create(
        rule=rule,
        metric="nps",
        scope="squad:alpha",
        grain="month",
        period_start=dt.date(2026, 3, 1),
        event="start",
        value=12.5,
        sample_size=8,
        created_at=timezone.now(),
    )
    body = client_for(users["viewer"]).get("/api/alerts/").json()
    assert set(body) == {"results", "next"}
    assert body["next"] is None
    [row] = body["results"]
    assert {k: row[k] for k in ("rule", "metric", "scope", "grain", "period_start", "event", "value")} == {
        "rule": rule.pk,
        "metric": "nps",
        "scope": "squad:alpha",
        "grain": "month",
        "period_start": "2026-03-01",
        "event": "start",
        "value": 12.5,
    }
    assert "created_at" in row
    page = client_for(users["viewer"]).get("/alerts/")
    assert page.status_code == 200
    assert "Net Promoter Score is below +20: +12 (n=8)" in page.content.decode()
    assert client_for(users["viewer"]).post(f"/alerts/{alert.pk}/acknowledge/").status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == users["viewer"]
    assert client_for(users["pm"]).get("/api/alerts/?unacknowledged=1").json()["results"] == []
    again = client_for(users["pm"]).post(f"/api/alerts/{alert.pk}/acknowledge/")  # the first one is kept
    assert again.status_code == 200
    assert again.json()["acknowledged_by"] == "viewer"


def test_subscriptions_are_your_own(users, client_for, squad_a) -> None:
    viewer = client_for(users["viewer"])
    assert (
        viewer.post("/api/subscriptions/", {"scope": "area:payments"}, content_type="application/json").status_code
        == 201
    )
    assert (
        viewer.post("/api/subscriptions/", {"scope": "squad:nope"}, content_type="application/json").status_code == 400
    )
    twice = viewer.post("/api/subscriptions/", {"scope": "area:payments"}, content_type="application/json")
    assert twice.status_code == 201
    assert twice.json()["scope"] == "area:payments"  # following again is harmless
    mine = viewer.get("/api/subscriptions/").json()["results"]
    assert [s["scope"] for s in mine] == ["area:payments"]
    assert client_for(users["pm"]).get("/api/subscriptions/").json()["results"] == []
    assert client_for(users["pm"]).delete(f"/api/subscriptions/{mine[0]['id']}/").status_code == 404
    page = client_for(users["pm"]).get("/alerts/subscriptions/").content.decode()
    assert "squad:alpha" in page
    assert "followed by default" in page
    viewer.post("/alerts/subscriptions/", {"scope": "area:payments", "action": "unfollow"})
    assert not Subscription.objects.filter(user=users["viewer"]).exists()


def test_rule_form_on_the_alerts_page(users, client_for, squad_a) -> None:
    form = {
        "metric": "change_failure_rate",
        "scope": "squad:*",
        "grain": "month",
        "condition": "above",
        "threshold": "15",
        "subscribers": "pm_alpha, ops",
    }
    assert 'id="rule-form"' not in client_for(users["viewer"]).get("/alerts/").content.decode()
    refused = client_for(users["viewer"]).post("/alerts/rules/", form, follow=True)
    assert "Not allowed" in refused.content.decode()
    assert not AlertRule.objects.exists()
    bad = client_for(users["ops"]).post("/alerts/rules/", {**form, "threshold": ""}, follow=True)
    assert "threshold: a number is required" in bad.content.decode()
    assert not AlertRule.objects.exists()
    client_for(users["ops"]).post("/alerts/rules/", form)
    rule = AlertRule.objects.get()
    assert (rule.metric, rule.scope, rule.threshold) == ("change_failure_rate", "squad:*", 15.0)
    assert sorted(rule.subscribers.values_list("username", flat=True)) == ["ops", "pm_alpha"]
