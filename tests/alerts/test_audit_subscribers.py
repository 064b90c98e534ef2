"""Who an alert rule e-mails is part of the audit trail, like the rule itself."""

from __future__ import annotations

import pytest

from alerts.models import AlertRule
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_each_subscriber_of_a_new_rule_is_an_audit_event(users, client_for, squad_a) -> None:
    body = {
        "metric": "nps",
        "scope": "org",
        "grain": "month",
        "condition": "below",
        "threshold": 20,
        "subscribers": ["pm_alpha", users["viewer"].username],
    }
    created = client_for(users["ops"]).post("/api/alert-rules/", body, content_type="application/json")
    assert created.status_code == 201
    rule = AlertRule.objects.get(pk=created.json()["id"])
    events = AuditEvent.objects.filter(model_label="alerts.alertrule_subscribers").order_by("id")
    assert [(e.action, e.username) for e in events] == [("create", "ops"), ("create", "ops")]
    assert {e.changes["user_id"][1] for e in events} == {users["pm"].pk, users["viewer"].pk}
    assert {e.changes["alertrule_id"][1] for e in events} == {rule.pk}
    assert sorted(created.json()["subscribers"]) == sorted(["pm_alpha", users["viewer"].username])


def test_a_refused_subscriber_leaves_no_rule_and_no_audit_event(users, client_for, squad_a) -> None:
    body = {"metric": "nps", "scope": "org", "grain": "month", "condition": "below", "threshold": 20}
    refused = client_for(users["ops"]).post(
        "/api/alert-rules/", {**body, "subscribers": ["pm_alpha", "nobody-here"]}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert set(refused.json()) == {"subscribers"}
    assert not AlertRule.objects.exists()
    assert not AuditEvent.objects.filter(model_label__startswith="alerts.").exists()
