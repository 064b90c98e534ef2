"""The weekly digest: for each user, the scopes they follow (their subscriptions, plus the squads
they are PM of), the KPIs whose target status changed between the last two complete periods,
the largest moves, and their own open action items due within a week — each with a link.

Sent by the `alerts.send_weekly_digests` task (Monday 08:00 UTC by default, see
`DIGEST_CRON`). One digest per user and week: a rerun sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.emails import absolute, metric_link
from alerts.models import DigestSent, Subscription
from reviews import kpi_reads
from reviews.formatting import format_value
from reviews.models import ActionItem
from reviews.permissions import managed_squad_scopes
from reviews.scopes import scope_label
from reviews.selectors import open_items_due

LARGEST_MOVES = 5
DUE_WITHIN = timedelta(days=7)


def followed_scopes(user: Any) -> list[str]:
    """Scopes the user follows: their subscriptions, and by default the squads they are PM of."""
    explicit = set(Subscription.objects.filter(user=user).values_list("scope", flat=True))
    return sorted(explicit | managed_squad_scopes(user))


@dataclass(frozen=True)
class StatusChange:
    metric: str
    scope: str
    before: str
    after: str
    value: float | None
    link: str


@dataclass(frozen=True)
class Move:
    metric: str
    scope: str
    before: float
    after: float
    pct: float
    link: str


@dataclass
class Digest:
    user: Any
    grain: str
    period: date
    previous: date
    scopes: list[str]
    status_changes: list[StatusChange] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    items_due: list[ActionItem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.status_changes or self.moves or self.items_due)


def build_digest(user: Any, *, today: date) -> Digest:
    grain = getattr(settings, "DIGEST_GRAIN", "week")
    period = kpi_reads.latest_complete_period(grain, today)
    previous = kpi_reads.previous_period_start(grain, period)
    scopes = followed_scopes(user)
    digest = Digest(user=user, grain=grain, period=period, previous=previous, scopes=scopes)
    digest.items_due = list(open_items_due(owner_id=user.pk, until=today + DUE_WITHIN))
    if not scopes:
        return digest
    codes = [k.code for k in kpi_reads.kpis_for_grain(grain)]
    stored = kpi_reads.snapshot_values(grain=grain, periods=[period, previous], metrics=codes, scopes=scopes)
    confident = {
        key: snap for key, snap in stored.items() if kpi_reads.is_confident(snap.metric, snap.value, snap.sample_size)
    }
    now_values = {(m, s): v.value for (m, s, p), v in confident.items() if p == period}
    before_values = {(m, s): v.value for (m, s, p), v in confident.items() if p == previous}
    status_now = kpi_reads.target_statuses(now_values)
    status_before = kpi_reads.target_statuses(before_values)
    for key in sorted(set(status_now) & set(status_before)):
        after, before = status_now[key][0], status_before[key][0]
        if after and before and after != before:
            metric, scope = key
            digest.status_changes.append(
                StatusChange(metric, scope, before, after, now_values[key], metric_link(metric, scope, grain))
            )
    moves = []
    for key in set(now_values) & set(before_values):
        after, before = now_values[key], before_values[key]
        if before:
            pct = 100.0 * (after - before) / abs(before)
            if pct:
                moves.append(Move(key[0], key[1], before, after, pct, metric_link(key[0], key[1], grain)))
    moves.sort(key=lambda m: (-abs(m.pct), m.metric, m.scope))
    digest.moves = moves[:LARGEST_MOVES]
    return digest


def _label(metric: str) -> str:
    kpi = kpi_reads.CATALOG.get(metric)
    return kpi.label if kpi else metric


def render(digest: Digest) -> tuple[str, str]:
    """Subject and plain-text body."""
    subject = f"[productops] weekly digest: {digest.grain} of {digest.period:%Y-%m-%d}"
    lines = [
        f"Hello {digest.user.get_username()},",
        "",
        f"Your weekly digest for the {digest.grain} starting {digest.period:%Y-%m-%d} "
        f"(compared with {digest.previous:%Y-%m-%d}).",
        "Scopes you follow: " + (", ".join(scope_label(s) for s in digest.scopes) or "none"),
        "",
        "Status changes:",
    ]
    lines += [
        f"- {_label(c.metric)} ({scope_label(c.scope)}): {c.before} -> {c.after}, now "
        f"{format_value(c.metric, c.value)}  {c.link}"
        for c in digest.status_changes
    ] or ["- none"]
    lines += ["", "Largest moves:"]
    lines += [
        f"- {_label(m.metric)} ({scope_label(m.scope)}): {format_value(m.metric, m.before)} -> "
        f"{format_value(m.metric, m.after)} ({m.pct:+.1f} %)  {m.link}"
        for m in digest.moves
    ] or ["- none"]
    lines += ["", "Your open action items due:"]
    lines += [
        f"- {item.title} (due {item.due:%Y-%m-%d}, {scope_label(item.scope)})  "
        f"{absolute(f'/reviews/{item.review_id}/#item-{item.pk}')}"
        for item in digest.items_due
    ] or ["- none"]
    lines += ["", f"Manage what you follow: {absolute('/alerts/subscriptions/')}"]
    return subject, "\n".join(lines) + "\n"


def send_digests(*, now: datetime | None = None) -> int:
    """Send this week's digest to every active user with an e-mail address who follows a scope or
    owns an open item due; returns digests sent. Each send is recorded in the same transaction as
    its mark, so a failed send is retried and a sent one never repeated."""
    now = now or timezone.now()
    today = now.date()
    week = kpi_reads.period_start_for("week", today)
    sent = 0
    connection = mailers.default
    users = get_user_model().objects.filter(is_active=True).exclude(email="").order_by("pk")
    for user in users:
        if DigestSent.objects.filter(user=user, week_start=week).exists():
            continue
        digest = build_digest(user, today=today)
        if not digest.scopes and not digest.items_due:
            continue
        subject, body = render(digest)
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, week_start=week, sent_at=now)
                connection.send_messages([EmailMessage(subject=subject, body=body, to=[user.email])])
        except IntegrityError:
            continue  # a concurrent run sent it
        sent += 1
    return sent
