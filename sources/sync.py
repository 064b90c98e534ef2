"""Running a source: pull pages from the tool, write them, remember how far we got.

A run walks the tool's pages; each page's records are written in one
transaction together with the new cursor, so the cursor only moves once the
page's records are committed — a crash loses nothing and, because records are
keyed by `external_id`, re-reading a page duplicates nothing. Items of unmapped
repos/projects/services are skipped and counted (never guessed); items the
record service refuses are skipped, counted and kept with the reason. The
outcome is stored on the source (`--status`, the status page, the admin).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from sources import records
from sources.http import ToolAuthError, ToolClient, ToolError
from sources.models import Source
from sources.secrets import SecretUnreadable

logger = logging.getLogger(__name__)

#: Examples kept per run, so the status page stays small whatever the tool sends.
EXAMPLES = 5
MALFORMED_EXAMPLES = 10


class Unmapped(Exception):
    """The item belongs to a repo/project/service no squad is mapped to."""

    def __init__(self, key: str, example: str) -> None:
        super().__init__(key)
        self.key = key
        self.example = example


class Malformed(Exception):
    """The item lacks something we need, or holds a value we cannot map."""


@dataclass
class SyncReport:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmapped: int = 0
    malformed: int = 0
    requests: int = 0
    error: str = ""
    unmapped_examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    malformed_examples: list[dict[str, str]] = field(default_factory=list)
    _unmapped_counts: Counter = field(default_factory=Counter, repr=False)

    @property
    def ok(self) -> bool:
        return not self.error

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def skip_unmapped(self, exc: Unmapped) -> None:
        self.unmapped += 1
        entry = self.unmapped_examples.get(exc.key)
        if entry is None:
            entry = self.unmapped_examples[exc.key] = {"count": 0, "examples": []}
        entry["count"] += 1
        if len(entry["examples"]) < EXAMPLES:
            entry["examples"].append(exc.example)

    def skip_malformed(self, item: str, reason: str) -> None:
        self.malformed += 1
        if len(self.malformed_examples) < MALFORMED_EXAMPLES:
            self.malformed_examples.append({"item": item[:200], "reason": reason[:500]})

    def summary(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.unmapped} unmapped, {self.malformed} malformed, {self.requests} requests"
        )
        return f"{text}; FAILED: {self.error}" if self.error else text


class SourceSync:
    """What every kind shares: the client, the report, page commits and item writes.

    A kind implements `run(full)` (the pull) and `sync_items(ids)` (the
    webhook path: the same mapping for the items a webhook names).
    """

    def __init__(self, source: Source, client: ToolClient, report: SyncReport) -> None:
        self.source = source
        self.client = client
        self.report = report
        self.cursor: dict[str, Any] = dict(source.cursor or {})

    # -- to implement ----------------------------------------------------------------------------
    @classmethod
    def make_client(cls, source: Source) -> ToolClient:
        """A client for the source's API with its credentials (ToolError when they are missing)."""
        raise NotImplementedError

    def run(self, *, full: bool) -> None:
        raise NotImplementedError

    def sync_items(self, ids: Iterable[str]) -> None:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------
    def squad_for(self, key: str, example: str) -> str:
        squad = (self.source.squads or {}).get(key)
        if not squad:
            raise Unmapped(key, example)
        return squad

    def commit_page(self, write: Callable[[], None], cursor: Mapping[str, Any] | None = None) -> None:
        """Run `write` (the page's record writes) and store `cursor`, in one transaction."""
        with transaction.atomic():
            write()
            if cursor is not None:
                Source.objects.filter(pk=self.source.pk).update(cursor=dict(cursor))
        if cursor is not None:
            self.cursor = dict(cursor)
            self.source.cursor = dict(cursor)

    def write_items(self, kind: str, items: Iterable[tuple[str, Callable[[], dict[str, Any]]]]) -> set[str]:
        """Map and upsert items of one record kind, each skipped on its own when bad.

        `items` are (label, mapper) pairs: the mapper returns the record's cells
        or raises `Unmapped` / `Malformed`. Returns the external ids now stored.
        """
        mapped: list[tuple[str, dict[str, Any]]] = []
        for label, mapper in items:
            try:
                mapped.append((label, mapper()))
            except Unmapped as exc:
                self.report.skip_unmapped(exc)
            except Malformed as exc:
                self.report.skip_malformed(label, str(exc))
        outcome = records.write_rows(kind, mapped, source=f"source:{self.source.name}")
        for label, reason in outcome.rejected:
            self.report.skip_malformed(label, reason)
        self.report.created += outcome.created
        self.report.updated += outcome.updated
        self.report.unchanged += outcome.unchanged
        return outcome.written


_SYNC_CLASSES = {
    "github": "sources.tools.github.GitHubSync",
    "gitlab": "sources.tools.gitlab.GitLabSync",
    "jira": "sources.tools.jira.JiraSync",
    "pagerduty": "sources.tools.pagerduty.PagerDutySync",
}


def sync_class(kind: str) -> type[SourceSync]:
    """The sync of a source kind (imported on use: each kind is its own module)."""
    from django.utils.module_loading import import_string

    return import_string(_SYNC_CLASSES[kind])


def sync_source(source: Source, *, full: bool = False, items: Iterable[str] | None = None) -> SyncReport:
    """Pull `source` now (incrementally, or `full` from its window; or only `items`), store the outcome.

    Never raises for a misbehaving tool: the report (and the source) carry the error.
    """
    report = SyncReport(source=source.name)
    started = timezone.now()
    source.refresh_from_db(fields=["cursor"])  # another run may have moved it since this object was loaded
    cls = sync_class(source.kind)
    try:
        client = cls.make_client(source)
    except (ToolError, SecretUnreadable) as exc:
        return _finish(source, report, started, error=str(exc), full_run=items is None)
    try:
        with client:
            syncer = cls(source, client, report)
            if items is None:
                syncer.run(full=full)
            else:
                syncer.sync_items(list(items))
    except ToolAuthError as exc:
        error = f"credentials refused: {exc}"
    except (ToolError, records.PageRefused) as exc:
        error = str(exc)
    except Exception as exc:  # a bug, or a crash: record it on the source, then let it propagate
        report.requests = client.requests
        _finish(source, report, started, error=f"internal error: {type(exc).__name__}", full_run=items is None)
        raise
    else:
        error = ""
    finally:
        report.requests = client.requests
    return _finish(source, report, started, error=error, full_run=items is None)


def _finish(source: Source, report: SyncReport, started: Any, *, error: str, full_run: bool) -> SyncReport:
    report.error = error
    if error:
        logger.warning("source %s failed: %s", source.name, error)
    state: dict[str, Any] = {"last_run_at": started}
    if error:
        state.update(last_error_at=timezone.now(), last_error=error)
    else:
        state.update(last_success_at=timezone.now())
    if full_run or error:
        state.update(
            last_created=report.created,
            last_updated=report.updated,
            last_unchanged=report.unchanged,
            last_unmapped=report.unmapped,
            last_malformed=report.malformed,
            unmapped_examples=report.unmapped_examples,
            malformed_examples=report.malformed_examples,
        )
    Source.objects.filter(pk=source.pk).update(**state)
    for name, value in state.items():
        setattr(source, name, value)
    return report
