"""A fake GitHub REST API: deployments (newest first), their statuses, compare and
commits, `Link` pagination (`per_page`/`page`), `Authorization: Bearer …`.

Each repo has a linear history of commits; `compare/{base}...{head}` answers
the commits after `base` up to `head`, oldest first, as GitHub does.
`SyntheticGitHub` computes everything from indexes (for the bench: 10,000
deployments and 50,000 commits without holding them in memory).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from tests.sources.fakes import FakeTool, Reply, Request

BASE_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def gh_commit(repo: str, sha: str, authored: str, message: str = "Fix the thing\n\nDetails.") -> dict[str, Any]:
    person = {"name": "Monalisa Octocat", "email": "support@github.com", "date": authored}
    return {
        "url": f"https://api.github.com/repos/{repo}/commits/{sha}",
        "sha": sha,
        "node_id": "MDY6Q29tbWl0NmRjYjA5YjViNTc4NzVmMzM0ZjYxYWViZWQ2OTVlMmU0MTkzZGI1ZQ==",
        "html_url": f"https://github.com/{repo}/commit/{sha}",
        "commit": {
            "author": person,
            "committer": {**person, "date": authored},
            "message": message,
            "tree": {"sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
            "comment_count": 0,
        },
        "author": {"login": "octocat", "id": 1},
        "committer": {"login": "octocat", "id": 1},
        "parents": [],
    }


def gh_deployment(
    repo: str, deployment_id: int, sha: str, created_at: str, *, ref: str = "main", environment: str = "production"
) -> dict[str, Any]:
    return {
        "url": f"https://api.github.com/repos/{repo}/deployments/{deployment_id}",
        "id": deployment_id,
        "node_id": "MDEwOkRlcGxveW1lbnQx",
        "sha": sha,
        "ref": ref,
        "task": "deploy",
        "payload": {},
        "original_environment": environment,
        "environment": environment,
        "description": "Deploy request from hubot",
        "creator": {"login": "octocat", "id": 1},
        "created_at": created_at,
        "updated_at": created_at,
        "statuses_url": f"https://api.github.com/repos/{repo}/deployments/{deployment_id}/statuses",
        "repository_url": f"https://api.github.com/repos/{repo}",
        "transient_environment": False,
        "production_environment": environment == "production",
    }


def gh_status(status_id: int, state: str, created_at: str) -> dict[str, Any]:
    return {
        "url": f"https://api.github.com/repos/octocat/example/deployments/42/statuses/{status_id}",
        "id": status_id,
        "node_id": "MDE2OkRlcGxveW1lbnRTdGF0dXMx",
        "state": state,
        "creator": {"login": "octocat", "id": 1},
        "description": "Deployment finished.",
        "environment": "production",
        "target_url": "https://example.com/deployment/42/output",
        "created_at": created_at,
        "updated_at": created_at,
        "deployment_url": "https://api.github.com/repos/octocat/example/deployments/42",
        "repository_url": "https://api.github.com/repos/octocat/example",
        "environment_url": "",
        "log_url": "https://example.com/deployment/42/output",
    }


class FakeGitHub(FakeTool):
    def __init__(self, token: str = "gh-token") -> None:
        self.token = token
        self.history: dict[str, list[dict[str, Any]]] = {}  # repo → commits, oldest first
        self.deployments: dict[str, list[dict[str, Any]]] = {}  # repo → deployments, any order
        self.statuses: dict[int, list[dict[str, Any]]] = {}  # deployment id → statuses
        super().__init__()

    # -- data -----------------------------------------------------------------------------------
    def commit(self, repo: str, sha: str, authored: str, message: str = "Fix the thing") -> str:
        self.history.setdefault(repo, []).append(gh_commit(repo, sha, authored, message))
        return sha

    def deploy(
        self, repo: str, deployment_id: int, sha: str, created_at: str, states: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        self.deployments.setdefault(repo, []).append(gh_deployment(repo, deployment_id, sha, created_at, **kwargs))
        self.statuses[deployment_id] = [
            gh_status(deployment_id * 100 + i, state, at) for i, (state, at) in enumerate(states)
        ]

    # -- lookups the synthetic fake overrides -----------------------------------------------------
    def deployments_of(self, repo: str, environment: str) -> list[dict[str, Any]]:
        rows = [d for d in self.deployments.get(repo, []) if d["environment"] == environment]
        return sorted(rows, key=lambda d: (d["created_at"], d["id"]), reverse=True)

    def statuses_of(self, deployment_id: int) -> list[dict[str, Any]] | None:
        rows = self.statuses.get(deployment_id)
        return None if rows is None else sorted(rows, key=lambda s: (s["created_at"], s["id"]), reverse=True)

    def commits_between(self, repo: str, base: str, head: str) -> list[dict[str, Any]] | None:
        shas = [c["sha"] for c in self.history.get(repo, [])]
        if base not in shas or head not in shas:
            return None
        lo, hi = shas.index(base), shas.index(head)
        return self.history[repo][lo + 1 : hi + 1] if hi >= lo else []

    def commit_of(self, repo: str, sha: str) -> dict[str, Any] | None:
        return next((c for c in self.history.get(repo, []) if c["sha"] == sha), None)

    # -- serving ----------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        # GitHub Enterprise serves the API under /api/v3
        parts = request.path.removeprefix("/api/v3").strip("/").split("/")
        if len(parts) < 4 or parts[0] != "repos":
            return Reply(404, {"message": "Not Found"})
        repo = f"{parts[1]}/{parts[2]}"
        rest = parts[3:]
        if rest == ["deployments"]:
            return self._page(request, self.deployments_of(repo, request.arg("environment", "production")))
        if len(rest) == 3 and rest[0] == "deployments" and rest[2] == "statuses":
            rows = self.statuses_of(int(rest[1]))
            return Reply(404, {"message": "Not Found"}) if rows is None else self._page(request, rows)
        if len(rest) == 2 and rest[0] == "compare":
            base, _, head = rest[1].partition("...")
            commits = self.commits_between(repo, base, head)
            if commits is None:
                return Reply(404, {"message": "Not Found"})
            return self._page(
                request,
                commits,
                wrap=lambda page: {
                    "status": "ahead" if commits else "identical",
                    "ahead_by": len(commits),
                    "behind_by": 0,
                    "total_commits": len(commits),
                    "commits": page,
                    "files": [],
                },
            )
        if len(rest) == 2 and rest[0] == "commits":
            commit = self.commit_of(repo, rest[1])
            return Reply(404, {"message": "No commit found"}) if commit is None else Reply(200, commit)
        return Reply(404, {"message": "Not Found"})

    def _page(self, request: Request, rows: list[Any], wrap: Any = None) -> Reply:
        per_page = min(int(request.arg("per_page", "30")), 100)
        page = int(request.arg("page", "1"))
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999"}
        if page * per_page < len(rows):
            query = {k: v[0] for k, v in request.query.items()}
            query["page"] = str(page + 1)
            headers["Link"] = f'<{self.url}{request.path}?{urlencode(query)}>; rel="next"'
        return Reply(200, wrap(chunk) if wrap else chunk, headers)


class SyntheticGitHub(FakeGitHub):
    """One repo, `deployments` deployments every hour, `per_deploy` commits each, all computed."""

    def __init__(self, repo: str, deployments: int, per_deploy: int, token: str = "gh-token") -> None:
        self.repo, self.count, self.per = repo, deployments, per_deploy
        super().__init__(token)

    def _sha(self, index: int) -> str:
        return f"{index:040x}"

    def _commit(self, index: int) -> dict[str, Any]:
        authored = _ts(BASE_TIME + dt.timedelta(hours=index // self.per, minutes=index % self.per))
        return gh_commit(self.repo, self._sha(index), authored, f"Change {index}")

    def deployments_of(self, repo: str, environment: str) -> list[dict[str, Any]]:
        return [self._deployment(j) for j in range(self.count - 1, -1, -1)] if repo == self.repo else []

    def _deployment(self, j: int) -> dict[str, Any]:
        created = _ts(BASE_TIME + dt.timedelta(hours=j, minutes=30))
        return gh_deployment(self.repo, j + 1, self._sha(j * self.per + self.per - 1), created, ref=f"v{j}")

    def statuses_of(self, deployment_id: int) -> list[dict[str, Any]] | None:
        j = deployment_id - 1
        start = BASE_TIME + dt.timedelta(hours=j, minutes=31)
        rows = [
            gh_status(deployment_id * 10, "in_progress", _ts(start)),
            gh_status(deployment_id * 10 + 1, "success", _ts(start + dt.timedelta(minutes=5))),
        ]
        if j % 20 == 19:
            rows.append(gh_status(deployment_id * 10 + 2, "failure", _ts(start + dt.timedelta(minutes=20))))
        return list(reversed(rows))

    def commits_between(self, repo: str, base: str, head: str) -> list[dict[str, Any]] | None:
        lo, hi = int(base, 16), int(head, 16)
        return [self._commit(i) for i in range(lo + 1, hi + 1)]

    def commit_of(self, repo: str, sha: str) -> dict[str, Any] | None:
        return self._commit(int(sha, 16))
