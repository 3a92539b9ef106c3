"""通报稿 (.docx): opened with python-docx and read like the office reads it — title, sentences, the ranking table
and its lamp shading, the named problems, page set-up, East-Asian fonts on every run, same bytes twice; and once
through LibreOffice to PDF when it is installed."""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from dashboard import circular, queries, report
from dashboard.store import make_engine

RANKING_COLUMNS = ["名次", "县(市、区)", "覆盖率(%)", "应达(%)", "亮灯", "较上月", "已覆盖/乡镇数"]
MEASURE_COLUMNS = ["篇章", "序号", "措施", "牵头单位", "配合单位", "各县负责", "最新状态", "完成进度(%)", "最近报送",
                   "应达进度(%)", "灯", "灯号说明"]
REPORT_COLUMNS = ["报表", "报送对象", "状态", "首次报送时间"]


def _counties(noun: str, rows: list[list]) -> dict:
    return {"columns": ["县(市、区)", f"达标{noun}", f"{noun}总数", f"未报送{noun}", "实际(%)", "应达(%)", "灯"],
            "rows": rows}


def _target(metric: str, label: str, sentence: str, actual, expected, deadline: str, value: float,
            counties: dict) -> dict:
    return {"metric": metric, "label": label, "sentence": sentence, "actual": actual, "expected": expected,
            "lamp_label": "", "next_milestone": {"deadline": deadline, "value": value}, "counties": counties}


def small_snapshot() -> dict:
    """Three counties (甲县, 乙县, 丙区), every figure typed by hand."""
    return {
        "schema": 1, "city": "示例市", "as_of": "2025-06", "as_of_label": "2025年6月", "county": None,
        "where": "全市", "stamp": "全市 · 数据截至 2025年6月", "built_at": "2025-07-10T09:00:00+08:00",
        "demo": False, "frozen": {"by": "张三", "at": "2025-07-12T10:30:00+08:00"},
        "targets": [
            _target("township_demo_coverage", "乡镇示范点覆盖率", "全市 30 个乡镇(街道)中 21 个已有示范点,乡镇示范点覆盖率 70.0%。",
                    70.0, 60.0, "2025-12-31", 70.0,
                    _counties("乡镇", [["甲县", 9, 10, 0, 90.0, 60.0, "绿灯"], ["乙县", 7, 10, 0, 70.0, 60.0, "黄灯"],
                                       ["丙区", 5, 10, 0, 50.0, 60.0, "红灯"]])),
            _target("micro_power_list_coverage", "小微权力清单覆盖率", "全市 300 个村(社区)中 240 个已制定小微权力清单。",
                    80.0, 90.0, "2025-12-31", 100.0,
                    _counties("村", [["甲县", 95, 100, 0, 95.0, 90.0, "绿灯"], ["乙县", 80, 100, 0, 80.0, 90.0, "红灯"],
                                     ["丙区", 65, 100, 0, 65.0, 90.0, "红灯"]])),
            _target("discipline_member_coverage", "纪检委员配备率", "全市 300 个村(社区)中 285 个已配备纪检委员。",
                    95.0, 100.0, "2024-12-31", 100.0,
                    _counties("村", [["甲县", 100, 100, 0, 100.0, 100.0, "绿灯"],
                                     ["乙县", 100, 100, 0, 100.0, 100.0, "绿灯"], ["丙区", 85, 100, 0, 85.0, 100.0, "黄灯"]])),
        ],
        "ranking": {"columns": RANKING_COLUMNS,
                    "rows": [["1", "甲县", "90", 60.0, "绿灯", "↑1", "9/10"], ["2", "乙县", "70", 60.0, "黄灯", "—", "7/10"],
                             ["3", "丙区", "50", 60.0, "红灯", "↓1", "5/10"]]},
        "lagging": {"columns": MEASURE_COLUMNS, "rows": [
            ["(一)强化党建引领", 3, "开展“清风”宣讲", "市委宣传部", "—", "是", "滞后", 50.0, "2025-06", 80.0, "红灯",
             "落后应达进度 30.0 个百分点"],
            ["(二)完善村民自治", 7, "规范村级财务", "市财政局", "—", "是", "推进中", 75.0, "2025-05", 80.0, "黄灯",
             "落后应达进度 5.0 个百分点"]]},
        "lamp_counts": {"绿灯": 10, "黄灯": 1, "红灯": 1},
        "late_units": {"columns": ["单位", "未报措施序号"], "rows": [["市财政局", "7"]]},
        "received": {"rate": 83.3, "received": 5, "expected": 6},
        "completeness": {"columns": REPORT_COLUMNS, "rows": [
            ["村级指标月报", "甲县", "按时报送", "2025-07-02 09:00"], ["村级指标月报", "乙县", "按时报送", "2025-07-03 09:00"],
            ["村级指标月报", "丙区", "未报送", None], ["示范点台账", "甲县", "按时报送", "2025-07-02 10:00"],
            ["示范点台账", "乙县", "逾期报送", "2025-07-09 10:00"], ["措施推进月报", "市委宣传部", "按时报送", "2025-07-04 10:00"]]},
        "missing": {"columns": REPORT_COLUMNS, "rows": [["村级指标月报", "丙区", "未报送", None]]},
    }


