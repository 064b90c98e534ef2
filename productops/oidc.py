"""Single sign-on with the company's identity provider (OpenID Connect, authorization code flow).

On when `OIDC_RP_CLIENT_ID` is set (settings read the provider's endpoints, client id and
secret from the environment). mozilla-django-oidc runs the flow (state, nonce, PKCE, token
exchange, JWKS look-up); this module adds what the product needs on top:

- the id_token must name this client as audience and the configured issuer, and carry
  `exp`/`iat` (the library checks the signature and nonce only);
- SSO users are matched by the provider's stable subject (`sub`), never by email, so an
  identity provider asserting a local admin's email cannot take over that account;
- the groups claim (`OIDC_GROUPS_CLAIM`) is mapped to the four roles on every sign-in
  (`OIDC_ROLE_GROUPS`), so a change in the provider takes effect at the next sign-in; no
  mapped group means viewer (any signed-in user reads everything);
- squads whose `pm_email` is the user's email get the user as their PM (`squads.pm`, on save).

Local username/password accounts stay for admins (break-glass); while SSO is on, only
admins may sign in with a password (`squads.roles.password_sign_in_allowed`).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from squads.roles import ADMIN, OPS_STAFF, ROLES, SQUAD_PM, VIEWER

logger = logging.getLogger(__name__)
STAFF_ROLES = {SQUAD_PM, OPS_STAFF, ADMIN}  # they write through the admin site too


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or "single sign-on"


def roles_from_claims(claims: dict[str, Any]) -> set[str]:
    """The roles the provider's groups claim grants (viewer when none is mapped)."""
    raw = claims.get(getattr(settings, "OIDC_GROUPS_CLAIM", "groups"), [])
    groups = {raw} if isinstance(raw, str) else {str(g) for g in raw} if isinstance(raw, list) else set()
    mapping: dict[str, list[str]] = getattr(settings, "OIDC_ROLE_GROUPS", {})
    roles = {role for role in ROLES if groups & set(mapping.get(role, []))}
    return roles or {VIEWER}


def username_for(sub: str) -> str:
    """A local username no password account can have, derived from the provider's subject."""
    name = f"sso-{sub}"
    return name if len(name) <= 150 else f"sso-{hashlib.sha256(sub.encode()).hexdigest()}"


class RoleMappingOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, matched by subject, checking issuer and audience, and
    setting the user's roles from the groups claim."""

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        """None (the callback then shows "sign-on did not complete") for a forged or foreign
        token or a provider error, instead of an error page."""
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException, ValueError, KeyError) as exc:
            logger.warning("sso sign-in refused: %s", exc.__class__.__name__, extra={"reason": str(exc)[:200]})
            return None

    def get_payload_data(self, token: Any, key: Any) -> dict[str, Any]:
        super().get_payload_data(token, key)  # the algorithm is the configured one; the signature
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.get_settings("OIDC_OP_ISSUER"),
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=30,
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"id_token refused: {exc}") from None

    def verify_token(self, token: Any, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        self._id_token_sub = str(payload.get("sub", ""))
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # userinfo must be about the same subject as the signed id_token (OIDC Core 5.3.2).
        return bool(claims.get("sub")) and str(claims["sub"]) == getattr(self, "_id_token_sub", None)

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(username=username_for(str(claims["sub"])))

    def create_user(self, claims: dict[str, Any]) -> Any:
        user = self.UserModel.objects.create_user(username_for(str(claims["sub"])))  # no usable password
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        roles = roles_from_claims(claims)
        user.email = str(claims.get("email", "") or "")[:254]
        user.first_name = str(claims.get("given_name", "") or "")[:150]
        user.last_name = str(claims.get("family_name", "") or "")[:150]
        user.is_staff = bool(roles & STAFF_ROLES)
        user.is_superuser = False  # admins get the admin role's permissions, never a bypass by claim
        user.save()
        kept = user.groups.exclude(name__in=ROLES)
        user.groups.set([*kept, *Group.objects.filter(name__in=roles)])
        logger.info("sso sign-in", extra={"user_id": user.pk, "roles": sorted(roles)})
        return user


@login_not_required
def start(request: HttpRequest) -> HttpResponse:
    """Redirect to the provider's sign-in page (404 while SSO is not configured)."""
    if not enabled():
        raise Http404("single sign-on is not configured")
    return OIDCAuthenticationRequestView.as_view()(request)


@login_not_required
def callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with a code; sign the user in."""
    if not enabled():
        raise Http404("single sign-on is not configured")
    return OIDCAuthenticationCallbackView.as_view()(request)


def sso_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the login page offers "Sign in with <provider>" when SSO is on."""
    return {"sso_provider": provider_name() if enabled() else ""}
