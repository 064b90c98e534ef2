"""PM squad scope in the admin (see docs/roles.md): a squad PM sees every record but
changes, deletes and creates releases, incidents and defects of their own
squads only. The rule itself lives in `squads.roles`; this module only wires
it into the ModelAdmin hooks (object permissions, form choices, form check,
bulk delete)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from core.admin import model_label
from squads.models import Squad
from squads.roles import can_write_squad_record, is_unrestricted, own_squad_ids


class SquadScopedAdminMixin:
    """For models with a `squad` FK whose writes are limited to the PM's squads."""

    model: type[Model]

    def _may_write(self, request: HttpRequest, obj: Any) -> bool:
        return can_write_squad_record(request.user, model_label(self.model), obj.squad_id)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._may_write(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._may_write(request, obj))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "squad" and not is_unrestricted(request.user):
            kwargs["queryset"] = Squad.objects.filter(pk__in=own_squad_ids(request.user)).select_related("area")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        user, label = request.user, model_label(self.model)

        class SquadScopedForm(form):
            def clean(self) -> dict[str, Any]:
                cleaned = super().clean()
                squad = cleaned.get("squad")
                if squad is not None and not can_write_squad_record(user, label, squad.pk):
                    self.add_error("squad", forms.ValidationError("you may only write records of your own squads."))
                return cleaned

        SquadScopedForm.__name__ = form.__name__
        return SquadScopedForm

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        """The bulk "delete selected" action checks the model permission only; check every row."""
        label = model_label(self.model)
        squad_ids = set(queryset.values_list("squad_id", flat=True))
        if any(not can_write_squad_record(request.user, label, squad_id) for squad_id in squad_ids):
            raise PermissionDenied("you may only delete records of your own squads.")
        super().delete_queryset(request, queryset)
