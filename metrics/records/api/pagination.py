"""Pagination for the API: records page by number; KPIs answer exactly
`{"results": [...], "next": <url or null>}` (see docs/api.md)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class RecordPagination(PageNumberPagination):
    """`?page=N&page_size=M` (default 100, at most 1000)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class KpiPagination(BasePagination):
    """Keyset pages over snapshot rows, in (metric, scope, grain, period_start) order.

    `next` carries an opaque `cursor` naming the last row sent, so every page
    costs one indexed range query: no COUNT and no OFFSET that grows with depth.
    `page_size` defaults to 1000 (at most 5000).
    """

    page_size = 1000
    max_page_size = 5000
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    key = ("metric", "scope", "grain", "period_start")

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[dict[str, Any]]:
        self.request = request
        size = _page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)
        after = self._decode(request.query_params.get(self.cursor_query_param))
        if after is not None:
            queryset = queryset.filter(_after(dict(zip(self.key, after, strict=True))))
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        self.rows = rows[:size]
        return self.rows

    def _decode(self, cursor: str | None) -> list[Any] | None:
        if cursor is None:
            return None
        try:
            metric, scope, grain, start = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
            return [str(metric), str(scope), str(grain), dt.date.fromisoformat(start)]
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            raise ValidationError({self.cursor_query_param: ["invalid cursor; follow the `next` links."]}) from None

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        last = self.rows[-1]
        values = [last[name].isoformat() if name == "period_start" else last[name] for name in self.key]
        cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode("ascii")
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page of results, or null on the last page.",
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: take it from the `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer"},
            },
        ]


def _page_size(request: Request, param: str, default: int, maximum: int) -> int:
    try:
        size = int(request.query_params[param])
    except (KeyError, ValueError):
        return default
    return min(size, maximum) if size > 0 else default


def _after(last: dict[str, Any]) -> Q:
    """Rows strictly after `last` in (metric, scope, grain, period_start) order."""
    m, s, g, p = last["metric"], last["scope"], last["grain"], last["period_start"]
    return (
        Q(metric__gt=m)
        | Q(metric=m, scope__gt=s)
        | Q(metric=m, scope=s, grain__gt=g)
        | Q(metric=m, scope=s, grain=g, period_start__gt=p)
    )
