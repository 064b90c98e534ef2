"""Receivers: sign-ins/outs, failed sign-ins, and every create, change and delete
of a record or of KPI configuration, as announced by `record_changed` (see
`metrics.records.signals`, which hands over the values before and after). The event is
written in the record's transaction, so a rolled-back write leaves no audit row either."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.db import models
from django.dispatch import receiver

from audit import lockout
from audit.context import client_ip
from audit.services import record, record_import
from metrics.records.signals import record_changed, records_imported


def _same(field: models.Field, old: Any, new: Any) -> bool:
    try:
        return field.to_python(old) == field.to_python(new)
    except ValidationError:
        return False


def diff(instance: models.Model, old: dict[str, Any] | None) -> dict[str, list[Any]]:
    """field → [old, new] for every concrete field whose value differs (old None: a creation)."""
    changes: dict[str, list[Any]] = {}
    for field in instance._meta.concrete_fields:
        new = getattr(instance, field.attname)
        if old is None:
            if new is not None and new != "":
                changes[field.attname] = [None, new]
            continue
        before = old.get(field.attname)
        if not _same(field, before, new):
            changes[field.attname] = [before, new]
    return changes


@receiver(record_changed, dispatch_uid="audit-record-changed")
def record_change(
    sender: type, instance: Any, action: str, old: dict[str, Any] | None, new: dict[str, Any] | None, **kwargs: Any
) -> None:
    if action == "delete":
        removed = {k: [v, None] for k, v in (old or {}).items() if v not in (None, "")}
        record("delete", instance=instance, changes=removed)
        return
    changes = diff(instance, None if action == "create" else old)
    if action == "update" and not changes:
        return  # a save that changed nothing is not an event
    record(action, instance=instance, changes=changes)


@receiver(records_imported, dispatch_uid="audit-records-imported")
def record_file_import(
    sender: type,
    kind: str,
    filename: str,
    created: int,
    updated: int,
    unchanged: int,
    user: Any,
    source: str,
    **kwargs: Any,
) -> None:
    record_import(
        kind, filename=filename, created=created, updated=updated, unchanged=unchanged, user=user, source=source
    )


@receiver(user_logged_in)
def record_login(sender: type, request: Any, user: Any, **kwargs: Any) -> None:
    record("login", user=user, request=request)
    lockout.note_success(user.get_username())


@receiver(user_logged_out)
def record_logout(sender: type, request: Any, user: Any, **kwargs: Any) -> None:
    record("logout", user=user, request=request, username="")


@receiver(user_login_failed)
def record_login_failed(sender: type, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    record("login_failed", username=username, request=request, extra={"username": username})
    lockout.note_failure(username, client_ip(request))
