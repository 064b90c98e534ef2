"""Evaluating alert rules on the stored snapshots, after every rollup.

For each active rule, each scope it covers (`squad:*` expands to every squad with snapshots)
and each *live* period of its grain — the current one and the one before, the periods
records still arrive for — the condition is judged on the stored snapshot:

- `off_track`: the value's target status is off track;
- `above` / `below`: the value is above / below `threshold`;
- `change_pct`: the value moved more than `threshold` % (either way) against the previous period.

The verdict is compared with the state stored for (rule, scope, period): a change from off to
on fires one `start` alert, from on to off one `end` alert, nothing else fires. A value with
no number, or resting on fewer records than the KPI's confidence floor, gives no verdict and
leaves the state as it was. Because only stored snapshots and stored states are read, an
incremental and a full rollup that store the same snapshots fire the same alerts, and running
the evaluation twice fires nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.emails import unmailed_alert_ids
from alerts.models import Alert, AlertRule, RuleState
from reviews import kpi_reads
from reviews.scopes import EVERY_SQUAD


def live_periods(grain: str, now: datetime) -> list[date]:
    """The current period of `grain` and the ones before it still evaluated, newest first."""
    periods = [kpi_reads.period_start_for(grain, now)]
    for _ in range(max(1, getattr(settings, "ALERT_LIVE_PERIODS", 2)) - 1):
        periods.append(kpi_reads.previous_period_start(grain, periods[-1]))
    return periods


@dataclass(frozen=True)
class Verdict:
    holds: bool
    value: float | None
    sample_size: int
    reference: float | None = None


def judge(
    rule: AlertRule, now: kpi_reads.KpiValue | None, before: kpi_reads.KpiValue | None, status: str | None
) -> Verdict | None:
    """Whether the rule's condition holds on this snapshot; None when the snapshot cannot tell
    (no value, or a value below the KPI's confidence floor)."""
    if now is None or not kpi_reads.is_confident(rule.metric, now.value, now.sample_size):
        return None
    value = float(now.value)
    if rule.condition == AlertRule.Condition.OFF_TRACK:
        if status is None:
            return None
        return Verdict(status == kpi_reads.OFF_TRACK, value, now.sample_size)
    if rule.condition == AlertRule.Condition.ABOVE:
        return Verdict(value > rule.threshold, value, now.sample_size)
    if rule.condition == AlertRule.Condition.BELOW:
        return Verdict(value < rule.threshold, value, now.sample_size)
    # change_pct: against the previous period, which must itself be a confident, non-zero value
    if before is None or not kpi_reads.is_confident(rule.metric, before.value, before.sample_size):
        return None
    reference = float(before.value)
    if reference == 0:
        return None
    moved = abs(100.0 * (value - reference) / abs(reference))
    return Verdict(moved > rule.threshold, value, now.sample_size, reference)


def _evaluate_grain(grain: str, rules: list[AlertRule], now: datetime) -> list[Alert]:
    periods = live_periods(grain, now)
    oldest_previous = kpi_reads.previous_period_start(grain, periods[-1])
    fixed_scopes = {rule.scope for rule in rules if rule.scope != EVERY_SQUAD}
    stored = kpi_reads.snapshot_values(
        grain=grain,
        periods=[*periods, oldest_previous],
        metrics={rule.metric for rule in rules},
        scopes=fixed_scopes,
        squads=any(rule.scope == EVERY_SQUAD for rule in rules),
    )
    scopes_of_metric: dict[str, set[str]] = defaultdict(set)
    for metric, scope, _ in stored:
        scopes_of_metric[metric].add(scope)
    needs_status = {rule.metric for rule in rules if rule.condition == AlertRule.Condition.OFF_TRACK}
    statuses = {}
    for period in periods:
        values = {(m, s): v.value for (m, s, p), v in stored.items() if p == period and m in needs_status}
        statuses[period] = kpi_reads.target_statuses(values) if values else {}
    states = {
        (st.rule_id, st.scope, st.period_start): st
        for st in RuleState.objects.filter(rule__in=rules, period_start__in=periods)
    }
    fired: list[Alert] = []
    stamp = timezone.now()
    for rule in rules:
        if rule.scope == EVERY_SQUAD:
            scopes = sorted(s for s in scopes_of_metric[rule.metric] if s.startswith("squad:"))
        else:
            scopes = [rule.scope]
        for scope in scopes:
            for period in periods:
                snapshot = stored.get((rule.metric, scope, period))
                before = stored.get((rule.metric, scope, kpi_reads.previous_period_start(grain, period)))
                status = statuses[period].get((rule.metric, scope), (None, None))[0]
                verdict = judge(rule, snapshot, before, status)
                if verdict is None:
                    continue
                state = states.get((rule.pk, scope, period))
                was = state.active if state is not None else False
                if verdict.holds == was:
                    continue
                if state is None:
                    RuleState.objects.create(
                        rule=rule, scope=scope, period_start=period, active=verdict.holds, changed_at=stamp
                    )
                else:
                    state.active = verdict.holds
                    state.changed_at = stamp
                    state.save(update_fields=["active", "changed_at"])
                fired.append(
                    Alert(
                        rule=rule,
                        metric=rule.metric,
                        scope=scope,
                        grain=grain,
                        period_start=period,
                        event=Alert.Event.START if verdict.holds else Alert.Event.END,
                        value=verdict.value,
                        sample_size=verdict.sample_size,
                        reference=verdict.reference,
                        created_at=stamp,
                    )
                )
    return fired


@transaction.atomic
def evaluate_rules(*, now: datetime | None = None) -> list[Alert]:
    """Judge every active rule on the stored snapshots of its live periods; store and return the
    alerts fired. Concurrent evaluations queue on the rules' row locks, so none fires twice.
    The e-mails go out after commit."""
    now = now or timezone.now()
    rules = list(AlertRule.objects.select_for_update().filter(active=True).order_by("id"))
    by_grain: dict[str, list[AlertRule]] = defaultdict(list)
    for rule in rules:
        by_grain[rule.grain].append(rule)
    fired: list[Alert] = []
    for grain, grain_rules in by_grain.items():
        fired += _evaluate_grain(grain, grain_rules, now)
    fired = Alert.objects.bulk_create(fired)
    ids = sorted({alert.pk for alert in fired} | set(unmailed_alert_ids()))  # and any earlier send that failed
    if ids:
        from alerts.tasks import send_alert_emails

        transaction.on_commit(lambda: send_alert_emails.delay(ids), robust=True)  # SMTP down: alerts stay unmailed
    return fired
