"""The rollup: KPI snapshots recomputed from the records and upserted ("Snapshots" in docs/kpis.md).

Every scope (`org`, `area:<slug>`, `squad:<slug>` — every area and squad that
exists), every grain and every period from the one holding the earliest record
of any kind to the current one. Two ways in:

- `full_rollup()` recomputes everything, one window of time after the other
  (`metrics.kpis.windows`: each owns the periods that start in it, at every grain),
  so memory holds one window's records. The same windows are the independent
  *units* of the distributed rollup (`rollup_units()` / `run_unit(unit)`); each is
  idempotent and writes in its own short transaction.
- `incremental_rollup()` claims the `DirtyRange` rows written with record changes
  and recomputes only the periods they touch (plus periods whose length grew
  because time passed); the dirty rows are deleted in the same transaction that
  writes the recomputed snapshots, so a crash loses nothing.

Concurrency: writers of a grain hold a PostgreSQL advisory lock for that grain
(taken in grain order, so never a deadlock) from loading the records to writing
the rows: shared by full-rollup windows (they write disjoint rows), exclusive for
the incremental rollup, which so never interleaves with them. Rows are written
in (metric, scope, grain, period_start) order. On SQLite locks are no-ops.

Every entry point takes `now` (default: the current time; tests freeze it) and
returns the number of snapshot rows written: a full unit compares its rows with
the stored ones and writes only the new or changed ones, so a nightly run that
finds nothing new writes little more than the current periods' uptime.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from metrics.kpis.catalog import GRAINS, kpis_for_grain
from metrics.kpis.frames import Frames, Scopes, earliest_record_day, load_frames, load_scopes
from metrics.kpis.liveness import close_abandoned_runs, holding_run_lock
from metrics.kpis.models import DirtyRange, KpiSnapshot, RollupRun
from metrics.kpis.periods import (
    ordinal_of,
    ordinal_start_days,
    period_bounds,
    period_start_for,
    start_of_ordinal,
    to_us,
)
from metrics.kpis.store import delete_snapshots, upsert_snapshots, write_rows
from metrics.kpis.sync import GrainDiff, diff_grain, load_stored, stored_from
from metrics.kpis.windows import Window, distributed_parts, plan, window_of_unit

logger = logging.getLogger(__name__)

_LOCK_BASE = 0x4B50_0000  # "KP": advisory lock keys of this app, one per grain


@contextmanager
def grain_locks(grains: tuple[str, ...] | list[str], *, shared: bool = False) -> Iterator[None]:
    """Hold the advisory locks of `grains` (waiting for them, in grain order); no-op off PostgreSQL.

    `shared`: full-rollup windows, which write disjoint rows, share them with each other;
    the incremental rollup (and anything else exclusive) waits for them all, and they for it."""
    keys = [_LOCK_BASE + GRAINS.index(g) for g in sorted(set(grains), key=GRAINS.index)]
    if connection.vendor != "postgresql":
        yield
        return
    kind = "_shared" if shared else ""
    taken: list[int] = []
    try:
        with connection.cursor() as cursor:
            for key in keys:
                cursor.execute(f"SELECT pg_advisory_lock{kind}(%s)", [key])
                taken.append(key)
        yield
    finally:
        with connection.cursor() as cursor:
            for key in reversed(taken):
                cursor.execute(f"SELECT pg_advisory_unlock{kind}(%s)", [key])


@contextmanager
def _recorded_run(kind: str, now: datetime) -> Iterator[RollupRun]:
    """A `RollupRun` row for the duration of the block: succeeded with a count, or failed with the error."""
    close_abandoned_runs()
    run = RollupRun.objects.create(kind=kind, started_at=now)
    try:
        with holding_run_lock(run):  # while held, rollup_status and /readyz know the run is alive
            yield run
    except BaseException as exc:
        run.status = RollupRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:5000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status = RollupRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "snapshots_written", "finished_at"])


def _now(now: datetime | None) -> datetime:
    return (now or timezone.now()).astimezone(UTC)


def compute_grain(frames: Frames, scopes: Scopes, grain: str, first: int, last: int, now: datetime) -> pd.DataFrame:
    """Every KPI of `grain` for every scope and period ordinal in [first, last].

    Returns columns metric, scope (index into `scopes.names`), p (period ordinal), value, sample_size.
    """
    from metrics.kpis.formulas import GrainContext

    ctx = GrainContext(frames=frames, scopes=scopes, grain=grain, first=first, last=last, now_us=to_us(now))
    parts = []
    for kpi in kpis_for_grain(grain):
        value, size = kpi.compute(ctx)
        parts.append(
            pd.DataFrame(
                {
                    "metric": kpi.code,
                    "scope": ctx.grid_scope,
                    "p": ctx.grid_p,
                    "value": value.to_numpy(dtype=float),
                    "sample_size": size.to_numpy(dtype=np.int64),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["metric", "scope", "p", "value", "sample_size"])
    return pd.concat(parts, ignore_index=True)


def _as_rows(result: pd.DataFrame, scopes: Scopes, grain: str) -> pd.DataFrame:
    """Computed rows in storage form: metric, scope (name), grain, period_start (date), value, sample_size."""
    names = np.asarray(scopes.names, dtype=object)
    days = ordinal_start_days(grain, result["p"].to_numpy())
    return pd.DataFrame(
        {
            "metric": result["metric"].to_numpy(),
            "scope": names[result["scope"].to_numpy()],
            "grain": grain,
            "period_start": days.astype("datetime64[D]"),
            "value": result["value"].to_numpy(),
            "sample_size": result["sample_size"].to_numpy(),
        }
    )


def _first_day(now: datetime) -> date | None:
    """The day of the earliest record, or None when there is none up to now (no periods at all)."""
    first = earliest_record_day()
    return first if first is not None and first <= now.date() else None


def _period_range(grain: str, first_day: date, now: datetime) -> tuple[int, int]:
    return ordinal_of(grain, first_day), ordinal_of(grain, now)


def _window(grain_ranges: dict[str, tuple[int, int]]) -> tuple[datetime, datetime]:
    """[start, end) covering the given period ordinals of every grain."""
    starts = [period_bounds(g, start_of_ordinal(g, lo))[0] for g, (lo, _) in grain_ranges.items()]
    ends = [period_bounds(g, start_of_ordinal(g, hi))[1] for g, (_, hi) in grain_ranges.items()]
    return min(starts), max(ends)


# --- full rollup ----------------------------------------------------------------------------


def compute_dense(
    frames: Frames, scopes: Scopes, grain: str, first: int, last: int, now: datetime
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every KPI of `grain` as dense grids: (codes, values, sample sizes), each grid
    KPI × (scope × period), scope-major over periods [first, last]."""
    from metrics.kpis.formulas import GrainContext

    ctx = GrainContext(frames=frames, scopes=scopes, grain=grain, first=first, last=last, now_us=to_us(now))
    kpis = kpis_for_grain(grain)
    cells = len(scopes.names) * ctx.width
    values, sizes = np.empty((len(kpis), cells)), np.empty((len(kpis), cells), dtype=np.int64)
    for i, kpi in enumerate(kpis):
        value, size = kpi.compute(ctx)
        values[i], sizes[i] = value.to_numpy(dtype=float), size.to_numpy(dtype=np.int64)
    return [kpi.code for kpi in kpis], values, sizes


