"""The record kinds of docs/records.md: their CSV columns (in order), how each cell is
read and written, and how a row becomes a validated model instance.

This is the one validation path: the CSV import (`metrics.records.ingest.importer`) and
single-record writes (`metrics.records.services`, used by the API and admin) both call
`build_instance`, which parses cells, resolves references through a `Lookups`
and runs the model's own `full_clean()` (field validators + `clean()`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.functions import Lower

from core.admin import model_label
from metrics.records.ingest import parsing as p
from metrics.records.models import Change, CustomerResponse, Defect, Incident, Release, Survey, TimeAllocation
from squads.models import Area, Squad

#: Reference types a column can hold: the value is a key of another table.
REF_SQUAD = "squad"  # Squad.slug, must exist
REF_RELEASE = "release"  # Release.external_id, must exist
REF_SURVEY = "survey"  # Survey.slug, created when new
REF_AREA = "area"  # Area.slug, created when new
REF_USER_EMAIL = "user_email"  # a user's email; links Squad.pm when such a user exists

REQUIRED = "required value missing"


@dataclass(frozen=True)
class Column:
    """One CSV column: its name, the model field it fills, how to read and write it."""

    name: str
    field: str
    parse: Callable[[Any], Any]
    format: Callable[[Any], str] = p.format_plain
    required: bool = False
    ref: str | None = None


def _text(name: str, *, required: bool = False) -> Column:
    return Column(name, name, p.parse_key if required else p.parse_text, required=required)


def _key(name: str) -> Column:
    return Column(name, name, p.parse_record_key, required=True)


def _ts(name: str, *, required: bool = False) -> Column:
    return Column(name, name, p.parse_event_time, p.format_timestamp, required=required)


def _int(name: str, *, required: bool = False) -> Column:
    return Column(name, name, p.parse_int, required=required)


def _dec(name: str, *, required: bool = False) -> Column:
    return Column(name, name, p.parse_decimal, p.format_decimal, required=required)


def _bool(name: str) -> Column:
    return Column(name, name, p.parse_bool, p.format_bool)


def _ref(name: str, ref: str, *, required: bool = False, field_name: str | None = None) -> Column:
    parse = p.parse_key if ref in (REF_RELEASE, REF_USER_EMAIL) else p.parse_slug
    return Column(name, field_name or name, parse, required=required, ref=ref)


@dataclass(frozen=True)
class RecordKind:
    """A record kind: model, key column, ordered CSV columns."""

    name: str
    model: type[models.Model]
    key: str
    columns: tuple[Column, ...]
    survey_kind: str | None = None  # kind given to surveys this kind creates
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def model_label(self) -> str:
        """`app.model` as used by permissions, e.g. `metrics.release`."""
        return model_label(self.model)

    @property
    def fk_fields(self) -> list[str]:
        """Model FK field names; resolved by `Lookups`, excluded from `full_clean`."""
        return [f.name for f in self.model._meta.concrete_fields if f.is_relation]

    @property
    def has_squad(self) -> bool:
        return "squad" in self.by_name

    @property
    def squad_column(self) -> str:
        """The column that decides whose record it is: `squad`, or a change's `release`."""
        return "squad" if self.has_squad else ("release" if "release" in self.by_name else self.key)

    def squad_id_of(self, instance: models.Model) -> int | None:
        """The squad a record belongs to (a squad: itself; a change: its release's)."""
        if self.model is Squad:
            return instance.pk
        return getattr(instance, "squad_id", None)

    def to_row(self, instance: models.Model) -> dict[str, str]:
        """The record as CSV cells in import format (FKs should be select_related)."""
        row: dict[str, str] = {}
        for col in self.columns:
            if col.ref == REF_USER_EMAIL:
                row[col.name] = instance.pm_email or ""
            elif col.ref:
                # no related object (yet): an empty cell, not RelatedObjectDoesNotExist
                target = getattr(instance, col.field) if getattr(instance, f"{col.field}_id") is not None else None
                row[col.name] = "" if target is None else getattr(target, _REF_KEY[col.ref])
            else:
                row[col.name] = col.format(getattr(instance, col.field))
        return row

    def related_for_export(self) -> list[str]:
        """Names to `select_related` so `to_row` needs no query per record."""
        return [c.field for c in self.columns if c.ref and c.ref != REF_USER_EMAIL]

    def error_key(self, model_field: str) -> str:
        """The CSV column a model field's ValidationError belongs to."""
        if model_field == "pm":
            return "pm_email"
        for col in self.columns:
            if col.field == model_field:
                return col.name
        return "row" if model_field == NON_FIELD_ERRORS else model_field


