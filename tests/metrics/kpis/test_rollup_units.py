"""Units of the distributed full rollup: in any order, one of them redelivered after a lost run,
they leave exactly the snapshots the single-process rollup leaves (property-generated orgs)."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.kpis import rollup, tasks
from metrics.models import KpiSnapshot, RollupRun
from tests.factories import ReleaseFactory
from tests.metrics.kpis.test_kpi_properties import NOW, _org, _save, records

FAST = settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FIELDS = ("metric", "scope", "grain", "period_start", "value", "sample_size")


def exact_snapshots() -> list[tuple]:
    """Every stored snapshot, values unrounded: the two ways must agree to the last bit."""
    return list(KpiSnapshot.objects.order_by(*FIELDS[:4]).values_list(*FIELDS))


class LostWorker(Exception):
    """The worker running a unit died before its transaction committed."""


@pytest.mark.django_db
@FAST
@given(
    specs=records,
    parts=st.integers(2, 3),
    seed=st.randoms(use_true_random=False),
    lost=st.integers(0, 5),
    start_empty=st.booleans(),
)
def test_units_in_any_order_with_one_redelivered_equal_the_single_process_rollup(
    specs: list[dict], parts: int, seed, lost: int, start_empty: bool, monkeypatch
) -> None:
    numbered = sorted(enumerate(specs), key=lambda pair: pair[1]["kind"] != "release")
    with transaction.atomic():
        org = _org()
        for index, spec in numbered:
            _save(org, index, spec)
        rollup.full_rollup(now=NOW)
        expected = exact_snapshots()
        if start_empty:  # as after a restore
            KpiSnapshot.objects.all().delete()
        else:  # stale rows the units must repair: a changed value, a gone squad, a period after now
            KpiSnapshot.objects.filter(grain="week").update(value=-1.0, sample_size=99)
            KpiSnapshot.objects.create(
                metric="releases", scope="squad:gone", grain="month", period_start=dt.date(2026, 2, 1), computed_at=NOW
            )
            KpiSnapshot.objects.create(
                metric="releases", scope="org", grain="quarter", period_start=dt.date(2027, 1, 1), computed_at=NOW
            )
        units = rollup.rollup_units(now=NOW, parts=parts)
        seed.shuffle(units)
        redelivered = units[lost % len(units)]
        real_write = rollup.write_rows

        def dies_on_first_write(*args, **kwargs):
            monkeypatch.setattr(rollup, "write_rows", real_write)  # the redelivery runs normally
            raise LostWorker

        for unit in units:
            if unit is redelivered:
                monkeypatch.setattr(rollup, "write_rows", dies_on_first_write)
                with contextlib.suppress(LostWorker):
                    rollup.run_unit(unit, now=NOW)
                monkeypatch.setattr(rollup, "write_rows", real_write)
            rollup.run_unit(unit, now=NOW)
        rollup.run_unit(redelivered, now=NOW)  # delivered once more after it succeeded: no change
        assert exact_snapshots() == expected
        transaction.set_rollback(True)


def test_units_partition_the_history_into_windows(db) -> None:
    ReleaseFactory(released_at=dt.datetime(2025, 1, 15, tzinfo=dt.UTC))
    now = dt.datetime(2026, 6, 10, tzinfo=dt.UTC)
    assert len(rollup.rollup_units(now=now, workers=5)) == 10  # two per worker
    units = rollup.rollup_units(now=now, parts=4)
    assert units[0]["from"] is None
    assert units[-1]["to"] is None
    assert [u["to"] for u in units[:-1]] == [u["from"] for u in units[1:]]  # no gap, no overlap
    assert len(units) == 4


def test_a_unit_message_that_makes_no_sense_is_refused(db) -> None:
    with pytest.raises(ValueError, match="unknown grain"):
        rollup.run_unit({"grain": "decade", "since": None})
    with pytest.raises(ValueError, match="empty rollup unit"):
        rollup.run_unit({"from": "2026-03-01", "to": "2026-02-01"})


def test_nightly_run_fans_out_only_when_workers_can_run_more_than_one_task(db, monkeypatch) -> None:
    ReleaseFactory()
    sent: list[str | None] = []
    monkeypatch.setattr(tasks, "rollup_full_distributed", lambda since=None, workers=0: sent.append(workers) or 7)

    monkeypatch.setattr(tasks, "worker_processes", lambda: 3)
    assert tasks.rollup_full.delay(distribute=True).get() == 7  # units sent, nothing computed here
    assert sent == [3]  # sized for the worker processes that answered
    assert not RollupRun.objects.exists()

    monkeypatch.setattr(tasks, "worker_processes", lambda: 1)
    assert tasks.rollup_full.delay(distribute=True).get() > 0  # one worker process: in this process
    assert sent == [3]
    assert RollupRun.objects.filter(kind="full", status="succeeded").count() == 1


def test_counting_worker_processes_sums_pool_sizes_and_falls_back_to_zero(settings, monkeypatch) -> None:
    from celery import current_app

    assert tasks.worker_processes() == 0  # eager mode (tests): no broker to ask
    settings.CELERY_TASK_ALWAYS_EAGER = False

    class Inspect:
        def __init__(self, answer):
            self.answer = answer

        def stats(self):
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    def answering(answer):
        monkeypatch.setattr(current_app.control, "inspect", lambda **kwargs: Inspect(answer))

    answering(ConnectionRefusedError("broker down"))
    assert tasks.worker_processes() == 0
    answering(None)  # nobody answered in time
    assert tasks.worker_processes() == 0
    # one worker started with --concurrency 4, one with 1, one whose pool says nothing (solo)
    answering({"a@h": {"pool": {"max-concurrency": 4}}, "b@h": {"pool": {"max-concurrency": 1}}, "c@h": {"pool": {}}})
    assert tasks.worker_processes() == 6
    answering({"a@h": {"pool": {"max-concurrency": 4}}})  # a single worker with four processes: fan out
    assert tasks.worker_processes() == 4


def test_the_nightly_beat_entry_asks_for_the_distributed_rollup() -> None:
    from django.conf import settings as django_settings

    entry = django_settings.CELERY_BEAT_SCHEDULE["kpi-rollup-full-nightly"]
    assert entry["task"] == tasks.rollup_full.name
    assert entry["kwargs"] == {"distribute": True}


@pytest.mark.django_db(transaction=True)
def test_a_first_build_writes_the_grains_side_by_side_and_a_second_run_finds_nothing_to_change(settings) -> None:
    from tests.metrics.kpis.kpi_fixture import NOW as FIXTURE_NOW
    from tests.metrics.kpis.kpi_fixture import build_org
    from tests.services import require_postgres

    require_postgres()  # the side-by-side COPY is PostgreSQL's, outside a transaction
    settings.KPI_ROLLUP_ON_COMMIT = False
    build_org()
    assert rollup.full_rollup(now=FIXTURE_NOW) == 1728 + 504 + 336  # every week, month and quarter row
    assert KpiSnapshot.objects.count() == 1728 + 504 + 336
    assert rollup.full_rollup(now=FIXTURE_NOW) == 0  # what the parallel COPYs wrote is what is computed
