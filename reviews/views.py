"""Review pages: `/reviews/` (list, and the form that starts one — prefilled from the `/review/`
pack's link) and `/reviews/<id>/` (printable), with the POST endpoints their forms use.
Views parse, call a service or selector, and render; refusals show as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews import kpi_reads, selectors, services
from reviews.formatting import format_value
from reviews.models import ActionItem, Note, Review
from reviews.permissions import can_annotate, can_manage_reviews
from reviews.scopes import scope_label, scope_path


def _attempt(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    """Run a service; a refusal or bad input becomes a message naming the field."""
    try:
        action()
    except PermissionDenied as exc:
        messages.error(request, f"Not allowed: {exc}")
        return False
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"error": exc.messages}
        messages.error(request, "; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in errors.items()))
        return False
    messages.success(request, done)
    return True


@require_http_methods(["GET", "POST"])
def review_list(request: HttpRequest) -> HttpResponse:
    """Every review, newest period first; ops staff and admins start one here."""
    if request.method == "POST":
        created: list[Review] = []
        ok = _attempt(
            request,
            lambda: created.append(
                services.create_review(
                    user=request.user,
                    title=request.POST.get("title", ""),
                    scope=request.POST.get("scope", ""),
                    grain=request.POST.get("grain", ""),
                    period_start=request.POST.get("period_start", ""),
                )
            ),
            "Review created.",
        )
        if ok:
            return HttpResponseRedirect(reverse("reviews:detail", args=[created[0].pk]))
    start = {
        key: request.POST.get(key) or request.GET.get(key, "") for key in ("title", "scope", "grain", "period_start")
    }
    if start["scope"] and start["period_start"] and not start["title"]:
        start["title"] = (
            f"{scope_label(start['scope']).capitalize()} review, {start['grain'] or 'month'} of {start['period_start']}"
        )
    return render(
        request,
        "reviews/list.html",
        {
            "reviews": selectors.review_list()[:500],
            "can_manage": can_manage_reviews(request.user),
            "start": start,
        },
    )


@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(Review.objects.select_related("created_by", "frozen_by"), pk=pk)
    values = selectors.review_values(review)
    notes = selectors.notes_of(review)
    by_metric: dict[str, list[Note]] = {}
    for note in notes:
        if note.metric:
            by_metric.setdefault(note.metric, []).append(note)
    rows = [
        {
            "v": v,
            "display": format_value(v.metric, v.value),
            "current_display": format_value(v.metric, v.current_value),
            "baseline_display": format_value(v.metric, v.baseline),
            "target_display": format_value(v.metric, v.target) if v.target is not None else "–",
            "previous_display": format_value(v.metric, v.previous_value),
            "status_class": {kpi_reads.ON_TRACK: "good", kpi_reads.AT_RISK: "warn", kpi_reads.OFF_TRACK: "bad"}.get(
                v.status or "", "none"
            ),
            "notes": by_metric.get(v.metric, []),
        }
        for v in values
    ]
    items = list(selectors.action_items_of(review))
    return render(
        request,
        "reviews/detail.html",
        {
            "review": review,
            "rows": rows,
            "free_notes": [n for n in notes if not n.metric and n.kind == Note.Kind.NOTE],
            "decisions": [n for n in notes if n.kind == Note.Kind.DECISION],
            "items": items,
            "carried": {item.pk for item in items if item.review_id != review.pk},
            "can_manage": can_manage_reviews(request.user),
            "can_annotate": can_annotate(request.user, review.scope),
            "scope_label": scope_label(review.scope),
            "scope_path": scope_path(review.scope),
            "kpis": [(v.metric, v.label) for v in values],
            "states": ActionItem.State.values,
            "restated": sum(1 for v in values if v.restated),
        },
    )


def _back(review_id: int, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("reviews:detail", args=[review_id]) + anchor)


@require_POST
def freeze(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(Review, pk=pk)
    _attempt(
        request,
        lambda: services.freeze_review(user=request.user, review=review),
        "Frozen: these values will not change.",
    )
    return _back(review.pk)


@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(Review, pk=pk)
    _attempt(
        request,
        lambda: services.add_note(
            user=request.user,
            review=review,
            text=request.POST.get("text", ""),
            metric=request.POST.get("metric", ""),
            kind=request.POST.get("kind", Note.Kind.NOTE),
        ),
        "Saved.",
    )
    return _back(review.pk, "#notes")


@require_POST
def add_item(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(Review, pk=pk)
    _attempt(
        request,
        lambda: services.create_action_item(
            user=request.user,
            review=review,
            title=request.POST.get("title", ""),
            owner=request.POST.get("owner", ""),
            due=request.POST.get("due", ""),
            metrics=request.POST.getlist("metrics"),
            scope=request.POST.get("scope") or None,
        ),
        "Action item added.",
    )
    return _back(review.pk, "#items")


@require_POST
def set_item_state(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ActionItem, pk=pk)
    back_to = request.POST.get("review") or item.review_id
    _attempt(
        request,
        lambda: services.set_action_item_state(user=request.user, item=item, state=request.POST.get("state", "")),
        "Updated.",
    )
    try:
        return _back(int(back_to), "#items")
    except ValueError:
        return _back(item.review_id, "#items")
