"""A fake PagerDuty REST API v2: `GET /incidents` (since/until on created_at,
offset/limit/more) and `GET /incidents/{id}`, `Authorization: Token token=…`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.sources.fakes import FakeTool, Reply, Request


def pd_incident(
    incident_id: str,
    *,
    service: str = "PSVC001",
    created_at: str = "2026-01-10T10:00:00Z",
    status: str = "resolved",
    resolved_at: str | None = "auto",
    last_status_change_at: str | None = None,
    priority: str | None = "P1",
    urgency: str = "high",
    title: str = "The server is on fire.",
) -> dict[str, Any]:
    """An incident shaped like the API reference's example (fields we do not read included).

    `resolved_at="auto"`: two hours after `created_at`."""
    if resolved_at == "auto":
        resolved_at = (_at(created_at) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": incident_id,
        "type": "incident",
        "summary": f"[#1234] {title}",
        "self": f"https://api.pagerduty.com/incidents/{incident_id}",
        "html_url": f"https://subdomain.pagerduty.com/incidents/{incident_id}",
        "incident_number": 1234,
        "title": title,
        "created_at": created_at,
        "updated_at": created_at,
        "status": status,
        "incident_key": "baf7cf21b1da41b4b0221008339ff357",
        "service": {
            "id": service,
            "type": "service_reference",
            "summary": "My Mail Service",
            "self": f"https://api.pagerduty.com/services/{service}",
        },
        "assignments": [],
        "assigned_via": "escalation_policy",
        "last_status_change_at": last_status_change_at or resolved_at or created_at,
        "resolved_at": resolved_at,
        "alert_counts": {"all": 2, "triggered": 0, "resolved": 2},
        "urgency": urgency,
        "priority": None
        if priority is None
        else {"id": "P53ZZH5", "type": "priority_reference", "summary": priority, "self": "…"},
    }


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class FakePagerDuty(FakeTool):
    def __init__(self, token: str = "pd-token") -> None:
        self.token = token
        self.incidents: dict[str, dict[str, Any]] = {}
        super().__init__()

    def add(self, *incidents: dict[str, Any]) -> None:
        for incident in incidents:
            self.incidents[incident["id"]] = incident

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Token token={self.token}":
            return Reply(401, {"error": {"message": "Unauthorized", "code": 2006}})
        if request.path == "/incidents":
            return self._list(request)
        if request.path.startswith("/incidents/"):
            incident = self.incidents.get(request.path.rsplit("/", 1)[1])
            if incident is None:
                return Reply(404, {"error": {"message": "Not Found", "code": 2100}})
            return Reply(200, {"incident": incident})
        return Reply(404, {"error": {"message": "Not Found"}})

    def _list(self, request: Request) -> Reply:
        since, until = _at(request.arg("since")), _at(request.arg("until"))
        assert request.arg("time_zone") == "UTC"
        rows = sorted(
            (i for i in self.incidents.values() if isinstance(i, dict) and since <= _at(i["created_at"]) < until),
            key=lambda i: (i["created_at"], i["id"]),
        )
        offset, limit = int(request.arg("offset", "0")), int(request.arg("limit", "25"))
        page = rows[offset : offset + limit]
        return Reply(
            200,
            {"incidents": page, "limit": limit, "offset": offset, "total": None, "more": offset + limit < len(rows)},
        )
