"""PagerDuty → incidents.

Reads `GET /incidents?since=&until=&time_zone=UTC` (offset pagination with
`more`), in windows of at most 30 days (the API limits a range and an offset),
oldest first; the cursor is the `created_at` of the last committed page.
Incidents still open in our records are re-read one by one at the end of each
run, so a resolution is picked up whenever it happens.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from sources.http import ToolClient, ToolError, ToolResponseError
from sources.models import Source
from sources.sync import Malformed, SourceSync
from sources.tools.common import iso, label, nested, text, timestamp, title

_ID = re.compile(r"[A-Za-z0-9]{1,64}")
PAGE_SIZE = 100
WINDOW = dt.timedelta(days=30)
#: Without `since` and a cursor, the first run reads this far back.
DEFAULT_HISTORY = dt.timedelta(days=90)
PRIORITY_SEVERITY = {"P1": 1, "P2": 2, "P3": 3}
URGENCY_SEVERITY = {"high": 2, "low": 4}


def incident_cells(item: Mapping[str, Any], squad: str) -> dict[str, Any]:
    """One PagerDuty incident → the cells of an incident record (the tool's columns only)."""
    incident_id = text(item, "id")
    if not incident_id:
        raise Malformed("id: missing")
    started_at = timestamp(item, "created_at")
    resolved_at = timestamp(item, "resolved_at", required=False)
    if resolved_at is None and item.get("status") == "resolved":
        resolved_at = timestamp(item, "last_status_change_at", required=False)
    priority = nested(item, "priority", "summary")
    if isinstance(priority, str) and priority.strip():
        severity = PRIORITY_SEVERITY.get(priority.strip().upper(), 4)
    else:
        urgency = item.get("urgency")
        if urgency not in URGENCY_SEVERITY:
            raise Malformed(f"urgency: {urgency!r} is neither high nor low, and there is no priority")
        severity = URGENCY_SEVERITY[urgency]
    return {
        "external_id": f"pagerduty:{incident_id}",
        "squad": squad,
        "severity": severity,
        "started_at": started_at,
        "resolved_at": resolved_at,
        "customer_impact": severity <= 2,
        "title": title(item.get("title") or item.get("summary")),
    }


class PagerDutySync(SourceSync):
    @classmethod
    def make_client(cls, source: Source) -> ToolClient:
        token = source.token()
        if not token:
            raise ToolError("no token: set token_env or enter a token in the admin")
        return ToolClient(
            source.base_url,
            headers={"Authorization": f"Token token={token}", "Accept": "application/vnd.pagerduty+json;version=2"},
        )

    def _mapper(self, item: Any):
        def mapper() -> dict[str, Any]:
            if not isinstance(item, Mapping):
                raise Malformed("not an incident object")
            service = nested(item, "service", "id")
            if not isinstance(service, str) or not service:
                raise Malformed("service.id: missing")
            squad = self.squad_for(service, f"{label(item, 'id')} {title(item.get('title'))[:60]}".strip())
            return incident_cells(item, squad)

        return mapper

    def _write(self, items: list[Any]) -> None:
        self.write_items("incidents", [(f"incident {label(i, 'id')}", self._mapper(i)) for i in items])

    def run(self, *, full: bool) -> None:
        now = timezone.now()
        start = self._start(full, now)
        while start < now:
            end = min(start + WINDOW, now)
            offset = 0
            while True:
                body = self.client.get_json(
                    "incidents",
                    {
                        "since": iso(start),
                        "until": iso(end),
                        "time_zone": "UTC",
                        "sort_by": "created_at:asc",
                        "limit": PAGE_SIZE,
                        "offset": offset,
                    },
                )
                items = body.get("incidents") if isinstance(body, Mapping) else None
                if not isinstance(items, list):
                    raise ToolResponseError("GET /incidents: the answer has no incidents list")
                more = bool(body.get("more")) and bool(items)
                # The next run starts where this page ends (inclusive: re-reading is harmless).
                latest = max((t for t in (_created(i) for i in items) if t is not None), default=None)
                cursor_at = end if not more else (latest or start)
                self.commit_page(lambda items=items: self._write(items), {"since": iso(cursor_at)})
                if not more:
                    break
                offset += len(items)
            start = end
        self._refresh_open()

    def _start(self, full: bool, now: dt.datetime) -> dt.datetime:
        if not full and self.cursor.get("since"):
            return dt.datetime.fromisoformat(self.cursor["since"].replace("Z", "+00:00"))
        if self.source.since:
            return dt.datetime.combine(self.source.since, dt.time(), tzinfo=dt.UTC)
        return now - DEFAULT_HISTORY

    def _refresh_open(self) -> None:
        """Re-read incidents still open here (of this source's squads): their resolution may be new."""
        from metrics.models import Incident

        squads = sorted(set((self.source.squads or {}).values()))
        open_ids = list(
            Incident.objects.filter(
                external_id__startswith="pagerduty:", resolved_at__isnull=True, squad__slug__in=squads
            ).values_list("external_id", flat=True)[:1000]
        )
        if open_ids:
            self.sync_items([ext.removeprefix("pagerduty:") for ext in open_ids])

    def sync_items(self, ids: Iterable[str]) -> None:
        """Read the named incidents one by one and write them (webhooks, open incidents)."""
        items: list[Any] = []
        for incident_id in ids:
            if not _ID.fullmatch(str(incident_id)):
                self.report.skip_malformed(f"incident {str(incident_id)[:40]!r}", "id: not a PagerDuty id")
                continue
            try:
                body = self.client.get_json(f"incidents/{incident_id}")
            except ToolResponseError as exc:  # e.g. 404: deleted or merged away
                self.report.skip_malformed(f"incident {incident_id}", str(exc))
                continue
            items.append(body.get("incident") if isinstance(body, Mapping) else body)
        self.commit_page(lambda: self._write(items))


def _created(item: Any) -> dt.datetime | None:
    try:
        return timestamp(item, "created_at") if isinstance(item, Mapping) else None
    except Malformed:
        return None
