"""通报稿: a month's circular as a Word draft (.docx) in the government document layout, drawn from one
snapshot (:mod:`dashboard.report`) alone and repeatable byte for byte.

Layout (GB/T 9704): A4, margins 上 3.7 / 下 3.5 / 左 2.8 / 右 2.6 cm; title 2号 in ``TITLE_FONT``; body 3号 in
``BODY_FONT`` at a fixed 28.95 pt line (22 lines a page), first line indented two characters; "一、" headings in
``HEADING_FONT``, "(一)" headings in ``SUBHEADING_FONT``; tables 小4; page numbers "— 1 —" in the footer.
Every run names its Chinese face in ``w:eastAsia``; the font table offers Word a substitute for a missing face
(``FALLBACKS``).
"""

from __future__ import annotations

import io
from datetime import date, datetime

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from lxml import etree

from dashboard import months
from dashboard.completeness import STATUS_LATE
from dashboard.report import frame, ranked_target

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
BODY_FONT = "仿宋_GB2312"
PAGE_NUMBER_FONT = "宋体"
# face -> (alternative names, generic family), declared in word/fontTable.xml with the GB2312 character set: what
# Word may substitute on a PC without the face (仿宋_GB2312 -> 仿宋). LibreOffice ignores them and asks fontconfig,
# which gives Noto Sans CJK SC for every missing face unless aliased (README, 通报稿).
FALLBACKS = {
    TITLE_FONT: ("方正小标宋_GBK,黑体", "swiss"),
    HEADING_FONT: ("SimHei", "swiss"),
    SUBHEADING_FONT: ("楷体,KaiTi", "roman"),
    BODY_FONT: ("仿宋,FangSong", "roman"),
    PAGE_NUMBER_FONT: ("SimSun", "roman"),
}

TITLE_SIZE, BODY_SIZE, TABLE_SIZE, PAGE_NUMBER_SIZE = Pt(22), Pt(16), Pt(12), Pt(14)  # 2号, 3号, 小4, 4号
LINE = Pt(28.95)  # 579 twips: 22 lines on the type area
TITLE_LINE, TABLE_LINE = Pt(35), Pt(20)
TEXT_WIDTH_CM = 21 - 2.8 - 2.6
LAMP_FILLS = {"绿灯": "DCF1DC", "黄灯": "FFF0B3", "红灯": "FFD9D6"}
LAMP_COLUMNS = ("亮灯", "灯")
RED = RGBColor(0xC0, 0x00, 0x00)
ALL_REPORTED = "本月各县(市、区)及各牵头单位均已按时报送。"
NO_TARGETS = "本月暂无目标数据(尚未导入实施方案)。"


# --- the document and its styles -----------------------------------------------------------------------

def _fonts(rpr, face: str) -> None:
    """Name ``face`` for every script of a run (or style): python-docx alone sets ascii/hAnsi only."""
    fonts = rpr.get_or_add_rFonts()
    for key in list(fonts.attrib):
        if key.lower().endswith("theme"):  # a theme font would win over the names below
            del fonts.attrib[key]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), face)
    fonts.set(qn("w:hint"), "eastAsia")  # “” and — drawn with the Chinese face


def _indent_chars(paragraph_format, first: int = 0, right: float = 0) -> None:
    """Indents in characters of the body size (Word reads *Chars; the lengths are for other readers)."""
    if not first and not right:
        return
    if first:
        paragraph_format.first_line_indent = Pt(16 * first)
    if right:
        paragraph_format.right_indent = Pt(16 * right)
    ind = paragraph_format._element.get_or_add_pPr().get_or_add_ind()
    if first:
        ind.set(qn("w:firstLineChars"), str(100 * first))
    if right:
        ind.set(qn("w:rightChars"), str(int(100 * right)))


STYLES = {  # name: (id, face, size, line, centred, first-line indent in characters, outline level)
    "通报标题": ("CircularTitle", TITLE_FONT, TITLE_SIZE, TITLE_LINE, True, 0, None),
    "通报正文": ("CircularBody", BODY_FONT, BODY_SIZE, LINE, False, 2, None),
    "通报一级标题": ("CircularHeading1", HEADING_FONT, BODY_SIZE, LINE, False, 2, 0),
    "通报二级标题": ("CircularHeading2", SUBHEADING_FONT, BODY_SIZE, LINE, False, 2, 1),
    "通报居中": ("CircularCentred", SUBHEADING_FONT, BODY_SIZE, LINE, True, 0, None),
    "通报署名": ("CircularPlain", BODY_FONT, BODY_SIZE, LINE, False, 0, None),
    "通报表格": ("CircularTable", BODY_FONT, TABLE_SIZE, TABLE_LINE, True, 0, None),
}


