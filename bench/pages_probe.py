"""Bench-only instrumentation for pages_bench.py --probe (never in the product's settings).

`DJANGO_SETTINGS_MODULE=bench.pages_probe` is the product's settings plus one outermost
middleware that appends, per request, a JSON line to $PAGES_PROBE_DIR/<pid>.jsonl: the
server-side wall time, the thread's CPU time, the SQL statements and their time, new database
connections, time spent in Python's garbage collector, the objects gc.freeze() put out of its
sight, and the client's `X-Bench-Id`, so the
bench can split a slow answer into time in the server and time waiting before it.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time

from productops.settings import *  # noqa: F403
from productops.settings import MIDDLEWARE

MIDDLEWARE = ["bench.pages_probe.Probe", *MIDDLEWARE]

_gc = {"ms": 0.0, "started": 0.0}
_local = threading.local()
_write_lock = threading.Lock()


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc["started"] = time.perf_counter()
    else:
        _gc["ms"] += (time.perf_counter() - _gc["started"]) * 1000


def _on_connect(sender, connection, **kwargs) -> None:
    _local.connects = getattr(_local, "connects", 0) + 1


class Probe:
    def __init__(self, get_response) -> None:
        from django.db.backends.signals import connection_created

        self.get_response = get_response
        gc.callbacks.append(_on_gc)
        connection_created.connect(_on_connect, weak=False)
        folder = os.environ.get("PAGES_PROBE_DIR", "/tmp")
        self.out = open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a", buffering=1)  # noqa: SIM115

    def __call__(self, request):
        from django.db import connection

        stats = {"n": 0, "ms": 0.0}

        def timed(execute, sql, params, many, context):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                stats["n"] += 1
                stats["ms"] += (time.perf_counter() - began) * 1000

        _local.connects = 0
        gc_before = _gc["ms"]
        wall, cpu = time.perf_counter(), time.thread_time()
        with connection.execute_wrapper(timed):
            response = self.get_response(request)
        line = {
            "id": request.headers.get("X-Bench-Id"),
            "path": request.path,
            "server_ms": round((time.perf_counter() - wall) * 1000, 2),
            "cpu_ms": round((time.thread_time() - cpu) * 1000, 2),
            "queries": stats["n"],
            "sql_ms": round(stats["ms"], 2),
            "connects": _local.connects,
            "gc_ms": round(_gc["ms"] - gc_before, 2),
            "threads_busy": threading.active_count(),
            "gc_frozen": gc.get_freeze_count(),
        }
        with _write_lock:
            self.out.write(json.dumps(line) + "\n")
        return response
