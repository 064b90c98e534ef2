"""CSV import of one record kind (`import_records`, and the admin upload, see docs/commands.md).

The whole file is one transaction, streamed: rows are read, parsed and validated
(through `kinds.build_instance`, the same path as single writes) in batches of
BATCH_SIZE and written in bulk batch by batch; the first bad row stops further
writes and any error rolls the whole transaction back, so nothing is half-written.
Memory stays flat whatever the file's size: one batch of rows, the first
MAX_ERRORS errors (plus a count of the rest), the first MAX_OUTCOMES row outcomes,
and 12 bytes per row to find keys repeated across batches. References are fetched
with one query per table and batch, existing records per batch.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
from django.db import DatabaseError, models, transaction

from core.csvsafe import restore
from metrics.records.ingest import kinds as k
from metrics.records.ingest.parsing import format_timestamp as p_format
from metrics.records.models import Change, Release
from metrics.records.signals import records_bulk_written, records_import_finished
from productops.textcheck import REASON, SURROGATE
from squads.roles import can_write_squad_record

#: Rows per bulk write and per chunk of existing records fetched.
BATCH_SIZE = 2000
#: Reference look-ups kept across batches before the cache starts afresh (memory bound).
MAX_KNOWN_REFERENCES = 200_000
_LOOKUP_ATTRIBUTE = {
    k.REF_SQUAD: "squads",
    k.REF_RELEASE: "releases",
    k.REF_SURVEY: "surveys",
    k.REF_AREA: "areas",
    k.REF_USER_EMAIL: "users",
}
#: Errors kept in a report (the rest are counted), and row outcomes kept for the admin preview.
MAX_ERRORS = 100
MAX_OUTCOMES = 1000
_BAD_BYTE = re.compile("[\udc80-\udcff]")
ACTIONS = ("create", "update", "unchanged", "reject")


@dataclass(frozen=True)
class RowError:
    """One problem: `line N: <field>: <reason>` (line 1 is the header)."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class RowOutcome:
    """What the import does (or, with errors/dry run, would do) with one data row."""

    line: int
    key: str | None
    action: str  # one of ACTIONS


