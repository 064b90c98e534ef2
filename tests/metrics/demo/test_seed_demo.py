"""`seed_demo` (see docs/commands.md): what someone opening the demo relies on.

The default run (24 squads, ~2 years) is seeded once for a test class inside a
transaction that is rolled back afterwards; the other tests use small orgs.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone

from metrics.demo.generator import RECORDS_PER_SQUAD_YEAR, generate_org
from metrics.demo.targets import _first_quarter_from
from metrics.kpis.catalog import CATALOG
from metrics.models import (
    Baseline,
    CustomerResponse,
    Defect,
    Incident,
    KpiSnapshot,
    Release,
    Survey,
    Target,
    TimeAllocation,
)
from metrics.records.models import PCT_FIELDS
from squads.models import Area, Squad
from tests.factories import SquadFactory

RECORD_KINDS = {
    Release: "released_at",
    Incident: "started_at",
    Defect: "found_at",
    CustomerResponse: "submitted_at",
    TimeAllocation: "month",
}
TWO_YEARS = timedelta(days=730)
SMALL = ["--squads", "4", "--areas", "2", "--years", "0.25"]


@pytest.fixture(scope="class")
def default_seed(django_db_setup, django_db_blocker):
    """Output of one default `seed_demo` run; its rows live until the class ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _record_count() -> int:
    return sum(model.objects.count() for model in RECORD_KINDS)


def _printed_passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(viewer|pm|ops|admin)\s+(\S+)", output, flags=re.MULTILINE))


# -- the default demo org (seeded once for the class) ---------------------------------


def _per_squad(model: type, field: str, since: datetime, until: datetime) -> Counter[str]:
    rows = model.objects.filter(**{f"{field}__gte": since, f"{field}__lt": until}).values_list("squad__slug", flat=True)
    return Counter(rows)


