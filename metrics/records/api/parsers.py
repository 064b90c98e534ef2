"""Request body parsing that answers 400, never 500, for any body."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from productops.textcheck import REASON, first_bad_text


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, also turning pathologically nested JSON (which exhausts
    Python's recursion limit) and lone surrogates (`"\\ud800"`, unstorable) into a 400
    naming the field instead of a server error."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        bad = first_bad_text(data)
        if bad:
            raise ValidationError({bad: [REASON]})
        return data
