"""Apply migrations once even when several web replicas start at the same moment.

On PostgreSQL a session-level advisory lock serialises `migrate`: the first
replica migrates, the others wait, then find nothing to do. On SQLite (one
machine, one web process) it simply migrates.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")

# An arbitrary constant shared by every replica: "productops migrate".
MIGRATE_LOCK_KEY = 0x70726F6D


def main() -> None:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    if connection.vendor != "postgresql":
        call_command("migrate", interactive=False)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
    try:
        call_command("migrate", interactive=False)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])


if __name__ == "__main__":
    main()
