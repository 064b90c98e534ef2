"""Writing what a tool told us, through the records' own bulk write service.

A page of items of one kind is written with `import_csv` — the service behind
`import_records` and the admin's CSV upload — so parsing, the model rules and
dirty marking are exactly those of every other write, in bulk (a few queries
per page, not several per record), and a record whose values did not change is
not written at all (not even handed to the importer, so a re-sync leaves no
audit event). The importer replaces whole rows, so the columns a tool
does not carry are filled from the stored record (read with a row lock in the
page's transaction): a `caused_by_release` or `merged_at` set by a person stays.
Items the service refuses are taken out and reported with its reason; the rest
of the page is written. Each written page is one `import` event in the audit
trail (`import_records` announces it), naming the source.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from core import csvsafe
from metrics.records.services import KINDS, RecordKind, import_records


class PageRefused(Exception):
    """The record service refused the page as a whole (e.g. a concurrent write took a key): the run fails."""


@dataclass
class PageOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (label, "field: reason; …")
    written: set[str] = field(default_factory=set)  # external ids now stored


def get_kind(kind: str) -> RecordKind:
    return KINDS[kind]


def _parse(record_kind: RecordKind, cells: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Each cell through its column's own parser (the record kinds' parsers), by column name."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in cells.items():
        column = record_kind.by_name.get(name)
        if column is None:
            errors[name] = "unknown field"
            continue
        try:
            values[name] = column.parse(raw)
        except ValueError as exc:  # the parsers' ParseError
            errors[name] = getattr(exc, "reason", str(exc))
    return values, errors


def existing(kind: str, keys: Iterable[str], *, lock: bool = False) -> dict[str, models.Model]:
    """The stored records of `kind` with these external ids (one query), by external id."""
    record_kind = get_kind(kind)
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = record_kind.model.objects.select_related(*record_kind.related_for_export()).filter(external_id__in=wanted)
    if lock:
        rows = rows.select_for_update(of=("self",))
    return {row.external_id: row for row in rows}


def _csv_row(kind: str, cells: Mapping[str, Any], current: models.Model | None) -> list[str] | str:
    """The full CSV row: the tool's cells in import format, other columns as stored. A str is a parse error."""
    record_kind = get_kind(kind)
    values, errors = _parse(record_kind, cells)
    if errors:
        return "; ".join(f"{name}: {reason}" for name, reason in errors.items())
    stored = record_kind.to_row(current) if current is not None else {}
    return [
        record_kind.by_name[c.name].format(values[c.name]) if c.name in values else stored.get(c.name, "")
        for c in record_kind.columns
    ]


def write_rows(kind: str, rows: list[tuple[str, dict[str, Any]]], *, source: str) -> PageOutcome:
    """Upsert (label, cells) rows of one kind, keyed by `cells["external_id"]`; call inside a transaction."""
    record_kind = get_kind(kind)
    outcome = PageOutcome()
    by_key: dict[str, tuple[str, dict[str, Any]]] = {}
    for label, cells in rows:  # the same item twice in a page: the last one wins
        by_key[cells["external_id"]] = (label, cells)
    stored = existing(kind, by_key, lock=True)
    lines: dict[str, list[str]] = {}
    for key, (label, cells) in by_key.items():
        current = stored.get(key)
        row = _csv_row(kind, cells, current)
        if isinstance(row, str):
            outcome.rejected.append((label, row))
        elif current is not None and row == list(record_kind.to_row(current).values()):
            outcome.unchanged += 1  # what the tool says is what we hold: no write, no audit event
            outcome.written.add(key)
        else:
            lines[key] = row
    while lines:
        keys = list(lines)
        buffer = io.StringIO()
        writer = csvsafe.writer(buffer)
        writer.writerow(record_kind.column_names)
        writer.writerows(lines[key] for key in keys)
        buffer.seek(0)
        report = import_records(kind=kind, stream=buffer, source="sync", filename=source)
        if report.ok:
            for row in report.rows:
                setattr(outcome, _COUNTERS[row.action], getattr(outcome, _COUNTERS[row.action]) + 1)
            outcome.written.update(keys)
            break
        # Take the refused rows out (line 1 is the header) and write the others.
        reasons: dict[str, list[str]] = {}
        for error in report.errors:
            index = error.line - 2
            if not 0 <= index < len(keys):  # a file-level refusal: nothing we can single out
                raise PageRefused(f"the record service refused a page of {kind}: {error}")
            reasons.setdefault(keys[index], []).append(f"{error.field}: {error.reason}")
        for key, messages in reasons.items():
            outcome.rejected.append((by_key[key][0], "; ".join(messages)))
            del lines[key]
    return outcome


_COUNTERS = {"create": "created", "update": "updated", "unchanged": "unchanged"}
