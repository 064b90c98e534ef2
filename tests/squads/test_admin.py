"""Ops staff maintain areas, squads, targets and the baseline in the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics.models import Baseline, Target
from squads.models import Area, Squad
from tests.factories import AreaFactory, UserFactory
from tests.support.admin_forms import form_errors


def squad_post(**values: object) -> dict[str, str]:
    data = {"slug": "delta", "name": "Delta", "pm_email": "", "monthly_cost_per_head": "9000", "active": "on"}
    data |= {name: str(value) for name, value in values.items()}
    return data


@pytest.mark.django_db
def test_ops_adds_a_squad_and_its_pm_is_linked_by_email(users, client_for):
    area = AreaFactory(slug="core")
    lead = UserFactory(username="dana", email="dana@example.com", role="squad_pm")
    response = client_for(users["ops"]).post(
        reverse("admin:squads_squad_add"), squad_post(area=area.pk, pm_email="Dana@Example.com")
    )
    assert response.status_code == 302
    squad = Squad.objects.get(slug="delta")
    assert (squad.name, squad.area_id, squad.monthly_cost_per_head, squad.active) == (
        "Delta",
        area.pk,
        Decimal("9000.00"),
        True,
    )
    assert squad.pm_id == lead.pk  # set by the service from pm_email, not a form field


@pytest.mark.django_db
def test_negative_cost_per_head_is_refused_on_its_field(users, client_for, squad_a):
    response = client_for(users["ops"]).post(
        reverse("admin:squads_squad_change", args=[squad_a.pk]),
        squad_post(slug="alpha", name="Alpha", area=squad_a.area_id, monthly_cost_per_head="-1"),
    )
    assert response.status_code == 200
    assert list(form_errors(response)) == ["monthly_cost_per_head"]
    squad_a.refresh_from_db()
    assert squad_a.monthly_cost_per_head == Decimal("10000.00")


@pytest.mark.django_db
def test_pm_may_look_at_squads_but_not_change_them(users, client_for, squad_a):
    client = client_for(users["pm"])
    url = reverse("admin:squads_squad_change", args=[squad_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, squad_post(slug="alpha", name="Renamed", area=squad_a.area_id))
    assert response.status_code == 403
    assert client.get(reverse("admin:squads_area_add")).status_code == 403
    squad_a.refresh_from_db()
    assert squad_a.name == "Alpha"


@pytest.mark.django_db
def test_ops_imports_squads_with_preview_and_new_areas(users, client_for, squad_a):
    text = "slug,name,area,pm_email,monthly_cost_per_head,active\necho,Echo,platform,,8000.50,yes\n"
    client = client_for(users["ops"])
    url = reverse("admin:squads_squad_import")
    preview = client.post(url, {"file": SimpleUploadedFile("squads.csv", text.encode(), "text/csv")})
    assert preview.context["report"].created == 1
    assert not Area.objects.filter(slug="platform").exists()
    done = client.post(url, {"confirm": "1", "digest": preview.context["digest"]})
    assert done.status_code == 302
    echo = Squad.objects.get(slug="echo")
    assert (echo.area.slug, echo.monthly_cost_per_head, echo.active) == ("platform", Decimal("8000.50"), True)


@pytest.mark.django_db
def test_ops_sets_targets_from_the_catalog_and_a_valid_baseline(users, client_for, squad_a):
    client = client_for(users["ops"])
    ok = client.post(
        reverse("admin:metrics_target_add"),
        {"metric": "change_failure_rate", "squad": squad_a.pk, "value": "15", "at_risk_margin_pct": "10"},
    )
    assert ok.status_code == 302
    assert list(Target.objects.values_list("metric", "squad__slug", "value")) == [
        ("change_failure_rate", "alpha", 15.0)
    ]
    unknown = client.post(
        reverse("admin:metrics_target_add"), {"metric": "happiness", "value": "1", "at_risk_margin_pct": "10"}
    )
    assert list(form_errors(unknown)) == ["metric"]

    backwards = client.post(
        reverse("admin:metrics_baseline_add"),
        {"name": "H1", "start": "2026-06-30", "end": "2026-01-01", "active": "on"},
    )
    assert form_errors(backwards) == {"end": ["must not be before start."]}
    assert not Baseline.objects.exists()
    good = client.post(
        reverse("admin:metrics_baseline_add"),
        {"name": "H1", "start": "2026-01-01", "end": "2026-06-30", "active": "on"},
    )
    assert good.status_code == 302
    assert Baseline.objects.get().name == "H1"
