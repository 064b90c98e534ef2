"""Column loads of the records the KPI formulas need, as pandas DataFrames.

Only the needed columns are read, never model objects: on PostgreSQL through
`COPY (SELECT …) TO STDOUT (FORMAT binary)` read by `np.frombuffer` as fixed-width
records (no text is formatted by the server nor parsed here), elsewhere through a
plain cursor. Timestamps arrive as int64
microseconds since the epoch (UTC); nullable ones as float64 (exact below 2**53).
A window `[start, end)` restricts each kind to the rows that can affect periods
inside it (an incremental rollup); `None` loads everything (a full rollup).
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from django.db import connection

from core.scope import ORG, Scope
from metrics.records.models import PERIOD_FIELD, Change, CustomerResponse, Defect, Incident, Release, TimeAllocation
from squads.models import Area, Squad

Window = tuple[datetime, datetime] | None
PARALLEL_LOADS = 3


@dataclass
class Frames:
    """The records of one load, one DataFrame per kind (see the column lists below)."""

    releases: pd.DataFrame  # squad_id, released, first_commit, failed
    changes: pd.DataFrame  # squad_id (the release's), released (the release's), first_commit
    incidents: pd.DataFrame  # squad_id, major, started, resolved, impact, release_released
    defects: pd.DataFrame  # squad_id, found, production, customer
    responses: pd.DataFrame  # squad_id (-1: none), submitted, nps, csat, outcome
    allocations: pd.DataFrame  # squad_id, month, headcount, support_c, features_c, cost_cents
    cache: dict = field(default_factory=dict, repr=False)  # what the grains of one load share
    also: dict = field(default_factory=dict, repr=False)  # the further loads asked for


#: Columns holding a PostgreSQL timestamp (read raw in binary: µs since 2000-01-01, shifted to 1970).
TIMESTAMPS = frozenset({"released", "first_commit", "started", "resolved", "release_released", "found", "submitted"})
_PG_EPOCH_US = 946_684_800 * 1_000_000  # 2000-01-01 in µs since 1970-01-01
_NULL_TS = np.iinfo(np.int64).min  # '-infinity' in binary COPY: stands for NULL (rows stay fixed-width)


def _us(column: str) -> str:
    """SQL for a timestamp column as the loads read it: the raw column on PostgreSQL (binary COPY
    carries it as int64 µs), elsewhere µs since the epoch."""
    if connection.vendor == "postgresql":
        return column
    # Django stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC.
    return f"(unixepoch({column}) * 1000000 + CAST(COALESCE(NULLIF(substr({column}, 21, 6), ''), '0') AS INTEGER))"


def _day_us(column: str) -> str:
    """SQL for microseconds since the epoch of the midnight (UTC) of a date column."""
    if connection.vendor == "postgresql":
        return f"(({column} - DATE '1970-01-01')::bigint * 86400000000)"
    return f"(CAST(julianday({column}) - 2440587.5 AS INTEGER) * 86400000000)"


def _empty(columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in columns})


def _fetch_binary(cursor: object, sql: str, params: list, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    """`COPY (…) TO STDOUT (FORMAT binary)` straight into numpy: every column is made 8 bytes and
    never NULL (timestamps '-infinity', floats NaN), so the rows are fixed-width records that
    `np.frombuffer` reads without parsing a single field."""
    query = cursor.mogrify(sql, params).decode() if params else sql
    # JIT compiling these simple scans costs more than it saves, and every unit pays it again
    cursor.execute("SET jit = off")
    outer = []
    for c in columns:
        if c in TIMESTAMPS:
            outer.append(f"COALESCE(q.{c}, '-infinity')")
        elif dtypes[c] == "float64":
            outer.append(f"COALESCE(q.{c}::float8, 'NaN')")
        else:
            outer.append(f"q.{c}::bigint")
    buffer = io.BytesIO()
    cursor.copy_expert(
        f"COPY (SELECT {', '.join(outer)} FROM ({query}) AS q({', '.join(columns)})) TO STDOUT WITH (FORMAT binary)",
        buffer,
    )
    cursor.execute("RESET jit")
    data = buffer.getbuffer()
    body = data[19 + int.from_bytes(data[15:19], "big") : -2]  # header (signature, flags, extension), trailer
    fields = [("n", ">i2")]
    for i, c in enumerate(columns):
        fields += [(f"len{i}", ">i4"), (c, ">f8" if dtypes[c] == "float64" and c not in TIMESTAMPS else ">i8")]
    rows = np.frombuffer(body, dtype=np.dtype(fields))
    if any((rows[f"len{i}"] != 8).any() for i in range(len(columns))):
        raise ValueError(f"unexpected NULL in a rollup load: {sql[:80]}")
    out = {}
    for c in columns:
        values = rows[c]
        if c in TIMESTAMPS:
            null = values == _NULL_TS
            values = values.astype(np.int64) + _PG_EPOCH_US
            if dtypes[c] == "float64":
                values = values.astype(float)
                values[null] = np.nan
            elif null.any():
                raise ValueError(f"unexpected NULL {c} in a rollup load")
        out[c] = values.astype(dtypes[c])
    del rows, data
    return pd.DataFrame(out)


def _fetch(sql: str, params: list, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            frame = _fetch_binary(cursor, sql, params, columns, dtypes)
            return frame if len(frame) else _empty(columns, dtypes)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=columns)
    return frame.astype({c: dtypes[c] for c in columns}) if len(frame) else _empty(columns, dtypes)


def _fetch_in_thread(spec: tuple) -> pd.DataFrame:
    try:
        return _fetch(*spec)
    finally:
        connection.close()  # this worker thread's own connection


def _fetch_all(specs: dict[str, tuple]) -> dict[str, pd.DataFrame]:
    """Run the loads; on PostgreSQL outside a transaction, three at a time on their own connections so
    the server computes one while Python parses another. Inside a transaction (tests, callers that
    must see their own uncommitted rows) one after the other on this connection."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return {name: _fetch(*spec) for name, spec in specs.items()}
    with ThreadPoolExecutor(max_workers=PARALLEL_LOADS) as pool:
        futures = {name: pool.submit(_fetch_in_thread, spec) for name, spec in specs.items()}
        return {name: future.result() for name, future in futures.items()}


