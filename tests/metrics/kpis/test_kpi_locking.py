"""Two rollups of the same grain at once: the second waits for the first (PostgreSQL advisory locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from metrics.kpis import rollup
from metrics.models import KpiSnapshot
from tests.factories import ReleaseFactory
from tests.services import require_postgres


@pytest.mark.django_db(transaction=True)
def test_a_unit_waits_while_another_rollup_holds_its_grain(settings) -> None:
    require_postgres()
    settings.KPI_ROLLUP_ON_COMMIT = False  # only the rollups this test runs
    ReleaseFactory()
    holding, release_lock, finished = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_week() -> None:
        try:
            with rollup.grain_locks(["week"]):
                holding.set()
                release_lock.wait(30)
        finally:
            connection.close()

    def run_week_unit() -> None:
        try:
            rollup.run_unit({"grain": "week", "since": None})
            finished.set()
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_week)
    holder.start()
    assert holding.wait(10)
    runner = threading.Thread(target=run_week_unit)
    runner.start()
    assert not finished.wait(1.5), "the unit ran while another rollup held the week lock"
    assert not KpiSnapshot.objects.filter(grain="week").exists()
    # other grains are not blocked meanwhile
    assert rollup.run_unit({"grain": "month", "since": None}) > 0
    release_lock.set()
    holder.join(10)
    runner.join(30)
    assert not errors
    assert finished.is_set()
    assert KpiSnapshot.objects.filter(grain="week", metric="releases").exists()
