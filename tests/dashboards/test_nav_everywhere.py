"""The bets, reviews, alerts and sources pages carry the same navigation menus as the dashboards."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/bets/", "/reviews/", "/alerts/", "/sources/"])
def test_menus_list_areas_squads_and_metrics(path, users, client_for, squad_a, squad_b) -> None:
    page = client_for(users["ops"]).get(path)
    assert page.status_code == 200
    html = page.content.decode()
    for summary in ("Areas", "Squads", "Metrics"):
        assert f"<summary>{summary}</summary>" in html
    # outside the dashboards there are no controls to carry: plain links, no dangling "?"
    assert f'href="/areas/{squad_b.area.slug}/"' in html
    assert f'href="/squads/{squad_a.slug}/"' in html
    assert f'href="/squads/{squad_b.slug}/"' in html
    assert 'href="/metrics/change_failure_rate/"' in html
    assert '?"' not in html


def test_a_pm_finds_their_squad_from_the_bets_page(users, client_for, squad_a) -> None:
    html = client_for(users["pm"]).get("/bets/").content.decode()
    assert f'<a class="mine" href="/squads/{squad_a.slug}/">My squad</a>' in html
    viewer_html = client_for(users["viewer"]).get("/bets/").content.decode()
    assert "My squad" not in viewer_html