def _dt(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: date) -> object:
    return connection.ops.adapt_datefield_value(value)


def load_frames(window: Window = None, *, also: dict[str, tuple] | None = None) -> Frames:
    """Load every record kind (within `window` when given) as DataFrames; `also`: further loads
    (name → `_fetch` arguments) run beside them, their frames in `Frames.also`."""
    rel, inc = Release._meta.db_table, Incident._meta.db_table
    # the column that places each kind in a period (PERIOD_FIELD); incidents also count while open
    released, started = f"r.{PERIOD_FIELD[Release]}", f"i.{PERIOD_FIELD[Incident]}"
    found, submitted, month = PERIOD_FIELD[Defect], PERIOD_FIELD[CustomerResponse], f"a.{PERIOD_FIELD[TimeAllocation]}"
    specs: dict[str, tuple] = {}
    where_rel, params_rel = "", []
    where_inc, params_inc = "", []
    where_def, params_def = "", []
    where_resp, params_resp = "", []
    where_alloc, params_alloc = "", []
    if window is not None:
        start, end = _dt(window[0]), _dt(window[1])
        where_rel, params_rel = f" WHERE {released} >= %s AND {released} < %s", [start, end]
        where_inc = (
            f" WHERE ({started} >= %s AND {started} < %s)"
            " OR (i.resolved_at >= %s AND i.resolved_at < %s)"
            f" OR (i.customer_impact AND {started} < %s AND (i.resolved_at IS NULL OR i.resolved_at > %s))"
        )
        params_inc = [start, end, start, end, end, start]
        where_def, params_def = f" WHERE {found} >= %s AND {found} < %s", [start, end]
        where_resp, params_resp = f" WHERE {submitted} >= %s AND {submitted} < %s", [start, end]
        where_alloc = f" WHERE {month} >= %s AND {month} < %s"
        params_alloc = [_d(window[0].date()), _d(window[1].date())]

    specs["releases"] = (
        f"SELECT r.squad_id, {_us(released)}, {_us('r.first_commit_at')},"
        f" CASE WHEN r.status = 'rolled_back' OR EXISTS"
        f" (SELECT 1 FROM {inc} x WHERE x.caused_by_release_id = r.id) THEN 1 ELSE 0 END"
        f" FROM {rel} r{where_rel}",
        params_rel,
        ["squad_id", "released", "first_commit", "failed"],
        {"squad_id": "int64", "released": "int64", "first_commit": "float64", "failed": "int64"},
    )
    specs["changes"] = (
        f"SELECT r.squad_id, {_us(released)}, {_us('c.first_commit_at')}"
        f" FROM {Change._meta.db_table} c JOIN {rel} r ON r.id = c.release_id{where_rel}",
        params_rel,
        ["squad_id", "released", "first_commit"],
        {"squad_id": "int64", "released": "int64", "first_commit": "int64"},
    )
    specs["incidents"] = (
        f"SELECT i.squad_id, CASE WHEN i.severity <= 2 THEN 1 ELSE 0 END, {_us(started)},"
        f" {_us('i.resolved_at')}, CASE WHEN i.customer_impact THEN 1 ELSE 0 END,"
        # a lookup per incident, not a join: a window's few incidents must not scan every release
        f" (SELECT {_us(released)} FROM {rel} r WHERE r.id = i.caused_by_release_id)"
        f" FROM {inc} i{where_inc}",
        params_inc,
        ["squad_id", "major", "started", "resolved", "impact", "release_released"],
        {
            "squad_id": "int64",
            "major": "int64",
            "started": "int64",
            "resolved": "float64",
            "impact": "int64",
            "release_released": "float64",
        },
    )
    specs["defects"] = (
        f"SELECT squad_id, {_us(found)}, CASE WHEN found_in = 'production' THEN 1 ELSE 0 END,"
        f" CASE WHEN found_by = 'customer' THEN 1 ELSE 0 END FROM {Defect._meta.db_table}{where_def}",
        params_def,
        ["squad_id", "found", "production", "customer"],
        {"squad_id": "int64", "found": "int64", "production": "int64", "customer": "int64"},
    )
    specs["responses"] = (
        f"SELECT COALESCE(squad_id, -1), {_us(submitted)}, nps_score, csat_score, outcome_score"
        f" FROM {CustomerResponse._meta.db_table}{where_resp}",
        params_resp,
        ["squad_id", "submitted", "nps", "csat", "outcome"],
        {"squad_id": "int64", "submitted": "int64", "nps": "float64", "csat": "float64", "outcome": "float64"},
    )
    specs["allocations"] = (
        f"SELECT a.squad_id, {_day_us(month)}, a.headcount, CAST(ROUND(a.pct_support * 100) AS INTEGER),"
        f" CAST(ROUND(a.pct_features * 100) AS INTEGER), CAST(ROUND(s.monthly_cost_per_head * 100) AS BIGINT)"
        f" FROM {TimeAllocation._meta.db_table} a JOIN {Squad._meta.db_table} s ON s.id = a.squad_id{where_alloc}",
        params_alloc,
        ["squad_id", "month", "headcount", "support_c", "features_c", "cost_cents"],
        {
            "squad_id": "int64",
            "month": "int64",
            "headcount": "int64",
            "support_c": "int64",
            "features_c": "int64",
            "cost_cents": "int64",
        },
    )
    loaded = _fetch_all(specs | (also or {}))
    return Frames(**{k: loaded.pop(k) for k in list(specs)}, also=loaded)


