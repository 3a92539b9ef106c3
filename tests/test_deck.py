"""会议幻灯片 (dashboard/deck.py): a small hand-made snapshot whose figures are known in advance, then the demo
city's month checked against its own snapshot tables; opened back with python-pptx, and once rendered by
LibreOffice."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time
import zipfile

import pytest
from lxml import etree
from pptx import Presentation
from pptx.chart.plot import LinePlot
from pptx.enum.chart import XL_CHART_TYPE, XL_MARKER_STYLE
from pptx.enum.dml import MSO_FILL
from pptx.util import Inches

from dashboard import deck, pptx_kit, report
from dashboard.store import make_engine

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
LAMP_RULE = "绿灯:达到或超过应达值;黄灯:落后不足10个百分点;红灯:落后10个百分点及以上。"
TOWN_DEFINITION = "乡镇示范点覆盖率 = 有示范点的乡镇数 ÷ 乡镇总数。"
VILLAGE_DEFINITION = "小微权力清单覆盖率 = 已制定清单的村 ÷ 全部村。"


# --- a hand-made month: three counties, two targets ----------------------------------------------------

def _ring(x: float, y: float, size: float = 0.1) -> list:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def _table(columns: list[str], rows: list[list]) -> dict:
    return {"columns": columns, "rows": rows}


def _lagging(n: int) -> dict:
    rows = [["(一)强化党建引领", i, f"第{i}项措施", "市委组织部", "—", "是", "推进中", 50.0, "2025-11", 90.0,
             "红灯" if i % 2 else "黄灯", f"落后应达进度 {40.0:.1f} 个百分点"] for i in range(1, n + 1)]
    return _table(["篇章", "序号", "措施", "牵头单位", "配合单位", "各县负责", "最新状态", "完成进度(%)", "最近报送",
                   "应达进度(%)", "灯", "灯号说明"], rows)


def _village_gaps(n: int) -> dict:
    return _table(["情况", "县(市、区)", "乡镇(街道)", "村(社区)", "填报情况"],
                  [["未达标", "乙县", f"{i // 10}号镇", f"{i}号村", "否"] for i in range(n)])


def hand_snapshot(lagging: int = 3, village_gaps: int = 4) -> dict:
    """甲县 12 of 12 townships covered, 乙县 9 of 12, 丙县 未报送; the township target went from 55.5 % to 60.0 %."""
    town = {
        "metric": "township_demo_coverage", "label": "乡镇示范点覆盖率", "noun": "乡镇", "source": "方案原文一句",
        "configured": True, "milestones": [{"deadline": "2025-09-30", "value": 50.0},
                                           {"deadline": "2025-12-31", "value": 70.0}],
        "actual": 60.0, "previous": 55.5, "expected": 63.3, "lamp": "yellow", "lamp_label": "黄灯",
        "count": 21, "total": 36, "unreported": 12, "next_milestone": {"deadline": "2025-12-31", "value": 70.0},
        "pace": "还需 4 个乡镇", "definition": TOWN_DEFINITION,
        "sentence": "测试市 36 个乡镇(街道)中 21 个已有示范点,乡镇示范点覆盖率 60.0%。",
        "series": _table(["月份", "实际(%)", "应达(%)", "未报送"],
                         [["2025-08", None, 40.0, 36], ["2025-09", 55.5, 50.0, 12], ["2025-10", 55.5, 56.7, 12],
                          ["2025-11", 60.0, 63.3, 12]]),
        "counties": _table(["县(市、区)", "达标乡镇", "乡镇总数", "未报送乡镇", "实际(%)", "应达(%)", "灯"],
                           [["甲县", 12, 12, 0, 100.0, 63.3, "绿灯"], ["乙县", 9, 12, 0, 75.0, 63.3, "绿灯"],
                            ["丙县", 0, 12, 12, None, 63.3, "未报送"]]),
        "gaps": _table(["县(市、区)", "乡镇(街道)"], [["乙县", "东镇"], ["乙县", "西镇"], ["乙县", "南乡"]]),
    }
    village = {
        **town, "metric": "micro_power_list_coverage", "label": "小微权力清单覆盖率", "noun": "村",
        "milestones": [{"deadline": "2024-12-31", "value": 100.0}], "actual": 80.0, "previous": 80.0,
        "expected": 100.0, "lamp": "red", "lamp_label": "红灯", "count": 80, "total": 100, "unreported": 0,
        "next_milestone": {"deadline": "2024-12-31", "value": 100.0}, "definition": VILLAGE_DEFINITION,
        "sentence": "测试市 100 个村(社区)中 80 个已制定小微权力清单。",
        "series": _table(["月份", "实际(%)", "应达(%)", "未报送"], [["2025-10", 80.0, 100.0, 0], ["2025-11", 80.0, 100.0, 0]]),
        "counties": _table(["县(市、区)", "达标村", "村总数", "未报送村", "实际(%)", "应达(%)", "灯"],
                           [["甲县", 40, 40, 0, 100.0, 100.0, "绿灯"], ["乙县", 40, 60, 0, 66.7, 100.0, "红灯"]]),
        "gaps": _village_gaps(village_gaps),
    }
    return {
        "schema": 1, "city": "测试市", "as_of": "2025-11", "as_of_label": "2025年11月", "county": None, "where": "全市",
        "stamp": "全市 · 数据截至 2025年11月", "built_at": "2025-12-10T09:00:00+08:00", "demo": False,
        "frozen": {"by": "张三", "at": "2025-12-12T15:30:45+08:00"}, "lamp_rule": LAMP_RULE, "due": "2025-11",
        "targets": [town, village],
        # 甲县 12/12 = 100 %, 乙县 9/12 = 75 %, 丙县 未报送 (drawn as 0 with a label)
        "ranking": _table(["名次", "县(市、区)", "覆盖率(%)", "应达(%)", "亮灯", "较上月", "已覆盖/乡镇数"],
                          [["1", "甲县", "100", 63.3, "绿灯", "—", "12/12"], ["2", "乙县", "75", 63.3, "绿灯", "—", "9/12"],
                           ["—", "丙县", "—", 63.3, "未报送", "—", "—"]]),
        "ranking_lamps": {"甲县": "green", "乙县": "yellow", "丙县": None},
        "measures": _lagging(lagging), "lagging": _lagging(lagging), "lamp_counts": {"绿灯": 2, "黄灯": 1, "红灯": 2},
        "units": _table(["单位"], []), "late_units": _table(["单位", "未报措施序号"], [["市民政局", "5、6"]]),
        "completeness": _table(["报表", "报送对象", "状态", "首次报送时间"], []),
        "received": {"rate": 90.0, "received": 9, "expected": 10},
        "missing": _table(["报表", "报送对象", "状态", "首次报送时间"], [["村级指标月报", "丙县", "未报送", None]]),
        "sources": _table(["报表", "报送期", "范围", "文件", "填报人", "上报时间", "说明"],
                          [["示范点台账", "2025-11", "甲县", "甲县台账.xlsx", "李四", "2025-12-01 09:00", ""],
                           ["示范点台账", "2025-11", "乙县", "乙县台账.xlsx", "王五", "2025-12-06 10:00", "迟报(截止点后首次上报)"]]),
        "upload_ids": [1, 2],
        "map": {"sites": [[110.05, 30.05, "已验收命名"], [110.15, 30.05, "非示范点"]],
                "townships": [{"ring": _ring(110.0, 30.0), "covered": True}, {"ring": _ring(110.1, 30.0), "covered": False}],
                "counties": [{"ring": _ring(110.0, 30.0, 0.2), "name": "甲县", "chosen": False}],
                "status_counts": {"已验收命名": 1, "已建成": 0, "创建中": 0, "计划创建": 0, "非示范点": 1},
                "covered": 1, "township_total": 2,
                "gaps": _table(["县(市、区)", "乡镇(街道)", "在建或计划示范点"], [["乙县", "西镇", 0]])},
    }


def _open(data: bytes):
    return Presentation(io.BytesIO(data))


def _titles(prs) -> list[str]:
    return [slide.shapes.title.text for slide in prs.slides]


def _slide(prs, title: str):
    return next(s for s in prs.slides if s.shapes.title.text == title)


def _texts(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def _tables(slide) -> list:
    return [shape for shape in slide.shapes if shape.has_table]


def _cells(shape) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in shape.table.rows]


def _chart(slide):
    return next(shape.chart for shape in slide.shapes if shape.has_chart)


@pytest.fixture(scope="module")
def hand():
    snap = hand_snapshot()
    return snap, _open(deck.build(snap))


# --- the hand-made month ----------------------------------------------------------------------------------

def test_whole_month_titles_in_order(hand):
    _, prs = hand
    assert _titles(prs) == [
        "测试市清廉乡村建设推进情况",
        "全市清廉乡村建设目标完成情况",
        "各县(市、区)乡镇示范点覆盖率排名(共 3 个)",
        "乡镇示范点覆盖率:推进情况",
        "乡镇示范点覆盖率:分县(市、区)情况",
        "乡镇示范点覆盖率:缺口名单(共 3 个乡镇)",
        "小微权力清单覆盖率:推进情况",
        "小微权力清单覆盖率:分县(市、区)情况",
        "小微权力清单覆盖率:缺口名单(共 4 个村)",
        "全市示范点分布",
        "尚无示范点的乡镇(街道)(共 1 个)",
        "推进滞后的措施(共 3 项)",
        "本月仍未报送的牵头单位(共 1 个)",
        "未按时完整报送名单(共 1 个)",
        "亮灯规则与数据来源(共 2 份上报)",
    ]


def test_deck_is_16_9(hand):
    _, prs = hand
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # PowerPoint's 宽屏 16:9, to the EMU


def test_cover_names_scope_month_and_freeze(hand):
    _, prs = hand
    text = _texts(prs.slides[0])
    assert "测试市清廉乡村建设推进情况" in text
    assert "全市" in text and "数据截至 2025年11月" in text
    assert "已冻结(通报口径,张三 2025-12-12 15:30)" in text
    assert "演示数据" not in text


def test_cover_of_a_live_demo_month():
    snap = {**hand_snapshot(), "frozen": None, "demo": True}
    text = _texts(_open(deck.build(snap, ("overview",))).slides[0])
    assert "实时数据(未冻结)" in text and "演示数据" in text


def test_kpi_row_per_target(hand):
    _, prs = hand
    slide = _slide(prs, "全市清廉乡村建设目标完成情况")
    (table,) = _tables(slide)
    rows = _cells(table)
    assert rows[0] == ["目标", "本月(%)", "较上月", "应达(%)", "灯", "达标/总数", "下一节点"]
    # 60.0 - 55.5 = +4.5 points; 80.0 - 80.0 = 持平
    assert rows[1] == ["乡镇示范点覆盖率", "60.0", "+4.5 个百分点", "63.3", "黄灯", "21/36", "2025-12-31前 70%"]
    assert rows[2] == ["小微权力清单覆盖率", "80.0", "持平", "100.0", "红灯", "80/100", "2024-12-31前 100%"]
    text = _texts(slide)
    assert "90.0%" in text and "已报 9 / 应报 10 份" in text  # report completeness
    assert "措施红灯" in text and "措施黄灯" in text


def test_ranking_bars_hand_computed(hand):
    _, prs = hand
    chart = _chart(_slide(prs, "各县(市、区)乡镇示范点覆盖率排名(共 3 个)"))
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    plot = chart.plots[0]
    assert list(plot.categories) == ["甲县", "乙县", "丙县"]
    (series,) = plot.series
    assert list(series.values) == [100.0, 9 / 12 * 100, 0.0]  # 丙县 未报送 -> 0
    assert plot.has_data_labels
    colours = [str(series.points[i].format.fill.fore_color.rgb) for i in range(3)]
    assert colours == ["2E7D32", "F9A825", "9E9E9E"]  # green, yellow, no lamp
    assert series.points[2].data_label.text_frame.text == "未报送"


def test_ladder_is_a_native_line_chart(hand):
    snap, prs = hand
    slide = _slide(prs, "乡镇示范点覆盖率:推进情况")
    chart = _chart(slide)
    plot = chart.plots[0]
    assert isinstance(plot, LinePlot) and len(chart.plots) == 1
    # made as LINE_MARKERS; python-pptx reads it back as LINE because the path series draws no markers
    assert chart.chart_type in (XL_CHART_TYPE.LINE_MARKERS, XL_CHART_TYPE.LINE)
    assert [s.marker.style for s in plot.series] == [XL_MARKER_STYLE.CIRCLE, XL_MARKER_STYLE.NONE,
                                                     XL_MARKER_STYLE.DIAMOND]
    assert plot.series[2].format.line.fill.type == MSO_FILL.BACKGROUND  # milestones: markers, no line
    assert list(plot.categories) == ["2025-08", "2025-09", "2025-10", "2025-11"]
    actual, path, nodes = plot.series
    assert [s.name for s in plot.series] == ["实际", "直线进度应达", "方案节点"]
    assert list(actual.values) == [None, 55.5, 55.5, 60.0]  # 2025-08 未报送: a gap, not a zero
    assert list(path.values) == [40.0, 50.0, 56.7, 63.3]
    assert list(nodes.values) == [None, 50.0, None, None]  # the 2025-09-30 milestone; 2025-12 lies ahead
    assert nodes.points[1].data_label.text_frame.text == "节点 50%"
    assert snap["targets"][0]["sentence"] in _texts(slide)


def test_county_table_lamp_cells(hand):
    _, prs = hand
    (table,) = _tables(_slide(prs, "小微权力清单覆盖率:分县(市、区)情况"))
    rows = _cells(table)
    assert rows[2] == ["乙县", "40", "60", "0", "66.7", "100.0", "红灯"]
    red = table.table.cell(2, 6)
    assert str(red.fill.fore_color.rgb) == "FFD9D6"
    assert str(table.table.cell(1, 6).fill.fore_color.rgb) == "DCF1DC"


def test_lagging_measures_table(hand):
    _, prs = hand
    (table,) = _tables(_slide(prs, "推进滞后的措施(共 3 项)"))
    rows = _cells(table)
    assert rows[0] == ["序号", "措施", "牵头单位", "完成进度(%)", "应达进度(%)", "灯", "灯号说明"]
    assert rows[1] == ["1", "第1项措施", "市委组织部", "50.0", "90.0", "红灯", "落后应达进度 40.0 个百分点"]
    assert str(table.table.cell(1, 5).fill.fore_color.rgb) == "FFD9D6"
    assert str(table.table.cell(2, 5).fill.fore_color.rgb) == "FFF0B3"


def test_late_units_missing_and_sources_tables(hand):
    _, prs = hand
    assert _cells(_tables(_slide(prs, "本月仍未报送的牵头单位(共 1 个)"))[0])[1] == ["市民政局", "5、6"]
    assert _cells(_tables(_slide(prs, "未按时完整报送名单(共 1 个)"))[0])[1] == ["村级指标月报", "丙县", "未报送", "—"]
    last = prs.slides[-1]
    assert LAMP_RULE in _texts(last)
    rows = _cells(_tables(last)[0])
    assert rows[0] == ["报表", "报送期", "范围", "文件", "填报人", "上报时间", "说明"]
    assert rows[1] == ["示范点台账", "2025-11", "甲县", "甲县台账.xlsx", "李四", "2025-12-01 09:00", ""]


def test_map_slide_has_the_picture_and_counts(hand):
    _, prs = hand
    slide = _slide(prs, "全市示范点分布")
    pictures = [shape for shape in slide.shapes if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    assert len(pictures) == 1 and pictures[0].image.content_type == "image/png"
    assert pictures[0].image.size == (1920, 1080)
    text = _texts(slide)
    assert "1 / 2" in text and "覆盖率 50.0%" in text and "已验收命名:1" in text


def test_every_slide_carries_the_stamp_and_a_source(hand):
    _, prs = hand
    for number, slide in enumerate(prs.slides, start=1):
        text = _texts(slide)
        assert "全市 · 数据截至 2025年11月(已冻结)" in text and "来源:" in text, number
        assert f"{number} / {len(prs.slides)}" in text


def test_speaker_notes_carry_definitions_rule_and_stamp(hand):
    _, prs = hand
    for title, definition in (("乡镇示范点覆盖率:推进情况", TOWN_DEFINITION),
                              ("小微权力清单覆盖率:缺口名单(共 4 个村)", VILLAGE_DEFINITION),
                              ("全市示范点分布", TOWN_DEFINITION)):
        notes = _slide(prs, title).notes_slide.notes_text_frame.text
        assert definition in notes and LAMP_RULE in notes and "全市 · 数据截至 2025年11月" in notes
    overview = _slide(prs, "全市清廉乡村建设目标完成情况").notes_slide.notes_text_frame.text
    assert TOWN_DEFINITION in overview and VILLAGE_DEFINITION in overview


def _within_slide(prs) -> None:
    """No shape leaves the slide and no table reaches into the footer band."""
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= prs.slide_width, (number, shape.name)
            assert shape.top + shape.height <= prs.slide_height, (number, shape.name)
            if shape.has_table:
                rows = sum(row.height for row in shape.table.rows)
                assert shape.top + rows <= prs.slide_height - deck.FOOTER, (number, shape.name)


def test_25_lagging_measures_continue_on_extra_slides():
    prs = _open(deck.build(hand_snapshot(lagging=25), ("accountability",)))
    titles = [t for t in _titles(prs) if t.startswith("推进滞后的措施")]
    # at most 10 measures a slide: 25 measures take 3 slides
    assert titles == ["推进滞后的措施(共 25 项)"] + ["推进滞后的措施(共 25 项)(续)"] * 2
    shown = [row[0] for t in range(3) for row in _cells(_tables(_slide_n(prs, "推进滞后的措施", t))[0])[1:]]
    assert shown == [str(i) for i in range(1, 26)]  # every measure once, in order
    _within_slide(prs)


def _slide_n(prs, prefix: str, n: int):
    return [s for s in prs.slides if s.shapes.title.text.startswith(prefix)][n]


def test_long_gap_list_stops_at_the_cap_and_points_to_the_workbook():
    prs = _open(deck.build(hand_snapshot(village_gaps=450), ("targets",)))
    slides = [s for s in prs.slides if s.shapes.title.text.startswith("小微权力清单覆盖率:缺口名单(共 450 个村)")]
    shown = sum(len(table.table.rows) - 1 for s in slides for table in _tables(s))
    assert shown == deck.LIST_ROW_CAP
    assert "其余 250 条见数据表(.xlsx)导出" in _texts(slides[-1])
    assert all(s.shapes.title.text.endswith("(续)") for s in slides[1:])
    _within_slide(prs)


def test_sections_subset_keeps_cover_and_sources():
    prs = _open(deck.build(hand_snapshot(), ("accountability",)))
    assert _titles(prs) == ["测试市清廉乡村建设推进情况", "推进滞后的措施(共 3 项)", "本月仍未报送的牵头单位(共 1 个)",
                            "未按时完整报送名单(共 1 个)", "亮灯规则与数据来源(共 2 份上报)"]
    prs = _open(deck.build(hand_snapshot(), ("map",)))
    assert _titles(prs) == ["测试市清廉乡村建设推进情况", "全市示范点分布", "尚无示范点的乡镇(街道)(共 1 个)",
                            "亮灯规则与数据来源(共 2 份上报)"]


def test_unknown_section_is_refused():
    with pytest.raises(ValueError, match="未知的幻灯片部分「charts」"):
        deck.build(hand_snapshot(), ("charts",))


def test_progress_is_reported_in_chinese():
    calls = []
    deck.build(hand_snapshot(), None, lambda share, text: calls.append((share, text)))
    shares = [share for share, _ in calls]
    assert shares == sorted(shares) and 0 < shares[0] and shares[-1] <= 1
    assert ("正在生成目标进度幻灯片" in [text for _, text in calls])


def _xml_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()
                if n.startswith(("ppt/slides/slide", "ppt/notesSlides/notesSlide", "ppt/charts/chart"))
                and n.endswith(".xml")}


def test_every_text_property_names_the_east_asian_face(hand):
    snap, _ = hand
    parts = _xml_parts(deck.build(snap))
    assert any(n.startswith("ppt/charts/") for n in parts) and any(n.startswith("ppt/notesSlides/") for n in parts)
    checked = 0
    for name, xml in parts.items():
        root = etree.fromstring(xml)
        for run in root.iter(f"{A}r"):
            assert run.find(f"{A}rPr") is not None, name
        for tag in ("rPr", "defRPr", "endParaRPr"):
            for props in root.iter(f"{A}{tag}"):
                ea = props.find(f"{A}ea")
                assert ea is not None and ea.get("typeface") == pptx_kit.EA_FONT, (name, tag)
                assert props.find(f"{A}latin").get("typeface") == pptx_kit.EA_FONT, (name, tag)
                checked += 1
    assert checked > 100


def test_same_snapshot_same_bytes():
    snap = hand_snapshot()
    first = deck.build(snap)
    time.sleep(1.1)  # the libraries stamp the clock at one-second resolution
    assert deck.build(snap) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        core = z.read("docProps/core.xml").decode()
        embedded = [n for n in z.namelist() if n.startswith("ppt/embeddings/")]
        assert embedded  # the charts' data workbooks, stamped with the freeze time as well
        inner = zipfile.ZipFile(io.BytesIO(z.read(embedded[0]))).read("docProps/core.xml").decode()
    assert "2025-12-12T07:30:45Z" in core and "2025-12-12T07:30:45Z" in inner  # the freeze time, in UTC


def test_template_file_is_16_9_with_the_layouts_used():
    prs = Presentation(str(deck.TEMPLATE))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # PowerPoint's 宽屏 16:9, to the EMU
    assert [layout.name for layout in prs.slide_layouts] == ["标题幻灯片", "仅标题", "空白"]
    assert len(prs.slides) == 0


def test_a_city_template_with_other_layouts(tmp_path, monkeypatch):
    """A plain 4:3 template with English layout names: its Title Only layout and slide size are used."""
    path = tmp_path / "city.pptx"
    template = Presentation()
    template.slides.add_slide(template.slide_layouts[0]).shapes.title.text = "模板示例页"
    template.save(str(path))
    monkeypatch.setattr(deck, "TEMPLATE", path)
    prs = _open(deck.build(hand_snapshot(lagging=25)))
    assert prs.slide_width == Inches(10)
    assert prs.slides[1].slide_layout.name == "Title Only"
    assert _titles(prs)[0] == "测试市清廉乡村建设推进情况"  # the template's sample slide is left out
    _within_slide(prs)


def test_without_a_template_file_the_default_is_built(tmp_path, monkeypatch):
    monkeypatch.setattr(deck, "TEMPLATE", tmp_path / "absent.pptx")
    prs = _open(deck.build(hand_snapshot(), ("overview",)))
    assert prs.slide_width == 12192000 and prs.slides[1].slide_layout.name == "仅标题"


# --- the demo city's month ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def city(demo_db):
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        snap = report.build(engine, "2025-11")
    finally:
        engine.dispose()
    return snap, deck.build(snap)


def test_city_ladders_equal_the_snapshot_series(city):
    snap, data = city
    prs = _open(data)
    for target in snap["targets"]:
        chart = _chart(_slide(prs, f"{target['label']}:推进情况"))
        series = report.frame(target["series"])
        plot = chart.plots[0]
        assert list(plot.categories) == list(series["月份"])
        actual, path, nodes = plot.series
        assert list(actual.values) == [None if v != v else v for v in series["实际(%)"]]
        assert list(path.values) == list(series["应达(%)"])
        milestones = {m["deadline"][:7]: m["value"] for m in target["milestones"]}
        assert {month: v for month, v in zip(series["月份"], nodes.values) if v is not None} == {
            month: v for month, v in milestones.items() if month in set(series["月份"])}


def test_city_ranking_bars_equal_the_snapshot_ranking(city):
    snap, data = city
    prs = _open(data)
    ranking = report.frame(snap["ranking"])
    chart = _chart(_slide(prs, f"各县(市、区)乡镇示范点覆盖率排名(共 {len(ranking)} 个)"))
    assert list(chart.plots[0].categories) == list(ranking["县(市、区)"])
    assert list(chart.plots[0].series[0].values) == [float(v) if v != "—" else 0.0 for v in ranking["覆盖率(%)"]]
    red = list(ranking["县(市、区)"]).index(next(c for c, k in snap["ranking_lamps"].items() if k == "red"))
    assert str(chart.plots[0].series[0].points[red].format.fill.fore_color.rgb) == "C62828"


def test_city_gap_lists_are_complete_up_to_the_cap(city):
    snap, data = city
    prs = _open(data)
    for target in snap["targets"]:
        gaps = target["gaps"]["rows"]
        title = f"{target['label']}:缺口名单(共 {len(gaps)} 个{target['noun']})"
        shown = [row for s in prs.slides if s.shapes.title.text.startswith(title)
                 for table in _tables(s) for row in _cells(table)[1:]]
        expected = [[pptx_kit.cell_text(v) for v in row] for row in gaps[:deck.LIST_ROW_CAP]]
        assert shown == expected, target["label"]
    _within_slide(prs)


def test_city_deck_renders_in_libreoffice(city, tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("未安装 LibreOffice(apt-get install --no-install-recommends libreoffice-impress),跳过渲染检查")
    _, data = city
    path = tmp_path / "会议材料.pptx"
    path.write_bytes(data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "会议材料.pdf"
    assert pdf.exists() and pdf.stat().st_size > 50_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) == len(_open(data).slides)


def test_snapshot_round_trip_gives_the_same_deck(city):
    """A frozen month is rebuilt from its stored JSON: the deck must not depend on anything else."""
    snap, data = city
    assert deck.build(json.loads(report.dumps(snap))) == data
