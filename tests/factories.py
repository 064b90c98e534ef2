"""factory_boy factories for every record kind; defaults satisfy every rule of docs/records.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from metrics.models import Change, CustomerResponse, Defect, Incident, Release, Survey, TimeAllocation
from squads.models import Area, Squad

UTC = dt.UTC


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted in {"ops_staff", "squad_pm", "admin"}:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"area-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class SquadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Squad
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"squad-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    area = factory.SubFactory(AreaFactory)
    monthly_cost_per_head = Decimal("10000.00")
    active = True


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    external_id = factory.Sequence(lambda n: f"rel-{n}")
    squad = factory.SubFactory(SquadFactory)
    version = factory.Sequence(lambda n: f"1.{n}.0")
    released_at = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    first_commit_at = None
    status = Release.Status.SUCCEEDED


class ChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Change

    external_id = factory.Sequence(lambda n: f"chg-{n}")
    release = factory.SubFactory(ReleaseFactory)
    first_commit_at = factory.LazyAttribute(lambda o: o.release.released_at - dt.timedelta(hours=30))
    merged_at = None
    title = factory.Sequence(lambda n: f"Change {n}")


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    external_id = factory.Sequence(lambda n: f"inc-{n}")
    squad = factory.SubFactory(SquadFactory)
    severity = 3
    started_at = dt.datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    resolved_at = dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    customer_impact = False
    caused_by_release = None
    title = "Something broke"


class DefectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Defect

    external_id = factory.Sequence(lambda n: f"def-{n}")
    squad = factory.SubFactory(SquadFactory)
    severity = 3
    found_at = dt.datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    found_in = Defect.FoundIn.TESTING
    found_by = Defect.FoundBy.INTERNAL
    resolved_at = None
    title = "A bug"


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey
        django_get_or_create = ("slug",)

    slug = "nps-2026"
    name = "NPS 2026"


class CustomerResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerResponse

    external_id = factory.Sequence(lambda n: f"resp-{n}")
    survey = factory.SubFactory(SurveyFactory)
    submitted_at = dt.datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
    account = "Acme"
    squad = None
    nps_score = 9
    csat_score = None
    outcome_score = None
    top_problem = ""
    comment = ""


class TimeAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeAllocation

    external_id = factory.Sequence(lambda n: f"alloc-{n}")
    survey = factory.SubFactory(SurveyFactory, slug="time-2026", kind=Survey.Kind.TIME_ALLOCATION)
    squad = factory.SubFactory(SquadFactory)
    month = dt.date(2026, 3, 1)
    headcount = 5
    pct_features = Decimal("50")
    pct_quality = Decimal("10")
    pct_support = Decimal("20")
    pct_onboarding = Decimal("5")
    pct_ktlo = Decimal("10")
    pct_other = Decimal("5")
