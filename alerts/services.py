"""Writes for alerts: rules (ops staff and admins), acknowledging an alert, following a scope.
Each checks its input (errors named by field) and runs in one transaction; every save and delete
is announced as a `record_changed` (see `alerts.apps`), which the audit log records."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, AlertRule, Subscription
from core.loaded_values import current_values
from metrics.records.signals import announce_row
from reviews import kpi_reads
from reviews.permissions import can_write_rules
from reviews.scopes import check_scope

MAX_SUBSCRIBERS = 200


def _subscribers(names: object) -> list[Any]:
    if names in (None, ""):
        return []
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not isinstance(names, list | tuple) or len(names) > MAX_SUBSCRIBERS:
        raise ValidationError({"subscribers": [f"a list of at most {MAX_SUBSCRIBERS} usernames"]})
    wanted = [str(n) for n in names]
    users = list(get_user_model().objects.filter(username__in=wanted, is_active=True))
    missing = sorted(set(wanted) - {u.get_username() for u in users})
    if missing:
        raise ValidationError({"subscribers": [f"no active user {', '.join(map(repr, missing))}"]})
    return users


def _threshold(condition: str, value: object) -> float | None:
    if condition == AlertRule.Condition.OFF_TRACK:
        return None
    if value is None or value == "" or isinstance(value, bool):
        raise ValidationError({"threshold": [f"a number is required for condition {condition!r}"]})
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({"threshold": [f"{value!r} is not a number"]}) from None
    if not math.isfinite(number):
        raise ValidationError({"threshold": ["must be a finite number"]})
    if condition == AlertRule.Condition.CHANGE_PCT and number <= 0:
        raise ValidationError({"threshold": ["a change in % must be above 0"]})
    return number


@transaction.atomic
def create_rule(
    *,
    user: Any,
    metric: str,
    scope: str,
    grain: str,
    condition: str,
    threshold: object = None,
    subscribers: object = None,
) -> AlertRule:
    """A new alert rule; ops staff and admins only."""
    if not can_write_rules(user):
        raise PermissionDenied("only ops staff and admins write alert rules")
    kpi = kpi_reads.CATALOG.get(str(metric))
    if kpi is None:
        raise ValidationError({"metric": [f"no KPI {metric!r}"]})
    if grain not in kpi.grains:
        raise ValidationError({"grain": [f"{kpi.code} is computed per {', '.join(kpi.grains)}, not {grain!r}"]})
    if condition not in AlertRule.Condition.values:
        raise ValidationError({"condition": [f"{condition!r} is not one of {', '.join(AlertRule.Condition.values)}"]})
    scope = check_scope(scope, allow_every_squad=True)
    rule = AlertRule.objects.create(
        metric=kpi.code,
        scope=scope,
        grain=grain,
        condition=condition,
        threshold=_threshold(condition, threshold),
        created_by=user,
    )
    through = AlertRule.subscribers.through
    for person in _subscribers(subscribers):
        row = through.objects.create(alertrule=rule, user=person)
        announce_row(row, "create", current_values(row))  # hence audited
    return rule


@transaction.atomic
def delete_rule(*, user: Any, rule: AlertRule) -> None:
    if not can_write_rules(user):
        raise PermissionDenied("only ops staff and admins write alert rules")
    rule.delete()


@transaction.atomic
def acknowledge(*, user: Any, alert: Alert) -> Alert:
    """Mark an alert seen (any signed-in user; the first acknowledgement is kept)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert


@transaction.atomic
def follow(*, user: Any, scope: str) -> Subscription:
    """The user follows `scope` (idempotent)."""
    scope = check_scope(scope)
    subscription, _ = Subscription.objects.get_or_create(user=user, scope=scope)
    return subscription


@transaction.atomic
def unfollow(*, user: Any, scope: str) -> None:
    for subscription in Subscription.objects.filter(user=user, scope=scope):
        subscription.delete()  # one by one: each delete is announced, hence audited
