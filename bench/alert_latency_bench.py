#!/usr/bin/env python
"""Alert latency: the time from a record change to its alert (incremental rollup + evaluation).

    .venv/bin/python bench/alert_latency_bench.py [--rebuild] [--squads 30] [--rounds 30]

Builds once, in its own PostgreSQL database (`BENCH_DATABASE_URL`, default
postgres://root@127.0.0.1:5432/po_reviews_bench), a demo org (`metrics.demo.generate_org`,
2 years) with a full rollup, and alert rules: one per squad on weekly change failure rate
(`squad:*`, above 60 %), monthly NPS off track for every squad, org releases change_pct, and the
measured rule — weekly `releases` of one squad above its current count.

Each round then writes through the product's own path (`metrics.services.save_record`, one
transaction) either 3 releases of today for that squad (the condition starts) or deletes them
again (it ends). On commit the product enqueues the incremental rollup (Celery eager here: no
broker, the same code a worker runs), whose success triggers the rule evaluation; the round's
latency is from just before the write until the alert row exists. The pieces (rollup, evaluation)
are timed separately from the `RollupRun` rows and by timing `evaluate_rules`.

In production the enqueue goes through the broker to a worker; when the broker is unreachable the
dirty marks wait for the every-minute beat, adding at most 60 s. Results: JSON lines; see README.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://root@127.0.0.1:5432/po_reviews_bench"


def _setup() -> None:
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["KPI_ROLLUP_ON_COMMIT"] = "1"  # the product's default: a write enqueues its rollup
    os.environ.pop("CELERY_BROKER_URL", None)  # eager: the worker's code, in this process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _ensure_database() -> None:
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    conn = psycopg2.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def build(rebuild: bool, squads: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from metrics.demo.generator import generate_org
    from metrics.kpis.rollup import full_rollup
    from metrics.models import Release

    call_command("migrate", verbosity=0)
    if Release.objects.exists() and not rebuild:
        return {"phase": "build", "reused": True, "releases": Release.objects.count()}
    if rebuild:
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
    today = timezone.now().date()
    began = time.monotonic()
    with transaction.atomic():
        counts = generate_org(squads=squads, areas=5, start=today - timedelta(days=730), end=today, seed=3)
    built = time.monotonic() - began
    began = time.monotonic()
    snapshots = full_rollup()
    return {
        "phase": "build",
        "records": sum(counts.values()),
        "seconds": round(built, 1),
        "full_rollup_seconds": round(time.monotonic() - began, 1),
        "snapshots": snapshots,
    }


def _rules(squad_slug: str, threshold: int) -> object:
    from django.contrib.auth import get_user_model

    from alerts.models import AlertRule, RuleState
    from metrics.models import Target

    AlertRule.objects.all().delete()
    RuleState.objects.all().delete()
    user_model = get_user_model()
    owner, _ = user_model.objects.get_or_create(username="bench-ops", defaults={"email": "bench@example.com"})
    Target.objects.get_or_create(metric="nps", squad=None, defaults={"value": 20.0})
    AlertRule.objects.create(
        metric="change_failure_rate", scope="squad:*", grain="week", condition="above", threshold=60, created_by=owner
    )
    AlertRule.objects.create(metric="nps", scope="squad:*", grain="month", condition="off_track", created_by=owner)
    AlertRule.objects.create(
        metric="releases", scope="org", grain="month", condition="change_pct", threshold=500, created_by=owner
    )
    measured = AlertRule.objects.create(
        metric="releases",
        scope=f"squad:{squad_slug}",
        grain="week",
        condition="above",
        threshold=threshold,
        created_by=owner,
    )
    measured.subscribers.set([owner])
    return measured


def measure(rounds: int) -> list[dict]:
    from django.db import transaction
    from django.utils import timezone

    from alerts.evaluation import evaluate_rules
    from alerts.models import Alert
    from metrics.kpis.periods import period_start_for
    from metrics.models import KpiSnapshot, Release, RollupRun
    from metrics.records.services import delete_record, save_record
    from squads.models import Squad

    squad = Squad.objects.order_by("slug").first()
    week = period_start_for("week", timezone.now())
    current = (
        KpiSnapshot.objects.filter(metric="releases", scope=squad.scope, grain="week", period_start=week)
        .values_list("value", flat=True)
        .first()
        or 0
    )
    rule = _rules(squad.slug, int(current) + 2)  # three more releases this week cross it
    Release.objects.filter(external_id__startswith="bench-alert-").delete()
    out = []
    added: list[Release] = []
    for i in range(rounds):
        alerts_before = Alert.objects.filter(rule=rule).count()
        runs_before = RollupRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
        began = time.perf_counter()
        with transaction.atomic():  # one write, as an API call or an import makes it
            if not added:
                now = timezone.now()
                for k in range(3):
                    added.append(
                        save_record(
                            kind="releases",
                            data={
                                "external_id": f"bench-alert-{i}-{k}",
                                "squad": squad.slug,
                                "version": f"b{i}.{k}",
                                "released_at": now.isoformat(),
                                "status": "succeeded",
                            },
                        )
                    )
            else:
                for release in added:
                    delete_record(instance=release)
                added = []
        # the commit above ran the rollup and the evaluation (eager); the alert must be there now
        latency = time.perf_counter() - began
        fired = list(Alert.objects.filter(rule=rule).order_by("id")[alerts_before:])
        run = RollupRun.objects.filter(id__gt=runs_before, kind="incremental").order_by("id").first()
        eval_began = time.perf_counter()
        evaluate_rules()  # a second evaluation: what the evaluation alone costs (and it fires nothing)
        evaluation = time.perf_counter() - eval_began
        out.append(
            {
                "phase": "round",
                "round": i,
                "event": fired[0].event if fired else None,
                "alerts": len(fired),
                "latency_s": round(latency, 3),
                "rollup_s": round((run.finished_at - run.started_at).total_seconds(), 3) if run else None,
                "evaluation_s": round(evaluation, 3),
            }
        )
        print(json.dumps(out[-1]), flush=True)
    for release in added:
        delete_record(instance=release)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--squads", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    _ensure_database()
    _setup()
    print(json.dumps(build(args.rebuild, args.squads)), flush=True)
    rounds = measure(args.rounds)
    latencies = sorted(r["latency_s"] for r in rounds)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(
        json.dumps(
            {
                "phase": "summary",
                "rounds": len(rounds),
                "every_round_alerted": all(r["alerts"] == 1 for r in rounds),
                "latency_median_s": round(statistics.median(latencies), 3),
                "latency_p95_s": p95,
                "latency_max_s": latencies[-1],
                "p95_with_missed_enqueue_s": round(p95 + 60, 1),
                "evaluation_median_s": round(statistics.median(r["evaluation_s"] for r in rounds), 3),
                "loadavg": [round(x, 2) for x in os.getloadavg()],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
