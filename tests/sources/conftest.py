from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from sources.models import Source
from tests.sources.fake_jira import FakeJira
from tests.sources.fake_pagerduty import FakePagerDuty


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch, settings) -> list[float]:
    """Every sleep the HTTP layer asks for (backoff, rate limits), without sleeping."""
    settings.SOURCES_HTTP = {"timeout": 5.0, "retries": 2, "backoff": 0.5, "max_wait": 60.0}
    slept: list[float] = []
    monkeypatch.setattr("sources.http.sleep", slept.append)
    return slept


@pytest.fixture
def fake_pd() -> Iterator[FakePagerDuty]:
    fake = FakePagerDuty()
    yield fake
    fake.close()


@pytest.fixture
def fake_jira() -> Iterator[FakeJira]:
    fake = FakeJira()
    yield fake
    fake.close()


@pytest.fixture
def pd_source(db, fake_pd, monkeypatch, squad_a, squad_b):
    monkeypatch.setenv("PD_TOKEN", "pd-token")
    return Source.objects.create(
        name="pd",
        kind="pagerduty",
        base_url=fake_pd.url,
        token_env="PD_TOKEN",
        since=dt.date(2026, 1, 1),
        squads={"PSVC001": "alpha", "PSVC002": "bravo"},
    )


@pytest.fixture
def jira_source(db, fake_jira, monkeypatch, squad_a, squad_b):
    monkeypatch.setenv("JIRA_TOKEN", "jira-token")
    monkeypatch.setenv("JIRA_USER", "bot@example.com")
    return Source.objects.create(
        name="jira",
        kind="jira",
        base_url=fake_jira.url,
        token_env="JIRA_TOKEN",
        user_env="JIRA_USER",
        since=dt.date(2026, 1, 1),
        squads={"PAY": "alpha", "GRO": "bravo"},
    )
