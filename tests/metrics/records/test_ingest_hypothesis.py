"""Property: any file of random rows (valid and invalid, numbers at and past every
bound, several encodings) either imports exactly as an independent reading of docs/records.md
predicts, or is refused on the predicted lines with a field named — and then
nothing at all is written."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from metrics.models import CustomerResponse, DirtyRange, Survey, TimeAllocation
from metrics.records.ingest.importer import import_csv
from metrics.records.ingest.kinds import KINDS
from squads.models import Area, Squad

UTC = dt.UTC
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TIMESTAMPS = {  # cell → the instant docs/records.md says it means (None: malformed)
    "2026-03-01T09:30:00Z": dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    "2026-03-01T09:30:00+02:00": dt.datetime(2026, 3, 1, 7, 30, tzinfo=UTC),
    "2026-03-01 09:30": dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    "2025-12-31T23:59:59-01:00": dt.datetime(2026, 1, 1, 0, 59, 59, tzinfo=UTC),
    "2026-13-01T00:00:00Z": None,
    "yesterday": None,
    "2026-02-30": None,
}
SCORE_CELLS = ["", "-1", "0", "1", "3", "4", "5", "6", "9", "10", "11", "x", "5.0", " 7 "]
TEXT = st.text(alphabet='abcXYZ 019,."\néüßñ', max_size=12)


def _score(cell: str, low: int, high: int) -> tuple[int | None, bool]:
    """(value, ok) for a score cell by docs/records.md: empty = no value, else a whole number in [low, high]."""
    text = cell.strip()
    if not text:
        return None, True
    if not text.lstrip("-").isdigit():
        return None, False
    value = int(text)
    return value, low <= value <= high


@st.composite
def response_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    rows = []
    for i in range(draw(st.integers(1, 6))):
        key = f"c-{i}" if not rows or draw(st.integers(0, 9)) else rows[-1]["external_id"]  # sometimes a duplicate
        rows.append(
            {
                "external_id": key,
                "survey": draw(st.sampled_from(["pulse", "pulse", "pulse", ""])),
                "submitted_at": draw(st.sampled_from(sorted(TIMESTAMPS))),
                "account": draw(TEXT),
                "squad": draw(st.sampled_from(["alpha", "", "zeta"])),
                "nps_score": draw(st.sampled_from(SCORE_CELLS)),
                "csat_score": draw(st.sampled_from(SCORE_CELLS)),
                "outcome_score": draw(st.sampled_from(SCORE_CELLS)),
                "top_problem": draw(TEXT),
                "comment": draw(TEXT),
            }
        )
    return rows


def _to_file(kind: str, rows: list[dict[str, str]], encoding: str, line_end: str) -> tuple[bytes, list[int]]:
    """The CSV bytes and the first line number of each row (quoted newlines span lines)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(KINDS[kind].column_names)
    lines, line = [], 2
    for row in rows:
        before = len(out.getvalue())
        writer.writerow([row[c] for c in KINDS[kind].column_names])
        lines.append(line)
        line += len(out.getvalue()[before:].splitlines())  # an editor's lines: \n, \r\n (and \r) all break
    return out.getvalue().encode(encoding), lines


