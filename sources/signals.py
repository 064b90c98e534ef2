"""Announce changes of source configuration to the audit log — never a secret.

Sources are announced with the records' `record_changed` (the audit log listens to
it), but as a copy whose secret columns hold only "stored #<fingerprint of the
ciphertext>" or "", so the trail shows that a token was set, rotated or removed
and never its value (nor its ciphertext). The run state (cursor, counts) is
written with queryset updates that send no signals.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from metrics.records.signals import record_changed
from sources.models import Source

SECRET_FIELDS = ("token_encrypted", "webhook_secret_encrypted")
_OLD = "_announced_before_save"


def _mask(cipher: str) -> str:
    return f"stored #{hashlib.sha256(cipher.encode()).hexdigest()[:8]}" if cipher else ""


def _safe(values: dict[str, Any]) -> dict[str, Any]:
    return {name: (_mask(value) if name in SECRET_FIELDS else value) for name, value in values.items()}


def _values(instance: Source) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in Source._meta.concrete_fields}


def _masked_copy(instance: Source) -> Source:
    safe = copy.copy(instance)
    for name in SECRET_FIELDS:
        setattr(safe, name, _mask(getattr(instance, name)))
    return safe


@receiver(pre_save, sender=Source, dispatch_uid="sources-remember-old")
def remember_source(sender: type, instance: Source, raw: bool = False, **kwargs: Any) -> None:
    old = None
    if not raw and instance.pk is not None and not instance._state.adding:
        row = Source.objects.filter(pk=instance.pk).values(*[f.attname for f in Source._meta.concrete_fields]).first()
        old = _safe(row) if row else None
    setattr(instance, _OLD, old)


@receiver(post_save, sender=Source, dispatch_uid="sources-announce-save")
def announce_source(sender: type, instance: Source, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    safe = _masked_copy(instance)
    record_changed.send(
        sender=Source,
        instance=safe,
        action="create" if created else "update",
        old=None if created else getattr(instance, _OLD, None),
        new=_values(safe),
    )


@receiver(post_delete, sender=Source, dispatch_uid="sources-announce-delete")
def announce_source_delete(sender: type, instance: Source, **kwargs: Any) -> None:
    safe = _masked_copy(instance)
    record_changed.send(sender=Source, instance=safe, action="delete", old=_values(safe), new=None)
