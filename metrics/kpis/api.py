"""`GET /api/kpis/` (stored snapshots) and `GET /api/catalog/` (the KPI registry)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import bounds
from core.scope import Scope
from metrics.kpis.catalog import CATALOG, DORA_THRESHOLDS, GRAINS, KPIS
from metrics.kpis.selectors import snapshot_queryset
from metrics.records.api.pagination import KpiPagination
from squads.models import Area, Squad


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class KpiQuerySerializer(serializers.Serializer):
    """The query parameters of `/api/kpis/`; all optional, combined with AND."""

    metric = serializers.CharField(
        required=False, help_text="A KPI code from /api/catalog/, or several separated by commas."
    )
    scope = serializers.CharField(
        required=False, help_text="`org`, `area:<slug>` or `squad:<slug>`, or several separated by commas."
    )
    grain = serializers.ChoiceField(choices=GRAINS, required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # `from` is a Python keyword, so these two cannot be class attributes.
        fields["from"] = serializers.DateField(
            required=False, help_text="Periods starting on or after this day (YYYY-MM-DD)."
        )
        fields["to"] = serializers.DateField(
            required=False, help_text="Periods starting on or before this day (YYYY-MM-DD)."
        )
        return fields

    def validate_metric(self, value: str) -> list[str]:
        codes = _split(value)
        unknown = [code for code in codes if code not in CATALOG]
        if unknown or not codes:
            raise serializers.ValidationError(
                f"unknown KPI {', '.join(unknown) or repr(value)}; see /api/catalog/ for the codes."
            )
        return codes

    def validate_scope(self, value: str) -> list[str]:
        scopes = _split(value)
        if not scopes:
            raise serializers.ValidationError("must be org, area:<slug> or squad:<slug>.")
        wanted: dict[str, set[str]] = {"area": set(), "squad": set()}
        for text in scopes:
            try:
                scope = Scope.parse(text)
            except ValueError as exc:
                raise serializers.ValidationError(str(exc)) from exc
            if scope.kind != "org":
                wanted[scope.kind].add(scope.slug)
        for kind, model in (("area", Area), ("squad", Squad)):
            missing = wanted[kind] - set(model.objects.filter(slug__in=wanted[kind]).values_list("slug", flat=True))
            if missing:
                raise serializers.ValidationError(f"no {kind} with slug {', '.join(sorted(missing))}.")
        return scopes

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        problems = {name: bounds.date_problem(attrs.get(name)) for name in ("from", "to")}
        if any(problems.values()):
            raise serializers.ValidationError({name: problem for name, problem in problems.items() if problem})
        if start and end and start > end:
            raise serializers.ValidationError({"to": "must not be before from."})
        if start:
            # At most 520 periods of the grain asked for (weeks, the finest, when none is given).
            problem = bounds.range_problem(attrs.get("grain") or "week", start, end or timezone.now().date())
            if problem:
                raise serializers.ValidationError({"from": problem})
        return attrs


class KpiSnapshotSerializer(serializers.Serializer):
    metric = serializers.CharField()
    scope = serializers.CharField()
    grain = serializers.CharField()
    period_start = serializers.DateField()
    value = serializers.FloatField(allow_null=True, help_text="null where the denominator is empty.")
    sample_size = serializers.IntegerField()


class KpiListView(APIView):
    """KPI snapshots as computed by the rollup, 1000 a page; follow `next`."""

    permission_classes = [IsAuthenticated]
    pagination_class = KpiPagination

    @extend_schema(
        summary="KPI values per scope and period",
        parameters=[KpiQuerySerializer],
        responses=KpiSnapshotSerializer(many=True),
        tags=["kpis"],
    )
    def get(self, request: Request) -> Response:
        # An empty parameter (`?metric=&grain=month`) means "not given", as in the documented example (docs/api.md).
        query = KpiQuerySerializer(data={name: value for name, value in request.query_params.items() if value})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        rows = snapshot_queryset(
            metric=params.get("metric") or None,
            scope=params.get("scope") or None,
            grain=params.get("grain"),
            date_from=params.get("from"),
            date_to=params.get("to"),
        ).values("metric", "scope", "grain", "period_start", "value", "sample_size")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        # Rows are plain values already; a dict per row is ~10x cheaper than a serializer per row.
        rows_out = [{**row, "period_start": row["period_start"].isoformat()} for row in page]
        return paginator.get_paginated_response(rows_out)


class CatalogEntrySerializer(serializers.Serializer):
    code = serializers.CharField()
    family = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.ChoiceField(choices=["higher", "lower"], help_text="Which way is better.")
    definition = serializers.CharField()
    grains = serializers.ListField(child=serializers.CharField(), help_text="Grains it is computed for.")
    dora_levels = serializers.DictField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="DORA 2023 levels (elite, high, medium) → the bound a value must reach (≥ where higher is "
        "better, ≤ where lower is); below medium is low. null where DORA publishes no levels.",
    )


def catalog_entries() -> list[dict[str, Any]]:
    """Every KPI of the catalog, in catalog order."""
    return [
        {
            "code": kpi.code,
            "family": str(kpi.family),
            "label": kpi.label,
            "unit": kpi.unit,
            "direction": str(kpi.direction),
            "definition": kpi.definition,
            "grains": list(kpi.grains),
            "dora_levels": (
                dict(DORA_THRESHOLDS[kpi.code][:-1])  # "low" is everything past "medium"
                if kpi.code in DORA_THRESHOLDS
                else None
            ),
        }
        for kpi in KPIS
    ]


class CatalogView(APIView):
    """The KPI catalog: a JSON list, one entry per KPI."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Every KPI's definition", responses=CatalogEntrySerializer(many=True), tags=["kpis"])
    def get(self, request: Request) -> Response:
        return Response(catalog_entries())
