"""OpenAPI post-processing: document the error answers every endpoint can give,
so clients (and the schemathesis fuzz in tests/trust) can rely on the schema."""

from __future__ import annotations

from typing import Any

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": "A list of messages per field (or non_field_errors / detail).",
    "additionalProperties": True,
}
ERRORS = {
    "400": ("Invalid input: messages per field.", _FIELD_ERRORS),
    "401": ("Not signed in (no or a bad token).", _DETAIL),
    "403": ("Signed in but not allowed (role or squad), or CSRF missing on a session write.", _DETAIL),
    "404": ("No such record, or a page past the end.", _DETAIL),
}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: add 400/401/403/404 to every operation."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, (description, schema) in ERRORS.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": schema}}}
                )
    return result
