#!/usr/bin/env python3
"""Container health checks that need no curl: `healthcheck.py web` or `healthcheck.py beat <schedule file>`.

web:  GET http://127.0.0.1:$PORT/healthz with a Host header Django accepts (the
      first of ALLOWED_HOSTS), exit 0 on HTTP 200.
beat: the beat schedule file was written within BEAT_HEALTH_MAX_AGE seconds
      (beat rewrites it every few minutes while it sends the per-minute rollup).
The worker's check is `celery inspect ping` in docker-compose.yml.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request


def host_header() -> str:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts else "localhost"
    if host == "*":
        return "localhost"
    return host.lstrip(".")


def check_web() -> bool:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host_header()})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError) as exc:
        print(f"web unhealthy: {exc}", file=sys.stderr)
        return False


def check_beat(schedule: str) -> bool:
    max_age = float(os.environ.get("BEAT_HEALTH_MAX_AGE", "900"))
    candidates = [schedule, *(schedule + ext for ext in (".db", ".dat"))]
    ages = [time.time() - os.path.getmtime(path) for path in candidates if os.path.exists(path)]
    if not ages:
        print(f"beat unhealthy: no schedule file at {schedule}", file=sys.stderr)
        return False
    if min(ages) > max_age:
        print(f"beat unhealthy: schedule file not written for {min(ages):.0f}s", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    if sys.argv[1:2] == ["web"] and len(sys.argv) == 2:
        sys.exit(0 if check_web() else 1)
    if sys.argv[1:2] == ["beat"] and len(sys.argv) == 3:
        sys.exit(0 if check_beat(sys.argv[2]) else 1)
    sys.exit(f"usage: {sys.argv[0]} web | beat <schedule file>")
