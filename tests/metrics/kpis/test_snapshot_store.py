"""Writing snapshot rows (`metrics.kpis.store`): what goes in comes back exactly, through the
first-build COPY and through the upsert, whatever the texts, days and numbers."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from metrics.kpis.store import upsert_snapshots, write_rows
from metrics.models import KpiSnapshot

pytestmark = pytest.mark.django_db
KEY = ["metric", "scope", "grain", "period_start"]

ROWS = [
    # metric, scope, grain, period_start, value, sample_size
    ("nps", "org", "month", dt.date(1, 1, 1), 0.1 + 0.2, 3),  # not 0.3: every bit must survive
    ("nps", "org", "month", dt.date(9999, 12, 1), 123456789.123456789, 0),
    ("nps", "squad:équipe-1", "month", dt.date(2026, 3, 1), float("nan"), 0),  # no value: NULL
    ("nps", "squad:équipe-1", "month", dt.date(2026, 4, 1), 1e-300, 2_147_483_647),
    ("nps", 'squad:a,"b"\nc', "month", dt.date(2026, 3, 1), float("nan"), 1),  # texts CSV would quote
    ("releases", "area:payments", "month", dt.date(2026, 3, 1), 12.0, 12),
    ("releases", "area:payments", "month", dt.date(2026, 4, 1), float("nan"), 0),
    ("releases", "area:payments", "month", dt.date(2026, 5, 1), 7.25, 7),
]


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*KEY, "value", "sample_size"]).sort_values(KEY, kind="stable")


def stored() -> list[tuple]:
    return list(KpiSnapshot.objects.order_by(*KEY).values_list(*KEY, "value", "sample_size"))


def expected(rows: list[tuple]) -> list[tuple]:
    return sorted((*row[:4], None if math.isnan(row[4]) else row[4], row[5]) for row in rows)


def bits(rows: list[tuple]) -> list[tuple]:
    return [tuple(np.float64(v).tobytes() if isinstance(v, float) else v for v in row) for row in rows]


def same_bits(a: list[tuple], b: list[tuple]) -> bool:
    """Equal, with floats compared by their bits."""
    return bits(a) == bits(b)


def test_a_first_build_write_stores_every_row_exactly() -> None:
    before = timezone.now()
    assert write_rows(frame(ROWS), fresh=True) == len(ROWS)
    assert same_bits(stored(), expected(ROWS))
    assert all(before <= at <= timezone.now() for at in KpiSnapshot.objects.values_list("computed_at", flat=True))


def test_an_upsert_updates_changed_rows_and_inserts_new_ones() -> None:
    write_rows(frame(ROWS[:5]), fresh=True)
    changed = [(*ROWS[0][:4], 42.5, 9), (*ROWS[2][:4], 1.0, 1), (*ROWS[3][:4], float("nan"), 0), *ROWS[5:]]
    assert upsert_snapshots(frame(changed)) == len(changed)
    assert same_bits(stored(), expected([changed[0], ROWS[1], changed[1], changed[2], ROWS[4], *ROWS[5:]]))


def test_a_fresh_write_over_rows_stored_meanwhile_falls_back_to_the_upsert() -> None:
    write_rows(frame(ROWS[:2]), fresh=True)
    newer = [(*ROWS[0][:4], 5.0, 5), *ROWS[2:]]
    assert write_rows(frame(newer), fresh=True) == len(newer)
    assert same_bits(stored(), expected([*newer[:1], ROWS[1], *ROWS[2:]]))


def test_rows_out_of_key_order_are_stored_exactly_too() -> None:
    shuffled = [ROWS[i] for i in (5, 0, 7, 2, 1, 6, 4, 3)]  # keys interleaved: many short runs
    rows = pd.DataFrame(shuffled, columns=[*KEY, "value", "sample_size"])
    assert write_rows(rows, fresh=True) == len(ROWS)
    assert same_bits(stored(), expected(ROWS))
