"""会议幻灯片: a month's meeting deck (.pptx) drawn from a snapshot (:mod:`dashboard.report`) — native charts
and tables that stay editable in PowerPoint, the East-Asian face on every text, the same bytes for the same
snapshot.

The deck opens ``data/deck_template.pptx`` when present (a city may put its own 16:9 template there): the cover
uses the layout named 标题幻灯片/Title Slide, every other slide 仅标题/Title Only (or 空白/Blank with a drawn
title). Without the file the built-in default (:func:`default_template`, the same design) is used.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from dashboard import pictures
from dashboard.charts_map import NO_SITE
from dashboard.exports import reproducible
from dashboard.meeting import SECTIONS, moment
from dashboard.pptx_kit import (
    ACCENT,
    BAND,
    EA_FONT,
    GAP,
    INK,
    LAMP_COLOURS,
    LAMP_FILLS,
    LAMP_INKS,
    LAMP_OF_WORD,
    LINE,
    MARGIN,
    MID,
    MUTED,
    NUM,
    TABLE_PT,
    Col,
    add_table,
    cut,
    default_template,
    drop_slides,
    east_asian,
    fill_widths,
    find_layout,
    fit,
    is_blank,
    is_cover,
    is_title_only,
    laid_out,
    line_count,
    natural_widths,
    paginate,
    paragraphs,
    per_line,
    rows_of,
    solid,
)
from dashboard.report import ranked_target, sources_text
from dashboard.settings import DEMO_SITE_STATUSES

TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "deck_template.pptx"
ACTUAL, EXPECTED, MILESTONE = "B22222", "7F7F7F", "1F4E79"  # as the page's milestone ladder
# A long list shows only the slides that fit within this many rows, then "其余 N 条见数据表(.xlsx)导出": a
# province's village gap list runs to thousands of rows, which belong in the workbook, not in a meeting.
LIST_ROW_CAP = 200
BARS_PER_SLIDE = 20  # county ranking bars per slide (a province has ~100 counties)
FOOTER = Inches(0.5)
COVER_NAMES, CONTENT_NAMES, BLANK_NAMES = ("标题幻灯片", "Title Slide"), ("仅标题", "Title Only"), ("空白", "Blank")
Progress = Callable[[float, str], None]


def build(snap: dict, sections: tuple[str, ...] | None = None, progress: Progress | None = None) -> bytes:
    """The month's meeting deck as .pptx bytes: the cover, the slides of ``sections`` (None = all, in the order
    of :data:`dashboard.meeting.SECTIONS`) and the lamp rule with the uploads behind the figures."""
    unknown = set(sections or ()) - set(SECTIONS)
    if unknown:
        raise ValueError(f"未知的幻灯片部分「{'、'.join(sorted(unknown))}」,可选:{'、'.join(SECTIONS)}")
    chosen = [s for s in SECTIONS if sections is None or s in sections]
    report = progress or (lambda share, text: None)
    deck = _Deck(snap)
    deck.cover()
    steps = {"overview": ("正在生成目标概况与县区排名幻灯片", _overview), "targets": ("正在生成目标进度幻灯片", _targets),
             "map": ("正在生成示范点分布图幻灯片", _map), "accountability": ("正在生成措施落实幻灯片", _accountability)}
    for i, name in enumerate(chosen):
        text, step = steps[name]
        report(0.05 + 0.85 * i / len(chosen), text)
        step(deck, snap)
    report(0.92, "正在生成数据来源幻灯片")
    _sources(deck, snap)
    report(0.96, "正在打包幻灯片文件")
    return deck.save()


# --- the deck -------------------------------------------------------------------------------------------

class _Deck:
    """The presentation being built, with the slide geometry read from its template."""

    def __init__(self, snap: dict):
        self.snap = snap
        self.prs = Presentation(str(TEMPLATE)) if TEMPLATE.exists() else default_template()
        drop_slides(self.prs)  # a template's sample slides are not part of the deck
        self.width, self.height = self.prs.slide_width, self.prs.slide_height
        self.cover_layout = find_layout(self.prs, COVER_NAMES, is_cover)
        self.layout = (find_layout(self.prs, CONTENT_NAMES, is_title_only) or find_layout(self.prs, BLANK_NAMES, is_blank)
                       or self.prs.slide_layouts[-1])
        self.inner = self.width - 2 * MARGIN
        self.bottom = self.height - FOOTER
        held = next((p for p in self.layout.placeholders if p.placeholder_format.type == PP_PLACEHOLDER.TITLE), None)
        self.own_title = held is None or not self._sane(held)  # else the template's title box is used
        title_bottom = Inches(1.15) if self.own_title else held.top + held.height
        self.top = title_bottom + Inches(0.15)  # where every slide's figures start
        self.footers: list[tuple[object, str]] = []
        self.charts: list = []

    def slide(self, title: str, source: str, notes: list[str]):
        """A new content slide with ``title``; returns (slide, top of the free area)."""
        slide = self.prs.slides.add_slide(self.layout)
        box = None
        for shape in list(slide.placeholders):
            if shape.placeholder_format.type == PP_PLACEHOLDER.TITLE and not self.own_title:
                box = shape
            else:  # an empty body placeholder would show "单击此处添加文本" in PowerPoint
                shape.element.getparent().remove(shape.element)
        if box is None:
            box = slide.shapes.add_textbox(MARGIN, Inches(0.3), self.inner, Inches(0.85))
            rule = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, MARGIN, Inches(1.15), self.inner, Inches(0.03))
            solid(rule, ACCENT)
        box.text_frame.word_wrap = True
        box.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        paragraphs(box.text_frame, [[(title, None, True, fit(title, box.width, 28, 18))]], 28, colour=None)
        self.footers.append((slide, source))
        self._notes(slide, notes)
        return slide, self.top

    def _sane(self, shape) -> bool:
        """A template's title box is used when it lies within the slide's top fifth (else it would cover the
        figures) and is wide enough for a Chinese title."""
        return (0 <= shape.left and shape.left + shape.width <= self.width and shape.top >= 0
                and shape.top + shape.height <= self.height * 0.22 and shape.width >= self.width * 0.6)

    def _notes(self, slide, notes: list[str]) -> None:
        if notes:
            paragraphs(slide.notes_slide.notes_text_frame, notes, 12)

    def cover(self) -> None:
        snap = self.snap
        frozen = snap.get("frozen")
        state = (f"已冻结(通报口径,{frozen['by']} {frozen['at'][:16].replace('T', ' ')})" if frozen
                 else "实时数据(未冻结)")
        title = f"{snap['city']}清廉乡村建设推进情况"
        lines = [snap["where"], f"数据截至 {snap['as_of_label']}", state]
        if snap.get("demo"):
            lines.append([("演示数据(非真实上报)", ACCENT, True, None)])
        slide = self.prs.slides.add_slide(self.cover_layout or self.layout)
        holders = {p.placeholder_format.type: p for p in slide.placeholders}
        head = holders.pop(PP_PLACEHOLDER.CENTER_TITLE, None) or holders.pop(PP_PLACEHOLDER.TITLE, None)
        sub = holders.pop(PP_PLACEHOLDER.SUBTITLE, None) or holders.pop(PP_PLACEHOLDER.BODY, None)
        for other in holders.values():
            other.element.getparent().remove(other.element)
        head = head or slide.shapes.add_textbox(Inches(0.9), Inches(2.0), self.width - Inches(1.8), Inches(1.3))
        sub = sub or slide.shapes.add_textbox(Inches(0.9), Inches(3.6), self.width - Inches(1.8), Inches(2.2))
        head.text_frame.word_wrap = sub.text_frame.word_wrap = True
        paragraphs(head.text_frame, [[(title, None, True, fit(title, head.width, 40, 24))]], 40, colour=None,
                    align=PP_ALIGN.CENTER)
        paragraphs(sub.text_frame, lines, 20, colour=MUTED, align=PP_ALIGN.CENTER)
        self.footers.append((slide, "各县(市、区)及市直单位上报数据,明细见末页"))
        self._notes(slide, [snap["stamp"], state])

    def note_box(self, slide, text: str, top: int, size: float = 14, colour: str = INK) -> int:
        """A full-width wrapped paragraph at ``top``, as tall as its text; returns its bottom."""
        height = self.text_height(text, self.inner, size)
        box = slide.shapes.add_textbox(MARGIN, top, self.inner, height)
        box.text_frame.word_wrap = True
        paragraphs(box.text_frame, text.split("\n"), size, colour)
        return top + height

    @staticmethod
    def text_height(text: str, width: int, size: float) -> int:
        """Height of a text box ``width`` wide holding ``text`` at ``size`` pt (its inner margins included)."""
        return Emu(int(Pt(line_count(text, per_line(width - Inches(0.2), size)) * size * LINE) + Inches(0.1)))

    def save(self) -> bytes:
        total = len(self.prs.slides)
        for number, (slide, source) in enumerate(self.footers, start=1):
            self._footer(slide, source, number, total)
        for chart in self.charts:  # the data workbook inside each chart carries the clock too
            workbook = chart.part.chart_workbook
            workbook.update_from_xlsx_blob(reproducible(workbook.xlsx_part.blob, moment(self.snap)))
        east_asian(self.prs)
        props = self.prs.core_properties
        props.title = f"{self.snap['city']}清廉乡村建设推进情况({self.snap['stamp']})"
        props.author = props.last_modified_by = self.snap["city"]
        props.revision = 1
        out = io.BytesIO()
        self.prs.save(out)
        return reproducible(out.getvalue(), moment(self.snap))

    def _footer(self, slide, source: str, number: int, total: int) -> None:
        snap = self.snap
        text = snap["stamp"] + ("(已冻结)" if snap.get("frozen") else "") + (" · 演示数据" if snap.get("demo") else "")
        text += f" · 来源:{source}"
        top, page = self.height - Inches(0.42), Inches(1.0)
        box = slide.shapes.add_textbox(MARGIN, top, self.inner - page, Inches(0.32))
        box.text_frame.word_wrap = True
        width = self.inner - page - Inches(0.2)
        paragraphs(box.text_frame, [cut(text, per_line(width, 10), 1)], 10, MUTED)
        box = slide.shapes.add_textbox(self.width - MARGIN - page, top, page, Inches(0.32))
        paragraphs(box.text_frame, [f"{number} / {total}"], 10, MUTED, align=PP_ALIGN.RIGHT)


def list_slides(deck: _Deck, title: str, tab: dict, cols: list[Col], source: str, notes: list[str], *,
                empty: str = "无。", max_rows: int = 14, panes: int = 1, size: float = TABLE_PT,
                first=None) -> list:
    """``tab`` as native tables over as many slides as it needs ("(续)" in the later titles), never taller
    than the slide; beyond :data:`LIST_ROW_CAP` rows only the first slides and a line pointing to the workbook.
    ``panes`` > 1 sets a long, narrow list in side-by-side tables. ``first`` = (slide, top) starts on a slide
    already made. Returns the slides made."""
    rows = rows_of(tab, cols)
    hidden = max(0, len(rows) - LIST_ROW_CAP)
    rows = rows[:LIST_ROW_CAP]
    natural = natural_widths(cols, rows)
    if len(rows) <= max_rows or Pt(sum(natural) * size) * panes > deck.inner:
        panes = 1  # a short list reads better as one full-width table, a wide one cannot be split
    pane_width = (deck.inner - GAP * (panes - 1)) // panes
    widths = fill_widths(natural, pane_width, size)
    header, head_height = laid_out([c.name for c in cols], cols, widths, size, header=True)
    laid = [laid_out(r, cols, widths, size) for r in rows]
    slide, top = first or deck.slide(title, source, notes)
    if not rows:
        deck.note_box(slide, empty, top, size=16, colour=MUTED)
        return [slide]
    reserve = Inches(0.4) if hidden else 0
    pages = paginate([h for _, h in laid], deck.bottom - top - reserve, deck.bottom - deck.top - reserve,
                      head_height, panes, max_rows)
    made = [slide]
    for n, page in enumerate(pages):
        if n:
            slide, top = deck.slide(f"{title}(续)", source, notes)
            made.append(slide)
        for k, pane in enumerate(page):
            add_table(slide, MARGIN + k * (pane_width + GAP), top, header, [laid[i][0] for i in pane],
                   [laid[i][1] for i in pane], head_height, cols, widths, size)
    if hidden:
        deck.note_box(slide, f"其余 {hidden} 条见数据表(.xlsx)导出。", deck.bottom - reserve, size=12, colour=MUTED)
    return made


# --- charts ---------------------------------------------------------------------------------------------

def _chart_text(chart, size: float = 12) -> None:
    chart.font.size = Pt(size)
    chart.font.name = EA_FONT


def _skip_labels(axis, every: int) -> None:
    """Show every ``every``-th category label (python-pptx has no property for c:tickLblSkip)."""
    ax = axis._element
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        node = ax.find(qn(tag))
        if node is None:
            node = etree.SubElement(ax, qn(tag))
            after = ax.find(qn("c:noMultiLvlLbl"))
            if after is not None:
                after.addprevious(node)
        node.set("val", str(every))


def ladder(deck: _Deck, slide, t: dict, left: int, top: int, width: int, height: int):
    """The milestone ladder of one target as a native line chart: 实际, 直线进度应达 and the 方案节点 points."""
    cols = t["series"]["columns"]
    months = [row[cols.index("月份")] for row in t["series"]["rows"]]
    actual = [row[cols.index("实际(%)")] for row in t["series"]["rows"]]
    expected = [row[cols.index("应达(%)")] for row in t["series"]["rows"]]
    nodes = {m["deadline"][:7]: m["value"] for m in t["milestones"]}
    data = CategoryChartData(number_format="0.0")
    data.categories = months
    data.add_series("实际", actual)
    data.add_series("直线进度应达", expected)
    data.add_series("方案节点", [nodes.get(m) for m in months])
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, left, top, width, height, data).chart
    deck.charts.append(chart)
    _chart_text(chart)
    chart.has_title = False
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
    chart.legend.font.size = Pt(12)
    real, path, marks = chart.plots[0].series
    for series in (real, path, marks):
        series.smooth = False
    real.format.line.color.rgb = RGBColor.from_string(ACTUAL)
    real.format.line.width = Pt(2.5)
    real.marker.style, real.marker.size = XL_MARKER_STYLE.CIRCLE, 5
    real.marker.format.fill.solid()
    real.marker.format.fill.fore_color.rgb = RGBColor.from_string(ACTUAL)
    real.marker.format.line.color.rgb = RGBColor.from_string(ACTUAL)
    path.format.line.color.rgb = RGBColor.from_string(EXPECTED)
    path.format.line.width = Pt(1.75)
    path.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
    path.marker.style = XL_MARKER_STYLE.NONE
    marks.format.line.fill.background()  # markers only: the milestones are points, not a line
    marks.marker.style, marks.marker.size = XL_MARKER_STYLE.DIAMOND, 11
    marks.marker.format.fill.solid()
    marks.marker.format.fill.fore_color.rgb = RGBColor.from_string(MILESTONE)
    marks.marker.format.line.color.rgb = RGBColor.from_string(MILESTONE)
    for i, month in enumerate(months):
        if month in nodes:
            label = marks.points[i].data_label
            label.position = XL_LABEL_POSITION.ABOVE
            label.text_frame.text = f"节点 {nodes[month]:g}%"
            label.font.size, label.font.bold = Pt(12), True
            label.font.color.rgb = RGBColor.from_string(MILESTONE)
    value = chart.value_axis
    value.minimum_scale, value.maximum_scale, value.major_unit = 0, 100, 20
    value.has_major_gridlines = True
    value.major_gridlines.format.line.color.rgb = RGBColor.from_string("E0E0E0")
    value.tick_labels.number_format, value.tick_labels.number_format_is_linked = '0"%"', False
    value.tick_labels.font.size = Pt(12)
    value.format.line.fill.background()
    category = chart.category_axis
    category.tick_labels.font.size = Pt(11)
    _skip_labels(category, max(1, math.ceil(len(months) / 9)))
    return chart


def ranking_bars(deck: _Deck, slide, names: list[str], values: list[float | None], lamps: list[str | None],
                 left: int, top: int, width: int, height: int, label: str = "乡镇示范点覆盖率"):
    """Counties' share of the ranked target as native horizontal bars, each coloured by its lamp, 未报送 as 0."""
    data = CategoryChartData(number_format="0.0")
    data.categories = names
    data.add_series(f"{label}(%)", [0.0 if v is None else v for v in values])
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height, data).chart
    deck.charts.append(chart)
    _chart_text(chart)
    chart.has_title, chart.has_legend = False, False
    plot = chart.plots[0]
    plot.vary_by_categories, plot.gap_width = False, 45
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = '0.0"%"', False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    labels.font.size = Pt(12)
    series = plot.series[0]
    for i, (value, lamp) in enumerate(zip(values, lamps)):
        point = series.points[i]
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = RGBColor.from_string(LAMP_COLOURS.get(lamp, LAMP_COLOURS[None]))
        if value is None:
            point.data_label.text_frame.text = "未报送"
            point.data_label.position = XL_LABEL_POSITION.OUTSIDE_END
            point.data_label.font.size = Pt(12)
    chart.category_axis.reverse_order = True  # rank 1 at the top
    chart.category_axis.tick_labels.font.size = Pt(12)
    value = chart.value_axis
    value.minimum_scale, value.maximum_scale, value.major_unit = 0, 112, 20  # room for "100.0%" beside a full bar
    value.has_major_gridlines = True
    value.major_gridlines.format.line.color.rgb = RGBColor.from_string("E8E8E8")
    value.tick_label_position = XL_TICK_LABEL_POSITION.NONE
    value.format.line.fill.background()
    return chart


