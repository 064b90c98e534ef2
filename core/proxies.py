"""Which peer may speak for the client: forwarded headers count only from a trusted proxy.

Behind the TLS proxy every request's `REMOTE_ADDR` is the proxy. The proxy tells us the
real client (`X-Forwarded-For`) and the scheme (`X-Forwarded-Proto`), but any client can
send those headers too — so they are believed only when the peer itself is listed in
`TRUSTED_PROXIES` (addresses or networks, e.g. `127.0.0.1,::1,172.18.0.0/16`).
`TrustedProxyMiddleware` drops them from every other request, before the HTTPS redirect
or anything else reads them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(addr: str | None, networks: Iterable[Network] | None = None) -> bool:
    ip = _address(addr or "")
    if ip is None:
        return False
    return any(ip in net for net in (trusted_networks() if networks is None else networks))


def client_address(meta: dict) -> str | None:
    """The client's address: the peer, or — when the peer is a trusted proxy — the right-most
    `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its left are
    client-supplied and could be anything)."""
    peer = meta.get("REMOTE_ADDR") or None
    networks = trusted_networks()
    if not is_trusted_proxy(peer, networks):
        return peer
    hops = [hop.strip() for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return peer  # a garbled header: fall back to the proxy itself
        if not any(ip in net for net in networks):
            return str(ip)
    return str(_address(hops[0])) if hops else peer


class TrustedProxyMiddleware:
    """First in the chain: forwarded headers from anyone but a trusted proxy are removed, so
    `SECURE_PROXY_SSL_HEADER` and the sign-in throttle cannot be fooled by a direct client."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
