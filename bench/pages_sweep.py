"""How page latency grows with the org: pages_bench.py at 10, 25, 50 and 100 squads, with and
without think time, then a plot of p95 against squads (not a test: numbers for humans).

Run:  .venv/bin/python bench/pages_sweep.py [--squads 10 25 50 100] [--think 0 0.5] [--seconds 20]
      .venv/bin/python bench/pages_sweep.py --plot-only   # redraw from bench/results/pages_sweep.json

Each org lives in its own database, productops_bench_pages_<squads> (BENCH_DATABASE_PREFIX to
change the prefix), built on first use. Every run is one pages_bench.py process (gunicorn as
configured in docker/gunicorn.conf.py, Redis caches); its JSON, with the load average before and
after, goes to bench/results/pages_sweep.json and the plot to bench/pages_p95_by_squads.png.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench/results/pages_sweep.json"
PLOT = ROOT / "bench/pages_p95_by_squads.png"
PAGES = [("overview", "/"), ("squad", "squad page"), ("metric", "metric page"), ("api_kpis", "/api/kpis/")]


def run(squads: int, think: float, seconds: float, users: int) -> dict:
    prefix = os.environ.get("BENCH_DATABASE_PREFIX", "postgres://root@127.0.0.1:5432/productops_bench_pages")
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench/pages_bench.py"),
                "--squads",
                str(squads),
                "--think",
                str(think),
                "--seconds",
                str(seconds),
                "--users",
                str(users),
                "--json",
                out.name,
            ],
            check=True,
            env={**os.environ, "DATABASE_URL": f"{prefix}_{squads}"},
        )
        return json.loads(Path(out.name).read_text())


def plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    thinks = sorted({r["think_s"] for r in results})
    fig, axes = plt.subplots(1, len(thinks), figsize=(6 * len(thinks), 4.6), sharey=True, squeeze=False)
    for ax, think in zip(axes[0], thinks, strict=True):
        rows = sorted((r for r in results if r["think_s"] == think), key=lambda r: r["squads"])
        squads = [r["squads"] for r in rows]
        for name, label in PAGES:
            ax.plot(squads, [r["pages"][name]["p95_ms"] for r in rows], marker="o", label=label)
        ping = [r["pages"]["ping"]["p95_ms"] for r in rows]
        ax.plot(squads, ping, marker="s", color="black", linestyle="--", label="/ping/ (minimal page)")
        ax.plot(squads, [4 * p for p in ping], color="grey", linestyle=":", label="target: 4 × /ping/")
        loads = ", ".join(f"{r['loadavg_after'][0]:.1f}" for r in rows)
        pause = f"{think:g} s think time" if think else "no think time"
        ax.set_title(f"{rows[0]['users']} users, {pause}\n(load average after each run: {loads})", fontsize=10)
        ax.set_xlabel("squads in the org")
        ax.set_xticks(squads)
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("p95 latency (ms)")
    axes[0][-1].legend(fontsize=8, loc="upper left")
    config = results[0]["gunicorn"]
    fig.suptitle(
        f"Page p95 against org size — gunicorn {config['workers']} × {config['threads']} threads, "
        f"Redis caches, {results[0]['cpus']} shared CPUs",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    print(f"plot: {PLOT.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squads", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--think", type=float, nargs="+", default=[0.0, 0.5])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args()
    if not args.plot_only:
        results = []
        for squads in args.squads:
            for think in args.think:
                result = run(squads, think, args.seconds, args.users)
                results.append(result)
                line = {name: row["p95_over_ping"] for name, row in result["pages"].items() if name != "ping"}
                print(json.dumps({"squads": squads, "think_s": think, "p95_over_ping": line}), flush=True)
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    plot(json.loads(RESULTS.read_text()))


if __name__ == "__main__":
    main()
