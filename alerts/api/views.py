"""`/api/alert-rules/`, `/api/alerts/`, `/api/subscriptions/`: thin views over `alerts.services`."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import services
from alerts.api.serializers import (
    AlertRuleCreateSerializer,
    AlertRuleSerializer,
    AlertSerializer,
    SubscriptionSerializer,
)
from alerts.models import Alert, AlertRule, Subscription
from reviews.api.errors import call_service
from reviews.api.pagination import ResultsNextPagination
from reviews.api.permissions import RolePermission
from reviews.api.views import _int


class AlertRuleViewSet(viewsets.GenericViewSet):
    queryset = AlertRule.objects.prefetch_related("subscribers")
    serializer_class = AlertRuleSerializer
    pagination_class = ResultsNextPagination
    permission_classes = [RolePermission]

    @extend_schema(summary="List alert rules", tags=["alerts"], responses=AlertRuleSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset().order_by("id"))
        return self.get_paginated_response(AlertRuleSerializer(page, many=True).data)

    @extend_schema(
        summary="Create an alert rule (ops staff, admins)",
        tags=["alerts"],
        request=AlertRuleCreateSerializer,
        responses={201: AlertRuleSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = AlertRuleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = call_service(services.create_rule, user=request.user, **data.validated_data)
        return Response(
            AlertRuleSerializer(rule).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/alert-rules/{rule.pk}/"},
        )

    @extend_schema(summary="One alert rule", tags=["alerts"], responses=AlertRuleSerializer)
    def retrieve(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        return Response(AlertRuleSerializer(get_object_or_404(self.get_queryset(), pk=_int(pk))).data)

    @extend_schema(summary="Delete an alert rule (ops staff, admins)", tags=["alerts"], responses={204: None})
    def destroy(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        rule = get_object_or_404(AlertRule, pk=_int(pk))
        call_service(services.delete_rule, user=request.user, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertViewSet(viewsets.GenericViewSet):
    queryset = Alert.objects.select_related("acknowledged_by")
    serializer_class = AlertSerializer
    pagination_class = ResultsNextPagination
    permission_classes = [RolePermission]
    write_permissions = {"acknowledge": "alerts.change_alert"}

    @extend_schema(
        summary="Alerts, newest first (?scope=, ?metric=, ?unacknowledged=1)",
        tags=["alerts"],
        responses=AlertSerializer(many=True),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = self.get_queryset().order_by("-created_at", "-id")
        for param in ("scope", "metric", "grain", "event"):
            value = request.query_params.get(param)
            if value:
                qs = qs.filter(**{param: value})
        if request.query_params.get("unacknowledged") in {"1", "true", "yes"}:
            qs = qs.filter(acknowledged_at__isnull=True)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AlertSerializer(page, many=True).data)

    @extend_schema(summary="Acknowledge an alert", tags=["alerts"], request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        alert = get_object_or_404(Alert, pk=_int(pk))
        return Response(AlertSerializer(services.acknowledge(user=request.user, alert=alert)).data)


class SubscriptionViewSet(viewsets.GenericViewSet):
    """The signed-in user's own subscriptions (never anyone else's)."""

    queryset = Subscription.objects.all()
    serializer_class = SubscriptionSerializer
    pagination_class = ResultsNextPagination
    permission_classes = [RolePermission]

    def get_queryset(self):
        return Subscription.objects.filter(user=self.request.user).order_by("scope")

    @extend_schema(summary="The scopes you follow", tags=["alerts"], responses=SubscriptionSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        summary="Follow a scope",
        tags=["alerts"],
        request=SubscriptionSerializer,
        responses={201: SubscriptionSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SubscriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = call_service(services.follow, user=request.user, scope=data.validated_data["scope"])
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Stop following a scope", tags=["alerts"], responses={204: None})
    def destroy(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        subscription = get_object_or_404(self.get_queryset(), pk=_int(pk))
        services.unfollow(user=request.user, scope=subscription.scope)
        return Response(status=status.HTTP_204_NO_CONTENT)
