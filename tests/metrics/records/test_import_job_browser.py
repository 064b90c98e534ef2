"""The progress page of a background import in headless Chromium: its script (CSP `script-src
'self'`) polls the status, shows the rows, and reloads into the result once the job is done."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from metrics.models import ImportJob
from tests.factories import UserFactory
from tests.metrics.records.test_api_docs_browser import page  # noqa: F401 — the Chromium tab fixture
from tests.support.api_support import fast_password_hashing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]
__all__ = ["fast_password_hashing"]  # autouse fixture


def test_the_progress_page_follows_the_job_until_it_is_done(page, live_server) -> None:  # noqa: F811
    ops = UserFactory(username="ops-uploader", role="ops_staff")
    job = ImportJob.objects.create(
        kind="customer_responses",
        filename="survey.csv",
        path="/nonexistent/survey.csv",
        size=10_000,
        user=ops,
        state="running",
        phase="checking",
        bytes_read=2_500,
        rows_processed=400,
    )
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "ops-uploader")
    page.fill("input[name=password]", "pw-for-tests-only")
    page.click("form[action='/login/'] button[type=submit]")
    page.goto(live_server.url + reverse("admin:metrics_customerresponse_import_job", args=[job.pk]))
    assert page.locator('[data-field="rows_total"]').inner_text() == "≈ 1600"  # 400 rows in a quarter of the bytes

    ImportJob.objects.filter(pk=job.pk).update(phase="writing", rows_processed=1200, rows_total=1500)
    expect(page.locator('[data-field="rows_processed"]')).to_have_text("1200", timeout=15_000)  # polled
    assert page.locator('[data-field="rows_total"]').inner_text() == "1500"
    assert page.locator('[data-field="phase"]').inner_text() == "writing"

    ImportJob.objects.filter(pk=job.pk).update(state="done", rows_processed=1500, created=1490, unchanged=10)
    page.wait_for_selector("#csv-import-job-done", timeout=15_000)  # the script reloaded the finished page
    assert "survey.csv: 1490 created, 0 updated, 10 unchanged" in page.locator("#csv-import-job-done").inner_text()
    assert page.errors == []
