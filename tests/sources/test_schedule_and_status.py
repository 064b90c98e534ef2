"""The 15-minute schedule (one task per enabled source), one run per source at a time,
and the status page for ops and admins."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from sources import tasks
from sources.locks import source_lock
from sources.models import Source
from sources.sync import sync_source
from tests.sources.fake_pagerduty import pd_incident


def test_beat_runs_the_dispatcher_every_15_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sources-sync-all"]
    assert entry["task"] == "sources.sync_all"
    assert entry["schedule"].minute == {0, 15, 30, 45}
    assert entry["options"]["expires"] < 15 * 60
    assert "kpi-rollup-dirty" in django_settings.CELERY_BEAT_SCHEDULE  # the KPI entries stay


def test_the_dispatcher_enqueues_one_task_per_enabled_source(db, monkeypatch):
    a = Source.objects.create(name="a", kind="pagerduty", base_url="https://api.pagerduty.com")
    b = Source.objects.create(name="b", kind="jira", base_url="https://acme.atlassian.net")
    Source.objects.create(name="off", kind="github", base_url="https://api.github.com", enabled=False)
    sent: list[int] = []
    monkeypatch.setattr(tasks.sync_source_task, "delay", sent.append)
    assert tasks.sync_all_sources() == 2
    assert sorted(sent) == sorted([a.pk, b.pk])


def test_one_failing_source_does_not_stop_the_task_of_another(pd_source, fake_pd, waits):
    fake_pd.add(pd_incident("T1", created_at="2026-02-01T10:00:00Z"))
    broken = Source.objects.create(
        name="broken",
        kind="pagerduty",
        base_url="http://127.0.0.1:9",
        token_env="PD_TOKEN",
        squads={"PSVC001": "alpha"},
    )
    assert "FAILED" in tasks.sync_source_task.run(broken.pk)
    assert tasks.sync_source_task.run(pd_source.pk).startswith("1 created")
    broken.refresh_from_db()
    assert broken.failing
    assert "cannot reach the tool" in broken.last_error


@pytest.mark.django_db(transaction=True)
def test_a_run_in_progress_makes_another_step_aside(pd_source, fake_pd, waits):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks: PostgreSQL")
    import threading

    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        from django.db import connection as thread_connection

        with source_lock(pd_source.pk) as taken:
            assert taken
            held.set()
            done.wait(10)
        thread_connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(10)
        assert tasks.sync_source_task.run(pd_source.pk) == "busy"
        with pytest.raises(tasks.SourceBusy):
            tasks.sync_source_items.run(pd_source.pk, ["X"])
    finally:
        done.set()
        thread.join()
    assert fake_pd.requests == []


def test_status_page_for_ops_and_admins_shows_what_to_map_next(pd_source, fake_pd, waits, users, client_for):
    fake_pd.add(
        *[
            pd_incident(f"U{i}", service="PUNMAPPED", created_at=f"2026-02-0{i + 1}T10:00:00Z", title=f"disk full {i}")
            for i in range(3)
        ]
    )
    fake_pd.add(pd_incident("OK1", created_at="2026-02-05T10:00:00Z"))
    sync_source(pd_source, full=True)
    for role in ("ops", "admin"):
        page = client_for(users[role]).get("/sources/")
        assert page.status_code == 200, role
        html = page.content.decode()
        assert "<code>PUNMAPPED</code>: 3" in html
        assert "U0 disk full 0" in html
        assert "1 created, 0 updated, 0 unchanged,\n      3 unmapped" in html
    for role in ("viewer", "pm"):
        assert client_for(users[role]).get("/sources/").status_code == 403, role


def test_seed_demo_adds_disabled_example_sources(db, client_for):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tests.metrics.demo.test_seed_demo import SMALL

    call_command("seed_demo", *SMALL, stdout=io.StringIO())
    demo = list(Source.objects.order_by("name").values_list("name", "kind", "enabled"))
    assert demo == [
        ("demo-github", "github", False),
        ("demo-gitlab", "gitlab", False),
        ("demo-jira", "jira", False),
        ("demo-pagerduty", "pagerduty", False),
    ]
    assert all(".invalid" in s.base_url for s in Source.objects.all())
    page = client_for(get_user_model().objects.get(username="ops")).get("/sources/").content.decode()
    assert "demo-github" in page
    assert "never run" in page


def test_navigation_links_the_status_page_only_for_those_who_may_open_it(users, client_for) -> None:
    for role, sees in {"viewer": False, "pm": False, "ops": True, "admin": True}.items():
        page = client_for(users[role]).get("/reviews/")
        assert page.status_code == 200
        assert ('href="/sources/"' in page.content.decode()) is sees, role
