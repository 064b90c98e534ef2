#!/usr/bin/env python
"""How the full rollup's cost grows with the records: time and peak memory at several org sizes.

    .venv/bin/python bench/rollup_scale_bench.py [--sizes 0.1 0.3 1 3 5] [--plot-only]

Each size is the org of bench/rollup_bench.py (50 squads, 6 areas, scale 17: ≈ 345,000 records
a year) with a longer or shorter history — 0.1M ≈ 0.3 years … 5M ≈ 15 years — each in its own
database `productops_bench_<size>m` (`productops_bench` for 1M, the database rollup_bench.py
uses), built on first use. For every size, each step in a fresh child process of rollup_bench.py
(so peak RSS is the step's own): `copy` (every record table read once), `full_cold` (the first
build, into an empty snapshot table), `copy` again, `full` (the nightly run over stored
snapshots). Results go to bench/rollup_scale.json (one JSON line per size, the load average
beside each) and the plot to bench/rollup_scale.png.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
YEARS_PER_MILLION = 3.0 / 1.036  # rollup_bench.py: 3 years at scale 17 ≈ 1,036,000 records


def database(size: float) -> str:
    name = "productops_bench" if size == 1 else f"productops_bench_{size:g}m".replace(".", "_")
    return f"postgres://root@127.0.0.1:5432/{name}"


def run(size: float, args: list[str]) -> list[dict]:
    env = dict(os.environ, BENCH_DATABASE_URL=database(size))
    out = subprocess.run(
        [sys.executable, str(BENCH / "rollup_bench.py"), *args], env=env, capture_output=True, text=True, check=True
    )
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def measure(size: float) -> dict:
    build = run(size, ["--build-only", "--years", str(round(size * YEARS_PER_MILLION, 3))])[-1]
    result: dict = {"size_m": size, "build": build.get("seconds", "existing")}
    for step, phase in enumerate(("copy", "full_cold", "copy", "full")):
        load = os.getloadavg()[0]
        measured = run(size, ["--phase", phase])[-1]
        measured["load_average_1m"] = round(load, 2)
        result[f"{phase}{step}" if phase == "copy" else phase] = measured
    result["records"] = records(size)
    result["full_over_copy"] = round(result["full"]["seconds"] / result["copy2"]["seconds"], 2)
    result["full_cold_over_copy"] = round(result["full_cold"]["seconds"] / result["copy0"]["seconds"], 2)
    return result


def records(size: float) -> int:
    import psycopg2

    tables = ("release", "incident", "defect", "customerresponse", "timeallocation")
    with psycopg2.connect(database(size)) as conn, conn.cursor() as cur:
        return sum(cur.execute(f"SELECT count(*) FROM metrics_{t}") or cur.fetchone()[0] for t in tables)


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = sorted(results, key=lambda r: r["records"])
    x = [r["records"] / 1e6 for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label in (("full_cold", "first build (empty table)"), ("full", "nightly full rollup"), ("copy2", "COPY")):
        left.plot(x, [r[key]["seconds"] for r in results], marker="o", label=label)
    left.set(xlabel="records (millions)", ylabel="seconds", title="Full rollup time")
    left.legend()
    left.grid(alpha=0.3)
    for key, label in (("full_cold", "first build"), ("full", "nightly full rollup")):
        right.plot(x, [r[key]["peak_rss_mb"] for r in results], marker="o", label=label)
    right.axhline(1024, color="grey", linestyle="--", linewidth=1, label="1 GB")
    right.set(xlabel="records (millions)", ylabel="peak RSS (MB)", title="Full rollup peak memory", ylim=(0, None))
    right.legend()
    right.grid(alpha=0.3)
    loads = [r["full"]["load_average_1m"] for r in results]
    fig.suptitle(f"productops KPI rollup, 2-core machine (load average {min(loads)}–{max(loads)})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.1, 0.3, 1, 3, 5], help="millions of records")
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from bench/rollup_scale.json")
    args = parser.parse_args()
    store = BENCH / "rollup_scale.json"
    known = {}
    if store.exists():
        known = {r["size_m"]: r for r in map(json.loads, store.read_text().splitlines())}
    if not args.plot_only:
        for size in args.sizes:
            known[size] = measure(size)
            print(json.dumps(known[size]), flush=True)
            store.write_text("".join(json.dumps(r) + "\n" for _, r in sorted(known.items())))
    plot(list(known.values()), BENCH / "rollup_scale.png")


if __name__ == "__main__":
    main()