@pytest.mark.xdist_group("default-demo-org")  # one seed (the class fixture) for the whole class
class TestDefaultDemoOrg:
    """One default `seed_demo` run, as `bin/start` makes it."""

    def test_default_org_has_at_least_20_squads_in_at_least_4_areas(self, default_seed, db):
        assert Squad.objects.count() >= 20
        assert Area.objects.filter(squads__isnull=False).distinct().count() >= 4
        costs = Squad.objects.values_list("monthly_cost_per_head", flat=True)
        assert all(Decimal(8000) <= cost <= Decimal(14000) for cost in costs)

    def test_every_record_kind_covers_two_years_up_to_today(self, default_seed, db):
        today = timezone.now().date()
        for model, field in RECORD_KINDS.items():
            first = model.objects.order_by(field).values_list(field, flat=True).first()
            last = model.objects.order_by(f"-{field}").values_list(field, flat=True).first()
            assert first is not None, f"no {model.__name__}"
            first_day = first if isinstance(first, date) and not isinstance(first, datetime) else first.date()
            last_day = last if isinstance(last, date) and not isinstance(last, datetime) else last.date()
            assert today - first_day >= TWO_YEARS, (model.__name__, first_day)
            assert today - last_day <= timedelta(days=31), (model.__name__, last_day)
            if isinstance(last, datetime):
                assert last <= timezone.now(), f"{model.__name__} in the future"
        assert Survey.objects.filter(kind=Survey.Kind.CUSTOMER).exists()
        assert Survey.objects.filter(kind=Survey.Kind.TIME_ALLOCATION).exists()

    def test_records_keep_every_rule_of_spec_section_2(self, default_seed, db):
        assert not Defect.objects.filter(found_by="customer").exclude(found_in="production").exists()
        assert not Defect.objects.filter(resolved_at__lt=F("found_at")).exists()
        assert not Release.objects.filter(first_commit_at__gt=F("released_at")).exists()
        assert not Incident.objects.filter(resolved_at__lt=F("started_at")).exists()
        assert not CustomerResponse.objects.filter(nps_score=None, csat_score=None, outcome_score=None).exists()
        for row in TimeAllocation.objects.values(*PCT_FIELDS, "month", "headcount"):
            assert sum(row[name] for name in PCT_FIELDS) == Decimal(100)
            assert all(Decimal(0) <= row[name] <= Decimal(100) for name in PCT_FIELDS)
            assert row["month"].day == 1
            assert row["headcount"] >= 1
        # a release named by an incident went out before the incident started
        assert not Incident.objects.filter(caused_by_release__released_at__gt=F("started_at")).exists()

    def test_records_show_the_patterns_a_demo_needs(self, default_seed, db):
        releases = Release.objects.all()
        assert releases.filter(first_commit_at__isnull=True).exists()
        assert releases.filter(status="rolled_back").exists()
        lead_hours = [
            (r - c).total_seconds() / 3600
            for r, c in releases.exclude(first_commit_at=None).values_list("released_at", "first_commit_at")
        ]
        assert min(lead_hours) < 6
        assert max(lead_hours) > 72
        weekend = sum(1 for when in releases.values_list("released_at", flat=True) if when.weekday() >= 5)
        assert weekend < 0.05 * releases.count()  # few releases on weekends

        bad = Incident.objects.filter(severity=1, customer_impact=True)
        assert bad.count() >= 3
        assert bad.filter(caused_by_release__isnull=False).exists()
        assert Incident.objects.filter(caused_by_release__status="rolled_back").exists()
        open_now = Incident.objects.filter(resolved_at=None, started_at__gte=timezone.now() - timedelta(days=3))
        assert open_now.exists()

        assert Defect.objects.filter(found_by="customer").exists()
        assert CustomerResponse.objects.filter(squad=None).exists()
        assert CustomerResponse.objects.filter(squad__isnull=False).exists()
        for field in ("nps_score", "csat_score", "outcome_score"):
            assert CustomerResponse.objects.filter(**{f"{field}__isnull": True}).exists()

    def test_some_squads_improve_and_some_regress(self, default_seed, db):
        first_day = Defect.objects.order_by("found_at").values_list("found_at", flat=True).first()
        start = datetime.combine(first_day.date(), datetime.min.time(), UTC)
        end = timezone.now()
        first = _per_squad(Defect, "found_at", start, start + timedelta(days=91))
        last = _per_squad(Defect, "found_at", end - timedelta(days=91), end)
        slugs = Squad.objects.values_list("slug", flat=True)
        improving = [s for s in slugs if last[s] < 0.7 * first[s]]
        regressing = [s for s in slugs if last[s] > 1.3 * first[s]]
        assert improving, "no squad has fewer defects in the last quarter than in the first"
        assert regressing, "no squad has more defects in the last quarter than in the first"

    def test_customer_themes_shift_over_time(self, default_seed, db):
        responses = CustomerResponse.objects.exclude(top_problem="")
        assert {"invoicing", "mobile app", "reporting", "performance", "onboarding"} <= set(
            responses.values_list("top_problem", flat=True)
        )
        middle = responses.order_by("submitted_at")[responses.count() // 2].submitted_at
        early = Counter(responses.filter(submitted_at__lt=middle).values_list("top_problem", flat=True))
        late = Counter(responses.filter(submitted_at__gte=middle).values_list("top_problem", flat=True))
        assert early["invoicing"] > late["invoicing"]
        assert early["mobile app"] < late["mobile app"]

    def test_each_squad_answers_the_time_survey_monthly_with_several_headcounts(self, default_seed, db):
        by_squad_month: dict[tuple[int, date], list[int]] = defaultdict(list)
        for squad_id, month, headcount in TimeAllocation.objects.values_list("squad_id", "month", "headcount"):
            by_squad_month[(squad_id, month)].append(headcount)
        months = {month for _, month in by_squad_month}
        assert len(months) >= 24
        assert len(by_squad_month) == Squad.objects.count() * len(months)  # every squad, every month
        assert all(len(heads) >= 3 for heads in by_squad_month.values())
        assert sum(1 for heads in by_squad_month.values() if len(set(heads)) > 1) > 0.5 * len(by_squad_month)

    def test_kpi_snapshots_are_rolled_up_after_seeding(self, default_seed, db):
        monthly = KpiSnapshot.objects.filter(metric="releases", scope="org", grain="month")
        assert monthly.count() >= 25
        assert sum(row.value for row in monthly) == Release.objects.count()
        assert "snapshots written" in default_seed

    def test_targets_and_an_active_baseline_inside_the_data_are_set(self, default_seed, db):
        org_targets = dict(Target.objects.filter(squad=None).values_list("metric", "value"))
        assert org_targets["uptime_pct"] == 99.5
        assert org_targets["change_failure_rate"] == 5.0
        assert set(org_targets) <= set(CATALOG)
        assert Target.objects.filter(squad__pm__username="pm", metric="uptime_pct").exists()
        baseline = Baseline.objects.get(active=True)
        first_release = Release.objects.order_by("released_at").first().released_at.date()
        assert first_release <= baseline.start < baseline.end < timezone.now().date()
        assert baseline.start.day == 1
        assert baseline.start.month in {1, 4, 7, 10}

    def test_demo_users_have_their_roles_and_log_in_with_the_printed_passwords(self, default_seed, db):
        passwords = _printed_passwords(default_seed)
        assert set(passwords) == {"viewer", "pm", "ops", "admin"}
        users = {u.username: u for u in get_user_model().objects.filter(username__in=passwords)}
        groups = {name: set(user.groups.values_list("name", flat=True)) for name, user in users.items()}
        assert groups == {"viewer": {"viewer"}, "pm": {"squad_pm"}, "ops": {"ops_staff"}, "admin": {"admin"}}
        assert users["ops"].is_staff
        assert not users["ops"].is_superuser
        assert users["admin"].is_superuser
        assert not users["viewer"].is_staff
        assert not users["viewer"].is_superuser
        managed = Squad.objects.filter(pm=users["pm"])
        assert managed.exists()
        assert all(squad.pm_email == users["pm"].email for squad in managed)
        for username, password in passwords.items():
            assert len(password) >= 8
            assert password != username
            assert Client().login(username=username, password=password), username


# -- small orgs --------------------------------------------------------------------------


@pytest.mark.django_db
def test_refuses_a_database_that_already_has_data():
    SquadFactory(slug="existing")
    with pytest.raises(CommandError, match="already has data"):
        call_command("seed_demo", *SMALL, stdout=StringIO())
    assert list(Squad.objects.values_list("slug", flat=True)) == ["existing"]
    assert _record_count() == 0
    assert not get_user_model().objects.filter(username="viewer").exists()


@pytest.mark.django_db
def test_refuses_a_second_seed_and_if_empty_skips_it():
    call_command("seed_demo", *SMALL, stdout=StringIO())
    before = (_record_count(), Squad.objects.count(), get_user_model().objects.count())
    with pytest.raises(CommandError, match="already has data"):
        call_command("seed_demo", *SMALL, stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", *SMALL, "--if-empty", stdout=out)
    assert "database already has data; nothing seeded" in out.getvalue()
    assert (_record_count(), Squad.objects.count(), get_user_model().objects.count()) == before


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_database():
    call_command("seed_demo", *SMALL, "--if-empty", stdout=StringIO())
    assert Squad.objects.count() == 4
    assert all(model.objects.exists() for model in RECORD_KINDS)


@pytest.mark.django_db
def test_rejects_impossible_options():
    with pytest.raises(CommandError, match="--areas"):
        call_command("seed_demo", "--squads", "2", "--areas", "3", stdout=StringIO())
    with pytest.raises(CommandError, match="positive"):
        call_command("seed_demo", "--years", "0", stdout=StringIO())
    assert Squad.objects.count() == 0


def _snapshot(seed: int, **kwargs: object) -> tuple[dict[str, int], list[tuple]]:
    """Generate an org, capture it, and roll it back so the next run starts empty."""
    with transaction.atomic():
        counts = generate_org(squads=4, areas=2, start=date(2024, 1, 1), end=date(2024, 6, 30), seed=seed, **kwargs)
        rows = list(Release.objects.order_by("external_id").values_list("external_id", "released_at", "status"))
        rows += list(Incident.objects.order_by("external_id").values_list("external_id", "started_at", "severity"))
        rows += list(CustomerResponse.objects.order_by("external_id").values_list("external_id", "nps_score"))
        transaction.set_rollback(True)
    return counts, rows


@pytest.mark.django_db
def test_same_seed_gives_the_same_org_and_another_seed_another():
    counts, rows = _snapshot(11)
    assert _snapshot(11) == (counts, rows)
    other_counts, other_rows = _snapshot(12)
    assert other_rows != rows
    assert counts["releases"] > 0
    assert counts["incidents"] > 0


@pytest.mark.django_db
def test_record_volume_matches_the_documented_rate_and_scales_linearly():
    counts, _ = _snapshot(5)
    squad_years = 4 * (date(2024, 6, 30) - date(2024, 1, 1)).days / 365
    records = sum(
        counts[kind] for kind in ("releases", "incidents", "defects", "customer_responses", "time_allocations")
    )
    assert 0.7 * RECORDS_PER_SQUAD_YEAR * squad_years < records < 1.3 * RECORDS_PER_SQUAD_YEAR * squad_years
    doubled, _ = _snapshot(5, scale=2.0)
    doubled_records = sum(doubled[kind] for kind in ("releases", "defects", "customer_responses", "time_allocations"))
    single_records = sum(counts[kind] for kind in ("releases", "defects", "customer_responses", "time_allocations"))
    assert 1.7 < doubled_records / single_records < 2.3


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2024, 10, 26), date(2025, 1, 1)),
        (date(2025, 1, 1), date(2025, 1, 1)),
        (date(2025, 1, 2), date(2025, 4, 1)),
        (date(2025, 4, 1), date(2025, 4, 1)),
        (date(2025, 5, 1), date(2025, 7, 1)),
    ],
)
def test_baseline_starts_at_the_first_full_quarter(day, quarter):
    assert _first_quarter_from(day) == quarter
