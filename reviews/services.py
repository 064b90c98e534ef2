"""Writes for reviews: create, freeze, notes, action items. Every write checks the role rules
(`reviews.permissions`), validates its input with errors named by field and runs in one
transaction; every save is announced as a `record_changed` (see `reviews.apps`), which the
audit log records with the acting user."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reviews import kpi_reads
from reviews.models import GRAIN_CHOICES, ActionItem, FrozenValue, Note, Review
from reviews.permissions import can_annotate, can_manage_reviews, managed_squad_scopes
from reviews.scopes import check_scope
from reviews.selectors import live_values

GRAINS = [g for g, _ in GRAIN_CHOICES]
MAX_METRICS = 30


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def parse_day(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: [f"{value!r} is not a date (YYYY-MM-DD)"]}) from None


def check_period(grain: object, period_start: object, *, today: date | None = None) -> tuple[str, date]:
    if grain not in GRAINS:
        raise ValidationError({"grain": [f"{grain!r} is not one of {', '.join(GRAINS)}"]})
    day = parse_day(period_start, "period_start")
    if kpi_reads.period_start_for(grain, day) != day:
        raise ValidationError({"period_start": [f"{day} is not the first day of a {grain}"]})
    today = today or timezone.now().date()
    if day > today:
        raise ValidationError({"period_start": [f"{day} has not begun yet"]})
    return grain, day


def _text(value: object, field: str, max_length: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({field: ["this field is required"]})
    if len(text) > max_length or "\x00" in text:
        raise ValidationError({field: [f"at most {max_length} characters, no NUL"]})
    return text


@transaction.atomic
def create_review(*, user: Any, title: str, scope: str, grain: str, period_start: date | str) -> Review:
    """A new (open) review of `scope` for the period; ops staff and admins only."""
    _require(can_manage_reviews(user), "only ops staff and admins create reviews")
    title = _text(title, "title", 200)
    scope = check_scope(scope)
    grain, day = check_period(grain, period_start)
    return Review.objects.create(title=title, scope=scope, grain=grain, period_start=day, created_by=user)


@transaction.atomic
def freeze_review(*, user: Any, review: Review) -> Review:
    """Copy every value the review shows (value, sample size, status, baseline, target) as of now.
    Later rollups never change these rows; a review is frozen once."""
    _require(can_manage_reviews(user), "only ops staff and admins freeze reviews")
    review = Review.objects.select_for_update().get(pk=review.pk)  # two freezes at once: the second waits, then fails
    if review.is_frozen:
        raise ValidationError({"frozen_at": [f"already frozen at {review.frozen_at:%Y-%m-%d %H:%M} UTC"]})
    values = live_values(scope=review.scope, grain=review.grain, period_start=review.period_start)
    FrozenValue.objects.bulk_create(
        [
            FrozenValue(
                review=review,
                metric=v.metric,
                value=v.value,
                sample_size=v.sample_size,
                status=v.status or "",
                baseline=v.baseline,
                target=v.target,
                previous_value=v.previous_value,
            )
            for v in values
        ]
    )
    review.frozen_at = timezone.now()
    review.frozen_by = user
    review.save(update_fields=["frozen_at", "frozen_by"])
    return review


@transaction.atomic
def add_note(*, user: Any, review: Review, text: str, metric: str = "", kind: str = Note.Kind.NOTE) -> Note:
    """A note on one KPI (`metric`), a free note, or a decision (`kind="decision"`)."""
    _require(can_annotate(user, review.scope), "you may add notes only to reviews of your squads")
    if kind not in Note.Kind.values:
        raise ValidationError({"kind": [f"{kind!r} is not one of {', '.join(Note.Kind.values)}"]})
    metric = str(metric or "")
    if metric and metric not in kpi_reads.CATALOG:
        raise ValidationError({"metric": [f"no KPI {metric!r}"]})
    return Note.objects.create(review=review, metric=metric, kind=kind, text=_text(text, "text", 5000), author=user)


def _owner(owner: object) -> Any:
    model = get_user_model()
    if isinstance(owner, model):
        return owner
    name = str(owner or "").strip()
    if not name:
        raise ValidationError({"owner": ["this field is required (a username)"]})
    user = model.objects.filter(username=name, is_active=True).first()
    if user is None:
        raise ValidationError({"owner": [f"no active user {name!r}"]})
    return user


def _metrics(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or len(value) > MAX_METRICS:
        raise ValidationError({"metrics": [f"a list of at most {MAX_METRICS} KPI codes"]})
    unknown = [str(code) for code in value if code not in kpi_reads.CATALOG]
    if unknown:
        raise ValidationError({"metrics": [f"no KPI {', '.join(map(repr, unknown))}"]})
    return list(dict.fromkeys(value))


@transaction.atomic
def create_action_item(
    *,
    user: Any,
    review: Review,
    title: str,
    owner: object,
    due: date | str,
    metrics: object = None,
    scope: str | None = None,
) -> ActionItem:
    """An open action item raised in `review`, targeting `metrics` in `scope` (default: the review's)."""
    _require(can_annotate(user, review.scope), "you may add action items only to reviews of your squads")
    scope = check_scope(scope or review.scope)
    if not can_manage_reviews(user) and scope != review.scope and scope not in managed_squad_scopes(user):
        raise PermissionDenied("a PM's action items target their own squads")
    return ActionItem.objects.create(
        review=review,
        title=_text(title, "title", 300),
        owner=_owner(owner),
        due=parse_day(due, "due"),
        metrics=_metrics(metrics),
        scope=scope,
        created_by=user,
    )


@transaction.atomic
def set_action_item_state(*, user: Any, item: ActionItem, state: str) -> ActionItem:
    """Close (done / dropped) or reopen an item; ops staff, admins and the PM of the review's squad."""
    item = ActionItem.objects.select_for_update().select_related("review").get(pk=item.pk)
    _require(can_annotate(user, item.review.scope), "you may change action items only of reviews of your squads")
    if state not in ActionItem.State.values:
        raise ValidationError({"state": [f"{state!r} is not one of {', '.join(ActionItem.State.values)}"]})
    if state == item.state:
        return item
    item.state = state
    item.closed_at = None if state == ActionItem.State.OPEN else timezone.now()
    item.save(update_fields=["state", "closed_at"])
    return item
