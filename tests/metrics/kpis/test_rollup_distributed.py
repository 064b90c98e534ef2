"""`rollup_full_distributed`: the full rollup as a Celery group of units gives what `full_rollup` gives."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from metrics.kpis.rollup import full_rollup, rollup_units
from metrics.kpis.tasks import rollup_full_distributed
from metrics.models import KpiSnapshot, RollupRun
from tests.factories import DefectFactory, ReleaseFactory

pytestmark = pytest.mark.django_db

FIELDS = ("metric", "scope", "grain", "period_start", "value", "sample_size")


def snapshots() -> list[tuple]:
    return list(KpiSnapshot.objects.order_by(*FIELDS[:4]).values_list(*FIELDS))


def test_the_group_of_units_writes_the_same_snapshots_as_the_single_process_rollup(squad_a, squad_b) -> None:
    ReleaseFactory(squad=squad_a, released_at=datetime(2026, 3, 2, 12, tzinfo=UTC))
    ReleaseFactory(squad=squad_a, released_at=datetime(2026, 3, 20, 12, tzinfo=UTC))
    ReleaseFactory(squad=squad_b, released_at=datetime(2026, 4, 1, 8, tzinfo=UTC))
    DefectFactory(squad=squad_b, found_at=datetime(2026, 3, 5, tzinfo=UTC))

    sent = rollup_full_distributed.delay().result  # eager here: the group's units run in this process

    assert sent == len(rollup_units()) > 1  # windows of time, from March to now
    runs = RollupRun.objects.filter(kind="full")
    assert [r.status for r in runs] == ["succeeded"] * sent
    distributed = snapshots()
    assert ("releases", "org", "month", date(2026, 3, 1), 2.0, 2) in distributed
    assert ("releases", "squad:bravo", "month", date(2026, 4, 1), 1.0, 1) in distributed
    assert sum(r.snapshots_written for r in runs) == len(distributed)

    KpiSnapshot.objects.all().delete()
    full_rollup()
    assert snapshots() == distributed


def test_running_the_group_twice_changes_nothing(squad_a) -> None:
    ReleaseFactory(squad=squad_a, released_at=datetime(2026, 3, 2, 12, tzinfo=UTC))
    rollup_full_distributed.delay()
    first = snapshots()
    rollup_full_distributed.delay()
    assert snapshots() == first
