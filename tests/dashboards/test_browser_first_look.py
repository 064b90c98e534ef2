"""The first look in real headless Chromium (issue 10): the verdict band answers at the top of the
page and its links work, a low-confidence value gets "too few records" instead of a verdict, a PM
lands on their squads, and a viewer can follow every link of a squad page (records included)
without meeting a 403. Screenshots of `/`, a squad page, a metric page and the review page at
1440×900 and 390 wide go to artifacts/screenshots/ (gitignored)."""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

import pytest
from django.core.cache import cache

from dashboards.controls import default_controls
from metrics.demo.users import DEMO_USERS
from metrics.models import KpiSnapshot
from tests.dashboards.test_browser import SHOTS, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

PASSWORDS = {u.username: u.password for u in DEMO_USERS}
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


def luminance(css_rgb: str) -> float:
    """Relative luminance (WCAG) of a computed `rgb(r, g, b)` colour: 0 black, 1 white."""
    channels = [int(part) / 255 for part in css_rgb[css_rgb.index("(") + 1 : css_rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def links_answer(session: Session, hrefs: list[str]) -> dict[str, int]:
    """GET every link (resolved against the tab's page) with its session cookies; href → status,
    no redirects followed."""
    statuses = {}
    here = session.page.url
    for href in sorted(set(hrefs)):
        url = urljoin(here, href)
        if urlparse(url).netloc != urlparse(session.base).netloc:
            continue
        statuses[href] = session.page.request.get(url, max_redirects=0).status
    return statuses


@pytest.mark.slow
def test_verdict_band_on_top_with_working_links_and_screenshots(live_server, demo_org, browser) -> None:
    squad = demo_org[0]
    session = Session(browser, live_server.url, "viewer", PASSWORDS["viewer"])
    page = session.page
    pages = {"overview": "/", "squad": f"/squads/{squad.slug}/", "metric": "/metrics/uptime_pct/", "review": "/review/"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            session.open(path, f"first-look-{name}-{size}")
            page.screenshot(path=str(SHOTS / f"first-look-{name}-{size}.png"), full_page=True)
            page.screenshot(path=str(SHOTS / f"first-look-{name}-{size}-top.png"))  # what is seen first
            overflow = page.evaluate("document.documentElement.scrollWidth") - width
            assert overflow <= 1, f"{path} is {overflow}px wider than a {width}px screen"
            if name == "metric":
                continue
            verdict = page.locator("section.verdict")
            verdict.screenshot(path=str(SHOTS / f"first-look-{name}-{size}-verdict.png"))
            assert verdict.count() == 1, path
            box = verdict.bounding_box()
            # right under the controls: high on a laptop, and on the first screen of a phone
            top = 320 if size == "desktop" else height - 300
            assert box is not None, f"the verdict of {path} is not shown"
            assert box["y"] < top, f"the verdict of {path} is not at the top ({box})"
            assert "with a target" in verdict.inner_text()
            if size == "desktop":
                hrefs = [a.get_attribute("href") for a in verdict.locator("a").all()]
                assert hrefs, f"no links in the verdict of {path}"
                bad = {h: s for h, s in links_answer(session, hrefs).items() if s != 200 and not h.startswith("#")}
                assert bad == {}, f"verdict links of {path} that do not answer 200: {bad}"
        # the heatmap fits the desktop width: no horizontal scrolling of its box
        if size == "desktop":
            page.goto(f"{live_server.url}/")
            page.locator("#squads").screenshot(path=str(SHOTS / "first-look-heatmap-desktop.png"))
            overflow = page.evaluate(
                "(() => { const w = document.querySelector('.heatwrap'); return w.scrollWidth - w.clientWidth; })()"
            )
            assert overflow <= 1, f"the heatmap overflows 1440 px by {overflow}px"
    assert session.errors == []


def test_low_confidence_value_shows_too_few_records(live_server, demo_org, browser) -> None:
    # the latest complete month's org NPS rests on one promoter: +100 from n=1 (target ≥ +30)
    period = default_controls().latest_complete_period()
    updated = KpiSnapshot.objects.filter(metric="nps", scope="org", grain="month", period_start=period).update(
        value=100.0, sample_size=1
    )
    assert updated == 1
    cache.clear()  # page bodies are cached per rollup; this test edits a snapshot behind the rollup's back
    session = Session(browser, live_server.url, "viewer", PASSWORDS["viewer"])
    page = session.page
    session.open("/", "low-confidence-nps")
    tile = page.locator("#tile-nps")
    assert "+100" in tile.inner_text()
    assert "n=1" in tile.inner_text()
    assert tile.locator(".badge.toofew").inner_text() == "too few records"
    assert tile.locator(".badge.status").count() == 0
    assert "good" not in (tile.get_attribute("class") or "")
    assert session.errors == []


def test_pm_lands_on_their_squads(live_server, demo_org, browser) -> None:
    session = Session(browser, live_server.url, "pm", PASSWORDS["pm"])  # PM of the first two squads
    page = session.page
    assert urlparse(page.url).path == "/my-squads/"
    names = page.locator(".squad-card h2 a").all_inner_texts()
    assert names == [s.name for s in sorted(demo_org[:2], key=lambda s: s.name)]
    assert page.locator("nav.mainnav a.mine").inner_text() == "My squads"
    page.locator(".squad-card h2 a").first.click()
    page.wait_for_load_state("load")
    assert urlparse(page.url).path.startswith("/squads/")
    assert page.locator("section.verdict").count() == 1
    assert session.errors == []


@pytest.mark.slow
def test_viewer_follows_every_link_of_a_squad_page_without_a_403(live_server, demo_org, browser) -> None:
    session = Session(browser, live_server.url, "viewer", PASSWORDS["viewer"])
    page = session.page
    session.open(f"/squads/{demo_org[0].slug}/", "squad-links-viewer")
    record_links = [a.get_attribute("href") for a in page.locator("#records a").all()]
    record_links = [h for h in record_links if h and h.startswith("/records/")]
    assert len(record_links) >= 3, "the demo squad has records in its latest month"
    every_link = [a.get_attribute("href") for a in page.locator("a[href]").all()]
    answers = links_answer(session, [h for h in every_link if h and not h.startswith("#")])
    assert {h: s for h, s in answers.items() if s >= 400} == {}
    assert not any("/admin/" in h for h in answers)  # a viewer is offered no admin link
    # and one step further: every link on each record page
    for href in record_links[:6]:
        page.goto(urljoin(live_server.url, href))
        assert page.locator("table.record").count() == 1
        inner = [a.get_attribute("href") for a in page.locator("main a[href]").all()]
        assert {h: s for h, s in links_answer(session, inner).items() if s >= 400} == {}
    assert session.errors == []


def test_dark_mode_follows_the_system_setting(live_server, demo_org, browser) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", PASSWORDS["viewer"])
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_load_state("load")
    charts = page.locator("div.chart[data-figure]").count()
    page.wait_for_function(
        "n => document.querySelectorAll('div.chart[data-figure] .main-svg').length >= n", arg=charts, timeout=15000
    )
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 24, 39)"
    # the charts are recoloured too: Plotly's background rectangle takes the dark card colour
    assert page.evaluate("document.querySelector('div.chart .main-svg .bg').style.fill") == "rgb(31, 41, 55)"
    # the heatmap's cells take their dark tints, with light text: no light cell on the dark page
    cells = page.evaluate(
        """[...document.querySelectorAll('#heatmap td[style]')].map(td => [
            getComputedStyle(td).backgroundColor, getComputedStyle(td.querySelector('a')).color])"""
    )
    assert len(cells) > 50
    assert max(luminance(background) for background, _ in cells) < 0.2
    assert min(luminance(text) for _, text in cells) > 0.3
    page.screenshot(path=str(SHOTS / "first-look-overview-dark-top.png"))
    assert errors == []
    context.close()
