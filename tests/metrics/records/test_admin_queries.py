"""Changelists must not run a query per row (list_select_related, annotations)."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import Survey
from tests.factories import (
    CustomerResponseFactory,
    DefectFactory,
    IncidentFactory,
    ReleaseFactory,
    SquadFactory,
    TimeAllocationFactory,
)

_serial = itertools.count()


def _add_rows(changelist: str, n: int, squads: list) -> None:
    for i in range(n):
        squad = squads[i % len(squads)]
        if changelist == "metrics_release":
            ReleaseFactory(squad=squad)
        elif changelist == "metrics_incident":
            IncidentFactory(squad=squad, caused_by_release=ReleaseFactory(squad=squads[(i + 1) % len(squads)]))
        elif changelist == "metrics_defect":
            DefectFactory(squad=squad)
        elif changelist == "metrics_customerresponse":
            CustomerResponseFactory(squad=squad, survey__slug=f"nps-{i % 7}")
        elif changelist == "metrics_timeallocation":
            TimeAllocationFactory(squad=squad)
        elif changelist == "metrics_survey":
            survey = Survey.objects.create(slug=f"s-{next(_serial)}")
            CustomerResponseFactory(survey=survey)
        elif changelist == "squads_squad":
            SquadFactory(area__slug=f"area-{i % 5}")
        elif changelist == "squads_area":
            SquadFactory(area__slug=f"area-x{next(_serial)}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changelist",
    [
        "metrics_release",
        "metrics_incident",
        "metrics_defect",
        "metrics_customerresponse",
        "metrics_timeallocation",
        "metrics_survey",
        "squads_squad",
        "squads_area",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(
    users, client_for, squad_a, squad_b, changelist, django_assert_max_num_queries
):
    client = client_for(users["pm"])
    url = reverse(f"admin:{changelist}_changelist")
    squads = [squad_a, squad_b, *SquadFactory.create_batch(3)]
    _add_rows(changelist, 10, squads)
    with CaptureQueriesContext(connection) as with_10:
        assert client.get(url).status_code == 200
    _add_rows(changelist, 40, squads)
    with django_assert_max_num_queries(len(with_10)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 50
