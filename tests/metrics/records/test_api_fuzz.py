"""Property: whatever JSON a client sends to a record endpoint, the answer is a
201/200 or a 400 with messages per field — never a server error."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.models import Release
from tests.factories import ReleaseFactory
from tests.support.api_support import ENDPOINTS, MODELS, fast_password_hashing, payload

pytestmark = pytest.mark.django_db
__all__ = ["fast_password_hashing"]  # autouse fixture

PLAUSIBLE = [
    "", " ", "alpha", "bravo", "nope", "2026-03-01T00:00:00Z", "2026-03-01", "2026-03", "2026-13",
    "production", "customer", "internal", "succeeded", "rolled_back", "yes", "no", "1", "0", "-1", "101",
    "1e400", "NaN", "Infinity", "00:00", "rel-known", "x" * 129, "nul\x00", "ünïcødé", "a/b", "../..",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=200),
    st.sampled_from(PLAUSIBLE),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=2), st.dictionaries(st.text(max_size=5), SCALARS, max_size=2))


def _columns(path: str) -> list[str]:
    return [*payload(path, "k"), "id", "unknown"]


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_post_or_patch_is_answered_without_a_server_error(path, data, users, squad_a, squad_b, client_for) -> None:
    if not Release.objects.filter(external_id="rel-known").exists():  # examples share the test's database
        ReleaseFactory(squad=squad_a, external_id="rel-known")
    client = client_for(users["admin"])
    changes = data.draw(st.dictionaries(st.sampled_from(_columns(path)), VALUES, max_size=4), label="changes")
    method = data.draw(st.sampled_from(["POST", "PATCH"]), label="method")
    endpoint = ENDPOINTS[path]
    key = "alpha" if path == "squads" else "fuzz-1"
    if method == "POST":
        url, body = endpoint.list_url(), {**payload(path, key), **changes}
    else:
        if path != "squads" and not MODELS[path].objects.filter(external_id=key).exists():
            created = client.post(endpoint.list_url(), json.dumps(payload(path, key)), content_type="application/json")
            assert created.status_code == 201
        url, body = endpoint.detail_url(key), changes
    response = client.generic(method, url, json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 201, 400), (method, body, response.status_code, response.content[:500])
    if response.status_code == 400:
        errors = response.json()
        assert isinstance(errors, dict)
        assert errors
        assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in errors.values()), errors
