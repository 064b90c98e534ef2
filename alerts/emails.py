"""The e-mails alerts and digests send, through Django's e-mail backend (configured from
`EMAIL_URL`). Every link is absolute, built on the `SITE_URL` setting."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, AlertRule
from reviews import kpi_reads
from reviews.formatting import format_value
from reviews.scopes import scope_label, scope_path


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def metric_link(metric: str, scope: str, grain: str) -> str:
    """The KPI's page for the scope (its squad page for a squad, whose trends show the KPI)."""
    if scope.startswith("squad:"):
        return absolute(f"{scope_path(scope)}?grain={grain}")
    area = scope.removeprefix("area:") if scope.startswith("area:") else ""
    query = f"?grain={grain}" + (f"&area={area}" if area else "")
    return absolute(f"/metrics/{metric}/{query}")


def describe(alert: Alert) -> str:
    """One line saying what happened, with the numbers."""
    rule = alert.rule
    kpi = kpi_reads.CATALOG.get(alert.metric)
    label = kpi.label if kpi else alert.metric
    value = format_value(alert.metric, alert.value)
    where = f"{scope_label(alert.scope)}, {alert.grain} of {alert.period_start:%Y-%m-%d}"
    if rule.condition == AlertRule.Condition.OFF_TRACK:
        what = "is off track" if alert.event == Alert.Event.START else "is no longer off track"
    elif rule.condition == AlertRule.Condition.CHANGE_PCT:
        ref = format_value(alert.metric, alert.reference)
        moved = "moved more than" if alert.event == Alert.Event.START else "is back within"
        what = f"{moved} {rule.threshold:g} % against the previous period (was {ref})"
    else:
        side = "above" if rule.condition == AlertRule.Condition.ABOVE else "below"
        threshold = format_value(alert.metric, rule.threshold)
        what = f"is {side} {threshold}" if alert.event == Alert.Event.START else f"is no longer {side} {threshold}"
    return f"{label} {what}: {value} (n={alert.sample_size}) — {where}"


def subject_of(alert: Alert) -> str:
    event = "alert" if alert.event == Alert.Event.START else "resolved"
    return f"[productops] {event}: {alert.metric} {alert.scope} {alert.grain} {alert.period_start:%Y-%m-%d}"


def alert_messages(alerts: Iterable[Alert]) -> list[EmailMessage]:
    """One message per alert and subscriber with an e-mail address."""
    messages = []
    for alert in alerts:
        body = "\n".join(
            [
                describe(alert),
                "",
                f"Rule: {alert.rule}",
                f"See the numbers: {metric_link(alert.metric, alert.scope, alert.grain)}",
                f"All alerts (acknowledge there): {absolute('/alerts/')}",
            ]
        )
        for user in alert.rule.subscribers.all():
            if user.email and user.is_active:
                messages.append(EmailMessage(subject=subject_of(alert), body=body, to=[user.email]))
    return messages


def send_alerts(alert_ids: list[int]) -> int:
    """E-mail the not-yet-mailed alerts among `alert_ids` to their rules' subscribers; returns
    messages sent. The alerts are locked while they are sent and marked in the same transaction,
    so two senders never mail one alert twice, and a failed send leaves them to the next try."""
    with transaction.atomic():
        locked = list(
            Alert.objects.select_for_update(skip_locked=True)
            .filter(pk__in=alert_ids, emailed_at__isnull=True)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        alerts = list(
            Alert.objects.filter(pk__in=locked)
            .select_related("rule")
            .prefetch_related("rule__subscribers")
            .order_by("id")
        )
        if not alerts:
            return 0
        messages = alert_messages(alerts)
        sent = mailers.default.send_messages(messages) if messages else 0
        Alert.objects.filter(pk__in=locked).update(emailed_at=timezone.now())
    return sent or 0


def unmailed_alert_ids(*, since: timedelta = timedelta(days=1)) -> list[int]:
    """Alerts of the last day whose e-mail has not gone out (e.g. the SMTP server was down)."""
    return list(
        Alert.objects.filter(emailed_at__isnull=True, created_at__gte=timezone.now() - since)
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
