"""Reviews: freezing copies what the review shows and later rollups never change it (the change shows
as a restatement); action items carry into the next review of the same scope until closed; the API
shapes; who may do what; every write audited.

Hand-worked: alpha February 2026 — 4 ok + 1 rolled back → CFR 20 % on 5 releases; target 10 %
(at risk to 12.5 %) → off track; previous (January, 5 ok) 0 %. After freezing, one more rolled-back
February release → today's CFR 2/6 = 33.33 %.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from metrics.models import Baseline, Target
from reviews.models import ActionItem, Review
from reviews.selectors import action_items_of, annotations_for, review_values
from reviews.services import add_note, create_action_item, create_review, freeze_review, set_action_item_state
from tests.reviews.org import releases, run_rollup

pytestmark = pytest.mark.django_db
FEB = dt.date(2026, 2, 1)


@pytest.fixture
def alpha_feb(users, squad_a, settings, django_capture_on_commit_callbacks):
    settings.KPI_ROLLUP_ON_COMMIT = False
    Target.objects.create(metric="change_failure_rate", value=10.0, at_risk_margin_pct=25.0)
    Baseline.objects.create(name="January", start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    releases(squad_a, 1, ok=5)
    releases(squad_a, 2, ok=4, failed=1)
    run_rollup("full", django_capture_on_commit_callbacks)
    return create_review(
        user=users["ops"], title="Alpha February", scope="squad:alpha", grain="month", period_start="2026-02-01"
    )


def _value(review: Review, metric: str):
    return next(v for v in review_values(review) if v.metric == metric)


def test_freeze_keeps_values_and_shows_restatement(
    alpha_feb, users, squad_a, client_for, django_capture_on_commit_callbacks
) -> None:
    review = freeze_review(user=users["ops"], review=alpha_feb)
    frozen = _value(review, "change_failure_rate")
    assert (frozen.value, frozen.sample_size, frozen.status, frozen.target, frozen.baseline) == (
        20.0,
        5,
        "off track",
        10.0,
        0.0,
    )
    assert frozen.previous_value == 0.0
    assert not frozen.restated
    assert frozen.current_value is None

    releases(squad_a, 2, failed=1)  # a late record for February
    run_rollup("incremental", django_capture_on_commit_callbacks)
    run_rollup("full", django_capture_on_commit_callbacks)

    after = _value(Review.objects.get(pk=review.pk), "change_failure_rate")
    assert (after.value, after.sample_size, after.status) == (20.0, 5, "off track")  # unchanged
    assert after.restated
    assert after.current_value == pytest.approx(100 * 2 / 6)
    releases_row = _value(review, "releases")
    assert (releases_row.value, releases_row.current_value) == (5.0, 6.0)
    assert not _value(review, "nps").restated  # null then, null now

    api = client_for(users["viewer"]).get(f"/api/reviews/{review.pk}/").json()
    assert set(api) >= {"id", "title", "scope", "grain", "period_start", "frozen_at", "values", "notes", "action_items"}
    cfr = next(v for v in api["values"] if v["metric"] == "change_failure_rate")
    assert {k: cfr[k] for k in ("metric", "value", "sample_size", "status")} == {
        "metric": "change_failure_rate",
        "value": 20.0,
        "sample_size": 5,
        "status": "off track",
    }
    assert cfr["current_value"] == pytest.approx(33.3333, abs=1e-3)
    assert next(v for v in api["values"] if v["metric"] == "incidents")["current_value"] is None  # unchanged
    page = client_for(users["viewer"]).get(f"/reviews/{review.pk}/").content.decode()
    assert "restated: was 20.0 %, now 33.3 %" in page
    with pytest.raises(ValidationError):
        freeze_review(user=users["ops"], review=review)  # once only


def test_open_review_reads_live_values(alpha_feb, squad_a, django_capture_on_commit_callbacks) -> None:
    releases(squad_a, 2, failed=1)
    run_rollup("incremental", django_capture_on_commit_callbacks)
    live = _value(alpha_feb, "change_failure_rate")
    assert live.value == pytest.approx(100 * 2 / 6)
    assert not live.restated


def test_action_items_carry_over_until_closed(alpha_feb, users, squad_a) -> None:
    ops, pm = users["ops"], users["pm"]
    feb = freeze_review(user=ops, review=alpha_feb)
    item = create_action_item(
        user=pm,
        review=feb,
        title="Rollback checklist",
        owner="pm_alpha",
        due="2026-03-15",
        metrics=["change_failure_rate"],
    )
    dropped = create_action_item(user=pm, review=feb, title="Dropped idea", owner="pm_alpha", due="2026-03-10")
    set_action_item_state(user=pm, item=dropped, state="dropped")
    org_review = create_review(user=ops, title="Org March", scope="org", grain="month", period_start="2026-03-01")
    march = create_review(user=ops, title="Alpha March", scope="squad:alpha", grain="month", period_start="2026-03-01")
    assert [i.title for i in action_items_of(march)] == ["Rollback checklist"]  # carried; the dropped one not
    assert list(action_items_of(org_review)) == []  # another scope
    freeze_review(user=ops, review=march)
    set_action_item_state(user=pm, item=item, state="done")
    april = create_review(user=ops, title="Alpha April", scope="squad:alpha", grain="month", period_start="2026-04-01")
    assert list(action_items_of(april)) == []  # closed: no longer carried
    march.refresh_from_db()
    assert [(i.title, i.state) for i in action_items_of(march)] == [("Rollback checklist", "done")]  # as frozen
    assert [i.title for i in action_items_of(feb)] == ["Dropped idea", "Rollback checklist"]  # raised there
    api = client_for_api(users["viewer"]).get(f"/api/reviews/{march.pk}/").json()
    assert [(i["title"], i["owner"], i["due"], i["metrics"], i["state"]) for i in api["action_items"]] == [
        ("Rollback checklist", "pm_alpha", "2026-03-15", ["change_failure_rate"], "done")
    ]


def client_for_api(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_roles(alpha_feb, users, squad_b) -> None:
    pm, viewer, ops = users["pm"], users["viewer"], users["ops"]
    bravo = create_review(user=ops, title="Bravo", scope="squad:bravo", grain="month", period_start="2026-02-01")
    org = create_review(user=ops, title="Org", scope="org", grain="month", period_start="2026-02-01")
    add_note(user=pm, review=alpha_feb, text="Rollbacks from one flaky deploy", metric="change_failure_rate")
    for review in (bravo, org):
        with pytest.raises(PermissionDenied):
            add_note(user=pm, review=review, text="not mine")
        with pytest.raises(PermissionDenied):
            create_action_item(user=pm, review=review, title="x", owner="pm_alpha", due="2026-03-01")
    with pytest.raises(PermissionDenied):  # a PM's item targets their own squads
        create_action_item(
            user=pm, review=alpha_feb, title="x", owner="pm_alpha", due="2026-03-01", scope="squad:bravo"
        )
    for user in (pm, viewer):
        with pytest.raises(PermissionDenied):
            create_review(user=user, title="t", scope="org", grain="month", period_start="2026-02-01")
        with pytest.raises(PermissionDenied):
            freeze_review(user=user, review=alpha_feb)
    with pytest.raises(PermissionDenied):
        add_note(user=viewer, review=alpha_feb, text="viewer note")


def test_api_shapes_and_status_codes(alpha_feb, users, squad_b, client_for) -> None:
    ops, pm, viewer = (client_for(users[r]) for r in ("ops", "pm", "viewer"))
    created = ops.post(
        "/api/reviews/",
        {"title": "Org February", "scope": "org", "grain": "month", "period_start": "2026-02-01"},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert isinstance(created.json()["id"], int)
    assert created.json()["frozen_at"] is None
    bad = ops.post(
        "/api/reviews/",
        {"title": "x", "scope": "squad:zulu", "grain": "month", "period_start": "2026-02-03"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"scope"}
    misaligned = ops.post(
        "/api/reviews/",
        {"title": "x", "scope": "org", "grain": "month", "period_start": "2026-02-03"},
        content_type="application/json",
    )
    assert misaligned.status_code == 400
    assert "period_start" in misaligned.json()
    assert (
        viewer.post(
            "/api/reviews/",
            {"title": "x", "scope": "org", "grain": "month", "period_start": "2026-02-01"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert pm.post(f"/api/reviews/{alpha_feb.pk}/freeze/").status_code == 403
    frozen = ops.post(f"/api/reviews/{alpha_feb.pk}/freeze/")
    assert frozen.status_code == 200
    assert frozen.json()["frozen_at"]
    assert ops.post(f"/api/reviews/{alpha_feb.pk}/freeze/").status_code == 400

    item = pm.post(
        "/api/action-items/",
        {
            "review": alpha_feb.pk,
            "title": "Checklist",
            "owner": "pm_alpha",
            "due": "2026-03-15",
            "metrics": ["change_failure_rate"],
            "scope": "squad:alpha",
        },
        content_type="application/json",
    )
    assert item.status_code == 201
    assert {k: item.json()[k] for k in ("title", "owner", "due", "metrics", "state")} == {
        "title": "Checklist",
        "owner": "pm_alpha",
        "due": "2026-03-15",
        "metrics": ["change_failure_rate"],
        "state": "open",
    }
    item_id = item.json()["id"]
    assert pm.post(
        "/api/action-items/",
        {"review": alpha_feb.pk, "title": "x", "owner": "ghost", "due": "2026-03-15"},
        content_type="application/json",
    ).json() == {"owner": ["no active user 'ghost'"]}
    assert (
        pm.post(
            "/api/action-items/",
            {"review": alpha_feb.pk, "title": "x", "owner": "pm_alpha", "due": "2026-03-15", "metrics": ["nope"]},
            content_type="application/json",
        ).status_code
        == 400
    )
    assert (
        viewer.patch(f"/api/action-items/{item_id}/", {"state": "done"}, content_type="application/json").status_code
        == 403
    )
    done = pm.patch(f"/api/action-items/{item_id}/", {"state": "done"}, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["state"] == "done"
    assert done.json()["closed_at"]
    assert (
        pm.patch(f"/api/action-items/{item_id}/", {"state": "maybe"}, content_type="application/json").status_code
        == 400
    )
    listing = viewer.get("/api/reviews/").json()
    assert set(listing) == {"results", "next"}
    assert len(listing["results"]) == 2
    assert viewer.get("/api/reviews/999999/").status_code == 404
    assert viewer.get("/api/reviews/abc/").status_code == 404
    from django.test import Client

    assert Client().get("/api/reviews/").status_code in {401, 403}


def test_every_write_is_audited(alpha_feb, users) -> None:
    from audit.context import acting_user

    ops, pm = users["ops"], users["pm"]
    with acting_user(ops):  # what the request middleware does for a page or API call
        freeze_review(user=ops, review=alpha_feb)
    with acting_user(pm):
        add_note(user=pm, review=alpha_feb, text="decided", kind="decision")
        item = create_action_item(user=pm, review=alpha_feb, title="Do it", owner="pm_alpha", due="2026-03-15")
        set_action_item_state(user=pm, item=item, state="done")
    events = list(
        AuditEvent.objects.filter(model_label__startswith="reviews.")
        .order_by("id")
        .values_list("action", "model_label", "username")
    )
    assert events == [
        ("create", "reviews.review", ""),  # the fixture created it outside any request
        ("update", "reviews.review", "ops"),
        ("create", "reviews.note", "pm_alpha"),
        ("create", "reviews.actionitem", "pm_alpha"),
        ("update", "reviews.actionitem", "pm_alpha"),
    ]
    freeze = AuditEvent.objects.get(action="update", model_label="reviews.review")
    assert freeze.changes["frozen_at"][0] is None
    assert freeze.changes["frozen_by_id"] == [None, ops.pk]
    closed = AuditEvent.objects.get(action="update", model_label="reviews.actionitem")
    assert closed.changes["state"] == ["open", "done"]


def test_annotations_for_trend_charts(alpha_feb, users, client_for) -> None:
    ops, pm = users["ops"], users["pm"]
    freeze_review(user=ops, review=alpha_feb)
    due = create_action_item(
        user=pm,
        review=alpha_feb,
        title="Checklist",
        owner="pm_alpha",
        due="2026-03-15",
        metrics=["change_failure_rate"],
    )
    closed = create_action_item(
        user=pm,
        review=alpha_feb,
        title="Other",
        owner="pm_alpha",
        due="2026-03-20",
        metrics=["change_failure_rate", "releases"],
    )
    set_action_item_state(user=pm, item=closed, state="done")
    today = closed.__class__.objects.get(pk=closed.pk).closed_at.date()
    marks = annotations_for(
        metric="change_failure_rate", scope="squad:alpha", date_from=dt.date(2026, 1, 1), date_to=today
    )
    assert [(m.day, m.kind) for m in marks] == sorted(
        [(FEB, "review"), (dt.date(2026, 3, 15), "action_due"), (today, "action_closed")]
    )
    assert (
        annotations_for(metric="nps", scope="squad:alpha", date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))
        == []
    )
    assert (
        annotations_for(metric="change_failure_rate", scope="org", date_from=dt.date(2026, 1, 1), date_to=today) == []
    )
    assert ActionItem.objects.get(pk=due.pk).state == "open"


def test_metric_trend_chart_shows_the_markers(alpha_feb, users, client_for) -> None:
    ops = users["ops"]
    org = create_review(user=ops, title="Org February", scope="org", grain="month", period_start="2026-02-01")
    freeze_review(user=ops, review=org)
    create_action_item(
        user=ops, review=org, title="Rollback drill", owner="ops", due="2026-03-10", metrics=["change_failure_rate"]
    )
    page = (
        client_for(users["viewer"])
        .get("/metrics/change_failure_rate/?grain=month&from=2025-12-01&to=2026-03-31")
        .content.decode()
    )
    assert "review: Org February" in page
    assert "action due: Rollback drill" in page
    other = client_for(users["viewer"]).get("/metrics/nps/?grain=month&from=2025-12-01&to=2026-03-31")
    assert "Rollback drill" not in other.content.decode()  # the item targets another KPI
