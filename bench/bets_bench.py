#!/usr/bin/env python
"""Bets benchmark: computing the effects of 50 bets × 4 KPIs on the 1M-record org.

    BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/po_bets_bench .venv/bin/python bench/bets_bench.py

Reuses `rollup_bench.build` (50 squads × 3 years, `metrics.demo.generate_org(scale=17)`, about
1,036,000 records) in its own database, runs the full rollup once when no snapshots are stored,
then creates 50 bets (2–4 treatment squads each, every other active squad as comparison, starts
spread over the last year, 4 target KPIs: three weekly and one month-only) and measures:

1. `cold`: every bet's effects computed with no cache (snapshot reads + bootstrap), best of 3;
2. `warm`: the same through the cache (what `/bets/` and the API do after the first read: one
   fingerprint query per bet and grain), best of 3;
3. per-bet cold times (median and max).

Prints JSON lines with the load average; see bench/README.md.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import rollup_bench  # noqa: E402  (the 1M-record org builder)

TARGETS = [
    [
        ("change_failure_rate", "lower"),
        ("lead_time_hours", "lower"),
        ("incidents", "lower"),
        ("support_time_pct", "lower"),
    ],
    [("releases", "higher"), ("defects_found", "lower"), ("mttr_hours", "lower"), ("feature_time_pct", "higher")],
]
BETS = 50


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def make_bets() -> list:
    from django.utils import timezone

    from bets.models import Bet
    from bets.services import TargetInput, create_bet
    from squads.models import Squad

    Bet.objects.all().delete()
    rng = random.Random(5)
    slugs = list(Squad.objects.filter(active=True).order_by("slug").values_list("slug", flat=True))
    today = timezone.now().date()
    for i in range(BETS):
        create_bet(
            user=None,
            title=f"bench bet {i}",
            hypothesis="bench",
            kind="experiment",
            treatment_squads=rng.sample(slugs, rng.randint(2, 4)),
            start=today - timedelta(days=rng.randint(20, 365)),
            targets=[TargetInput(m, d) for m, d in TARGETS[i % 2]],
        )
    return list(Bet.objects.order_by("id"))


def timed(bets: list, *, use_cache: bool) -> tuple[float, list[float]]:
    from bets.effects import bet_effects

    per_bet = []
    started = time.perf_counter()
    for bet in bets:
        t = time.perf_counter()
        effects = bet_effects(bet, use_cache=use_cache)
        assert len(effects) == 4
        per_bet.append(time.perf_counter() - t)
    return time.perf_counter() - started, per_bet


def main() -> None:
    rollup_bench._ensure_database()
    rollup_bench._setup()
    print(json.dumps(rollup_bench.build(False, 17.0)), flush=True)
    from django.core.cache import cache

    from metrics.kpis.rollup import full_rollup
    from metrics.models import CustomerResponse, Defect, Incident, KpiSnapshot, Release, TimeAllocation

    if not KpiSnapshot.objects.exists():
        started = time.perf_counter()
        written = full_rollup()
        print(
            json.dumps({"phase": "rollup", "seconds": round(time.perf_counter() - started, 1), "snapshots": written}),
            flush=True,
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics for the new snapshots, as autovacuum would give
    bets = make_bets()
    kinds = (Release, Incident, Defect, CustomerResponse, TimeAllocation)
    size = {
        "records": sum(m.objects.count() for m in kinds),
        "snapshots": KpiSnapshot.objects.count(),
        "bets": len(bets),
        "kpis_per_bet": 4,
    }
    print(json.dumps({"phase": "data", **size, "load": _load()}), flush=True)
    colds = []
    for _ in range(3):
        total, per_bet = timed(bets, use_cache=False)
        colds.append((total, per_bet))
        print(json.dumps({"phase": "cold", "seconds": round(total, 3), "load": _load()}), flush=True)
    best_total, best_per_bet = min(colds, key=lambda pair: pair[0])
    cache.clear()
    timed(bets, use_cache=True)  # fill the cache
    warms = []
    for _ in range(3):
        total, _per = timed(bets, use_cache=True)
        warms.append(total)
        print(json.dumps({"phase": "warm", "seconds": round(total, 3), "load": _load()}), flush=True)
    print(
        json.dumps(
            {
                "phase": "summary",
                "bets": len(bets),
                "effects": 4 * len(bets),
                "cold_best_seconds": round(best_total, 3),
                "warm_best_seconds": round(min(warms), 3),
                "per_bet_cold_median_ms": round(statistics.median(best_per_bet) * 1000, 1),
                "per_bet_cold_max_ms": round(max(best_per_bet) * 1000, 1),
                "load": _load(),
            }
        )
    )


if __name__ == "__main__":
    main()