_REF_KEY = {REF_SQUAD: "slug", REF_RELEASE: "external_id", REF_SURVEY: "slug", REF_AREA: "slug"}
_REF_MODEL: dict[str, type[models.Model]] = {
    REF_SQUAD: Squad,
    REF_RELEASE: Release,
    REF_SURVEY: Survey,
    REF_AREA: Area,
}

KINDS: dict[str, RecordKind] = {
    k.name: k
    for k in (
        RecordKind(
            "squads",
            Squad,
            "slug",
            (
                _text("slug", required=True),
                _text("name", required=True),
                _ref("area", REF_AREA, required=True),
                _ref("pm_email", REF_USER_EMAIL, field_name="pm_email"),
                _dec("monthly_cost_per_head", required=True),
                _bool("active"),
            ),
        ),
        RecordKind(
            "releases",
            Release,
            "external_id",
            (
                _key("external_id"),
                _ref("squad", REF_SQUAD, required=True),
                _text("version", required=True),
                _ts("released_at", required=True),
                _ts("first_commit_at"),
                _text("status", required=True),
            ),
        ),
        RecordKind(
            "changes",
            Change,
            "external_id",
            (
                _key("external_id"),
                _ref("release", REF_RELEASE, required=True),
                _ts("first_commit_at", required=True),
                _ts("merged_at"),
                _text("title"),
            ),
        ),
        RecordKind(
            "incidents",
            Incident,
            "external_id",
            (
                _key("external_id"),
                _ref("squad", REF_SQUAD, required=True),
                _int("severity", required=True),
                _ts("started_at", required=True),
                _ts("resolved_at"),
                _bool("customer_impact"),
                _ref("caused_by_release", REF_RELEASE),
                _text("title"),
            ),
        ),
        RecordKind(
            "defects",
            Defect,
            "external_id",
            (
                _key("external_id"),
                _ref("squad", REF_SQUAD, required=True),
                _int("severity", required=True),
                _ts("found_at", required=True),
                _text("found_in", required=True),
                _text("found_by", required=True),
                _ts("resolved_at"),
                _text("title"),
            ),
        ),
        RecordKind(
            "customer_responses",
            CustomerResponse,
            "external_id",
            (
                _key("external_id"),
                _ref("survey", REF_SURVEY, required=True),
                _ts("submitted_at", required=True),
                _text("account"),
                _ref("squad", REF_SQUAD),
                _int("nps_score"),
                _int("csat_score"),
                _int("outcome_score"),
                _text("top_problem"),
                _text("comment"),
            ),
            survey_kind=Survey.Kind.CUSTOMER,
        ),
        RecordKind(
            "time_allocations",
            TimeAllocation,
            "external_id",
            (
                _key("external_id"),
                _ref("survey", REF_SURVEY, required=True),
                _ref("squad", REF_SQUAD, required=True),
                Column("month", "month", p.parse_month, p.format_month, required=True),
                _int("headcount", required=True),
                *(
                    _dec(name, required=True)
                    for name in (
                        "pct_features",
                        "pct_quality",
                        "pct_support",
                        "pct_onboarding",
                        "pct_ktlo",
                        "pct_other",
                    )
                ),
            ),
            survey_kind=Survey.Kind.TIME_ALLOCATION,
        ),
    )
}


