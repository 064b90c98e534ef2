"""Makes the request available to audit receivers and records refused requests (403)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import current_request
from audit.services import record


class AuditContextMiddleware:
    """Place after AuthenticationMiddleware. Every 403 answer becomes a `permission_denied` event."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with current_request(request):
            response = self.get_response(request)
            if response.status_code == 403:
                record(
                    "permission_denied",
                    request=request,
                    extra={"method": request.method, "path": request.path[:500]},
                )
        return response
