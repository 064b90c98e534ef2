"""Writing what a tool told us, through the records' own write service.

Every record a sync writes goes through `save_record` — the service the API,
the admin and the shell use — so parsing, the model rules, audit and dirty
marking are the same as for any other write. Only the columns the tool carries
are passed; on an update the service changes just those (a `caused_by_release`
set by a person stays). A record whose carried columns already hold the same
values is left alone: no write, no audit event, no dirty mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from metrics.ingest.kinds import get_kind, parse_cells
from metrics.services import save_record

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


class Rejected(Exception):
    """The record service refused the item; `reason` is `field: message; …`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def existing(kind: str, keys: Iterable[str]) -> dict[str, models.Model]:
    """The stored records of `kind` with these external ids (one query), by external id."""
    record_kind = get_kind(kind)
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = record_kind.model.objects.select_related(*record_kind.related_for_export()).filter(
        external_id__in=wanted
    )
    return {row.external_id: row for row in rows}


def _same(kind: str, instance: models.Model, cells: Mapping[str, Any]) -> bool:
    record_kind = get_kind(kind)
    values, errors = parse_cells(record_kind, cells)
    if errors:
        return False
    stored = record_kind.to_row(instance)
    return all(record_kind.by_name[name].format(value) == stored[name] for name, value in values.items())


def upsert(kind: str, cells: Mapping[str, Any], *, current: models.Model | None = None) -> tuple[str, models.Model]:
    """Create or update the record of `kind` keyed by `cells["external_id"]`.

    `current` is the stored record (from `existing`), or None to create one.
    Returns (CREATED | UPDATED | UNCHANGED, record); raises `Rejected`.
    """
    if current is not None and _same(kind, current, cells):
        return UNCHANGED, current
    try:
        record = save_record(kind=kind, data=cells, instance=current)
    except ValidationError as exc:
        raise Rejected(_reason(exc)) from None
    return (CREATED if current is None else UPDATED), record


def _reason(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)