class ImportProperties(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        area = Area.objects.create(slug="payments")
        Squad.objects.create(slug="alpha", name="Alpha", area=area, monthly_cost_per_head=1)

    @SETTINGS
    @given(
        rows=response_rows(),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252"]),
        line_end=st.sampled_from(["\n", "\r\n"]),
    )
    def test_customer_responses(self, rows: list[dict[str, str]], encoding: str, line_end: str) -> None:
        data, lines = _to_file("customer_responses", rows, encoding, line_end)
        marks = DirtyRange.objects.count()
        report = import_csv(kind="customer_responses", stream=io.BytesIO(data))

        # the independent reading
        expected_bad: dict[int, set[str]] = {}
        if encoding in ("latin-1", "cp1252"):
            for line, row in zip(lines, rows, strict=True):
                bad = {c for c, cell in row.items() if not cell.isascii()}
                if bad:
                    expected_bad[line] = bad
        if not expected_bad:  # with undecodable bytes only those are reported
            seen: set[str] = set()
            for line, row in zip(lines, rows, strict=True):
                bad = set()
                if row["external_id"] in seen:
                    bad.add("external_id")
                seen.add(row["external_id"])
                if not row["survey"]:
                    bad.add("survey")
                if TIMESTAMPS[row["submitted_at"]] is None:
                    bad.add("submitted_at")
                if row["squad"] == "zeta":
                    bad.add("squad")
                scores = {
                    "nps_score": _score(row["nps_score"], 0, 10),
                    "csat_score": _score(row["csat_score"], 1, 5),
                    "outcome_score": _score(row["outcome_score"], 1, 5),
                }
                bad |= {name for name, (_, ok) in scores.items() if not ok}
                if all(ok and value is None for value, ok in scores.values()):
                    bad.add("nps_score")  # at least one score
                if bad:
                    expected_bad[line] = bad

        reported: dict[int, set[str]] = {}
        for error in report.errors:
            reported.setdefault(error.line, set()).add(error.field)
            assert error.field in KINDS["customer_responses"].column_names, str(error)
            assert error.reason
        assert set(reported) == set(expected_bad)
        for line, fields in expected_bad.items():
            assert fields <= reported[line], (line, fields, reported[line])

        if expected_bad:
            assert CustomerResponse.objects.count() == 0
            assert not Survey.objects.exists()
            assert DirtyRange.objects.count() == marks
            return
        assert (report.created, report.updated, report.unchanged) == (len(rows), 0, 0)
        for row in rows:
            stored = CustomerResponse.objects.select_related("squad", "survey").get(external_id=row["external_id"])
            assert stored.survey.slug == "pulse"
            assert stored.submitted_at == TIMESTAMPS[row["submitted_at"]]
            assert (stored.squad.slug if stored.squad else "") == row["squad"]
            assert stored.nps_score == _score(row["nps_score"], 0, 10)[0]
            assert stored.csat_score == _score(row["csat_score"], 1, 5)[0]
            assert stored.outcome_score == _score(row["outcome_score"], 1, 5)[0]
            assert (stored.account, stored.top_problem, stored.comment) == (
                row["account"].strip(), row["top_problem"].strip(), row["comment"].strip(),
            )  # fmt: skip
        again = import_csv(kind="customer_responses", stream=io.BytesIO(data))
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))

    @SETTINGS
    @given(data=st.data())
    def test_time_allocations(self, data: st.DataObject) -> None:
        pct_names = [f"pct_{n}" for n in ("features", "quality", "support", "onboarding", "ktlo", "other")]
        rows = []
        for i in range(data.draw(st.integers(1, 5))):
            parts = [Decimal(data.draw(st.integers(0, 2000))) / 100 for _ in range(5)]
            delta = data.draw(st.sampled_from(["0", "0.5", "-0.5", "0.51", "-0.51", "0.01", "-100"]))
            pcts = [*parts, 100 - sum(parts) + Decimal(delta)]
            cells = [str(p) for p in pcts]
            if data.draw(st.integers(0, 3)) == 0:  # break or stretch one cell
                cells[data.draw(st.integers(0, 5))] = data.draw(
                    st.sampled_from(["", "abc", "100.01", "-0.01", "10.005", "1e1", "100", "0"])
                )
            rows.append(
                {
                    "external_id": f"a-{i}",
                    "survey": "time",
                    "squad": data.draw(st.sampled_from(["alpha", "alpha", "zeta", ""])),
                    "month": data.draw(st.sampled_from(["2026-03", "1999-12", "2026-13", "2026-3", ""])),
                    "headcount": data.draw(st.sampled_from(["1", "2", "1000", "0", "-1", "1.5", ""])),
                    **dict(zip(pct_names, cells, strict=True)),
                }
            )
        blob, lines = _to_file("time_allocations", rows, "utf-8", "\n")
        report = import_csv(kind="time_allocations", stream=io.BytesIO(blob))

        expected_bad: dict[int, set[str]] = {}
        for line, row in zip(lines, rows, strict=True):
            bad = set()
            if row["squad"] != "alpha":
                bad.add("squad")
            if row["month"] != "2026-03":  # 1999-12 lies before the records' window (2000-01-01 on)
                bad.add("month")
            if row["headcount"] not in ("1", "2", "1000"):
                bad.add("headcount")
            values = {}
            for name in pct_names:
                try:
                    value = Decimal(row[name])
                except InvalidOperation:
                    bad.add(name)
                    continue
                if not (0 <= value <= 100) or value.as_tuple().exponent < -2:
                    bad.add(name)
                values[name] = value
            if len(values) == 6 and not bad & set(pct_names) and abs(sum(values.values()) - 100) > Decimal("0.5"):
                bad.add("pct_other")
            if bad:
                expected_bad[line] = bad

        reported: dict[int, set[str]] = {}
        for error in report.errors:
            reported.setdefault(error.line, set()).add(error.field)
        assert set(reported) == set(expected_bad)
        for line, fields in expected_bad.items():
            assert fields <= reported[line], (line, fields, reported[line])
        if expected_bad:
            assert TimeAllocation.objects.count() == 0
            assert not Survey.objects.exists()
            return
        assert report.created == len(rows)
        for row in rows:
            stored = TimeAllocation.objects.get(external_id=row["external_id"])
            assert stored.month == dt.date(int(row["month"][:4]), int(row["month"][5:]), 1)
            assert stored.headcount == int(row["headcount"])
            assert [getattr(stored, n) for n in pct_names] == [Decimal(row[n]) for n in pct_names]
