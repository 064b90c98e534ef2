"""A lone surrogate ("\\ud800") is not text: 400 / a line error, never a 500 (issue 15, defect 6)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from metrics.models import Incident, Release
from metrics.records.ingest.importer import import_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(users) -> Client:
    token = Token.objects.create(user=users["admin"])
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}", raise_request_exception=False)


# JSON text with the escape written out: json.loads turns it into a str Python holds but
# UTF-8 (and so PostgreSQL) cannot encode.
INCIDENT = (
    '{"external_id": "inc-1", "squad": "alpha", "severity": 2, "started_at": "2026-03-01T10:00:00Z",'
    ' "customer_impact": false, "title": "db \\ud800 down"}'
)


def test_a_lone_surrogate_in_a_json_title_is_a_400_naming_the_field(admin_api):
    response = admin_api.post("/api/incidents/", INCIDENT, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "title" in response.json()
    assert Incident.objects.count() == 0


def test_a_lone_surrogate_in_a_key_or_nested_value_is_a_400(admin_api):
    body = (
        '{"external_id": "r\\udfff", "squad": "alpha", "version": "1", "status": "succeeded",'
        ' "released_at": "2026-03-01T10:00:00Z"}'
    )
    response = admin_api.post("/api/releases/", body, content_type="application/json")
    assert response.status_code == 400
    assert "external_id" in response.json()
    response = admin_api.put("/api/releases/x/", '{"\\ud800": [1, {"a": "\\ud800"}]}', content_type="application/json")
    assert response.status_code in (400, 404)
    assert Release.objects.count() == 0


def test_a_lone_surrogate_in_csv_text_is_a_line_error(users):
    header = "external_id,squad,severity,started_at,resolved_at,customer_impact,caused_by_release,title"
    text = f"{header}\ninc-1,alpha,2,2026-03-01T10:00:00Z,,false,,db \ud800 down\n"
    report = import_csv(kind="incidents", stream=io.StringIO(text))
    assert [(e.line, e.field) for e in report.errors] == [(2, "title")]
    assert "surrogate" in report.errors[0].reason or "UTF-8" in report.errors[0].reason
    assert Incident.objects.count() == 0
