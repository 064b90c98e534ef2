"""Alert rules judged after real rollups: once per start and once per end of a condition, never
below the confidence floor, and the same alerts whether the rollups are incremental or full.

Hand-worked numbers (March 2026, the current month on the frozen now; see tests/reviews/org.py):
alpha: 5 ok → CFR 0 % (n=5); +2 rolled back → 200/7 = 28.571 % (n=7); +1 ok → 200/8 = 25 % (n=8);
+3 ok → 200/11 = 18.18 % (n=11). bravo: 1 ok + 1 rolled back → 50 % (n=2); +1 rolled back →
66.7 % (n=3); +1 ok → 50 % (n=4): above 20 % throughout but never on 5 releases.
"""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import Alert, AlertRule, RuleState
from alerts.services import create_rule
from metrics.models import Target
from tests.reviews.org import NOW, releases, run_rollup

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _no_rollup_on_commit(settings) -> None:
    settings.KPI_ROLLUP_ON_COMMIT = False  # the tests run each rollup themselves


def _events() -> list[tuple]:
    return [
        (a.rule.condition, a.scope, a.period_start, a.event, round(a.value, 3), a.sample_size)
        for a in Alert.objects.select_related("rule").order_by("id")
    ]


@pytest.mark.parametrize("kind", ["incremental", "full"])
def test_breach_over_several_rollups_fires_once_at_start_and_once_at_end(
    kind, users, squad_a, squad_b, django_capture_on_commit_callbacks
) -> None:
    """Run with incremental rollups and with full ones: both give exactly the same hand-worked alerts."""
    create_rule(
        user=users["ops"],
        metric="change_failure_rate",
        scope="squad:*",
        grain="month",
        condition="above",
        threshold=20,
        subscribers=["pm_alpha"],
    )
    capture = django_capture_on_commit_callbacks
    releases(squad_a, 3, ok=5)
    releases(squad_b, 3, ok=1, failed=1)
    run_rollup("full", capture)  # the first rollup of a fresh database
    assert _events() == []  # alpha 0 %; bravo 50 % but on 2 releases, below the floor of 5

    releases(squad_a, 3, failed=2)
    releases(squad_b, 3, failed=1)
    run_rollup(kind, capture)
    assert _events() == [("above", "squad:alpha", MARCH, "start", 28.571, 7)]

    releases(squad_a, 3, ok=1)  # still above 20 %: 25 %
    releases(squad_b, 3, ok=1)  # bravo: 50 % on 4 releases, still below the floor
    run_rollup(kind, capture)
    run_rollup(kind, capture)  # nothing changed at all
    assert len(_events()) == 1

    releases(squad_a, 3, ok=3)  # recovered: 18.18 %
    run_rollup(kind, capture)
    run_rollup(kind, capture)
    assert _events() == [
        ("above", "squad:alpha", MARCH, "start", 28.571, 7),
        ("above", "squad:alpha", MARCH, "end", 18.182, 11),
    ]
    assert not Alert.objects.filter(scope="squad:bravo").exists()
    assert RuleState.objects.get(scope="squad:alpha", period_start=MARCH).active is False


def test_low_confidence_value_neither_starts_nor_ends(users, squad_a, django_capture_on_commit_callbacks) -> None:
    capture = django_capture_on_commit_callbacks
    create_rule(
        user=users["ops"],
        metric="change_failure_rate",
        scope="squad:alpha",
        grain="month",
        condition="above",
        threshold=20,
    )
    releases(squad_a, 3, ok=2, failed=2)  # 50 % on 4 releases: below the floor
    run_rollup("full", capture)
    assert _events() == []
    releases(squad_a, 3, failed=1)  # 60 % on 5: at the floor → starts
    run_rollup("incremental", capture)
    assert _events() == [("above", "squad:alpha", MARCH, "start", 60.0, 5)]


def test_off_track_below_and_change_pct(users, squad_a, django_capture_on_commit_callbacks) -> None:
    """off_track against the org target (CFR ≤ 10 %, at risk up to 12.5 %); releases count below 3 in
    February (a count has no floor); CFR moving more than 50 % against February."""
    capture = django_capture_on_commit_callbacks
    Target.objects.create(metric="change_failure_rate", value=10.0, at_risk_margin_pct=25.0)
    ops = users["ops"]
    off = create_rule(user=ops, metric="change_failure_rate", scope="squad:alpha", grain="month", condition="off_track")
    below = create_rule(
        user=ops, metric="releases", scope="area:payments", grain="month", condition="below", threshold=3
    )
    moved = create_rule(
        user=ops, metric="change_failure_rate", scope="org", grain="month", condition="change_pct", threshold=50
    )
    releases(squad_a, 2, ok=9, failed=1)  # February: 10 % (n=10) — on track; 10 releases
    releases(squad_a, 3, ok=9, failed=1)  # March: 10 %
    run_rollup("full", capture)
    assert Alert.objects.count() == 0
    releases(squad_a, 3, failed=2)  # March: 3/12 = 25 % → off track; org +150 % against February's 10 %
    run_rollup("incremental", capture)
    got = {
        (a.rule_id, a.event, a.period_start, round(a.value, 3), None if a.reference is None else round(a.reference, 3))
        for a in Alert.objects.all()
    }
    assert got == {(off.pk, "start", MARCH, 25.0, None), (moved.pk, "start", MARCH, 25.0, 10.0)}
    assert not Alert.objects.filter(rule=below).exists()  # 10 February releases, 12 in March
    # two of the three rolled-back March releases deleted: 1 of 10 = 10 %, on track; org back to +0 %
    from metrics.models import Release

    rolled_back = Release.objects.filter(squad=squad_a, status="rolled_back", released_at__month=3)
    for release in rolled_back.order_by("-id")[:2]:
        release.delete()
    run_rollup("incremental", capture)
    ends = {(a.rule_id, a.event) for a in Alert.objects.filter(event="end")}
    assert ends == {(off.pk, "end"), (moved.pk, "end")}


def test_rule_validation_names_the_field(users, squad_a) -> None:
    from django.core.exceptions import ValidationError

    ops = users["ops"]
    cases = [
        (dict(metric="nope", scope="org", grain="month", condition="above", threshold=1), "metric"),
        (dict(metric="nps", scope="squad:zulu", grain="month", condition="above", threshold=1), "scope"),
        (dict(metric="support_cost", scope="org", grain="week", condition="above", threshold=1), "grain"),
        (dict(metric="nps", scope="org", grain="month", condition="above"), "threshold"),
        (dict(metric="nps", scope="org", grain="month", condition="change_pct", threshold=-5), "threshold"),
        (dict(metric="nps", scope="org", grain="month", condition="sideways", threshold=1), "condition"),
        (dict(metric="nps", scope="org", grain="month", condition="off_track", subscribers=["ghost"]), "subscribers"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as err:
            create_rule(user=ops, **kwargs)
        assert field in err.value.message_dict, kwargs
    assert AlertRule.objects.count() == 0  # nothing half-written (the subscribers case included)


def test_now_of_the_rollup_decides_the_live_periods(users, squad_a, django_capture_on_commit_callbacks) -> None:
    """A breach in January is no longer live on a March rollup: historical periods never alert."""
    capture = django_capture_on_commit_callbacks
    create_rule(
        user=users["ops"],
        metric="change_failure_rate",
        scope="squad:alpha",
        grain="month",
        condition="above",
        threshold=20,
    )
    releases(squad_a, 1, ok=2, failed=4)
    run_rollup("full", capture, now=NOW)
    assert _events() == []
