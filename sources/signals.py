"""Audit of source configuration: who changed which setting, never a secret.

Only the configuration fields are diffed; the encrypted token and webhook
secret are reported as "changed" by name, without any value, and the run state
(cursor, counts) is written with queryset updates that send no signals.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from audit.services import record
from sources.models import Source

CONFIG_FIELDS = (
    "name",
    "kind",
    "enabled",
    "base_url",
    "token_env",
    "webhook_secret_env",
    "since",
    "squads",
    "environment",
    "jql",
    "customer_label",
    "user_env",
)
SECRET_FIELDS = {"token_encrypted": "token", "webhook_secret_encrypted": "webhook_secret"}


def _snapshot(instance: Source) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in (*CONFIG_FIELDS, *SECRET_FIELDS)}


@receiver(pre_save, sender=Source)
def remember_source(sender: type, instance: Source, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    old = Source.objects.filter(pk=instance.pk).first()
    instance._audit_before = _snapshot(old) if old is not None else None


@receiver(post_save, sender=Source)
def audit_source(sender: type, instance: Source, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    before = None if created else getattr(instance, "_audit_before", None)
    after = _snapshot(instance)
    changes = {
        name: [None if before is None else before[name], after[name]]
        for name in CONFIG_FIELDS
        if before is None or before[name] != after[name]
    }
    secrets_changed = sorted(
        label for name, label in SECRET_FIELDS.items() if (before or {}).get(name, "") != after[name]
    )
    if not created and not changes and not secrets_changed:
        return
    record(
        "create" if created else "update",
        instance=instance,
        changes={k: v for k, v in changes.items() if created is False or v[1] not in (None, "", {})},
        extra={"secrets_changed": secrets_changed} if secrets_changed else None,
    )


@receiver(post_delete, sender=Source)
def audit_source_delete(sender: type, instance: Source, **kwargs: Any) -> None:
    record("delete", instance=instance, changes={"name": [instance.name, None], "kind": [instance.kind, None]})
