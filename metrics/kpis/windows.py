"""Windows of time: how a full rollup is cut into independent, bounded pieces of work.

A window is a half-open range of days `[from, to)` (`None` = unbounded) and owns, at every
grain, the periods whose *first day* lies in it — so the windows of a plan partition every
period of every grain, and a period is always computed whole by one window: medians and
the union of outages need no combining across windows. The first window of a plan is open
towards the past and the last towards the future, so together they also own every stored
snapshot that should not exist (before the first record, after the current period).

A full rollup runs the windows one after the other (memory bounded by the records of one
window, not by the whole history); the distributed rollup sends one Celery task per window.
Windows start on month boundaries, sized so that each holds about `RECORDS_PER_WINDOW` records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection

from metrics.kpis.periods import GRAINS, ordinal_of, period_start_for, start_of_ordinal
from metrics.records.models import PERIOD_FIELD

#: About this many records per window: one window's loaded records and grids stay well
#: under 1 GB (a 1M-record org is one window in a single-process rollup).
RECORDS_PER_WINDOW = 1_200_000
#: A distributed full rollup sends at least this many units (when there are that many months),
#: and at least two per worker: on the 1M bench org a unit costs ≈ 0.5 s of fixed work (its own
#: loads, connections, run record), so 8 units on 2 workers did worse than 4.
MIN_DISTRIBUTED_UNITS = 4


@dataclass(frozen=True)
class Window:
    start: date | None  # first day owned (None: everything before `end`)
    end: date | None  # first day not owned (None: everything from `start` on)
    grains: tuple[str, ...] = GRAINS

    def as_unit(self) -> dict:
        unit: dict = {"from": _iso(self.start), "to": _iso(self.end)}
        if self.grains != GRAINS:
            unit["grains"] = list(self.grains)
        return unit

    def periods(self, grain: str, first_day: date, now: datetime) -> tuple[int, int]:
        """Ordinals [lo, hi] of the periods of `grain` this window computes (lo > hi: none):
        those starting in the window, from the first record's period to the current one."""
        lo, hi = ordinal_of(grain, first_day), ordinal_of(grain, now)
        if self.start is not None:
            owned = ordinal_of(grain, self.start)
            lo = max(lo, owned if start_of_ordinal(grain, owned) >= self.start else owned + 1)
        if self.end is not None:
            hi = min(hi, ordinal_of(grain, self.end - timedelta(days=1)))
        return lo, hi


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def window_of_unit(unit: dict) -> Window:
    """The window of a unit message; also reads the per-grain units of earlier versions
    (`{"grain": "week", "since": None}`: every period of one grain from the one holding `since`)."""
    if "grain" in unit:
        grain = unit["grain"]
        if grain not in GRAINS:
            raise ValueError(f"unknown grain {grain!r} in rollup unit")
        since = unit.get("since")
        return Window(period_start_for(grain, date.fromisoformat(since)) if since else None, None, (grain,))
    grains = tuple(g for g in GRAINS if g in unit.get("grains", GRAINS))
    start, end = (date.fromisoformat(unit[k]) if unit.get(k) else None for k in ("from", "to"))
    if start is not None and end is not None and end <= start:
        raise ValueError(f"empty rollup unit {unit!r}")
    return Window(start, end, grains or GRAINS)


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_day(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def plan(first_day: date | None, now: datetime, *, since: date | None = None, parts: int | None = None) -> list[Window]:
    """Windows covering every period from the first record's (or `since`'s) to the current one.

    `parts`: how many windows (at most one per month); by default as many as the records need.
    """
    if first_day is None:
        return [Window(None, None)]  # no records: every stored snapshot goes
    start = min(period_start_for(g, since) for g in GRAINS) if since else None
    begin = max(first_day, since or first_day)
    first_month, last_month = _month(begin), _month(now.astimezone(UTC).date())
    months = max(last_month - first_month + 1, 1)
    count = max(1, min(parts or math.ceil(record_estimate() / RECORDS_PER_WINDOW), months))
    # boundaries on month starts, the months split as evenly as possible
    cuts = [_month_day(first_month + round(i * months / count)) for i in range(1, count)]
    cuts = [c for c in cuts if start is None or c > start]
    edges = [start, *cuts, None]
    return [Window(a, b) for a, b in zip(edges, edges[1:], strict=False)]


def distributed_parts(workers: int = 0) -> int:
    """How many units a distributed full rollup sends, given how many workers will take them."""
    return max(MIN_DISTRIBUTED_UNITS, 2 * workers, math.ceil(record_estimate() / RECORDS_PER_WINDOW))


def record_estimate() -> int:
    """About how many records there are: the planner's row estimates on PostgreSQL (free, kept by
    ANALYZE/autovacuum), a count elsewhere (or before the first ANALYZE)."""
    models = list(PERIOD_FIELD)
    if connection.vendor == "postgresql":
        tables = [m._meta.db_table for m in models]
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [tables])
            estimates = dict(cursor.fetchall())
        if all(estimates.get(t, -1) >= 0 for t in tables):
            return int(sum(estimates[t] for t in tables))
    return sum(m.objects.count() for m in models)
