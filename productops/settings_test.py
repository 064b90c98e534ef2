"""Settings for the test suite: the production settings with test-speed choices.

MD5 hashes passwords (Argon2 made every `UserFactory` call cost a noticeable
fraction of a second), `STATIC_ROOT` points at a directory that exists, so
WhiteNoise does not warn "No directory at …/staticfiles/" on every request, and
static files are served unhashed from the source folders (no collectstatic).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from productops.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STATIC_ROOT = Path(tempfile.gettempdir()) / "productops-test-staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Pages under test link unhashed static names served from the source folders: the hashed,
# compressed storage needs `collectstatic` first (bin/start and the image run it; the
# fresh-clone test, tests/test_first_run.py, covers that path with the real settings; the
# production checks, run with DJANGO_ENV=production, collect and keep the real storage).
if not PRODUCTION:  # noqa: F405
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
