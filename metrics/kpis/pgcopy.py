"""Snapshot rows as PostgreSQL's binary COPY format, built with numpy.

`COPY … FROM STDIN (FORMAT binary)` takes each value as the server stores it: no float or
date text for PostgreSQL to parse and none for Python to write (the text was built row by row
and was a good part of a first build). Values go in exactly: a float64 as its eight bytes.

Each row is a field count, then per field a 4-byte length (-1 for NULL) and the value's bytes,
all big-endian. Rows of one (metric, scope, grain) share the bytes of those three texts; rows
in key order come in runs of one key, so a row is its run's prefix followed by fixed-width
numbers, assembled run by run.
"""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
TRAILER = struct.pack("!h", -1)
_EPOCH_DAY = np.datetime64("2000-01-01", "D")
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_VALUE_BYTES = slice(12, 20)  # the float8 within a row's numbers: after period_start (8) and its length (4)


def _numbers(rows: pd.DataFrame, computed_at: datetime | None) -> tuple[np.ndarray, np.ndarray]:
    """The fixed-width part of every row (period_start, value, sample_size[, computed_at]) as a
    (rows × bytes) uint8 array, and which rows' value is NULL."""
    fields = [("day_len", ">i4"), ("day", ">i4"), ("value_len", ">i4"), ("value", ">f8")]
    fields += [("size_len", ">i4"), ("size", ">i4")]
    if computed_at is not None:
        fields += [("at_len", ">i4"), ("at", ">i8")]
    numbers = np.empty(len(rows), dtype=fields)
    days = pd.to_datetime(rows["period_start"]).to_numpy().astype("datetime64[D]")
    values = rows["value"].to_numpy(dtype=float)
    null = np.isnan(values)
    numbers["day_len"], numbers["day"] = 4, (days - _EPOCH_DAY).astype(np.int64)
    numbers["value_len"], numbers["value"] = np.where(null, -1, 8), values
    numbers["size_len"], numbers["size"] = 4, rows["sample_size"].to_numpy(dtype=np.int64)
    if computed_at is not None:
        numbers["at_len"], numbers["at"] = 8, (computed_at - _EPOCH) // timedelta(microseconds=1)
    return numbers.view(np.uint8).reshape(len(rows), numbers.dtype.itemsize), null


def _runs(rows: pd.DataFrame) -> np.ndarray:
    """Where each run of rows with one (metric, scope, grain) starts (rows in key order: one run
    per key; in any other order still correct, in more runs)."""
    change = np.ones(len(rows), dtype=bool)
    if len(rows) > 1:
        change[1:] = False
        for name in ("metric", "scope", "grain"):
            column = rows[name].to_numpy()
            change[1:] |= column[1:] != column[:-1]
    return np.flatnonzero(change)


def copy_binary(rows: pd.DataFrame, computed_at: datetime | None = None) -> io.BytesIO:
    """`rows` (metric, scope, grain, period_start, value, sample_size; NaN value → NULL) as a binary
    COPY stream of those columns, plus `computed_at` on every row when given."""
    field_count = struct.pack("!h", 7 if computed_at is not None else 6)
    numbers, null = _numbers(rows, computed_at)
    texts = [rows[name].to_numpy() for name in ("metric", "scope", "grain")]
    starts = _runs(rows)
    parts = [HEADER]
    for first, last in zip(starts, np.r_[starts[1:], len(rows)], strict=True):
        key = b"".join(struct.pack("!i", len(text)) + text for text in (str(t[first]).encode() for t in texts))
        prefix = np.frombuffer(field_count + key, dtype=np.uint8)
        block = np.empty((last - first, len(prefix) + numbers.shape[1]), dtype=np.uint8)
        block[:, : len(prefix)] = prefix
        block[:, len(prefix) :] = numbers[first:last]
        run_null = null[first:last]
        if run_null.any():  # a NULL value has no bytes: drop the eight of those rows
            keep = np.ones(block.shape, dtype=bool)
            value = slice(len(prefix) + _VALUE_BYTES.start, len(prefix) + _VALUE_BYTES.stop)
            keep[run_null, value] = False
            parts.append(block[keep].tobytes())
        else:
            parts.append(block.tobytes())
    parts.append(TRAILER)
    return io.BytesIO(b"".join(parts))
