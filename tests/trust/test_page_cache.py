"""The page cache cannot be filled from the query string, and lives apart from the broker
(issue 15, defect 4, cache part)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db


def page_key(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page_cache_key"]


@pytest.mark.parametrize("path", ["/", "/squads/alpha/", "/metrics/incidents/", "/time/", "/customers/"])
def test_junk_and_invalid_parameters_share_the_cache_entry_of_the_validated_controls(client_for, users, path):
    client = client_for(users["viewer"])
    base = f"{path}?grain=month&from=2025-01-01&to=2025-06-30"
    keys = {page_key(client, f"{base}&junk={n}") for n in range(5)}
    keys.add(page_key(client, base))
    keys.add(page_key(client, f"{base}&grain=month&grain=month"))
    assert len(keys) == 1
    # A value that falls back to the default is the default's entry.
    assert page_key(client, f"{path}?grain=fortnight") == page_key(client, f"{path}?grain=month")
    # A real control still changes the key.
    assert page_key(client, f"{path}?grain=quarter&from=2025-01-01&to=2025-06-30") not in keys


def test_overview_sort_options_are_validated_before_keying(client_for, users):
    client = client_for(users["viewer"])
    assert page_key(client, "/?sort=<junk>") == page_key(client, "/?sort=nonsense") == page_key(client, "/")
    assert page_key(client, "/?sort=incidents") != page_key(client, "/")


SHOW_CACHES = "from django.conf import settings; print(settings.CACHES['template_fragments']['LOCATION'] or '-')"


def test_page_fragments_use_their_own_bounded_redis_not_the_broker() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"PAGE_CACHE_URL", "DJANGO_ENV"}}
    env.update(
        {
            "CACHE_URL": "redis://redis:6379/1",
            "PAGE_CACHE_URL": "redis://cache:6379/0",
            "CELERY_BROKER_URL": "redis://redis:6379/0",
        }
    )
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SHOW_CACHES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.stdout.split()[-1] == "redis://cache:6379/0", shown.stderr
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    cache = compose["services"]["cache"]
    command = " ".join(cache["command"])
    assert "--maxmemory " in command
    assert "--maxmemory-policy allkeys-lru" in command
    broker = " ".join(compose["services"]["redis"]["command"])
    assert "noeviction" in broker  # queued tasks are never evicted to make room for pages
    example = (ROOT / ".env.example").read_text()
    assert "PAGE_CACHE_URL=redis://cache:6379/0" in example
