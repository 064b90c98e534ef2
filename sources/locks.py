"""One run per source at a time (the schedule, a webhook and a person may overlap).

A PostgreSQL session advisory lock keyed by the source id, taken without
waiting: a second run finds it busy and steps aside. Elsewhere (SQLite, the
embedded default) runs are serial anyway and the lock is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_LOCK_SPACE = 0x5352  # "SR": advisory lock namespace of source runs


@contextmanager
def source_lock(source_id: int) -> Iterator[bool]:
    """Yields True when this process holds the source's lock, False when another run does."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_SPACE, source_id])
        taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_SPACE, source_id])
