"""Pagination for the API: records page by number; KPIs answer exactly
`{"results": [...], "next": <url or null>}` (SPEC §5)."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class RecordPagination(PageNumberPagination):
    """`?page=N&page_size=M` (default 100, at most 1000)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class KpiPagination(PageNumberPagination):
    """Snapshot rows, 1000 a page by default (at most 5000); only `results` and `next`."""

    page_size = 1000
    page_size_query_param = "page_size"
    max_page_size = 5000

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
