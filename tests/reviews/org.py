"""A small org for review and alert tests, on a frozen "now" of Friday 2026-03-20 12:00 UTC.

Squads alpha (area payments, PM `pm_alpha` in the `users` fixture) and bravo (area growth).
Releases are placed by hand so every change failure rate below is worked out in the tests:
change_failure_rate = 100 × rolled back / all releases of the month, sample_size = releases;
its confidence floor is 5 releases.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.db import connection

from metrics.kpis import rollup
from metrics.models import Release
from tests.factories import ReleaseFactory

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
_day = itertools.count(1)


def releases(squad, month: int, *, ok: int = 0, failed: int = 0, day: int | None = None) -> None:
    """`ok` succeeded and `failed` rolled-back releases of `squad` in 2026-`month` (days 1..28)."""
    for status, n in ((Release.Status.SUCCEEDED, ok), (Release.Status.ROLLED_BACK, failed)):
        for _ in range(n):
            d = day or (next(_day) % 18) + 1
            ReleaseFactory(squad=squad, status=status, released_at=dt.datetime(2026, month, d, 10, 0, tzinfo=UTC))


def run_rollup(kind: str, capture, *, now: dt.datetime = NOW) -> None:
    """Run an incremental or full rollup and the after-commit work it triggers (alert evaluation)."""
    with capture(execute=True):
        if kind == "full":
            rollup.full_rollup(now=now)
        else:
            rollup.incremental_rollup(now=now)
    assert connection.in_atomic_block  # the test transaction: nothing escaped it
