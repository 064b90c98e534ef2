"""Writing audit events. Everything that records goes through `record`."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from audit.context import client_ip, current_user, get_request
from audit.models import AuditEvent


def object_key(instance: models.Model) -> str:
    """The key people know a record by: external_id, else slug, else pk."""
    for attr in ("external_id", "slug"):
        value = getattr(instance, attr, None)
        if value:
            return str(value)[:200]
    return str(instance.pk)


def record(
    action: str,
    *,
    user: Any = None,
    username: str = "",
    instance: models.Model | None = None,
    changes: dict[str, list[Any]] | None = None,
    request: HttpRequest | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `user`/`request` default to the current audit context."""
    request = request if request is not None else get_request()
    if user is None:
        user = current_user()
        if user is None and request is not None:
            candidate = getattr(request, "user", None)
            user = candidate if candidate is not None and candidate.is_authenticated else None
    if user is not None and not user.is_authenticated:
        user = None
    return AuditEvent.objects.create(
        action=action,
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        model_label=instance._meta.label_lower if instance is not None else "",
        object_key=object_key(instance) if instance is not None else "",
        changes=changes or {},
        ip=client_ip(request),
        extra=extra or {},
    )


def record_import(
    kind: str,
    *,
    filename: str = "",
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    dry_run: bool = False,
    user: Any = None,
    source: str = "command",
) -> AuditEvent:
    """One `import` event per successful import (bulk writes bypass the per-record signals)."""
    return record(
        "import",
        user=user,
        extra={
            "kind": kind,
            "filename": filename,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
            "dry_run": dry_run,
            "source": source,
        },
    )
