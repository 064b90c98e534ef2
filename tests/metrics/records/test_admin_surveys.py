"""Ops staff enter survey results by hand: a survey with its responses inline."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import CustomerResponse, Survey, TimeAllocation
from tests.factories import CustomerResponseFactory, SurveyFactory
from tests.support.admin_forms import inline_errors, inline_rows

UTC = dt.UTC
RESPONSES = "customer_responses"
ALLOCATIONS = "time_allocations"


def survey_add(slug: str, kind: str, responses: list[dict], allocations: list[dict] | None = None) -> dict:
    data = {"slug": slug, "name": slug.upper(), "kind": kind}
    data |= inline_rows(RESPONSES, responses)
    data |= inline_rows(ALLOCATIONS, allocations or [])
    return data


def response_row(external_id: str, **values: object) -> dict:
    return {
        "external_id": external_id,
        "submitted_at": dt.datetime(2026, 3, 5, 15, 0, tzinfo=UTC),
        "account": "Acme",
        "squad": "",
        "nps_score": "",
        "csat_score": "",
        "outcome_score": "",
        "top_problem": "",
        "comment": "",
        **values,
    }


@pytest.mark.django_db
def test_ops_adds_a_survey_with_inline_responses(users, client_for, squad_a):
    rows = [
        response_row("hand-1", nps_score=9, top_problem="invoicing", squad=squad_a.pk),
        response_row("hand-2", csat_score=2, outcome_score=5, account="Globex"),
    ]
    response = client_for(users["ops"]).post(
        reverse("admin:metrics_survey_add"), survey_add("nps-q1", "customer", rows)
    )
    assert response.status_code == 302, response.context and inline_errors(response)
    survey = Survey.objects.get(slug="nps-q1")
    stored = {
        r.external_id: (r.survey_id, r.squad_id, r.account, r.nps_score, r.csat_score, r.outcome_score, r.top_problem)
        for r in CustomerResponse.objects.all()
    }
    assert stored == {
        "hand-1": (survey.pk, squad_a.pk, "Acme", 9, None, None, "invoicing"),
        "hand-2": (survey.pk, None, "Globex", None, 2, 5, ""),
    }
    assert CustomerResponse.objects.get(external_id="hand-1").submitted_at == dt.datetime(2026, 3, 5, 15, tzinfo=UTC)


@pytest.mark.django_db
def test_bad_inline_response_shows_the_field_error_and_writes_nothing(users, client_for):
    rows = [response_row("ok-1", nps_score=8), response_row("bad-1", nps_score=11)]
    response = client_for(users["ops"]).post(
        reverse("admin:metrics_survey_add"), survey_add("nps-q2", "customer", rows)
    )
    assert response.status_code == 200
    errors = inline_errors(response)
    assert errors[0] == {}
    assert list(errors[1]) == ["nps_score"]
    assert "less than or equal to 10" in errors[1]["nps_score"][0]
    assert not Survey.objects.filter(slug="nps-q2").exists()
    assert not CustomerResponse.objects.exists()


@pytest.mark.django_db
def test_inline_response_without_any_score_is_refused(users, client_for):
    rows = [response_row("none-1", account="Initech")]
    response = client_for(users["ops"]).post(
        reverse("admin:metrics_survey_add"), survey_add("nps-q3", "customer", rows)
    )
    assert response.status_code == 200
    assert inline_errors(response)[0] == {
        "nps_score": ["at least one of nps_score, csat_score, outcome_score is required."]
    }
    assert not CustomerResponse.objects.exists()


@pytest.mark.django_db
def test_ops_adds_a_time_allocation_survey_inline(users, client_for, squad_a):
    row = {
        "external_id": "ta-1",
        "squad": squad_a.pk,
        "month": "2026-03-01",
        "headcount": 6,
        "pct_features": "40",
        "pct_quality": "20",
        "pct_support": "15.5",
        "pct_onboarding": "4.5",
        "pct_ktlo": "10",
        "pct_other": "10",
    }
    bad = row | {"external_id": "ta-2", "pct_other": "20"}  # adds up to 110
    client = client_for(users["ops"])
    refused = client.post(reverse("admin:metrics_survey_add"), survey_add("time-q1", "time_allocation", [], [row, bad]))
    assert refused.status_code == 200
    assert list(inline_errors(refused)[1]) == ["pct_other"]
    assert not TimeAllocation.objects.exists()

    saved = client.post(reverse("admin:metrics_survey_add"), survey_add("time-q1", "time_allocation", [], [row]))
    assert saved.status_code == 302
    allocation = TimeAllocation.objects.get()
    assert (allocation.survey.slug, allocation.squad_id, allocation.month, allocation.headcount) == (
        "time-q1",
        squad_a.pk,
        dt.date(2026, 3, 1),
        6,
    )
    assert allocation.pct_support == Decimal("15.50")


@pytest.mark.django_db
def test_ops_edits_and_deletes_responses_inline(users, client_for):
    survey = SurveyFactory(slug="nps-edit", kind="customer")
    keep = CustomerResponseFactory(survey=survey, external_id="keep", nps_score=3)
    drop = CustomerResponseFactory(survey=survey, external_id="drop", nps_score=10)
    page = client_for(users["ops"]).get(reverse("admin:metrics_survey_change", args=[survey.pk]))
    existing = list(page.context["inline_admin_formsets"][0].formset.get_queryset())  # newest first
    rows = []
    for obj in existing:
        row = response_row(obj.external_id, nps_score=obj.nps_score, submitted_at=obj.submitted_at)
        row |= {"id": obj.pk, "survey": survey.pk}
        if obj == keep:
            row["nps_score"] = 7
        if obj == drop:
            row["DELETE"] = "on"
        rows.append(row)
    data = {"slug": survey.slug, "name": "NPS", "kind": "customer"} | inline_rows(RESPONSES, rows, initial=len(rows))
    response = client_for(users["ops"]).post(reverse("admin:metrics_survey_change", args=[survey.pk]), data)
    assert response.status_code == 302
    assert list(CustomerResponse.objects.values_list("external_id", "nps_score")) == [("keep", 7)]


@pytest.mark.django_db
def test_pm_cannot_add_surveys_or_responses(users, client_for):
    client = client_for(users["pm"])
    assert client.get(reverse("admin:metrics_survey_add")).status_code == 403
    assert client.get(reverse("admin:metrics_customerresponse_add")).status_code == 403
    response = client.post(
        reverse("admin:metrics_survey_add"), survey_add("pm-s", "customer", [response_row("x", nps_score=1)])
    )
    assert response.status_code == 403
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_survey_page_shows_the_latest_rows_inline_and_counts_all(users, client_for):
    survey = SurveyFactory(slug="big", kind="customer")
    for day in range(1, 26):
        CustomerResponseFactory(survey=survey, submitted_at=dt.datetime(2026, 1, day, tzinfo=UTC))
    client = client_for(users["ops"])
    page = client.get(reverse("admin:metrics_survey_change", args=[survey.pk]))
    assert page.status_code == 200
    [inline] = page.context["inline_admin_formsets"]
    shown = [form.instance.submitted_at.day for form in inline.formset.initial_forms]
    assert shown == list(range(25, 5, -1))  # the 20 most recent, newest first
    listing = client.get(reverse("admin:metrics_survey_changelist")).content.decode()
    assert f'?survey__id__exact={survey.pk}">25</a>' in listing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "page"),
    [
        ("ops", "metrics_survey_add"),
        ("ops", "metrics_customerresponse_add"),
        ("ops", "metrics_timeallocation_add"),
        ("ops", "squads_squad_add"),
        ("ops", "metrics_target_add"),
        ("pm", "metrics_incident_add"),
        ("pm", "metrics_release_add"),
        ("pm", "metrics_defect_add"),
    ],
)
def test_add_pages_load(users, client_for, role, page):
    assert client_for(users[role]).get(reverse(f"admin:{page}")).status_code == 200


@pytest.mark.django_db
def test_hand_entry_shows_only_the_rows_of_the_survey_kind(users, client_for):
    client = client_for(users["ops"])
    customer = client.get(reverse("admin:metrics_survey_add")).content.decode()
    assert "customer_responses-TOTAL_FORMS" in customer
    assert "time_allocations-TOTAL_FORMS" not in customer
    assert '?kind=time_allocation">time allocation survey</a>' in customer
    timeuse = client.get(reverse("admin:metrics_survey_add") + "?kind=time_allocation").content.decode()
    assert "time_allocations-TOTAL_FORMS" in timeuse
    assert "customer_responses-TOTAL_FORMS" not in timeuse
    survey = SurveyFactory(kind="time_allocation")
    change = client.get(reverse("admin:metrics_survey_change", args=[survey.pk])).content.decode()
    assert "time_allocations-TOTAL_FORMS" in change
    assert "customer_responses-TOTAL_FORMS" not in change


@pytest.mark.django_db
def test_blank_external_ids_are_generated_and_score_ranges_explained(users, client_for):
    client = client_for(users["ops"])
    page = client.get(reverse("admin:metrics_survey_add")).content.decode()
    assert "0–10: how likely to recommend us" in page
    assert "1–5: satisfaction" in page
    rows = [response_row("", nps_score=10), response_row("", csat_score=4)]
    response = client.post(reverse("admin:metrics_survey_add"), survey_add("hand-ids", "customer", rows))
    assert response.status_code == 302, response.context and inline_errors(response)
    ids = sorted(CustomerResponse.objects.values_list("external_id", flat=True))
    assert len(ids) == 2
    assert ids[0] != ids[1]
    assert all(re.fullmatch(r"response-[0-9a-f]{12}", external_id) for external_id in ids)
    # the single-record form generates one too
    single = client.post(
        reverse("admin:metrics_customerresponse_add"),
        {
            "external_id": "",
            "survey": Survey.objects.get(slug="hand-ids").pk,
            "submitted_at_0": "2026-03-05",
            "submitted_at_1": "10:00:00",
            "account": "",
            "squad": "",
            "nps_score": "7",
            "csat_score": "",
            "outcome_score": "",
            "top_problem": "",
            "comment": "",
        },
    )
    assert single.status_code == 302
    assert CustomerResponse.objects.filter(nps_score=7, external_id__startswith="response-").count() == 1
