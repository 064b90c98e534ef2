"""Writes of source configuration: `load_sources` from a TOML file.

The file names each source's secrets by environment variable (`token_env`,
`webhook_secret_env`); a file never holds a secret, and a `token = …` key is
refused. Loading is idempotent: the same file twice changes nothing (no save,
no audit event). Sources not in the file are left alone.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from sources.models import Source

COMMON_KEYS = {"name", "kind", "base_url", "token_env", "webhook_secret_env", "since", "squads", "enabled"}
KIND_KEYS = {
    "github": {"environment"},
    "gitlab": {"environment"},
    "jira": {"user_env", "jql", "customer_label"},
    "pagerduty": set(),
}
SECRET_KEYS = {"token", "webhook_secret", "password", "secret"}


class SourceFileError(Exception):
    """The file cannot be loaded; `errors` lists `source[N] (name): field: reason`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


def _values(index: int, entry: Any, errors: list[str]) -> dict[str, Any] | None:
    where = f"source[{index}]"
    if not isinstance(entry, dict):
        errors.append(f"{where}: must be a table")
        return None
    name = entry.get("name")
    if isinstance(name, str):
        where = f"{where} ({name})"
    kind = entry.get("kind")
    if kind not in KIND_KEYS:
        errors.append(f"{where}: kind: must be one of {', '.join(KIND_KEYS)}")
        return None
    bad = False
    for key in entry:
        if key in SECRET_KEYS:
            errors.append(f"{where}: {key}: a file never holds a secret; name a variable with {key}_env")
            bad = True
        elif key not in COMMON_KEYS | KIND_KEYS[kind]:
            errors.append(f"{where}: {key}: unknown key for a {kind} source")
            bad = True
    since = entry.get("since")
    if isinstance(since, str):
        try:
            since = dt.date.fromisoformat(since)
        except ValueError:
            errors.append(f"{where}: since: {since!r} is not a date (YYYY-MM-DD)")
            bad = True
    elif isinstance(since, dt.datetime):
        since = since.date()
    elif since is not None and not isinstance(since, dt.date):
        errors.append(f"{where}: since: must be a date (YYYY-MM-DD)")
        bad = True
    if bad:
        return None
    values = {key: entry[key] for key in entry if key not in {"since"}}
    values["since"] = since
    values.setdefault("squads", {})
    values.setdefault("enabled", True)
    return values


@transaction.atomic
def load_sources(*, stream: IO[bytes]) -> LoadReport:
    """Create or update the sources of a TOML file (`[[source]]` tables), all or nothing."""
    try:
        data = tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise SourceFileError([f"not valid TOML: {exc}"]) from None
    entries = data.get("source", [])
    errors: list[str] = [f"{key}: unknown top-level key; use [[source]] tables" for key in data if key != "source"]
    if not isinstance(entries, list):
        raise SourceFileError(["source: use [[source]] tables"])
    report = LoadReport()
    seen: set[str] = set()
    planned: list[tuple[Source, bool]] = []
    for index, entry in enumerate(entries, start=1):
        values = _values(index, entry, errors)
        if values is None:
            continue
        name = values.get("name")
        if name in seen:
            errors.append(f"source[{index}] ({name}): name: appears twice in the file")
            continue
        seen.add(name)
        current = Source.objects.filter(name=name).first() if isinstance(name, str) else None
        source = current or Source()
        if current is not None and current.kind != values["kind"]:
            errors.append(f"source[{index}] ({name}): kind: is {current.kind}; a source never changes kind")
            continue
        config = {
            f: values.get(f, "")
            for f in ("token_env", "webhook_secret_env", "environment", "jql", "customer_label", "user_env")
        }
        changed = current is None
        for attr, value in {**values, **config}.items():
            if getattr(source, attr) != value:
                setattr(source, attr, value)
                changed = True
        try:
            source.full_clean()
        except ValidationError as exc:
            for attr, messages in exc.message_dict.items():
                errors.append(f"source[{index}] ({name}): {attr}: {' '.join(messages)}")
            continue
        planned.append((source, changed))
    if errors:
        raise SourceFileError(errors)
    for source, changed in planned:
        if source.pk is None:
            source.save()
            report.created.append(source.name)
        elif changed:
            source.save()
            report.updated.append(source.name)
        else:
            report.unchanged.append(source.name)
    return report