def all_in_order() -> dict:
    """The small snapshot with nothing lagging or owed."""
    snap = copy.deepcopy(small_snapshot())
    snap["lagging"]["rows"], snap["late_units"]["rows"], snap["missing"]["rows"] = [], [], []
    snap["completeness"]["rows"] = [r[:2] + ["按时报送", "2025-07-02 09:00"] for r in snap["completeness"]["rows"]]
    snap["received"] = {"rate": 100.0, "received": 6, "expected": 6}
    snap["frozen"] = None
    return snap


def opened(data: bytes):
    return Document(io.BytesIO(data))


def lines(doc) -> list[str]:
    """The body's paragraphs as text (tables apart), a title's line break removed."""
    return [p.text.replace("\n", "") for p in doc.paragraphs]


@pytest.fixture(scope="module")
def small():
    return opened(circular.build(small_snapshot()))


@pytest.fixture(scope="module")
def demo_snaps(demo_db):
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        return report.build(engine, "2025-11"), report.build(engine, "2025-11", min(queries.counties(engine)))
    finally:
        engine.dispose()


# --- the hand-made snapshot: every expected text typed out ------------------------------------------------

def test_title_stamp_and_frozen_line(small):
    text = lines(small)
    assert text[0] == "关于2025年6月全市清廉乡村建设推进情况的通报"
    assert text[1] == "数据截至 2025年6月"
    assert text[2] == "(本通报数据已于 2025年7月12日 10:30 冻结)"
    assert "演示数据,仅供测试" not in text
    assert "各县(市、区)清廉乡村建设工作领导小组办公室,市级各有关单位:" in text


def test_overview_sentences(small):
    text = lines(small)
    at = text.index("一、总体情况")
    assert text[at + 1:at + 6] == [
        "全市 30 个乡镇(街道)中 21 个已有示范点,乡镇示范点覆盖率 70.0%。",
        "全市 300 个村(社区)中 240 个已制定小微权力清单。",
        "全市 300 个村(社区)中 285 个已配备纪检委员。",
        "报表报送方面,本月应报送各类报表 6 份,已报送 5 份(其中逾期报送 1 份),报送率 83.3%。",
        "措施推进方面,实施方案确定的 12 项重点措施中,绿灯 10 项、黄灯 1 项、红灯 1 项。",
    ]


def test_ranking_table_cells_and_red_shading(small):
    (table,) = small.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells == [RANKING_COLUMNS,
                     ["1", "甲县", "90", "60", "绿灯", "↑1", "9/10"],
                     ["2", "乙县", "70", "60", "黄灯", "—", "7/10"],
                     ["3", "丙区", "50", "60", "红灯", "↓1", "5/10"]]
    header = table.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None  # repeated at the top of each page
    red = table.rows[3].cells[4]._tc.tcPr.find(qn("w:shd"))
    assert red.get(qn("w:fill")) == "FFD9D6"
    assert table.rows[1].cells[4]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "DCF1DC"
    assert table.rows[3].cells[1]._tc.tcPr.find(qn("w:shd")) is None  # only the lamp cell is coloured
    assert table.style.name == "Table Grid"


