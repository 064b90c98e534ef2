"""Value parsers for "Values in CSV" in docs/records.md, shared by the CSV import and the API.

Each parser takes a CSV string or an already-typed JSON value, returns the
Python value (None for "no value": an empty cell or null) or raises
`ParseError` with a reason fit to show after `line N: <field>:`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from core import bounds

UTC = dt.UTC
_INT = re.compile(r"[+-]?\d+")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})


class ParseError(ValueError):
    """A value that cannot be read; `reason` is the user-facing text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_empty(value: Any) -> bool:
    """None, or a string that is empty once surrounding whitespace is stripped."""
    return value is None or (isinstance(value, str) and not value.strip())


def _show(value: Any, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= limit else text[: limit - 3] + '..."'


def parse_text(value: Any) -> str:
    """Free text; empty means "" (the model's blank value). Numbers are accepted as their text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ParseError(f"must be text, got {_show(value)}")
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text:
        raise ParseError("must not contain NUL characters")
    return text.strip()


def parse_key(value: Any) -> str | None:
    """A record key (external_id or slug): text, surrounding spaces removed, None when empty."""
    text = parse_text(value)
    return text or None


def parse_record_key(value: Any) -> str | None:
    """An external_id: any text (sources use `github:owner/repo:123`), but the key is part of
    the record's URL (`/api/<kind>/<key>/`), so its `/`-separated segments may not be empty,
    `.` or `..` — browsers and proxies rewrite those."""
    text = parse_key(value)
    if text is not None and any(segment in ("", ".", "..") for segment in text.split("/")):
        raise ParseError(
            f"{_show(text)} has an empty, '.' or '..' path segment; keys are used in URLs "
            "(no leading, trailing or doubled '/', no '.' or '..' between slashes)"
        )
    return text


def parse_event_time(value: Any) -> dt.datetime | None:
    """`parse_timestamp`, within the records' window (2000-01-01 to now + 1 day by default,
    `core.bounds`): a year-1 or year-9999 event is a typo, and would make the rollup size its
    arrays from it."""
    moment = parse_timestamp(value)
    problem = bounds.time_problem(moment)
    if problem:
        raise ParseError(f"{_show(value)} is out of range: {problem}")
    return moment


def parse_slug(value: Any) -> str | None:
    """A slug (letters, digits, `-`, `_`); None when empty."""
    text = parse_key(value)
    if text is not None and not _SLUG.fullmatch(text):
        raise ParseError(f"{_show(text)} is not a slug (letters, digits, - and _ only)")
    return text


def parse_bool(value: Any) -> bool | None:
    """true/false/1/0/yes/no in any case (or a JSON bool); None when empty."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ParseError(f"{_show(value)} is not a boolean (use true/false, 1/0 or yes/no)")


def parse_int(value: Any) -> int | None:
    """A whole number; None when empty."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise ParseError(f"{_show(value)} is not a whole number")
    if isinstance(value, int):
        return value
    finite = isinstance(value, float | Decimal) and value == value and value not in (float("inf"), float("-inf"))
    if finite and value == int(value):
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value.strip())
    raise ParseError(f"{_show(value)} is not a whole number")


def parse_decimal(value: Any) -> Decimal | None:
    """A finite decimal number (`12.5`, `-3`, `1e3`); None when empty."""
    if is_empty(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ParseError(f"{_show(value)} is not a number")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        raise ParseError(f"{_show(value)} is not a number") from None
    if not number.is_finite():
        raise ParseError(f"{_show(value)} is not a finite number")
    return number


def parse_timestamp(value: Any) -> dt.datetime | None:
    """ISO 8601 (`2026-03-01T09:30:00Z`, with an offset, or naive = UTC) → aware UTC datetime."""
    if is_empty(value):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ParseError(f"{_show(value)} is not an ISO 8601 timestamp (e.g. 2026-03-01T09:30:00Z)") from None
    else:
        raise ParseError(f"{_show(value)} is not an ISO 8601 timestamp (e.g. 2026-03-01T09:30:00Z)")
    try:
        if moment.tzinfo is None or moment.utcoffset() is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except OverflowError:
        raise ParseError(f"{_show(value)} is out of the supported date range") from None


def parse_month(value: Any) -> dt.date | None:
    """`YYYY-MM` → the first day of that month (a date is passed through); None when empty."""
    if is_empty(value):
        return None
    if isinstance(value, dt.datetime):
        raise ParseError(f"{_show(value)} is not a month (YYYY-MM)")
    if isinstance(value, dt.date):
        return value
    match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ParseError(f"{_show(value)} is not a month (YYYY-MM, e.g. 2026-03)")
    month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    problem = bounds.date_problem(month)
    if problem:
        raise ParseError(f"{_show(value)} is out of range: {problem}")
    return month


# -- formatting: the inverse of the parsers, giving the import format ------------------------------


def format_timestamp(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    moment = value.astimezone(UTC) if value.tzinfo else value
    pattern = "%Y-%m-%dT%H:%M:%S.%fZ" if moment.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return moment.strftime(pattern)


def format_bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def format_decimal(value: Decimal | None) -> str:
    """`50.00` → `50`, `12.50` → `12.5`: the shortest text that parses back to an equal value."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def format_month(value: dt.date | None) -> str:
    return "" if value is None else f"{value.year:04d}-{value.month:02d}"


def format_plain(value: Any) -> str:
    return "" if value is None else str(value)
