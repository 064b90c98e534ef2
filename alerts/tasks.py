"""Celery tasks of alerts: thin wrappers. Each is idempotent (alert states and the
mailed/sent marks make a second run do nothing) and retried only on transient errors."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

TRANSIENT = (OperationalError, InterfaceError)
_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(name="alerts.evaluate_rules", autoretry_for=TRANSIENT, **_OPTIONS)
def evaluate_rules(now: str | None = None) -> int:
    """Judge every alert rule on the stored snapshots; returns alerts fired."""
    from datetime import datetime

    from alerts.evaluation import evaluate_rules as evaluate

    return len(evaluate(now=datetime.fromisoformat(now) if now else None))


@shared_task(name="alerts.send_alert_emails", autoretry_for=(*TRANSIENT, smtplib.SMTPException, OSError), **_OPTIONS)
def send_alert_emails(alert_ids: list[int]) -> int:
    """E-mail these alerts to their rules' subscribers; returns messages sent."""
    from alerts.emails import send_alerts

    return send_alerts(alert_ids)


@shared_task(name="alerts.send_weekly_digests", autoretry_for=(*TRANSIENT, smtplib.SMTPException, OSError), **_OPTIONS)
def send_weekly_digests() -> int:
    """One digest per subscribed user for the week; returns digests sent."""
    from alerts.digest import send_digests

    return send_digests()