# --- sections -------------------------------------------------------------------------------------------

def _stamp_note(snap: dict) -> str:
    frozen = snap.get("frozen")
    state = f"已冻结({frozen['by']} {frozen['at'][:16].replace('T', ' ')})" if frozen else "实时数据(未冻结)"
    return f"数据口径:{snap['city']} · {snap['stamp']} · {state}" + (" · 演示数据" if snap.get("demo") else "")


def _notes(snap: dict, *definitions: str) -> list[str]:
    return [*(f"口径:{d}" for d in definitions), f"亮灯规则:{snap['lamp_rule']}", _stamp_note(snap)]


def _change(t: dict) -> str:
    if t["actual"] is None or t["previous"] is None:
        return "—"
    change = round(t["actual"] - t["previous"], 1)
    return "持平" if change == 0 else f"{change:+.1f} 个百分点"


def _milestone(m: dict) -> str:
    return f"{m['deadline']}前 {m['value']:g}%"


def _overview(deck: _Deck, snap: dict) -> None:
    """目标概况 (a row per target, report completeness, measure lamps) and the county ranking bars."""
    slide, top = deck.slide(f"{snap['where']}清廉乡村建设目标完成情况", "各项目标所依据的上报数据,见末页",
                            _notes(snap, *(t["definition"] for t in snap["targets"])))
    got = snap["received"]
    tiles = [("报送完整率", "—" if got["rate"] is None else f"{got['rate']:.1f}%",
              f"已报 {got['received']} / 应报 {got['expected']} 份", None)]
    tiles += [(f"措施{word}", str(snap["lamp_counts"].get(word, 0)), "项措施", LAMP_OF_WORD[word])
              for word in ("绿灯", "黄灯", "红灯")]
    width = (deck.inner - GAP * (len(tiles) - 1)) // len(tiles)
    height = Inches(1.25)
    for i, (name, figure, hint, lamp) in enumerate(tiles):
        tile = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, MARGIN + i * (width + GAP), top, width, height)
        solid(tile, LAMP_FILLS[lamp] if lamp else BAND)
        tile.text_frame.word_wrap = True
        ink = LAMP_INKS[lamp] if lamp else INK
        paragraphs(tile.text_frame, [[(name, MUTED if not lamp else ink, False, 14)], [(figure, ink, True, 28)],
                                      [(hint, MUTED, False, 12)]], 14, align=PP_ALIGN.CENTER)
    kpis = {"columns": ["目标", "本月(%)", "较上月", "应达(%)", "灯", "达标/总数", "下一节点"],
            "rows": [[t["label"], "未报送" if t["actual"] is None else t["actual"], _change(t), t["expected"],
                      t["lamp_label"], f"{t['count']}/{t['total']}", _milestone(t["next_milestone"])]
                     for t in snap["targets"]]}
    cols = [Col("目标", lines=2, widest=16), Col("本月(%)", NUM), Col("较上月", NUM, lines=2), Col("应达(%)", NUM),
            Col("灯", MID), Col("达标/总数", NUM), Col("下一节点", lines=2)]
    list_slides(deck, f"{snap['where']}清廉乡村建设目标完成情况", kpis, cols, "各项目标所依据的上报数据,见末页",
                _notes(snap, *(t["definition"] for t in snap["targets"])), empty="方案未设定量化目标。",
                size=16, max_rows=8, first=(slide, top + height + Inches(0.25)))
    _ranking(deck, snap)


