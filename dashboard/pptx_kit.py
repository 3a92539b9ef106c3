"""python-pptx building blocks for the meeting deck (:mod:`dashboard.deck`): text measured in ems and cut to fit,
native tables written as XML and paginated, the East-Asian face on every text property, and the built-in
16:9 template. Nothing here knows about a month's figures."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.util import Emu, Inches, Pt

# The East-Asian (and Latin) face written on every run. Office PCs have 微软雅黑; LibreOffice on Linux
# substitutes Noto Sans CJK SC (fonts-noto-cjk) for it, so the deck renders in both.
EA_FONT = "Microsoft YaHei"
ACCENT, INK, MUTED, BAND = "B22222", "1F1F1F", "6B6B6B", "F5F5F5"
LAMP_COLOURS = {"green": "2E7D32", "yellow": "F9A825", "red": "C62828", None: "9E9E9E"}
LAMP_FILLS = {"green": "DCF1DC", "yellow": "FFF0B3", "red": "FFD9D6", None: "EEEEEE"}
LAMP_INKS = {"green": "1B5E20", "yellow": "6D5200", "red": "9F1C14", None: "555555"}
LAMP_OF_WORD = {"绿灯": "green", "黄灯": "yellow", "红灯": "red", "未报送": None}
LINE = 1.5  # line height / font size, generous enough for Noto Sans CJK (YaHei needs 1.32)
MARGIN, GAP = Inches(0.5), Inches(0.2)
CELL_X, CELL_Y = Inches(0.06), Inches(0.03)
WIDESCREEN = (Emu(12192000), Emu(6858000))  # PowerPoint's own 16:9 (宽屏), 33.867 cm × 19.05 cm


# --- text ---------------------------------------------------------------------------------------------

def ems(c: str) -> float:
    """Width of one character in ems: CJK, full-width signs and general punctuation (“ ” — …, drawn from the
    CJK face) one em, the rest (digits, Latin) a conservative 0.62."""
    return 1.0 if ord(c) >= 0x2E80 or 0x2010 <= ord(c) <= 0x206F else 0.62


def em(text: str) -> float:
    return sum(ems(c) for c in text)


def line_count(text: str, per_line: float) -> int:
    return max(1, sum(max(1, math.ceil(em(part) / per_line)) for part in text.split("\n")))


def cut(text: str, per_line: float, lines: int) -> str:
    """``text`` cut with "…" so that it wraps to at most ``lines`` lines of ``per_line`` ems."""
    if line_count(text, per_line) <= lines:
        return text
    room, width = per_line * lines - 1.2, 0.0
    for i, c in enumerate(text):
        width += ems(c)
        if width > room or c == "\n":
            return text[:i].rstrip() + "…"
    return text


def per_line(width: int, size: float) -> float:
    """Ems that fit on one line of a box ``width`` EMU wide at ``size`` pt (kept 4 % short of the edge)."""
    return max(1.0, Emu(width).pt * 0.96 / size)


def fit(text: str, width: int, largest: float, smallest: float) -> float:
    """The largest font size (pt) at which ``text`` stays on one line of ``width``, at least ``smallest``."""
    size = largest
    while size > smallest and em(text) > per_line(width, size):
        size -= 1
    return size


def cell_text(value) -> str:
    """A table value as shown: None -> —, floats with one decimal, booleans 是/否."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def paragraphs(frame, lines, size: float, colour: str | None = INK, align=None) -> None:
    """Fill a text frame with ``lines`` (text or [(text, colour, bold, size)] runs), one paragraph each;
    colour None leaves the template's."""
    frame.clear()
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            para.alignment = align
        runs = [(line, colour, False, size)] if isinstance(line, str) else line
        # the size of an empty paragraph (an empty cell) is its end mark's: without it LibreOffice uses 18 pt
        para._p.get_or_add_endParaRPr().set("sz", str(int(((runs[0][3] if runs else None) or size) * 100)))
        for text, ink, bold, pt in runs:
            if not text:  # LibreOffice sizes an empty run at 18 pt whatever it says; the end mark is enough
                continue
            run = para.add_run()
            run.text = text
            run.font.size, run.font.bold = Pt(pt or size), bold
            if ink or colour:
                run.font.color.rgb = RGBColor.from_string(ink or colour)


def solid(shape, colour: str) -> None:
    shape.fill.solid()
    shape.fill.fore_color.rgb = RGBColor.from_string(colour)
    shape.line.fill.background()


def find_layout(prs, names: tuple[str, ...], fits: Callable) -> object | None:
    """The layout called one of ``names``, else the first whose placeholders ``fits`` accepts."""
    layouts = list(prs.slide_layouts)
    return (next((lay for lay in layouts if lay.name in names), None)
            or next((lay for lay in layouts if fits({p.placeholder_format.type for p in lay.placeholders})), None))


