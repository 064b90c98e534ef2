"""Properties of the rollup over random records (hypothesis; modest example counts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.kpis import rollup
from metrics.kpis.catalog import KPIS
from metrics.models import CustomerResponse, Defect, Incident, Release, TimeAllocation
from tests.factories import AreaFactory, SquadFactory, SurveyFactory
from tests.metrics.kpis.kpi_fixture import all_snapshots

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
START = dt.datetime(2026, 1, 1, tzinfo=UTC)
SQUADS = ("s1", "s2", "s3")
HYPOTHESIS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

moment = st.integers(0, 155 * 24 * 60).map(lambda minutes: START + dt.timedelta(minutes=minutes))
duration = st.integers(0, 20 * 24 * 60).map(lambda minutes: dt.timedelta(minutes=minutes))
squad = st.sampled_from(SQUADS)

release = st.fixed_dictionaries(
    {
        "kind": st.just("release"),
        "squad": squad,
        "at": moment,
        "lead": st.none() | duration,
        "rolled_back": st.booleans(),
    }
)
incident = st.fixed_dictionaries(
    {
        "kind": st.just("incident"),
        "squad": squad,
        "at": moment,
        "length": st.none() | duration,
        "impact": st.booleans(),
        "severity": st.integers(1, 4),
        "names_release": st.booleans(),
    }
)
defect = st.fixed_dictionaries(
    {"kind": st.just("defect"), "squad": squad, "at": moment, "production": st.booleans(), "customer": st.booleans()}
)
response = st.fixed_dictionaries(
    {
        "kind": st.just("response"),
        "squad": st.none() | squad,
        "at": moment,
        "nps": st.none() | st.integers(0, 10),
        "csat": st.none() | st.integers(1, 5),
        "outcome": st.integers(1, 5),
    }
)
allocation = st.fixed_dictionaries(
    {
        "kind": st.just("allocation"),
        "squad": squad,
        "month": st.integers(1, 6),
        "headcount": st.integers(1, 9),
        "support": st.integers(0, 100),
    }
)
records = st.lists(st.one_of(release, incident, defect, response, allocation), min_size=1, max_size=14)


def _org() -> dict:
    one, two = AreaFactory(slug="one"), AreaFactory(slug="two")
    return {
        "s1": SquadFactory(slug="s1", area=one),
        "s2": SquadFactory(slug="s2", area=one, monthly_cost_per_head=Decimal("7000.50")),
        "s3": SquadFactory(slug="s3", area=two),
        "survey": SurveyFactory(slug="pulse"),
        "time": SurveyFactory(slug="time", kind="time_allocation"),
    }


def _save(org: dict, index: int, spec: dict) -> None:
    """Create one record through the ordinary save path (signals mark it dirty)."""
    ext = f"x{index}"
    sq = org[spec["squad"]] if spec.get("squad") else None
    at = spec.get("at")
    if spec["kind"] == "release":
        Release.objects.create(
            external_id=ext,
            squad=sq,
            version="1",
            released_at=at,
            first_commit_at=at - spec["lead"] if spec["lead"] is not None else None,
            status="rolled_back" if spec["rolled_back"] else "succeeded",
        )
    elif spec["kind"] == "incident":
        named = Release.objects.filter(squad=sq).order_by("external_id").first() if spec["names_release"] else None
        Incident.objects.create(
            external_id=ext,
            squad=sq,
            severity=spec["severity"],
            started_at=at,
            resolved_at=at + spec["length"] if spec["length"] is not None else None,
            customer_impact=spec["impact"],
            caused_by_release=named,
        )
    elif spec["kind"] == "defect":
        Defect.objects.create(
            external_id=ext,
            squad=sq,
            severity=3,
            found_at=at,
            found_in="production" if spec["production"] or spec["customer"] else "testing",
            found_by="customer" if spec["customer"] else "internal",
        )
    elif spec["kind"] == "response":
        CustomerResponse.objects.create(
            external_id=ext,
            survey=org["survey"],
            squad=sq,
            submitted_at=at,
            nps_score=spec["nps"],
            csat_score=spec["csat"],
            outcome_score=spec["outcome"],
        )
    else:
        rest = Decimal(100 - spec["support"])
        TimeAllocation.objects.create(
            external_id=ext,
            survey=org["time"],
            squad=sq,
            month=dt.date(2026, spec["month"], 1),
            headcount=spec["headcount"],
            pct_features=rest,
            pct_quality=0,
            pct_support=Decimal(spec["support"]),
            pct_onboarding=0,
            pct_ktlo=0,
            pct_other=0,
        )


def _full_after_saving(specs: list[tuple[int, dict]]) -> dict:
    """Snapshots of a full rollup over these records; everything is rolled back afterwards."""
    with transaction.atomic():
        org = _org()
        for index, spec in specs:
            _save(org, index, spec)
        rollup.full_rollup(now=NOW)
        result = all_snapshots()
        transaction.set_rollback(True)
    return result


@pytest.mark.slow
@pytest.mark.django_db
@HYPOTHESIS
@given(specs=records, seed=st.randoms(use_true_random=False))
def test_result_does_not_depend_on_record_order(specs: list[dict], seed) -> None:
    # releases first, so incidents can name one; the order among each kind is shuffled
    numbered = sorted(enumerate(specs), key=lambda pair: pair[1]["kind"] != "release")
    shuffled = list(numbered)
    seed.shuffle(shuffled)
    shuffled.sort(key=lambda pair: pair[1]["kind"] != "release")
    assert _full_after_saving(numbered) == _full_after_saving(shuffled)


@pytest.mark.slow
@pytest.mark.django_db
@HYPOTHESIS
@given(
    specs=records,
    cut=st.integers(0, 14),
    edits=st.lists(st.tuples(st.integers(0, 13), moment), max_size=3),
    deletes=st.lists(st.integers(0, 13), max_size=2),
)
def test_batches_and_edits_rolled_up_incrementally_equal_a_full_rollup(
    specs: list[dict], cut: int, edits, deletes
) -> None:
    numbered = sorted(enumerate(specs), key=lambda pair: pair[1]["kind"] != "release")
    with transaction.atomic():
        org = _org()
        rollup.full_rollup(now=NOW)  # an empty rollup first, as on a fresh install
        for batch in (numbered[:cut], numbered[cut:]):  # the same records split across two "imports"
            for index, spec in batch:
                _save(org, index, spec)
            rollup.incremental_rollup(now=NOW)
        for which, when in edits:  # move records in time (every kind has its own timestamp field)
            for model, field in (
                (Release, None),
                (Incident, "started_at"),
                (Defect, "found_at"),
                (CustomerResponse, "submitted_at"),
            ):
                obj = model.objects.filter(external_id=f"x{which}").first()
                if obj is None or field is None:
                    continue
                setattr(obj, field, when)
                if isinstance(obj, Incident) and obj.resolved_at and obj.resolved_at < when:
                    obj.resolved_at = when
                obj.save()
        for which in deletes:
            for model in (Incident, Defect, CustomerResponse, TimeAllocation):
                model.objects.filter(external_id=f"x{which}").delete()  # queryset delete: signals fire per row
        rollup.incremental_rollup(now=NOW)
        incremental = all_snapshots()
        rollup.full_rollup(now=NOW)
        assert all_snapshots() == incremental
        transaction.set_rollback(True)


COUNTS = [kpi.code for kpi in KPIS if kpi.kind == "count"]


@pytest.mark.slow
@pytest.mark.django_db
@HYPOTHESIS
@given(specs=records)
def test_org_counts_equal_the_sum_over_areas(specs: list[dict]) -> None:
    numbered = [(i, s) for i, s in enumerate(specs) if not (s["kind"] == "response" and s["squad"] is None)]
    numbered.sort(key=lambda pair: pair[1]["kind"] != "release")
    snapshots = _full_after_saving(numbered)
    for (metric, scope, grain, period), (value, _) in snapshots.items():
        if scope == "org" and metric in COUNTS:
            areas = sum(snapshots[(metric, f"area:{a}", grain, period)][0] for a in ("one", "two"))
            squads = sum(snapshots[(metric, f"squad:{s}", grain, period)][0] for s in SQUADS)
            assert value == areas == squads, (metric, grain, period)
