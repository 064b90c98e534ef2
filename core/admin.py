"""Admin bits shared by every app: a model's permission label and a read-only ModelAdmin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest


def model_label(model: type[Model]) -> str:
    """ "app_label.model_name", the form permissions and the role rules use."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the system (KPI engine, audit): browsable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
