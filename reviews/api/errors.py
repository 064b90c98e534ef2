"""Service errors as API answers: a Django ValidationError becomes a 400 keyed by field
(DRF already answers Django's PermissionDenied with 403)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from rest_framework import exceptions


def call_service[T](service: Callable[..., T], **kwargs: Any) -> T:
    try:
        return service(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            detail = {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        raise exceptions.ValidationError(detail) from exc
