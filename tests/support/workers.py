"""Real Celery workers in subprocesses, pointed at this test process's database and Redis."""

from __future__ import annotations

import subprocess
from typing import Any


def reset_broker_pools(app: Any) -> None:
    """Forget pooled broker connections and producers: kombu keeps global pools per broker URL, so
    without this the next send would reuse a connection to the broker configured before."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


def stop(process: subprocess.Popen, timeout: float = 20) -> bytes:
    """SIGTERM (a worker's warm shutdown), SIGKILL after `timeout`; what it printed, if piped."""
    if process.poll() is None:
        process.terminate()
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or b""
