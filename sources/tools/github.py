"""GitHub (github.com or Enterprise, any `base_url`) → releases and changes.

Per mapped repo: `GET /repos/{owner}/{repo}/deployments?environment=E` (newest
first, `Link` pagination), each deployment's `/statuses`, and
`GET /repos/{owner}/{repo}/compare/{base}...{head}` between consecutive
successful deployments (for the repo's first: its head commit alone).

A deployment with a `success` status is a release, `released_at` its first
success, `rolled_back` when a later status is `failure` or `error`. Deployments
are processed oldest first in chunks; each chunk (its releases and changes) is
committed with the cursor — the `created_at` of its last deployment and the
head sha of the last successful one, the base of the next compare. An
incremental run re-reads `LOOKBACK` before the cursor, so a deployment that
succeeded or was rolled back after we first saw it is picked up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sources.http import ToolClient, ToolError, ToolResponseError
from sources.models import Source
from sources.sync import Malformed, SourceSync, Unmapped
from sources.tools.common import iso, text, timestamp, title
from sources.tools.deploys import write_releases_with_changes

PER_PAGE = 100
CHUNK = 50
LOOKBACK = dt.timedelta(days=3)
FAILED_STATES = {"failure", "error"}
#: Older deployments checked for a successful one (the base of the first compare) before giving up.
BASE_SEARCH = 20


@dataclass(frozen=True)
class Deployment:
    id: int
    sha: str
    ref: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Outcome:
    released_at: dt.datetime
    rolled_back: bool


def deployment_outcome(statuses: Iterable[Mapping[str, Any]]) -> Outcome | None:
    """From a deployment's statuses: its release time and whether it was rolled back (None: never succeeded)."""
    ordered = sorted(
        (
            (timestamp(s, "created_at"), s["id"] if isinstance(s.get("id"), int) else 0, s.get("state"))
            for s in statuses
            if isinstance(s, Mapping)
        ),
        key=lambda row: (row[0], row[1]),
    )
    success = next((row for row in ordered if row[2] == "success"), None)
    if success is None:
        return None
    rolled_back = any(row[2] in FAILED_STATES for row in ordered if (row[0], row[1]) > (success[0], success[1]))
    return Outcome(success[0], rolled_back)


def change_cells(repo: str, commit: Mapping[str, Any], release_key: str) -> dict[str, Any]:
    sha = text(commit, "sha")
    if not sha:
        raise Malformed("sha: missing")
    author = (commit.get("commit") or {}).get("author") if isinstance(commit.get("commit"), Mapping) else None
    if not isinstance(author, Mapping):
        raise Malformed(f"commit {sha[:12]}: commit.author missing")
    message = (commit.get("commit") or {}).get("message") or ""
    return {
        "external_id": f"github:{repo}:{sha}",
        "release": release_key,
        "first_commit_at": timestamp(author, "date"),
        "title": title(message.splitlines()[0] if isinstance(message, str) and message else ""),
    }


