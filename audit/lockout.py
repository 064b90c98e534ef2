"""Failed sign-ins: a username is locked for a while; an address is slowed down, never locked.

- 5 failures for one username within 15 minutes lock that username for 15 minutes
  (guessing one account's password).
- 20 failures from one client address within 15 minutes put the address on a throttle:
  from then on it gets one attempt per `LOGIN_IP_THROTTLE_SECONDS` (10 s), each further
  failure restarting the wait. Someone spraying random usernames is slowed to a crawl,
  while a real user sharing that address (an office NAT) still signs in by waiting a few
  seconds — and users elsewhere are not affected at all.

The address is the real client's (`audit.context.client_ip`: the proxy's
`X-Forwarded-For` counts only when the request comes from a `TRUSTED_PROXIES` peer).
Counts live in Django's cache (Redis in production, so every web process sees them).
The rule is enforced by `audit.backends.LockoutModelBackend`, which every sign-in path
goes through (the login page, the admin login, anything calling `authenticate`); the
forms in `audit.forms` only add a clear message.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

FAILURE_LIMIT: int = getattr(settings, "LOGIN_FAILURE_LIMIT", 5)
IP_FAILURE_LIMIT: int = getattr(settings, "LOGIN_IP_FAILURE_LIMIT", 20)
IP_THROTTLE_SECONDS: int = getattr(settings, "LOGIN_IP_THROTTLE_SECONDS", 10)
WINDOW_SECONDS: int = getattr(settings, "LOGIN_FAILURE_WINDOW", 15 * 60)
LOCK_SECONDS: int = getattr(settings, "LOGIN_LOCKOUT_SECONDS", 15 * 60)

MESSAGE = "Too many failed sign-ins. Please wait 15 minutes before trying again."
THROTTLE_MESSAGE = "Too many failed sign-ins from your network. Please wait a few seconds and try again."


def _user_key(username: str | None) -> str | None:
    return f"login-fail:user:{username.strip().lower()}" if username and username.strip() else None


def _ip_key(ip: str | None) -> str | None:
    return f"login-fail:ip:{ip}" if ip else None


def refusal(username: str | None, ip: str | None) -> str | None:
    """Why a sign-in must be refused right now (the message to show), or None."""
    user_key, ip_key = _user_key(username), _ip_key(ip)
    if user_key and cache.get(f"{user_key}:locked"):
        return MESSAGE
    if ip_key and cache.get(f"{ip_key}:wait"):
        return THROTTLE_MESSAGE
    return None


def is_locked(username: str | None, ip: str | None) -> bool:
    """True while the username is locked or the address must wait."""
    return refusal(username, ip) is not None


def _count(key: str) -> int:
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        return 1


def note_failure(username: str | None, ip: str | None) -> None:
    """Count one failed sign-in: the username's limit locks it, the address's limit slows it."""
    user_key, ip_key = _user_key(username), _ip_key(ip)
    if user_key and _count(user_key) >= FAILURE_LIMIT:
        cache.set(f"{user_key}:locked", True, timeout=LOCK_SECONDS)
    if ip_key and _count(ip_key) >= IP_FAILURE_LIMIT:
        cache.set(f"{ip_key}:wait", True, timeout=IP_THROTTLE_SECONDS)


def note_success(username: str | None) -> None:
    """A successful sign-in clears the username's failure count (not the address's)."""
    user_key = _user_key(username)
    if user_key:
        cache.delete(user_key)


def clear(username: str | None = None, ip: str | None = None) -> None:
    """Lift a lock or throttle and its counts (admins, tests)."""
    user_key, ip_key = _user_key(username), _ip_key(ip)
    if user_key:
        cache.delete_many([user_key, f"{user_key}:locked"])
    if ip_key:
        cache.delete_many([ip_key, f"{ip_key}:wait"])
