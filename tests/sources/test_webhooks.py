"""Webhooks: each tool's signature; a wrong or missing one writes nothing; a valid one
answers 202 and syncs the named items through the pull's code; a replay changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test import Client

from audit.models import AuditEvent
from metrics.models import DirtyRange, Incident
from sources.models import Source
from tests.sources.fake_pagerduty import pd_incident

SECRET = "whsec-for-tests"


def _sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _pd_event(incident_id: str) -> bytes:
    # shaped like PagerDuty's v3 webhook payload
    return json.dumps(
        {
            "event": {
                "id": "01DEN1HNLBC1VITYEUV8WMOJDQ",
                "event_type": "incident.resolved",
                "resource_type": "incident",
                "occurred_at": "2026-03-02T12:00:00.000Z",
                "agent": None,
                "client": None,
                "data": {
                    "id": incident_id,
                    "type": "incident",
                    "self": f"https://api.pagerduty.com/incidents/{incident_id}",
                    "status": "resolved",
                    "title": "Checkout down",
                },
            }
        }
    ).encode()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def hooked(pd_source, monkeypatch, waits):
    monkeypatch.setenv("PD_HOOK_SECRET", SECRET)
    pd_source.webhook_secret_env = "PD_HOOK_SECRET"
    pd_source.save()
    return pd_source


def _post(body: bytes, **headers: str):
    return Client().post("/hooks/pd/", body, content_type="application/json", headers=headers)


@pytest.mark.parametrize(
    "signature",
    [None, "", "v1=" + "0" * 64, "sha256=whatever", "v1=" + _sign(b"another body")],
)
def test_a_missing_or_wrong_signature_gets_401_and_writes_nothing(hooked, fake_pd, signature, on_commit):
    fake_pd.add(pd_incident("PHOOK", created_at="2026-03-02T10:00:00Z"))
    events, dirty = AuditEvent.objects.count(), DirtyRange.objects.count()
    headers = {} if signature is None else {"X-PagerDuty-Signature": signature}
    with on_commit(execute=True) as callbacks:
        response = _post(_pd_event("PHOOK"), **headers)
    assert response.status_code == 401
    assert callbacks == []
    assert not Incident.objects.exists()
    assert (AuditEvent.objects.count(), DirtyRange.objects.count()) == (events, dirty)
    assert fake_pd.requests == []  # not even a read from the tool


def test_a_valid_event_answers_202_and_syncs_the_incident_replay_changes_nothing(hooked, fake_pd, on_commit):
    fake_pd.add(pd_incident("PHOOK", priority="P2", created_at="2026-03-02T10:00:00Z"))
    body = _pd_event("PHOOK")
    # PagerDuty sends one signature per active secret during a rotation
    signature = f"v1={_sign(body, 'old-secret')},v1={_sign(body)}"
    with on_commit(execute=True) as callbacks:
        response = _post(body, **{"X-PagerDuty-Signature": signature})
    assert response.status_code == 202
    assert response.json() == {"accepted": ["PHOOK"]}
    # enqueued on commit (run eagerly here: no broker in tests); the write then schedules a rollup
    assert callbacks[0].__qualname__.startswith("hook.")
    incident = Incident.objects.get(external_id="pagerduty:PHOOK")
    assert (incident.severity, incident.customer_impact, incident.squad.slug) == (2, True, "alpha")
    assert fake_pd.paths() == ["/incidents/PHOOK"]  # the values come from the API, not from the body

    before = (Incident.objects.count(), AuditEvent.objects.count(), DirtyRange.objects.count())
    with on_commit(execute=True):
        assert _post(body, **{"X-PagerDuty-Signature": signature}).status_code == 202
    assert (Incident.objects.count(), AuditEvent.objects.count(), DirtyRange.objects.count()) == before


def test_events_that_name_no_incident_are_accepted_and_do_nothing(hooked, fake_pd):
    body = json.dumps({"event": {"event_type": "pagey.ping", "data": {"type": "ping"}}}).encode()
    response = _post(body, **{"X-PagerDuty-Signature": "v1=" + _sign(body)})
    assert response.status_code == 202
    assert response.json() == {"accepted": []}
    assert fake_pd.requests == []


def test_unknown_or_disabled_sources_and_sources_without_a_secret(hooked, pd_source):
    body = _pd_event("PHOOK")
    assert Client().post("/hooks/nope/", body, content_type="application/json").status_code == 404
    Source.objects.filter(pk=pd_source.pk).update(webhook_secret_env="")
    assert _post(body, **{"X-PagerDuty-Signature": "v1=" + _sign(body)}).status_code == 401
    Source.objects.filter(pk=pd_source.pk).update(enabled=False)
    assert _post(body, **{"X-PagerDuty-Signature": "v1=" + _sign(body)}).status_code == 404
    assert Client().get("/hooks/pd/").status_code in (302, 405)


def test_github_and_gitlab_signature_schemes(db, monkeypatch):
    from sources import webhooks

    gh = Source(name="gh", kind="github", base_url="https://api.github.com", webhook_secret_env="GH_SECRET")
    gl = Source(name="gl", kind="gitlab", base_url="https://gitlab.example.com", webhook_secret_env="GL_SECRET")
    monkeypatch.setenv("GH_SECRET", SECRET)
    monkeypatch.setenv("GL_SECRET", SECRET)
    body = json.dumps({"deployment_status": {"state": "success"}, "repository": {"full_name": "acme/web"}}).encode()
    webhooks.verify(gh, {"X-Hub-Signature-256": "sha256=" + _sign(body)}, body)
    for bad in ({}, {"X-Hub-Signature-256": _sign(body)}, {"X-Hub-Signature-256": "sha256=" + _sign(body + b" ")}):
        with pytest.raises(webhooks.HookRefused):
            webhooks.verify(gh, bad, body)
    assert webhooks.items(gh, {"X-GitHub-Event": "deployment_status"}, body) == ["acme/web"]
    assert webhooks.items(gh, {"X-GitHub-Event": "push"}, body) == []

    gl_body = json.dumps(
        {
            "object_kind": "deployment",
            "status": "success",
            "deployment_id": 15,
            "project": {"path_with_namespace": "acme/api"},
        }
    ).encode()
    webhooks.verify(gl, {"X-Gitlab-Token": SECRET}, gl_body)
    for bad in ({}, {"X-Gitlab-Token": SECRET + "x"}):
        with pytest.raises(webhooks.HookRefused):
            webhooks.verify(gl, bad, gl_body)
    assert webhooks.items(gl, {}, gl_body) == ["acme/api"]
