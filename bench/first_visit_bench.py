"""First-visit weight: bytes on the wire for the sign-in page plus the first dashboard, cold cache.

Run a server first (the Quick start: `PORT=8001 bin/start`), then:

    .venv/bin/python bench/first_visit_bench.py [--url http://127.0.0.1:8001] [--user viewer]
        [--password demo-viewer-2026] [--rounds 3]

Each round opens a new headless Chromium context (empty HTTP cache, no cookies), loads `/` (which
redirects to the sign-in page), signs in, and waits until every chart of the org overview is drawn.
It sums, per request, the encoded bytes Chromium received (`Network.loadingFinished`'s
`encodedDataLength`: headers plus the body as sent, i.e. compressed), and prints one JSON line per
round plus the biggest files. Target: ≤ 1.5 MB for the whole visit.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def one_visit(browser, url: str, user: str, password: str) -> dict:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = defaultdict(int)
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    began = time.monotonic()
    page.goto(f"{url}/")
    sign_in_bytes = sum(sizes.values())
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_load_state("load")
    charts = page.locator("div.chart[data-figure]").count()
    page.wait_for_function(
        "n => document.querySelectorAll('div.chart[data-figure] .main-svg').length >= n", arg=charts, timeout=60000
    )
    seconds = time.monotonic() - began
    page.wait_for_timeout(300)  # let the last loadingFinished events arrive
    per_url: dict[str, int] = defaultdict(int)
    for request_id, size in sizes.items():
        per_url[urls.get(request_id, request_id).split("?")[0].removeprefix(url)] += size
    context.close()
    total = sum(sizes.values())
    return {
        "requests": len(sizes),
        "sign_in_page_kb": round(sign_in_bytes / 1024, 1),
        "total_kb": round(total / 1024, 1),
        "total_mb": round(total / 1024 / 1024, 3),
        "seconds_to_charts_drawn": round(seconds, 2),
        "charts": charts,
        "biggest": sorted(((k, round(v / 1024, 1)) for k, v in per_url.items()), key=lambda kv: -kv[1])[:6],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="viewer")
    parser.add_argument("--password", default="demo-viewer-2026")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        results = []
        for round_no in range(1, args.rounds + 1):
            result = one_visit(browser, args.url.rstrip("/"), args.user, args.password)
            results.append(result)
            print(json.dumps({"round": round_no, **result}))
        browser.close()
    print(
        json.dumps(
            {
                "summary": "cold first visit (sign-in page + org overview)",
                "total_mb_max": max(r["total_mb"] for r in results),
                "seconds_median": sorted(r["seconds_to_charts_drawn"] for r in results)[len(results) // 2],
                "target_mb": 1.5,
            }
        )
    )


if __name__ == "__main__":
    main()