@dataclass(frozen=True)
class Scopes:
    """Every scope that exists: index 0 is `org`, then areas, then squads (inactive ones too)."""

    names: list[str]
    squad_scope: np.ndarray  # squad id → scope index of the squad (-1: unknown id)
    area_scope: np.ndarray  # squad id → scope index of its area

    @property
    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}


def load_scopes() -> Scopes:
    areas = list(Area.objects.order_by("slug").values_list("id", "slug"))
    squads = list(Squad.objects.order_by("slug").values_list("id", "slug", "area_id"))
    names = [ORG, *(str(Scope.area(slug)) for _, slug in areas), *(str(Scope.squad(slug)) for _, slug, _ in squads)]
    area_index = {area_id: 1 + i for i, (area_id, _) in enumerate(areas)}
    size = max((sid for sid, _, _ in squads), default=0) + 1
    squad_scope = np.full(size, -1, dtype=np.int64)
    area_scope = np.full(size, -1, dtype=np.int64)
    for i, (sid, _, area_id) in enumerate(squads):
        squad_scope[sid] = 1 + len(areas) + i
        area_scope[sid] = area_index[area_id]
    return Scopes(names, squad_scope, area_scope)


def earliest_record_day() -> date | None:
    """The UTC day of the earliest record of any kind (by the timestamp that places it in a period),
    never before the records' window (`core.bounds`): a row dated year 1 written around the
    validation (old data, raw SQL) is left out instead of sizing every period array from it."""
    from django.db.models import Min

    from core import bounds

    floor = bounds.earliest()
    candidates: list[date] = []
    for model, column in PERIOD_FIELD.items():
        lowest = floor.date() if column == "month" else floor
        value = model.objects.filter(**{f"{column}__gte": lowest}).aggregate(first=Min(column))["first"]
        if value is not None:
            candidates.append(value.date() if isinstance(value, datetime) else value)
    return min(candidates, default=None)
