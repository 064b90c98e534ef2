from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_lockout_counts():
    """Lockout counts live in the cache; every test starts without any."""
    cache.clear()
    yield
    cache.clear()
