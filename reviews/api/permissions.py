"""Who may call the review and alert endpoints: any signed-in user reads; a write needs the
role's model permission (`squads.roles`), checked before the input is even parsed. The services
then apply what a model permission cannot say (a PM writes only on reviews of their squads)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

_ACTION_OF_METHOD = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class RolePermission(BasePermission):
    """A view may name the permission of an extra action in `write_permissions` (e.g. freeze)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method in SAFE_METHODS or request.method not in view.allowed_methods:
            return True
        perm = getattr(view, "write_permissions", {}).get(getattr(view, "action", None))
        if perm is None:
            model = view.queryset.model
            perm = f"{model._meta.app_label}.{_ACTION_OF_METHOD[request.method or 'POST']}_{model._meta.model_name}"
        return bool(user.has_perm(perm))
