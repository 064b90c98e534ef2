"""Settings for the test suite: the production settings with test-speed choices.

MD5 hashes passwords (Argon2 made every `UserFactory` call cost a noticeable
fraction of a second) and `STATIC_ROOT` points at a directory that exists, so
WhiteNoise does not warn "No directory at …/staticfiles/" on every request.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from productops.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STATIC_ROOT = Path(tempfile.gettempdir()) / "productops-test-staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
