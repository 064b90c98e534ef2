"""`record_changed`: the one announcement that a record (or a piece of KPI configuration)
was created, updated or deleted — by the admin, the API, a service or the shell.

Django's `pre_save`/`post_save`/`post_delete` are connected here once per announced model
(`sender=` set, no filtering inside); they turn a save into one `record_changed` with the
values before and after, sent with `sender=` the model class. The KPI engine marks periods
dirty from it (`metrics.kpis.receivers`) and the audit log records it (`audit.signals`); both
see the same old values whatever order they are connected in. Bulk imports send
`records_bulk_written` (dirty marking) and `records_imported` (one audit event per file) instead.

Arguments sent: `instance`, `action` ("create", "update" or "delete"), `old` (attname → value
before the change; None for a creation), `new` (attname → value after; None for a deletion).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal

from core.loaded_values import current_values
from metrics.records.models import Change, CustomerResponse, Defect, Incident, Release, Survey, TimeAllocation
from squads.models import Squad

record_changed = Signal()

#: Sent by the CSV import after its bulk writes, inside the import's transaction (no per-row
#: `record_changed`): `changes` lists (old values or None, new values) per written row, and
#: `known_releases` maps release id → (squad_id, released_at) for the releases it looked up.
records_bulk_written = Signal()
#: A streamed import sends `records_bulk_written` once per batch with an `import_id`; receivers
#: may hold what they derive until this signal (same `import_id`, `written`: whether the import
#: is kept) so a file's dirty marks are written once, not once per batch.
records_import_finished = Signal()

#: Sent by `services.import_records` once per successful import, for the audit log:
#: `kind`, `filename`, `created`, `updated`, `unchanged`, `user`, `source`.
records_imported = Signal()

_OLD = "_values_before_save"


def _remember_old(sender: type[models.Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    if instance._state.adding or instance.pk is None:
        old = None
    elif getattr(instance, "_loaded_values", None):
        old = dict(instance._loaded_values)
    else:
        # Not loaded from the database (or a model without RemembersLoadedValues): one query.
        fields = [f.attname for f in sender._meta.concrete_fields]
        old = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    setattr(instance, _OLD, old)


def _announce_save(sender: type[models.Model], instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    old = None if created else getattr(instance, _OLD, None)
    setattr(instance, _OLD, None)
    new = current_values(instance)
    record_changed.send(sender=sender, instance=instance, action="create" if created else "update", old=old, new=new)
    if hasattr(instance, "_loaded_values"):
        instance._loaded_values = new  # the next save of this object compares against what is stored now


def _announce_delete(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    record_changed.send(sender=sender, instance=instance, action="delete", old=current_values(instance), new=None)


def announce_row(row: models.Model, action: str, values: dict[str, Any]) -> None:
    """Announce a row written without save/delete signals: Django sends none for the rows of an
    auto-created many-to-many table (a bet's squads, who an alert rule e-mails). `values` are the
    row's values after a "create", before a "delete"."""
    old, new = (None, values) if action == "create" else (values, None)
    record_changed.send(sender=type(row), instance=row, action=action, old=old, new=new)


def announce_changes_of(model: type[models.Model]) -> None:
    """Send `record_changed` for every single-row save and delete of `model`."""
    uid = f"record_changed:{model._meta.label_lower}"
    pre_save.connect(_remember_old, sender=model, dispatch_uid=uid)
    post_save.connect(_announce_save, sender=model, dispatch_uid=uid)
    post_delete.connect(_announce_delete, sender=model, dispatch_uid=uid)


#: The record models whose changes are announced (the KPI configuration models announce
#: themselves from `metrics.kpis.models`).
RECORD_MODELS: tuple[type[models.Model], ...] = (
    Release,
    Change,
    Incident,
    Defect,
    CustomerResponse,
    TimeAllocation,
    Squad,
    Survey,
)

for _model in RECORD_MODELS:
    announce_changes_of(_model)
