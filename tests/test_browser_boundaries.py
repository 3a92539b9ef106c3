"""Imported boundaries on 示范点地图 in a real browser: the hand-made city of tests/test_boundaries.py with its
township and county layers imported, drawn offline with no missing-layer notice."""

from __future__ import annotations

import pytest

from dashboard import boundaries
from dashboard.store import make_engine
from tests.apptest import ADMIN
from tests.browser import assert_clean, browser_missing, chromium_page, screenshot
from tests.test_boundaries import feature, four_townships, geojson, seed_city

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")]
CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'


def test_map_draws_imported_boundaries_in_chromium(tmp_path):
    url = f"sqlite:///{tmp_path / 'city.db'}"
    seed_city(url)
    engine = make_engine(url)
    counties = geojson(
        feature({"adcode": 339901, "name": "东城区"}, [[[120.0, 30.0], [120.2, 30.0], [120.2, 30.1], [120.0, 30.1],
                                                         [120.0, 30.0]]]),
        feature({"adcode": 339902, "name": "西山县"}, [[[[120.0, 30.1], [120.2, 30.1], [120.2, 30.2], [120.0, 30.2],
                                                          [120.0, 30.1]]], [[[120.3, 30.1], [120.35, 30.1], [120.35, 30.15],
                                                                             [120.3, 30.15], [120.3, 30.1]]]],
                "MultiPolygon"))
    for name, data in (("乡镇界.geojson", four_townships()), ("县界.geojson", counties)):
        boundaries.commit(engine, boundaries.prepare(engine, data, name, who=ADMIN), who=ADMIN)
    engine.dispose()
    with chromium_page(url, "/map") as (page, watch, trap):
        page.locator(CANVAS).first.wait_for(timeout=60_000)
        page.get_by_text("尚无示范点的乡镇(街道)").wait_for(timeout=60_000)
        page.wait_for_timeout(2500)  # let deck.gl draw
        path = screenshot(page, "map_boundaries")
        body = page.inner_text("body")
        assert "尚未导入" not in body and "地图显示 2 个村(社区)" in body
        assert page.locator('[data-testid="stException"]').count() == 0
    assert path.exists()
    assert_clean(watch, trap)
