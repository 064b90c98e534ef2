"""Sources as configuration: load_sources from TOML, secrets encrypted and never shown, audit."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditEvent
from sources.models import Source

TOML = b"""
[[source]]
name = "gh-main"
kind = "github"
base_url = "https://api.github.com"
token_env = "GITHUB_TOKEN"
webhook_secret_env = "GH_HOOK_SECRET"
since = "2025-01-01"
[source.squads]
"acme/checkout-web" = "checkout"

[[source]]
name = "jira-cloud"
kind = "jira"
base_url = "https://acme.atlassian.net"
token_env = "JIRA_TOKEN"
user_env = "JIRA_USER"
jql = "issuetype in (Bug, Defect)"
[source.squads]
PAY = "payments"
"""


def _write(tmp_path, data: bytes) -> str:
    path = tmp_path / "sources.toml"
    path.write_bytes(data)
    return str(path)


def test_load_sources_creates_then_changes_nothing(db, tmp_path):
    path = _write(tmp_path, TOML)
    out = io.StringIO()
    call_command("load_sources", path, stdout=out)
    assert out.getvalue().strip() == "2 created, 0 updated, 0 unchanged"
    gh = Source.objects.get(name="gh-main")
    assert (gh.kind, gh.base_url, gh.token_env, gh.since) == (
        "github",
        "https://api.github.com",
        "GITHUB_TOKEN",
        dt.date(2025, 1, 1),
    )
    assert gh.squads == {"acme/checkout-web": "checkout"}
    assert gh.effective_environment == "production"
    jira = Source.objects.get(name="jira-cloud")
    assert (jira.effective_jql, jira.effective_customer_label, jira.user_env) == (
        "issuetype in (Bug, Defect)",
        "customer",
        "JIRA_USER",
    )
    events = AuditEvent.objects.count()

    out = io.StringIO()
    call_command("load_sources", path, stdout=out)
    assert out.getvalue().strip() == "0 created, 0 updated, 2 unchanged"
    assert AuditEvent.objects.count() == events  # nothing changed, nothing audited

    call_command(
        "load_sources", _write(tmp_path, TOML.replace(b'PAY = "payments"', b'PAY = "billing"')), stdout=io.StringIO()
    )
    assert Source.objects.get(name="jira-cloud").squads == {"PAY": "billing"}
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert event.changes == {"squads": [{"PAY": "payments"}, {"PAY": "billing"}]}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            b'[[source]]\nname = "Bad Name"\nkind = "github"\nbase_url = "https://x.example"',
            "source[1] (Bad Name): name: lower-case letters, digits and - only",
        ),
        (
            b'[[source]]\nname = "a"\nkind = "svn"\nbase_url = "https://x.example"',
            "source[1] (a): kind: must be one of github, gitlab, jira, pagerduty",
        ),
        (
            b'[[source]]\nname = "a"\nkind = "github"\nbase_url = "https://x.example"\ntoken = "ghp_secret"',
            "source[1] (a): token: a file never holds a secret; name a variable with token_env",
        ),
        (
            b'[[source]]\nname = "a"\nkind = "pagerduty"\nbase_url = "https://x.example"\njql = "x"',
            "source[1] (a): jql: unknown key for a pagerduty source",
        ),
        (
            b'[[source]]\nname = "a"\nkind = "github"\nbase_url = "not a url"',
            "source[1] (a): base_url: Enter a valid URL.",
        ),
        (b"[[source]\n", "not valid TOML"),
    ],
)
def test_load_sources_refuses_a_bad_file_and_writes_nothing(db, tmp_path, capsys, text, error):
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_sources", _write(tmp_path, text))
    assert error in capsys.readouterr().err
    assert not Source.objects.exists()


SECRET = "ghp_TopSecretValue123"


def test_a_token_entered_in_the_admin_is_encrypted_never_shown_nor_audited(users, client_for):
    client = client_for(users["admin"])
    response = client.post(
        "/admin/sources/source/add/",
        {
            "name": "gh",
            "kind": "github",
            "enabled": "on",
            "base_url": "https://ghe.example.com/api/v3",
            "squads": '{"acme/web": "alpha"}',
            "token": SECRET,
            "webhook_secret": "hook-secret-xyz",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Source.objects.get(name="gh")
    assert source.token() == SECRET
    assert source.webhook_secret() == "hook-secret-xyz"
    with connection.cursor() as cursor:
        cursor.execute("SELECT token_encrypted, webhook_secret_encrypted FROM sources_source")
        stored = " ".join(cursor.fetchone())
    assert SECRET not in stored
    assert "hook-secret-xyz" not in stored

    page = client.get(f"/admin/sources/source/{source.pk}/change/").content.decode()
    assert SECRET not in page
    assert source.token_encrypted not in page
    assert "yes (encrypted)" in page

    # Saving the form again without typing the token keeps it.
    client.post(
        f"/admin/sources/source/{source.pk}/change/",
        {
            "name": "gh",
            "kind": "github",
            "enabled": "on",
            "base_url": "https://ghe.example.com/api/v3",
            "squads": '{"acme/web": "bravo"}',
        },
    )
    source.refresh_from_db()
    assert source.token() == SECRET
    assert source.squads == {"acme/web": "bravo"}

    trail = " ".join(str(e.changes) + str(e.extra) for e in AuditEvent.objects.filter(model_label="sources.source"))
    assert SECRET not in trail
    assert source.token_encrypted not in trail
    assert "hook-secret-xyz" not in trail
    # the trail says a token and a webhook secret were stored (a fingerprint of the ciphertext), nothing more
    created = AuditEvent.objects.get(model_label="sources.source", action="create")
    assert created.changes["token_encrypted"][1].startswith("stored #")
    assert created.changes["webhook_secret_encrypted"][1].startswith("stored #")


def test_only_admins_edit_sources(users, client_for):
    from tests.factories import UserFactory

    assert client_for(users["viewer"]).get("/admin/sources/source/").status_code == 302  # no admin site at all
    for role in ("pm", "ops"):
        assert client_for(users[role]).get("/admin/sources/source/").status_code == 403, role
    role_admin = UserFactory(username="role_admin", role="admin")  # the role group, not a superuser
    assert client_for(role_admin).get("/admin/sources/source/").status_code == 200
    assert client_for(role_admin).get("/admin/sources/source/add/").status_code == 200
