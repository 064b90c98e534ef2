"""The CSV import (`import_records`, see docs/commands.md): file-level errors, upsert counts,
all-or-nothing, dry run, export round trip, PM scope, dirty marking."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from metrics.models import CustomerResponse, DirtyRange, Incident, Release, Survey, TimeAllocation
from metrics.records.ingest.importer import import_csv
from metrics.records.ingest.kinds import KINDS
from squads.models import Squad
from tests.factories import IncidentFactory, ReleaseFactory

UTC = dt.UTC
REL_HEADER = "external_id,squad,version,released_at,first_commit_at,status"
INC_HEADER = "external_id,squad,severity,started_at,resolved_at,customer_impact,caused_by_release,title"


def _bytes(*lines: str) -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def _errors(report) -> list[str]:
    return [str(e) for e in report.errors]


# -- file-level problems -------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n\n", b"   \r\n", b"\xef\xbb\xbf"])
def test_empty_file_is_reported_on_line_1(db, content: bytes) -> None:
    report = import_csv(kind="releases", stream=io.BytesIO(content))
    assert _errors(report) == [f"line 1: file: empty file; expected the header {REL_HEADER}"]


def test_missing_and_extra_columns_are_reported_on_line_1(squad_a) -> None:
    report = import_csv(
        kind="releases",
        stream=_bytes(
            "external_id,squad,version,released_at,status,owner", "r1,alpha,1.0,2026-03-01T00:00:00Z,succeeded,me"
        ),
    )
    assert _errors(report) == [
        f"line 1: owner: unexpected column; expected {REL_HEADER}",
        "line 1: first_commit_at: missing column",
    ]
    assert Release.objects.count() == 0


def test_header_with_a_blank_or_repeated_column(squad_a) -> None:
    report = import_csv(kind="releases", stream=_bytes(REL_HEADER + ",status,"))
    assert _errors(report) == [
        "line 1: status: column appears twice",
        f"line 1: column 8 (blank): unexpected column; expected {REL_HEADER}",
    ]


def test_columns_in_another_order_are_read_by_name(squad_a) -> None:
    report = import_csv(
        kind="releases",
        stream=_bytes(
            "status,version,squad,external_id,first_commit_at,released_at", "succeeded,2.0,alpha,r1,,2026-03-01"
        ),
    )
    assert report.errors == []
    assert Release.objects.get(external_id="r1").version == "2.0"


def test_non_utf8_file_names_the_line_and_field(squad_a) -> None:
    data = REL_HEADER + "\nr1,alpha,1.0,2026-03-01T00:00:00Z,,succeeded\nr2,alpha,caf\xe9,2026-03-01,,succeeded\n"
    report = import_csv(kind="releases", stream=io.BytesIO(data.encode("latin-1")))
    assert _errors(report) == ["line 3: version: not valid UTF-8 (byte 0xe9); save the file as UTF-8"]
    assert Release.objects.count() == 0


def test_utf16_file_is_refused_not_misread(squad_a) -> None:
    data = (REL_HEADER + "\nr1,alpha,1.0,2026-03-01T00:00:00Z,,succeeded\n").encode("utf-16")
    report = import_csv(kind="releases", stream=io.BytesIO(data))
    assert report.errors
    assert report.errors[0].line == 1
    assert Release.objects.count() == 0


def test_bom_crlf_blank_lines_and_multiline_cells(squad_a) -> None:
    text = (
        "\ufeff" + INC_HEADER + "\r\n"
        'i1,alpha,2,2026-03-01T10:00:00Z,,no,,"two\r\nlines"\r\n'
        "\r\n"
        "i2,alpha,9,2026-03-01T10:00:00Z,,no,,bad severity\r\n"
    )
    report = import_csv(kind="incidents", stream=io.BytesIO(text.encode()))
    # i1 spans lines 2-3, line 4 is blank, so i2 is on line 5
    assert _errors(report) == ["line 5: severity: Ensure this value is less than or equal to 4."]
    assert [(o.line, o.key, o.action) for o in report.rows] == [(2, "i1", "create"), (5, "i2", "reject")]


def test_wrong_number_of_cells(squad_a) -> None:
    report = import_csv(kind="releases", stream=_bytes(REL_HEADER, "r1,alpha,1.0,2026-03-01,,succeeded,extra", "r2"))
    assert _errors(report) == ["line 2: row: expected 6 cells, found 7", "line 3: row: expected 6 cells, found 1"]


def test_text_stream_is_accepted(squad_a) -> None:
    report = import_csv(kind="releases", stream=io.StringIO(REL_HEADER + "\nr1,alpha,1.0,2026-03-01,,succeeded\n"))
    assert report.errors == []
    assert report.created == 1


# -- every bad row reported, nothing written ---------------------------------------------------------


def test_every_bad_row_is_reported_and_nothing_is_written(squad_a) -> None:
    ReleaseFactory(external_id="rel-ok", squad=squad_a, released_at=dt.datetime(2026, 2, 28, tzinfo=UTC))
    marks = DirtyRange.objects.count()
    report = import_csv(
        kind="incidents",
        stream=_bytes(
            INC_HEADER,
            "i1,alpha,2,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,yes,rel-ok,fine",
            "i2,zeta,2,2026-03-01T10:00:00Z,,no,,unknown squad",
            "i3,alpha,2,2026-03-01T10:00:00Z,,no,rel-missing,unknown release",
            "i4,alpha,2,01/03/2026,,no,,malformed timestamp",
            "i5,alpha,2,2026-03-01T10:00:00Z,2026-03-01T09:00:00Z,no,,resolved before start",
            "i1,alpha,3,2026-03-01T10:00:00Z,,no,,duplicate",
            ",alpha,3,2026-03-01T10:00:00Z,,no,,no key",
            "i8,alpha,,,,,,two required values missing",
        ),
    )
    assert _errors(report) == [
        'line 3: squad: unknown squad "zeta"',
        'line 4: caused_by_release: unknown release "rel-missing"',
        'line 5: started_at: "01/03/2026" is not an ISO 8601 timestamp (e.g. 2026-03-01T09:30:00Z)',
        "line 6: resolved_at: must not be before started_at.",
        "line 7: external_id: duplicate of line 2",
        "line 8: external_id: required value missing",
        "line 9: severity: required value missing",
        "line 9: started_at: required value missing",
    ]
    assert [o.action for o in report.rows] == ["create"] + ["reject"] * 7
    assert Incident.objects.count() == 0
    assert DirtyRange.objects.count() == marks


def test_survey_a_failing_file_would_create_is_not_left_behind(squad_a) -> None:
    header = ",".join(KINDS["customer_responses"].column_names)
    report = import_csv(
        kind="customer_responses",
        stream=_bytes(header, "c1,new-survey,2026-03-01,Acme,,9,,,,", "c2,new-survey,2026-03-01,Acme,,11,,,,"),
    )
    assert _errors(report) == ["line 3: nps_score: Ensure this value is less than or equal to 10."]
    assert not Survey.objects.filter(slug="new-survey").exists()
    assert CustomerResponse.objects.count() == 0


# -- upsert -------------------------------------------------------------------------------------------


def test_upsert_counts_and_reimport_changes_nothing(squad_a, squad_b) -> None:
    first = _bytes(
        REL_HEADER, "r1,alpha,1.0,2026-03-01T09:30:00Z,,succeeded", "r2,alpha,1.1,2026-03-02T09:30:00Z,,succeeded"
    )
    report = import_csv(kind="releases", stream=first)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    again = import_csv(kind="releases", stream=io.BytesIO(first.getvalue()))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # the same instants written another way are the same values
    same = _bytes(
        REL_HEADER, "r1,alpha,1.0,2026-03-01T10:30:00+01:00,,succeeded", "r2,alpha,1.1,2026-03-02 09:30:00,,succeeded"
    )
    assert import_csv(kind="releases", stream=same).unchanged == 2
    changed = _bytes(
        REL_HEADER,
        "r1,bravo,1.0,2026-03-01T09:30:00Z,,rolled_back",
        "r2,alpha,1.1,2026-03-02T09:30:00Z,,succeeded",
        "r3,alpha,1.2,2026-03-03T09:30:00Z,2026-03-03T08:00:00Z,succeeded",
    )
    report = import_csv(kind="releases", stream=changed)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert [(o.key, o.action) for o in report.rows] == [("r1", "update"), ("r2", "unchanged"), ("r3", "create")]
    r1 = Release.objects.get(external_id="r1")
    assert (r1.squad.slug, r1.status) == ("bravo", "rolled_back")
    assert Release.objects.count() == 3


def test_export_then_reimport_changes_nothing(squad_a, squad_b) -> None:
    rel = ReleaseFactory(
        external_id="r-1", squad=squad_a, first_commit_at=dt.datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    )
    IncidentFactory(external_id="i-1", squad=squad_b, caused_by_release=rel, title='=HYPERLINK("x")', resolved_at=None)
    IncidentFactory(external_id="i-2", squad=squad_a, title="-12.5", customer_impact=True)
    survey = Survey.objects.create(slug="pulse", kind=Survey.Kind.TIME_ALLOCATION)
    TimeAllocation.objects.create(
        external_id="a-1", survey=survey, squad=squad_a, month=dt.date(2026, 2, 1), headcount=3,
        pct_features=Decimal("33.33"), pct_quality=Decimal("33.33"), pct_support=Decimal("33.34"),
        pct_onboarding=Decimal(0), pct_ktlo=Decimal(0), pct_other=Decimal(0),
    )  # fmt: skip
    for kind in ("squads", "releases", "incidents", "time_allocations", "customer_responses", "defects"):
        out = io.StringIO()
        call_command("export_records", kind, stdout=out)
        report = import_csv(kind=kind, stream=io.BytesIO(out.getvalue().encode()))
        assert report.errors == []
        assert (report.created, report.updated) == (0, 0), kind
        assert report.unchanged == KINDS[kind].model.objects.count()
    out = io.StringIO()
    call_command("export_records", "incidents", stdout=out)
    assert out.getvalue().splitlines() == [
        INC_HEADER,
        'i-1,bravo,3,2026-03-03T10:00:00Z,,false,r-1,"\'=HYPERLINK(""x"")"',
        "i-2,alpha,3,2026-03-03T10:00:00Z,2026-03-03T12:00:00Z,true,,-12.5",
    ]


def test_guarded_cells_are_restored_on_import(squad_a) -> None:
    import_csv(
        kind="incidents",
        stream=_bytes(INC_HEADER, "i1,alpha,2,2026-03-01,,no,,'=1+1", "i2,alpha,2,2026-03-01,,no,,'plain"),
    )
    assert Incident.objects.get(external_id="i1").title == "=1+1"
    assert Incident.objects.get(external_id="i2").title == "'plain"


def test_dry_run_writes_nothing_but_reports_what_it_would_do(squad_a) -> None:
    ReleaseFactory(external_id="r1", squad=squad_a, version="0.9")
    marks = DirtyRange.objects.count()
    report = import_csv(
        kind="releases",
        stream=_bytes(REL_HEADER, "r1,alpha,1.0,2026-03-01,,succeeded", "r2,alpha,1.1,2026-03-02,,succeeded"),
        dry_run=True,
    )
    assert (report.created, report.updated, report.unchanged, report.errors) == (1, 1, 0, [])
    assert report.summary() == "1 created, 1 updated, 0 unchanged (dry run, nothing written)"
    assert list(Release.objects.values_list("external_id", "version")) == [("r1", "0.9")]
    assert DirtyRange.objects.count() == marks


def test_squads_import_links_pm_and_creates_area(db, users) -> None:
    header = ",".join(KINDS["squads"].column_names)
    report = import_csv(
        kind="squads",
        stream=_bytes(
            header, "zulu,Zulu,new-area,PM_ALPHA@example.com,1234.5,yes", "yank,Yank,payments,nobody@x.io,0,"
        ),
    )
    assert report.errors == []
    zulu = Squad.objects.get(slug="zulu")
    assert (zulu.area.slug, zulu.pm, zulu.monthly_cost_per_head, zulu.active) == (
        "new-area", users["pm"], Decimal("1234.50"), True,
    )  # fmt: skip
    yank = Squad.objects.get(slug="yank")
    assert (yank.pm, yank.pm_email, yank.active) == (None, "nobody@x.io", True)


# -- roles -------------------------------------------------------------------------------------------


def test_pm_may_import_only_their_own_squads_records(users, squad_a, squad_b) -> None:
    ReleaseFactory(external_id="theirs", squad=squad_b)
    ReleaseFactory(external_id="mine", squad=squad_a)
    report = import_csv(
        kind="releases",
        user=users["pm"],
        stream=_bytes(
            REL_HEADER,
            "new-own,alpha,1.0,2026-03-01,,succeeded",
            "new-other,bravo,1.0,2026-03-01,,succeeded",
            "theirs,alpha,1.0,2026-03-01,,succeeded",  # moving bravo's release into alpha
            "mine,bravo,1.0,2026-03-01,,succeeded",  # moving alpha's release out to bravo
        ),
    )
    assert [(e.line, e.field) for e in report.errors] == [(3, "squad"), (4, "squad"), (5, "squad")]
    assert Release.objects.count() == 2
    assert import_csv(
        kind="releases", user=users["pm"], stream=_bytes(REL_HEADER, "new-own,alpha,1.0,2026-03-01,,succeeded")
    ).ok
    assert report.user == users["pm"]


def test_viewer_and_pm_may_not_import_survey_results_but_ops_may(users) -> None:
    header = ",".join(KINDS["customer_responses"].column_names)
    data = _bytes(header, "c1,nps,2026-03-01,Acme,,9,,,,")
    for role in ("viewer", "pm"):
        report = import_csv(kind="customer_responses", user=users[role], stream=io.BytesIO(data.getvalue()))
        assert [(e.line, e.field) for e in report.errors] == [(2, "squad")], role
    assert import_csv(kind="customer_responses", user=users["ops"], stream=io.BytesIO(data.getvalue())).created == 1


# -- dirty marking -------------------------------------------------------------------------------------


def test_bulk_import_marks_old_and_new_periods_dirty(squad_a, squad_b) -> None:
    rel = ReleaseFactory(external_id="r1", squad=squad_a, released_at=dt.datetime(2026, 1, 10, tzinfo=UTC))
    # The incident began after the release's new date too (a release cannot cause what began before it).
    IncidentFactory(squad=squad_b, caused_by_release=rel, started_at=dt.datetime(2026, 2, 20, tzinfo=UTC),
                    resolved_at=dt.datetime(2026, 2, 21, tzinfo=UTC))  # fmt: skip
    DirtyRange.objects.all().delete()
    report = import_csv(kind="releases", stream=_bytes(REL_HEADER, "r1,bravo,1.0,2026-02-15T00:00:00Z,,succeeded"))
    assert report.updated == 1
    ranges = {(d.scope, d.start, d.end) for d in DirtyRange.objects.all()}
    assert ranges == {
        ("org", dt.date(2026, 1, 10), dt.date(2026, 2, 21)),
        ("squad:alpha", dt.date(2026, 1, 10), dt.date(2026, 1, 10)),  # where the release was
        ("area:payments", dt.date(2026, 1, 10), dt.date(2026, 1, 10)),
        ("squad:bravo", dt.date(2026, 2, 15), dt.date(2026, 2, 21)),  # where it is + the incident's recovery
        ("area:growth", dt.date(2026, 2, 15), dt.date(2026, 2, 21)),
    }


def test_unchanged_reimport_marks_nothing(squad_a) -> None:
    data = _bytes(REL_HEADER, "r1,alpha,1.0,2026-02-15T00:00:00Z,,succeeded")
    import_csv(kind="releases", stream=data)
    DirtyRange.objects.all().delete()
    assert import_csv(kind="releases", stream=io.BytesIO(data.getvalue())).unchanged == 1
    assert DirtyRange.objects.count() == 0


# -- the command ---------------------------------------------------------------------------------------


def test_command_prints_counts(squad_a, tmp_path) -> None:
    path = tmp_path / "rel.csv"
    path.write_text(REL_HEADER + "\nr1,alpha,1.0,2026-03-01,,succeeded\n")
    out = io.StringIO()
    call_command("import_records", "releases", str(path), "--dry-run", stdout=out)
    assert out.getvalue() == "1 created, 0 updated, 0 unchanged (dry run, nothing written)\n"
    assert Release.objects.count() == 0
    assert not AuditEvent.objects.filter(action="import").exists()  # a dry run is not an import
    call_command("import_records", "releases", str(path), stdout=out)
    assert out.getvalue().endswith("\n1 created, 0 updated, 0 unchanged\n")
    assert Release.objects.count() == 1
    event = AuditEvent.objects.get(action="import")
    assert (event.extra["kind"], event.extra["filename"], event.extra["created"], event.extra["source"]) == (
        "releases", "rel.csv", 1, "command",
    )  # fmt: skip


def test_command_reports_errors_on_stderr_and_fails(squad_a, tmp_path) -> None:
    path = tmp_path / "rel.csv"
    path.write_text(REL_HEADER + "\nr1,alpha,1.0,2026-03-01,,succeeded\nr2,nowhere,1.0,2026-03-01,,shipped\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 error\\(s\\) on 1 line\\(s\\); nothing written"):
        call_command("import_records", "releases", str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        'line 3: squad: unknown squad "nowhere"',
        "line 3: status: Value 'shipped' is not a valid choice.",
    ]
    assert Release.objects.count() == 0
    assert not AuditEvent.objects.filter(action="import").exists()


def test_command_refuses_unknown_kind_and_missing_file(db, tmp_path) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_records", "widgets", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_records", "releases", str(tmp_path / "missing.csv"))


def test_a_key_taken_by_a_concurrent_write_fails_the_whole_file_cleanly(squad_a, monkeypatch) -> None:
    """Simulate another writer inserting r1 between the importer's read and its write."""
    from metrics.records.ingest import importer

    ReleaseFactory(external_id="r1", squad=squad_a, version="0.1")
    monkeypatch.setattr(importer._Import, "_existing", lambda self, keys: {})
    report = import_csv(
        kind="releases",
        stream=_bytes(REL_HEADER, "r0,alpha,1.0,2026-03-01,,succeeded", "r1,alpha,1.0,2026-03-01,,succeeded"),
    )
    assert [(e.line, e.field) for e in report.errors] == [(1, "file")]
    assert "the database refused the rows, nothing was written" in report.errors[0].reason
    assert list(Release.objects.values_list("external_id", "version")) == [("r1", "0.1")]
