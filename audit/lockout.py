"""Repeated failed sign-ins lock the username (and, at a higher count, the IP) for a while.

Counts live in Django's cache (Redis in production, so every web process sees
them). The rule is enforced by `audit.backends.LockoutModelBackend`, which every
sign-in path goes through (the login page, the admin login, anything calling
`authenticate`); the forms in `audit.forms` only add a clear message.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

FAILURE_LIMIT: int = getattr(settings, "LOGIN_FAILURE_LIMIT", 5)
IP_FAILURE_LIMIT: int = getattr(settings, "LOGIN_IP_FAILURE_LIMIT", 20)
WINDOW_SECONDS: int = getattr(settings, "LOGIN_FAILURE_WINDOW", 15 * 60)
LOCK_SECONDS: int = getattr(settings, "LOGIN_LOCKOUT_SECONDS", 15 * 60)

MESSAGE = "Too many failed sign-ins. Please wait 15 minutes before trying again."


def _keys(username: str | None, ip: str | None) -> list[tuple[str, int]]:
    out = []
    if username:
        out.append((f"login-fail:user:{username.strip().lower()}", FAILURE_LIMIT))
    if ip:
        out.append((f"login-fail:ip:{ip}", IP_FAILURE_LIMIT))
    return out


def is_locked(username: str | None, ip: str | None) -> bool:
    """True while the username or the IP is locked out."""
    return any(cache.get(f"{key}:locked") for key, _ in _keys(username, ip))


def note_failure(username: str | None, ip: str | None) -> None:
    """Count one failed sign-in; reaching a limit within the window locks for LOCK_SECONDS."""
    for key, limit in _keys(username, ip):
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS)
            count = 1
        if count >= limit:
            cache.set(f"{key}:locked", True, timeout=LOCK_SECONDS)


def note_success(username: str | None) -> None:
    """A successful sign-in clears the username's failure count (not the IP's)."""
    for key, _ in _keys(username, None):
        cache.delete(key)


def clear(username: str | None = None, ip: str | None = None) -> None:
    """Lift a lock and its counts (admins, tests)."""
    for key, _ in _keys(username, ip):
        cache.delete_many([key, f"{key}:locked"])
