"""`EMAIL_URL` → Django's default mailer (`MAILERS["default"]`).

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


def mailers_setting(url: str) -> dict[str, dict[str, object]]:
    """The `MAILERS` setting an `EMAIL_URL` stands for (the console backend for an empty URL)."""
    backend, options = _parse(url)
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


def _parse(url: str) -> tuple[str, dict[str, object]]:
    if not url:
        return _BACKENDS["console"], {}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _BACKENDS:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {scheme!r} is not one of {', '.join(sorted(_BACKENDS))}")
    if scheme in {"console", "locmem"}:
        return _BACKENDS[scheme], {}
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL names no host")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL port: {exc}") from None
    default_port = {"smtps": 465, "submission": 587}.get(scheme, 25)
    try:
        timeout = int(query.get("timeout", "10"))
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL timeout must be a whole number of seconds") from None
    options: dict[str, object] = {
        "host": parts.hostname,
        "port": port or default_port,
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_ssl": scheme == "smtps" or query.get("ssl", "").lower() in _TRUE,
        "use_tls": scheme == "submission" or query.get("tls", "").lower() in _TRUE,
        "timeout": timeout,
    }
    if options["use_ssl"] and options["use_tls"]:
        raise ImproperlyConfigured("EMAIL_URL: choose one of TLS (STARTTLS) and SSL")
    return _BACKENDS[scheme], options
