"""With a shared page cache (DASHBOARD_SHELL_CACHE), a warm dashboard page reads its layout — areas,
squads, targets, baseline, last rollup — from the cache: few queries, as many for 20 squads as for
5, and a change to any of them shows on the very next page (dashboards/shell.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.utils import timezone

from metrics.kpis.models import RollupRun
from metrics.models import Target
from tests.dashboards.test_query_counts import RANGE, add_squads

WARM_PAGES = ["/", "/squads/squad-00/", "/metrics/change_failure_rate/"]


@pytest.fixture
def shell_cached(settings):
    settings.DASHBOARD_SHELL_CACHE = True
    settings.KPI_ROLLUP_ON_COMMIT = False  # the on-commit callbacks run here: only the shell's bumps matter
    for cache in caches.all():
        cache.clear()


def warm(client, url: str, django_assert_max_num_queries) -> int:
    full = f"{url}?{RANGE}"
    assert client.get(full).status_code == 200  # builds the body and the shell, caches both
    # the session and the user, the viewer's groups (navigation) and, on a squad page, the squad
    with django_assert_max_num_queries(4) as ctx:
        assert client.get(full).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_warm_pages_need_few_queries_whatever_the_squads(
    shell_cached, client_for, users, django_assert_max_num_queries, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        add_squads(0, 5)
    client = client_for(users["viewer"])
    with_5 = {url: warm(client, url, django_assert_max_num_queries) for url in WARM_PAGES}
    with django_capture_on_commit_callbacks(execute=True):
        add_squads(5, 20)
    with_20 = {url: warm(client, url, django_assert_max_num_queries) for url in WARM_PAGES}
    assert with_20 == with_5
    # the cached navigation followed the new squads (20 in all, plus alpha, the PM's squad)
    html = client.get(f"/?{RANGE}").content.decode()
    assert html.count('<th class="sticky"><a href="/squads/') == 20 + 1
    assert all(f'href="/squads/squad-{i:02d}/' in html for i in range(20))


@pytest.mark.django_db
def test_a_new_rollup_and_an_edited_target_show_on_the_next_page(
    shell_cached, client_for, users, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        add_squads(0, 3)
    client = client_for(users["viewer"])
    url = f"/metrics/change_failure_rate/?{RANGE}"
    assert "≤ 37.5 %" not in client.get(url).content.decode()
    finished = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        Target.objects.create(metric="change_failure_rate", value=37.5)
        RollupRun.objects.create(
            kind="incremental", status="succeeded", started_at=finished - dt.timedelta(seconds=5), finished_at=finished
        )
    html = client.get(url).content.decode()
    assert "≤ 37.5 %" in html
    assert f"KPIs computed {finished:%Y-%m-%d %H:%M} UTC" in html
