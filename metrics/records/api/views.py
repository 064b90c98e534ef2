"""Record endpoints: list, create (upsert by key), retrieve, update; no delete.

Records are addressed by their key, not the database id:
`/api/releases/<external_id>/`, `/api/squads/<slug>/`. POSTing a key that
already exists updates that record (200) instead of duplicating it (201 on create).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from metrics.records.api import filters, serializers
from metrics.records.api.pagination import RecordPagination
from metrics.records.api.parsers import SafeJSONParser
from metrics.records.api.permissions import RecordPermission, has_model_perm
from metrics.records.models import Change, CustomerResponse, Defect, Incident, Release, TimeAllocation
from squads.models import Squad

_UPSERT_DOC = (
    "Creates the record, or, when a record with this key already exists, replaces it "
    "(a field left out means no value). 201 when created, 200 when updated."
)


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Shared behaviour of the six record endpoints."""

    serializer_class: type[serializers.RecordSerializer]
    permission_classes = [RecordPermission]
    pagination_class = RecordPagination
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]
    # Keys may hold "/" (sources store `github:owner/repo:123`): the key is everything between
    # `/api/<kind>/` and the final "/", percent-encoded or not. Keys with empty, "." or ".."
    # segments are refused on write (parsing.parse_record_key), so every stored key has a URL.
    lookup_value_regex = ".+"

    def _existing(self, data: Any) -> Any:
        """The record a POST names by its key, if it exists."""
        key = self.serializer_class.key
        value = data.get(key) if hasattr(data, "get") else None
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None
        text = str(value).strip()
        if not text or "\x00" in text:  # no such key can exist; the service says why it is invalid
            return None
        return self.get_queryset().filter(**{key: text}).first()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # One transaction up to the response body: a database lost after the write but before the
        # body was read back (a restart, a killed connection) rolls the write back, so a 5xx means
        # "not written" rather than "written, but you were told otherwise".
        with transaction.atomic():
            instance, serializer = self._upsert(request)
            data = serializer.data
        location = reverse(
            f"{self.basename}-detail", kwargs={self.lookup_field: getattr(serializer.instance, self.lookup_field)}
        )
        code = status.HTTP_200_OK if instance is not None else status.HTTP_201_CREATED
        return Response(data, status=code, headers={"Location": location})

    def _upsert(self, request: Request) -> tuple[Any, Any]:
        instance = self._existing(request.data)
        if instance is not None:
            self.check_object_permissions(request, instance)
        serializer = self.get_serializer(instance, data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            serializer.save()
        except exceptions.ValidationError:
            # A concurrent request may have created this key between our look-up and the insert:
            # then this POST is an update of that record, as if it had come second.
            raced = self._existing(request.data) if instance is None else None
            if raced is None:
                raise
            instance = raced
            self.check_object_permissions(request, instance)
            serializer = self.get_serializer(instance, data=request.data)
            serializer.is_valid(raise_exception=True)
            serializer.save()
        return instance, serializer

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        if request.method == "POST" and not has_model_perm(request.user, type(obj), "change"):
            self.permission_denied(request, message="You may not update this record.")
        super().check_object_permissions(request, obj)


_WRITE_ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input, nothing written: `{field: [message, ...]}`."),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="Your role may not write this record (see docs/roles.md)."),
}


def record_schema(name: str) -> Any:
    """OpenAPI summaries, the upsert's two success codes and the write errors for a record viewset."""

    def decorate(viewset: type[RecordViewSet]) -> type[RecordViewSet]:
        serializer, key = viewset.serializer_class, viewset.serializer_class.key
        updated = {200: serializer, **_WRITE_ERRORS, 404: OpenApiResponse(description=f"No record with this {key}.")}
        return extend_schema_view(
            list=extend_schema(summary=f"List {name}", tags=[name]),
            retrieve=extend_schema(summary=f"One of the {name}, by {key}", tags=[name]),
            create=extend_schema(
                summary=f"Create or update one of the {name} (upsert by {key})",
                description=_UPSERT_DOC,
                tags=[name],
                responses={
                    200: OpenApiResponse(serializer, description="Updated an existing record."),
                    201: OpenApiResponse(serializer, description="Created."),
                    **_WRITE_ERRORS,
                },
            ),
            update=extend_schema(summary=f"Replace one of the {name}", tags=[name], responses=updated),
            partial_update=extend_schema(
                summary=f"Change some fields of one of the {name}", tags=[name], responses=updated
            ),
        )(viewset)

    return decorate


@record_schema("squads")
class SquadViewSet(RecordViewSet):
    """Squads, addressed by `slug`."""

    queryset = Squad.objects.select_related("area").order_by("slug")
    serializer_class = serializers.SquadSerializer
    filterset_class = filters.SquadFilterSet
    lookup_field = "slug"


@record_schema("releases")
class ReleaseViewSet(RecordViewSet):
    """Releases, addressed by `external_id`; newest first."""

    queryset = Release.objects.select_related("squad").order_by("-released_at", "-id")
    serializer_class = serializers.ReleaseSerializer
    filterset_class = filters.ReleaseFilterSet
    lookup_field = "external_id"


@record_schema("changes")
class ChangeViewSet(RecordViewSet):
    """Changes shipped by releases, addressed by `external_id`; newest release first."""

    queryset = Change.objects.select_related("release", "release__squad").order_by(
        "-release__released_at", "-first_commit_at", "-id"
    )
    serializer_class = serializers.ChangeSerializer
    filterset_class = filters.ChangeFilterSet
    lookup_field = "external_id"


@record_schema("incidents")
class IncidentViewSet(RecordViewSet):
    """Incidents, addressed by `external_id`; newest first."""

    queryset = Incident.objects.select_related("squad", "caused_by_release").order_by("-started_at", "-id")
    serializer_class = serializers.IncidentSerializer
    filterset_class = filters.IncidentFilterSet
    lookup_field = "external_id"


@record_schema("defects")
class DefectViewSet(RecordViewSet):
    """Defects, addressed by `external_id`; newest first."""

    queryset = Defect.objects.select_related("squad").order_by("-found_at", "-id")
    serializer_class = serializers.DefectSerializer
    filterset_class = filters.DefectFilterSet
    lookup_field = "external_id"


@record_schema("customer responses")
class CustomerResponseViewSet(RecordViewSet):
    """Customer survey responses, addressed by `external_id`; newest first."""

    queryset = CustomerResponse.objects.select_related("survey", "squad").order_by("-submitted_at", "-id")
    serializer_class = serializers.CustomerResponseSerializer
    filterset_class = filters.CustomerResponseFilterSet
    lookup_field = "external_id"


@record_schema("time allocations")
class TimeAllocationViewSet(RecordViewSet):
    """Time-allocation survey responses, addressed by `external_id`; newest month first."""

    queryset = TimeAllocation.objects.select_related("survey", "squad").order_by("-month", "squad__slug", "-id")
    serializer_class = serializers.TimeAllocationSerializer
    filterset_class = filters.TimeAllocationFilterSet
    lookup_field = "external_id"
