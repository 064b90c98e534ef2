"""Small helpers the four kinds share: reading a vendor's timestamps and fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sources.sync import Malformed

TITLE_LENGTH = 300  # the records' title column


def timestamp(item: Mapping[str, Any], name: str, *, required: bool = True) -> dt.datetime | None:
    """An ISO 8601 value of `item[name]` as aware UTC; Malformed when required and missing or unreadable."""
    value = item.get(name) if isinstance(item, Mapping) else None
    if value in (None, ""):
        if required:
            raise Malformed(f"{name}: missing")
        return None
    if not isinstance(value, str):
        raise Malformed(f"{name}: {value!r} is not a timestamp")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Malformed(f"{name}: {value[:40]!r} is not a timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def text(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name) if isinstance(item, Mapping) else None
    return value if isinstance(value, str) else ""


def nested(item: Any, *path: str) -> Any:
    """item[path[0]][path[1]]…, None where a level is missing or not an object."""
    for name in path:
        if not isinstance(item, Mapping):
            return None
        item = item.get(name)
    return item


def title(value: Any) -> str:
    return value.strip()[:TITLE_LENGTH] if isinstance(value, str) else ""


def label(item: Any, *keys: str) -> str:
    """A short name for an item in reports (its id/key), whatever shape it has."""
    if isinstance(item, Mapping):
        for key in keys:
            if item.get(key) not in (None, ""):
                return str(item[key])
    return repr(item)[:80]


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
