"""Sign-in forms that say plainly when the account or address is locked out."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from audit.context import client_ip
from audit.lockout import refusal
from audit.services import record


class _LockoutMessage:
    request: Any

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username")
        message = refusal(username, client_ip(self.request))
        if message:
            record(
                "login_failed",
                username=str(username or "")[:150],
                request=self.request,
                extra={"username": str(username or "")[:150], "reason": "locked_out"},
            )
            raise forms.ValidationError(message, code="locked_out")
        return super().clean()


class LockoutAuthenticationForm(_LockoutMessage, AuthenticationForm):
    """The /login/ form."""


class LockoutAdminAuthenticationForm(_LockoutMessage, AdminAuthenticationForm):
    """The admin login form."""