def _document():
    """An empty A4 document with the circular's styles, font table and page numbers."""
    doc = Document()
    pkg = doc.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype.endswith("/thumbnail"):  # the template's picture of another document
            pkg.rels.pop(rid)
    _styles(doc)
    _font_table(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.header_distance, section.footer_distance = Cm(1.5), Cm(2.5)
    _page_numbers(section.footer.paragraphs[0])
    return doc


def _styles(doc) -> None:
    """Chinese defaults (zh-CN, 仿宋, no space after) and one paragraph style per kind of line (``STYLES``)."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr, BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    theme_lang = doc.settings.element.find(qn("w:themeFontLang"))  # the template says ja-JP
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), "zh-CN")
    for name, (style_id, face, size, line, centred, first, level) in STYLES.items():
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.element.styleId = style_id
        style.base_style = doc.styles["Normal"]
        style.font.size = size
        _fonts(style.element.get_or_add_rPr(), face)
        ppr = style.element.get_or_add_pPr()
        for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # no extra gap between 2025 and 年: spaces are typed
            off = OxmlElement(tag)
            off.set(qn("w:val"), "0")
            ppr.append(off)
        fmt = style.paragraph_format
        fmt.line_spacing, fmt.space_before, fmt.space_after = line, Pt(0), Pt(0)
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt.widow_control = True
        fmt.keep_with_next = level is not None  # a heading never ends a page
        _indent_chars(fmt, first)
        if level is not None:
            outline = OxmlElement("w:outlineLvl")
            outline.set(qn("w:val"), str(level))
            ppr.insert_element_before(outline, "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _font_table(doc) -> None:
    """Declare each Chinese face with its alternatives, the GB2312 character set and its family."""
    part = next(rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/fontTable"))
    table = etree.fromstring(part.blob)
    for face, (alternatives, family) in FALLBACKS.items():
        font = etree.SubElement(table, qn("w:font"), {qn("w:name"): face})
        for tag, value in (("w:altName", alternatives), ("w:charset", "86"), ("w:family", family),
                           ("w:pitch", "variable")):
            etree.SubElement(font, qn(tag), {qn("w:val"): value})
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _run(paragraph, text: str, face: str, size=None, bold: bool = False, colour: RGBColor | None = None):
    run = paragraph.add_run(text)
    _fonts(run._r.get_or_add_rPr(), face)
    run.font.size = size or BODY_SIZE
    if bold:
        run.font.bold = True
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _page_numbers(paragraph) -> None:
    """"— 1 —" centred, 4号 宋体, the number a PAGE field."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, value in (("text", "— "), ("w:fldChar", "begin"), ("w:instrText", " PAGE "), ("w:fldChar", "separate"),
                        ("text", "1"), ("w:fldChar", "end"), ("text", " —")):
        run = _run(paragraph, value if kind == "text" else "", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
        if kind == "w:fldChar":
            mark = OxmlElement(kind)
            mark.set(qn("w:fldCharType"), value)
            run._r.append(mark)
        elif kind == "w:instrText":
            code = OxmlElement(kind)
            code.set(qn("xml:space"), "preserve")
            code.text = value
            run._r.append(code)


# --- writing ------------------------------------------------------------------------------------------

class _Writer:
    """Paragraphs in the circular's styles."""

    def __init__(self, doc):
        self.doc = doc

    def body(self, text: str, lead: str = "", keep_with_next: bool = False) -> None:
        """A body paragraph; ``lead`` (e.g. "(一)压实责任。") in the subheading face before the text."""
        p = self.doc.add_paragraph(style="通报正文")
        if keep_with_next:
            p.paragraph_format.keep_with_next = True
        if lead:
            _run(p, lead, SUBHEADING_FONT)
        if text:
            _run(p, text, BODY_FONT)

    def heading(self, text: str) -> None:
        _run(self.doc.add_paragraph(style="通报一级标题"), text, HEADING_FONT)

    def subheading(self, text: str) -> None:
        _run(self.doc.add_paragraph(style="通报二级标题"), text, SUBHEADING_FONT)

    def numbered(self, items: list[str], empty: str) -> None:
        """Items as "1.…" paragraphs; one plain sentence when there are none."""
        if not items:
            self.body(empty)
        for i, item in enumerate(items, start=1):
            self.body(f"{i}.{item}" if len(items) > 1 else item)

    def blank(self) -> None:
        _run(self.doc.add_paragraph(style="通报正文"), "", BODY_FONT)


def cell_text(value) -> str:
    """A table value as the circular shows it: — for no value, 70.0 as 70."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _width(text: str) -> float:
    """Width in characters: a Chinese character 1, a Latin letter or digit ½."""
    return sum(0.5 if ord(c) < 0x2000 else 1 for c in text)


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shd.set(qn(key), value)
    cell._tc.get_or_add_tcPr().insert_element_before(
        shd, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def _table(doc, columns: list[str], rows: list[list]) -> None:
    """A grid table, header row in 黑体 repeated on every page, rows never split, lamp cells shaded."""
    texts = [[cell_text(v) for v in row] for row in rows]
    weights = [max(2.0, _width(c), *(_width(r[i]) for r in texts)) + 1 for i, c in enumerate(columns)]
    widths = [Cm(TEXT_WIDTH_CM * w / sum(weights)) for w in weights]
    lamp = next((columns.index(c) for c in LAMP_COLUMNS if c in columns), None)
    table = doc.add_table(rows=1 + len(texts), cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, width in enumerate(widths):
        table.columns[i].width = width
    for r, values in enumerate([columns, *texts]):
        row = table.rows[r]
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
        for i, text in enumerate(values):
            cell = row.cells[i]
            cell.width = widths[i]
            if r and i == lamp and text in LAMP_FILLS:
                _shade(cell, LAMP_FILLS[text])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["通报表格"]
            _run(paragraph, text, HEADING_FONT if r == 0 else BODY_FONT, TABLE_SIZE)


# --- the text ----------------------------------------------------------------------------------------

def title(snap: dict) -> str:
    return f"关于{snap['as_of_label']}{snap['where']}清廉乡村建设推进情况的通报"


def office(snap: dict) -> str:
    return f"{snap['city']}清廉乡村建设工作领导小组办公室"


def issue_date(snap: dict) -> str:
    """The month after the figures' month, the day left for the office to fill in: "2025年12月　　日"."""
    return f"{months.label(months.add(snap['as_of'], 1))}\u3000\u3000日"


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


def _quoted(name: str) -> str:
    """A name put inside “…”: its own double quotes become single ones (“开展乡风文明‘清风行动’”)."""
    return name.replace("“", "‘").replace("”", "’")


def _lead(unit) -> str | None:
    """The lead unit's name, None when the plan names none (the measure table says "(责任单位缺失)")."""
    return None if not unit or str(unit).startswith(("(", "\uff08", "—")) else str(unit)


def overview(snap: dict) -> list[str]:
    """一、总体情况: each target's 通报 line, then the reports received and the measures' lamps."""
    lines = [t["sentence"] for t in snap["targets"]]
    got = snap["received"]
    if got["expected"]:
        late = int((frame(snap["completeness"])["状态"] == STATUS_LATE).sum())
        lines.append(f"报表报送方面,本月应报送各类报表 {got['expected']} 份,已报送 {got['received']} 份"
                     f"{f'(其中逾期报送 {late} 份)' if late else ''},报送率 {got['rate']:.1f}%。")
    else:
        lines.append("报表报送方面,本月暂无应报送的报表。")
    lamps = snap["lamp_counts"]
    total = sum(lamps.values())
    if total:
        lines.append(f"措施推进方面,实施方案确定的 {total} 项重点措施中,绿灯 {lamps.get('绿灯', 0)} 项、"
                     f"黄灯 {lamps.get('黄灯', 0)} 项、红灯 {lamps.get('红灯', 0)} 项。")
    return lines


def lagging_counties(snap: dict) -> list[str]:
    """Per target, the counties lit red or yellow (in its county table, or in the ranking for the ranked one)."""
    ranking, ranked = frame(snap["ranking"]), ranked_target(snap)
    lines = []
    for t in snap["targets"]:
        lit = frame(t["counties"])[["县(市、区)", "灯"]].values.tolist()
        if t is ranked and "亮灯" in ranking:
            lit += ranking[["县(市、区)", "亮灯"]].values.tolist()
        parts = []
        for lamp in ("红灯", "黄灯"):
            names = list(dict.fromkeys(county for county, shown in lit if shown == lamp))
            if names:
                parts.append(f"亮{lamp}的县(市、区):{'、'.join(names)}")
        if parts:
            lines.append(f"{t['label']}{';'.join(parts)}。")
    return lines


def lagging_measures(snap: dict) -> list[str]:
    """"第5项“…”(牵头单位:市民政局)落后应达进度 31.6 个百分点,亮红灯。", most behind first."""
    lines = []
    for m in frame(snap["lagging"]).to_dict("records"):
        lead, why = _lead(m["牵头单位"]), m["灯号说明"]
        who = f"(牵头单位:{lead})" if lead else ("" if "牵头单位" in why else "未明确牵头单位,")
        lines.append(f"第{m['序号']}项“{_quoted(m['措施'])}”{who}{why},亮{m['灯']}。")
    return lines


def late_units(snap: dict) -> str:
    rows = frame(snap["late_units"]).to_dict("records")
    if not rows:
        return "本月各牵头单位均已按时报送措施推进情况。"
    owed = "、".join(f"{r['单位']}(第{r['未报措施序号']}项)" for r in rows)
    return f"本月尚未报送措施推进情况的牵头单位:{owed}。"


def missing_reports(snap: dict) -> list[str]:
    """Who did not (fully) report which report, one sentence per report; late reports named too."""
    lines = []
    for kind, rows in frame(snap["missing"]).groupby("报表", sort=False):
        lines.append(f"{kind}:{'、'.join(f'{who}{status}' for who, status in zip(rows['报送对象'], rows['状态']))}。")
    done = frame(snap["completeness"])
    late = done[done["状态"] == STATUS_LATE]
    for kind, rows in late.groupby("报表", sort=False):
        lines.append(f"{kind}逾期报送:{'、'.join(rows['报送对象'])}。")
    return lines


def requirements(snap: dict) -> list[tuple[str, str]]:
    """四、下步工作要求: (lead, text) for the targets behind, the lagging measures' units and the reporting."""
    owing = snap["missing"]["rows"] or snap["late_units"]["rows"]
    return [("(一)聚焦滞后指标加快攻坚。", _target_demands(snap)),
            ("(二)压实牵头单位责任。", _unit_demands(snap)),
            ("(三)按时规范报送数据。", "各县(市、区)和各牵头单位要按规定时限如实报送月度数据,确保数据真实准确"
             + (";本月未按时完整报送的要尽快补报。" if owing else "。"))]


def _target_demands(snap: dict) -> str:
    """The targets below their straight path, with their next milestone; those past it; those not reported."""
    if not snap["targets"]:
        return NO_TARGETS
    end = months.last_day(snap["as_of"])  # as report.sentence: a milestone before the month's last day is past
    behind = [t for t in snap["targets"] if t["actual"] is not None and t["actual"] < t["expected"]]
    ahead = [t for t in behind if _day(t["next_milestone"]["deadline"]) >= end]
    overdue = [t["label"] for t in behind if t not in ahead]
    silent = [t["label"] for t in snap["targets"] if t["actual"] is None]
    text = ""
    if ahead:
        goals: dict[tuple[str, float], list[str]] = {}
        for t in ahead:
            goals.setdefault((t["next_milestone"]["deadline"], t["next_milestone"]["value"]), []).append(t["label"])
        said = ";".join(f"{'、'.join(labels)}于{_day(day):%Y年%m月%d日}前达到 {value:g}%"
                        for (day, value), labels in goals.items())
        text += (f"{'、'.join(t['label'] for t in ahead)}低于按直线进度本月应达值,相关县(市、区)要对照缺口清单"
                 f"倒排工期、逐项落实,确保按期完成节点任务:{said}。")
    if overdue:
        text += f"{'、'.join(overdue)}节点期限已过仍未达标,相关县(市、区)要限期整改、尽快补齐。"
    if silent:
        text += f"{'、'.join(silent)}本月未报送,相关县(市、区)要尽快补报。"
    return text or "各项目标均已达到按直线进度本月应达值,各县(市、区)要巩固成果、防止反弹,对照下一节点要求持续推进。"


def _unit_demands(snap: dict) -> str:
    """The lead units of red measures by name; measures without a lead; a word for the yellow ones."""
    lagging = frame(snap["lagging"])
    red = lagging[lagging["灯"] == "红灯"]
    units = list(dict.fromkeys(u for u in map(_lead, red["牵头单位"]) if u))
    unled = [str(n) for n, u in zip(lagging["序号"], lagging["牵头单位"]) if not _lead(u)]
    text = f"{'、'.join(units)}要针对亮红灯的措施分析原因、制定赶进度计划,下月报送时一并说明整改情况。" if units else ""
    if unled:
        text += f"第{'、'.join(unled)}项措施尚未明确牵头单位,请尽快明确责任单位。"
    if len(lagging) > len(red):
        text += "亮黄灯措施的牵头单位要加快推进,防止转为红灯。"
    return text or "各牵头单位要对照实施方案,持续推进各项措施落实。"


# --- the document ------------------------------------------------------------------------------------

def _head(doc, out: _Writer, snap: dict) -> None:
    p = doc.add_paragraph(style="通报标题")
    head = f"关于{snap['as_of_label']}{snap['where']}清廉乡村建设"
    _run(p, head, TITLE_FONT, TITLE_SIZE)
    p.runs[-1].add_break()
    _run(p, title(snap)[len(head):], TITLE_FONT, TITLE_SIZE)
    _run(doc.add_paragraph(style="通报居中"), f"数据截至 {snap['as_of_label']}", SUBHEADING_FONT)
    if snap.get("frozen"):
        at = datetime.fromisoformat(snap["frozen"]["at"])
        _run(doc.add_paragraph(style="通报居中"), f"(本通报数据已于 {at.year}年{at.month}月{at.day}日 {at:%H:%M} 冻结)", SUBHEADING_FONT)
    if snap.get("demo"):
        _run(doc.add_paragraph(style="通报居中"), "演示数据,仅供测试", HEADING_FONT, bold=True, colour=RED)
    out.blank()
    to = "各县(市、区)" if snap["county"] is None else snap["where"]
    p = doc.add_paragraph(style="通报署名")
    _run(p, f"{to}清廉乡村建设工作领导小组办公室,市级各有关单位:", BODY_FONT)
    out.body(f"为及时掌握清廉乡村建设推进情况,根据各县(市、区)和市级各牵头单位报送的数据,"
             f"现将{snap['as_of_label']}{snap['where']}清廉乡村建设推进情况通报如下。")


def _ranking(doc, out: _Writer, snap: dict) -> None:
    tab = snap["ranking"]
    columns, rows = list(tab["columns"]), [list(r) for r in tab["rows"]]
    ranked = ranked_target(snap)
    label = ranked["label"] if ranked else "乡镇示范点覆盖率"
    if snap["county"] is not None and "名次" in columns:  # a county's own snapshot ranks it among itself
        at = columns.index("名次")
        columns, rows = columns[:at] + columns[at + 1:], [r[:at] + r[at + 1:] for r in rows]
        out.heading(f"二、{label}情况")
        out.body(f"{snap['where']}{label}情况见下表。", keep_with_next=True)
    else:
        out.heading("二、各县(市、区)排名")
        out.body(f"各县(市、区){label}排名见下表(按{label}由高到低排列)。", keep_with_next=True)
    if rows:
        _table(doc, columns, rows)
    else:
        out.body("本月暂无可排名的数据。")


def _problems(out: _Writer, snap: dict) -> None:
    out.heading("三、存在的问题")
    out.subheading("(一)指标进度滞后的县(市、区)")
    out.numbered(lagging_counties(snap), "本月各项目标各县(市、区)均为绿灯,暂无进度滞后的县(市、区)。"
                 if snap["targets"] else NO_TARGETS)
    out.subheading("(二)推进滞后的措施")
    out.numbered(lagging_measures(snap), "本月各项措施均按进度推进,暂无亮红灯、黄灯的措施。")
    out.subheading("(三)未按时报送措施推进情况的牵头单位")
    out.body(late_units(snap))
    out.subheading("(四)未按时完整报送的报表")
    out.numbered(missing_reports(snap), ALL_REPORTED)


def _closing(doc, out: _Writer, snap: dict) -> None:
    out.blank()
    out.blank()
    name, day = office(snap), issue_date(snap)
    p = doc.add_paragraph(style="通报署名")
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _indent_chars(p.paragraph_format, right=2)
    _run(p, name, BODY_FONT)
    p = doc.add_paragraph(style="通报署名")
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _indent_chars(p.paragraph_format, right=max(2, 2 + round((_width(name) - _width(day)) / 2)))  # centred under the name
    _run(p, day, BODY_FONT)


def build(snap: dict) -> bytes:
    """The month's 通报 draft (.docx) for the snapshot's scope; the same snapshot gives the same bytes."""
    from dashboard.exports import reproducible
    from dashboard.meeting import moment

    doc = _document()
    out = _Writer(doc)
    _head(doc, out, snap)
    out.heading("一、总体情况")
    for line in overview(snap):
        out.body(line)
    _ranking(doc, out, snap)
    _problems(out, snap)
    out.heading("四、下步工作要求")
    for lead, text in requirements(snap):
        out.body(text, lead)
    _closing(doc, out, snap)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title(snap), office(snap), office(snap)
    props.comments, props.subject, props.language = "", "清廉乡村建设推进情况通报", "zh-CN"
    data = io.BytesIO()
    doc.save(data)
    return reproducible(data.getvalue(), moment(snap))
