"""`/api/bets/`: list, create, retrieve (with the effects), update. No delete over the API."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from bets import services
from bets.api.serializers import BetDetailSerializer, BetInputSerializer, BetSerializer, EffectSerializer
from bets.models import Bet, PlannedHeadcount

extend_schema_field(EffectSerializer(many=True))(BetDetailSerializer.get_effects)

_ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change"}


class SafeJSONParser(JSONParser):
    """JSON, with pathologically nested input (Python's recursion limit) a 400 rather than a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None


class BetPermission(BasePermission):
    """Signed-in users read; writing needs the role's bet permission, and for a PM treatment squads
    that are all theirs (checked on the bet here, on the new squads by the service)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method in SAFE_METHODS or request.method not in view.allowed_methods:
            return True
        action = _ACTIONS.get(request.method or "")
        return action is not None and user.has_perm(f"bets.{action}_bet")

    def has_object_permission(self, request: Request, view: Any, obj: Bet) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return services.can_write_bet(request.user, [s.pk for s in obj.treatment_squads.all()])


def _service_errors(exc: ValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class BetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Bet.objects.all()
    permission_classes = [BetPermission]
    parser_classes = [SafeJSONParser]

    def get_queryset(self) -> QuerySet[Bet]:
        return (
            Bet.objects.select_related("owner")
            .prefetch_related(
                "treatment_squads",
                "comparison_squads",
                "targets",
                Prefetch("planned_headcount", PlannedHeadcount.objects.select_related("squad")),
            )
            .order_by("-start", "-id")
        )

    def get_serializer_class(self) -> type:
        if self.request.method not in SAFE_METHODS:
            return BetInputSerializer
        return BetDetailSerializer if self.action == "retrieve" else BetSerializer

    @extend_schema(request=BetInputSerializer, responses={201: BetDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            bet = services.create_bet(user=request.user, **serializer.validated_data)
        except ValidationError as exc:
            raise _service_errors(exc) from exc
        body = BetDetailSerializer(self.get_queryset().get(pk=bet.pk)).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": f"/api/bets/{bet.pk}/"})

    @extend_schema(request=BetInputSerializer, responses={200: BetDetailSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        bet = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = BetInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not partial:  # PUT replaces: what is left out takes its default
            data.setdefault("comparison_squads", None)
            data.setdefault("end", None)
            data.setdefault("window", Bet._meta.get_field("window").default)
        try:
            bet = services.update_bet(bet=bet, user=request.user, data=data)
        except ValidationError as exc:
            raise _service_errors(exc) from exc
        return Response(BetDetailSerializer(self.get_queryset().get(pk=bet.pk)).data)
