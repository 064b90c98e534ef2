"""Copy every table of the test database out and back (PostgreSQL COPY), so a set-up that a
transactional test builds at a cost (a generated org, rolled up) is built once per session and
restored for the next test: the flush after each transactional test empties every table.

The restore puts back ALL tables as they were at the copy (content types, permissions and role
groups included, whose ids a flush renumbers), so a test sees exactly the database it would have
built. On SQLite (outside CI) nothing is copied and the set-up is simply built each time."""

from __future__ import annotations

import io

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.management.color import no_style
from django.db import connection, transaction

Tables = dict[str, bytes]


def can_copy() -> bool:
    return connection.vendor == "postgresql"


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def copy_out() -> Tables:
    """Every table's rows, in COPY's text format."""
    rows: Tables = {}
    with connection.cursor() as cursor:
        for table in _tables():
            buffer = io.BytesIO()
            cursor.cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} TO STDOUT", buffer)
            rows[table] = buffer.getvalue()
    return rows


def copy_in(rows: Tables) -> None:
    """Replace every table's rows by `rows`; sequences continue after the restored ids."""
    quoted = ", ".join(connection.ops.quote_name(table) for table in rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted} CASCADE")
        for table, data in rows.items():
            if data:
                cursor.cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} FROM STDIN", io.BytesIO(data))
        for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
            cursor.execute(statement)
    ContentType.objects.clear_cache()  # the restored content types may have other ids than the cached ones
    # Restored rows repeat the ids an earlier test saw (its rollup run, say): anything cached under
    # such an id (rendered page fragments) would be that test's, not built from this database.
    for cache in caches.all():
        cache.clear()
