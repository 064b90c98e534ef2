"""GitHub → releases and changes against the local fake: every rule of the mapping."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import Change, Release
from sources.models import Source
from sources.sync import sync_source
from tests.sources.fake_github import FakeGitHub

UTC = dt.UTC
REPO = "acme/checkout-web"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def fake_gh():
    fake = FakeGitHub()
    yield fake
    fake.close()


@pytest.fixture
def gh_source(db, fake_gh, monkeypatch, squad_a, waits):
    monkeypatch.setenv("GH_TOKEN", "gh-token")
    return Source.objects.create(
        name="gh", kind="github", base_url=fake_gh.url + "/api/v3", token_env="GH_TOKEN", squads={REPO: "alpha"}
    )


@pytest.fixture
def history(fake_gh):
    for n in range(1, 7):
        fake_gh.commit(REPO, f"c{n}" + "0" * 38, f"2026-02-0{n}T09:00:00Z", f"Commit {n}\n\nbody")
    fake_gh.deploy(
        REPO,
        101,
        "c2" + "0" * 38,
        "2026-02-02T10:00:00Z",
        [
            ("in_progress", "2026-02-02T10:00:10Z"),
            ("success", "2026-02-02T10:05:00Z"),
            ("inactive", "2026-02-05T10:06:00Z"),
        ],
        ref="v1.0.0",
    )
    fake_gh.deploy(
        REPO,
        102,
        "c3" + "0" * 38,
        "2026-02-03T10:00:00Z",
        [("in_progress", "2026-02-03T10:00:10Z"), ("failure", "2026-02-03T10:03:00Z")],
        ref="v1.1.0",
    )
    fake_gh.deploy(
        REPO,
        103,
        "c5" + "0" * 38,
        "2026-02-05T10:00:00Z",
        [("success", "2026-02-05T10:06:00Z"), ("success", "2026-02-05T10:07:00Z"), ("failure", "2026-02-05T11:00:00Z")],
        ref="v1.2.0",
    )
    fake_gh.deploy(
        REPO,
        104,
        "c6" + "0" * 38,
        "2026-02-06T10:00:00Z",
        [("queued", "2026-02-06T10:00:00Z"), ("success", "2026-02-06T10:10:00Z")],
        ref="v1.3.0",
    )
    fake_gh.deploy(
        REPO,
        105,
        "c6" + "0" * 38,
        "2026-02-06T11:00:00Z",
        [("success", "2026-02-06T11:10:00Z")],
        ref="v1.3.0",
        environment="staging",
    )
    return fake_gh


def _sha(n: int) -> str:
    return f"c{n}" + "0" * 38


def test_every_mapping_rule(gh_source, history, monkeypatch):
    monkeypatch.setattr("sources.tools.github.PER_PAGE", 2)  # deployments and compares over several pages
    report = sync_source(gh_source, full=True)
    assert report.ok, report.error

    releases = {r.external_id: r for r in Release.objects.select_related("squad")}
    # 102 only failed: no release; 105 is another environment
    assert set(releases) == {f"github:{REPO}:101", f"github:{REPO}:103", f"github:{REPO}:104"}
    first, rolled, last = (releases[f"github:{REPO}:{n}"] for n in (101, 103, 104))
    assert (first.squad.slug, first.version, first.status) == ("alpha", "v1.0.0", "succeeded")
    assert first.released_at == at("2026-02-02T10:05:00Z")  # its first success
    assert (rolled.status, rolled.released_at) == ("rolled_back", at("2026-02-05T10:06:00Z"))
    assert last.status == "succeeded"

    changes = {c.external_id: c for c in Change.objects.select_related("release")}
    expected = {  # sha n → (release, first_commit_at)
        2: (101, "2026-02-02T09:00:00Z"),  # the first deployment: its head commit alone
        3: (103, "2026-02-03T09:00:00Z"),  # compare 101...103: c3, c4, c5 (102 failed, so not a base)
        4: (103, "2026-02-04T09:00:00Z"),
        5: (103, "2026-02-05T09:00:00Z"),
        6: (104, "2026-02-06T09:00:00Z"),  # compare 103...104
    }
    assert set(changes) == {f"github:{REPO}:{_sha(n)}" for n in expected}
    for n, (release, started) in expected.items():
        change = changes[f"github:{REPO}:{_sha(n)}"]
        assert change.release.external_id == f"github:{REPO}:{release}"
        assert change.first_commit_at == at(started)
        assert change.title == f"Commit {n}"
        assert change.merged_at is None
    # a release starts with the earliest of its changes
    assert first.first_commit_at == at("2026-02-02T09:00:00Z")
    assert rolled.first_commit_at == at("2026-02-03T09:00:00Z")
    assert last.first_commit_at == at("2026-02-06T09:00:00Z")
    # the base URL's path prefix (GitHub Enterprise) is kept on every request, pages included
    assert all(path.startswith("/api/v3/repos/") for path in history.paths())
    assert len([p for p in history.paths("/compare/")]) == 3  # 101...103 over two pages, 103...104

    again = sync_source(gh_source, full=True)
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == 8
    assert (Release.objects.count(), Change.objects.count()) == (3, 5)


def test_incremental_run_sees_late_rollbacks_and_new_deployments(gh_source, history):
    sync_source(gh_source, full=True)
    gh_source.refresh_from_db()
    assert gh_source.cursor["repos"][REPO] == {"after": "2026-02-06T10:00:00Z", "base": _sha(6)}

    history.statuses[104].append(
        {**history.statuses[104][0], "id": 99, "state": "error", "created_at": "2026-02-06T12:00:00Z"}
    )
    history.commit(REPO, _sha(7), "2026-02-07T09:00:00Z", "Commit 7")
    history.deploy(REPO, 106, _sha(7), "2026-02-07T10:00:00Z", [("success", "2026-02-07T10:05:00Z")], ref="v1.4.0")
    report = sync_source(gh_source)
    assert report.ok
    assert report.created == 2
    assert report.updated == 1
    assert Release.objects.get(external_id=f"github:{REPO}:104").status == "rolled_back"
    change = Change.objects.select_related("release").get(external_id=f"github:{REPO}:{_sha(7)}")
    assert change.release.external_id == f"github:{REPO}:106"


def test_a_commit_dated_after_its_release_is_refused_with_the_reason(gh_source, fake_gh):
    fake_gh.commit(REPO, _sha(1), "2026-02-01T09:00:00Z")
    fake_gh.deploy(REPO, 201, _sha(1), "2026-02-01T10:00:00Z", [("success", "2026-02-01T10:05:00Z")])
    fake_gh.commit(REPO, _sha(2), "2026-02-02T09:00:00Z")
    fake_gh.commit(REPO, _sha(3), "2026-03-09T09:00:00Z")  # author clock in the future
    fake_gh.deploy(REPO, 202, _sha(3), "2026-02-02T10:00:00Z", [("success", "2026-02-02T10:05:00Z")])
    report = sync_source(gh_source, full=True)
    assert report.ok
    assert report.malformed == 1
    gh_source.refresh_from_db()
    assert gh_source.malformed_examples[0]["item"] == f"commit {REPO}@{_sha(3)[:12]}"
    assert gh_source.malformed_examples[0]["reason"].startswith("first_commit_at:")
    release = Release.objects.get(external_id=f"github:{REPO}:202")
    assert release.first_commit_at == at("2026-02-02T09:00:00Z")
    assert Change.objects.filter(release=release).count() == 1


def test_a_repo_without_a_squad_is_never_guessed(gh_source, fake_gh):
    report = sync_source(gh_source, items=["acme/unknown", REPO])
    assert report.unmapped == 1
    gh_source.refresh_from_db()
    assert "acme/unknown" not in str(fake_gh.paths())


def test_bad_credentials_fail_the_source(gh_source, history):
    history.token = "revoked"
    report = sync_source(gh_source, full=True)
    assert "401 Unauthorized" in report.error
    assert "Bad credentials" in report.error
    assert not Release.objects.exists()


def test_a_resync_keeps_a_merge_time_set_by_a_person_and_audits_each_page(gh_source, history):
    from audit.models import AuditEvent
    from metrics.records.services import save_record

    sync_source(gh_source, full=True)
    events = AuditEvent.objects.filter(action="import", extra__source="sync")
    assert {e.extra["kind"] for e in events} == {"releases", "changes"}
    assert all(e.extra["filename"] == "source:gh" for e in events)
    assert sum(e.extra["created"] for e in events) == 8
    change = Change.objects.get(external_id=f"github:{REPO}:{_sha(4)}")
    save_record(kind="changes", data={"merged_at": "2026-02-05T08:00:00Z"}, instance=change)
    history.commit_of(REPO, _sha(4))["commit"]["message"] = "Commit 4, reworded"
    report = sync_source(gh_source, full=True)
    assert report.updated == 1
    change.refresh_from_db()
    assert change.title == "Commit 4, reworded"
    assert change.merged_at == at("2026-02-05T08:00:00Z")


def test_a_signed_deployment_status_webhook_syncs_the_repo(
    gh_source, history, monkeypatch, django_capture_on_commit_callbacks
):  # noqa: E501
    import hashlib
    import hmac
    import json

    from django.test import Client

    monkeypatch.setenv("GH_HOOK", "s3cret")
    gh_source.webhook_secret_env = "GH_HOOK"
    gh_source.save()
    body = json.dumps(
        {
            "action": "created",
            "deployment_status": {"state": "success", "id": 1},
            "deployment": {"id": 104},
            "repository": {"full_name": REPO},
        }
    ).encode()
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": "deployment_status", "X-Hub-Signature-256": signature}
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/hooks/gh/", body, content_type="application/json", headers=headers)
    assert response.status_code == 202
    assert response.json() == {"accepted": [REPO]}
    assert Release.objects.count() == 3
    assert Change.objects.count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        bad = Client().post("/hooks/gh/", body + b" ", content_type="application/json", headers=headers)
    assert bad.status_code == 401


def test_a_crash_between_chunks_loses_and_duplicates_nothing(gh_source, history, monkeypatch):
    from sources.tools import github

    monkeypatch.setattr(github, "CHUNK", 2)
    real = github.GitHubSync._outcome
    calls = {"n": 0}

    def dying(self, repo, deployment):
        calls["n"] += 1
        if calls["n"] == 3:  # the first deployment of the second chunk
            raise SystemExit("killed")
        return real(self, repo, deployment)

    monkeypatch.setattr(github.GitHubSync, "_outcome", dying)
    with pytest.raises(SystemExit):
        sync_source(gh_source, full=True)
    assert list(Release.objects.values_list("external_id", flat=True)) == [f"github:{REPO}:101"]  # chunk 1 only
    gh_source.refresh_from_db()
    assert gh_source.cursor["repos"][REPO]["after"] == "2026-02-03T10:00:00Z"  # 101, 102 committed

    monkeypatch.setattr(github.GitHubSync, "_outcome", real)
    report = sync_source(gh_source)  # incremental, from the cursor
    assert report.ok
    assert sorted(Release.objects.values_list("external_id", flat=True)) == [
        f"github:{REPO}:101",
        f"github:{REPO}:103",
        f"github:{REPO}:104",
    ]
    assert Change.objects.count() == 5
    assert Change.objects.get(external_id=f"github:{REPO}:{_sha(3)}").release.external_id == f"github:{REPO}:103"
