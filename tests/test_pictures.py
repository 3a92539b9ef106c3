"""Exported pictures: opened and looked at — size, inked titles, the map's colours, same bytes twice, the font check."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from dashboard import pictures, report
from dashboard.charts_map import STATUS_COLORS
from dashboard.store import make_engine

TITLE_BAND = (0, 0, 1920, 110)  # where every picture's title and stamp are drawn


@pytest.fixture(scope="module")
def snap(demo_db):
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        return report.build(engine, "2025-11")
    finally:
        engine.dispose()


def square(lon: float, lat: float, size: float = 0.1) -> list[list[float]]:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def small_snap(demo: bool = False) -> dict:
    """Two townships of one county, the left one covered by an accepted site, the right one not."""
    return {
        "where": "测试县", "as_of_label": "2025年11月", "demo": demo,
        "map": {"sites": [[107.05, 23.05, "已验收命名"], [107.15, 23.05, "非示范点"]],
                "townships": [{"ring": square(107.0, 23.0), "covered": True},
                              {"ring": square(107.1, 23.0), "covered": False}],
                "counties": [{"ring": [[107.0, 23.0], [107.2, 23.0], [107.2, 23.1], [107.0, 23.1], [107.0, 23.0]],
                              "name": "测试县", "chosen": False}],
                "status_counts": {"已验收命名": 1, "非示范点": 1}, "covered": 1, "township_total": 2},
    }


def size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


def pixels_near(png: bytes, rgb, tolerance: int = 12) -> int:
    """How many pixels are within ``tolerance`` of ``rgb`` in every channel."""
    import numpy as np

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(image - np.array(rgb[:3])) <= tolerance).all(axis=2).sum())


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def test_map_is_1920_by_1080_with_inked_title(snap):
    png = pictures.map_png(snap)
    assert size(png) == (1920, 1080)
    assert pictures.ink(png, TITLE_BAND) > 2000


def test_map_shows_accepted_sites_in_their_colour(snap):
    assert snap["map"]["status_counts"]["已验收命名"] > 0
    assert pixels_near(pictures.map_png(snap), STATUS_COLORS["已验收命名"]) > 50


def test_map_fills_covered_and_uncovered_townships():
    png = pictures.map_png(small_snap())
    assert pixels_near(png, hex_rgb(pictures.COVERED_FACE), 3) > 10_000
    assert pixels_near(png, hex_rgb(pictures.GAP_FACE), 3) > 10_000


def test_map_without_gaps_has_no_gap_fill():
    snap = small_snap()
    snap["map"]["townships"][1]["covered"] = True
    png = pictures.map_png(snap)
    # the legend's swatch is the only red-ish fill left
    assert pixels_near(png, hex_rgb(pictures.GAP_FACE), 3) < 2_000


def test_map_is_the_same_bytes_twice(snap):
    assert pictures.map_png(snap) == pictures.map_png(snap)


def test_map_of_nothing_still_renders():
    snap = small_snap()
    snap["map"].update(sites=[], townships=[], counties=[], status_counts={}, covered=0, township_total=0)
    assert size(pictures.map_png(snap)) == (1920, 1080)
