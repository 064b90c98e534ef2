"""Demo reviews and alert rules (`manage.py seed_demo_reviews`, after `seed_demo`): last month's
org review, frozen, with a decision and a note; the demo PM's squad review, frozen, with one open
and one done action item; two alert rules."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from alerts.services import create_rule
from reviews import kpi_reads
from reviews.services import add_note, create_action_item, create_review, freeze_review, set_action_item_state
from squads.models import Squad


def create_demo_reviews() -> dict[str, int]:
    """Needs the demo users (`ops`, `pm`) and a finished rollup; returns what it created."""
    users = get_user_model().objects.in_bulk(["ops", "pm"], field_name="username")
    ops, pm = users["ops"], users["pm"]
    today = timezone.now().date()
    last_month = kpi_reads.latest_complete_period("month", today)
    org = create_review(
        user=ops, title=f"{last_month:%B %Y} org review", scope="org", grain="month", period_start=last_month
    )
    freeze_review(user=ops, review=org)
    add_note(
        user=ops,
        review=org,
        kind="decision",
        text="Every squad adds a rollback drill to its release checklist this quarter.",
    )
    add_note(user=ops, review=org, metric="change_failure_rate", text="Rollbacks cluster around Friday releases.")
    squad = Squad.objects.filter(pm=pm).order_by("id").first()
    items = 0
    if squad is not None:
        own = create_review(
            user=ops,
            title=f"{squad.name}: {last_month:%B %Y}",
            scope=squad.scope,
            grain="month",
            period_start=last_month,
        )
        freeze_review(user=ops, review=own)
        create_action_item(
            user=pm,
            review=own,
            title="Rollback drill in the release checklist",
            owner=pm,
            due=today + timedelta(days=5),
            metrics=["change_failure_rate", "recovery_hours"],
        )
        done = create_action_item(
            user=pm,
            review=own,
            title="Tag customer-found defects in Jira",
            owner=pm,
            due=today - timedelta(days=3),
            metrics=["customer_found_defects"],
        )
        set_action_item_state(user=pm, item=done, state="done")
        items = 2
    create_rule(
        user=ops,
        metric="change_failure_rate",
        scope="squad:*",
        grain="month",
        condition="off_track",
        subscribers=["pm"],
    )
    create_rule(
        user=ops, metric="nps", scope="org", grain="month", condition="change_pct", threshold=25, subscribers=["ops"]
    )
    return {"reviews": 2 if squad else 1, "action_items": items, "alert_rules": 2}