def rollup_units(
    *, since: date | None = None, now: datetime | None = None, parts: int | None = None, workers: int = 0
) -> list[dict]:
    """The independent units of a full rollup (JSON-serialisable): windows of time, at least
    `MIN_DISTRIBUTED_UNITS` of them and two per worker when the history is long enough (see
    `metrics.kpis.windows`); `parts` asks for a number instead."""
    now = _now(now)
    windows = plan(_first_day(now), now, since=since, parts=parts or distributed_parts(workers))
    return [w.as_unit() for w in windows]


def _run_window(window: Window, scopes: Scopes, first_day: date | None, now: datetime) -> int:
    """Compute one window's periods of its grains, compare them with the stored rows and write
    the difference in one transaction (the caller holds the grains' locks)."""
    periods = {g: window.periods(g, first_day, now) if first_day else (1, 0) for g in window.grains}
    ranges = {g: r for g, r in periods.items() if r[0] <= r[1]}
    frames, stored = None, None
    if ranges:
        whole = window.start is None and window.end is None
        also = {}
        if connection.vendor == "postgresql":  # the stored rows load beside the records
            also["stored"] = load_stored(scopes.names, window.grains, window.start, window.end, spec_only=True)
        frames = load_frames(None if whole else _window(ranges), also=also)
        stored = stored_from(frames.also.pop("stored")) if also else None
    if stored is None:
        stored = load_stored(scopes.names, window.grains, window.start, window.end)
    gone = _gone_scopes(window, scopes) if connection.vendor == "postgresql" else set()
    # A first build of the window (nothing stored in it) COPYs each grain on its own connection and
    # in its own transaction as soon as the grain is computed, so PostgreSQL maintaining the indexes
    # (most of that build's time) overlaps the next grain's computing. Everything else is written
    # in one transaction.
    first_build = (
        len(ranges) > 1
        and not len(stored.grain)
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )
    apart: list[Future[int]] = []
    diffs = {}
    with ThreadPoolExecutor(max_workers=len(ranges) if first_build else 1) as pool:
        for grain, (lo, hi) in periods.items():
            dense = compute_dense(frames, scopes, grain, lo, hi, now) if grain in ranges else ([], None, None)
            diff = diff_grain(grain, *dense, (lo, hi), scopes.names, stored)
            if first_build and diff.fresh and not diff.stale and grain not in gone and diff.rows is not None:
                apart.append(pool.submit(_write_fresh_apart, diff.rows))
                diff = GrainDiff(None, diff.fresh, diff.stale)
            diffs[grain] = diff
        del frames, stored
        written = 0
        with transaction.atomic():
            for grain, diff in diffs.items():
                if diff.stale or grain in gone:
                    lo, hi = periods[grain]
                    delete_snapshots(
                        grain=grain,
                        keep_scopes=scopes.names,
                        first=start_of_ordinal(grain, lo) if lo <= hi else None,
                        last=start_of_ordinal(grain, hi) if lo <= hi else None,
                        within=(window.start, window.end),
                    )
                if diff.rows is not None:
                    written += write_rows(diff.rows, fresh=diff.fresh)
        written += sum(future.result() for future in apart)
    return written


