"""Source credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

The key comes from `SOURCES_ENCRYPTION_KEY` (a Fernet key, preferred: it can be
rotated apart from SECRET_KEY) or, when that is unset, is derived from
SECRET_KEY. Ciphertext is only ever decrypted to call the tool; the admin
never shows it back and the audit trail never sees it.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret that the current key cannot decrypt (the key changed)."""


def _fernet() -> Fernet:
    configured = getattr(settings, "SOURCES_ENCRYPTION_KEY", "")
    if configured:
        try:
            return Fernet(configured)
        except ValueError as exc:
            raise ImproperlyConfigured(
                "SOURCES_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64 bytes)"
            ) from exc
    digest = hashlib.sha256(b"productops.sources:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    """Ciphertext for `plain` ("" stays "": no secret stored)."""
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(cipher: str) -> str:
    if not cipher:
        return ""
    try:
        return _fernet().decrypt(cipher.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("the stored secret cannot be decrypted with the current key; enter it again") from exc
