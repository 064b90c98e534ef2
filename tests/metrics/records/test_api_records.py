"""Record endpoints: pipelines post records, upsert by key, every rule of docs/records.md
broken through the API is a 400 naming the field with nothing written, and no
malformed input ever gives a 500."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from metrics.models import CustomerResponse, Defect, Incident, Release, Survey, TimeAllocation
from metrics.records.api.serializers import (
    CustomerResponseSerializer,
    DefectSerializer,
    IncidentSerializer,
    ReleaseSerializer,
    SquadSerializer,
    TimeAllocationSerializer,
)
from metrics.records.ingest.kinds import KINDS
from squads.models import Area, Squad
from tests.factories import IncidentFactory, ReleaseFactory, UserFactory
from tests.support.api_support import MODELS, fast_password_hashing, payload, send

pytestmark = pytest.mark.django_db
__all__ = ["fast_password_hashing"]  # autouse fixture
UTC = dt.UTC


@pytest.fixture
def admin(users, client_for) -> Client:
    return client_for(users["admin"])


def _snapshot() -> dict[str, list]:
    """Every stored record, to show a failed write left the database as it was."""
    tables = {**MODELS, "areas": Area, "surveys": Survey}
    return {name: sorted(model.objects.values_list(flat=False).order_by("pk")) for name, model in tables.items()}


@pytest.mark.parametrize(
    ("serializer", "kind"),
    [
        (SquadSerializer, "squads"),
        (ReleaseSerializer, "releases"),
        (IncidentSerializer, "incidents"),
        (DefectSerializer, "defects"),
        (CustomerResponseSerializer, "customer_responses"),
        (TimeAllocationSerializer, "time_allocations"),
    ],
)
def test_fields_are_the_spec_columns_in_order(serializer, kind) -> None:
    """The JSON fields are exactly the CSV columns of docs/records.md (plus read-only id),
    and the schema marks as required exactly what the service requires."""
    columns = KINDS[kind].columns
    assert serializer.columns() == [c.name for c in columns]
    fields = serializer().fields
    assert list(fields) == ["id", *[c.name for c in columns]]
    assert fields["id"].read_only
    assert {n for n, f in fields.items() if f.required and not f.read_only} == {c.name for c in columns if c.required}


class TestPipeline:
    """A deploy pipeline posts a release; the pager posts an incident; both with a token."""

    def test_release_on_deploy_and_incident_when_paged(self, users, squad_a) -> None:
        token = Token.objects.create(user=users["pm"])
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        release = {
            "external_id": "deploy-4711",
            "squad": "alpha",
            "version": "5.2.0",
            "released_at": "2026-04-01T10:15:00+02:00",
            "first_commit_at": "2026-03-30T16:00:00Z",
            "status": "succeeded",
        }
        response = send(client, "POST", "/api/releases/", release)
        assert response.status_code == 201, response.content
        assert response.headers["Location"] == "/api/releases/deploy-4711/"
        assert response.json() == {
            "id": Release.objects.get().id,
            **release,
            "released_at": "2026-04-01T08:15:00Z",  # stored and shown in UTC
        }
        incident = {
            "external_id": "PD-123",
            "squad": "alpha",
            "severity": 1,
            "started_at": "2026-04-01T08:40:00Z",
            "customer_impact": "yes",
            "caused_by_release": "deploy-4711",
            "title": "Checkout 500s",
        }
        response = send(client, "POST", "/api/incidents/", incident)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["resolved_at"] is None
        assert body["customer_impact"] is True
        stored = Incident.objects.get(external_id="PD-123")
        assert stored.squad == squad_a
        assert stored.caused_by_release.external_id == "deploy-4711"
        assert stored.started_at == dt.datetime(2026, 4, 1, 8, 40, tzinfo=UTC)
        assert stored.resolved_at is None

        # Resolved: the pager patches the end time only.
        response = send(client, "PATCH", "/api/incidents/PD-123/", {"resolved_at": "2026-04-01T09:10:00Z"})
        assert response.status_code == 200, response.content
        stored.refresh_from_db()
        assert stored.resolved_at == dt.datetime(2026, 4, 1, 9, 10, tzinfo=UTC)
        assert (stored.severity, stored.title) == (1, "Checkout 500s")
        assert stored.caused_by_release.external_id == "deploy-4711"

        # Rolled back: the pipeline re-posts the release with the new status.
        response = send(client, "POST", "/api/releases/", {**release, "status": "rolled_back"})
        assert response.status_code == 200
        assert Release.objects.get().status == "rolled_back"


class TestUpsert:
    def test_posting_the_same_external_id_twice_keeps_one_row(self, admin, squad_a) -> None:
        first = send(admin, "POST", "/api/defects/", payload("defects", "BUG-1"))
        assert first.status_code == 201
        second = send(admin, "POST", "/api/defects/", {**payload("defects", "BUG-1"), "severity": 1})
        assert second.status_code == 200
        assert second.headers["Location"] == first.headers["Location"] == "/api/defects/BUG-1/"
        assert second.json()["id"] == first.json()["id"]
        assert Defect.objects.filter(external_id="BUG-1").count() == 1
        assert Defect.objects.get(external_id="BUG-1").severity == 1

    def test_a_concurrent_create_of_the_same_key_becomes_an_update(self, admin, squad_a, monkeypatch) -> None:
        """Another request inserted the key after our look-up: we update it (200), never a 500 or duplicate."""
        from metrics.records.api.views import RecordViewSet

        ReleaseFactory(squad=squad_a, external_id="race-1", version="1.0")
        real = RecordViewSet._existing
        calls: list[int] = []

        def not_yet_visible(self, data):
            calls.append(1)
            return None if len(calls) == 1 else real(self, data)

        monkeypatch.setattr(RecordViewSet, "_existing", not_yet_visible)
        response = send(admin, "POST", "/api/releases/", {**payload("releases", "race-1"), "version": "2.0"})
        assert response.status_code == 200, response.content
        assert len(calls) == 2
        assert list(Release.objects.filter(external_id="race-1").values_list("version", flat=True)) == ["2.0"]

    def test_upsert_replaces_the_record(self, admin, squad_a) -> None:
        """A POST is the whole record whether it creates or updates: left-out fields become empty."""
        send(admin, "POST", "/api/defects/", {**payload("defects", "BUG-2"), "resolved_at": "2026-03-20T00:00:00Z"})
        data = payload("defects", "BUG-2")
        del data["resolved_at"], data["title"]
        assert send(admin, "POST", "/api/defects/", data).status_code == 200
        defect = Defect.objects.get(external_id="BUG-2")
        assert (defect.resolved_at, defect.title) == (None, "")

    def test_squads_upsert_by_slug(self, users, squad_a, client_for) -> None:
        ops = client_for(users["ops"])
        assert send(ops, "POST", "/api/squads/", payload("squads", "charlie")).status_code == 201
        response = send(ops, "POST", "/api/squads/", {**payload("squads", "charlie"), "area": "new-area"})
        assert response.status_code == 200
        assert Squad.objects.filter(slug="charlie").count() == 1
        assert Squad.objects.get(slug="charlie").area.slug == "new-area"  # areas are created when new


class TestUpdate:
    def test_put_replaces_and_patch_changes_only_what_it_names(self, admin, squad_a) -> None:
        incident = IncidentFactory(squad=squad_a, title="Old", severity=3)
        url = f"/api/incidents/{incident.external_id}/"
        assert send(admin, "PATCH", url, {"severity": 2}).status_code == 200
        incident.refresh_from_db()
        assert (incident.severity, incident.title) == (2, "Old")

        data = payload("incidents", incident.external_id)
        del data["external_id"], data["title"], data["resolved_at"]  # the key comes from the URL
        response = send(admin, "PUT", url, data)
        assert response.status_code == 200, response.content
        incident.refresh_from_db()
        assert (incident.title, incident.resolved_at, incident.severity) == ("", None, 2)

    def test_admin_moves_a_record_and_sees_the_new_references(self, admin, squad_a, squad_b) -> None:
        ReleaseFactory(squad=squad_b, external_id="rel-b")
        incident = IncidentFactory(squad=squad_a)
        url = f"/api/incidents/{incident.external_id}/"
        assert admin.get(url).json()["squad"] == "alpha"
        response = send(admin, "PATCH", url, {"squad": "bravo", "caused_by_release": "rel-b"})
        assert response.status_code == 200
        assert (response.json()["squad"], response.json()["caused_by_release"]) == ("bravo", "rel-b")
        response = send(admin, "PATCH", url, {"caused_by_release": None})
        assert response.json()["caused_by_release"] is None
        incident.refresh_from_db()
        assert (incident.squad_id, incident.caused_by_release_id) == (squad_b.id, None)

    def test_the_key_cannot_be_changed(self, admin, squad_a) -> None:
        release = ReleaseFactory(squad=squad_a, external_id="r-1")
        response = send(admin, "PATCH", "/api/releases/r-1/", {"external_id": "r-2"})
        assert response.status_code == 400
        assert "external_id" in response.json()
        assert Release.objects.get(pk=release.pk).external_id == "r-1"

    def test_id_is_read_only(self, admin, squad_a) -> None:
        one, other = ReleaseFactory(squad=squad_a, version="1"), ReleaseFactory(squad=squad_a, version="2")
        response = send(admin, "PATCH", f"/api/releases/{one.external_id}/", {"id": other.id, "version": "1b"})
        assert response.status_code == 200
        assert response.json()["id"] == one.id
        assert Release.objects.get(pk=one.pk).version == "1b"
        assert Release.objects.get(pk=other.pk).version == "2"
        created = send(admin, "POST", "/api/releases/", {**payload("releases", "r-new"), "id": other.id})
        assert created.status_code == 201
        assert created.json()["id"] != other.id
        assert Release.objects.get(pk=other.pk).external_id == other.external_id

    def test_external_id_with_dots_is_addressable(self, admin, squad_a) -> None:
        ReleaseFactory(squad=squad_a, external_id="web-v1.2.3")
        assert admin.get("/api/releases/web-v1.2.3/").json()["external_id"] == "web-v1.2.3"
        assert admin.get("/api/releases/nope/").status_code == 404

    def test_time_allocation_shows_month_and_decimals(self, admin, squad_a) -> None:
        data = {**payload("time-allocations", "ta-1"), "pct_other": 5.0}
        response = send(admin, "POST", "/api/time-allocations/", data)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["month"] == "2026-03"
        assert body["pct_features"] == "40.00"
        stored = TimeAllocation.objects.get(external_id="ta-1")
        assert stored.month == dt.date(2026, 3, 1)
        assert stored.pct_other == Decimal("5")


# One broken docs/records.md rule per case: (endpoint, change to a valid payload, the field the error must name).
RULE_VIOLATIONS = [
    ("squads", {"slug": ""}, "slug"),
    ("squads", {"slug": "not a slug!"}, "slug"),
    ("squads", {"area": None}, "area"),
    ("squads", {"monthly_cost_per_head": "-1"}, "monthly_cost_per_head"),
    ("squads", {"monthly_cost_per_head": "lots"}, "monthly_cost_per_head"),
    ("squads", {"active": "maybe"}, "active"),
    ("squads", {"pm_email": "not-an-email"}, "pm_email"),
    ("releases", {"squad": "nope"}, "squad"),
    ("releases", {"squad": None}, "squad"),
    ("releases", {"status": "failed"}, "status"),
    ("releases", {"released_at": "yesterday"}, "released_at"),
    ("releases", {"released_at": None}, "released_at"),
    ("releases", {"first_commit_at": "2026-03-11T10:00:00Z"}, "first_commit_at"),
    ("releases", {"external_id": ""}, "external_id"),
    ("incidents", {"severity": 0}, "severity"),
    ("incidents", {"severity": 5}, "severity"),
    ("incidents", {"severity": "high"}, "severity"),
    ("incidents", {"severity": 2.5}, "severity"),
    ("incidents", {"severity": True}, "severity"),
    ("incidents", {"resolved_at": "2026-03-11T07:59:59Z"}, "resolved_at"),
    ("incidents", {"customer_impact": "sometimes"}, "customer_impact"),
    ("incidents", {"caused_by_release": "no-such-release"}, "caused_by_release"),
    ("incidents", {"started_at": "2026-02-30T10:00:00Z"}, "started_at"),
    ("defects", {"severity": 5}, "severity"),
    ("defects", {"found_in": "prod"}, "found_in"),
    ("defects", {"found_by": "partner"}, "found_by"),
    ("defects", {"found_by": "customer", "found_in": "staging"}, "found_in"),
    ("defects", {"resolved_at": "2026-03-12T07:00:00Z"}, "resolved_at"),
    ("customer-responses", {"nps_score": 11}, "nps_score"),
    ("customer-responses", {"nps_score": -1}, "nps_score"),
    ("customer-responses", {"csat_score": 0}, "csat_score"),
    ("customer-responses", {"csat_score": 6}, "csat_score"),
    ("customer-responses", {"outcome_score": 6}, "outcome_score"),
    ("customer-responses", {"nps_score": None, "csat_score": None, "outcome_score": None}, "nps_score"),
    ("customer-responses", {"squad": "nope"}, "squad"),
    ("customer-responses", {"survey": ""}, "survey"),
    ("customer-responses", {"submitted_at": "2026-03-13 25:00"}, "submitted_at"),
    ("time-allocations", {"month": "2026-13"}, "month"),
    ("time-allocations", {"month": "March 2026"}, "month"),
    ("time-allocations", {"headcount": 0}, "headcount"),
    ("time-allocations", {"pct_support": "101", "pct_features": "-41"}, "pct_support"),
    ("time-allocations", {"pct_features": "-1", "pct_other": "46"}, "pct_features"),
    ("time-allocations", {"pct_other": "4"}, "pct_other"),  # adds up to 99
    ("time-allocations", {"squad": "nope"}, "squad"),
]


@pytest.mark.parametrize(("path", "change", "field"), RULE_VIOLATIONS)
def test_every_rule_broken_through_the_api_is_a_400_naming_the_field(path, change, field, admin, squad_a) -> None:
    ReleaseFactory(squad=squad_a, external_id="rel-known")
    before = _snapshot()
    response = send(admin, "POST", f"/api/{path}/", {**payload(path, "bad-1"), **change})
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert isinstance(errors[field], list)
    assert all(isinstance(m, str) and m for m in errors[field])
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("path", "change", "field"), [case for case in RULE_VIOLATIONS if case[2] not in ("slug", "external_id")]
)
def test_every_rule_broken_by_an_update_is_a_400_and_keeps_the_record(path, change, field, admin, squad_a) -> None:
    key = "alpha" if path == "squads" else "good-1"
    if path != "squads":
        assert send(admin, "POST", f"/api/{path}/", payload(path, key)).status_code == 201
    before = _snapshot()
    response = send(admin, "PATCH", f"/api/{path}/{key}/", change)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert _snapshot() == before


MALFORMED = [
    ("not json at all", None),
    ('{"external_id": "x", ', None),
    ("[1, 2, 3]", "non_field_errors"),
    ('"a string"', "non_field_errors"),
    ("null", None),
    ({"external_id": {"nested": 1}}, "external_id"),
    ({"severity": [1, 2]}, "severity"),
    ({"sevrity": 1}, "sevrity"),
    ({"external_id": "x" * 10_000}, "external_id"),
    ({"title": "t" * 100_000}, "title"),
    ({"title": "nul\x00byte"}, "title"),
    ({"started_at": 1711958400}, "started_at"),
    ({"started_at": "9999-12-31T23:59:59-05:00"}, "started_at"),
    ({"started_at": "0001-01-01T00:00:00+05:00"}, "started_at"),
    ({"severity": 1e308}, "severity"),
    ({"severity": 10**30}, "severity"),
    ({"squad": 12}, "squad"),
    ({"external_id": "nul\x00key"}, "external_id"),
    ({"caused_by_release": "nul\x00key"}, "caused_by_release"),
    ("[" * 100_000 + "]" * 100_000, None),  # deeper than Python's recursion limit
    ('{"a":' * 100_000 + "1" + "}" * 100_000, None),
    ('{"external_id": "n1", "squad": "alpha", "severity": NaN}', None),
    (b'{"title": "\xe9"}', None),  # not UTF-8
]


@pytest.mark.parametrize(("body", "field"), MALFORMED)
def test_malformed_input_is_a_400_never_a_500(body, field, admin, squad_a) -> None:
    data = body if isinstance(body, str | bytes) else {**payload("incidents", "inc-bad"), **body}
    before = _snapshot()
    response = send(admin, "POST", "/api/incidents/", data)
    assert response.status_code == 400, response.content
    if field:
        assert field in response.json(), response.json()
    assert _snapshot() == before


def test_an_unsupported_content_type_is_a_415(admin, squad_a) -> None:
    response = admin.post("/api/releases/", "external_id=x", content_type="text/plain")
    assert response.status_code == 415
    assert not Release.objects.exists()


def test_form_encoded_body_works_too(admin, squad_a) -> None:
    response = admin.post("/api/releases/", payload("releases", "form-1"))
    assert response.status_code == 201, response.content
    assert Release.objects.get(external_id="form-1").first_commit_at == dt.datetime(2026, 3, 9, 10, tzinfo=UTC)


class TestSpecValues:
    """The docs/records.md value rules that accept input, through the API."""

    def test_naive_timestamp_is_utc_and_booleans_take_any_case(self, admin, squad_a) -> None:
        data = {**payload("incidents", "i-naive"), "started_at": "2026-03-11T08:00:00", "customer_impact": "YES"}
        data["resolved_at"] = "2026-03-11T09:00:00+01:00"  # = 08:00Z, equal to the start: allowed
        response = send(admin, "POST", "/api/incidents/", data)
        assert response.status_code == 201, response.content
        assert response.json()["started_at"] == "2026-03-11T08:00:00Z"
        stored = Incident.objects.get(external_id="i-naive")
        assert stored.started_at == stored.resolved_at == dt.datetime(2026, 3, 11, 8, tzinfo=UTC)
        assert stored.customer_impact is True

    @pytest.mark.parametrize(("other", "accepted"), [("5.5", True), ("4.5", True), ("5.6", False), ("4.4", False)])
    def test_percentages_add_up_to_100_within_half_a_point(self, admin, squad_a, other, accepted) -> None:
        # 40 + 20 + 20 + 5 + 10 = 95, so pct_other 5.5 → 100.5 (ok), 5.6 → 100.6 (rejected).
        data = {**payload("time-allocations", "ta-sum"), "pct_other": other}
        response = send(admin, "POST", "/api/time-allocations/", data)
        assert response.status_code == (201 if accepted else 400), response.content
        assert TimeAllocation.objects.filter(external_id="ta-sum").exists() is accepted

    def test_response_without_squad_and_with_a_new_survey(self, users, client_for) -> None:
        ops = client_for(users["ops"])
        data = {**payload("customer-responses", "cr-1"), "squad": None, "survey": "pulse-q2", "csat_score": None}
        response = send(ops, "POST", "/api/customer-responses/", data)
        assert response.status_code == 201, response.content
        assert response.json()["squad"] is None
        stored = CustomerResponse.objects.get(external_id="cr-1")
        assert stored.survey.slug == "pulse-q2"
        assert stored.survey.kind == Survey.Kind.CUSTOMER
        assert (stored.nps_score, stored.csat_score) == (9, None)

    def test_squad_pm_email_links_the_user_who_may_then_write_its_records(self, users, client_for) -> None:
        new_pm = UserFactory(username="pm_delta", role="squad_pm")
        ops = client_for(users["ops"])
        data = {**payload("squads", "delta"), "pm_email": new_pm.email.upper()}
        assert send(ops, "POST", "/api/squads/", data).status_code == 201
        assert Squad.objects.get(slug="delta").pm == new_pm
        pm = client_for(new_pm)
        assert send(pm, "POST", "/api/releases/", payload("releases", "d-1", squad="delta")).status_code == 201
        assert send(pm, "POST", "/api/releases/", payload("releases", "a-1", squad="alpha")).status_code == 403
