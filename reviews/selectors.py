"""Reads for reviews: the values a review shows (frozen or live, with restatements), the action
items it carries, and chart annotations. KPI numbers come only from `reviews.kpi_reads`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from reviews import kpi_reads
from reviews.models import ActionItem, Note, Review

# Values closer than this are the same number (floats read back from the database).
SAME_VALUE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ShownValue:
    """One KPI line of a review: what it shows, and today's snapshot when that differs."""

    metric: str
    label: str
    unit: str
    definition: str
    value: float | None
    sample_size: int
    status: str | None
    baseline: float | None
    target: float | None
    previous_value: float | None
    current_value: float | None = None
    restated: bool = False
    low_confidence: bool = False


def same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=SAME_VALUE_TOLERANCE, abs_tol=SAME_VALUE_TOLERANCE)


def live_values(*, scope: str, grain: str, period_start: date) -> list[ShownValue]:
    """Every KPI of the grain for the scope and period, read from today's snapshots."""
    kpis = kpi_reads.kpis_for_grain(grain)
    codes = [k.code for k in kpis]
    previous = kpi_reads.previous_period_start(grain, period_start)
    stored = kpi_reads.snapshot_values(grain=grain, periods=[period_start, previous], metrics=codes, scopes=[scope])
    baselines = kpi_reads.baseline_values(grain=grain, scope=scope, metrics=codes)
    statuses = kpi_reads.statuses_and_targets(
        scope=scope, values={code: getattr(stored.get((code, scope, period_start)), "value", None) for code in codes}
    )
    out = []
    for kpi in kpis:
        now = stored.get((kpi.code, scope, period_start))
        before = stored.get((kpi.code, scope, previous))
        value = now.value if now else None
        size = now.sample_size if now else 0
        status, target = statuses[kpi.code]
        out.append(
            ShownValue(
                metric=kpi.code,
                label=kpi.label,
                unit=kpi.unit,
                definition=kpi.definition,
                value=value,
                sample_size=size,
                status=status,
                baseline=baselines.get(kpi.code),
                target=target,
                previous_value=before.value if before else None,
                low_confidence=value is not None and not kpi_reads.is_confident(kpi.code, value, size),
            )
        )
    return out


def review_values(review: Review) -> list[ShownValue]:
    """A frozen review's copied values, each with today's value where it has been restated since;
    an open review's live values."""
    if not review.is_frozen:
        return live_values(scope=review.scope, grain=review.grain, period_start=review.period_start)
    frozen = list(review.frozen_values.all())
    today = kpi_reads.snapshot_values(
        grain=review.grain, periods=[review.period_start], metrics=[f.metric for f in frozen], scopes=[review.scope]
    )
    out = []
    for row in frozen:
        kpi = kpi_reads.CATALOG.get(row.metric)
        current = today.get((row.metric, review.scope, review.period_start))
        current_value = current.value if current else None
        restated = not same_value(row.value, current_value)
        out.append(
            ShownValue(
                metric=row.metric,
                label=kpi.label if kpi else row.metric,
                unit=kpi.unit if kpi else "",
                definition=kpi.definition if kpi else "",
                value=row.value,
                sample_size=row.sample_size,
                status=row.status or None,
                baseline=row.baseline,
                target=row.target,
                previous_value=row.previous_value,
                current_value=current_value if restated else None,
                restated=restated,
                low_confidence=row.value is not None
                and not kpi_reads.is_confident(row.metric, row.value, row.sample_size),
            )
        )
    return out


def review_list() -> QuerySet[Review]:
    return Review.objects.select_related("created_by", "frozen_by").order_by("-period_start", "-id")


def notes_of(review: Review) -> list[Note]:
    return list(review.notes.select_related("author").order_by("created_at", "id"))


def action_items_of(review: Review) -> QuerySet[ActionItem]:
    """The items raised in this review, and those raised in earlier reviews of the same scope that
    were still open when this one was frozen (or are still open, while it is not frozen)."""
    earlier = Q(review__scope=review.scope) & (
        Q(review__period_start__lt=review.period_start)
        | Q(review__period_start=review.period_start, review_id__lt=review.pk)
    )
    if review.is_frozen:
        still_open = Q(closed_at__isnull=True) | Q(closed_at__gt=review.frozen_at)
        earlier &= Q(created_at__lte=review.frozen_at)
    else:
        still_open = Q(state=ActionItem.State.OPEN)
    return (
        ActionItem.objects.filter(Q(review=review) | (earlier & still_open))
        .select_related("owner", "review")
        .order_by("due", "id")
    )


def open_items_due(*, owner_id: int, until: date) -> QuerySet[ActionItem]:
    """The owner's open action items due on or before `until` (overdue ones included)."""
    return (
        ActionItem.objects.filter(owner_id=owner_id, state=ActionItem.State.OPEN, due__lte=until)
        .select_related("review")
        .order_by("due", "id")
    )


@dataclass(frozen=True)
class Annotation:
    """A marker on a KPI's trend chart."""

    day: date
    kind: str  # "review", "action_due", "action_closed"
    text: str
    url: str


def annotations_for(*, metric: str, scope: str, date_from: date, date_to: date) -> list[Annotation]:
    """Frozen reviews of the scope in [date_from, date_to] (they show every KPI of their grain), and
    action items targeting the KPI in the scope: when due (while open) and when closed."""
    out: list[Annotation] = []
    reviews = Review.objects.filter(
        scope=scope, frozen_at__isnull=False, period_start__gte=date_from, period_start__lte=date_to
    ).order_by("period_start")
    for review in reviews:
        if metric in {k.code for k in kpi_reads.kpis_for_grain(review.grain)}:
            out.append(Annotation(review.period_start, "review", f"review: {review.title}", f"/reviews/{review.pk}/"))
    items = (
        ActionItem.objects.filter(scope=scope, metrics__contains=[metric])
        if _json_contains()
        else ActionItem.objects.filter(scope=scope)
    )
    for item in items.order_by("due", "id"):
        if metric not in item.metrics:
            continue
        url = f"/reviews/{item.review_id}/#item-{item.pk}"
        if item.state == ActionItem.State.OPEN:
            if date_from <= item.due <= date_to:
                out.append(Annotation(item.due, "action_due", f"action due: {item.title}", url))
        elif item.closed_at is not None and date_from <= item.closed_at.date() <= date_to:
            out.append(Annotation(item.closed_at.date(), "action_closed", f"action {item.state}: {item.title}", url))
    return sorted(out, key=lambda a: (a.day, a.kind))


def _json_contains() -> bool:
    """`metrics__contains=[code]` is a JSON containment test on PostgreSQL; SQLite lacks it."""
    from django.db import connection

    return connection.vendor == "postgresql"