def _write_fresh_apart(rows: pd.DataFrame) -> int:
    try:
        with transaction.atomic():
            return write_rows(rows, fresh=True)
    finally:
        connection.close()  # this worker thread's own connection


def _gone_scopes(window: Window, scopes: Scopes) -> set[str]:
    """The grains of `window` with stored rows in it of a scope that no longer exists."""
    known = set(scopes.names)
    out = set()
    for grain, stored in _stored_state(window.grains).items():
        for scope, (lo, hi) in stored.items():
            inside = (window.end is None or lo < window.end) and (window.start is None or hi >= window.start)
            if scope not in known and inside:
                out.add(grain)
    return out


def run_unit(unit: dict, *, now: datetime | None = None) -> int:
    """Run one unit of a full rollup on its own (e.g. in a Celery worker); returns snapshots written."""
    now = _now(now)
    window = window_of_unit(unit)
    with _recorded_run(RollupRun.Kind.FULL, now) as run, grain_locks(window.grains, shared=True):
        run.snapshots_written = _run_window(window, load_scopes(), _first_day(now), now)
    return run.snapshots_written


def full_rollup(*, since: date | None = None, now: datetime | None = None) -> int:
    """Recompute every snapshot (from the period holding `since`, when given); returns snapshots
    written. One window after the other: memory holds one window's records, however long the history."""
    now = _now(now)
    with _recorded_run(RollupRun.Kind.FULL, now) as run, grain_locks(GRAINS, shared=True):
        first_day = _first_day(now)
        scopes = load_scopes()
        windows = plan(first_day, now, since=since)
        run.snapshots_written = sum(_run_window(w, scopes, first_day, now) for w in windows)
    logger.info("full KPI rollup wrote %d snapshots", run.snapshots_written)
    return run.snapshots_written


# --- incremental rollup ---------------------------------------------------------------------


def _stored_state(grains: tuple[str, ...] = GRAINS) -> dict[str, dict[str, tuple[date, date]]]:
    """For each grain, each stored scope's first and last period_start.

    A loose index scan on (grain, scope, period_start): a few index probes per scope instead of
    reading every snapshot row, so it stays cheap however long the history is.
    """
    table = KpiSnapshot._meta.db_table
    sql = (
        f"WITH RECURSIVE t(scope) AS (SELECT MIN(scope) FROM {table} WHERE grain = %s"
        f" UNION ALL SELECT (SELECT MIN(scope) FROM {table} WHERE grain = %s AND scope > t.scope)"
        f" FROM t WHERE t.scope IS NOT NULL)"
        f" SELECT t.scope, (SELECT MIN(period_start) FROM {table} WHERE grain = %s AND scope = t.scope),"
        f" (SELECT MAX(period_start) FROM {table} WHERE grain = %s AND scope = t.scope)"
        f" FROM t WHERE t.scope IS NOT NULL"
    )
    state: dict[str, dict[str, tuple[date, date]]] = {}
    with connection.cursor() as cursor:
        for grain in grains:
            cursor.execute(sql, [grain] * 4)
            state[grain] = {scope: (_as_date(lo), _as_date(hi)) for scope, lo, hi in cursor.fetchall()}
    return state


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value  # SQLite returns text


