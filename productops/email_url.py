"""`EMAIL_URL` → Django e-mail settings.

    smtp://host:25                     plain SMTP
    smtp://user:pass@host:587?tls=1    STARTTLS (also: submission://host:587)
    smtps://user:pass@host:465         SMTP over TLS
    console://                         print messages (the default when EMAIL_URL is unset)
    locmem://                          keep messages in memory (tests)

User and password may be percent-encoded. Unknown schemes fail fast.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "submission": "django.core.mail.backends.smtp.EmailBackend",
}
_TRUE = {"1", "true", "yes", "on"}


def email_settings(url: str) -> dict[str, object]:
    """The EMAIL_* settings an `EMAIL_URL` stands for (console backend for an empty URL)."""
    if not url:
        return {"EMAIL_BACKEND": _BACKENDS["console"]}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _BACKENDS:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {scheme!r} is not one of {', '.join(sorted(_BACKENDS))}")
    out: dict[str, object] = {"EMAIL_BACKEND": _BACKENDS[scheme]}
    if scheme in {"console", "locmem"}:
        return out
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL names no host")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL port: {exc}") from None
    default_port = {"smtps": 465, "submission": 587}.get(scheme, 25)
    out.update({
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or default_port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": scheme == "smtps" or query.get("ssl", "").lower() in _TRUE,
        "EMAIL_USE_TLS": scheme == "submission" or query.get("tls", "").lower() in _TRUE,
        "EMAIL_TIMEOUT": int(query.get("timeout", "10")),
    })
    if out["EMAIL_USE_SSL"] and out["EMAIL_USE_TLS"]:
        raise ImproperlyConfigured("EMAIL_URL: choose one of TLS (STARTTLS) and SSL")
    return out
