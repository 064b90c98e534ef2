"""Who may call the record endpoints (see docs/roles.md), from the role groups' model
permissions in `squads.roles`; the squad rule for PMs is `can_write_squad_record`."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from core.admin import model_label
from squads.roles import can_write_squad_record

_WRITE_ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change"}


def has_model_perm(user: Any, model: type, action: str) -> bool:
    return bool(user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}"))


class RecordPermission(BasePermission):
    """Any signed-in user reads; writes need the role's model permission, and
    for squad-scoped kinds (releases, incidents, defects) a squad of the user's.
    A method the endpoint does not offer (DELETE) falls through to 405."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method in SAFE_METHODS or request.method not in view.allowed_methods:
            return True
        action = _WRITE_ACTIONS.get(request.method or "")
        model = view.queryset.model
        return action is not None and has_model_perm(user, model, action)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not has_model_perm(request.user, type(obj), "change"):
            return False
        return can_write_squad_record(request.user, model_label(type(obj)), getattr(obj, "squad_id", None))
