"""GitLab → releases and changes against the local fake."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import Change, Release
from sources.models import Source
from sources.sync import sync_source
from tests.sources.fake_gitlab import FakeGitLab, gl_commit, gl_deployment, gl_merge_request

PATH = "acme/payments-api"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def fake_gl():
    fake = FakeGitLab()
    yield fake
    fake.close()


@pytest.fixture
def gl_source(db, fake_gl, monkeypatch, squad_b, waits):
    monkeypatch.setenv("GL_TOKEN", "gl-token")
    return Source.objects.create(
        name="gl", kind="gitlab", base_url=fake_gl.url, token_env="GL_TOKEN", squads={PATH: "bravo"}
    )


@pytest.fixture
def project(fake_gl):
    fake_gl.deployments[PATH] = [
        gl_deployment(11, ref="v2.0.0", created_at="2026-02-01T10:00:00.000Z", finished_at="2026-02-01T10:05:00.000Z"),
        gl_deployment(12, ref="v2.1.0", created_at="2026-02-03T10:00:00.000Z", finished_at="2026-02-03T10:07:00.000Z"),
        gl_deployment(13, ref="v2.2.0", status="failed", finished_at="2026-02-04T10:00:00.000Z"),
        gl_deployment(14, ref="v2.2.0", environment="staging", finished_at="2026-02-04T11:00:00.000Z"),
    ]
    fake_gl.merge_requests[(PATH, 11)] = [
        gl_merge_request(1, title="Invoices in PDF", merged_at="2026-02-01T08:00:00.000Z"),
        gl_merge_request(2, merged_at="2026-02-01T09:00:00.000Z"),
    ]
    # !2 shows up again with the next deployment: it was first shipped by 11
    fake_gl.merge_requests[(PATH, 12)] = [
        gl_merge_request(3, merged_at="2026-02-03T09:00:00.000Z"),
        gl_merge_request(2, merged_at="2026-02-01T09:00:00.000Z"),
    ]
    fake_gl.commits[(PATH, 1)] = [
        gl_commit("a" * 40, "2026-01-31T12:00:00.000+01:00"),
        gl_commit("b" * 40, "2026-01-30T09:30:00.000Z"),
    ]
    fake_gl.commits[(PATH, 2)] = [gl_commit("c" * 40, "2026-02-01T07:00:00.000Z")]
    fake_gl.commits[(PATH, 3)] = [gl_commit("d" * 40, "2026-02-02T07:00:00.000Z")]
    return fake_gl


def test_every_mapping_rule_and_resync(gl_source, project, monkeypatch):
    monkeypatch.setattr("sources.tools.gitlab.PER_PAGE", 1)  # every list over several pages
    report = sync_source(gl_source, full=True)
    assert report.ok, report.error
    releases = {r.external_id: r for r in Release.objects.select_related("squad")}
    assert set(releases) == {f"gitlab:{PATH}:11", f"gitlab:{PATH}:12"}  # failed and staging ones are not
    r11, r12 = releases[f"gitlab:{PATH}:11"], releases[f"gitlab:{PATH}:12"]
    assert (r11.squad.slug, r11.version, r11.status, r11.released_at) == (
        "bravo",
        "v2.0.0",
        "succeeded",
        at("2026-02-01T10:05:00Z"),
    )
    assert r11.first_commit_at == at("2026-01-30T09:30:00Z")  # the earliest commit of its merge requests
    assert r12.first_commit_at == at("2026-02-02T07:00:00Z")

    changes = {c.external_id: c for c in Change.objects.select_related("release")}
    assert {k: (c.release.external_id, c.first_commit_at, c.merged_at) for k, c in changes.items()} == {
        f"gitlab:{PATH}!1": (f"gitlab:{PATH}:11", at("2026-01-30T09:30:00Z"), at("2026-02-01T08:00:00Z")),
        f"gitlab:{PATH}!2": (f"gitlab:{PATH}:11", at("2026-02-01T07:00:00Z"), at("2026-02-01T09:00:00Z")),
        f"gitlab:{PATH}!3": (f"gitlab:{PATH}:12", at("2026-02-02T07:00:00Z"), at("2026-02-03T09:00:00Z")),
    }
    assert changes[f"gitlab:{PATH}!1"].title == "Invoices in PDF"
    gl_source.refresh_from_db()
    assert gl_source.cursor["projects"][PATH] == "2026-02-03T10:07:00Z"

    again = sync_source(gl_source, full=True)
    assert (again.created, again.updated) == (0, 0)
    assert (Release.objects.count(), Change.objects.count()) == (2, 3)


def test_incremental_run_asks_only_for_newer_deployments(gl_source, project):
    sync_source(gl_source, full=True)
    project.deployments[PATH].append(gl_deployment(15, ref="v2.3.0", finished_at="2026-02-05T10:00:00.000Z"))
    project.merge_requests[(PATH, 15)] = [gl_merge_request(4, merged_at="2026-02-05T09:00:00.000Z")]
    project.commits[(PATH, 4)] = [gl_commit("e" * 40, "2026-02-05T08:00:00.000Z")]
    project.requests.clear()
    report = sync_source(gl_source)
    assert report.ok
    assert report.created == 2
    listing = [r for r in project.requests if r.path.endswith("/deployments")][0]
    assert listing.arg("finished_after") == "2026-02-03T10:06:59Z"
    assert listing.arg("order_by") == "finished_at"
    assert listing.arg("status") == "success"


def test_a_deployment_without_a_finished_job_is_skipped_with_the_reason(gl_source, fake_gl):
    fake_gl.deployments[PATH] = [gl_deployment(21, finished_at=None)]
    report = sync_source(gl_source, full=True)
    assert report.malformed == 1
    assert not Release.objects.exists()
    gl_source.refresh_from_db()
    assert gl_source.malformed_examples[0]["reason"] == "deployable.finished_at: missing"


def test_gitlab_rate_limit_headers_and_a_deployment_webhook(
    gl_source, project, monkeypatch, django_capture_on_commit_callbacks
):  # noqa: E501
    import json

    from django.test import Client

    waits: list[float] = []
    monkeypatch.setattr("sources.http.sleep", waits.append)
    monkeypatch.setattr("sources.http.now", lambda: 2_000_000.0)
    # GitLab's own headers: RateLimit-Remaining / RateLimit-Reset (epoch seconds)
    project.fault("/deployments", 429, headers={"RateLimit-Remaining": "0", "RateLimit-Reset": "2000012"})
    monkeypatch.setenv("GL_HOOK", "tok-123")
    gl_source.webhook_secret_env = "GL_HOOK"
    gl_source.save()
    body = json.dumps(
        {
            "object_kind": "deployment",
            "status": "success",
            "deployment_id": 12,
            "project": {"id": 3, "path_with_namespace": PATH},
        }
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/hooks/gl/",
            body,
            content_type="application/json",
            headers={"X-Gitlab-Token": "tok-123", "X-Gitlab-Event": "Deployment Hook"},
        )
    assert response.status_code == 202
    assert response.json() == {"accepted": [PATH]}
    assert waits == [12.0]
    assert Release.objects.count() == 2
    assert Change.objects.count() == 3
    assert (
        Client()
        .post("/hooks/gl/", body, content_type="application/json", headers={"X-Gitlab-Token": "wrong"})
        .status_code
        == 401
    )
