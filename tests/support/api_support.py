"""Reusable helpers for the API tests (NetBox `utilities/testing/api.py` style):
one valid payload per endpoint, the existing record each write test targets,
and the table in docs/roles.md of who may write what."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from metrics.models import CustomerResponse, Defect, Incident, Release, TimeAllocation
from squads.models import Squad
from tests.factories import (
    CustomerResponseFactory,
    DefectFactory,
    IncidentFactory,
    ReleaseFactory,
    TimeAllocationFactory,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """The role users' passwords are never checked here; Argon2 would spend seconds per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ROLES = ("anonymous", "viewer", "pm", "ops", "admin")


@dataclass(frozen=True)
class Endpoint:
    """One record endpoint: its URL, its key, who writes it, and how to make data for it."""

    path: str
    key: str
    writers: frozenset[str]

    def list_url(self) -> str:
        return f"/api/{self.path}/"

    def detail_url(self, key: str) -> str:
        return f"/api/{self.path}/{key}/"


ENDPOINTS: dict[str, Endpoint] = {
    "squads": Endpoint("squads", "slug", frozenset({"ops", "admin"})),
    "releases": Endpoint("releases", "external_id", frozenset({"pm", "admin"})),
    "incidents": Endpoint("incidents", "external_id", frozenset({"pm", "admin"})),
    "defects": Endpoint("defects", "external_id", frozenset({"pm", "admin"})),
    "customer-responses": Endpoint("customer-responses", "external_id", frozenset({"ops", "admin"})),
    "time-allocations": Endpoint("time-allocations", "external_id", frozenset({"ops", "admin"})),
}


MODELS: dict[str, Any] = {
    "squads": Squad,
    "releases": Release,
    "incidents": Incident,
    "defects": Defect,
    "customer-responses": CustomerResponse,
    "time-allocations": TimeAllocation,
}


def payload(path: str, key: str, squad: str = "alpha") -> dict[str, Any]:
    """A valid full record of `path` with key `key`, belonging to `squad`."""
    if path == "squads":
        return {
            "slug": key,
            "name": key.title(),
            "area": "payments",
            "pm_email": "",
            "monthly_cost_per_head": "9000.00",
            "active": True,
        }
    return {
        "releases": {
            "external_id": key,
            "squad": squad,
            "version": "2.0.0",
            "released_at": "2026-03-10T10:00:00Z",
            "first_commit_at": "2026-03-09T10:00:00Z",
            "status": "succeeded",
        },
        "incidents": {
            "external_id": key,
            "squad": squad,
            "severity": 2,
            "started_at": "2026-03-11T08:00:00Z",
            "resolved_at": "2026-03-11T09:30:00Z",
            "customer_impact": True,
            "caused_by_release": None,
            "title": "Checkout down",
        },
        "defects": {
            "external_id": key,
            "squad": squad,
            "severity": 3,
            "found_at": "2026-03-12T08:00:00Z",
            "found_in": "production",
            "found_by": "customer",
            "resolved_at": None,
            "title": "Wrong total",
        },
        "customer-responses": {
            "external_id": key,
            "survey": "nps-2026",
            "submitted_at": "2026-03-13T08:00:00Z",
            "account": "Acme",
            "squad": squad,
            "nps_score": 9,
            "csat_score": 4,
            "outcome_score": None,
            "top_problem": "invoicing",
            "comment": "",
        },
        "time-allocations": {
            "external_id": key,
            "survey": "time-2026",
            "squad": squad,
            "month": "2026-03",
            "headcount": 6,
            "pct_features": "40",
            "pct_quality": "20",
            "pct_support": "20",
            "pct_onboarding": "5",
            "pct_ktlo": "10",
            "pct_other": "5",
        },
    }[path]


def existing_record(path: str, squad: Any) -> str:
    """Create a record of `path` belonging to `squad` (a Squad) and return its key."""
    if path == "squads":
        return squad.slug
    factory = {
        "releases": ReleaseFactory,
        "incidents": IncidentFactory,
        "defects": DefectFactory,
        "customer-responses": CustomerResponseFactory,
        "time-allocations": TimeAllocationFactory,
    }[path]
    return factory(squad=squad).external_id


def send(client: Client, method: str, url: str, data: Any = None, **extra: Any) -> Any:
    """One JSON request; `data` that is a str is sent as the raw body."""
    body = data if isinstance(data, str | bytes) else (None if data is None else json.dumps(data))
    call = getattr(client, method.lower())
    if body is None:
        return call(url, **extra)
    return call(url, data=body, content_type="application/json", **extra)


def expected_status(endpoint: Endpoint, role: str, method: str) -> int:
    """What docs/roles.md says `role` gets for `method` on `endpoint` (records of the PM's own squad)."""
    if role == "anonymous":
        return 401
    if method == "GET":
        return 200
    if method == "DELETE":
        return 405
    if role not in endpoint.writers:
        return 403
    return 201 if method == "POST" else 200
