"""`/api/reviews/` and `/api/action-items/`: thin views over `reviews.services` and
`reviews.selectors`. Any signed-in user reads; the services enforce who writes."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from reviews import selectors, services
from reviews.api.errors import call_service
from reviews.api.pagination import ResultsNextPagination
from reviews.api.permissions import RolePermission
from reviews.api.serializers import (
    ActionItemCreateSerializer,
    ActionItemSerializer,
    ActionItemStateSerializer,
    NoteCreateSerializer,
    NoteSerializer,
    ReviewCreateSerializer,
    ReviewDetailSerializer,
    ReviewListSerializer,
)
from reviews.models import ActionItem, Review


def review_detail(review: Review) -> dict[str, Any]:
    """The review as the API shows it: values (frozen, with restatements), notes and action items."""
    return {
        "id": review.pk,
        "title": review.title,
        "scope": review.scope,
        "grain": review.grain,
        "period_start": review.period_start,
        "frozen_at": review.frozen_at,
        "values": selectors.review_values(review),
        "notes": selectors.notes_of(review),
        "action_items": list(selectors.action_items_of(review)),
    }


class ReviewViewSet(viewsets.GenericViewSet):
    queryset = Review.objects.all()
    serializer_class = ReviewListSerializer
    pagination_class = ResultsNextPagination
    permission_classes = [RolePermission]
    write_permissions = {"freeze": "reviews.add_review", "notes": "reviews.add_note"}

    @extend_schema(summary="List reviews", tags=["reviews"], responses=ReviewListSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(selectors.review_list())
        return self.get_paginated_response(ReviewListSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a review (ops staff, admins)",
        tags=["reviews"],
        request=ReviewCreateSerializer,
        responses={201: ReviewDetailSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = call_service(services.create_review, user=request.user, **data.validated_data)
        return Response(
            ReviewDetailSerializer(review_detail(review)).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/reviews/{review.pk}/"},
        )

    @extend_schema(
        summary="One review: its values, notes and action items", tags=["reviews"], responses=ReviewDetailSerializer
    )
    def retrieve(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        review = get_object_or_404(Review, pk=_int(pk))
        return Response(ReviewDetailSerializer(review_detail(review)).data)

    @extend_schema(
        summary="Freeze a review: copy every value it shows (ops staff, admins)",
        tags=["reviews"],
        request=None,
        responses=ReviewDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def freeze(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        review = get_object_or_404(Review, pk=_int(pk))
        review = call_service(services.freeze_review, user=request.user, review=review)
        return Response(ReviewDetailSerializer(review_detail(review)).data)

    @extend_schema(
        summary="Add a note on a KPI, a free note or a decision",
        tags=["reviews"],
        request=NoteCreateSerializer,
        responses={201: NoteSerializer},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        review = get_object_or_404(Review, pk=_int(pk))
        data = NoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = call_service(services.add_note, user=request.user, review=review, **data.validated_data)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class ActionItemViewSet(viewsets.GenericViewSet):
    queryset = ActionItem.objects.select_related("owner")
    serializer_class = ActionItemSerializer
    pagination_class = ResultsNextPagination
    permission_classes = [RolePermission]

    @extend_schema(
        summary="List action items (?state=, ?owner=, ?scope=)",
        tags=["action items"],
        responses=ActionItemSerializer(many=True),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = self.get_queryset().order_by("due", "id")
        for param, lookup in (
            ("state", "state"),
            ("owner", "owner__username"),
            ("scope", "scope"),
            ("review", "review_id"),
        ):
            value = request.query_params.get(param)
            if value:
                qs = qs.filter(**{lookup: _int(value) if param == "review" else value})
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ActionItemSerializer(page, many=True).data)

    @extend_schema(
        summary="Raise an action item in a review",
        tags=["action items"],
        request=ActionItemCreateSerializer,
        responses={201: ActionItemSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ActionItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        review = Review.objects.filter(pk=fields.pop("review")).first()
        if review is None:
            return Response({"review": ["no such review"]}, status=status.HTTP_400_BAD_REQUEST)
        item = call_service(
            services.create_action_item, user=request.user, review=review, scope=fields.pop("scope") or None, **fields
        )
        return Response(
            ActionItemSerializer(item).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/action-items/{item.pk}/"},
        )

    @extend_schema(summary="One action item", tags=["action items"], responses=ActionItemSerializer)
    def retrieve(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        return Response(ActionItemSerializer(get_object_or_404(self.get_queryset(), pk=_int(pk))).data)

    @extend_schema(
        summary="Close (done / dropped) or reopen an action item",
        tags=["action items"],
        request=ActionItemStateSerializer,
        responses=ActionItemSerializer,
    )
    def partial_update(self, request: Request, pk: str, *args: Any, **kwargs: Any) -> Response:
        item = get_object_or_404(self.get_queryset(), pk=_int(pk))
        data = ActionItemStateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = call_service(
            services.set_action_item_state, user=request.user, item=item, state=data.validated_data["state"]
        )
        return Response(ActionItemSerializer(item).data)


def _int(value: str) -> int:
    """A path or query id; anything else is a 404, never a 500."""
    from django.http import Http404

    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("no such id") from None
    if not 0 < number < 2**63:
        raise Http404("no such id")
    return number