class GitHubSync(SourceSync):
    @classmethod
    def make_client(cls, source: Source) -> ToolClient:
        token = source.token()
        if not token:
            raise ToolError("no token: set token_env or enter a token in the admin")
        return ToolClient(
            source.base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )

    def run(self, *, full: bool, repos: Iterable[str] | None = None) -> None:
        for repo in sorted(repos if repos is not None else (self.source.squads or {})):
            self._sync_repo(repo, full=full)

    def sync_items(self, ids: Iterable[str]) -> None:
        """Webhooks name repos: re-read each (incrementally — the same code as the pull)."""
        mapped = self.source.squads or {}
        for repo in sorted(set(ids)):
            if repo not in mapped:
                self.report.skip_unmapped(Unmapped(repo, "webhook"))
                continue
            self._sync_repo(repo, full=False)

    # -- one repo --------------------------------------------------------------------------------
    def _repo_path(self, repo: str) -> str:
        owner, _, name = repo.partition("/")
        return f"repos/{quote(owner, safe='')}/{quote(name, safe='')}"

    def _sync_repo(self, repo: str, *, full: bool) -> None:
        squad = self.squad_for(repo, repo)
        state = {} if full else dict((self.cursor.get("repos") or {}).get(repo) or {})
        threshold: dt.datetime | None
        if state.get("after"):
            threshold = dt.datetime.fromisoformat(state["after"].replace("Z", "+00:00")) - LOOKBACK
        elif self.source.since:
            threshold = dt.datetime.combine(self.source.since, dt.time(), tzinfo=dt.UTC)
        else:
            threshold = None
        todo, older = self._list(repo, threshold)
        base = self._base_before(repo, older)
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            base = self._sync_chunk(repo, squad, chunk, base)

    def _list(self, repo: str, threshold: dt.datetime | None) -> tuple[list[Deployment], list[Deployment]]:
        """Deployments from `threshold` on, oldest first, and (newest first) a few older ones."""
        todo: list[Deployment] = []
        older: list[Deployment] = []
        params = {"environment": self.source.effective_environment, "per_page": PER_PAGE}
        for body, _ in self.client.pages(f"{self._repo_path(repo)}/deployments", params):
            if not isinstance(body, list):
                raise ToolResponseError(f"GET deployments of {repo}: the answer is not a list")
            for item in body:
                deployment = self._deployment(repo, item)
                if deployment is None:
                    continue
                if threshold is None or deployment.created_at >= threshold:
                    todo.append(deployment)
                else:
                    older.append(deployment)
            if len(older) >= BASE_SEARCH:
                break
        todo.sort(key=lambda d: (d.created_at, d.id))
        older.sort(key=lambda d: (d.created_at, d.id), reverse=True)
        return todo, older

    def _deployment(self, repo: str, item: Any) -> Deployment | None:
        try:
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), int):
                raise Malformed("id: missing")
            sha = text(item, "sha")
            if not sha:
                raise Malformed("sha: missing")
            return Deployment(item["id"], sha, text(item, "ref") or sha[:12], timestamp(item, "created_at"))
        except Malformed as exc:
            self.report.skip_malformed(f"deployment {repo} {str(item)[:60]}", str(exc))
            return None

    def _statuses(self, repo: str, deployment: Deployment) -> list[Any]:
        statuses: list[Any] = []
        path = f"{self._repo_path(repo)}/deployments/{deployment.id}/statuses"
        for body, _ in self.client.pages(path, {"per_page": PER_PAGE}):
            if not isinstance(body, list):
                raise ToolResponseError(f"GET statuses of {repo} deployment {deployment.id}: not a list")
            statuses.extend(body)
        return statuses

    def _outcome(self, repo: str, deployment: Deployment) -> Outcome | None:
        try:
            return deployment_outcome(self._statuses(repo, deployment))
        except Malformed as exc:
            self.report.skip_malformed(f"deployment {repo} {deployment.id}", f"statuses: {exc}")
            return None

    def _base_before(self, repo: str, older: list[Deployment]) -> str | None:
        """The head sha of the newest successful deployment before the window (None: the repo's first)."""
        from metrics.models import Release

        known = set(
            Release.objects.filter(external_id__in=[f"github:{repo}:{d.id}" for d in older]).values_list(
                "external_id", flat=True
            )
        )
        for deployment in older[:BASE_SEARCH]:
            if f"github:{repo}:{deployment.id}" in known or self._outcome(repo, deployment) is not None:
                return deployment.sha
        return None

    def _commits(self, repo: str, base: str | None, head: str) -> Iterator[Any]:
        if base is None:  # the repo's first deployment: its head commit
            yield self.client.get_json(f"{self._repo_path(repo)}/commits/{quote(head, safe='')}")
            return
        path = f"{self._repo_path(repo)}/compare/{quote(base, safe='')}...{quote(head, safe='')}"
        for body, _ in self.client.pages(path, {"per_page": PER_PAGE}):
            commits = body.get("commits") if isinstance(body, Mapping) else None
            if not isinstance(commits, list):
                raise ToolResponseError(f"GET compare of {repo}: the answer has no commits list")
            yield from commits

    def _sync_chunk(self, repo: str, squad: str, chunk: list[Deployment], base: str | None) -> str | None:
        planned: list[tuple[dict[str, Any], list[tuple[str, Any]]]] = []
        for deployment in chunk:
            outcome = self._outcome(repo, deployment)
            if outcome is None:
                continue  # only failed/pending statuses: no release
            key = f"github:{repo}:{deployment.id}"
            try:
                commits = list(self._commits(repo, base, deployment.sha))
            except ToolResponseError as exc:  # e.g. the base was force-pushed away: the head commit alone
                self.report.skip_malformed(f"compare {repo} {base}...{deployment.sha}", str(exc))
                commits = list(self._commits(repo, None, deployment.sha))
            release = {
                "external_id": key,
                "squad": squad,
                "version": deployment.ref[:100],
                "released_at": outcome.released_at,
                "status": "rolled_back" if outcome.rolled_back else "succeeded",
            }
            changes = [
                (f"commit {repo}@{text(c, 'sha')[:12] if isinstance(c, Mapping) else '?'}", _mapper(repo, c, key))
                for c in commits
            ]
            planned.append((release, changes))
            base = deployment.sha
        repos = dict(self.cursor.get("repos") or {})
        repos[repo] = {"after": iso(chunk[-1].created_at), "base": base}
        cursor = {**self.cursor, "repos": repos}

        self.commit_page(lambda: write_releases_with_changes(self, planned), cursor)
        return base


def _mapper(repo: str, commit: Any, release_key: str):
    def mapper() -> dict[str, Any]:
        if not isinstance(commit, Mapping):
            raise Malformed("not a commit object")
        return change_cells(repo, commit, release_key)

    return mapper
