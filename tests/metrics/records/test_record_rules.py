"""Every rule of docs/records.md, tried through each write path: the CSV import, `save_record`
(the API/admin path) and the database itself (create, bulk_create, update)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from metrics.models import CustomerResponse, Defect, Incident, Release, Survey, TimeAllocation
from metrics.records.ingest.importer import import_csv
from metrics.records.ingest.kinds import KINDS
from metrics.records.services import save_record
from squads.models import Area, Squad
from tests.factories import (
    CustomerResponseFactory,
    DefectFactory,
    IncidentFactory,
    ReleaseFactory,
    SquadFactory,
    TimeAllocationFactory,
)

UTC = dt.UTC

#: One valid row per kind; every rule below breaks exactly one thing in it.
VALID: dict[str, dict[str, str]] = {
    "squads": {
        "slug": "zulu", "name": "Zulu", "area": "payments", "pm_email": "",
        "monthly_cost_per_head": "9000.50", "active": "true",
    },
    "releases": {
        "external_id": "r-1", "squad": "alpha", "version": "1.0", "released_at": "2026-03-02T12:00:00Z",
        "first_commit_at": "2026-03-01T12:00:00Z", "status": "succeeded",
    },
    "incidents": {
        "external_id": "i-1", "squad": "alpha", "severity": "2", "started_at": "2026-03-03T10:00:00Z",
        "resolved_at": "2026-03-03T12:00:00Z", "customer_impact": "true", "caused_by_release": "base-rel",
        "title": "Checkout down",
    },
    "defects": {
        "external_id": "d-1", "squad": "alpha", "severity": "3", "found_at": "2026-03-04T09:00:00Z",
        "found_in": "production", "found_by": "customer", "resolved_at": "2026-03-05T09:00:00Z", "title": "Bug",
    },
    "customer_responses": {
        "external_id": "c-1", "survey": "nps-2026", "submitted_at": "2026-03-05T15:00:00Z", "account": "Acme",
        "squad": "alpha", "nps_score": "9", "csat_score": "4", "outcome_score": "5", "top_problem": "invoicing",
        "comment": "",
    },
    "time_allocations": {
        "external_id": "a-1", "survey": "time-2026", "squad": "alpha", "month": "2026-03", "headcount": "5",
        "pct_features": "50", "pct_quality": "10", "pct_support": "20", "pct_onboarding": "5", "pct_ktlo": "10",
        "pct_other": "5",
    },
}  # fmt: skip


@dataclass
class Rule:
    """Breaking `change` in the VALID row of `kind` must be refused on `field`."""

    name: str
    kind: str
    change: dict[str, str]
    field: str
    reason: str = ""  # a fragment of the reason
    also: tuple[str, ...] = ()  # further fields the same change breaks

    @property
    def fields(self) -> list[str]:
        return [self.field, *self.also]


RULES = [
    Rule("squad cost below zero", "squads", {"monthly_cost_per_head": "-0.01"}, "monthly_cost_per_head", "greater"),
    Rule("squad active not boolean", "squads", {"active": "maybe"}, "active", "not a boolean"),
    Rule("squad name missing", "squads", {"name": ""}, "name", "required"),
    Rule("release unknown squad", "releases", {"squad": "zeta"}, "squad", 'unknown squad "zeta"'),
    Rule("release status invalid", "releases", {"status": "paused"}, "status", "not a valid choice"),
    Rule(
        "release first commit after release", "releases", {"first_commit_at": "2026-03-02T12:00:01Z"},
        "first_commit_at", "must not be after released_at",
    ),
    Rule("release malformed timestamp", "releases", {"released_at": "2026-03-02 noon"}, "released_at", "ISO 8601"),
    Rule("release time missing", "releases", {"released_at": ""}, "released_at", "required"),
    Rule("incident severity 0", "incidents", {"severity": "0"}, "severity", "greater than or equal to 1"),
    Rule("incident severity 5", "incidents", {"severity": "5"}, "severity", "less than or equal to 4"),
    Rule(
        "incident resolved before start", "incidents", {"resolved_at": "2026-03-03T09:59:59Z"},
        "resolved_at", "must not be before started_at",
    ),
    Rule(
        "incident resolved before start across offsets", "incidents",
        {"resolved_at": "2026-03-03T11:30:00+02:00"}, "resolved_at", "must not be before started_at",
    ),
    Rule("incident impact not boolean", "incidents", {"customer_impact": "sometimes"}, "customer_impact", "boolean"),
    Rule("incident unknown release", "incidents", {"caused_by_release": "nope"}, "caused_by_release", "unknown"),
    Rule("defect severity 5", "defects", {"severity": "5"}, "severity", "less than or equal to 4"),
    Rule("defect found_in invalid", "defects", {"found_in": "prod"}, "found_in", "not a valid choice"),
    Rule("defect found_by invalid", "defects", {"found_by": "robot"}, "found_by", "not a valid choice"),
    Rule(
        "customer-found defect not in production", "defects", {"found_in": "staging"}, "found_in",
        "customer-found defect must have found_in=production",
    ),
    Rule(
        "defect resolved before found", "defects", {"resolved_at": "2026-03-04T08:59:59Z"},
        "resolved_at", "must not be before found_at",
    ),
    Rule("nps 11", "customer_responses", {"nps_score": "11"}, "nps_score", "less than or equal to 10"),
    Rule("nps -1", "customer_responses", {"nps_score": "-1"}, "nps_score", "greater than or equal to 0"),
    Rule("csat 0", "customer_responses", {"csat_score": "0"}, "csat_score", "greater than or equal to 1"),
    Rule("csat 6", "customer_responses", {"csat_score": "6"}, "csat_score", "less than or equal to 5"),
    Rule("outcome 0", "customer_responses", {"outcome_score": "0"}, "outcome_score", "greater than or equal to 1"),
    Rule("outcome 6", "customer_responses", {"outcome_score": "6"}, "outcome_score", "less than or equal to 5"),
    Rule(
        "response without any score", "customer_responses", {"nps_score": "", "csat_score": "", "outcome_score": ""},
        "nps_score", "at least one",
    ),
    Rule("response unknown squad", "customer_responses", {"squad": "zeta"}, "squad", "unknown squad"),
    Rule("allocation month malformed", "time_allocations", {"month": "2026-13"}, "month", "YYYY-MM"),
    Rule("allocation headcount 0", "time_allocations", {"headcount": "0"}, "headcount", "greater than or equal to 1"),
    Rule(
        "allocation pct above 100", "time_allocations", {"pct_features": "100.01", "pct_other": "-45.01"},
        "pct_features", "less than or equal to 100", also=("pct_other",),  # -45.01 keeps the sum at 100
    ),
    Rule(
        "allocation pct below 0", "time_allocations", {"pct_features": "55.01", "pct_other": "-0.01"},
        "pct_other", "greater than or equal to 0",
    ),
    Rule(
        "allocation pct sums to 99.49", "time_allocations", {"pct_other": "4.49"}, "pct_other",
        "must add up to 100",
    ),
    Rule(
        "allocation pct sums to 100.51", "time_allocations", {"pct_other": "5.51"}, "pct_other",
        "must add up to 100",
    ),
]  # fmt: skip


@pytest.fixture
def world(db, squad_a):
    """alpha exists with a release `base-rel`; nothing else."""
    ReleaseFactory(external_id="base-rel", squad=squad_a, released_at=dt.datetime(2026, 3, 1, tzinfo=UTC))
    return squad_a


def _csv(kind: str, row: dict[str, str]) -> io.BytesIO:
    columns = KINDS[kind].column_names
    text = ",".join(columns) + "\n" + ",".join(row[c] for c in columns) + "\n"
    return io.BytesIO(text.encode())


def _counts() -> dict[str, int]:
    models = (Squad, Area, Release, Incident, Defect, Survey, CustomerResponse, TimeAllocation)
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.parametrize("kind", list(VALID))
def test_the_valid_rows_are_accepted_on_every_path(world, kind: str) -> None:
    report = import_csv(kind=kind, stream=_csv(kind, VALID[kind]), dry_run=True)
    assert report.errors == []
    assert report.created == 1
    record = save_record(kind=kind, data=VALID[kind])
    assert KINDS[kind].to_row(record) == {
        **VALID[kind],
        **({"monthly_cost_per_head": "9000.5"} if kind == "squads" else {}),
    }


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_holds_on_import(world, rule: Rule) -> None:
    before = _counts()
    report = import_csv(kind=rule.kind, stream=_csv(rule.kind, {**VALID[rule.kind], **rule.change}))
    assert [(e.line, e.field) for e in report.errors] == [(2, name) for name in rule.fields]
    assert rule.reason in report.errors[0].reason
    assert [o.action for o in report.rows] == ["reject"]
    assert _counts() == before  # nothing written, not even a new survey or area


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_holds_on_save_record(world, rule: Rule) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        save_record(kind=rule.kind, data={**VALID[rule.kind], **rule.change})
    assert sorted(caught.value.message_dict) == sorted(rule.fields)
    assert rule.reason in caught.value.message_dict[rule.field][0]
    assert _counts() == before


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_holds_on_patch_of_an_existing_record(world, rule: Rule) -> None:
    record = save_record(kind=rule.kind, data=VALID[rule.kind])
    with pytest.raises(ValidationError) as caught:
        save_record(kind=rule.kind, data=rule.change, instance=record)
    assert sorted(caught.value.message_dict) == sorted(rule.fields)
    record.refresh_from_db()
    assert (
        KINDS[rule.kind].to_row(record)[rule.field]
        == KINDS[rule.kind].to_row(type(record).objects.get(pk=record.pk))[rule.field]
    )


# -- the database itself -------------------------------------------------------------------------------


@dataclass
class DbRule:
    """A model the factory builds with `bad` values must be refused by the database."""

    name: str
    factory: Any
    bad: dict[str, Any]
    base: dict[str, Any] = field(default_factory=dict)


T0 = dt.datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
DB_RULES = [
    DbRule("squad cost below zero", SquadFactory, {"monthly_cost_per_head": Decimal("-0.01")}),
    DbRule("release status invalid", ReleaseFactory, {"status": "paused"}),
    DbRule("release first commit after release", ReleaseFactory, {"first_commit_at": T0 + dt.timedelta(seconds=1)},
           {"released_at": T0}),
    DbRule("incident severity 0", IncidentFactory, {"severity": 0}),
    DbRule("incident severity 5", IncidentFactory, {"severity": 5}),
    DbRule("incident resolved before start", IncidentFactory, {"resolved_at": T0 - dt.timedelta(seconds=1)},
           {"started_at": T0}),
    DbRule("defect severity 5", DefectFactory, {"severity": 5}),
    DbRule("defect found_in invalid", DefectFactory, {"found_in": "prod"}),
    DbRule("defect found_by invalid", DefectFactory, {"found_by": "robot"}),
    DbRule("customer-found defect not in production", DefectFactory, {"found_by": "customer"},
           {"found_in": "staging", "found_by": "internal"}),
    DbRule("defect resolved before found", DefectFactory, {"resolved_at": T0 - dt.timedelta(seconds=1)},
           {"found_at": T0}),
    DbRule("nps 11", CustomerResponseFactory, {"nps_score": 11}),
    DbRule("csat 6", CustomerResponseFactory, {"csat_score": 6}),
    DbRule("csat 0", CustomerResponseFactory, {"csat_score": 0}),
    DbRule("outcome 6", CustomerResponseFactory, {"outcome_score": 6}),
    DbRule("outcome 0", CustomerResponseFactory, {"outcome_score": 0}),
    DbRule("response without a score", CustomerResponseFactory, {"nps_score": None}),
    DbRule("allocation headcount 0", TimeAllocationFactory, {"headcount": 0}),
    DbRule("allocation pct above 100", TimeAllocationFactory, {"pct_features": Decimal("100.01")}),
    DbRule("allocation pct below 0", TimeAllocationFactory, {"pct_other": Decimal("-0.01"),
                                                             "pct_features": Decimal("55.01")}),
    DbRule("allocation pct sums to 99.49", TimeAllocationFactory, {"pct_other": Decimal("4.49")}),
    DbRule("allocation pct sums to 100.51", TimeAllocationFactory, {"pct_other": Decimal("5.51")}),
]  # fmt: skip


def _refused(action: Any) -> None:
    def act_and_check() -> None:
        with transaction.atomic():
            action()
            connection.check_constraints()  # deferred FK checks fire here on PostgreSQL

    with pytest.raises(IntegrityError):
        act_and_check()


@pytest.mark.parametrize("rule", DB_RULES, ids=lambda r: r.name)
def test_database_refuses_create_bulk_create_and_update(world, rule: DbRule) -> None:
    model = rule.factory._meta.model
    before = model.objects.count()
    _refused(lambda: rule.factory(**{**rule.base, **rule.bad}))
    _refused(lambda: model.objects.bulk_create([rule.factory.build(**{**rule.base, **rule.bad}, **_saved_fks(rule))]))
    good = rule.factory(**rule.base)
    _refused(lambda: model.objects.filter(pk=good.pk).update(**rule.bad))
    assert model.objects.count() == before + 1  # only the valid one


def _saved_fks(rule: DbRule) -> dict[str, Any]:
    """`Factory.build` leaves SubFactory parents unsaved; give it saved ones."""
    fields = {f.name for f in rule.factory._meta.model._meta.concrete_fields}
    fks: dict[str, Any] = {}
    if "squad" in fields:
        fks["squad"] = SquadFactory(slug="alpha")
    if "area" in fields:
        fks["area"] = Area.objects.get_or_create(slug="payments")[0]
    if "survey" in fields:
        fks["survey"] = Survey.objects.get_or_create(slug="db-rules")[0]
    return fks


def test_database_refuses_duplicate_keys(world) -> None:
    for factory, key in ((ReleaseFactory, "external_id"), (IncidentFactory, "external_id"),
                         (DefectFactory, "external_id"), (CustomerResponseFactory, "external_id"),
                         (TimeAllocationFactory, "external_id")):  # fmt: skip
        factory(**{key: "same"})
        _refused(lambda f=factory, k=key: f(**{k: "same"}))
    _refused(lambda: Squad.objects.create(slug="alpha", name="Again", area=world.area, monthly_cost_per_head=1))


def test_database_refuses_unknown_squad_and_release(world) -> None:
    _refused(lambda: ReleaseFactory.build(squad=world, external_id="x1").__class__.objects.bulk_create(
        [Release(external_id="x1", squad_id=999_999, version="1", released_at=T0, status="succeeded")]
    ))  # fmt: skip
    _refused(
        lambda: Incident.objects.bulk_create(
            [Incident(external_id="x2", squad=world, severity=2, started_at=T0, caused_by_release_id=999_999)]
        )
    )


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        ("incidents", {"severity": "1"}),
        ("incidents", {"severity": "4", "resolved_at": "2026-03-03T10:00:00Z"}),  # resolved == started
        ("incidents", {"resolved_at": "", "caused_by_release": "", "customer_impact": ""}),  # open, no release
        ("defects", {"severity": "4", "found_by": "internal", "found_in": "development", "resolved_at": ""}),
        ("customer_responses", {"nps_score": "0", "csat_score": "1", "outcome_score": "1"}),
        ("customer_responses", {"nps_score": "10", "csat_score": "5", "outcome_score": ""}),
        ("customer_responses", {"nps_score": "", "csat_score": "", "outcome_score": "3", "squad": ""}),
        ("time_allocations", {"pct_other": "4.5", "headcount": "1"}),  # sums to 99.5
        ("time_allocations", {"pct_other": "5.5"}),  # sums to 100.5
        ("time_allocations", {"pct_features": "100", "pct_quality": "0", "pct_support": "0",
                              "pct_onboarding": "0", "pct_ktlo": "0", "pct_other": "0"}),
        ("squads", {"monthly_cost_per_head": "0", "active": "NO"}),
        ("releases", {"first_commit_at": "2026-03-02T12:00:00Z", "status": "rolled_back"}),  # commit == release
    ],
)  # fmt: skip
def test_values_at_the_bounds_are_accepted_everywhere(world, kind: str, change: dict[str, str]) -> None:
    row = {**VALID[kind], **change}
    report = import_csv(kind=kind, stream=_csv(kind, row))
    assert report.errors == []
    assert report.created == 1
    model = KINDS[kind].model
    key = KINDS[kind].key
    record = model.objects.get(**{key: row[key]})
    record.delete() if kind != "squads" else model.objects.filter(pk=record.pk).delete()
    assert save_record(kind=kind, data=row).pk is not None


def test_survey_and_area_are_created_when_new(world) -> None:
    import_csv(kind="time_allocations", stream=_csv("time_allocations", VALID["time_allocations"]))
    assert Survey.objects.get(slug="time-2026").kind == Survey.Kind.TIME_ALLOCATION
    save_record(kind="customer_responses", data=VALID["customer_responses"])
    assert Survey.objects.get(slug="nps-2026").kind == Survey.Kind.CUSTOMER
    import_csv(kind="squads", stream=_csv("squads", {**VALID["squads"], "area": "brand-new"}))
    assert Squad.objects.get(slug="zulu").area.slug == "brand-new"