def test_problems_name_counties_measures_units_and_missing(small):
    text = lines(small)
    at = text.index("三、存在的问题")
    assert text[at:text.index("四、下步工作要求")] == [
        "三、存在的问题",
        "(一)指标进度滞后的县(市、区)",
        "1.乡镇示范点覆盖率亮红灯的县(市、区):丙区;亮黄灯的县(市、区):乙县。",
        "2.小微权力清单覆盖率亮红灯的县(市、区):乙县、丙区。",
        "3.纪检委员配备率亮黄灯的县(市、区):丙区。",
        "(二)推进滞后的措施",
        "1.第3项“开展‘清风’宣讲”(牵头单位:市委宣传部)落后应达进度 30.0 个百分点,亮红灯。",
        "2.第7项“规范村级财务”(牵头单位:市财政局)落后应达进度 5.0 个百分点,亮黄灯。",
        "(三)未按时报送措施推进情况的牵头单位",
        "本月尚未报送措施推进情况的牵头单位:市财政局(第7项)。",
        "(四)未按时完整报送的报表",
        "1.村级指标月报:丙区未报送。",
        "2.示范点台账逾期报送:乙县。",
    ]


def test_requirements_and_closing(small):
    text = lines(small)
    at = text.index("四、下步工作要求")
    assert text[at + 1:at + 4] == [
        "(一)聚焦滞后指标加快攻坚。小微权力清单覆盖率低于按直线进度本月应达值,相关县(市、区)要对照缺口清单倒排工期、"
        "逐项落实,确保按期完成节点任务:小微权力清单覆盖率于2025年12月31日前达到 100%。"
        "纪检委员配备率节点期限已过仍未达标,相关县(市、区)要限期整改、尽快补齐。",
        "(二)压实牵头单位责任。市委宣传部要针对亮红灯的措施分析原因、制定赶进度计划,下月报送时一并说明整改情况。"
        "亮黄灯措施的牵头单位要加快推进,防止转为红灯。",
        "(三)按时规范报送数据。各县(市、区)和各牵头单位要按规定时限如实报送月度数据,确保数据真实准确;"
        "本月未按时完整报送的要尽快补报。",
    ]
    assert [t for t in text if t][-2:] == ["示例市清廉乡村建设工作领导小组办公室", "2025年7月\u3000\u3000日"]


def test_ranking_lamps_name_counties_too():
    snap = small_snapshot()
    snap["targets"][0]["counties"]["rows"] = []
    assert "1.乡镇示范点覆盖率亮红灯的县(市、区):丙区;亮黄灯的县(市、区):乙县。" in lines(opened(circular.build(snap)))


def test_empty_lists_say_all_in_order():
    text = lines(opened(circular.build(all_in_order())))
    assert "本月各项措施均按进度推进,暂无亮红灯、黄灯的措施。" in text
    assert "本月各牵头单位均已按时报送措施推进情况。" in text
    assert "本月各县(市、区)及各牵头单位均已按时报送。" in text
    assert "报表报送方面,本月应报送各类报表 6 份,已报送 6 份,报送率 100.0%。" in text
    assert "(三)按时规范报送数据。各县(市、区)和各牵头单位要按规定时限如实报送月度数据,确保数据真实准确。" in text
    assert not any("冻结" in t for t in text)


def test_no_plan_says_so_instead_of_all_green():
    snap = all_in_order() | {"targets": []}
    text = lines(opened(circular.build(snap)))
    assert "本月暂无目标数据(尚未导入实施方案)。" in text  # 三(一)
    assert "(一)聚焦滞后指标加快攻坚。本月暂无目标数据(尚未导入实施方案)。" in text
    assert not any("均为绿灯" in t or "均已达到" in t for t in text)


def test_december_is_signed_in_january():
    snap = small_snapshot() | {"as_of": "2025-12", "as_of_label": "2025年12月"}
    assert [t for t in lines(opened(circular.build(snap))) if t][-1] == "2026年1月\u3000\u3000日"


