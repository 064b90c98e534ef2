"""Record changes mark their KPI periods dirty.

Listens to `record_changed` (single-row writes: admin, API, shell), connected once per
record kind that feeds a KPI, and to `records_bulk_written` (the CSV import); see
`metrics.records.signals`.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from metrics.kpis.dirty import Span, mark_spans, spans_for, spans_of_change, spans_of_changes
from metrics.kpis.models import Baseline, Target
from metrics.records.models import Change, CustomerResponse, Defect, Incident, Release, TimeAllocation
from metrics.records.signals import (
    announce_changes_of,
    record_changed,
    records_bulk_written,
    records_import_finished,
)
from squads.models import Squad

#: Record kinds whose changes move KPI values.
TRACKED = (Release, Change, Incident, Defect, CustomerResponse, TimeAllocation, Squad)


def mark_changed_record_dirty(
    sender: type, instance: Any, action: str, old: dict[str, Any] | None, new: dict[str, Any] | None, **kwargs: Any
) -> None:
    if sender is Squad and action == "delete":
        return  # a squad is deleted with its records; nothing left to roll up for it
    spans, extra = spans_of_change(sender, old, new)
    loaded = getattr(instance, "_loaded_values", None)
    if action == "delete" and loaded:
        spans += spans_for(sender, loaded)  # edited in memory before the delete: the stored values count too
    mark_spans(spans, extra_scopes=extra)


for _model in TRACKED:
    record_changed.connect(mark_changed_record_dirty, sender=_model, dispatch_uid=f"kpi-dirty:{_model.__name__}")

#: import id → (squad id → [first, last] day, extra scope → [first, last] day): a streamed import's
#: marks, merged batch by batch and written once when it finishes (a handful of rows per file).
_PENDING: dict[Any, tuple[dict, dict]] = {}


@receiver(records_bulk_written, dispatch_uid="kpi-dirty-bulk")
def mark_bulk_written_records_dirty(
    sender: type,
    changes: list[tuple[dict | None, dict]],
    known_releases: dict,
    import_id: Any = None,
    **kwargs: Any,
) -> None:
    spans, extra = spans_of_changes(sender, changes, known_releases)
    if import_id is None:
        mark_spans(spans, extra_scopes=extra)
        return
    by_squad, by_scope = _PENDING.setdefault(import_id, ({}, {}))
    for span in spans:
        if span.start is not None and span.end is not None:
            low, high = by_squad.get(span.squad_id, (span.start, span.end))
            by_squad[span.squad_id] = (min(low, span.start), max(high, span.end))
    for scope, start, end in extra:
        low, high = by_scope.get(scope, (start, end))
        by_scope[scope] = (min(low, start), max(high, end))


@receiver(records_import_finished, dispatch_uid="kpi-dirty-import-finished")
def mark_finished_import_dirty(sender: type, import_id: Any, written: bool, **kwargs: Any) -> None:
    by_squad, by_scope = _PENDING.pop(import_id, ({}, {}))
    if written and (by_squad or by_scope):
        mark_spans(
            [Span(squad_id, low, high) for squad_id, (low, high) in by_squad.items()],
            extra_scopes=[(scope, low, high) for scope, (low, high) in by_scope.items()],
        )


# Targets and the baseline are KPI configuration: their changes are announced too (the audit
# log records them); they mark nothing dirty, since snapshots do not depend on them.
announce_changes_of(Target)
announce_changes_of(Baseline)
