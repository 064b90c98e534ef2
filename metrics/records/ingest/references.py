"""The rules that join an incident and the release it names (`caused_by_release`).

A release cannot cause what began before it, and a PM names only releases of squads they
manage (the importer and the services check the latter; they know the user).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from metrics.records.ingest import parsing as p
from metrics.records.models import Incident

if TYPE_CHECKING:
    from metrics.records.ingest.kinds import Lookups


def referenced_release(instance: models.Model, lookups: Lookups) -> tuple[int, int, Any] | None:
    """(id, squad_id, released_at) of the release an incident names, from the lookups."""
    release_id = getattr(instance, "caused_by_release_id", None)
    if release_id is None:
        return None
    index = getattr(lookups, "_releases_by_id", None)
    if index is None or len(index) != len(lookups.releases):
        index = {row[0]: row for row in lookups.releases.values()}
        lookups._releases_by_id = index
    return index.get(release_id)


def check_cause_time(instance: models.Model, lookups: Lookups, errors: dict[str, str]) -> None:
    """A release cannot cause what began before it: `caused_by_release` must be released at or
    before the incident's `started_at` (else recovery times come out negative)."""
    if not isinstance(instance, Incident) or "caused_by_release" in errors or "started_at" in errors:
        return
    release = referenced_release(instance, lookups)
    if release is not None and instance.started_at is not None and release[2] > instance.started_at:
        errors["caused_by_release"] = (
            f"released at {p.format_timestamp(release[2])}, after the incident started "
            f"({p.format_timestamp(instance.started_at)}): a release cannot cause what began before it"
        )


def releases_after_their_incidents(releases: list[models.Model]) -> dict[int, Any]:
    """Release id → the earliest `started_at` of the incidents it caused, for those of `releases`
    (already holding their new `released_at`) now released after one of them began. One query."""
    ids = {r.pk: r.released_at for r in releases if r.pk is not None and r.released_at is not None}
    if not ids:
        return {}
    from django.db.models import Min

    rows = (
        Incident.objects.filter(caused_by_release_id__in=list(ids))
        .values("caused_by_release_id")
        .annotate(first=Min("started_at"))
        .values_list("caused_by_release_id", "first")
    )
    return {rid: first for rid, first in rows if first is not None and ids[rid] > first}


NOT_YOUR_RELEASE = "you may name only releases of squads you manage"
CAUSE_AFTER_INCIDENT = "after the start of an incident it caused ({}): a release cannot cause what began before it"
