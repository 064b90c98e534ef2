"""`rollup_status [--json] [--check]`: the state of the KPI rollup, for the people running it.

Prints the last full and incremental run (start, status, duration, snapshots
written), runs still in progress, the dirty ranges waiting for the next
incremental run (how many, the oldest), and the recent failures with their
error. A run still marked running after Celery's hard time limit lost its
worker and shows as `abandoned` (at once when its run lock is free, see
`metrics.kpis.liveness`). `--check` exits 1 when KPIs are stale (no successful
run within KPI_STALE_AFTER, changes waiting longer than KPI_DIRTY_STALE_AFTER, a
run that lost its worker) or the latest run of a kind failed or was
abandoned, so cron or monitoring can alert on it; `--json` prints the same facts as one JSON object.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.kpis.models import RollupRun
from metrics.kpis.selectors import rollup_status


def _ago(seconds: int | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC")


def _run_line(label: str, facts: dict[str, Any] | None) -> str:
    if facts is None:
        return f"{label:<18}never"
    if facts["duration_seconds"] is not None:
        duration = f"{facts['duration_seconds']:.1f} s"
    else:
        duration = "worker lost" if facts["status"] == "abandoned" else "still running"
    line = (
        f"{label:<18}{_when(facts['started_at'])}  {facts['status']:<9}  {duration}  "
        f"{facts['snapshots_written']} snapshots  ({_ago(facts['age_seconds'])})"
    )
    return line + (f"\n{'':<18}error: {facts['error']}" if facts["error"] else "")


class Command(BaseCommand):
    help = "Show the state of the KPI rollup: last full and incremental run, dirty periods waiting, failures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
        parser.add_argument(
            "--check", action="store_true", help="exit 1 when KPIs are stale or the latest run of a kind failed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        status = rollup_status()
        self.stdout.write(json.dumps(status, indent=2) if options["json"] else self.render(status))
        if options["check"]:
            problems = self.problems(status)
            if problems:
                raise CommandError("; ".join(problems), returncode=1)

    @staticmethod
    def problems(status: dict[str, Any]) -> list[str]:
        found = []
        if status["stale"]:
            found.append("KPIs are stale: " + ", ".join(status.get("stale_reasons") or ["no recent successful rollup"]))
        for kind in ("full", "incremental"):
            last = status[f"last_{kind}"]
            if last and last["status"] in {RollupRun.Status.FAILED, "abandoned"}:
                found.append(f"the last {kind} rollup {'failed' if last['status'] == 'failed' else 'was abandoned'}")
        return found

    @staticmethod
    def render(status: dict[str, Any]) -> str:
        dirty = status["dirty_waiting"]
        lines = [
            f"KPI rollup status at {_when(status['now'])}",
            _run_line("last full:", status["last_full"]),
            _run_line("last incremental:", status["last_incremental"]),
            f"{'running now:':<18}{len(status['running'])}"
            + "".join(f"\n{'':<18}{r['kind']} since {_when(r['started_at'])}" for r in status["running"]),
            f"{'last success:':<18}"
            + (_when(status["last_success_at"]) if status["last_success_at"] else "never")
            + ("  STALE" if status["stale"] else ""),
            f"{'dirty waiting:':<18}{dirty['count']} ranges"
            + (f", oldest {_when(dirty['oldest'])} ({_ago(dirty['oldest_age_seconds'])})" if dirty["oldest"] else ""),
            f"{'failures (7 d):':<18}{status['failures_last_7_days']}",
        ]
        for failure in status["recent_failures"]:
            lines.append(f"{'':<18}{_when(failure['started_at'])}  {failure['kind']}  {failure['error']}")
        return "\n".join(lines)