def _ranking(deck: _Deck, snap: dict) -> None:
    rows = snap["ranking"]["rows"]
    cols = snap["ranking"]["columns"]
    spec = ranked_target(snap)
    if spec is None or not rows:
        return
    names = [r[cols.index("县(市、区)")] for r in rows]
    values = [_number(r[cols.index("覆盖率(%)")]) for r in rows]
    lamps = [snap["ranking_lamps"].get(n) for n in names]
    counts = {w: sum(1 for lamp in lamps if lamp == k) for w, k in LAMP_OF_WORD.items()}
    caption = (f"按直线进度本月应达 {spec['expected']:.1f}%;" + "、".join(f"{w} {n} 个" for w, n in counts.items() if n)
               + "。柱色即亮灯,未报送的县记为 0。")
    title = f"各县(市、区){spec['label']}排名(共 {len(names)} 个)"
    for n, start in enumerate(range(0, len(names), BARS_PER_SLIDE)):
        part = slice(start, start + BARS_PER_SLIDE)
        slide, top = deck.slide(title + ("(续)" if n else ""), sources_text(spec["metric"]),
                                _notes(snap, spec["definition"]))
        below = deck.note_box(slide, caption, top, size=14, colour=MUTED)
        ranking_bars(deck, slide, names[part], values[part], lamps[part], MARGIN, below, deck.inner,
                     deck.bottom - below, spec["label"])