FURNITURE = {PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER}


def is_cover(kinds: set) -> bool:
    return PP_PLACEHOLDER.CENTER_TITLE in kinds and PP_PLACEHOLDER.SUBTITLE in kinds


def is_title_only(kinds: set) -> bool:
    return PP_PLACEHOLDER.TITLE in kinds and not (kinds - FURNITURE - {PP_PLACEHOLDER.TITLE})


def is_blank(kinds: set) -> bool:
    return not (kinds - FURNITURE)


# --- tables ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Col:
    """One shown column of a snapshot table: its name there, alignment, how many lines a cell may wrap to
    before it is cut with "…", and the widest it may get (in characters) when widths follow the content."""
    name: str
    align: PP_ALIGN = PP_ALIGN.LEFT
    lines: int = 1
    widest: float = 14


NUM = PP_ALIGN.RIGHT
MID = PP_ALIGN.CENTER
TABLE_PT = 12
NO_STYLE_NO_GRID = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"  # every fill is set on the cells themselves
LAMP_COLUMNS = ("灯", "亮灯")


def rows_of(tab: dict, cols: list[Col]) -> list[list[str]]:
    index = [tab["columns"].index(c.name) for c in cols]
    return [[cell_text(row[i]) for i in index] for row in tab["rows"]]


def natural_widths(cols: list[Col], rows: list[list[str]]) -> list[float]:
    """Each column's width in ems: its widest text (header included, the first rows sampled), within
    2 ems and the column's ``widest``, plus room for the cell margins."""
    sample = rows[:300]
    return [min(col.widest, max(2.0, em(col.name), *(em(r[j]) for r in sample))) + 1.0
            for j, col in enumerate(cols)]


SHORT = 7.0  # ems: a column this narrow (a lamp, a percentage, a count) keeps its width when room is short


def fill_widths(natural: list[float], width: int, size: float) -> list[int]:
    """Column widths (EMU) filling ``width``: in proportion to the natural widths when they fit; else the short
    columns keep theirs and the long ones share what is left (and wrap or are cut), or failing that all shrink."""
    room = Emu(width).pt / size  # in ems
    short = sum(n for n in natural if n <= SHORT)
    if sum(natural) > room and room - short > 0.3 * room:
        long = sum(n for n in natural if n > SHORT)
        share = (room - short) / long if long else 1.0
        natural = [n if n <= SHORT else n * share for n in natural]
    total = sum(natural)
    widths = [int(width * n / total) for n in natural]
    widths[-1] += width - sum(widths)
    return widths


def laid_out(cells: list[str], cols: list[Col], widths: list[int], size: float, header: bool = False):
    """The cell texts cut to their line allowance, and the row height that holds them."""
    shown, most = [], 1
    for text, col, width in zip(cells, cols, widths):
        per = per_line(width - 2 * CELL_X, size)
        allowed = 2 if header else col.lines
        text = cut(text, per, allowed)
        shown.append(text)
        most = max(most, min(allowed, line_count(text, per)))
    return shown, Emu(int(Pt(most * size * LINE) + 2 * CELL_Y))


def paginate(heights: list[int], room_first: int, room: int, header: int, panes: int, max_rows: int):
    """Row indices per slide and pane: rows go down a pane until its height or ``max_rows`` is used up (the
    first slide may hold none when what stands above the table leaves no room)."""
    pages, i = [], 0
    while i < len(heights):
        page = []
        for _ in range(panes):
            space, pane = (room_first if not pages else room) - header, []
            while i < len(heights) and len(pane) < max_rows and (heights[i] <= space or (not pane and pages)):
                space -= heights[i]
                pane.append(i)
                i += 1
            if pane:
                page.append(pane)
        pages.append(balanced(page, heights, (room_first if len(pages) == 0 else room) - header))
    return pages


def balanced(page: list[list[int]], heights: list[int], space: int) -> list[list[int]]:
    """A page's rows shared evenly among its panes (a last page of 18 rows as 9 + 9, not 16 + 2), when they fit."""
    rows = [i for pane in page for i in pane]
    if len(page) < 2:
        return page
    per = math.ceil(len(rows) / len(page))
    even = [rows[k:k + per] for k in range(0, len(rows), per)]
    return even if len(even) == len(page) and all(sum(heights[i] for i in p) <= space for p in even) else page


