"""Record writes: single records for the API, the admin and the shell, and CSV imports for the
command and the admin.

The same parsers and model rules as the CSV import (`metrics.records.ingest.kinds`),
so there is one validation path. Data is keyed by the CSV column names of docs/records.md
(`squad` is a squad slug, `caused_by_release` a release external_id, `survey` a
survey slug, `month` "YYYY-MM"); values may be CSV strings or JSON-typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import IO, Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError

from metrics.records.ingest.importer import ImportReport, Progress, import_csv
from metrics.records.ingest.kinds import (
    CAUSE_AFTER_INCIDENT,
    KINDS,
    NOT_YOUR_RELEASE,
    Lookups,
    RecordKind,
    build_instance,
    field_values,
    get_kind,
    kind_for_model,
    parse_cells,
    referenced_release,
    releases_after_their_incidents,
)
from metrics.records.ingest.parsing import format_timestamp
from metrics.records.models import Release
from metrics.records.signals import records_imported
from squads.roles import can_write_squad_record

__all__ = ["KINDS", "ImportReport", "RecordKind", "delete_record", "import_records", "kind_for_model", "save_record"]


def _squad_id(kind: RecordKind, instance: models.Model) -> int | None:
    return kind.squad_id_of(instance)


def _require_scope(kind: RecordKind, user: Any, squad_id: int | None) -> None:
    if user is not None and not can_write_squad_record(user, kind.model_label, squad_id):
        raise PermissionDenied(f"you may not write {kind.name} of this squad")


@transaction.atomic
def save_record(
    *, kind: str, data: Mapping[str, Any], user: Any = None, instance: models.Model | None = None
) -> models.Model:
    """Create (no `instance`) or update a record of `kind` from `data` and save it.

    On update only the keys present in `data` change (PATCH semantics). Raises
    ValidationError (`message_dict` keyed by column name) for bad input and
    PermissionDenied when `user` may not write the record's old or new squad.
    `user=None` means a trusted caller (shell, seed) and skips the role check.
    Surveys and areas named for the first time are created (see docs/records.md).
    """
    record_kind = get_kind(kind)
    if instance is None:
        return _save(record_kind, data, user, record_kind.model(), creating=True)
    if not isinstance(instance, record_kind.model):
        raise TypeError(f"{type(instance).__name__} is not a {kind} record")
    _require_scope(record_kind, user, _squad_id(record_kind, instance))
    before = field_values(instance)
    try:
        return _save(record_kind, data, user, instance, creating=False)
    except (ValidationError, PermissionDenied):
        for attname, value in before.items():  # a refused change leaves the caller's object as it was
            setattr(instance, attname, value)
        raise


def _save(
    record_kind: RecordKind, data: Mapping[str, Any], user: Any, instance: models.Model, *, creating: bool
) -> models.Model:
    values, errors = parse_cells(record_kind, data)
    refs = {c.ref: {values[c.name]} for c in record_kind.columns if c.ref and values.get(c.name)}
    lookups = Lookups.load(record_kind, refs)
    if creating:
        values = {**{name: None for name in record_kind.column_names if name not in errors}, **values}
    named_before = None if creating else getattr(instance, "caused_by_release_id", None)
    instance, errors = build_instance(
        record_kind, {}, lookups, instance=instance, parsed=values, errors=errors, validate_unique=True
    )
    _check_release_references(record_kind, instance, lookups, user, named_before, errors, creating=creating)
    if errors:
        raise ValidationError({name: [reason] for name, reason in errors.items()})
    _require_scope(record_kind, user, _squad_id(record_kind, instance))
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:  # a concurrent write took the key, or a rule only the DB knows
        raise ValidationError({NON_FIELD_ERRORS: [f"the database refused the record: {exc}"]}) from exc
    return instance


def _check_release_references(
    kind: RecordKind,
    instance: models.Model,
    lookups: Lookups,
    user: Any,
    named_before: int | None,
    errors: dict[str, str],
    *,
    creating: bool,
) -> None:
    """The rules that join an incident and its release: a PM names only releases of squads they
    manage (ops and admins: any) — checked when the reference is set or changed — and a release
    is not moved after the start of an incident it caused."""
    if user is not None and "caused_by_release" not in errors:
        release = referenced_release(instance, lookups)
        changed = release is not None and (creating or release[0] != named_before)
        if changed and not can_write_squad_record(user, kind.model_label, release[1]):
            errors["caused_by_release"] = NOT_YOUR_RELEASE
    if not creating and isinstance(instance, Release) and "released_at" not in errors:
        late = releases_after_their_incidents([instance])
        if instance.pk in late:
            errors["released_at"] = CAUSE_AFTER_INCIDENT.format(format_timestamp(late[instance.pk]))


@transaction.atomic
def delete_record(*, instance: models.Model, user: Any = None) -> None:
    """Delete a record, if `user` may write its squad (see docs/roles.md).

    Raises PermissionDenied, or ValidationError when other records still point
    at it (a release named by incidents, a squad with records).
    """
    record_kind = kind_for_model(instance)
    _require_scope(record_kind, user, _squad_id(record_kind, instance))
    try:
        with transaction.atomic():
            instance.delete()
    except ProtectedError as exc:
        names = sorted({obj._meta.verbose_name_plural for obj in exc.protected_objects})
        raise ValidationError(
            {NON_FIELD_ERRORS: [f"still referenced by {', '.join(str(n) for n in names)}; delete those first"]}
        ) from exc


@transaction.atomic
def import_records(
    *,
    kind: str,
    stream: IO[bytes] | IO[str],
    user: Any = None,
    source: str,
    filename: str = "",
    dry_run: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> ImportReport:
    """Import a CSV file of `kind`, all rows or none (see `import_csv`), and announce a successful
    write with `records_imported` so the audit log records one event for the file (bulk writes
    send no per-record `record_changed`). The one import path of the command and the admin;
    `source` says which ("command", "admin"); `progress` as for `import_csv`."""
    report = import_csv(kind=kind, stream=stream, user=user, dry_run=dry_run, progress=progress)
    if report.written:
        records_imported.send(
            sender=get_kind(kind).model,
            kind=kind,
            filename=filename,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            user=user,
            source=source,
        )
    return report