def get_kind(name: str) -> RecordKind:
    """The kind called `name` (as in docs/records.md), or KeyError listing the valid ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown record kind {name!r}; expected one of {', '.join(KINDS)}") from None


def kind_for_model(model: type[models.Model] | models.Model) -> RecordKind:
    """The kind whose records are stored in `model` (a class or an instance)."""
    cls = model if isinstance(model, type) else type(model)
    for kind in KINDS.values():
        if kind.model is cls:
            return kind
    raise KeyError(f"no record kind for {cls.__name__}")


@dataclass
class Lookups:
    """Reference values → ids, fetched with one query per referenced table.

    `releases` maps external_id → (id, squad_id, released_at) because the
    importer also needs the release's squad and time for dirty marking.
    """

    squads: dict[str, int] = field(default_factory=dict)
    releases: dict[str, tuple[int, int, Any]] = field(default_factory=dict)
    surveys: dict[str, int] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # lower-cased email → user id

    @classmethod
    def load(cls, kind: RecordKind, refs: Mapping[str, Iterable[str]], *, create_missing: bool = True) -> Lookups:
        """Fetch the referenced keys; with `create_missing`, create new surveys/areas (see docs/records.md)."""
        found = cls()
        for ref, raw_values in refs.items():
            values = sorted({v for v in raw_values if v})
            if not values:
                continue
            if ref == REF_SQUAD:
                found.squads = dict(Squad.objects.filter(slug__in=values).values_list("slug", "id"))
            elif ref == REF_RELEASE:
                for chunk in _chunks(values):
                    rows = Release.objects.filter(external_id__in=chunk).values_list(
                        "external_id", "id", "squad_id", "released_at"
                    )
                    found.releases.update({ext: (pk, squad, at) for ext, pk, squad, at in rows})
            elif ref == REF_USER_EMAIL:
                rows = (
                    get_user_model()
                    .objects.annotate(email_lower=Lower("email"))
                    .filter(email_lower__in=[v.lower() for v in values])
                    .order_by("-id")  # several users with one email: the oldest wins
                    .values_list("email_lower", "id")
                )
                found.users = dict(rows)
            elif ref in (REF_SURVEY, REF_AREA):
                model = _REF_MODEL[ref]
                existing = dict(model.objects.filter(slug__in=values).values_list("slug", "id"))
                missing = [v for v in values if v not in existing]
                if missing and create_missing:
                    extra = {"kind": kind.survey_kind} if ref == REF_SURVEY and kind.survey_kind else {}
                    created = model.objects.bulk_create([model(slug=v, name=v, **extra) for v in missing])
                    existing.update({obj.slug: obj.pk for obj in created})
                    if any(pk is None for pk in existing.values()):  # backend without RETURNING
                        existing = dict(model.objects.filter(slug__in=values).values_list("slug", "id"))
                setattr(found, "surveys" if ref == REF_SURVEY else "areas", existing)
        return found


#: Keys per `IN (...)` query, well under every backend's parameter limit.
LOOKUP_CHUNK = 5000


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def referenced(kind: RecordKind, rows: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """The reference keys (by ref type) a set of parsed rows mentions, for `Lookups.load`."""
    refs: dict[str, set[str]] = {c.ref: set() for c in kind.columns if c.ref}
    for row in rows:
        for col in kind.columns:
            if col.ref and row.get(col.name):
                refs[col.ref].add(row[col.name])
    return refs


def parse_cells(kind: RecordKind, cells: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse the given cells (by column name) → (values, errors by column)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in cells.items():
        col = kind.by_name.get(name)
        if col is None:
            errors[name] = "unknown field"
            continue
        try:
            values[name] = col.parse(raw)
        except p.ParseError as exc:
            errors[name] = exc.reason
    return values, errors


def apply_values(
    kind: RecordKind,
    instance: models.Model,
    values: Mapping[str, Any],
    lookups: Lookups,
    errors: dict[str, str],
) -> None:
    """Set parsed `values` on `instance`, resolving references; problems go into `errors`."""
    for name, value in values.items():
        col = kind.by_name[name]
        if col.required and (value is None or value == ""):
            errors[name] = REQUIRED
            continue
        if col.ref == REF_USER_EMAIL:
            instance.pm_email = value or ""
            instance.pm_id = lookups.users.get(value.lower()) if value else None
        elif col.ref:
            if value is None:
                setattr(instance, f"{col.field}_id", None)
                continue
            table = {
                REF_SQUAD: lookups.squads,
                REF_RELEASE: lookups.releases,
                REF_SURVEY: lookups.surveys,
                REF_AREA: lookups.areas,
            }[col.ref]
            target = table.get(value)
            if target is None:
                errors[name] = f'unknown {col.ref} "{value}"'
                continue
            setattr(instance, f"{col.field}_id", target[0] if isinstance(target, tuple) else target)
            if col.ref == REF_RELEASE:
                instance._ref_release = target  # (id, squad_id, released_at): rules on it need no query
        elif value is None:
            model_field = instance._meta.get_field(col.field)
            if model_field.null:
                setattr(instance, col.field, None)
            elif model_field.has_default():
                setattr(instance, col.field, model_field.get_default())
            elif model_field.empty_strings_allowed and model_field.blank:
                setattr(instance, col.field, "")
            else:
                setattr(instance, col.field, None)
        else:
            setattr(instance, col.field, value)


def validate_instance(kind: RecordKind, instance: models.Model, errors: dict[str, str], **kwargs: Any) -> None:
    """Run the model's own rules (`full_clean`), adding failures to `errors` by CSV column.

    Unique and constraint checks are left to the caller/DB so a bulk import runs
    no query per row; pass `validate_unique=True` for single writes.
    """
    options = {"validate_unique": False, "validate_constraints": False, **kwargs}
    exclude = set(kind.fk_fields) | {kind.by_name[name].field for name in errors if name in kind.by_name}
    try:
        instance.full_clean(exclude=exclude, **options)
    except ValidationError as exc:
        for model_field, messages in exc.message_dict.items():
            key = kind.error_key(model_field)
            errors.setdefault(key, " ".join(m.rstrip() for m in messages))


def build_instance(
    kind: RecordKind,
    cells: Mapping[str, Any],
    lookups: Lookups,
    *,
    instance: models.Model | None = None,
    parsed: Mapping[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    validate_unique: bool = False,
) -> tuple[models.Model, dict[str, str]]:
    """Cells (by column name) → (instance with the values set, errors by column).

    With `instance`, only the given cells change it (PATCH semantics); without,
    every column not given counts as empty. `parsed`/`errors` let a caller that
    already parsed the cells skip parsing again. `validate_unique` adds the key's
    uniqueness check (one query; single writes only).
    """
    if parsed is None:
        parsed, errors = parse_cells(kind, cells)
    errors = dict(errors or {})
    if instance is None:
        instance = kind.model()
        parsed = {**{name: None for name in kind.column_names if name not in errors}, **parsed}
    apply_values(kind, instance, parsed, lookups, errors)
    validate_instance(kind, instance, errors, validate_unique=validate_unique)
    check_cause_time(instance, lookups, errors)
    return instance, errors


def field_values(instance: models.Model) -> dict[str, Any]:
    """The instance's concrete field values by attname (what a change is compared on)."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


# The rules joining an incident and its release live in their own module; imported at the end
# because they use `Lookups` from here.
from metrics.records.ingest.references import (  # noqa: E402, F401  (re-exported)
    CAUSE_AFTER_INCIDENT,
    NOT_YOUR_RELEASE,
    check_cause_time,
    referenced_release,
    releases_after_their_incidents,
)
