"""Forwarded headers count only from the trusted proxy (issue 15, defects 2 and 10).

Behind the TLS proxy every request arrives from the proxy's address. The lockout must see
the real client (from the proxy's X-Forwarded-For), a direct client must not be able to
claim HTTPS or another address with its own headers, and many failures from one address
slow that address down instead of locking real users out.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client, override_settings

from audit import lockout
from audit.context import client_ip
from audit.models import AuditEvent

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "pw-for-tests-only"
PROXY = "10.0.0.2"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_behind_proxy")]


@pytest.fixture
def _behind_proxy():
    with override_settings(TRUSTED_PROXIES=["127.0.0.1", "::1", f"{PROXY}/32"]):
        yield


def via_proxy(client_address: str) -> Client:
    """A client whose requests come through the proxy, which appends the client's address."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def sign_in(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_random_usernames_from_one_attacker_do_not_lock_out_others_behind_the_proxy(users):
    attacker = via_proxy("198.51.100.7")
    for n in range(lockout.IP_FAILURE_LIMIT + 5):
        sign_in(attacker, f"random{n}", "wrong")
    # The admin signs in through the same proxy from elsewhere: not locked out.
    assert sign_in(via_proxy("203.0.113.20"), "admin", PASSWORD).status_code == 302
    # The failures were recorded under the attacker's address, not the proxy's.
    assert set(AuditEvent.objects.filter(action="login_failed").values_list("ip", flat=True)) == {"198.51.100.7"}


def test_the_address_rule_slows_the_address_instead_of_locking_it(users, monkeypatch):
    monkeypatch.setattr(lockout, "IP_THROTTLE_SECONDS", 1)
    office = via_proxy("198.51.100.8")
    for n in range(lockout.IP_FAILURE_LIMIT):
        assert lockout.THROTTLE_MESSAGE not in sign_in(office, f"random{n}", "wrong").content.decode()
    # Straight after the limit the address must wait...
    response = sign_in(office, "viewer", PASSWORD)
    assert response.status_code == 200
    assert lockout.THROTTLE_MESSAGE in response.content.decode()
    # ...for seconds, not 15 minutes: a real user behind it then signs in.
    import time

    time.sleep(1.1)
    assert sign_in(office, "viewer", PASSWORD).status_code == 302
    # Each further failure restarts the wait: a spraying attacker gets one try per interval.
    sign_in(office, "random-late", "wrong")
    assert lockout.THROTTLE_MESSAGE in sign_in(office, "viewer", PASSWORD).content.decode()


def test_a_direct_client_cannot_choose_its_address_with_x_forwarded_for(users):
    spoofer = Client(REMOTE_ADDR="198.51.100.9")
    for n in range(lockout.IP_FAILURE_LIMIT):
        sign_in(spoofer, f"random{n}", "wrong")
        spoofer.defaults["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{n + 1}"  # a new "address" every time
    assert lockout.THROTTLE_MESSAGE in sign_in(spoofer, "viewer", PASSWORD).content.decode()


def test_client_ip_takes_the_rightmost_untrusted_hop_only_from_a_trusted_peer(rf):
    def ip(remote: str, xff: str | None = None) -> str | None:
        extra = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
        return client_ip(rf.get("/", REMOTE_ADDR=remote, **extra))

    assert ip(PROXY, "1.2.3.4, 198.51.100.7") == "198.51.100.7"  # the left entry is the client's own claim
    assert ip(PROXY, f"198.51.100.7, {PROXY}") == "198.51.100.7"
    assert ip(PROXY) == PROXY
    assert ip(PROXY, "not-an-address") == PROXY
    assert ip("198.51.100.9", "1.2.3.4") == "198.51.100.9"


PROBE = """
from django.test import Client
direct = Client(HTTP_HOST="example.com", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_PROTO="https")
proxied = Client(HTTP_HOST="example.com", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https")
r = direct.get("/")
print(r.status_code, r["Location"], proxied.get("/").status_code)
"""


def test_a_direct_client_cannot_skip_the_https_redirect_with_x_forwarded_proto() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_FORMAT", "SECURE_SSL_REDIRECT"}}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DJANGO_ENV": "production",
            "ALLOWED_HOSTS": "example.com",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "TRUSTED_PROXIES": "10.0.0.2",
            "LOG_LEVEL": "WARNING",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["301", "https://example.com/", "302"]


def test_gunicorn_and_compose_trust_only_the_proxy() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    published = compose["services"]["web"]["ports"]
    # The web port is published on loopback by default: the proxy on the host reaches it, the world does not.
    assert all(str(p).startswith("${WEB_PUBLISH_ADDRESS:-127.0.0.1}:") for p in published), published
    env = {k: v for k, v in os.environ.items() if k not in {"FORWARDED_ALLOW_IPS", "TRUSTED_PROXIES"}}
    code = "import runpy; print(runpy.run_path('docker/gunicorn.conf.py')['forwarded_allow_ips'])"
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert shown.stdout.strip() == "127.0.0.1,::1", shown.stderr
    env["TRUSTED_PROXIES"] = "172.18.0.1"
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert shown.stdout.strip() == "172.18.0.1"
    assert "FORWARDED_ALLOW_IPS=*" not in (ROOT / ".env.example").read_text()
