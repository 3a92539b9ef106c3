"""Exported pictures: opened and looked at — size, inked titles, the map's colours, same bytes twice, the font check."""

from __future__ import annotations

import copy
import io

import pytest
import vl_convert
from PIL import Image

from dashboard import pictures, queries, report
from dashboard.charts_map import STATUS_COLORS
from dashboard.store import make_engine

TITLE_BAND = (0, 0, 1920, 110)  # where every picture's title and stamp are drawn
INKED = 3000  # dark pixels of a drawn title and stamp (a blank band has none)


@pytest.fixture(scope="module")
def snap(demo_db):
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        return report.build(engine, "2025-11")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def county_snap(demo_db):
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        return report.build(engine, "2025-11", min(queries.counties(engine)))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def pictures_of_month(snap):
    shown = []
    out = pictures.build_all(snap, lambda share, text: shown.append((share, text)))
    return out, shown


@pytest.fixture
def no_font_checked(monkeypatch):
    """Forget that the font check passed, so a test can point it at another font."""
    monkeypatch.setattr(pictures, "_font_path", None)


def square(lon: float, lat: float, size: float = 0.1) -> list[list[float]]:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def small_snap(demo: bool = False) -> dict:
    """Two townships of one county, the left one covered by an accepted site, the right one not."""
    return {
        "where": "测试县", "as_of_label": "2025年11月", "demo": demo, "county": None, "targets": [],
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
    assert pictures.ink(png, TITLE_BAND) > INKED


def test_county_map_is_1920_by_1080_with_inked_title_and_its_neighbours(county_snap):
    png = pictures.map_png(county_snap)
    assert size(png) == (1920, 1080)
    assert pictures.ink(png, TITLE_BAND) > INKED
    assert pixels_near(png, hex_rgb(pictures.OTHER_COUNTY_FACE), 2) > 10_000  # the counties around it, greyed


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


# --- every picture of a month ---------------------------------------------------------------------

def test_every_picture_is_1920_by_1080_with_inked_title(pictures_of_month):
    out, _ = pictures_of_month
    for title, png in out:
        assert png.startswith(b"\x89PNG"), title
        assert size(png) == (1920, 1080), title
        assert pictures.ink(png, TITLE_BAND) > INKED, title


def test_build_all_gives_a_ladder_per_target_then_ranking_and_map(snap, pictures_of_month):
    out, _ = pictures_of_month
    labels = [t["label"] for t in snap["targets"]]
    assert len(labels) == 5
    assert [title for title, _ in out] == [f"{label}_进度" for label in labels] + ["县区排名", "示范点分布图"]
    assert out[0][0] == "乡镇示范点覆盖率_进度"


def test_build_all_titles_follow_the_targets(snap):
    two = {**snap, "targets": snap["targets"][:2]}
    assert pictures.titles(two) == ["乡镇示范点覆盖率_进度", f"{snap['targets'][1]['label']}_进度", "县区排名", "示范点分布图"]
    none = {**snap, "targets": []}
    assert pictures.titles(none) == ["示范点分布图"]


def test_a_county_export_has_no_ranking(county_snap):
    assert "县区排名" not in pictures.titles(county_snap)
    assert pictures.titles(county_snap)[-1] == "示范点分布图"


def test_progress_is_reported_per_picture_in_chinese(pictures_of_month):
    out, shown = pictures_of_month
    assert len(shown) == len(out) + 1
    assert [share for share, _ in shown] == sorted(share for share, _ in shown)
    assert shown[0][1] == f"正在生成图片:乡镇示范点覆盖率 进度(1/{len(out)})"
    assert shown[-1] == (1.0, f"已生成图片 {len(out)} 张")


def test_charts_are_the_same_bytes_twice(snap):
    spec = pictures.ladder_spec(snap, snap["targets"][0])
    assert pictures.chart_png(spec) == pictures.chart_png(copy.deepcopy(spec))


def test_ladder_shows_its_stamp_and_a_legend(snap):
    spec = pictures.ladder_spec(snap, snap["targets"][0])
    assert spec["title"]["text"] == "全市乡镇示范点覆盖率进度"
    assert spec["title"]["subtitle"] == "数据截至 2025年11月  ·  来源:示范点台账、村级名录  ·  演示数据"
    svg = vl_convert.vegalite_to_svg(spec)
    assert "role-legend" in svg and "直线进度应达" in svg


def test_ranking_lists_counties_highest_first(snap):
    target = snap["targets"][0]
    spec = pictures.ranking_spec(snap, target)
    order = spec["layer"][0]["encoding"]["y"]["sort"]
    rows = {r[0]: r[4] for r in target["counties"]["rows"]}  # 县(市、区) -> 实际(%)
    assert sorted(order) == sorted(rows)
    assert [rows[c] for c in order] == sorted(rows.values(), reverse=True)
    assert spec["title"]["text"] == "全市各县(市、区)乡镇示范点覆盖率排名"


def test_ranking_writes_unreported_counties_last_at_zero(snap):
    target = copy.deepcopy(snap["targets"][0])
    target["counties"]["rows"][0][4], target["counties"]["rows"][0][6] = None, "未报送"
    bars = pictures.ranking_bars(target)
    assert list(bars.iloc[-1][["县(市、区)", "标签", pictures.LABEL_AT]]) == [target["counties"]["rows"][0][0], "未报送", 0]
    text = pictures.ranking_spec(snap, target)["layer"][1]
    assert text["mark"]["type"] == "text" and text["encoding"]["x"]["field"] == pictures.LABEL_AT


def test_ranking_of_many_counties_is_split_into_pages(snap):
    target = copy.deepcopy(snap["targets"][0])
    target["counties"]["rows"] = [[f"第{i:02d}县", i % 10, 10, 0, 10.0 * (i % 10), 70.0, "红灯"] for i in range(31)]
    many = {**snap, "targets": [target]}
    assert pictures.titles(many) == ["乡镇示范点覆盖率_进度", "县区排名_1", "县区排名_2", "示范点分布图"]
    last = pictures.ranking_spec(many, target, 1)
    assert last["layer"][0]["encoding"]["y"]["sort"] == ["第30县"]
    assert last["title"]["text"].endswith("(第 2/2 页)")


def test_stamp_says_demo_only_for_demo_data():
    assert pictures.stamp_lines(small_snap(demo=False), "来源:x") == "数据截至 2025年11月  ·  来源:x"
    assert pictures.stamp_lines(small_snap(demo=True), "来源:x").endswith("演示数据")


# --- the font check -------------------------------------------------------------------------------

def test_font_check_passes_here(no_font_checked):
    pictures.font_check()
    assert pictures._font_path.endswith(".ttc")


def test_font_check_without_the_font_raises_in_chinese(no_font_checked, monkeypatch):
    monkeypatch.setattr(pictures, "FONT", "无此字体")
    with pytest.raises(pictures.FontMissing) as caught:
        pictures.font_check()
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("未找到中文字体「无此字体」")
    assert "请安装 fonts-noto-cjk(apt-get install fonts-noto-cjk)" in str(caught.value)
    with pytest.raises(pictures.FontMissing):
        pictures.build_all(small_snap())
    with pytest.raises(pictures.FontMissing):
        pictures.map_png(small_snap())


def test_font_check_sees_vl_convert_drop_the_text(no_font_checked, monkeypatch):
    """vl-convert leaves text out, silently, in a font it does not know: the check must notice."""
    real = pictures._find_font()
    monkeypatch.setattr(pictures, "FONT", "无此字体")
    monkeypatch.setattr(pictures, "_find_font", lambda: real)
    with pytest.raises(pictures.FontMissing, match="vl-convert 绘出的文字为空白"):
        pictures.font_check()


def test_ink_counts_dark_pixels_only():
    blank = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(blank, format="png")
    assert pictures.ink(blank.getvalue()) == 0
    dark = io.BytesIO()
    Image.new("RGB", (40, 20), "black").save(dark, format="png")
    assert pictures.ink(dark.getvalue(), (0, 0, 10, 10)) == 100


def test_a_county_in_several_parts_is_named_once():
    """Imported boundaries split a MultiPolygon county into parts, largest first: the name goes on that one only."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from dashboard.pictures import _draw_names, _Projection

    def square(x, y, size):
        return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]

    m = {"counties": [{"ring": square(120.0, 30.0, 0.4), "name": "甲县", "chosen": False},
                      {"ring": square(120.6, 30.0, 0.05), "name": "甲县", "chosen": False},  # its island
                      {"ring": square(121.0, 30.0, 0.4), "name": "乙县", "chosen": False}]}
    fig, ax = plt.subplots()
    try:
        _draw_names(ax, m, _Projection(30.2), (-1000.0, 1000.0, -1000.0, 1000.0))
        labels = [(t.get_text(), round(t.get_position()[1], 2)) for t in ax.texts]
    finally:
        plt.close(fig)
    assert labels == [("甲县", 30.2), ("乙县", 30.2)]  # 甲县 at the centre of its large part, not of the island
