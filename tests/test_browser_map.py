"""示范点地图 in a real browser: drawn offline (no request to any other host), and a brand containing
markup shows in the tooltip as typed text."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import text

from dashboard import charts_map, facts
from dashboard.store import make_engine
from tests.browser import (
    assert_clean,
    browser_missing,
    chromium_page,
    copy_store,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")]

BRAND = '<img src=x onerror="window.__xss=1"><b>粗</b>清风'
CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'


def _lonely_site(engine) -> tuple[str, str, float, float]:
    """(village code, county code, lon, lat) of the built site farthest from any other site in its county."""
    ledger = facts.ledger_in_effect(engine, facts.View("2025-12"))
    sites = charts_map.village_sites(facts.villages(engine), ledger)
    built = sites[sites["status"] == "已验收命名"]
    best, gap = None, -1.0
    for row in built.itertuples():
        others = built[(built["county_code"] == row.county_code) & (built["code"] != row.code)]
        near = min(math.hypot(row.lon - o.lon, row.lat - o.lat) for o in others.itertuples())
        if near > gap:
            best, gap = row, near
    return best.code, best.county_code, best.lon, best.lat


def _screen_point(engine, county: str, lon: float, lat: float, box: dict) -> tuple[float, float]:
    """Where (lon, lat) lands on the canvas in the page's initial view of ``county`` (Web Mercator)."""
    ledger = facts.ledger_in_effect(engine, facts.View("2025-12"))
    sites = charts_map.village_sites(facts.villages(engine), ledger)
    layers = charts_map.map_layers(sites, facts.boundaries(engine, "township"), facts.boundaries(engine, "county"),
                                   county=county)
    view = charts_map.fit_view(layers["bounds"])
    world = 512 * 2 ** view.zoom
    x = lambda lo: (lo + 180) / 360 * world  # noqa: E731
    y = lambda la: (1 - math.log(math.tan(math.pi / 4 + math.radians(la) / 2)) / math.pi) / 2 * world  # noqa: E731
    return (box["x"] + box["width"] / 2 + x(lon) - x(view.longitude),
            box["y"] + box["height"] / 2 + y(lat) - y(view.latitude))


def test_map_offline_with_text_tooltips_in_chromium(demo_db, tmp_path):
    url = copy_store(demo_db, tmp_path)
    engine = make_engine(url)
    village, county, lon, lat = _lonely_site(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE demo_sites SET brand = :b WHERE village_code = :v"), {"b": BRAND, "v": village})
    with chromium_page(url, "/map") as (page, watch, trap):
        base = page.url.rsplit("/map", 1)[0]
        page.locator(CANVAS).first.wait_for(timeout=60_000)
        page.get_by_text("尚无示范点的乡镇(街道)").wait_for(timeout=60_000)
        page.wait_for_timeout(2500)  # let deck.gl draw
        path = screenshot(page, "map")
        body = page.inner_text("body")
        assert "图例" in body and "已验收命名" in body and "未加载底图(离线模式)" in body
        assert page.locator('[data-testid="stException"]').count() == 0

        # one county, zoomed in: hover the site whose brand carries markup
        page.goto(f"{base}/map?county={county}")
        page.locator(CANVAS).first.wait_for(timeout=60_000)
        page.get_by_text("尚无示范点的乡镇(街道)").wait_for(timeout=60_000)
        page.wait_for_timeout(2500)
        x, y = _screen_point(engine, county, lon, lat, page.locator(CANVAS).first.bounding_box())
        page.mouse.move(x - 30, y - 30)
        page.mouse.move(x, y, steps=5)
        tooltip = page.locator(".deck-tooltip")
        tooltip.wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(300)
        shown = tooltip.inner_text()
        screenshot(page, "map_tooltip")
        assert f"品牌:{BRAND}" in shown and "示范点状态:已验收命名" in shown
        # set as text: the only elements are the <br> deck.gl makes of line breaks
        assert tooltip.evaluate("el => [...el.querySelectorAll('*')].map(e => e.tagName)") == ["BR"] * 4
        assert page.evaluate("window.__xss") is None
    assert path.exists()
    assert_clean(watch, trap)
