"""Dirty marking: which (scope, days) a record change affects.

Every write path ends here, through the records' signals (`metrics.kpis.receivers`):
`spans_of_change` for single saves and deletes (admin, API, shell), `spans_of_changes`
for the bulk writes of an import — both built on `spans_for`, the one rule of which days
a record touches — then `mark_spans`. The marks are rows written
in the caller's transaction, so they commit or roll back with the record; the
rollup task is only enqueued after commit, and if the broker is down the marks
simply wait for the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.dates import utc_day
from core.scope import ORG, area_scope, squad_scope
from metrics.kpis.models import DirtyRange
from metrics.records.models import PERIOD_FIELD, Change, Incident, Release
from squads.models import Area, Squad

logger = logging.getLogger(__name__)

#: The earliest day a squad-wide change can touch; the rollup clamps to the data.
EVERYTHING_FROM = date(2000, 1, 1)
_BATCH_SIZE = 2000  # ids per IN (...) query


@dataclass(frozen=True)
class Span:
    """Days [start, end] of one squad's KPIs (squad_id None: org only) that changed."""

    squad_id: int | None
    start: date
    end: date


def _day(value: date | datetime | None) -> date | None:
    return None if value is None else utc_day(value)


def spans_for(model: type, values: Mapping[str, Any]) -> list[Span]:
    """The spans a record with these field values (attnames) contributes to."""
    today = timezone.now().date()
    squad_id = values.get("squad_id")
    if model is Squad:
        return [Span(values.get("id"), EVERYTHING_FROM, today)]
    if model is Change:
        # a change counts in its release's period, for its release's squad
        released = PERIOD_FIELD[Release]
        row = Release.objects.filter(pk=values.get("release_id")).values_list("squad_id", released).first()
        return [Span(row[0], _day(row[1]), _day(row[1]))] if row else []
    if model not in PERIOD_FIELD:
        raise ValueError(f"no dirty rule for {model.__name__}")
    placed = _day(values[PERIOD_FIELD[model]])
    if model is Incident:
        # an incident counts in every day it is open (uptime), up to today while unresolved
        end = _day(values.get("resolved_at")) or today
        spans = [Span(squad_id, placed, max(placed, end))]
        release_id = values.get("caused_by_release_id")
        if release_id:
            row = Release.objects.filter(pk=release_id).values_list("squad_id", PERIOD_FIELD[Release]).first()
            if row:
                spans.append(Span(row[0], _day(row[1]), _day(row[1])))
        return spans
    spans = [Span(squad_id, placed, placed)]
    if model is Release and values.get("id"):
        # recovery_hours of incidents naming this release depends on released_at
        for inc_squad, resolved in Incident.objects.filter(
            caused_by_release_id=values["id"], resolved_at__isnull=False
        ).values_list("squad_id", "resolved_at"):
            spans.append(Span(inc_squad, _day(resolved), _day(resolved)))
    return spans


def spans_of_changes(
    model: type, changes: list[tuple[dict | None, dict]], known_releases: Mapping[int, tuple[int, datetime]]
) -> tuple[list[Span], list[tuple[str, date, date]]]:
    """Dirty spans of bulk-written records (old values None for a creation), as `spans_for` would
    give them one by one, with its per-row related-record lookups done in one query each.
    `known_releases`: release id → (squad_id, released_at) the caller already loaded."""
    spans: list[Span] = []
    extra: list[tuple[str, date, date]] = []
    values_list = [v for old, new in changes for v in (old, new) if v is not None]
    for values in values_list:
        if model is Change:
            continue  # placed by its release: resolved below in one query
        if model is Release:
            values = {**values, "id": None}  # incidents naming it: fetched below in one query
        elif model is Incident:
            values = {**values, "caused_by_release_id": None}  # its release: resolved below
        spans += spans_for(model, values)
    if model is Release:
        updated_ids = [new["id"] for old, new in changes if old is not None]
        for start in range(0, len(updated_ids), _BATCH_SIZE):
            rows = Incident.objects.filter(
                caused_by_release_id__in=updated_ids[start : start + _BATCH_SIZE], resolved_at__isnull=False
            ).values_list("squad_id", "resolved_at")
            spans += [Span(squad_id, _day(at), _day(at)) for squad_id, at in rows]
    elif model in (Incident, Change):
        known = dict(known_releases)
        ref = "caused_by_release_id" if model is Incident else "release_id"
        wanted = {v[ref] for v in values_list if v.get(ref)}
        missing = sorted(wanted - set(known))
        if missing:
            rows = Release.objects.filter(pk__in=missing).values_list("id", "squad_id", PERIOD_FIELD[Release])
            known.update({pk: (s, at) for pk, s, at in rows})
        for release_id in wanted:
            if release_id in known:
                squad_id, at = known[release_id]
                spans.append(Span(squad_id, _day(at), _day(at)))
    elif model is Squad:
        moved = [(old, new) for old, new in changes if old is not None and old["area_id"] != new["area_id"]]
        extra = _left_areas(old["area_id"] for old, _new in moved)
    return spans, extra


