"""Who may do what with sources: admins edit them (admin site); ops staff and
admins see the status page. Credentials are never shown back to anyone."""

from __future__ import annotations

from typing import Any

from squads.roles import ADMIN, OPS_STAFF

SOURCE_PERMISSIONS = {ADMIN: {f"sources.{a}_source" for a in ("view", "add", "change", "delete")}}


def can_see_status(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.groups.filter(name__in=[ADMIN, OPS_STAFF]).exists())
    )
