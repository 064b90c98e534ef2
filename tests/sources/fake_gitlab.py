"""A fake GitLab REST API v4: project deployments (status/order/finished_after filters),
a deployment's merge requests, a merge request's commits; `Link` pagination; `PRIVATE-TOKEN`."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlencode

from tests.sources.fakes import FakeTool, Reply, Request


def gl_deployment(
    deployment_id: int,
    *,
    ref: str = "main",
    sha: str = "a91957a858320c0e17f3a0eca7cfacbff50ea29a",
    status: str = "success",
    finished_at: str | None = "2026-02-01T10:05:00.000Z",
    created_at: str = "2026-02-01T10:00:00.000Z",
    environment: str = "production",
) -> dict[str, Any]:
    return {
        "id": deployment_id,
        "iid": deployment_id % 1000,
        "ref": ref,
        "sha": sha,
        "created_at": created_at,
        "updated_at": finished_at or created_at,
        "status": status,
        "user": {"id": 1, "name": "Administrator", "username": "root"},
        "environment": {"id": 9, "name": environment, "external_url": "https://about.gitlab.com"},
        "deployable": {
            "id": 14,
            "status": status,
            "stage": "deploy",
            "name": "deploy",
            "ref": ref,
            "tag": False,
            "created_at": created_at,
            "started_at": created_at,
            "finished_at": finished_at,
            "commit": {"id": sha, "short_id": sha[:8], "title": "Merge branch 'x' into 'main'"},
        },
    }


def gl_merge_request(
    iid: int, *, title: str = "Add the thing", merged_at: str | None = "2026-02-01T09:00:00.000Z", project_id: int = 3
) -> dict[str, Any]:
    return {
        "id": 80000 + iid,
        "iid": iid,
        "project_id": project_id,
        "title": title,
        "description": "",
        "state": "merged",
        "created_at": "2026-01-30T08:00:00.000Z",
        "updated_at": merged_at,
        "merged_at": merged_at,
        "target_branch": "main",
        "source_branch": f"feature-{iid}",
        "author": {"id": 1, "username": "admin"},
        "web_url": f"https://gitlab.example.com/acme/api/-/merge_requests/{iid}",
    }


def gl_commit(sha: str, authored: str, title: str = "Implement it") -> dict[str, Any]:
    return {
        "id": sha,
        "short_id": sha[:8],
        "title": title,
        "message": title,
        "author_name": "Example User",
        "author_email": "user@example.com",
        "authored_date": authored,
        "committer_name": "Example User",
        "committer_email": "user@example.com",
        "committed_date": authored,
        "created_at": authored,
        "parent_ids": [],
    }


class FakeGitLab(FakeTool):
    def __init__(self, token: str = "gl-token") -> None:
        self.token = token
        self.deployments: dict[str, list[dict[str, Any]]] = {}
        self.merge_requests: dict[tuple[str, int], list[dict[str, Any]]] = {}  # (path, deployment id) → MRs
        self.commits: dict[tuple[str, int], list[dict[str, Any]]] = {}  # (path, iid) → commits
        super().__init__()

    def handle(self, request: Request) -> Reply:
        if request.headers.get("private-token") != self.token:
            return Reply(401, {"message": "401 Unauthorized"})
        prefix = "/api/v4/projects/"
        if not request.path.startswith(prefix):
            return Reply(404, {"message": "404 Not Found"})
        encoded, _, rest = request.path[len(prefix) :].partition("/")
        path = unquote(encoded)
        parts = rest.split("/")
        if parts == ["deployments"]:
            return self._page(request, self._deployments(path, request))
        if len(parts) == 3 and parts[0] == "deployments" and parts[2] == "merge_requests":
            return self._page(request, self.merge_requests.get((path, int(parts[1])), []))
        if len(parts) == 3 and parts[0] == "merge_requests" and parts[2] == "commits":
            return self._page(request, self.commits.get((path, int(parts[1])), []))
        return Reply(404, {"message": "404 Not Found"})

    def _deployments(self, path: str, request: Request) -> list[dict[str, Any]]:
        rows = [
            d
            for d in self.deployments.get(path, [])
            if d["environment"]["name"] == request.arg("environment")
            and (request.arg("status") is None or d["status"] == request.arg("status"))
        ]
        after = request.arg("finished_after")
        if after is not None:
            assert request.arg("order_by") == "finished_at"
            assert request.arg("status") == "success"
            rows = [
                d
                for d in rows
                if d["deployable"]["finished_at"] and d["deployable"]["finished_at"].replace(".000Z", "Z") > after
            ]
        return sorted(rows, key=lambda d: (d["deployable"]["finished_at"] or "", d["id"]))

    def _page(self, request: Request, rows: list[Any]) -> Reply:
        per_page = min(int(request.arg("per_page", "20")), 100)
        page = int(request.arg("page", "1"))
        headers = {"X-Total": str(len(rows)), "X-Page": str(page)}
        if page * per_page < len(rows):
            query = {k: v[0] for k, v in request.query.items()}
            query["page"] = str(page + 1)
            headers["X-Next-Page"] = str(page + 1)
            headers["Link"] = f'<{self.url}{request.path}?{urlencode(query)}>; rel="next"'
        return Reply(200, rows[(page - 1) * per_page : page * per_page], headers)