def _last_run_started(now: datetime) -> datetime:
    last = (
        RollupRun.objects.filter(status=RollupRun.Status.SUCCEEDED)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return min(last, now) if last else now


def _targets(
    grain: str,
    dirty: list[tuple[int, str, date, date]],
    scopes: Scopes,
    stored: dict[str, tuple[date, date]],
    first_day: date,
    now: datetime,
) -> np.ndarray:
    """Boolean matrix scopes × periods (from the first to the current) that must be recomputed."""
    first, last = _period_range(grain, first_day, now)
    todo = np.zeros((len(scopes.names), last - first + 1), dtype=bool)
    index = scopes.index
    for _, scope, start, end in dirty:
        # clamp by period, not by day: a change on a day before the first record (say, that record
        # was deleted) still affects the period both days share
        lo = max(ordinal_of(grain, start), first) - first
        hi = min(ordinal_of(grain, end), last) - first
        if scope in index and lo <= hi:
            todo[index[scope], lo : hi + 1] = True
    # periods whose length grew because time passed since the last run (the current one at least)
    todo[:, max(0, ordinal_of(grain, _last_run_started(now)) - first) :] = True
    for name, i in index.items():
        if name not in stored:
            todo[i, :] = True  # a new squad or area (or nothing stored yet)
            continue
        stored_lo, stored_hi = stored[name]
        todo[i, : max(0, ordinal_of(grain, stored_lo) - first)] = True  # the data now starts earlier
        todo[i, max(0, ordinal_of(grain, stored_hi) - first + 1) :] = True  # periods begun since
    return todo


def _needs_delete(stored: dict[str, tuple[date, date]], scopes: Scopes, first: date | None, last: date) -> bool:
    """Whether stored snapshots of a grain exist that should not: gone scopes, periods out of range."""
    names = set(scopes.names) if first else set()
    return any(scope not in names or first is None or lo < first or hi > last for scope, (lo, hi) in stored.items())


def incremental_rollup(*, now: datetime | None = None) -> int:
    """Recompute the snapshots the pending dirty ranges (and the passing of time) affect."""
    now = _now(now)
    with _recorded_run(RollupRun.Kind.INCREMENTAL, now) as run, grain_locks(GRAINS):
        dirty = list(DirtyRange.objects.order_by("id").values_list("id", "scope", "start", "end"))
        first_day = _first_day(now)
        scopes = load_scopes()
        stored = _stored_state()
        pieces: list[pd.DataFrame] = []
        if first_day is not None:
            todos = {grain: _targets(grain, dirty, scopes, stored[grain], first_day, now) for grain in GRAINS}
            ranges = {}
            for grain, todo in todos.items():
                columns = np.flatnonzero(todo.any(axis=0))
                if len(columns):
                    first = _period_range(grain, first_day, now)[0]
                    ranges[grain] = (first + int(columns[0]), first + int(columns[-1]))
            frames = load_frames(_window(ranges)) if ranges else None
            for grain, (lo, hi) in ranges.items():
                first = _period_range(grain, first_day, now)[0]
                result = compute_grain(frames, scopes, grain, lo, hi, now)
                wanted = todos[grain][result["scope"].to_numpy(), result["p"].to_numpy() - first]
                pieces.append(_as_rows(result[wanted], scopes, grain))
        with transaction.atomic():
            for grain in GRAINS:
                first = period_start_for(grain, first_day) if first_day else None
                last = period_start_for(grain, now)
                if _needs_delete(stored[grain], scopes, first, last):
                    delete_snapshots(grain=grain, keep_scopes=scopes.names, first=first, last=last)
            written = upsert_snapshots(pd.concat(pieces, ignore_index=True)) if pieces else 0
            DirtyRange.objects.filter(id__in=[row[0] for row in dirty]).delete()
        run.snapshots_written = written
    return written


def ensure_snapshots(*, now: datetime | None = None) -> int:
    """Incremental rollup, or a full one when no snapshot exists yet (a fresh database)."""
    if not KpiSnapshot.objects.exists():
        return full_rollup(now=now)
    return incremental_rollup(now=now)


__all__ = [
    "compute_grain",
    "ensure_snapshots",
    "full_rollup",
    "grain_locks",
    "incremental_rollup",
    "rollup_units",
    "run_unit",
]
