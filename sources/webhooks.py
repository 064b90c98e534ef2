"""Webhooks: each tool's own signature scheme, and which items an event names.

github `X-Hub-Signature-256: sha256=<hex>` and pagerduty v3
`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]` are HMAC-SHA256 of the raw body
with the source's webhook secret; gitlab sends the secret itself in
`X-Gitlab-Token`. Comparisons are constant-time. An event only names items
(a repo, a project, an incident); the records are then read from the tool's
API by the same code as the pull, so a forged-but-signed body cannot write
values the tool does not hold, and a replay changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from sources.models import Source


class HookRefused(Exception):
    """The request is not a valid webhook of this source (401)."""


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(source: Source, headers: Mapping[str, str], body: bytes) -> None:
    """Raise HookRefused unless the request carries this source's valid signature."""
    secret = source.webhook_secret()
    if not secret:
        raise HookRefused("no webhook secret is configured for this source")
    if source.kind == Source.Kind.GITHUB:
        given = headers.get("X-Hub-Signature-256", "")
        if not given.startswith("sha256=") or not hmac.compare_digest(given[7:], _hmac_hex(secret, body)):
            raise HookRefused("missing or wrong X-Hub-Signature-256")
    elif source.kind == Source.Kind.GITLAB:
        if not hmac.compare_digest(headers.get("X-Gitlab-Token", "").encode(), secret.encode()):
            raise HookRefused("missing or wrong X-Gitlab-Token")
    elif source.kind == Source.Kind.PAGERDUTY:
        expected = _hmac_hex(secret, body)
        given = [part.strip() for part in headers.get("X-PagerDuty-Signature", "").split(",")]
        if not any(sig.startswith("v1=") and hmac.compare_digest(sig[3:], expected) for sig in given):
            raise HookRefused("missing or wrong X-PagerDuty-Signature")
    else:
        raise HookRefused(f"{source.kind} sources take no webhooks")


def items(source: Source, headers: Mapping[str, str], body: bytes) -> list[str]:
    """The items a (verified) event names; [] for events we do not sync from."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        return []
    if not isinstance(payload, dict):
        return []
    if source.kind == Source.Kind.GITHUB:
        if headers.get("X-GitHub-Event") not in {"deployment_status", "deployment"}:
            return []
        repository = payload.get("repository")
        name = repository.get("full_name") if isinstance(repository, dict) else None
        return [name] if isinstance(name, str) and "/" in name else []
    if source.kind == Source.Kind.GITLAB:
        if payload.get("object_kind") != "deployment":
            return []
        project = payload.get("project")
        path = project.get("path_with_namespace") if isinstance(project, dict) else None
        return [path] if isinstance(path, str) and path else []
    if source.kind == Source.Kind.PAGERDUTY:
        event = payload.get("event")
        data = event.get("data") if isinstance(event, dict) else None
        if not isinstance(data, dict) or data.get("type") != "incident":
            return []
        incident_id = data.get("id")
        return [incident_id] if isinstance(incident_id, str) and incident_id else []
    return []
