"""What the layout of every dashboard page reads besides its body: the areas, the active squads
(navigation), the targets, the active baseline and when the KPIs were last computed (the body's
cache key holds the last three).

Read from the database on every request these were six queries — more than the rest of a page
whose body is cached. Where the page cache is shared by every process (PAGE_CACHE_URL), they are
kept there under a generation number: saving or deleting an area, squad, target, baseline or
rollup run bumps the generation once its transaction commits, so the next page reads them afresh
and a new rollup or an edited target still shows at once. Writes that skip model signals (bulk
loads such as the demo generator, snapshots restored without a run) show within
SHELL_CACHE_SECONDS. With per-process memory caches nothing is cached: a bump in one process could
not reach another's memory.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from dashboards import selectors
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.models import Baseline, RollupRun, Target
from squads.models import Area, Squad

CACHE_ALIAS = "template_fragments"  # the page cache
GENERATION_KEY = "dashboards:shell:generation"
SHELL_CACHE_SECONDS = 300
WATCHED = (Area, Squad, Target, Baseline, RollupRun)


@dataclass(frozen=True)
class Shell:
    areas: list[tuple[str, str]]
    squads: list[Squad]  # active, by name, area loaded
    targets: dict
    baseline: Baseline | None
    rollup_at: datetime | None


def read() -> Shell:
    return Shell(
        areas=selectors.area_choices(),
        squads=selectors.squads_for(),
        targets=kpi_selectors.targets(),
        baseline=kpi_selectors.active_baseline(),
        rollup_at=kpi_selectors.last_rollup().at,
    )


def enabled() -> bool:
    return bool(getattr(settings, "DASHBOARD_SHELL_CACHE", False))


def load() -> Shell:
    """The shell, from the page cache when it is shared, else from the database."""
    if not enabled():
        return read()
    cache = caches[CACHE_ALIAS]
    # A generation created afresh (first use, or evicted) never names an entry cached before it.
    generation = cache.get_or_set(GENERATION_KEY, time.time_ns, timeout=None)
    key = f"dashboards:shell:{generation}"
    shell = cache.get(key)
    if shell is None:
        shell = read()
        cache.set(key, shell, SHELL_CACHE_SECONDS)
    return shell


def bump() -> None:
    """A watched row changed: pages read the shell afresh (after the commit, so never the old rows)."""
    if not enabled():
        return
    cache = caches[CACHE_ALIAS]
    with contextlib.suppress(ValueError):  # none stored (or evicted): the next load() starts a new one
        cache.incr(GENERATION_KEY)


def _changed(sender, **kwargs) -> None:
    transaction.on_commit(bump)


def connect() -> None:
    for model in WATCHED:
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboards-shell-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboards-shell-delete-{model.__name__}")