def test_page_is_a4_with_government_margins(small):
    (section,) = small.sections
    size = section._sectPr.find(qn("w:pgSz"))
    assert (size.get(qn("w:w")), size.get(qn("w:h"))) == ("11906", "16838")  # A4 in twips, as Word writes it
    assert size.get(qn("w:orient")) in (None, "portrait")
    margins = [section.top_margin.cm, section.bottom_margin.cm, section.left_margin.cm, section.right_margin.cm]
    assert margins == pytest.approx([3.7, 3.5, 2.8, 2.6], abs=0.01)


def test_body_heading_and_title_faces(small):
    body = small.styles["通报正文"]
    assert body.font.size.pt == 16 and body.paragraph_format.line_spacing.pt == pytest.approx(28.95, abs=0.05)
    assert body.paragraph_format.first_line_indent.pt == 32
    faces = {p.text: p.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) for p in small.paragraphs if p.runs}
    sizes = {p.text: p.runs[0].font.size.pt for p in small.paragraphs if p.runs}
    assert faces["一、总体情况"] == circular.HEADING_FONT == "黑体"
    assert faces["(一)指标进度滞后的县(市、区)"] == circular.SUBHEADING_FONT == "楷体_GB2312"
    assert faces["全市 300 个村(社区)中 240 个已制定小微权力清单。"] == circular.BODY_FONT == "仿宋_GB2312"
    title = small.paragraphs[0]
    assert faces[title.text] == circular.TITLE_FONT == "方正小标宋简体" and sizes[title.text] == 22


def test_every_run_names_an_east_asian_font():
    data = circular.build(small_snapshot())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = [n for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")
                 and ("document" in n or "footer" in n or "header" in n)]
        assert "word/document.xml" in parts and any("footer" in n for n in parts)
        for name in parts:
            runs = etree.fromstring(z.read(name)).iter(qn("w:r"))
            for run in runs:
                assert run.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia")), name
        fonts = z.read("word/fontTable.xml").decode()
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋,FangSong"/><w:charset w:val="86"/>' in fonts


def test_same_snapshot_same_bytes():
    assert circular.build(small_snapshot()) == circular.build(small_snapshot())


def test_no_pictures_only_text():
    with zipfile.ZipFile(io.BytesIO(circular.build(small_snapshot()))) as z:
        assert not [n for n in z.namelist() if n.lower().endswith((".png", ".jpeg", ".jpg", ".emf", ".wmf"))]


# --- the demo city's snapshots ----------------------------------------------------------------------------

def test_demo_city_circular_carries_the_snapshot(demo_snaps):
    snap, _ = demo_snaps
    doc = opened(circular.build(snap))
    text = lines(doc)
    assert text[0] == f"关于{snap['as_of_label']}全市清廉乡村建设推进情况的通报"
    assert "演示数据,仅供测试" in text
    for t in snap["targets"]:
        assert t["sentence"] in text
    (table,) = doc.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == snap["ranking"]["columns"]
    assert cells[1:] == [[circular.cell_text(v) for v in row] for row in snap["ranking"]["rows"]]
    for row in snap["lagging"]["rows"]:
        assert any(f"第{row[1]}项“" in line for line in text)
    assert f"{snap['city']}清廉乡村建设工作领导小组办公室" in text
    assert circular.build(snap) == circular.build(copy.deepcopy(snap))


def test_demo_county_circular_drops_the_rank_of_one(demo_snaps):
    _, snap = demo_snaps
    doc = opened(circular.build(snap))
    assert lines(doc)[0] == f"关于{snap['as_of_label']}{snap['where']}清廉乡村建设推进情况的通报"
    (table,) = doc.tables
    assert [c.text for c in table.rows[0].cells] == [c for c in snap["ranking"]["columns"] if c != "名次"]
    assert table.rows[1].cells[0].text == snap["where"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="未安装 LibreOffice(soffice),跳过转换 PDF 的检查")
def test_libreoffice_turns_it_into_pdf(tmp_path):
    path = tmp_path / "通报.docx"
    path.write_bytes(circular.build(small_snapshot()))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / "通报.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2
