"""The values a row was loaded with, kept on the instance."""

from __future__ import annotations

from typing import Any


class RemembersLoadedValues:
    """Keeps the values a row was loaded with, so a save can mark both the old
    and the new KPI periods dirty (and audit the diff) without another query."""

    _loaded_values: dict | None = None

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, *, fetch_mode: Any = None) -> Any:
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance


def current_values(instance: Any) -> dict[str, Any]:
    """attname → value of every concrete field of `instance`, as it is now in memory."""
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}
