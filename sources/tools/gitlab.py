"""GitLab (gitlab.com or self-managed, any `base_url`) → releases and changes.

Per mapped project (`group/project` path): `GET /api/v4/projects/{id}/deployments
?environment=E&status=success&order_by=finished_at&sort=asc` (with
`finished_after` = the cursor), then each deployment's `merge_requests` and each
merge request's `commits`. A release per successful deployment, released when
its job finished; a change per merge request, from its earliest commit to its
merge. A merge request already recorded with an earlier release stays there
(DORA counts a change's first deployment). Pages are committed with the
cursor (the last deployment's finish time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from sources.http import ToolClient, ToolError, ToolResponseError
from sources.models import Source
from sources.sync import Malformed, SourceSync, Unmapped
from sources.tools.common import iso, nested, text, timestamp, title
from sources.tools.deploys import write_releases_with_changes

PER_PAGE = 100


def release_cells(path: str, deployment: Mapping[str, Any], squad: str) -> dict[str, Any]:
    if not isinstance(deployment.get("id"), int):
        raise Malformed("id: missing")
    finished = nested(deployment, "deployable", "finished_at")
    if not finished:
        raise Malformed("deployable.finished_at: missing")
    return {
        "external_id": f"gitlab:{path}:{deployment['id']}",
        "squad": squad,
        "version": (text(deployment, "ref") or text(deployment, "sha")[:12])[:100],
        "released_at": timestamp({"finished_at": finished}, "finished_at"),
        "status": "succeeded",
    }


def change_cells(path: str, merge_request: Mapping[str, Any], commits: list[Any], release_key: str) -> dict[str, Any]:
    iid = merge_request.get("iid")
    if not isinstance(iid, int):
        raise Malformed("iid: missing")
    authored = [timestamp(c, "authored_date") for c in commits if isinstance(c, Mapping)]
    if not authored:
        raise Malformed(f"merge request !{iid}: no commits")
    return {
        "external_id": f"gitlab:{path}!{iid}",
        "release": release_key,
        "first_commit_at": min(authored),
        "merged_at": timestamp(merge_request, "merged_at", required=False),
        "title": title(merge_request.get("title")),
    }


class GitLabSync(SourceSync):
    @classmethod
    def make_client(cls, source: Source) -> ToolClient:
        token = source.token()
        if not token:
            raise ToolError("no token: set token_env or enter a token in the admin")
        return ToolClient(source.base_url, headers={"PRIVATE-TOKEN": token})

    def run(self, *, full: bool) -> None:
        for path in sorted(self.source.squads or {}):
            self._sync_project(path, full=full)

    def sync_items(self, ids: Iterable[str]) -> None:
        """Webhooks name projects: re-read each from its cursor (the same code as the pull)."""
        mapped = self.source.squads or {}
        for path in sorted(set(ids)):
            if path not in mapped:
                self.report.skip_unmapped(Unmapped(path, "webhook"))
                continue
            self._sync_project(path, full=False)

    def _project(self, path: str) -> str:
        return f"api/v4/projects/{quote(path, safe='')}"

    def _all(self, path: str, what: str) -> list[Any]:
        rows: list[Any] = []
        for body, _ in self.client.pages(path, {"per_page": PER_PAGE}):
            if not isinstance(body, list):
                raise ToolResponseError(f"GET {what}: the answer is not a list")
            rows.extend(body)
        return rows

    def _sync_project(self, path: str, *, full: bool) -> None:
        squad = self.squad_for(path, path)
        projects = dict(self.cursor.get("projects") or {})
        after = None if full else projects.get(path)
        if after is None and self.source.since:
            after = iso(dt.datetime.combine(self.source.since, dt.time(), tzinfo=dt.UTC))
        params: dict[str, Any] = {
            "environment": self.source.effective_environment,
            "status": "success",
            "order_by": "finished_at",
            "sort": "asc",
            "per_page": PER_PAGE,
        }
        if after:
            # finished_after is exclusive; a second earlier re-reads the last one (harmless, unchanged)
            moment = dt.datetime.fromisoformat(after.replace("Z", "+00:00")) - dt.timedelta(seconds=1)
            params["finished_after"] = iso(moment)
        for body, _ in self.client.pages(f"{self._project(path)}/deployments", params):
            if not isinstance(body, list):
                raise ToolResponseError(f"GET deployments of {path}: the answer is not a list")
            planned = []
            latest = after
            for deployment in body:
                try:
                    if not isinstance(deployment, Mapping):
                        raise Malformed("not a deployment object")
                    release = release_cells(path, deployment, squad)
                except Malformed as exc:
                    self.report.skip_malformed(f"deployment {path} {str(deployment)[:60]}", str(exc))
                    continue
                merge_requests = self._all(
                    f"{self._project(path)}/deployments/{deployment['id']}/merge_requests", "merge requests"
                )
                changes = []
                for mr in merge_requests:
                    iid = mr.get("iid") if isinstance(mr, Mapping) else None
                    commits = (
                        self._all(f"{self._project(path)}/merge_requests/{iid}/commits", "commits")
                        if isinstance(iid, int)
                        else []
                    )
                    changes.append((f"merge request {path}!{iid}", _mapper(path, mr, commits, release["external_id"])))
                planned.append((release, changes))
                finished = iso(release["released_at"])
                latest = max(latest, finished) if latest else finished
            projects[path] = latest
            cursor = {**self.cursor, "projects": dict(projects)}

            self.commit_page(
                lambda planned=planned: write_releases_with_changes(self, planned), cursor if latest else None
            )


def _mapper(path: str, mr: Any, commits: list[Any], release_key: str):
    def mapper() -> dict[str, Any]:
        if not isinstance(mr, Mapping):
            raise Malformed("not a merge request object")
        return change_cells(path, mr, commits, release_key)

    return mapper
