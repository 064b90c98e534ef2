"""OpenAPI schema and Swagger docs: generated without warnings, served to signed-in
users only, and the docs page loads its scripts from our own origin (CSP script-src 'self')."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.support.api_support import fast_password_hashing

pytestmark = pytest.mark.django_db
__all__ = ["fast_password_hashing"]  # autouse fixture

RECORD_PATHS = ["squads", "releases", "incidents", "defects", "customer-responses", "time-allocations"]


def test_schema_generates_without_warnings(tmp_path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    for name in RECORD_PATHS:
        key = "slug" if name == "squads" else "external_id"
        assert set(paths[f"/api/{name}/"]) == {"get", "post"}
        assert set(paths[f"/api/{name}/{{{key}}}/"]) == {"get", "put", "patch"}  # no delete
    assert set(paths["/api/kpis/"]) == {"get"}
    kpi_params = {p["name"] for p in paths["/api/kpis/"]["get"]["parameters"]}
    assert {"metric", "scope", "grain", "from", "to"} <= kpi_params
    ok = paths["/api/kpis/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    ref = ok["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"results", "next"}
    release = schema["components"]["schemas"]["ReleaseRequest"]
    assert list(release["properties"]) == [
        "external_id", "squad", "version", "released_at", "first_commit_at", "status"
    ]  # fmt: skip
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_schema_endpoint_needs_sign_in(users, client_for) -> None:
    assert Client().get("/api/schema/").status_code == 401
    response = client_for(users["viewer"]).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/releases/" in response.content


def test_docs_page_serves_swagger_from_our_origin(users, client_for) -> None:
    anonymous = Client().get("/api/docs/")
    assert anonymous.status_code == 401  # docs/api.md: anonymous API requests get 401/403
    client = client_for(users["viewer"])
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    # No inline script (CSP would block it) and nothing from a CDN (the network is closed).
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert all(url.startswith("/") and not url.startswith("//") for url in assets), assets
    for url in assets:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/").split("?")[0]), url
        else:
            init = client.get(url)
            assert init.status_code == 200
            assert init.headers["Content-Type"].startswith("application/javascript")
            assert b"SwaggerUIBundle" in init.content
    assert any("swagger-ui-bundle.js" in url for url in assets)


def test_drf_create_token_command(users) -> None:
    out = io.StringIO()
    call_command("drf_create_token", "pm_alpha", stdout=out)
    token = Token.objects.get(user=users["pm"])
    assert token.key in out.getvalue()
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/releases/").status_code == 200
