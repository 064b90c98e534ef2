"""How page latency grows with the org: pages_bench.py at 10, 25, 50 and 100 squads, with and
without think time, then a plot of p95 against squads (not a test: numbers for humans).

Run:  .venv/bin/python bench/pages_sweep.py [--squads 10 25 50 100] [--think 0 0.5] [--seconds 20]
      .venv/bin/python bench/pages_sweep.py --plot-only   # redraw from bench/results/pages_sweep.json

Runs use --probe, so the plot can also show the server's CPU time per request, which depends
on the work a page does rather than on the machine's load. Each org lives in its own database,
productops_bench_pages_<squads> (BENCH_DATABASE_PREFIX to change the prefix), built on first use.
Every run is one pages_bench.py process (gunicorn as configured in docker/gunicorn.conf.py, Redis
caches); its JSON, with the load average before and after, goes to bench/results/pages_sweep.json
and the plot to bench/pages_p95_by_squads.png.
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
                "--probe",
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
    rows_of = ["p95", "ratio", "cpu"]
    fig, axes = plt.subplots(3, len(thinks), figsize=(6.2 * len(thinks), 11), sharex=True, squeeze=False)
    for column, think in enumerate(thinks):
        runs = sorted((r for r in results if r["think_s"] == think), key=lambda r: r["squads"])
        squads = [r["squads"] for r in runs]
        p95, ratio, cpu = (axes[rows_of.index(k)][column] for k in rows_of)
        for name, label in PAGES:
            p95.plot(squads, [r["pages"][name]["p95_ms"] for r in runs], marker="o", label=label)
            ratio.plot(squads, [r["pages"][name]["p95_over_ping"] for r in runs], marker="o", label=label)
            cpu.plot(squads, [_cpu(r, name) for r in runs], marker="o", label=label)
        p95.plot(squads, [r["pages"]["ping"]["p95_ms"] for r in runs], "s--", color="black", label="/ping/ (minimal)")
        cpu.plot(squads, [_cpu(r, "ping") for r in runs], "s--", color="black", label="/ping/ (minimal)")
        ratio.axhline(4, color="red", linestyle=":")
        ratio.annotate(
            "target ≤ 4", (squads[-1], 4), xytext=(0, 4), textcoords="offset points", ha="right", color="red"
        )
        loads = ", ".join(f"{r['loadavg_before'][0]:.1f}→{r['loadavg_after'][0]:.1f}" for r in runs)
        pause = f"{think:g} s think time (±50 %)" if think else "no think time (back to back)"
        p95.set_title(f"{runs[0]['users']} users, {pause}\nload average per run: {loads}", fontsize=9.5)
        p95.set_ylabel("p95 latency (ms)")
        ratio.set_ylabel("p95 ÷ p95 of /ping/")
        ratio.set_ylim(0, max(5, *(r["pages"][n]["p95_over_ping"] for r in runs for n, _ in PAGES)) * 1.1)
        cpu.set_ylabel("server CPU per request, mean (ms)")
        cpu.set_xlabel("squads in the org")
        cpu.set_xticks(squads)
        for ax in (p95, ratio, cpu):
            ax.set_ylim(bottom=0)
            ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="upper left")
    config = results[0]["gunicorn"]
    fig.suptitle(
        f"Warm pages against org size — gunicorn {config['workers']} workers × {config['threads']} threads, "
        f"Redis caches, {results[0]['cpus']} CPUs shared with other jobs",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(PLOT, dpi=100)
    print(f"plot: {PLOT.relative_to(ROOT)}")


def _cpu(result: dict, name: str) -> float:
    """Mean server CPU time of a request (pages_bench --probe): the work, whatever the load."""
    return result["pages"][name].get("probe", {}).get("all", {}).get("cpu_ms", float("nan"))


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
