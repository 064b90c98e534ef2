"""A file full of bad rows gives a bounded report: the first errors and a count (issue 15,
defect 7). 3.2M bad lines once meant 3.2M error objects held and printed."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db
HEADER = "external_id,squad,version,released_at,first_commit_at,status"


def test_the_error_list_is_bounded_with_a_count_of_the_rest(tmp_path, squad_a):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n" + "".join(f"r{n},alpha,1,not-a-date,,succeeded\n" for n in range(5000)))
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_records", "releases", str(path), stderr=err, stdout=io.StringIO())
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("line 2: released_at:")
    assert len(lines) <= 101
    assert "5000 error(s)" in str(raised.value)
    assert "4900 more" in err.getvalue() or "4900 more" in str(raised.value)


def test_streamed_batches_stay_all_or_nothing_and_find_keys_repeated_across_batches(monkeypatch, squad_a):
    from metrics.models import DirtyRange, Release
    from metrics.records.ingest import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 3)
    DirtyRange.objects.all().delete()  # the squad fixture's own marks
    bad_row = "r9,alpha,1,nope,,succeeded\n"
    repeated = "r1,alpha,2,2026-03-01T10:00:00Z,,succeeded\n"
    good = "".join(f"r{n},alpha,1,2026-03-0{1 + n % 5}T10:00:00Z,,succeeded\n" for n in range(8))
    # A bad row in the third batch: the first two batches were written, and are rolled back.
    report = importer.import_csv(kind="releases", stream=io.StringIO(HEADER + "\n" + good + bad_row))
    assert [(e.line, e.field) for e in report.errors] == [(10, "released_at")]
    assert Release.objects.count() == 0
    assert DirtyRange.objects.count() == 0
    # The same key in batch 1 and batch 3.
    report = importer.import_csv(kind="releases", stream=io.StringIO(HEADER + "\n" + good + repeated))
    assert [(e.line, e.field, e.reason) for e in report.errors] == [(10, "external_id", "duplicate of line 3")]
    assert Release.objects.count() == 0
    # Clean: written in three batches, one set of dirty marks for the file.
    report = importer.import_csv(kind="releases", stream=io.StringIO(HEADER + "\n" + good))
    assert report.ok
    assert report.created == 8
    assert Release.objects.count() == 8
    assert set(DirtyRange.objects.values_list("scope", flat=True)) == {"area:payments", "org", "squad:alpha"}
