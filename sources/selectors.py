"""Reads of sources for `sync_sources --status` and the status page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from sources.models import Source


def sources(*, names: list[str] | None = None) -> QuerySet[Source]:
    qs = Source.objects.all()
    return qs.filter(name__in=names) if names else qs


@dataclass(frozen=True)
class UnmappedKey:
    key: str
    count: int
    examples: list[str]


def unmapped_keys(source: Source) -> list[UnmappedKey]:
    """What to map next: the unmapped repos/projects/services of the last run, most items first."""
    rows: dict[str, Any] = source.unmapped_examples or {}
    keys = [
        UnmappedKey(key, int(entry.get("count", 0)), [str(e) for e in entry.get("examples", [])])
        for key, entry in rows.items()
        if isinstance(entry, dict)
    ]
    return sorted(keys, key=lambda k: (-k.count, k.key))


def status_lines(source: Source) -> list[str]:
    """The `--status` block of one source."""
    state = "FAILING" if source.failing else ("never run" if source.last_run_at is None else "ok")
    lines = [
        f"{source.name} ({source.kind}{'' if source.enabled else ', disabled'}): {state}",
        f"  last success: {_when(source.last_success_at)}",
        f"  last error:   {_when(source.last_error_at)}{(' — ' + source.last_error) if source.last_error else ''}",
        f"  last run:     {source.last_created} created, {source.last_updated} updated, "
        f"{source.last_unchanged} unchanged, {source.last_malformed} malformed",
        f"  unmapped:     {source.last_unmapped} skipped (no squad mapped)",
    ]
    for key in unmapped_keys(source)[:5]:
        lines.append(f"    {key.key}: {key.count} (e.g. {', '.join(key.examples[:3])})")
    for example in (source.malformed_examples or [])[:5]:
        lines.append(f"    malformed {example.get('item')}: {example.get('reason')}")
    return lines


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"
