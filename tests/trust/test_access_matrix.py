"""Walks EVERY URL pattern of the URLconf for every role and method and checks
each answer against the one access map (`access_map.py`), plus squad-move
checks on the API. Prints the totals; fails listing every mismatch."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from rest_framework.authtoken.models import Token

from audit.models import AuditEvent
from bets.models import Bet
from bets.services import TargetInput, create_bet
from metrics.models import Baseline, KpiSnapshot, Release, RollupRun, Target
from sources.models import Source
from tests.factories import (
    ChangeFactory,
    CustomerResponseFactory,
    DefectFactory,
    IncidentFactory,
    ReleaseFactory,
    SurveyFactory,
    TimeAllocationFactory,
)
from tests.trust import access_map as amap

pytestmark = pytest.mark.django_db
UTC = dt.UTC
WRITES = ("create", "update", "delete")
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


@dataclass
class Endpoint:
    route: str
    name: str | None
    params: list[str]
    callback: Any


def walk(resolver: URLResolver | None = None, prefix: str = "", ns: tuple[str, ...] = ()) -> list[Endpoint]:
    """Every leaf pattern of the URLconf, with its namespaced name and parameter names."""
    resolver = resolver or get_resolver()
    found: list[Endpoint] = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += walk(pattern, route, ns + ((pattern.namespace,) if pattern.namespace else ()))
        elif isinstance(pattern, URLPattern):
            params = list(dict.fromkeys(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)))
            names = [a or b for a, b in params]
            name = ":".join((*ns, pattern.name)) if pattern.name else None
            found.append(Endpoint(route, name, names, pattern.callback))
    return found


@dataclass
class World:
    """Real objects whose keys fill the URL parameters."""

    own: dict[str, Any] = field(default_factory=dict)  # model label → object of squad A (the PM's)
    other: dict[str, Any] = field(default_factory=dict)  # model label → object of squad B


def build_world(squad_a: Any, squad_b: Any) -> World:
    world = World()
    for squad, side in ((squad_a, world.own), (squad_b, world.other)):
        side["metrics.release"] = ReleaseFactory(squad=squad, external_id=f"matrix-rel-{squad.slug}")
        side["metrics.change"] = ChangeFactory(release=side["metrics.release"])
        side["metrics.incident"] = IncidentFactory(squad=squad)
        side["metrics.defect"] = DefectFactory(squad=squad)
        side["metrics.timeallocation"] = TimeAllocationFactory(squad=squad)
    world.own["metrics.customerresponse"] = CustomerResponseFactory(squad=squad_a)
    for squad, side in ((squad_a, world.own), (squad_b, world.other)):
        side["bets.bet"] = create_bet(
            user=None,
            title=f"bet on {squad.slug}",
            hypothesis="h",
            kind="experiment",
            treatment_squads=[squad.slug],
            start=dt.date(2026, 3, 4),
            targets=[TargetInput("releases", "higher")],
        )
    SurveyFactory()
    Target.objects.create(metric="nps", squad=None, value=30)
    Baseline.objects.create(name="FY25", start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    KpiSnapshot.objects.create(
        metric="releases",
        scope="org",
        grain="month",
        period_start=dt.date(2026, 3, 1),
        value=1,
        sample_size=1,
        computed_at=dt.datetime(2026, 3, 10, tzinfo=UTC),
    )
    RollupRun.objects.create(kind="full", status="succeeded", started_at=dt.datetime(2026, 3, 10, tzinfo=UTC))
    Source.objects.create(name="matrix", kind="pagerduty", base_url="https://api.pagerduty.com", enabled=False)
    for user in get_user_model().objects.all():
        Token.objects.get_or_create(user=user)
    return world


def object_for(model_label: str, world: World, side: str | None) -> Any:
    if side == "other" and model_label in world.other:
        return world.other[model_label]
    if model_label in world.own:
        return world.own[model_label]
    app, model = model_label.split(".")
    ct = ContentType.objects.get_by_natural_key(app, model)
    return ct.model_class()._default_manager.order_by("pk").first()


ADMIN_MODEL_NAMES = {
    f"admin:{m._meta.app_label}_{m._meta.model_name}": m._meta.label_lower for m in admin.site._registry
}


def admin_model_of(endpoint: Endpoint) -> tuple[str, str] | None:
    """('metrics.release', 'change') for 'admin:metrics_release_change'; unnamed
    'admin/<app>/<model>/<path:object_id>/' is the redirect to the change page."""
    name = endpoint.name or ""
    for prefix, label in ADMIN_MODEL_NAMES.items():
        if name.startswith(prefix + "_"):
            return label, name[len(prefix) + 1 :]
    match = re.fullmatch(r"admin/(\w+)/(\w+)/<path:object_id>/", endpoint.route)
    if match and f"{match[1]}.{match[2]}" in ADMIN_MODEL_NAMES.values():
        return f"{match[1]}.{match[2]}", "redirect"
    return None


def api_model_of(endpoint: Endpoint) -> str | None:
    cls = getattr(endpoint.callback, "cls", None)
    queryset = getattr(cls, "queryset", None)
    return queryset.model._meta.label_lower if queryset is not None else None


def fill(endpoint: Endpoint, model_label: str | None, obj: Any) -> dict[str, Any] | None:
    """Values for the URL parameters, from real objects."""
    kwargs: dict[str, Any] = {}
    cls = getattr(endpoint.callback, "cls", None)
    for param in endpoint.params:
        if param == "format":
            kwargs[param] = "json"
        elif param == "pk" and endpoint.route.startswith("bets/"):
            kwargs[param] = Bet.objects.order_by("pk").values_list("pk", flat=True).first()  # the bet pages
        elif param in {"object_id", "pk"}:
            if obj is None:
                return None
            kwargs[param] = obj.pk
        elif cls is not None and param == getattr(cls, "lookup_field", None):
            kwargs[param] = getattr(obj, param)
        elif param == "app_label":
            kwargs[param] = model_label.split(".")[0] if model_label else "metrics"
        elif param == "content_type_id":
            kwargs[param] = ContentType.objects.get_for_model(Release).pk
        elif param == "code":
            kwargs[param] = "nps"
        elif param == "kind":
            kwargs[param] = "releases"
        elif param == "key":
            if obj is None:
                return None
            kwargs[param] = obj.external_id
        elif param == "slug":
            kwargs[param] = "payments" if "area" in endpoint.route else "alpha"
        elif param == "url":
            kwargs[param] = "no-such-page/"  # the admin's catch-all
        else:
            kwargs[param] = getattr(obj, param, "x") if obj is not None else "x"
    return kwargs


API_PAYLOADS = {
    "metrics.release": lambda sq: {
        "squad": sq,
        "version": "9.9.9",
        "released_at": "2026-03-09T10:00:00Z",
        "status": "succeeded",
    },
    "metrics.change": lambda sq: {
        "release": f"matrix-rel-{sq}",
        "first_commit_at": "2026-03-01T10:00:00Z",
        "title": "matrix",
    },
    "metrics.incident": lambda sq: {
        "squad": sq,
        "severity": 2,
        "started_at": "2026-03-09T10:00:00Z",
        "resolved_at": "2026-03-09T11:00:00Z",
        "customer_impact": False,
        "title": "matrix",
    },
    "metrics.defect": lambda sq: {
        "squad": sq,
        "severity": 3,
        "found_at": "2026-03-09T10:00:00Z",
        "found_in": "testing",
        "found_by": "internal",
        "title": "matrix",
    },
    "metrics.customerresponse": lambda sq: {
        "survey": "nps-2026",
        "submitted_at": "2026-03-09T10:00:00Z",
        "account": "Acme",
        "squad": sq,
        "nps_score": 8,
    },
    "metrics.timeallocation": lambda sq: {
        "survey": "time-2026",
        "squad": sq,
        "month": "2026-03",
        "headcount": 2,
        "pct_features": 50,
        "pct_quality": 10,
        "pct_support": 20,
        "pct_onboarding": 5,
        "pct_ktlo": 10,
        "pct_other": 5,
    },
    "squads.squad": lambda sq: {
        "name": "Matrix",
        "area": "payments",
        "monthly_cost_per_head": "100.00",
        "active": True,
    },
    "bets.bet": lambda sq: {
        "title": "Matrix",
        "hypothesis": "h",
        "kind": "experiment",
        "treatment_squads": [sq],
        "start": "2026-03-04",
        "targets": [{"metric": "releases", "direction": "higher"}],
    },
}


def api_payload(model_label: str, squad_slug: str) -> dict[str, Any]:
    body = API_PAYLOADS[model_label](squad_slug)
    body["slug" if model_label == "squads.squad" else "external_id"] = f"m-{uuid.uuid4().hex[:10]}"
    return body


def outcome(response: Any) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (301, 302) and "login" in response.get("Location", ""):
        return amap.LOGIN
    if status in (401, 403):
        return amap.DENY
    if status in (404, 405):
        return "absent"
    return amap.ALLOW


def accepts(expected: str, got: str) -> bool:
    if got == "error":
        return False
    return {
        amap.ALLOW: got == amap.ALLOW,
        amap.DENY: got == amap.DENY,
        amap.LOGIN: got == amap.LOGIN,
        amap.NOT_OFFERED: got in {"absent", amap.DENY},
        amap.ANY: True,
        amap.READ_ONLY: True,  # and no write: checked in Run.request
    }[expected]


@dataclass
class Run:
    clients: dict[str, Client]
    users: dict[str, Any]
    results: Counter = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)
    endpoints: set[str] = field(default_factory=set)
    inline_scripts: list[str] = field(default_factory=list)
    seconds: Counter = field(default_factory=Counter)
    written: list[int] = field(default_factory=list)  # pks of write events created during one request

    def __post_init__(self) -> None:
        # Every audit event is created through the ORM (audit.services.record), so post_save sees
        # each write event; this spares two COUNT queries on each of the ~6,000 requests.
        post_save.connect(self._audited, sender=AuditEvent, dispatch_uid="access-matrix-writes")

    def close(self) -> None:
        post_save.disconnect(sender=AuditEvent, dispatch_uid="access-matrix-writes")

    def _audited(self, sender: Any, instance: AuditEvent, created: bool, **kwargs: Any) -> None:
        if created and instance.action in WRITES:
            self.written.append(instance.pk)

    def wrote(self) -> bool:
        """A write event was created during the request and is still there (not rolled back)."""
        return bool(self.written) and AuditEvent.objects.filter(pk__in=self.written).exists()

    def request(self, role: str, method: str, url: str, expected: str, body: Any = None, note: str = "") -> None:
        client = self.clients[role]
        started = time.perf_counter()
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs = {"data": body, "content_type": "application/json"}
        self.written.clear()
        response = getattr(client, method.lower())(url, **kwargs)
        got = outcome(response)
        if expected != amap.ALLOW and self.wrote():
            self.mismatches.append(f"{role:9} {method:6} {url} {note}: expected no write, but a record changed")
        self.results[(role, method)] += 1
        if not accepts(expected, got):
            self.mismatches.append(f"{role:9} {method:6} {url} {note}: expected {expected}, got {response.status_code}")
        ctype = response.get("Content-Type", "")
        html = method == "GET" and ctype.startswith("text/html") and response.status_code == 200
        if html and INLINE_SCRIPT.search(response.content.decode()):
            self.inline_scripts.append(url)
        self.seconds[url.split("?")[0]] += time.perf_counter() - started
        if "logout" in url and role != "anonymous":
            client.force_login(self.users[role])  # signing out must not end the walk for this role


@pytest.mark.slow
def test_every_url_for_every_role_and_method_matches_the_access_map(users, squad_a, squad_b, capsys):
    world = build_world(squad_a, squad_b)
    AuditEvent.objects.create(action="import", username="seed")
    clients = {"anonymous": Client()}
    for role in ("viewer", "pm", "ops", "admin"):
        clients[role] = Client()
        clients[role].force_login(users[role])
    run = Run(clients, users)
    try:
        _walk_every_endpoint(run, world, capsys)
    finally:
        run.close()


def _walk_every_endpoint(run: Run, world: World, capsys: Any) -> None:
    skipped: list[str] = []

    for endpoint in walk():
        route = endpoint.route
        if route.startswith("^static") or route.startswith("static/"):
            continue
        if route.startswith("admin/"):
            target = admin_model_of(endpoint)
            sides = [None]
            if target and target[0] in amap.OWN_SQUAD_MODELS and ("object_id" in endpoint.params):
                sides = ["own", "other"]
            for side in sides:
                obj = object_for(target[0], world, side) if target else world.own["metrics.release"]
                kwargs = fill(endpoint, target[0] if target else None, obj)
                url = _reverse(endpoint, kwargs, skipped)
                if url is None:
                    continue
                run.endpoints.add(f"{endpoint.name}:{side}")
                for role in amap.ROLES:
                    for method in amap.METHODS:
                        if target:
                            label, view = target
                            if view not in amap.ADMIN_VIEWS:
                                skipped.append(f"{endpoint.name}: unknown admin view {view!r}")
                                continue
                            expected = amap.expect_admin_model(role, method, label, view, side)
                        else:
                            expected = amap.expect_admin_site(role, method, endpoint.name or "admin:catch_all")
                        run.request(role, method, url, expected, note=side or "")
        elif route.startswith("api/"):
            label = api_model_of(endpoint)
            name = endpoint.name or ""
            kind = "detail" if name.endswith("-detail") else "list" if (label and name.endswith("-list")) else "other"
            sides = ["own", "other"] if (kind == "detail" and label in amap.OWN_SQUAD_MODELS) else [None]
            for side in sides:
                obj = object_for(label, world, side) if (label and kind == "detail") else None
                kwargs = fill(endpoint, label, obj)
                url = _reverse(endpoint, kwargs, skipped)
                if url is None:
                    continue
                run.endpoints.add(f"{endpoint.name}:{side}:{sorted(kwargs or {})}")
                for role in amap.ROLES:
                    for method in amap.METHODS:
                        body = _api_body(run, label, kind, method, obj, url)
                        expected = amap.expect_api(role, method, kind, label, side or "own")
                        run.request(role, method, url, expected, body=body, note=side or "")
                        if kind == "list" and method == "POST" and label in amap.OWN_SQUAD_MODELS:
                            # the same POST naming the other squad (B): only unrestricted roles may
                            other = amap.expect_api(role, method, kind, label, "other")
                            run.request(role, method, url, other, body=api_payload(label, "bravo"), note="squad B")
        elif route.startswith(("hooks/", "sources/")):
            url = _reverse(endpoint, {"name": "no-such-source"} if "name" in endpoint.params else {}, skipped)
            if url is None:
                continue
            run.endpoints.add(endpoint.name or route)
            expect = amap.expect_hook if route.startswith("hooks/") else amap.expect_sources_page
            for role in amap.ROLES:
                for method in amap.METHODS:
                    run.request(role, method, url, expect(role, method))
        elif route.startswith(("login/", "logout/", "oidc/", "healthz", "readyz", "favicon.ico")):  # public
            url = _reverse(endpoint, fill(endpoint, None, None), skipped)
            if url is None:
                continue
            run.endpoints.add(endpoint.name or route)
            for role in amap.ROLES:
                for method in amap.METHODS:
                    run.request(role, method, url, amap.ANY)
        else:
            # a page about one record (the read-only record view) is filled from a real release
            record = world.own["metrics.release"] if "key" in endpoint.params else None
            url = _reverse(endpoint, fill(endpoint, None, record), skipped)
            if url is None:
                continue
            run.endpoints.add(endpoint.name or route)
            for role in amap.ROLES:
                for method in amap.METHODS:
                    run.request(role, method, url, amap.expect_page(role, method))

    moves = _squad_moves(run, world) + _admin_squad_scope(run, world)
    total = sum(run.results.values())
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(run.endpoints)} endpoints × {len(amap.ROLES)} roles × {len(amap.METHODS)} methods"
            f" → {total} requests checked (+{moves} squad-move checks); skipped: {len(set(skipped))}"
        )
        print("  slowest:", [(u, round(t, 1)) for u, t in run.seconds.most_common(8)])
        for item in sorted(set(skipped)):
            print("  skipped:", item)
    assert not run.mismatches, f"{len(run.mismatches)} answers differ from the map:\n" + "\n".join(run.mismatches)
    assert not run.inline_scripts, f"inline <script> on: {run.inline_scripts}"
    assert total >= len(run.endpoints) * len(amap.ROLES) * len(amap.METHODS)


def _reverse(endpoint: Endpoint, kwargs: dict[str, Any] | None, skipped: list[str]) -> str | None:
    if kwargs is None:
        skipped.append(f"{endpoint.name or endpoint.route} (catch-all or no object)")
        return None
    if endpoint.name is None:
        param = r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>\.\*\)\$"
        url = "/" + re.sub(param, lambda m: str(kwargs[m[1] or m[2]]), endpoint.route)
        if "(" in url or "^" in url:
            skipped.append(f"{endpoint.route} (unnamed regex)")
            return None
        return url
    try:
        return reverse(endpoint.name, kwargs=kwargs or None)
    except NoReverseMatch as exc:
        skipped.append(f"{endpoint.name}: {exc}")
        return None


def _api_body(run: Run, label: str | None, kind: str, method: str, obj: Any, url: str) -> Any:
    if label not in API_PAYLOADS:
        return None
    if kind == "list" and method == "POST":
        return api_payload(label, "alpha")
    if kind == "detail" and method == "PUT":
        data = run.clients["admin"].get(url, HTTP_ACCEPT="application/json").json()
        return {k: v for k, v in data.items() if k != "id"}
    if kind == "detail" and method == "PATCH":
        return {}
    return None


def _squad_moves(run: Run, world: World) -> int:
    """A PM may not move an own-squad record to squad B, nor take one over from B (API)."""
    checks = 0
    for label, path in (
        ("metrics.release", "releases"),
        ("metrics.incident", "incidents"),
        ("metrics.defect", "defects"),
    ):
        own = world.own[label]
        url = f"/api/{path}/{own.external_id}/"
        response = run.clients["pm"].patch(url, {"squad": "bravo"}, content_type="application/json")
        checks += 1
        if response.status_code not in (400, 403):
            run.mismatches.append(f"pm PATCH {url} squad→bravo: got {response.status_code}")
        type(own).objects.get(pk=own.pk).squad_id == own.squad_id or run.mismatches.append(f"{url} moved")
        other = world.other[label]
        body = {**api_payload(label, "alpha"), "external_id": other.external_id}
        response = run.clients["pm"].post(f"/api/{path}/", body, content_type="application/json")
        checks += 1
        if response.status_code != 403:
            run.mismatches.append(f"pm POST upsert of squad B's {other.external_id}: got {response.status_code}")
    own = world.own["metrics.change"]
    url = f"/api/changes/{own.external_id}/"
    response = run.clients["pm"].patch(url, {"release": "matrix-rel-bravo"}, content_type="application/json")
    checks += 1
    if response.status_code != 403 or type(own).objects.get(pk=own.pk).release_id != own.release_id:
        run.mismatches.append(f"pm PATCH {url} release→squad B's: got {response.status_code}")
    return checks


def _admin_squad_scope(run: Run, world: World) -> int:
    """In the admin a PM can neither add a record to squad B, nor move an own record there, nor delete B's."""
    pm, checks = run.clients["pm"], 0
    squad_b = world.other["metrics.release"].squad
    form = {
        "external_id": "adm-b",
        "squad": squad_b.pk,
        "version": "1",
        "released_at_0": "2026-03-01",
        "released_at_1": "10:00:00",
        "status": "succeeded",
    }
    response = pm.post("/admin/metrics/release/add/", form)
    checks += 1
    if response.status_code != 200 or "squad" not in response.context["adminform"].form.errors:
        run.mismatches.append(f"pm admin add release in squad B: {response.status_code}, no squad error")
    if Release.objects.filter(external_id="adm-b").exists():
        run.mismatches.append("pm admin add release in squad B: row written")
    own = world.own["metrics.release"]
    response = pm.post(f"/admin/metrics/release/{own.pk}/change/", {**form, "external_id": own.external_id})
    checks += 1
    if Release.objects.get(pk=own.pk).squad_id != own.squad_id:
        run.mismatches.append("pm admin moved an own release to squad B")
    if response.status_code != 200 or "squad" not in response.context["adminform"].form.errors:
        run.mismatches.append(f"pm admin move to squad B: {response.status_code}, no squad error")
    other = world.other["metrics.release"]
    response = pm.post(f"/admin/metrics/release/{other.pk}/delete/", {"post": "yes"})
    checks += 1
    if response.status_code != 403 or not Release.objects.filter(pk=other.pk).exists():
        run.mismatches.append(f"pm admin delete of squad B's release: {response.status_code}")
    return checks
