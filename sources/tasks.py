"""Celery tasks of the sources: thin wrappers over `sources.sync`, taking ids.

`sync_all_sources` (beat, every 15 minutes) enqueues one `sync_source` task per
enabled source, so one slow or failing source never holds up another.
A misbehaving tool is not a task failure: the source records the error and the
next run tries again. A run already in progress makes a scheduled run step
aside and a webhook's run retry a little later.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from sources.locks import source_lock
from sources.models import Source
from sources.sync import sync_source

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)
_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "ignore_result": True,
}


class SourceBusy(Exception):
    """Another run of the source holds its lock."""


@shared_task(name="sources.sync_all")
def sync_all_sources() -> int:
    """Enqueue one sync per enabled source; returns how many."""
    ids = list(Source.objects.filter(enabled=True).values_list("id", flat=True))
    for source_id in ids:
        sync_source_task.delay(source_id)
    return len(ids)


@shared_task(name="sources.sync_source", **_OPTIONS)
def sync_source_task(source_id: int, full: bool = False) -> str:
    """Pull one source (incrementally, or `full`); returns the run's summary."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return "no such source"
    with source_lock(source_id) as taken:
        if not taken:
            logger.info("source %s: a run is in progress; this one steps aside", source.name)
            return "busy"
        return sync_source(source, full=full).summary()


@shared_task(
    name="sources.sync_items",
    **{**_OPTIONS, "autoretry_for": (*TRANSIENT, SourceBusy), "retry_backoff": 10},
)
def sync_source_items(source_id: int, items: list[str]) -> str:
    """Sync the items a webhook named (the same mapping as the pull)."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return "no such source"
    with source_lock(source_id) as taken:
        if not taken:
            raise SourceBusy(source.name)
        return sync_source(source, items=items).summary()