def _number(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _targets(deck: _Deck, snap: dict) -> None:
    """Per target: the milestone ladder with its 通报 line, the county table, the gap list."""
    for t in snap["targets"]:
        notes = _notes(snap, t["definition"]) + [f"方案原文:{t['source']}"]
        source = sources_text(t["metric"])
        slide, top = deck.slide(f"{t['label']}:推进情况", source, notes)
        sentence_size = 16
        sentence_h = deck.text_height(t["sentence"], deck.inner, sentence_size)
        panel = Inches(3.4)
        chart_h = deck.bottom - top - sentence_h - Inches(0.1)
        ladder(deck, slide, t, MARGIN, top, deck.inner - panel - GAP, chart_h)
        _panel(slide, t, deck.width - MARGIN - panel, top, panel, chart_h)
        deck.note_box(slide, t["sentence"], deck.bottom - sentence_h, size=sentence_size)
        noun = t["noun"]
        cols = [Col("县(市、区)", widest=10), Col(f"达标{noun}", NUM), Col(f"{noun}总数", NUM),
                Col(f"未报送{noun}", NUM), Col("实际(%)", NUM), Col("应达(%)", NUM), Col("灯", MID)]
        list_slides(deck, f"{t['label']}:分县(市、区)情况", t["counties"], cols, source, notes, panes=2,
                    max_rows=16)
        gaps = t["gaps"]
        if gaps["rows"]:
            list_slides(deck, f"{t['label']}:缺口名单(共 {len(gaps['rows'])} 个{noun})", gaps,
                        [Col(c, widest=12) for c in gaps["columns"]],
                        source, notes, panes=2, max_rows=16)


def _panel(slide, t: dict, left: int, top: int, width: int, height: int) -> None:
    """Key figures beside a ladder: the month's %, its lamp, the path value, the change, the milestones."""
    lamp = t["lamp"]
    actual = "未报送" if t["actual"] is None else f"{t['actual']:.1f}%"
    lines = [[("本月", MUTED, False, 14)], [(actual, LAMP_COLOURS.get(lamp, INK), True, 36)],
             [(t["lamp_label"], LAMP_INKS.get(lamp, INK), True, 18)],
             f"按直线进度应达 {t['expected']:.1f}%", f"较上月 {_change(t)}",
             f"达标 {t['count']} / {t['total']} 个{t['noun']}"]
    if t["unreported"]:
        lines.append(f"未报送 {t['unreported']} 个{t['noun']}")
    lines += ["", [("方案节点", MUTED, False, 14)], *(_milestone(m) for m in t["milestones"]),
              "", [("下一节点", MUTED, False, 14)], _milestone(t["next_milestone"]), f"还需:{t['pace']}"]
    box = slide.shapes.add_textbox(left, top, width, height)
    box.text_frame.word_wrap = True
    paragraphs(box.text_frame, lines, 14)


def _map(deck: _Deck, snap: dict) -> None:
    """The demo-site map picture (:func:`dashboard.pictures.map_png`) with its counts, then the gap list."""
    m = snap["map"]
    definition = next((t["definition"] for t in snap["targets"] if t["metric"] == "township_demo_coverage"),
                      "乡镇示范点覆盖率 = 有已建成或已验收命名示范点的乡镇(街道)数 ÷ 乡镇(街道)总数。")
    notes = _notes(snap, definition)
    source = sources_text("township_demo_coverage")
    slide, top = deck.slide(f"{snap['where']}示范点分布", source, notes)
    panel = Inches(2.9)
    width = min(deck.inner - panel - GAP, (deck.bottom - top) * 16 // 9)
    slide.shapes.add_picture(io.BytesIO(pictures.map_png(snap)), MARGIN, top, width, width * 9 // 16)
    total = m["township_total"]
    share = f"{100 * m['covered'] / total:.1f}%" if total else "—"
    lines = [[("乡镇(街道)覆盖", MUTED, False, 14)], [(f"{m['covered']} / {total}", INK, True, 28)],
             f"覆盖率 {share}", f"尚无示范点 {total - m['covered']} 个", "", [("示范点状态(个)", MUTED, False, 14)]]
    counts = m["status_counts"]
    order = [*reversed(DEMO_SITE_STATUSES), NO_SITE]  # most advanced first; a stored snapshot's keys are sorted
    lines += [f"{status}:{counts[status]}" for status in [*order, *sorted(set(counts) - set(order))]
              if status in counts]
    box = slide.shapes.add_textbox(deck.width - MARGIN - panel, top, panel, deck.bottom - top)
    box.text_frame.word_wrap = True
    paragraphs(box.text_frame, lines, 14)
    gaps = m["gaps"]
    if gaps["rows"]:
        list_slides(deck, f"尚无示范点的乡镇(街道)(共 {len(gaps['rows'])} 个)", gaps,
                    [Col(c, NUM if c == "在建或计划示范点" else PP_ALIGN.LEFT, widest=12) for c in gaps["columns"]],
                    source, notes, panes=2, max_rows=16)


def _accountability(deck: _Deck, snap: dict) -> None:
    """The lagging measures, the lead units still owing this month's report and the 未报送 list."""
    notes = _notes(snap)
    source = sources_text(None)
    lagging = snap["lagging"]
    list_slides(deck, f"推进滞后的措施(共 {len(lagging['rows'])} 项)", lagging,
                [Col("序号", MID), Col("措施", lines=2, widest=16), Col("牵头单位", lines=2, widest=9),
                 Col("完成进度(%)", NUM), Col("应达进度(%)", NUM), Col("灯", MID), Col("灯号说明", lines=2, widest=13)],
                source, notes, max_rows=10, empty="本月没有亮黄灯或红灯的措施。")
    late = snap["late_units"]
    list_slides(deck, f"本月仍未报送的牵头单位(共 {len(late['rows'])} 个)", late,
                [Col("单位", lines=2, widest=16), Col("未报措施序号", widest=12)], source, notes, panes=2,
                empty="各牵头单位本月均已报送。")
    missing = snap["missing"]
    list_slides(deck, f"未按时完整报送名单(共 {len(missing['rows'])} 个)", missing,
                [Col(c, lines=2 if c == "报送对象" else 1, widest=16) for c in missing["columns"]],
                "报送情况统计", notes, empty=f"{snap['as_of_label']}应报报表均已按时完整报送。")


def _sources(deck: _Deck, snap: dict) -> None:
    """The last slide(s): the lamp rule and the uploads the figures rest on."""
    sources = snap["sources"]
    title = f"亮灯规则与数据来源(共 {len(sources['rows'])} 份上报)"
    slide, top = deck.slide(title, "本页所列上报", [_stamp_note(snap)])
    top = deck.note_box(slide, f"亮灯规则:{snap['lamp_rule']}", top, size=13) + Inches(0.1)
    list_slides(deck, title, sources,
                [Col("报表", widest=8), Col("报送期", MID), Col("范围", lines=2, widest=10),
                 Col("文件", lines=2, widest=18), Col("填报人", widest=6), Col("上报时间", MID), Col("说明", lines=2, widest=10)],
                "本页所列上报", [_stamp_note(snap)], empty="本期数字没有所依据的上报记录。", max_rows=16,
                first=(slide, top))

