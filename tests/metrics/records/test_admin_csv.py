"""CSV upload with a preview, and CSV export in the import format, from the admin."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from metrics.models import CustomerResponse, Incident, Survey
from metrics.records.ingest.importer import import_csv
from metrics.records.ingest.kinds import KINDS
from tests.factories import (
    CustomerResponseFactory,
    DefectFactory,
    IncidentFactory,
    ReleaseFactory,
    SquadFactory,
    TimeAllocationFactory,
)

UTC = dt.UTC
RESPONSES_HEADER = (
    "external_id,survey,submitted_at,account,squad,nps_score,csat_score,outcome_score,top_problem,comment"
)


def upload(client, changelist: str, text: str, name: str = "data.csv"):
    url = reverse(f"admin:{changelist}_import")
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")})


def confirm(client, changelist: str, preview):
    return client.post(reverse(f"admin:{changelist}_import"), {"confirm": "1", "digest": preview.context["digest"]})


def outcomes(preview) -> list[tuple[int, str | None, str]]:
    return [(row.line, row.key, row.action) for row in preview.context["report"].rows]


@pytest.mark.django_db
def test_import_preview_writes_nothing_and_lists_rejects_with_line_and_field(users, client_for, squad_a):
    text = "\n".join(
        [
            RESPONSES_HEADER,
            "r-1,nps-new,2026-03-01T09:30:00Z,Acme,alpha,9,,,invoicing,",
            "r-2,nps-new,2026-03-02T09:30:00Z,Globex,,11,,,,",
            "r-3,nps-new,not-a-time,Initech,nosuch,,4,,,",
        ]
    )
    preview = upload(client_for(users["ops"]), "metrics_customerresponse", text)
    assert preview.status_code == 200
    errors = {(e.line, e.field) for e in preview.context["report"].errors}
    assert errors == {(3, "nps_score"), (4, "submitted_at"), (4, "squad")}
    page = preview.content.decode()
    assert "<td>3</td><td>nps_score</td>" in page
    assert '<td class="rejected">2</td>' in page
    assert '<td class="problems">3</td>' in page
    assert '<input type="submit" value="Confirm import" name="confirm" disabled>' in page
    assert outcomes(preview) == [(2, "r-1", "create"), (3, "r-2", "reject"), (4, "r-3", "reject")]
    assert not CustomerResponse.objects.exists()
    assert not Survey.objects.filter(slug="nps-new").exists()  # not even the survey the file names
    assert not AuditEvent.objects.filter(action="import").exists()


@pytest.mark.django_db
def test_import_preview_then_confirm_writes_the_previewed_file(users, client_for, squad_a):
    CustomerResponseFactory(
        external_id="r-1",
        survey__slug="nps-26",
        nps_score=5,
        account="Acme",
        submitted_at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )
    CustomerResponseFactory(
        external_id="r-2",
        survey__slug="nps-26",
        nps_score=6,
        account="Old",
        submitted_at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )
    text = "\n".join(
        [
            RESPONSES_HEADER,
            "r-1,nps-26,2026-03-01T09:30:00Z,Acme,,5,,,,",  # unchanged
            "r-2,nps-26,2026-03-01T09:30:00Z,Globex,,6,,,,",  # account changes
            "r-3,nps-26,2026-03-03T10:00:00+02:00,Initech,alpha,,5,4,mobile app,slow",  # new
        ]
    )
    client = client_for(users["ops"])
    preview = upload(client, "metrics_customerresponse", text)
    report = preview.context["report"]
    assert (report.created, report.updated, report.unchanged, report.errors) == (1, 1, 1, [])
    assert outcomes(preview) == [(2, "r-1", "unchanged"), (3, "r-2", "update"), (4, "r-3", "create")]
    assert '<input type="submit" value="Confirm import" name="confirm" class="default">' in preview.content.decode()
    assert CustomerResponse.objects.count() == 2
    assert CustomerResponse.objects.get(external_id="r-2").account == "Old"

    done = confirm(client, "metrics_customerresponse", preview)
    assert done.status_code == 302
    assert done.url == reverse("admin:metrics_customerresponse_changelist")
    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        "Imported data.csv: 1 created, 1 updated, 1 unchanged."
    ]
    assert CustomerResponse.objects.get(external_id="r-2").account == "Globex"
    event = AuditEvent.objects.get(action="import")
    assert (event.user, event.extra["kind"], event.extra["filename"], event.extra["source"]) == (
        users["ops"],
        "customer_responses",
        "data.csv",
        "admin",
    )
    assert (event.extra["created"], event.extra["updated"], event.extra["unchanged"]) == (1, 1, 1)
    new = CustomerResponse.objects.get(external_id="r-3")
    assert (new.squad_id, new.csat_score, new.outcome_score, new.top_problem, new.comment) == (
        squad_a.pk,
        5,
        4,
        "mobile app",
        "slow",
    )
    assert new.submitted_at == dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    # The pending upload is gone: confirming again imports nothing more.
    again = confirm(client, "metrics_customerresponse", preview)
    assert again.status_code == 302
    assert again.url == reverse("admin:metrics_customerresponse_import")


@pytest.mark.django_db
def test_confirm_only_imports_the_file_that_was_previewed(users, client_for):
    client = client_for(users["ops"])
    preview = upload(client, "metrics_customerresponse", RESPONSES_HEADER + "\nr-9,s,2026-03-01,,,7,,,,\n")
    response = client.post(reverse("admin:metrics_customerresponse_import"), {"confirm": "1", "digest": "0" * 64})
    assert response.status_code == 302
    assert not CustomerResponse.objects.exists()
    assert preview.context["digest"] != "0" * 64


@pytest.mark.django_db
def test_pm_import_rejects_rows_of_other_squads(users, client_for, squad_a, squad_b):
    header = ",".join(KINDS["incidents"].column_names)
    text = "\n".join(
        [
            header,
            "i-1,alpha,2,2026-03-01T10:00:00Z,2026-03-01T12:00:00Z,true,,Checkout down",
            "i-2,bravo,2,2026-03-01T10:00:00Z,,false,,Not mine",
        ]
    )
    client = client_for(users["pm"])
    preview = upload(client, "metrics_incident", text)
    assert [(e.line, e.field) for e in preview.context["report"].errors] == [(3, "squad")]
    assert confirm(client, "metrics_incident", preview).status_code == 302  # no pending file: sent back
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_import_needs_write_permission_on_the_kind(users, client_for):
    assert client_for(users["ops"]).get(reverse("admin:metrics_release_import")).status_code == 403
    assert client_for(users["pm"]).get(reverse("admin:metrics_customerresponse_import")).status_code == 403
    ops_list = client_for(users["ops"]).get(reverse("admin:metrics_customerresponse_changelist")).content.decode()
    assert reverse("admin:metrics_customerresponse_import") in ops_list
    pm_list = client_for(users["pm"]).get(reverse("admin:metrics_customerresponse_changelist")).content.decode()
    assert reverse("admin:metrics_customerresponse_import") not in pm_list
    assert reverse("admin:metrics_customerresponse_export") in pm_list


@pytest.mark.django_db
def test_non_utf8_upload_is_rejected_in_the_preview(users, client_for):
    client = client_for(users["ops"])
    url = reverse("admin:metrics_customerresponse_import")
    body = (RESPONSES_HEADER + "\nr-1,s,2026-03-01,Café,,7,,,,\n").encode("latin-1")
    preview = client.post(url, {"file": SimpleUploadedFile("x.csv", body, "text/csv")})
    assert [(e.line, e.field) for e in preview.context["report"].errors] == [(2, "account")]
    assert not CustomerResponse.objects.exists()


def _records_of_every_kind(squad_a, squad_b) -> None:
    release = ReleaseFactory(squad=squad_a, external_id="rel-a", first_commit_at=dt.datetime(2026, 3, 1, tzinfo=UTC))
    ReleaseFactory(squad=squad_b, external_id="rel-b", status="rolled_back")
    IncidentFactory(squad=squad_a, caused_by_release=release, title='=HYPERLINK("x")', customer_impact=True)
    IncidentFactory(squad=squad_b, resolved_at=None, title="")
    DefectFactory(squad=squad_a, found_in="production", found_by="customer", title='-5 rows, "quoted"\nline')
    DefectFactory(squad=squad_b, resolved_at=dt.datetime(2026, 4, 1, 8, 30, 15, 123456, tzinfo=UTC))
    CustomerResponseFactory(squad=squad_a, nps_score=0, csat_score=5, outcome_score=1, top_problem="invoicing")
    CustomerResponseFactory(squad=None, nps_score=None, csat_score=3, comment="+1 from me")
    TimeAllocationFactory(squad=squad_a, pct_features=Decimal("33.33"), pct_other=Decimal("21.67"))
    TimeAllocationFactory(squad=squad_b)
    SquadFactory(
        slug="charlie",
        area__slug="growth",
        pm_email="nobody@example.com",
        active=False,
        monthly_cost_per_head=Decimal("12345.67"),
    )


CHANGELIST_OF_KIND = {
    "squads": "squads_squad",
    "releases": "metrics_release",
    "incidents": "metrics_incident",
    "defects": "metrics_defect",
    "customer_responses": "metrics_customerresponse",
    "time_allocations": "metrics_timeallocation",
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(CHANGELIST_OF_KIND))
def test_export_reimports_with_nothing_created_or_updated(users, client_for, squad_a, squad_b, kind):
    _records_of_every_kind(squad_a, squad_b)
    model = KINDS[kind].model
    total = model.objects.count()
    response = client_for(users["pm"]).get(reverse(f"admin:{CHANGELIST_OF_KIND[kind]}_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == KINDS[kind].column_names
    assert len(rows) == total + 1

    report = import_csv(kind=kind, stream=io.BytesIO(body), user=users["admin"])
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, total)
    assert model.objects.count() == total


@pytest.mark.django_db
def test_export_cells_are_spreadsheet_safe(users, client_for, squad_a, squad_b):
    _records_of_every_kind(squad_a, squad_b)
    body = b"".join(client_for(users["ops"]).get(reverse("admin:metrics_incident_export")).streaming_content)
    titles = [row["title"] for row in csv.DictReader(io.StringIO(body.decode("utf-8")))]
    assert '\'=HYPERLINK("x")' in titles


@pytest.mark.django_db
def test_export_link_keeps_the_changelist_filters(users, client_for, squad_a, squad_b):
    _records_of_every_kind(squad_a, squad_b)
    url = reverse("admin:metrics_release_export") + f"?squad__id__exact={squad_b.pk}"
    body = b"".join(client_for(users["ops"]).get(url).streaming_content).decode()
    assert [row["external_id"] for row in csv.DictReader(io.StringIO(body))] == ["rel-b"]


@pytest.mark.django_db
def test_export_selected_action_writes_only_the_selected_rows(users, client_for, squad_a, squad_b):
    _records_of_every_kind(squad_a, squad_b)
    chosen = list(Incident.objects.filter(squad=squad_b).values_list("pk", flat=True))
    response = client_for(users["ops"]).post(
        reverse("admin:metrics_incident_changelist"), {"action": "export_selected", "_selected_action": chosen}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["squad"], r["resolved_at"]) for r in rows] == [("bravo", "")]
