"""Webhook endpoint and the sources status page (thin: verify/parse, call, render)."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sources import webhooks
from sources.models import Source
from sources.roles import can_see_status
from sources.secrets import SecretUnreadable
from sources.selectors import sources, unmapped_keys

logger = logging.getLogger(__name__)


@csrf_exempt
@login_not_required  # the tool signs the request instead
@require_POST
def hook(request: HttpRequest, name: str) -> HttpResponse:
    """`POST /hooks/<source name>/`: 401 unless signed with the source's secret; else 202 and a sync is queued."""
    source = Source.objects.filter(name=name, enabled=True).first()
    if source is None:
        return JsonResponse({"detail": "no such source"}, status=404)
    try:
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"detail": "payload too large"}, status=413)
    headers = request.headers
    try:
        webhooks.verify(source, headers, body)
    except (webhooks.HookRefused, SecretUnreadable) as exc:
        logger.warning("webhook for source %s refused: %s", source.name, exc)
        return JsonResponse({"detail": "invalid signature"}, status=401)
    named = webhooks.items(source, headers, body)
    if named:
        from sources.tasks import sync_source_items

        transaction.on_commit(lambda: sync_source_items.delay(source.pk, named))
    return JsonResponse({"accepted": named}, status=202)


def status(request: HttpRequest) -> HttpResponse:
    """Ops and admins: each source's last success/error, counts and what to map next."""
    if not can_see_status(request.user):
        raise PermissionDenied
    rows = [{"source": s, "unmapped": unmapped_keys(s)[:10]} for s in sources()]
    return render(request, "sources/status.html", {"rows": rows})