def add_table(slide, left: int, top: int, header: list[str], rows: list[list[str]], heights: list[int],
           head_height: int, cols: list[Col], widths: list[int], size: float) -> None:
    """A native table whose every cell carries its own fill, colour, size and faces (no table style)."""
    shape = slide.shapes.add_table(1, len(cols), left, top, sum(widths), head_height + sum(heights))
    tbl = shape._element.graphic.graphicData.tbl
    tbl.tblPr.find(qn("a:tableStyleId")).text = NO_STYLE_NO_GRID
    for j, width in enumerate(widths):
        tbl.tblGrid[j].set("w", str(width))
    aligns = [ALIGN[c.align] for c in cols]
    xml = [row_xml(header, head_height, aligns, size, ["FFFFFF"] * len(cols), [ACCENT] * len(cols), True)]
    for i, (cells, height) in enumerate(zip(rows, heights), start=1):
        band = BAND if i % 2 == 0 else "FFFFFF"
        lamps = [LAMP_OF_WORD[text] if col.name in LAMP_COLUMNS and text in LAMP_OF_WORD else ""
                 for col, text in zip(cols, cells)]
        xml.append(row_xml(cells, height, aligns, size, [INK if k == "" else LAMP_INKS[k] for k in lamps],
                        [band if k == "" else LAMP_FILLS[k] for k in lamps], [k != "" for k in lamps]))
    tbl.remove(tbl.tr_lst[0])
    # building the rows as text and parsing once is ~5x faster than python-pptx's cell by cell calls, which
    # matters for a province's long lists
    for tr in parse_xml(f'<a:tbl {nsdecls("a")}>{"".join(xml)}</a:tbl>'):
        tbl.append(tr)


ALIGN = {PP_ALIGN.LEFT: "l", PP_ALIGN.CENTER: "ctr", PP_ALIGN.RIGHT: "r"}


def row_xml(cells: list[str], height: int, aligns: list[str], size: float, inks: list[str], fills: list[str],
         bold) -> str:
    sz = int(size * 100)
    faces = f'<a:latin typeface="{EA_FONT}"/><a:ea typeface="{EA_FONT}"/>'
    margins = f'marL="{CELL_X}" marR="{CELL_X}" marT="{CELL_Y}" marB="{CELL_Y}" anchor="ctr"'
    bolds = bold if isinstance(bold, list) else [bold] * len(cells)
    out = [f'<a:tr h="{height}">']
    for text, align, ink, fill, b in zip(cells, aligns, inks, fills, bolds):
        run = (f'<a:r><a:rPr lang="zh-CN" sz="{sz}" b="{int(b)}"><a:solidFill><a:srgbClr val="{ink}"/></a:solidFill>'
               f'{faces}</a:rPr><a:t>{escape(text)}</a:t></a:r>') if text else ""
        out.append(f'<a:tc><a:txBody><a:bodyPr wrap="square"/><a:lstStyle/><a:p><a:pPr algn="{align}"/>{run}'
                   f'<a:endParaRPr lang="zh-CN" sz="{sz}">{faces}</a:endParaRPr></a:p></a:txBody>'
                   f'<a:tcPr {margins}><a:solidFill><a:srgbClr val="{fill}"/></a:solidFill></a:tcPr></a:tc>')
    out.append("</a:tr>")
    return "".join(out)


# --- fonts ------------------------------------------------------------------------------------------------

RUN_TAGS = {qn("a:r"), qn("a:fld"), qn("a:br")}
PROPS = {qn("a:rPr"), qn("a:defRPr"), qn("a:endParaRPr")}
AFTER_LATIN = {qn(t) for t in ("a:ea", "a:cs", "a:sym", "a:hlinkClick", "a:hlinkMouseOver", "a:rtl", "a:extLst")}


def east_asian(prs) -> None:
    """Every run, default and end-of-paragraph text property in the slides, notes and charts gets the Latin and
    the East-Asian face (python-pptx writes only ``a:latin``; without ``a:ea`` Chinese falls back to whatever
    the viewer picks) and the language zh-CN. One walk at the end, so no text can miss it."""
    for part in prs.part.package.iter_parts():
        if part.partname.startswith(("/ppt/slides/", "/ppt/notesSlides/", "/ppt/charts/")):
            root = part._element
            for run in root.iter(*RUN_TAGS):
                if run.find(qn("a:rPr")) is None:
                    run.insert(0, etree.Element(qn("a:rPr")))
            for props in root.iter(*PROPS):
                set_faces(props)


def set_faces(props) -> None:
    props.set("lang", "zh-CN")
    latin = props.find(qn("a:latin"))
    if latin is None:
        latin = etree.Element(qn("a:latin"))
        successor = next((child for child in props if child.tag in AFTER_LATIN), None)
        if successor is not None:
            successor.addprevious(latin)
        else:
            props.append(latin)
    latin.set("typeface", EA_FONT)
    ea = props.find(qn("a:ea"))
    if ea is None:
        ea = etree.Element(qn("a:ea"))
        latin.addnext(ea)
    ea.set("typeface", EA_FONT)


