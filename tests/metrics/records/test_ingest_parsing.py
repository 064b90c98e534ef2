"""The value parsers of "Values in CSV" in docs/records.md and the CSV formula guard."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from core import csvsafe
from metrics.records.ingest import parsing as p

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T09:30:00Z", dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        ("2026-03-01T09:30:00+02:00", dt.datetime(2026, 3, 1, 7, 30, tzinfo=UTC)),
        ("2026-03-01T00:30:00-05:30", dt.datetime(2026, 3, 1, 6, 0, tzinfo=UTC)),
        ("2026-03-01T09:30:00", dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),  # naive = UTC
        (" 2026-03-01 09:30:00.250 ", dt.datetime(2026, 3, 1, 9, 30, 0, 250000, tzinfo=UTC)),
        ("", None),
        ("   ", None),
        (None, None),
        (dt.datetime(2026, 3, 1, 9, 30), dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),  # noqa: DTZ001 — naive input on purpose
    ],
)
def test_timestamps_become_aware_utc(text: object, expected: dt.datetime | None) -> None:
    value = p.parse_timestamp(text)
    assert value == expected
    if value is not None:
        assert value.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("text", ["yesterday", "2026-02-30T10:00:00Z", "2026-03-01T25:00:00Z", "03/01/2026", 12])
def test_malformed_timestamps_are_refused_with_the_value(text: object) -> None:
    with pytest.raises(p.ParseError, match="is not an ISO 8601 timestamp"):
        p.parse_timestamp(text)


def test_timestamp_out_of_range_after_utc_conversion_is_refused() -> None:
    with pytest.raises(p.ParseError, match="out of the supported date range"):
        p.parse_timestamp("0001-01-01T00:00:00+05:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("TRUE", True), ("True", True), ("1", True), ("yes", True), ("YeS", True),
        ("false", False), ("FALSE", False), ("0", False), ("no", False), ("No", False), (" no ", False),
        (True, True), (False, False), (1, True), (0, False), ("", None), (None, None),
    ],
)  # fmt: skip
def test_booleans_any_case(text: object, expected: bool | None) -> None:
    assert p.parse_bool(text) is expected


@pytest.mark.parametrize("text", ["y", "on", "2", "truthy", 2, 1.5])
def test_non_booleans_are_refused(text: object) -> None:
    with pytest.raises(p.ParseError, match="is not a boolean"):
        p.parse_bool(text)


def test_integers() -> None:
    assert p.parse_int("4") == 4
    assert p.parse_int(" -3 ") == -3
    assert p.parse_int(7) == 7
    assert p.parse_int(7.0) == 7
    assert p.parse_int("") is None
    for bad in ("4.5", "four", "1e3", True, 4.5, "1_000"):
        with pytest.raises(p.ParseError, match="is not a whole number"):
            p.parse_int(bad)


def test_decimals() -> None:
    assert p.parse_decimal("12.50") == Decimal("12.5")
    assert p.parse_decimal("-3") == Decimal(-3)
    assert p.parse_decimal(0.1) == Decimal("0.1")  # via str(), not the binary float
    assert p.parse_decimal(5) == Decimal(5)
    assert p.parse_decimal(" ") is None
    for bad in ("NaN", "Infinity", "-inf", "12,5", "abc", True):
        with pytest.raises(p.ParseError):
            p.parse_decimal(bad)


def test_months() -> None:
    assert p.parse_month("2026-03") == dt.date(2026, 3, 1)
    assert p.parse_month("2026-12") == dt.date(2026, 12, 1)
    assert p.parse_month(dt.date(2026, 3, 1)) == dt.date(2026, 3, 1)
    assert p.parse_month("") is None
    for bad in ("2026-13", "2026-00", "2026-3", "03-2026", "2026-03-01", "march"):
        with pytest.raises(p.ParseError, match="is not a month"):
            p.parse_month(bad)


def test_slugs_and_text() -> None:
    assert p.parse_slug(" alpha-1 ") == "alpha-1"
    assert p.parse_slug("") is None
    with pytest.raises(p.ParseError, match="is not a slug"):
        p.parse_slug("al pha")
    assert p.parse_text(None) == ""
    assert p.parse_text(" Title ") == "Title"
    assert p.parse_text(12) == "12"
    with pytest.raises(p.ParseError, match="NUL"):
        p.parse_text("a\x00b")
    with pytest.raises(p.ParseError, match="must be text"):
        p.parse_text(["a"])


def test_formatting_is_the_inverse_of_parsing() -> None:
    moment = dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert p.format_timestamp(moment) == "2026-03-01T09:30:00Z"
    assert p.parse_timestamp(p.format_timestamp(moment.replace(microsecond=5))) == moment.replace(microsecond=5)
    assert p.format_decimal(Decimal("50.00")) == "50"
    assert p.format_decimal(Decimal("12.50")) == "12.5"
    assert p.format_decimal(Decimal("1000.00")) == "1000"  # not 1E+3
    assert p.format_month(dt.date(2026, 3, 1)) == "2026-03"
    assert p.format_bool(True) == "true"
    assert p.format_bool(False) == "false"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+cmd", "'+cmd"),
        ("-cmd", "'-cmd"),
        ("@import", "'@import"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-1e3", "-1e3"),
        ("plain", "plain"),
        ("", ""),
        ("'=x", "''=x"),  # already looks guarded: guarded again so restore gives it back
        ("'quoted", "'quoted"),
        ("-", "'-"),
    ],
)
def test_neutralise_and_restore_round_trip(cell: str, safe: str) -> None:
    assert csvsafe.neutralise(cell) == safe
    assert csvsafe.restore(safe) == cell


def test_writer_neutralises_every_cell() -> None:
    out = io.StringIO()
    csvsafe.writer(out).writerow(["=1+1", "-5", None, "ok"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", "-5", "", "ok"]
