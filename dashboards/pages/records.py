"""`/records/<kind>/<key>/`: one record, read-only, for anyone signed in — what the record links
on the dashboards open, so a viewer never meets the admin's "not authorized". Staff who may
change the record get a link to its admin form."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse

from dashboards import selectors
from dashboards.formatting import words
from metrics.records.ingest.kinds import KINDS
from squads.roles import can_write_squad_record

TITLES = {
    "squads": "Squad",
    "releases": "Release",
    "incidents": "Incident",
    "defects": "Defect",
    "customer_responses": "Customer response",
    "time_allocations": "Time allocation",
}
LINKED = {"releases": "caused_by_release"}  # column → record kind its value names


def record_page(request: HttpRequest, kind_name: str, key: str) -> dict[str, Any]:
    """The record's columns as in its CSV format (codes in words), links to its squad and to the
    records it names or that name it, and the admin link where the user may edit it."""
    kind = KINDS.get(kind_name)
    if kind is None or kind_name not in TITLES:
        raise Http404(f"no record kind {kind_name!r}")
    record = selectors.record_by_key(kind, key)
    if record is None:
        raise Http404(f"no {kind_name} {key!r}")
    row = kind.to_row(record)
    fields = []
    for name, value in row.items():
        link = ""
        if name == "squad" and value:
            link = reverse("dashboards:squad", args=[value])
        elif name == "caused_by_release" and value:
            link = reverse("dashboards:record", args=["releases", value])
        shown = words(value) if name in {"status", "found_in", "found_by"} else value
        fields.append({"name": name.replace("_", " "), "value": shown, "link": link})
    caused = selectors.incidents_caused_by(record) if kind_name == "releases" else []
    squad_id = getattr(record, "squad_id", None)
    user = request.user
    meta = kind.model._meta
    editable = bool(
        user.is_staff
        and user.has_perm(f"{meta.app_label}.change_{meta.model_name}")
        and can_write_squad_record(
            user, kind.model_label, squad_id if kind_name in {"releases", "incidents", "defects"} else None
        )
    )
    return {
        "kind": kind_name,
        "title": TITLES[kind_name],
        "key": key,
        "record": record,
        "fields": fields,
        "caused": caused,
        "admin_url": reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk]) if editable else "",
        "api_url": f"/api/{kind_name.replace('_', '-')}/{key}/",
    }
