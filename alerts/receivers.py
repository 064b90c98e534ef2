"""After every successful rollup, the alert rules are evaluated on what it stored (after commit,
as a task of its own, so a slow SMTP server or an evaluation error never fails a rollup)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from reviews import kpi_reads


def rollup_finished(*, kind: str, now: datetime, **kwargs: Any) -> None:
    from alerts.tasks import evaluate_rules

    stamp = now.isoformat()
    # robust: without a broker the task runs right here, and a failure must not fail the write
    # (or the rollup) that triggered it; the next rollup evaluates again.
    transaction.on_commit(lambda: evaluate_rules.delay(stamp), robust=True)


def connect() -> None:
    kpi_reads.on_rollup_finished(rollup_finished, dispatch_uid="alerts.evaluate_after_rollup")
