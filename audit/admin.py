"""The audit log in the Django admin: read-only, and for admins only (not ops staff, not PMs)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent
from core.admin import ReadOnlyAdmin
from squads.roles import ADMIN


def is_admin(user: Any) -> bool:
    return bool(user.is_active and (user.is_superuser or user.groups.filter(name=ADMIN).exists()))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "action", "model_label", "object_key", "ip")
    list_filter = ("action", "at", "model_label", ("user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("username", "object_key", "model_label")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    list_per_page = 100

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user)
