"""Single sign-on against a real OpenID Connect provider on loopback (issue 15, "Also build").

The whole authorization-code flow runs for real: the Django test client asks to sign in,
the provider (tests/trust/oidc_provider.py, HTTP on 127.0.0.1) authorizes and redirects
back with a code, and the app exchanges it over HTTP for an RS256-signed id_token, checks
it against the provider's JWKS, reads userinfo and maps the groups claim to the roles.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from squads.models import Squad
from tests.factories import SquadFactory
from tests.trust.oidc_provider import Provider, rsa_key

PASSWORD = "pw-for-tests-only"
pytestmark = pytest.mark.django_db
ROLE_GROUPS = {"viewer": ["everyone"], "squad_pm": ["kpi-pms"], "ops_staff": ["kpi-ops"], "admin": ["kpi-admins"]}


@pytest.fixture
def provider() -> Iterator[Provider]:
    idp = Provider().start()
    config = requests.get(f"{idp.issuer}/.well-known/openid-configuration", timeout=5).json()  # as an operator would
    with override_settings(
        AUTHENTICATION_BACKENDS=[
            "audit.backends.LockoutModelBackend",
            "squads.pm.SquadPMBackend",
            "productops.oidc.RoleMappingOIDCBackend",
        ],
        OIDC_RP_CLIENT_ID=idp.client_id,
        OIDC_RP_CLIENT_SECRET=idp.client_secret,
        OIDC_OP_ISSUER=config["issuer"],
        OIDC_OP_AUTHORIZATION_ENDPOINT=config["authorization_endpoint"],
        OIDC_OP_TOKEN_ENDPOINT=config["token_endpoint"],
        OIDC_OP_USER_ENDPOINT=config["userinfo_endpoint"],
        OIDC_OP_JWKS_ENDPOINT=config["jwks_uri"],
        OIDC_PROVIDER_NAME="Acme ID",
        OIDC_ROLE_GROUPS=ROLE_GROUPS,
    ):
        yield idp
    idp.stop()


def sign_in_with_sso(client: Client, provider: Provider, claims: dict, next_url: str = "/") -> str:
    """Run the browser's part of the flow; returns where the app finally sends the browser."""
    provider.user = claims
    start = client.get(f"/oidc/authenticate/?next={next_url}")
    assert start.status_code == 302
    assert start["Location"].startswith(provider.issuer + "/authorize?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://testserver/oidc/callback/"
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 302
    return done["Location"]


def roles_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_login_page_offers_the_provider_only_when_configured(provider):
    page = Client().get("/login/").content.decode()
    assert "Sign in with Acme ID" in page
    assert 'href="/oidc/authenticate/' in page


def test_sso_is_absent_when_not_configured():
    assert "Sign in with" not in Client().get("/login/").content.decode()
    assert Client().get("/oidc/authenticate/").status_code == 404


def test_full_code_flow_signs_in_a_pm_who_can_write_their_squad(provider):
    squad = SquadFactory(slug="delta", name="Delta", area__slug="core", pm_email="dana@example.com")
    client = Client()
    landing = sign_in_with_sso(
        client,
        provider,
        {"sub": "u-123", "email": "dana@example.com", "given_name": "Dana", "groups": ["kpi-pms", "unrelated"]},
        next_url="/squads/delta/",
    )
    assert landing == "/squads/delta/"
    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    assert (user.username, user.email, user.first_name) == ("sso-u-123", "dana@example.com", "Dana")
    assert roles_of(user) == {"squad_pm"}
    assert user.is_staff
    assert not user.has_usable_password()
    assert Squad.objects.get(pk=squad.pk).pm == user  # pm_email names the PM
    body = {
        "external_id": "sso-r1",
        "squad": "delta",
        "version": "1.0",
        "status": "succeeded",
        "released_at": "2026-03-02T10:00:00Z",
    }
    assert client.post("/api/releases/", body, content_type="application/json").status_code == 201
    assert client.get("/squads/delta/").status_code == 200


def test_roles_follow_the_groups_claim_at_every_sign_in(provider):
    first = Client()
    sign_in_with_sso(first, provider, {"sub": "u-9", "email": "kim@example.com", "groups": ["kpi-admins"]})
    user = get_user_model().objects.get(username="sso-u-9")
    assert roles_of(user) == {"admin"}
    assert not user.is_superuser
    sign_in_with_sso(Client(), provider, {"sub": "u-9", "email": "kim@example.com", "groups": []})
    user.refresh_from_db()
    assert roles_of(user) == {"viewer"}
    assert not user.is_staff
    assert get_user_model().objects.filter(username__startswith="sso-").count() == 1


def test_a_forged_or_foreign_id_token_is_refused(provider):
    provider.sign_with = rsa_key("k1")  # same kid, other key: the signature does not verify
    client = Client()
    assert sign_in_with_sso(client, provider, {"sub": "u-1", "email": "x@example.com"}) == "/login/?sso=failed"
    assert "_auth_user_id" not in client.session
    provider.sign_with = None
    provider.audience = "some-other-app"
    assert sign_in_with_sso(client, provider, {"sub": "u-1", "email": "x@example.com"}) == "/login/?sso=failed"
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(username="sso-u-1").exists()
    assert "did not complete" in client.get("/login/?sso=failed").content.decode()


def test_an_asserted_email_never_takes_over_a_local_account(provider, users):
    client = Client()
    sign_in_with_sso(client, provider, {"sub": "evil", "email": users["admin"].email, "groups": []})
    assert client.session["_auth_user_id"] != str(users["admin"].pk)
    assert roles_of(users["admin"]) == {"admin"}


def test_local_password_sign_in_is_kept_for_admins_only_while_sso_is_on(provider, users):
    assert Client().post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 302
    refused = Client().post("/login/", {"username": "viewer", "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in refused.client.session