def spans_of_change(
    model: type, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> tuple[list[Span], list[tuple[str, date, date]]]:
    """Dirty spans of one saved or deleted row (old values None for a creation, new None for a
    delete), and the whole history of an area a squad left."""
    spans = [span for values in (new, old) if values for span in spans_for(model, values)]
    extra: list[tuple[str, date, date]] = []
    if model is Squad and old and new:
        extra = _left_areas([old["area_id"]]) if old.get("area_id") != new.get("area_id") else []
    return spans, extra


def _left_areas(area_ids: Iterable[int | None]) -> list[tuple[str, date, date]]:
    """A squad that moved out of an area changes that area's KPIs over its whole history."""
    ids = {area_id for area_id in area_ids if area_id}
    if not ids:
        return []
    today = timezone.now().date()
    slugs = Area.objects.filter(pk__in=ids).values_list("slug", flat=True)
    return [(area_scope(slug), EVERYTHING_FROM, today) for slug in slugs]


def _scopes(squad_id: int | None, areas_by_squad: Mapping[int, str], slugs: Mapping[int, str]) -> list[str]:
    if squad_id is None:
        return [ORG]
    scopes = [ORG, squad_scope(slugs[squad_id])]
    if squad_id in areas_by_squad:
        scopes.append(area_scope(areas_by_squad[squad_id]))
    return scopes


def mark_spans(spans: Iterable[Span], *, extra_scopes: Iterable[tuple[str, date, date]] = ()) -> int:
    """Store dirty ranges for the spans, merged per scope, and schedule a rollup."""
    spans = [s for s in spans if s.start is not None]
    squad_ids = {s.squad_id for s in spans if s.squad_id is not None}
    rows = Squad.objects.filter(pk__in=squad_ids).values_list("id", "slug", "area__slug")
    slugs = {sid: slug for sid, slug, _ in rows}
    areas = {sid: area for sid, _, area in rows}
    merged: dict[str, tuple[date, date]] = {}
    for scope, start, end in extra_scopes:
        merged[scope] = (start, end)
    for span in spans:
        if span.squad_id is not None and span.squad_id not in slugs:
            continue  # the squad is being deleted with the record; nothing to roll up for it
        for scope in _scopes(span.squad_id, areas, slugs):
            low, high = merged.get(scope, (span.start, span.end))
            merged[scope] = (min(low, span.start), max(high, span.end))
    DirtyRange.objects.bulk_create(
        [DirtyRange(scope=scope, start=start, end=end) for scope, (start, end) in merged.items()]
    )
    if merged:
        schedule_rollup()
    return len(merged)


def schedule_rollup() -> None:
    """Enqueue an incremental rollup once the current transaction commits."""
    if settings.KPI_ROLLUP_ON_COMMIT:
        transaction.on_commit(_enqueue_incremental_rollup)


#: Set while an incremental rollup is queued and not yet started (in the shared cache); a write
#: finding it set enqueues nothing — the queued run will see its marks. The run clears it as it
#: starts, so marks committed during a run enqueue the next one. The timeout bounds the harm of a
#: lost message: after it the next write enqueues again (and beat's periodic run is there anyway).
PENDING_KEY = "kpi-rollup:incremental-pending"
PENDING_SECONDS = 60


def _enqueue_incremental_rollup() -> None:
    from django.core.cache import cache
    from kombu.exceptions import OperationalError

    from metrics.kpis.tasks import rollup_dirty

    coalesce = getattr(settings, "KPI_ROLLUP_COALESCE", False)
    if coalesce and not cache.add(PENDING_KEY, 1, timeout=PENDING_SECONDS):
        return  # one is already waiting: 676 posts queue one rollup, not 700
    try:
        rollup_dirty.delay()
    except OperationalError:
        if coalesce:
            cache.delete(PENDING_KEY)
        # The dirty marks are committed; the periodic run picks them up later.
        logger.warning("broker unreachable; dirty KPI periods wait for the next scheduled rollup")


def clear_pending_flag() -> None:
    """Called as an incremental rollup starts, before it reads the dirty marks."""
    from django.core.cache import cache

    cache.delete(PENDING_KEY)
