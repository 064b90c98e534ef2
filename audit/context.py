"""Who is acting right now: the request's user (set by `AuditContextMiddleware`)
or a user named explicitly by a command or task with `acting_user(user)`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest

from core.proxies import client_address

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_acting_user: ContextVar[Any] = ContextVar("audit_acting_user", default=None)


@contextmanager
def acting_user(user: Any) -> Iterator[None]:
    """Attribute every audit event inside the block to `user` (commands, tasks, services)."""
    token = _acting_user.set(user)
    try:
        yield
    finally:
        _acting_user.reset(token)


@contextmanager
def current_request(request: HttpRequest) -> Iterator[None]:
    """Used by the middleware: events inside the request know its user and IP."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def get_request() -> HttpRequest | None:
    return _request.get()


def current_user() -> Any:
    """The explicitly acting user, else the request's authenticated user, else None."""
    user = _acting_user.get()
    if user is not None:
        return user
    request = _request.get()
    if request is None:
        return None
    # DRF sets request.user on the underlying HttpRequest after token authentication too.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the peer, or the proxy's X-Forwarded-For entry when the peer is a
    trusted proxy (`core.proxies`); a client's own X-Forwarded-For is never believed."""
    if request is None:
        return None
    return client_address(request.META)
