"""The model backend, refusing every sign-in while the username or IP is locked out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from audit.context import client_ip
from audit.lockout import is_locked
from squads.roles import password_sign_in_allowed


class LockoutModelBackend(ModelBackend):
    """ModelBackend + lockout. Raising PermissionDenied stops `authenticate` trying other backends."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        if is_locked(username, client_ip(request)):
            raise PermissionDenied("locked out")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not password_sign_in_allowed(user):
            return None  # single sign-on is on: password sign-in is for admins only
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
