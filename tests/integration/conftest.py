from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import require_postgres, require_redis
from tests.support.workers import reset_broker_pools


@pytest.fixture
def broker_app() -> Iterator[str]:
    """The Celery app sending to this test process's Redis instead of running tasks eagerly; its
    queue starts empty. Yields the broker URL for the worker subprocesses."""
    from productops.celery import app

    broker = require_redis()
    require_postgres()
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    reset_broker_pools(app)
    app.conf.update(broker_url=broker, task_always_eager=False)
    try:
        app.control.purge()
        yield broker
    finally:
        reset_broker_pools(app)
        app.conf.update(saved)
