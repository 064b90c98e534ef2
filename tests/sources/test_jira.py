"""Jira → defects against the local fake: priorities, labels, pages, the cursor's JQL."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import Defect
from sources.sync import sync_source
from tests.sources.fake_jira import jira_issue

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _quiet(waits):
    return waits


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        ("Highest", 1),
        ("Blocker", 1),
        ("High", 2),
        ("Critical", 2),
        ("Medium", 3),
        ("Low", 4),
        ("Lowest", 4),
        ("Trivial", 4),
    ],
)
def test_every_priority_name(jira_source, fake_jira, priority, severity):
    fake_jira.issues.append(jira_issue("PAY-1", priority=priority))
    assert sync_source(jira_source, full=True).created == 1
    assert Defect.objects.get(external_id="jira:PAY-1").severity == severity


def test_labels_decide_found_by_and_found_in(jira_source, fake_jira):
    fake_jira.issues += [
        jira_issue("PAY-1"),  # no labels: internal, testing
        jira_issue("PAY-2", labels=("customer",)),  # customer-found: production
        jira_issue("PAY-3", labels=("ux", "staging", "development")),  # the first stage label wins
        jira_issue("GRO-4", labels=("Customer", "production")),
        jira_issue(
            "GRO-5", labels=("development",), resolutiondate="2026-01-06T10:00:00.000+0000", summary="Typo on invoice"
        ),
    ]
    report = sync_source(jira_source, full=True)
    assert (report.created, report.malformed) == (5, 0)
    rows = {
        d.external_id: (d.squad.slug, d.found_by, d.found_in, d.severity)
        for d in Defect.objects.select_related("squad")
    }
    assert rows == {
        "jira:PAY-1": ("alpha", "internal", "testing", 2),
        "jira:PAY-2": ("alpha", "customer", "production", 2),
        "jira:PAY-3": ("alpha", "internal", "staging", 2),
        "jira:GRO-4": ("bravo", "customer", "production", 2),
        "jira:GRO-5": ("bravo", "internal", "development", 2),
    }
    gro5 = Defect.objects.get(external_id="jira:GRO-5")
    assert gro5.found_at == dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert gro5.resolved_at == dt.datetime(2026, 1, 6, 10, tzinfo=UTC)
    assert gro5.title == "Typo on invoice"


def test_customer_label_is_configurable(jira_source, fake_jira):
    jira_source.customer_label = "from-support"
    jira_source.save()
    fake_jira.issues += [jira_issue("PAY-1", labels=("from-support",)), jira_issue("PAY-2", labels=("customer",))]
    sync_source(jira_source, full=True)
    assert dict(Defect.objects.values_list("external_id", "found_by")) == {
        "jira:PAY-1": "customer",
        "jira:PAY-2": "internal",
    }


def test_unknown_priorities_and_rule_breaks_are_skipped_with_the_reason(jira_source, fake_jira):
    fake_jira.issues += [
        jira_issue("PAY-1", priority="Major"),
        jira_issue("PAY-2", priority=None),
        jira_issue("PAY-3", labels=("customer", "testing")),  # a customer-found defect must be production
        jira_issue("PAY-4"),
    ]
    report = sync_source(jira_source, full=True)
    assert (report.created, report.malformed) == (1, 3)
    jira_source.refresh_from_db()
    reasons = {e["item"]: e["reason"] for e in jira_source.malformed_examples}
    assert "'Major' has no severity" in reasons["issue PAY-1"]
    assert "None has no severity" in reasons["issue PAY-2"]
    assert reasons["issue PAY-3"].startswith("found_in: a customer-found defect must have found_in=production")


def test_pages_cursor_and_resync(jira_source, fake_jira, monkeypatch):
    monkeypatch.setattr("sources.tools.jira.PAGE_SIZE", 4)
    base = dt.datetime(2026, 2, 1, tzinfo=UTC)
    for i in range(10):
        moment = (base + dt.timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        fake_jira.issues.append(jira_issue(f"PAY-{i + 1}", created=moment))
    fake_jira.issues.append(jira_issue("OTHER-1"))  # not a mapped project: never asked for
    report = sync_source(jira_source, full=True)
    assert report.created == 10
    assert report.requests == 3
    first_jql = fake_jira.jqls[0]
    assert first_jql.startswith('(issuetype = Bug) AND project in ("GRO", "PAY")')
    assert 'updated >= "2026/01/01"' in first_jql
    assert first_jql.endswith("ORDER BY updated ASC")
    jira_source.refresh_from_db()
    assert jira_source.cursor == {"updated": "2026-02-10T00:00:00Z"}

    again = sync_source(jira_source)
    # a day before the cursor: JQL dates are in the Jira user's time zone
    assert 'updated >= "2026/02/09 00:00"' in fake_jira.jqls[-1]
    assert (again.created, again.unchanged) == (0, 2)
    assert Defect.objects.count() == 10
