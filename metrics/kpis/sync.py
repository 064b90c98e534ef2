"""Full-rollup writes: compare a window's computed grids with its stored snapshots, write the
difference ("Snapshots" in docs/kpis.md).

The stored rows of a window are read as integer codes (grain, metric and scope as positions
in fixed lists, the day as a number) rather than strings, placed on the same dense
KPI × scope × period grid the formulas compute, and compared element-wise in numpy: a
nightly run that finds nothing new costs one read and a vector compare per grain, and
writes only the rows that are new or changed. Rows that should not exist (a scope or
KPI gone, a period outside the data) are deleted with one statement per grain, and only
when some exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.db import connection

from metrics.kpis.catalog import KPIS
from metrics.kpis.frames import _fetch
from metrics.kpis.models import KpiSnapshot
from metrics.kpis.periods import GRAINS, ordinal_of_days, ordinal_start_days

ALL_CODES = [kpi.code for kpi in KPIS]


@dataclass
class Stored:
    """Stored snapshots of one window as parallel arrays; -1 where a name is unknown."""

    grain: np.ndarray
    metric: np.ndarray  # position in ALL_CODES
    scope: np.ndarray  # position in the scope names
    day: np.ndarray  # days since 1970-01-01
    value: np.ndarray
    size: np.ndarray


COLUMNS = ["grain", "metric", "scope", "day", "value", "size"]


def stored_from(frame: pd.DataFrame) -> Stored:
    return Stored(*(frame[c].to_numpy() for c in COLUMNS))


def load_stored(
    names: list[str], grains: tuple[str, ...], start: date | None, end: date | None, *, spec_only: bool = False
) -> Stored | tuple:
    """The stored snapshots of `grains` with period_start in [start, end). `spec_only` (PostgreSQL):
    the arguments of `metrics.kpis.frames._fetch` instead, to load beside the records."""
    table = KpiSnapshot._meta.db_table
    # known scopes only: the index on (grain, scope, period_start) then reads just the window's rows
    # (the rows of gone scopes are found by `metrics.kpis.rollup._stored_state` instead)
    where, params = ["grain = ANY(%s) AND scope = ANY(%s)"], [list(grains), names]
    if connection.vendor != "postgresql":
        where, params = [f"grain IN ({', '.join(['%s'] * len(grains))})"], list(grains)
    if start is not None:
        where.append("period_start >= %s")
        params.append(connection.ops.adapt_datefield_value(start))
    if end is not None:
        where.append("period_start < %s")
        params.append(connection.ops.adapt_datefield_value(end))
    condition = " AND ".join(where)
    columns = COLUMNS
    if connection.vendor == "postgresql":
        # names → positions in SQL (short lists, searched per row; a join on them was planned as a
        # nested loop): the rows arrive as fixed-width numbers
        sql = (
            "SELECT COALESCE(array_position(%s::text[], grain::text), 0) - 1,"
            " COALESCE(array_position(%s::text[], metric::text), 0) - 1,"
            " COALESCE(array_position(%s::text[], scope::text), 0) - 1,"
            f" period_start - DATE '1970-01-01', value, sample_size FROM {table} WHERE {condition}"
        )
        dtypes = dict.fromkeys(columns, "int64") | {"value": "float64"}
        spec = (sql, [list(GRAINS), ALL_CODES, names, *params], columns, dtypes)
        return spec if spec_only else stored_from(_fetch(*spec))
    with connection.cursor() as cursor:
        sql = f"SELECT grain, metric, scope, period_start, value, sample_size FROM {table} WHERE {condition}"
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    positions = [{name: i for i, name in enumerate(seq)} for seq in (GRAINS, ALL_CODES, names)]
    epoch = date(1970, 1, 1)
    return Stored(
        *(np.array([positions[c].get(r[c], -1) for r in rows], dtype=np.int64) for c in range(3)),
        np.array([(date.fromisoformat(str(r[3])) - epoch).days for r in rows], dtype=np.int64),
        np.array([np.nan if r[4] is None else r[4] for r in rows], dtype=float),
        np.array([r[5] for r in rows], dtype=np.int64),
    )


def _ranks(names: list[str]) -> np.ndarray:
    """Each name's position in sorted order."""
    ranks = np.empty(len(names), dtype=np.int64)
    ranks[np.argsort(np.asarray(names, dtype=object), kind="stable")] = np.arange(len(names))
    return ranks


@dataclass
class GrainDiff:
    rows: pd.DataFrame | None  # new or changed rows in storage form (None: none)
    fresh: bool  # nothing of this grain was stored in the window: the rows can be inserted
    stale: bool  # stored rows exist that should not


def diff_grain(
    grain: str,
    codes: list[str],
    values: np.ndarray,
    sizes: np.ndarray,
    periods: tuple[int, int],
    names: list[str],
    stored: Stored,
) -> GrainDiff:
    """Compare the grids `values`/`sizes` (KPI × (scope × period), scope-major, periods
    `periods` inclusive) with the stored rows of `grain`."""
    lo, hi = periods
    width = hi - lo + 1
    mine = stored.grain == GRAINS.index(grain)
    day = stored.day[mine]
    to_k = np.full(len(ALL_CODES) + 1, -1, dtype=np.int64)  # position -1 (unknown) reads the last: -1
    to_k[[ALL_CODES.index(code) for code in codes]] = np.arange(len(codes))
    k, s = to_k[stored.metric[mine]], stored.scope[mine]
    p = ordinal_of_days(grain, day)
    valid = (k >= 0) & (s >= 0) & (p >= lo) & (p <= hi) & (ordinal_start_days(grain, p) == day)
    stale = bool((~valid).any())
    if width <= 0 or not len(codes):
        return GrainDiff(None, True, stale)
    cells = len(names) * width
    pos = k[valid] * cells + s[valid] * width + (p[valid] - lo)
    present = np.zeros(len(codes) * cells, dtype=bool)
    present[pos] = True
    old_value = np.full(len(present), np.nan)
    old_value[pos] = stored.value[mine][valid]
    old_size = np.full(len(present), -1, dtype=np.int64)
    old_size[pos] = stored.size[mine][valid]
    new_value, new_size = values.ravel(), sizes.ravel()
    same_value = (new_value == old_value) | (np.isnan(new_value) & np.isnan(old_value))
    changed = np.flatnonzero(~(present & same_value & (new_size == old_size)))
    if not len(changed):
        return GrainDiff(None, False, stale)
    kpi, rest = np.divmod(changed, cells)
    scope, offset = np.divmod(rest, width)
    # key order (metric, scope, period_start), as every writer writes: concurrent writers never deadlock
    order = np.lexsort((offset, _ranks(names)[scope], _ranks(codes)[kpi]))
    changed, kpi, scope, offset = changed[order], kpi[order], scope[order], offset[order]
    rows = pd.DataFrame(
        {
            "metric": np.asarray(codes, dtype=object)[kpi],
            "scope": np.asarray(names, dtype=object)[scope],
            "grain": grain,
            "period_start": ordinal_start_days(grain, offset + lo).astype("datetime64[D]"),
            "value": new_value[changed],
            "sample_size": new_size[changed],
        }
    )
    return GrainDiff(rows, not present.any(), stale)
