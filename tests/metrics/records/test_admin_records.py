"""Admin for releases, incidents, defects: who may see and write what (see docs/roles.md),
with every save going through the service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from metrics.models import DirtyRange, Incident, Release
from tests.factories import DefectFactory, IncidentFactory, ReleaseFactory
from tests.support.admin_forms import form_errors, split_dt

UTC = dt.UTC

CHANGELISTS = [
    "squads_area",
    "squads_squad",
    "metrics_release",
    "metrics_incident",
    "metrics_defect",
    "metrics_survey",
    "metrics_customerresponse",
    "metrics_timeallocation",
    "metrics_target",
    "metrics_baseline",
    "metrics_kpisnapshot",
    "metrics_rolluprun",
]


def incident_post(incident: Incident, **changes: object) -> dict[str, str]:
    values = {
        "external_id": incident.external_id,
        "squad": incident.squad_id,
        "severity": incident.severity,
        "customer_impact": "on" if incident.customer_impact else "",
        "caused_by_release": incident.caused_by_release_id or "",
        "title": incident.title,
        "started_at": incident.started_at,
        "resolved_at": incident.resolved_at,
        **changes,
    }
    data: dict[str, str] = {}
    for name, value in values.items():
        if name in ("started_at", "resolved_at"):
            data.update(split_dt(name, value))
        elif name == "customer_impact":
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else str(value)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["pm", "ops", "admin"])
def test_every_list_page_loads_for_staff_roles(users, client_for, squad_a, role):
    ReleaseFactory(squad=squad_a)
    IncidentFactory(squad=squad_a)
    DefectFactory(squad=squad_a)
    client = client_for(users[role])
    statuses = {name: client.get(reverse(f"admin:{name}_changelist")).status_code for name in CHANGELISTS}
    assert statuses == dict.fromkeys(CHANGELISTS, 200)


@pytest.mark.django_db
def test_dirty_ranges_are_visible_to_superusers_only(users, client_for):
    url = reverse("admin:metrics_dirtyrange_changelist")
    assert client_for(users["admin"]).get(url).status_code == 200
    assert client_for(users["ops"]).get(url).status_code == 403


@pytest.mark.django_db
def test_viewer_cannot_reach_admin_write_views(users, client_for, squad_a):
    incident = IncidentFactory(squad=squad_a)
    client = client_for(users["viewer"])
    add = client.post(reverse("admin:metrics_incident_add"), incident_post(incident, external_id="new-1"))
    change = client.post(
        reverse("admin:metrics_incident_change", args=[incident.pk]), incident_post(incident, severity=1)
    )
    delete = client.post(reverse("admin:metrics_incident_delete", args=[incident.pk]), {"post": "yes"})
    for response in (add, change, delete):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    incident.refresh_from_db()
    assert incident.severity == 3
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_ops_cannot_add_a_release(users, client_for, squad_a):
    client = client_for(users["ops"])
    assert client.get(reverse("admin:metrics_release_add")).status_code == 403
    data = {"external_id": "r-1", "squad": squad_a.pk, "version": "1.0", "status": "succeeded"}
    data |= split_dt("released_at", dt.datetime(2026, 3, 2, 12, tzinfo=UTC)) | split_dt("first_commit_at", None)
    assert client.post(reverse("admin:metrics_release_add"), data).status_code == 403
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_pm_changes_own_squads_incident(users, client_for, squad_a):
    incident = IncidentFactory(squad=squad_a, severity=3)
    DirtyRange.objects.all().delete()
    response = client_for(users["pm"]).post(
        reverse("admin:metrics_incident_change", args=[incident.pk]), incident_post(incident, severity=1)
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == 1
    # The save went through the normal write path, which marks the KPI period dirty.
    assert DirtyRange.objects.filter(scope="squad:alpha").exists()


@pytest.mark.django_db
def test_pm_cannot_change_or_delete_another_squads_incident(users, client_for, squad_a, squad_b):
    other = IncidentFactory(squad=squad_b, severity=3)
    client = client_for(users["pm"])
    change_url = reverse("admin:metrics_incident_change", args=[other.pk])
    # Everyone may look at it, read-only ...
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    # ... but not write it.
    assert client.post(change_url, incident_post(other, severity=1)).status_code == 403
    delete_url = reverse("admin:metrics_incident_delete", args=[other.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    other.refresh_from_db()
    assert other.severity == 3


@pytest.mark.django_db
def test_pm_cannot_move_own_incident_to_another_squad(users, client_for, squad_a, squad_b):
    incident = IncidentFactory(squad=squad_a)
    response = client_for(users["pm"]).post(
        reverse("admin:metrics_incident_change", args=[incident.pk]), incident_post(incident, squad=squad_b.pk)
    )
    assert response.status_code == 200
    assert "squad" in form_errors(response)
    incident.refresh_from_db()
    assert incident.squad_id == squad_a.pk


@pytest.mark.django_db
def test_pm_add_form_offers_only_own_squads(users, client_for, squad_a, squad_b):
    response = client_for(users["pm"]).get(reverse("admin:metrics_defect_add"))
    choices = list(response.context["adminform"].form.fields["squad"].queryset)
    assert choices == [squad_a]


@pytest.mark.django_db
def test_pm_cannot_bulk_delete_another_squads_records(users, client_for, squad_a, squad_b):
    own, other = DefectFactory(squad=squad_a), DefectFactory(squad=squad_b)
    response = client_for(users["pm"]).post(
        reverse("admin:metrics_defect_changelist"),
        {"action": "delete_selected", "_selected_action": [own.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert {d.pk for d in type(own).objects.all()} == {own.pk, other.pk}


@pytest.mark.django_db
def test_admin_form_shows_rule_errors_on_their_field_and_writes_nothing(users, client_for, squad_a):
    data = {"external_id": "d-1", "squad": squad_a.pk, "severity": "2", "found_in": "testing", "found_by": "customer"}
    data |= split_dt("found_at", dt.datetime(2026, 3, 4, 9, tzinfo=UTC))
    data |= split_dt("resolved_at", dt.datetime(2026, 3, 3, 9, tzinfo=UTC))
    response = client_for(users["pm"]).post(reverse("admin:metrics_defect_add"), data | {"title": "x"})
    assert response.status_code == 200
    errors = form_errors(response)
    assert errors["found_in"] == ["a customer-found defect must have found_in=production."]
    assert errors["resolved_at"] == ["must not be before found_at."]
    assert not type(squad_a).objects.get(pk=squad_a.pk).defects.exists()


@pytest.mark.django_db
def test_pm_adds_a_release_for_own_squad(users, client_for, squad_a):
    data = {"external_id": "r-9", "squad": squad_a.pk, "version": "2.0", "status": "rolled_back"}
    data |= split_dt("released_at", dt.datetime(2026, 3, 2, 12, tzinfo=UTC))
    data |= split_dt("first_commit_at", dt.datetime(2026, 3, 1, 8, tzinfo=UTC))
    response = client_for(users["pm"]).post(reverse("admin:metrics_release_add"), data)
    assert response.status_code == 302
    release = Release.objects.get(external_id="r-9")
    assert (release.squad_id, release.version, release.status) == (squad_a.pk, "2.0", "rolled_back")
    assert release.first_commit_at == dt.datetime(2026, 3, 1, 8, tzinfo=UTC)


@pytest.mark.django_db
def test_admin_writes_go_through_the_service_layer(users, client_for, squad_a, monkeypatch):
    from metrics.records import services

    calls: list[tuple[str, str]] = []
    real_save, real_delete = services.save_record, services.delete_record

    def save_record(**kwargs):
        calls.append(("save", kwargs["kind"], kwargs["user"].username, kwargs["data"]["squad"]))
        return real_save(**kwargs)

    def delete_record(**kwargs):
        calls.append(("delete", type(kwargs["instance"]).__name__, kwargs["user"].username, ""))
        return real_delete(**kwargs)

    monkeypatch.setattr(services, "save_record", save_record)
    monkeypatch.setattr(services, "delete_record", delete_record)
    incident = IncidentFactory(squad=squad_a)
    client = client_for(users["pm"])
    client.post(reverse("admin:metrics_incident_change", args=[incident.pk]), incident_post(incident, severity=2))
    client.post(reverse("admin:metrics_incident_delete", args=[incident.pk]), {"post": "yes"})
    assert calls == [("save", "incidents", "pm_alpha", "alpha"), ("delete", "Incident", "pm_alpha", "")]
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_refusal_only_the_service_knows_is_shown_on_the_form_and_rolls_back(users, client_for, squad_a, monkeypatch):
    from django.core.exceptions import ValidationError

    from metrics.records import services

    def refuse(**kwargs):
        raise ValidationError({"version": ["taken by a concurrent write"]})

    monkeypatch.setattr(services, "save_record", refuse)
    data = {"external_id": "r-1", "squad": squad_a.pk, "version": "1.0", "status": "succeeded"}
    data |= split_dt("released_at", dt.datetime(2026, 3, 2, 12, tzinfo=UTC)) | split_dt("first_commit_at", None)
    response = client_for(users["pm"]).post(reverse("admin:metrics_release_add"), data)
    assert response.status_code == 200
    assert form_errors(response) == {"version": ["taken by a concurrent write"]}
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_pm_picks_the_causing_release_of_any_squad_by_search(users, client_for, squad_a, squad_b):
    ReleaseFactory(squad=squad_b, external_id="bravo-42", version="4.2.0")
    ReleaseFactory(squad=squad_a, external_id="alpha-1", version="1.0.0")
    response = client_for(users["pm"]).get(
        reverse("admin:autocomplete"),
        {"app_label": "metrics", "model_name": "incident", "field_name": "caused_by_release", "term": "bravo"},
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["bravo 4.2.0"]