# --- the default template ---------------------------------------------------------------------------------

def default_template():
    """The built-in 16:9 template (what ``data/deck_template.pptx`` ships as): white, a red top bar, titles
    in 微软雅黑 under a thin red rule; layouts 标题幻灯片, 仅标题, 空白."""
    prs = Presentation()
    old_width = prs.slide_width
    prs.slide_width, prs.slide_height = WIDESCREEN
    keep = {"Title Slide": "标题幻灯片", "Title Only": "仅标题", "Blank": "空白"}
    for layout in list(prs.slide_layouts):
        if layout.name not in keep:
            prs.slide_layouts.remove(layout)
    master = prs.slide_master
    # the default layouts are drawn for 4:3: read every placeholder's box (layouts inherit the master's), then
    # write it back stretched across the wider slide
    holders = [*master.placeholders, *(p for lay in prs.slide_layouts for p in lay.placeholders)]
    boxes = [(p.left, p.top, p.width, p.height) for p in holders]
    for holder, (left, top, width, height) in zip(holders, boxes):
        scale = prs.slide_width / old_width
        holder.left, holder.top, holder.width, holder.height = int(left * scale), top, int(width * scale), height
    boxes = {PP_PLACEHOLDER.TITLE: (MARGIN, Inches(0.3), WIDESCREEN[0] - 2 * MARGIN, Inches(0.85)),
             PP_PLACEHOLDER.CENTER_TITLE: (Inches(0.9), Inches(1.9), WIDESCREEN[0] - Inches(1.8), Inches(1.5)),
             PP_PLACEHOLDER.SUBTITLE: (Inches(0.9), Inches(3.6), WIDESCREEN[0] - Inches(1.8), Inches(2.2))}
    for layout in prs.slide_layouts:
        name = keep[layout.name]
        layout.name = name
        for holder in layout.placeholders:
            box = boxes.get(holder.placeholder_format.type)
            if box:
                holder.left, holder.top, holder.width, holder.height = box
        if name == "仅标题":
            decorate(prs, layout, MARGIN, Inches(1.15), WIDESCREEN[0] - 2 * MARGIN, Inches(0.03))
        if name == "标题幻灯片":
            decorate(prs, layout, Inches(0.9), Inches(3.45), WIDESCREEN[0] - Inches(1.8), Inches(0.04))
    decorate(prs, master, Inches(0), Inches(0), prs.slide_width, Inches(0.12))
    style = master.element.find(qn("p:txStyles")).find(qn("p:titleStyle")).find(qn("a:lvl1pPr"))
    style.set("algn", "l")
    defaults = style.find(qn("a:defRPr"))
    defaults.set("sz", "2800")
    defaults.set("b", "1")
    fill = defaults.find(qn("a:solidFill"))
    if fill is not None:
        fill.clear()
        etree.SubElement(fill, qn("a:srgbClr")).set("val", INK)
    theme_fonts(master.part.part_related_by(RT.THEME))
    return prs


def drop_slides(prs) -> None:
    ids = prs.slides._sldIdLst
    for entry in list(ids):
        prs.part.drop_rel(entry.rId)
        ids.remove(entry)


def decorate(prs, owner, left, top, width, height) -> None:
    """A red rectangle on a master or layout (whose shape collections cannot add shapes themselves)."""
    scratch = prs.slides.add_slide(prs.slide_layouts[0])
    bar = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
    solid(bar, ACCENT)
    bar.shadow.inherit = False
    element = copy.deepcopy(bar.element)
    tree = owner.shapes._spTree
    element.nvSpPr.cNvPr.id = max(int(i) for i in tree.xpath("//p:cNvPr/@id")) + 1
    element.nvSpPr.cNvPr.name = "红色装饰条"
    tree.append(element)
    drop_slides(prs)


def theme_fonts(part) -> None:
    """The theme's fonts set to :data:`EA_FONT` (Latin and East Asian) and its first accent to the app's red."""
    root = etree.fromstring(part.blob)
    ns = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    for face in root.xpath("//a:majorFont/a:latin | //a:minorFont/a:latin | //a:majorFont/a:ea | //a:minorFont/a:ea",
                           namespaces=ns):
        face.set("typeface", EA_FONT)
    for colour in root.xpath("//a:clrScheme/a:accent1/*", namespaces=ns):
        colour.getparent().replace(colour, etree.fromstring(f'<a:srgbClr xmlns:a="{ns["a"]}" val="{ACCENT}"/>'))
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

