"""`/alerts/` (the alerts fired, newest first, with acknowledge; the rules) and
`/alerts/subscriptions/` (the scopes the signed-in user follows)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from alerts import services
from alerts.digest import followed_scopes
from alerts.emails import describe
from alerts.models import Alert, AlertRule, Subscription
from reviews import kpi_reads
from reviews.permissions import can_write_rules, managed_squad_scopes

PAGE = 200


def alert_list(request: HttpRequest) -> HttpResponse:
    only_open = request.GET.get("unacknowledged") == "1"
    alerts = Alert.objects.select_related("rule", "acknowledged_by").order_by("-created_at", "-id")
    if only_open:
        alerts = alerts.filter(acknowledged_at__isnull=True)
    shown = list(alerts[:PAGE])
    return render(
        request,
        "alerts/list.html",
        {
            "alerts": [(alert, describe(alert)) for alert in shown],
            "only_open": only_open,
            "rules": AlertRule.objects.prefetch_related("subscribers").order_by("metric", "scope", "id"),
            "can_manage": can_write_rules(request.user),
            "kpis": kpi_reads.CATALOG.values(),
            "conditions": AlertRule.Condition.choices,
        },
    )


@require_http_methods(["GET", "POST"])
def create_rule(request: HttpRequest) -> HttpResponse:
    """The rule form of `/alerts/` (ops staff and admins); a GET goes to the form."""
    if request.method == "GET":
        return HttpResponseRedirect(reverse("alerts:list") + "#rules")
    post = request.POST
    try:
        services.create_rule(
            user=request.user,
            metric=post.get("metric", ""),
            scope=post.get("scope", ""),
            grain=post.get("grain", ""),
            condition=post.get("condition", ""),
            threshold=post.get("threshold") or None,
            subscribers=post.get("subscribers", ""),
        )
        messages.success(request, "Rule created: it is judged after the next rollup.")
    except PermissionDenied as exc:
        messages.error(request, f"Not allowed: {exc}")
    except ValidationError as exc:
        messages.error(request, "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items()))
    return HttpResponseRedirect(reverse("alerts:list") + "#rules")


@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    services.acknowledge(user=request.user, alert=get_object_or_404(Alert, pk=pk))
    return HttpResponseRedirect(reverse("alerts:list"))


@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        scope = request.POST.get("scope", "").strip()
        if request.POST.get("action") == "unfollow":
            services.unfollow(user=request.user, scope=scope)
            messages.success(request, f"No longer following {scope}.")
        else:
            try:
                services.follow(user=request.user, scope=scope)
                messages.success(request, f"Following {scope}.")
            except ValidationError as exc:
                messages.error(request, "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items()))
        return HttpResponseRedirect(reverse("alerts:subscriptions"))
    return render(
        request,
        "alerts/subscriptions.html",
        {
            "subscriptions": Subscription.objects.filter(user=request.user).order_by("scope"),
            "managed": sorted(managed_squad_scopes(request.user)),
            "followed": followed_scopes(request.user),
        },
    )