@dataclass
class ImportReport:
    """The outcome of `import_csv`. With errors nothing was written; the counts
    then say what the valid rows would have done."""

    kind: str
    dry_run: bool = False
    user: Any = None  # who imported (None: a command-line run)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_ERRORS
    more_errors: int = 0  # errors beyond those kept
    rows: list[RowOutcome] = field(default_factory=list)  # the first MAX_OUTCOMES
    rows_total: int = 0
    rejected: int = 0  # rows with at least one error

    @property
    def ok(self) -> bool:
        return not self.errors and not self.more_errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.more_errors

    def add_error(self, error: RowError) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)
        else:
            self.more_errors += 1

    def add_outcome(self, outcome: RowOutcome) -> None:
        self.rows_total += 1
        self.rejected += outcome.action == "reject"
        if len(self.rows) < MAX_OUTCOMES:
            self.rows.append(outcome)

    @property
    def written(self) -> bool:
        """Whether the import changed the database."""
        return self.ok and not self.dry_run

    def summary(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return f"{text} (dry run, nothing written)" if self.dry_run else text


@dataclass(frozen=True)
class Progress:
    """How far an import has got, handed to `import_csv`'s `progress` callback once a batch."""

    phase: str  # "checking" (the first pass: reading, no database) or "writing"
    rows: int  # data rows done in this phase
    position: int  # bytes of the stream read so far (0 when the stream cannot tell)
    rows_total: int | None = None  # every data row of the file, once the first pass has counted them


def import_csv(
    *,
    kind: str,
    stream: IO[bytes] | IO[str],
    user: Any = None,
    dry_run: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> ImportReport:
    """Validate and upsert every row of a CSV file of `kind`, all or nothing.

    `stream` is binary (decoded as UTF-8, a BOM allowed) or text. With `user`,
    rows of squads the user may not write are rejected (see docs/roles.md). With
    `dry_run` or any error, nothing is written (surveys/areas a file would
    create included). `progress`, if given, is called after each batch of rows.
    Raises KeyError for an unknown kind.
    """
    record_kind = k.get_kind(kind)
    report = ImportReport(kind=kind, dry_run=dry_run, user=user)
    rows_total = None
    if _seekable(stream):
        # A first, cheap pass (no database) over a file on disk or in memory: with unreadable
        # bytes or broken rows only those are reported, as the file is not what was meant.
        start = stream.tell()
        rows_total = 0
        for _ in _read_rows(stream, record_kind, report):
            rows_total += 1
            if progress is not None and rows_total % BATCH_SIZE == 0:
                progress(Progress("checking", rows_total, _position(stream)))
        if not report.ok:
            return report
        stream.seek(start)
    with transaction.atomic():
        importer = _Import(record_kind, user, report)
        for batch in _batches(_read_rows(stream, record_kind, report), BATCH_SIZE):
            importer.run(batch)
            if progress is not None:
                progress(Progress("writing", report.rows_total, _position(stream), rows_total))
        importer.finish()
        if not report.ok or dry_run:
            transaction.set_rollback(True)
    return report


def _seekable(stream: IO[bytes] | IO[str]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _position(stream: IO[bytes] | IO[str]) -> int:
    try:
        return int(stream.tell())
    except (AttributeError, ValueError, OSError):
        return 0


def _batches(rows: Iterable[tuple[int, dict]], size: int) -> Iterator[list[tuple[int, dict]]]:
    batch: list[tuple[int, dict]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- reading --------------------------------------------------------------------------------------


def _read_rows(stream: IO[bytes] | IO[str], kind: k.RecordKind, report: ImportReport) -> Iterator[tuple[int, dict]]:
    """The data rows as (line, {column: cell}), read as they are needed; file-level and
    per-row reading problems go into the report."""
    expected = kind.column_names
    header: list[str] | None = None
    last_line = 1
    try:
        for line, cells in _records(csv.reader(_Chunks(stream))):
            last_line = line
            if header is None:
                if not any(c.strip() for c in cells):
                    continue  # leading blank lines
                header = [c.strip() for c in cells]
                _check_header(header, expected, report)
                if not report.ok:
                    return
                continue
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) != len(header):
                report.add_error(RowError(line, "row", f"expected {len(header)} cells, found {len(cells)}"))
                report.add_outcome(RowOutcome(line, None, "reject"))
                continue
            bad = [(name, cell) for name, cell in zip(header, cells, strict=True) if SURROGATE.search(cell)]
            for name, cell in bad:
                report.add_error(RowError(line, name, _bad_text_reason(cell)))
            if bad:
                report.add_outcome(RowOutcome(line, None, "reject"))
            else:
                yield line, dict(zip(header, cells, strict=True))
    except csv.Error as exc:
        report.add_error(RowError(last_line + 1, "file", f"unreadable CSV: {exc}"))
    if header is None:
        report.add_error(RowError(1, "file", f"empty file; expected the header {','.join(expected)}"))


class _Chunks:
    """Lines of a binary or text stream for `csv.reader`, decoded incrementally (UTF-8, an
    optional BOM; undecodable bytes become escape surrogates, reported per cell)."""

    def __init__(self, stream: IO[bytes] | IO[str]) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self._lines: list[str] = []
        self._tail = ""
        self._first = True
        self._done = False

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> str:
        while not self._lines:
            if self._done:
                raise StopIteration
            self._fill()
        return self._lines.pop()

    def _fill(self) -> None:
        chunk = self._stream.read(1 << 16)
        text = self._decoder.decode(chunk, final=not chunk) if isinstance(chunk, bytes) else chunk
        if self._first and text:
            text = text.removeprefix("\ufeff")
            self._first = False
        text = self._tail + text
        if not chunk:
            self._done = True
            lines, self._tail = ([text] if text else []), ""
        else:
            lines = list(io.StringIO(text, newline=""))  # splits at \n, \r\n and \r only, like a file
            # Keep a possibly unfinished last line (or a lone CR that may precede an LF) for later.
            self._tail = lines.pop() if lines and not lines[-1].endswith("\n") else ""
        self._lines = lines[::-1]


def _bad_text_reason(cell: str) -> str:
    byte = _BAD_BYTE.search(cell)
    if byte:  # a byte the UTF-8 decoder could not read, kept as an escape surrogate
        return f"not valid UTF-8 (byte 0x{ord(byte.group()) - 0xDC00:02x}); save the file as UTF-8"
    return REASON  # a lone surrogate in text handed over already decoded


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of each CSV record; a quoted cell may span lines."""
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _check_header(header: list[str], expected: list[str], report: ImportReport) -> None:
    for position, name in enumerate(header, start=1):
        if SURROGATE.search(name):
            report.add_error(RowError(1, f"column {position}", "not valid UTF-8; save the file as UTF-8"))
        elif name not in expected:
            shown = name or f"column {position} (blank)"
            report.add_error(RowError(1, shown, f"unexpected column; expected {','.join(expected)}"))
        elif header.index(name) != position - 1:
            report.add_error(RowError(1, name, "column appears twice"))
    for name in expected:
        if name not in header:
            report.add_error(RowError(1, name, "missing column"))


# -- validating and writing -----------------------------------------------------------------------


class _Import:
    """Validates and writes one file batch by batch; `finish()` after the last batch."""

    def __init__(self, kind: k.RecordKind, user: Any, report: ImportReport) -> None:
        self.kind = kind
        self.user = user
        self.report = report
        self._may_write: dict[int | None, bool] = {}
        self._order = {name: i for i, name in enumerate(kind.column_names)}
        # 8-byte digests of the keys seen so far and their lines, to find a key repeated in a
        # later batch (12 bytes a row, instead of the keys themselves).
        self._digests: list[np.ndarray] = []
        self._lines: list[np.ndarray] = []
        self.import_id = uuid.uuid4().hex  # ties the batches' dirty marks together (records_import_finished)
        self._known: dict[str, dict] = {}  # reference look-ups kept across batches (bounded)

    def run(self, rows: list[tuple[int, dict]]) -> None:
        kind, report = self.kind, self.report
        parsed_rows = self._parse(rows)
        lookups = self._lookups(k.referenced(kind, (values for _, values, _ in parsed_rows)))
        existing = self._existing([values.get(kind.key) for _, values, _ in parsed_rows])
        creates: list[models.Model] = []
        updates: list[tuple[dict, models.Model]] = []
        built = []
        for line, values, errors in parsed_rows:
            key = values.get(kind.key)
            current = existing.get(key) if key else None
            old = k.field_values(current) if current is not None else None
            instance, errors = k.build_instance(kind, {}, lookups, instance=current, parsed=values, errors=errors)
            if not errors and self.user is not None:
                self._check_scope(instance, old, errors)
                self._check_release_scope(instance, old, lookups, errors)
            built.append((line, key, old, instance, errors))
        if kind.model is k.Release:  # moved after the start of an incident it caused: one query a batch
            late = k.releases_after_their_incidents([inst for _, _, old, inst, errs in built if old and not errs])
            for _, _, _, instance, errors in built:
                if instance.pk in late:
                    errors["released_at"] = k.CAUSE_AFTER_INCIDENT.format(p_format(late[instance.pk]))
        for line, key, old, instance, errors in built:
            if errors:
                for name in sorted(errors, key=lambda n: self._order.get(n, len(self._order))):
                    report.add_error(RowError(line, name, errors[name]))
                report.add_outcome(RowOutcome(line, key, "reject"))
            elif old is None:
                creates.append(instance)
                report.created += 1
                report.add_outcome(RowOutcome(line, key, "create"))
            elif old == k.field_values(instance):
                report.unchanged += 1
                report.add_outcome(RowOutcome(line, key, "unchanged"))
            else:
                updates.append((old, instance))
                report.updated += 1
                report.add_outcome(RowOutcome(line, key, "update"))
        # Once a row is bad nothing will be kept: stop writing, keep validating (for the report).
        if report.ok and not report.dry_run:
            try:
                self._write(creates, updates, lookups)
            except DatabaseError as exc:  # e.g. a concurrent write took a key between our read and write
                reason = f"the database refused the rows, nothing was written (retry the import): {exc}".strip()
                report.add_error(RowError(1, "file", reason))

    def finish(self) -> None:
        """After the last batch: keys repeated across batches (any found rolls the file back),
        then the file's dirty marks, once."""
        self._repeated_keys()
        records_import_finished.send(
            sender=self.kind.model, import_id=self.import_id, written=self.report.ok and not self.report.dry_run
        )

    def _lookups(self, refs: dict[str, set[str]]) -> k.Lookups:
        """`Lookups.load` for the references of a batch, querying only keys no earlier batch
        found (squads, releases… are mostly the same from batch to batch)."""
        if sum(len(known) for known in self._known.values()) > MAX_KNOWN_REFERENCES:
            self._known = {}
        missing = {}
        for ref, values in refs.items():
            known = self._known.setdefault(ref, {})
            normalise = str.lower if ref == k.REF_USER_EMAIL else str
            missing[ref] = {v for v in values if v and normalise(v) not in known}
        fresh = k.Lookups.load(self.kind, missing)
        merged = k.Lookups()
        for ref in refs:
            attribute = _LOOKUP_ATTRIBUTE[ref]
            self._known[ref].update(getattr(fresh, attribute))
            setattr(merged, attribute, self._known[ref])
        return merged

    def _parse(self, rows: list[tuple[int, dict]]) -> list[tuple[int, dict, dict]]:
        """Parse every row of a batch; flag missing keys and keys repeated within the batch."""
        kind = self.kind
        first_line: dict[str, int] = {}
        parsed = []
        for line, cells in rows:
            values, errors = k.parse_cells(kind, {name: restore(cell) for name, cell in cells.items()})
            key = values.get(kind.key)
            if kind.key not in errors:
                if not key:
                    errors[kind.key] = k.REQUIRED
                elif key in first_line:
                    errors[kind.key] = f"duplicate of line {first_line[key]}"
                else:
                    first_line[key] = line
            parsed.append((line, values, errors))
        if first_line:
            self._digests.append(
                np.fromiter((_digest(key) for key in first_line), dtype=np.uint64, count=len(first_line))
            )
            self._lines.append(np.fromiter(first_line.values(), dtype=np.uint32, count=len(first_line)))
        return parsed

    def _repeated_keys(self) -> None:
        if len(self._digests) < 2:
            return  # within one batch `_parse` already found them
        digests = np.concatenate(self._digests)
        lines = np.concatenate(self._lines)
        self._digests, self._lines = [], []
        order = np.lexsort((lines, digests))  # by digest, then by line
        digests, lines = digests[order], lines[order]
        repeated = np.flatnonzero(digests[1:] == digests[:-1]) + 1
        for index in repeated.tolist():
            first = index
            while first > 0 and digests[first - 1] == digests[index]:
                first -= 1
            self.report.add_error(RowError(int(lines[index]), self.kind.key, f"duplicate of line {int(lines[first])}"))

    def _existing(self, keys: list[str | None]) -> dict[str, models.Model]:
        wanted = sorted({key for key in keys if key})
        found: dict[str, models.Model] = {}
        for start in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[start : start + BATCH_SIZE]
            for obj in self.kind.model.objects.filter(**{f"{self.kind.key}__in": chunk}):
                found[getattr(obj, self.kind.key)] = obj
        return found

    def _check_scope(self, instance: models.Model, old: dict | None, errors: dict[str, str]) -> None:
        """docs/roles.md: a PM writes only their own squads' records (old and new squad alike)."""
        squad_ids = {self._squad_id(instance)}
        if old is not None:
            squad_ids.add(self._old_squad_id(old))
        for squad_id in squad_ids:
            if squad_id not in self._may_write:
                self._may_write[squad_id] = can_write_squad_record(self.user, self.kind.model_label, squad_id)
            if not self._may_write[squad_id]:
                field_name = self.kind.squad_column
                errors[field_name] = f"you may not write {self.kind.name} of this squad"
                return

    def _check_release_scope(
        self, instance: models.Model, old: dict | None, lookups: k.Lookups, errors: dict[str, str]
    ) -> None:
        """A PM names in `caused_by_release` only releases of squads they manage (when set or changed)."""
        release = k.referenced_release(instance, lookups)
        if release is None or (old is not None and old.get("caused_by_release_id") == release[0]):
            return
        squad_id = release[1]
        if squad_id not in self._may_write:
            self._may_write[squad_id] = can_write_squad_record(self.user, self.kind.model_label, squad_id)
        if not self._may_write[squad_id]:
            errors["caused_by_release"] = k.NOT_YOUR_RELEASE

    def _squad_id(self, instance: models.Model) -> int | None:
        return self.kind.squad_id_of(instance)

    def _old_squad_id(self, old: dict) -> int | None:
        if self.kind.has_squad:
            return old.get("squad_id")
        if self.kind.model is Change:  # the squad of the release it belonged to
            return Release.objects.filter(pk=old.get("release_id")).values_list("squad_id", flat=True).first()
        return old.get("id")

    def _write(self, creates: list[models.Model], updates: list[tuple[dict, models.Model]], lookups: k.Lookups) -> None:
        model = self.kind.model
        if creates:
            model.objects.bulk_create(creates, batch_size=BATCH_SIZE)
        if updates:
            changed = sorted(
                {name for old, new in updates for name, value in k.field_values(new).items() if old[name] != value}
            )
            fields = [model._meta.get_field(name).name for name in changed if name != "id"]
            for start in range(0, len(updates), BATCH_SIZE):
                model.objects.bulk_update([new for _, new in updates[start : start + BATCH_SIZE]], fields)
        changes = [(None, k.field_values(obj)) for obj in creates] + [
            (old, k.field_values(new)) for old, new in updates
        ]
        known_releases = {pk: (squad_id, at) for pk, squad_id, at in lookups.releases.values()}
        records_bulk_written.send(
            sender=model, changes=changes, known_releases=known_releases, import_id=self.import_id
        )


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest(), "little")
