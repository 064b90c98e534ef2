"""Jira (Cloud, or Data Center with the same API) → defects.

Reads `GET /rest/api/3/search/jql` page by page (`nextPageToken`) with
JQL = the source's `jql` AND project in the mapped keys AND `updated >= cursor`,
ordered by `updated` so the cursor (the latest `updated` of a committed page)
only moves forward. JQL reads dates in the Jira user's time zone, which we do
not know, so an incremental run starts a day before the cursor: re-reading an
issue costs a comparison, missing one would lose it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sources.http import ToolClient, ToolError, ToolResponseError
from sources.models import Source
from sources.sync import Malformed, SourceSync
from sources.tools.common import iso, label, nested, timestamp, title

PAGE_SIZE = 100
LOOKBACK = dt.timedelta(days=1)
FIELDS = "summary,created,updated,resolutiondate,priority,labels,project"
PRIORITY_SEVERITY = {
    "highest": 1,
    "blocker": 1,
    "high": 2,
    "critical": 2,
    "medium": 3,
    "low": 4,
    "lowest": 4,
    "trivial": 4,
}
STAGES = ("development", "testing", "staging", "production")
_KEY = re.compile(r"[A-Z][A-Z0-9_]*-\d+")


def defect_cells(issue: Mapping[str, Any], squad: str, *, customer_label: str) -> dict[str, Any]:
    """One Jira issue → the cells of a defect record."""
    key = issue.get("key")
    if not isinstance(key, str) or not key:
        raise Malformed("key: missing")
    fields = issue.get("fields")
    if not isinstance(fields, Mapping):
        raise Malformed("fields: missing")
    priority = nested(fields, "priority", "name")
    if not isinstance(priority, str) or priority.strip().lower() not in PRIORITY_SEVERITY:
        raise Malformed(
            f"priority: {priority!r} has no severity (Highest/Blocker, High/Critical, Medium, Low/Lowest/Trivial)"
        )
    labels = [lbl.strip().lower() for lbl in fields.get("labels") or [] if isinstance(lbl, str)]
    by_customer = customer_label.lower() in labels
    stage = next((lbl for lbl in labels if lbl in STAGES), None)
    return {
        "external_id": f"jira:{key}",
        "squad": squad,
        "severity": PRIORITY_SEVERITY[priority.strip().lower()],
        "found_at": timestamp(fields, "created"),
        "found_in": stage or ("production" if by_customer else "testing"),
        "found_by": "customer" if by_customer else "internal",
        "resolved_at": timestamp(fields, "resolutiondate", required=False),
        "title": title(fields.get("summary")),
    }


def _jql_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y/%m/%d %H:%M")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JiraSync(SourceSync):
    @classmethod
    def make_client(cls, source: Source) -> ToolClient:
        import os

        token = source.token()
        if not token:
            raise ToolError("no token: set token_env or enter a token in the admin")
        if source.user_env:
            user = os.environ.get(source.user_env, "")
            if not user:
                raise ToolError(f"user_env names {source.user_env}, which is not set")
            return ToolClient(source.base_url, auth=(user, token))
        # No account e-mail: a Data Center personal access token.
        return ToolClient(source.base_url, headers={"Authorization": f"Bearer {token}"})

    def _project(self, issue: Mapping[str, Any]) -> str:
        project = nested(issue, "fields", "project", "key")
        if isinstance(project, str) and project:
            return project
        key = issue.get("key")
        return key.rsplit("-", 1)[0] if isinstance(key, str) and "-" in key else ""

    def _mapper(self, issue: Any):
        def mapper() -> dict[str, Any]:
            if not isinstance(issue, Mapping):
                raise Malformed("not an issue object")
            project = self._project(issue)
            if not project:
                raise Malformed("project: missing")
            squad = self.squad_for(project, f"{label(issue, 'key')} {title(nested(issue, 'fields', 'summary'))[:60]}")
            return defect_cells(issue, squad, customer_label=self.source.effective_customer_label)

        return mapper

    def _write(self, issues: list[Any]) -> None:
        self.write_items("defects", [(f"issue {label(i, 'key', 'id')}", self._mapper(i)) for i in issues])

    def jql(self, *, full: bool, keys: Iterable[str] | None = None) -> str:
        projects = sorted((self.source.squads or {}).keys())
        clauses = [f"({self.source.effective_jql})", f"project in ({', '.join(_quote(p) for p in projects)})"]
        if keys is not None:
            clauses.append(f"key in ({', '.join(keys)})")
        elif not full and self.cursor.get("updated"):
            since = dt.datetime.fromisoformat(self.cursor["updated"].replace("Z", "+00:00")) - LOOKBACK
            clauses.append(f"updated >= {_quote(_jql_time(since))}")
        elif self.source.since:
            clauses.append(f"updated >= {_quote(self.source.since.strftime('%Y/%m/%d'))}")
        return " AND ".join(clauses) + " ORDER BY updated ASC"

    def _search(self, jql: str, *, move_cursor: bool) -> None:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"jql": jql, "fields": FIELDS, "maxResults": PAGE_SIZE}
            if token:
                params["nextPageToken"] = token
            body = self.client.get_json("rest/api/3/search/jql", params)
            issues = body.get("issues") if isinstance(body, Mapping) else None
            if not isinstance(issues, list):
                raise ToolResponseError("GET /rest/api/3/search/jql: the answer has no issues list")
            cursor = None
            if move_cursor:
                latest = [_updated(i) for i in issues]
                latest = [t for t in latest if t is not None]
                previous = self.cursor.get("updated")
                if latest:
                    newest = iso(max(latest))
                    cursor = {"updated": max(newest, previous) if previous else newest}
            self.commit_page(lambda issues=issues: self._write(issues), cursor)
            token = body.get("nextPageToken")
            if not token or body.get("isLast") is True or not issues:
                break

    def run(self, *, full: bool) -> None:
        if not self.source.squads:
            return  # nothing mapped: nothing to ask for
        self._search(self.jql(full=full), move_cursor=True)

    def sync_items(self, ids: Iterable[str]) -> None:
        keys = [key for key in ids if _KEY.fullmatch(key)]
        if keys and self.source.squads:
            self._search(self.jql(full=True, keys=keys), move_cursor=False)


def _updated(issue: Any) -> dt.datetime | None:
    try:
        return timestamp(issue.get("fields") or {}, "updated") if isinstance(issue, Mapping) else None
    except Malformed:
        return None
