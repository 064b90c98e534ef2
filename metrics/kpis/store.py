"""Writing snapshot rows: bulk upsert in key order, and removal of rows no longer valid.

The full rollup (`metrics.kpis.sync`) compares the recomputed rows with the stored
ones and writes only the rows that are new or whose value or sample size changed:
writing is by far the slowest part of a rollup, and a nightly full run mostly
confirms what the incremental runs already wrote. `computed_at` is therefore
when a row's current value was written; when the KPIs were last *checked* is
the latest `RollupRun`. Rows of which none were stored go in with a plain `COPY`
(`write_rows`).

On PostgreSQL the rows are COPYed (binary, `metrics.kpis.pgcopy`) into a temporary
table and merged with one `INSERT … SELECT … ORDER BY … ON CONFLICT DO UPDATE` (fast
for hundreds of thousands of rows); elsewhere `bulk_create(update_conflicts=True)` in batches.
Both write in (metric, scope, grain, period_start) order, so two concurrent
writers lock rows in the same order and cannot deadlock. Call inside a transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from metrics.kpis.catalog import kpis_for_grain
from metrics.kpis.models import KpiSnapshot
from metrics.kpis.pgcopy import copy_binary

KEY = ["metric", "scope", "grain", "period_start"]
BATCH = 5000


def upsert_snapshots(rows: pd.DataFrame) -> int:
    """Insert or update one snapshot per row (columns: metric, scope, grain, period_start, value,
    sample_size); returns how many rows were written."""
    if rows is None or not len(rows):
        return 0
    rows = rows.sort_values(KEY, kind="stable")
    computed_at = timezone.now()
    if connection.vendor == "postgresql":
        return _upsert_postgresql(rows, computed_at)
    values = rows["value"].to_numpy(dtype=float)
    objects = [
        KpiSnapshot(
            metric=metric,
            scope=scope,
            grain=grain,
            period_start=pd.Timestamp(start).date(),
            value=None if np.isnan(value) else float(value),
            sample_size=int(size),
            computed_at=computed_at,
        )
        for metric, scope, grain, start, value, size in zip(
            rows["metric"],
            rows["scope"],
            rows["grain"],
            rows["period_start"],
            values,
            rows["sample_size"],
            strict=True,
        )
    ]
    KpiSnapshot.objects.bulk_create(
        objects,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=KEY,
        update_fields=["value", "sample_size", "computed_at"],
    )
    return len(objects)


def write_rows(rows: pd.DataFrame, *, fresh: bool) -> int:
    """Write rows of one grain, already in key order. `fresh`: none of their keys was stored when
    compared, so on PostgreSQL they are COPYed straight into the table (no staging, no conflict
    check: the first build of a large org is bound by this); should a concurrent writer have
    inserted some meanwhile, the savepoint rolls back and the rows are upserted instead."""
    if not len(rows):
        return 0
    if fresh and connection.vendor == "postgresql":
        table = KpiSnapshot._meta.db_table
        buffer = copy_binary(rows, timezone.now())
        try:
            # copy_expert is psycopg2's own: its errors become Django's only inside wrap_database_errors
            with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
                cursor.copy_expert(
                    f"COPY {table} (metric, scope, grain, period_start, value, sample_size, computed_at)"
                    " FROM STDIN WITH (FORMAT binary)",
                    buffer,
                )
            return len(rows)
        except IntegrityError:
            pass
    return upsert_snapshots(rows)


def _upsert_postgresql(rows: pd.DataFrame, computed_at: object) -> int:
    table = KpiSnapshot._meta.db_table
    buffer = copy_binary(rows)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS kpi_upsert")
        cursor.execute(
            "CREATE TEMP TABLE kpi_upsert (metric varchar(64), scope varchar(140), grain varchar(8),"
            " period_start date, value double precision, sample_size integer) ON COMMIT DROP"
        )
        cursor.copy_expert("COPY kpi_upsert FROM STDIN WITH (FORMAT binary)", buffer)
        cursor.execute(
            f"INSERT INTO {table} (metric, scope, grain, period_start, value, sample_size, computed_at)"
            " SELECT metric, scope, grain, period_start, value, sample_size, %s FROM kpi_upsert"
            " ORDER BY metric, scope, grain, period_start"
            " ON CONFLICT (metric, scope, grain, period_start) DO UPDATE SET value = EXCLUDED.value,"
            " sample_size = EXCLUDED.sample_size, computed_at = EXCLUDED.computed_at",
            [computed_at],
        )
        cursor.execute("DROP TABLE kpi_upsert")
    return len(rows)


def delete_snapshots(
    *,
    grain: str,
    keep_scopes: Iterable[str],
    first: date | None,
    last: date | None,
    within: tuple[date | None, date | None] = (None, None),
) -> int:
    """Delete the snapshots of `grain` that should not exist: scopes not in `keep_scopes`, periods
    outside [first, last] (all of them when `first` is None), metrics not computed at this grain.
    `within`: only among the rows with period_start in [within[0], within[1]) (a window)."""
    stale = KpiSnapshot.objects.filter(grain=grain)
    if within[0] is not None:
        stale = stale.filter(period_start__gte=within[0])
    if within[1] is not None:
        stale = stale.filter(period_start__lt=within[1])
    if first is None:
        return stale.delete()[0]
    from django.db.models import Q

    condition = (
        ~Q(scope__in=list(keep_scopes))
        | Q(period_start__lt=first)
        | Q(period_start__gt=last)
        | ~Q(metric__in=[kpi.code for kpi in kpis_for_grain(grain)])
    )
    return stale.filter(condition).delete()[0]
