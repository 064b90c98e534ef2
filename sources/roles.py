"""Who may see the sources status page: ops staff and admins. Editing sources is the
admin role's (its model permissions are in `squads.roles`); credentials are never
shown back to anyone."""

from __future__ import annotations

from typing import Any

from squads.roles import ADMIN, OPS_STAFF


def can_see_status(user: Any) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or user.groups.filter(name__in=[ADMIN, OPS_STAFF]).exists())
    )
