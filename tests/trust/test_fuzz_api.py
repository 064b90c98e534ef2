"""schemathesis against /api/schema/ for each role's token, in-process (WSGI, no network).

For every operation and role: bounded generated requests; no 500, responses conform
to the schema (status code, content type, body), and no access the map forbids.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from squads.roles import SQUAD_SCOPED_MODELS
from tests.factories import ReleaseFactory, SurveyFactory
from tests.trust import access_map as amap

pytestmark = pytest.mark.django_db(transaction=False)
MAX_EXAMPLES = 8  # per operation and role: 60 operations × 5 roles × 8 = 2,400 cases
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
KIND_MODEL = {
    "squads": "squads.squad",
    "releases": "metrics.release",
    "incidents": "metrics.incident",
    "defects": "metrics.defect",
    "customer-responses": "metrics.customerresponse",
    "time-allocations": "metrics.timeallocation",
    "bets": "bets.bet",
}


def access_violation(role: str, method: str, path: str, response: Any) -> str | None:
    """A 2xx the map forbids (for any squad), or a PM's write landing outside their squads."""
    if response.status_code >= 300:
        return None
    parts = [p for p in path.split("/") if p]
    label = KIND_MODEL.get(parts[1]) if len(parts) > 1 else None
    kind = ("detail" if len(parts) > 2 else "list") if label else "other"
    own, other = (amap.expect_api(role, method, kind, label, side) for side in ("own", "other"))
    if amap.ALLOW not in (own, other):
        return f"{role} {method} {path}: {response.status_code} but the map forbids it"
    if method != "GET" and role == "pm" and label in SQUAD_SCOPED_MODELS:
        squad = response.json().get("squad")
        if squad != "alpha":
            return f"pm {method} {path}: wrote a record of squad {squad!r}"
    return None


def fuzz_operation(operation: Any, role: str, headers: dict[str, str], cases: Counter, problems: list[str]) -> None:
    """Bounded generated requests to one operation as one role; findings go to `problems`."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        response = case.call(headers=headers)
        cases[role] += 1
        if role == "anonymous":
            if response.status_code not in (401, 403):
                problems.append(f"anonymous {case.method} {case.formatted_path}: {response.status_code}")
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:
            first = exc.exceptions[0] if isinstance(exc, FailureGroup) else exc
            problems.append(f"{role} {case.method} {case.operation.path}: {first!s:.300} {response.status_code}")
        violation = access_violation(role, case.method, case.formatted_path, response)
        if violation:
            problems.append(violation)

    fuzz()


@pytest.fixture
def wsgi_app():
    """The real WSGI app, keeping the test's DB connection open across requests (as django.test.Client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_fuzz_every_operation_for_every_role(users, squad_a, squad_b, wsgi_app, capsys):
    ReleaseFactory(external_id="rel-1", squad=squad_a)
    ReleaseFactory(external_id="rel-2", squad=squad_b)
    SurveyFactory()
    app = wsgi_app
    tokens = {role: Token.objects.create(user=users[role]).key for role in ("viewer", "pm", "ops", "admin")}
    headers = {role: {"Authorization": f"Token {key}"} for role, key in tokens.items()} | {"anonymous": {}}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers["admin"])
    cases: Counter = Counter()
    problems: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()
        for role in amap.ROLES:
            fuzz_operation(operation, role, headers[role], cases, problems)

    with capsys.disabled():
        print(
            f"\nschemathesis: {sum(cases.values())} cases over {len(list(schema.get_all_operations()))} operations"
            f" × {len(amap.ROLES)} roles: {dict(cases)}"
        )
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems))[:60])
