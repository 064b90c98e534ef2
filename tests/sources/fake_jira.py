"""A fake Jira Cloud REST API v3: `GET /rest/api/3/search/jql` with `nextPageToken`,
understanding the JQL clauses a source sends (project in, key in, updated >=)."""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from tests.sources.fakes import FakeTool, Reply, Request


def jira_issue(
    key: str,
    *,
    priority: str | None = "High",
    labels: tuple[str, ...] = (),
    created: str = "2026-01-05T09:30:00.000+0000",
    updated: str | None = None,
    resolutiondate: str | None = None,
    summary: str = "Checkout button does nothing",
) -> dict[str, Any]:
    """An issue shaped like the search response's documented example."""
    project = key.rsplit("-", 1)[0]
    return {
        "expand": "",
        "id": str(10000 + abs(hash(key)) % 90000),
        "self": f"https://your-domain.atlassian.net/rest/api/3/issue/{key}",
        "key": key,
        "fields": {
            "summary": summary,
            "created": created,
            "updated": updated or created,
            "resolutiondate": resolutiondate,
            "priority": None if priority is None else {"name": priority, "id": "2", "iconUrl": "https://…/high.svg"},
            "labels": list(labels),
            "project": {"key": project, "name": project.title(), "id": "10000"},
            "issuetype": {"name": "Bug", "subtask": False},
        },
    }


def _updated(issue: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(issue["fields"]["updated"])


class FakeJira(FakeTool):
    def __init__(self, user: str = "bot@example.com", token: str = "jira-token") -> None:
        self.expected_auth = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
        self.issues: list[dict[str, Any]] = []
        self.jqls: list[str] = []
        super().__init__()

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != self.expected_auth:
            return Reply(401, {"errorMessages": ["You are not authenticated."], "errors": {}})
        if request.path != "/rest/api/3/search/jql":
            return Reply(404, {"errorMessages": ["not found"]})
        jql = request.arg("jql")
        self.jqls.append(jql)
        rows = [i for i in self.issues if self._matches(i, jql)]
        rows.sort(key=lambda i: (_updated(i), i["key"]))
        start = int(request.arg("nextPageToken") or 0)
        size = int(request.arg("maxResults") or 50)
        page = rows[start : start + size]
        body: dict[str, Any] = {"issues": page, "isLast": start + size >= len(rows)}
        if start + size < len(rows):
            body["nextPageToken"] = str(start + size)  # absent on the last page, as Jira Cloud does
        return Reply(200, body)

    @staticmethod
    def _matches(issue: dict[str, Any], jql: str) -> bool:
        projects = re.search(r"project in \(([^)]*)\)", jql)
        if projects:
            wanted = {p.strip().strip('"') for p in projects.group(1).split(",")}
            if issue["fields"]["project"]["key"] not in wanted:
                return False
        keys = re.search(r"key in \(([^)]*)\)", jql)
        if keys and issue["key"] not in {k.strip() for k in keys.group(1).split(",")}:
            return False
        updated = re.search(r'updated >= "([^"]+)"', jql)
        if updated:
            text = updated.group(1)
            fmt = "%Y/%m/%d %H:%M" if " " in text else "%Y/%m/%d"
            since = dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
            if _updated(issue) < since:
                return False
        return True
