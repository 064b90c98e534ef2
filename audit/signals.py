"""Receivers: sign-ins/outs, failed sign-ins, and every create, change and delete
of a record. The diff is taken in pre_save (before the dirty-marking receiver
refreshes `_loaded_values`) and written in post_save, in the record's transaction,
so a rolled-back write leaves no audit row either."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from audit import lockout
from audit.context import client_ip
from audit.services import record
from metrics.models import Baseline, CustomerResponse, Defect, Incident, Release, Survey, Target, TimeAllocation
from squads.models import Squad

AUDITED: tuple[type[models.Model], ...] = (
    Release,
    Incident,
    Defect,
    CustomerResponse,
    TimeAllocation,
    Squad,
    Survey,
    Target,
    Baseline,
)


def _values(instance: models.Model) -> dict[str, Any]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


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


def _old_values(sender: type[models.Model], instance: models.Model) -> dict[str, Any] | None:
    loaded = getattr(instance, "_loaded_values", None)
    if loaded:
        return dict(loaded)
    if instance.pk is None or instance._state.adding:
        return None
    # Models without RemembersLoadedValues (surveys, targets, baselines): one query.
    row = sender._default_manager.filter(pk=instance.pk).values(
        *[f.attname for f in sender._meta.concrete_fields]
    ).first()
    return row


@receiver(pre_save)
def remember_change(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if sender not in AUDITED or raw:
        return
    instance._audit_old = None if instance._state.adding else _old_values(sender, instance)


@receiver(post_save)
def record_save(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if sender not in AUDITED or raw:
        return
    old = None if created else getattr(instance, "_audit_old", None)
    changes = diff(instance, old)
    instance._audit_old = None
    if not created and not changes:
        return  # a save that changed nothing is not an event
    record("create" if created else "update", instance=instance, changes=changes)


@receiver(post_delete)
def record_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender not in AUDITED:
        return
    values = _values(instance)
    record("delete", instance=instance, changes={k: [v, None] for k, v in values.items() if v not in (None, "")})


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
