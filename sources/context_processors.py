"""Whether the navigation shows the sources status page (ops staff and admins only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from sources.roles import can_see_status


def nav(request: HttpRequest) -> dict[str, Any]:
    # Lazy: the group lookup runs only on pages that render the navigation.
    return {"can_see_sources": SimpleLazyObject(lambda: can_see_status(request.user))}
