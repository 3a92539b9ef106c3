"""图片导出: every chart of a month and the demo-site map as 1920×1080 PNGs, drawn from a snapshot
(:mod:`dashboard.report`), so a frozen month gives the same bytes every time.

Charts go through vl-convert (the Vega-Lite specs of :mod:`dashboard.charts`), the map through matplotlib
(Agg, no pyplot state). Both need a CJK font: vl-convert silently drops text in a missing font and matplotlib
draws boxes, so :func:`font_check` renders a Chinese test string with each and refuses to go on when it
comes out blank.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from dashboard import charts, report
from dashboard.charts import FONT
from dashboard.charts_map import NO_SITE, STATUS_COLORS
from dashboard.metrics import Milestone
from dashboard.report import ranked_target, sources_text
from dashboard.settings import DEMO_SITE_STATUSES

WIDTH, HEIGHT = 1920, 1080
DPI = 100
SCALE = 2  # Vega-Lite charts are laid out at 960×540 and rendered at twice that
TITLE_BAND = (0, 0, WIDTH, 110)  # every picture's title and stamp are drawn in this band
RANKING_PAGE = 30  # counties per ranking picture; more would not leave their names legible
LABEL_AT = "标签位置"
# The reports each figure is counted from (kinds of :mod:`loaders.schema`), named on the picture.
SOURCE_MAP = "来源:" + sources_text("township_demo_coverage")
# Where Debian's fonts-noto-cjk puts the font; matplotlib's font cache may predate an install, so these
# files are added to it by hand when the family is not found.
FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
FONT_HINT = "请安装 fonts-noto-cjk(apt-get install fonts-noto-cjk)后重启看板"
KM_PER_DEGREE = 111.32

# Opaque versions of the page map's translucent township fills, as they look over white.
COVERED_FACE = "#c9ebd3"
GAP_FACE = "#f8cdcd"
COUNTY_EDGE = "#31333f"
OTHER_COUNTY_EDGE = "#b4b7bf"
OTHER_COUNTY_FACE = "#f1f2f4"
TEXT, MUTED = "#1f2330", "#5a5f6b"
DRAW_ORDER = (NO_SITE, *DEMO_SITE_STATUSES)  # later statuses on top


class FontMissing(ValueError):
    """No CJK font: exported pictures would have blank or boxed text."""


Progress = Callable[[float, str], None]


# --- fonts ---------------------------------------------------------------------------------------------

_font_path: str | None = None  # set once the check has passed in this process


def _find_font() -> str | None:
    """Path of the file matplotlib uses for ``FONT``, or None when it has no such family."""
    props = font_manager.FontProperties(family=FONT)
    try:
        return font_manager.findfont(props, fallback_to_default=False)
    except ValueError:
        pass
    for path in FONT_FILES:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
    try:
        return font_manager.findfont(props, fallback_to_default=False)
    except ValueError:
        return None


def _missing(detail: str) -> FontMissing:
    return FontMissing(f"未找到中文字体「{FONT}」,导出的图片文字会是空白或方框({detail})。{FONT_HINT}。")


def ink(png: bytes, box: tuple[int, int, int, int] | None = None, darker_than: int = 128) -> int:
    """Number of dark pixels (grey level below ``darker_than``) in ``box`` (left, top, right, bottom) of a PNG."""
    image = Image.open(io.BytesIO(png)).convert("L")
    if box:
        image = image.crop(box)
    return int((np.asarray(image) < darker_than).sum())


def _matplotlib_sample(path: str) -> bytes:
    fig = Figure(figsize=(3, 1), dpi=DPI)
    fig.text(0.05, 0.3, "清廉乡村", fontproperties=font_manager.FontProperties(fname=path), fontsize=32)
    return _png(fig)


def _vegalite_sample(font: str) -> bytes:
    import vl_convert

    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": 260, "height": 60,
            "data": {"values": [{"t": "清廉乡村"}]},
            "mark": {"type": "text", "font": font, "fontSize": 36, "color": "black", "align": "left"},
            "encoding": {"text": {"field": "t"}, "x": {"value": 10}, "y": {"value": 30}},
            "config": {"view": {"stroke": None}}}
    return vl_convert.vegalite_to_png(spec, scale=1)


def font_check() -> None:
    """Raise :class:`FontMissing` unless Chinese text comes out inked from both vl-convert and matplotlib.
    Passing once is remembered for the process."""
    global _font_path
    if _font_path:
        return
    path = _find_font()
    if path is None:
        raise _missing("matplotlib 找不到该字体")
    import vl_convert

    vl_convert.register_font_directory(str(Path(path).parent))
    if ink(_matplotlib_sample(path)) < 50:
        raise _missing("matplotlib 绘出的文字为空白")
    if ink(_vegalite_sample(FONT)) < 50:
        raise _missing("vl-convert 绘出的文字为空白")
    _font_path = path


def _font(size: float, bold: bool = False) -> font_manager.FontProperties:
    return font_manager.FontProperties(family=FONT, size=size, weight="bold" if bold else "normal")


# --- shared --------------------------------------------------------------------------------------------

def _png(fig: Figure) -> bytes:
    """A figure's PNG with no software/time metadata, so the same figure gives the same bytes."""
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def source_of(metric: str) -> str:
    """来源:… for one target's figures."""
    return "来源:" + sources_text(metric)


def stamp_lines(snap: dict, source: str) -> str:
    """The line under every picture's title: 数据截至 …, 来源 …, and 演示数据 when it is."""
    parts = [f"数据截至 {snap['as_of_label']}", source]
    if snap.get("demo"):
        parts.append("演示数据")
    return "  ·  ".join(parts)


# --- the map -------------------------------------------------------------------------------------------

class _Projection:
    """Equirectangular with the cos(latitude) correction: one unit is one degree of latitude everywhere."""

    def __init__(self, lat0: float):
        self.k = math.cos(math.radians(lat0))

    def __call__(self, lonlat) -> np.ndarray:
        points = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        return np.column_stack([points[:, 0] * self.k, points[:, 1]])


def _extent(m: dict) -> tuple[float, float, float, float] | None:
    """(lon0, lat0, lon1, lat1) of what the map shows: the chosen county, else every boundary and village."""
    rings = [c["ring"] for c in m["counties"] if c.get("chosen")]
    if not rings:
        rings = [c["ring"] for c in m["counties"]] + [t["ring"] for t in m["townships"]]
    points = [p for ring in rings for p in ring] or [s[:2] for s in m["sites"]]
    if not points:
        return None
    arr = np.asarray(points, dtype=float)
    return arr[:, 0].min(), arr[:, 1].min(), arr[:, 0].max(), arr[:, 1].max()


def _centroid(xy: np.ndarray) -> tuple[float, float]:
    """Area centroid of a ring (mean of its points when degenerate)."""
    x, y = xy[:, 0], xy[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2
    if abs(area) < 1e-12:
        return float(x.mean()), float(y.mean())
    return float(((x + np.roll(x, -1)) * cross).sum() / (6 * area)), float(((y + np.roll(y, -1)) * cross).sum() / (6 * area))


def _nice_km(span_km: float) -> float:
    """A round scale-bar length near a fifth of the map's width."""
    target = span_km / 5
    for step in (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500):
        if step >= target * 0.7:
            return step
    return 1000


def _rgba(colour) -> tuple[float, ...]:
    return tuple(c / 255 for c in colour)


def _draw_areas(ax, m: dict, proj: _Projection, many: bool) -> None:
    towns = m["townships"]
    if towns:
        verts = [proj(t["ring"]) for t in towns]
        faces = [COVERED_FACE if t["covered"] else GAP_FACE for t in towns]
        ax.add_collection(PolyCollection(verts, facecolors=faces, edgecolors="white",
                                         linewidths=0.3 if many else 0.8, zorder=1))
    counties = m["counties"]
    chosen = any(c.get("chosen") for c in counties)
    others = [proj(c["ring"]) for c in counties if chosen and not c.get("chosen")]
    mains = [proj(c["ring"]) for c in counties if not chosen or c.get("chosen")]
    if others:  # the neighbours of a county's own map, for orientation
        ax.add_collection(PolyCollection(others, facecolors=OTHER_COUNTY_FACE, edgecolors=OTHER_COUNTY_EDGE,
                                         linewidths=1.0, zorder=0))
    if mains:
        ax.add_collection(LineCollection(mains, colors=COUNTY_EDGE, linewidths=1.2 if many else 2.0, zorder=4))


def _draw_sites(ax, m: dict, proj: _Projection) -> None:
    sites = m["sites"]
    if not sites:
        return
    xy = proj([s[:2] for s in sites])
    status = np.array([s[2] for s in sites])
    n = len(sites)
    village = float(np.clip(40000 / n, 2.0, 14.0))  # marker area in pt²: smaller when there are many
    site = float(np.clip(village * 5, 14.0, 60.0))
    for rank, name in enumerate(DRAW_ORDER):
        pick = status == name
        if not pick.any():
            continue
        demo = name != NO_SITE
        ax.scatter(xy[pick, 0], xy[pick, 1], s=site if demo else village, c=[_rgba(STATUS_COLORS[name])],
                   edgecolors="white" if demo else "none", linewidths=0.6 if demo else 0, zorder=5 + rank)


def _draw_names(ax, m: dict, proj: _Projection, view: tuple[float, float, float, float]) -> None:
    counties = m["counties"]
    size = 16 if len(counties) <= 20 else 11 if len(counties) <= 60 else 8
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    x0, x1, y0, y1 = view
    named: set[str] = set()
    for c in counties:  # a county of several parts (islands, enclaves) is named once, on its largest (listed first)
        if c["name"] in named:
            continue
        named.add(c["name"])
        cx, cy = _centroid(proj(c["ring"]))
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            chosen = c.get("chosen") or not any(o.get("chosen") for o in counties)
            ax.text(cx, cy, c["name"], ha="center", va="center", fontproperties=_font(size, bold=chosen),
                    color=TEXT if chosen else MUTED, path_effects=halo, zorder=20, clip_on=True)


def _draw_furniture(ax, data: tuple[float, float, float, float], view: tuple[float, float, float, float]) -> None:
    """Scale bar under the map's lower left corner, north arrow right of its upper right corner."""
    x0, y0, x1, y1 = data
    vw, vh = view[1] - view[0], view[3] - view[2]
    km = _nice_km((x1 - x0) * KM_PER_DEGREE)
    length = km / KM_PER_DEGREE
    bx, by = x0, y0 - 0.06 * vh
    ax.plot([bx, bx + length], [by, by], color=TEXT, linewidth=3, solid_capstyle="butt", zorder=30)
    for x in (bx, bx + length):
        ax.plot([x, x], [by, by + 0.012 * vh], color=TEXT, linewidth=1.5, zorder=30)
    ax.text(bx + length / 2, by + 0.018 * vh, f"{km:g} 千米", ha="center", va="bottom",
            fontproperties=_font(14), color=TEXT, zorder=30)
    nx, top = min(x1 + 0.05 * vw, view[1] - 0.02 * vw), y1 - 0.05 * vh
    ax.annotate("", xy=(nx, top), xytext=(nx, top - 0.09 * vh),
                arrowprops={"arrowstyle": "-|>,head_width=0.6,head_length=1.2", "color": TEXT, "linewidth": 2.5},
                zorder=30)
    ax.text(nx, top + 0.01 * vh, "北", ha="center", va="bottom", fontproperties=_font(18, bold=True),
            color=TEXT, zorder=30)


def _legend(fig: Figure, m: dict) -> None:
    counts = m.get("status_counts", {})
    statuses = [*reversed(DEMO_SITE_STATUSES), NO_SITE]
    handles = [Line2D([], [], linestyle="none", marker="o", markersize=13 if s != NO_SITE else 7,
                      markerfacecolor=_rgba(STATUS_COLORS[s]), markeredgecolor="white",
                      label=f"{s}  {counts.get(s, 0)} 个") for s in statuses]
    first = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.745, 0.86), frameon=False,
                       title="村(社区)", prop=_font(17), title_fontproperties=_font(18, bold=True),
                       alignment="left", labelspacing=0.9, handletextpad=0.6)
    fig.add_artist(first)
    total = m.get("township_total", 0)
    covered = m.get("covered", 0)
    fills = [Patch(facecolor=COVERED_FACE, edgecolor="#9ccfac", label=f"有已建成示范点  {covered} 个"),
             Patch(facecolor=GAP_FACE, edgecolor="#e3a0a0", label=f"无已建成示范点  {total - covered} 个"),
             Line2D([], [], color=COUNTY_EDGE, linewidth=2.0, label="县(市、区)界")]
    fig.legend(handles=fills, loc="upper left", bbox_to_anchor=(0.745, 0.50), frameon=False,
               title="乡镇(街道)", prop=_font(17), title_fontproperties=_font(18, bold=True),
               alignment="left", labelspacing=0.9, handlelength=2.2, handleheight=1.2)
    share = f"{100 * covered / total:.1f}%" if total else "—"
    fig.text(0.752, 0.25, f"乡镇示范点覆盖率 {share}\n({covered}/{total} 个乡镇(街道))",
             fontproperties=_font(17), color=TEXT, va="top", linespacing=1.6)
    fig.text(0.752, 0.14, "已建成:示范点状态为“已建成”\n或“已验收命名”", fontproperties=_font(14),
             color=MUTED, va="top", linespacing=1.5)


def _header(fig: Figure, title: str, snap: dict, source: str) -> None:
    fig.text(0.03, 0.952, title, fontproperties=_font(32, bold=True), color=TEXT, va="center")
    fig.text(0.03, 0.905, stamp_lines(snap, source), fontproperties=_font(17), color=MUTED, va="center")


def _view(extent, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) around the projected ``extent`` with the axes' own pixel aspect, so one unit is as
    long across as up; room is left below for the scale bar and on the right for the north arrow."""
    x0, y0, x1, y1 = extent
    span = max(x1 - x0, y1 - y0, 0.01)
    x0, x1, y0, y1 = x0 - 0.03 * span, x1 + 0.10 * span, y0 - 0.10 * span, y1 + 0.03 * span
    want = (box[2] * WIDTH) / (box[3] * HEIGHT)  # width / height of the axes in pixels
    w, h = x1 - x0, y1 - y0
    if w / h < want:
        grow = (h * want - w) / 2
        return x0 - grow, x1 + grow, y0, y1
    grow = (w / want - h) / 2
    return x0, x1, y0 - grow, y1 + grow


MAP_BOX = (0.02, 0.03, 0.71, 0.83)


def map_png(snap: dict) -> bytes:
    """The month's demo-site map as a 1920×1080 PNG: township coverage fills, county outlines and names,
    villages coloured by status, legend with counts, scale bar, north arrow and the title stamp."""
    font_check()
    m = snap["map"]
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="white")
    _header(fig, f"{snap['where']}示范点分布图", snap, SOURCE_MAP)
    ax = fig.add_axes(MAP_BOX)
    ax.set_axis_off()
    extent = _extent(m)
    if extent is None:
        ax.text(0.5, 0.5, "暂无乡镇边界与村点位数据", transform=ax.transAxes, ha="center", va="center",
                fontproperties=_font(24), color=MUTED)
    else:
        lon0, lat0, lon1, lat1 = extent
        proj = _Projection((lat0 + lat1) / 2)
        (x0, y0), (x1, y1) = proj([[lon0, lat0], [lon1, lat1]])
        view = _view((x0, y0, x1, y1), MAP_BOX)
        many = len(m["sites"]) > 3000 or len(m["townships"]) > 300
        _draw_areas(ax, m, proj, many)
        _draw_sites(ax, m, proj)
        ax.set_xlim(view[0], view[1])
        ax.set_ylim(view[2], view[3])
        _draw_names(ax, m, proj, view)
        _draw_furniture(ax, (x0, y0, x1, y1), view)
    _legend(fig, m)
    return _png(fig)


# --- charts (Vega-Lite through vl-convert) --------------------------------------------------------------

def _exact(png: bytes) -> bytes:
    """The PNG at exactly 1920×1080: padded with white or cropped at the right/bottom when a renderer
    is a few pixels off (deterministic either way)."""
    image = Image.open(io.BytesIO(png))
    if image.size == (WIDTH, HEIGHT):
        return png
    canvas = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas.paste(image.convert("RGB").crop((0, 0, min(image.width, WIDTH), min(image.height, HEIGHT))), (0, 0))
    out = io.BytesIO()
    canvas.save(out, format="png")
    return out.getvalue()


def chart_png(spec: dict) -> bytes:
    """A Vega-Lite spec as a 1920×1080 PNG: laid out to fit 960×540 (padding included) and drawn at 2×."""
    import vl_convert

    font_check()
    spec = {**spec, "width": WIDTH // SCALE, "height": HEIGHT // SCALE,
            "autosize": {"type": "fit", "contains": "padding"}}
    return _exact(vl_convert.vegalite_to_png(spec, scale=SCALE))


def _picture_spec(chart, title: str, snap: dict, source: str) -> dict:
    """An Altair chart's spec with the picture's title, stamp and type sizes for a 16:9 slide."""
    spec = chart.to_dict()
    spec["title"] = {"text": title, "subtitle": stamp_lines(snap, source), "fontSize": 22, "subtitleFontSize": 13,
                     "subtitleColor": MUTED, "color": TEXT, "font": FONT, "subtitleFont": FONT, "anchor": "start",
                     "offset": 14, "subtitlePadding": 6}
    spec["padding"] = {"left": 24, "right": 36, "top": 20, "bottom": 14}
    config = spec.setdefault("config", {})
    config.setdefault("axis", {}).update(labelFontSize=13, titleFontSize=13)
    config.setdefault("legend", {}).update(labelFontSize=14, titleFontSize=13, symbolSize=220)
    return spec


def ladder_spec(snap: dict, target: dict) -> dict:
    """One target's monthly actual against its straight milestone path, as a picture spec."""
    series = report.frame(target["series"])
    frame = pd.DataFrame({"period": series["月份"], "actual": pd.to_numeric(series["实际(%)"]),
                          "expected": pd.to_numeric(series["应达(%)"])})
    milestones = [Milestone(date.fromisoformat(m["deadline"]), float(m["value"])) for m in target["milestones"]]
    chart = charts.milestone_ladder(frame, milestones, target["label"])
    return _picture_spec(chart, f"{snap['where']}{target['label']}进度", snap, source_of(target["metric"]))


def ranking_bars(target: dict) -> pd.DataFrame:
    """A target's county table as :func:`charts.county_bars` rows, highest first, ties by name, 未报送 last."""
    counties = report.frame(target["counties"])
    noun = target["noun"]
    actual = pd.to_numeric(counties["实际(%)"])
    labels = [f"{a:.1f}%({c}/{t})" if pd.notna(a) else "未报送"
              for a, c, t in zip(actual, counties[f"达标{noun}"], counties[f"{noun}总数"])]
    bars = pd.DataFrame({"县(市、区)": counties["县(市、区)"], "实际(%)": actual, "灯": counties["灯"], "标签": labels,
                         LABEL_AT: actual.fillna(0)})
    return (bars.assign(_a=actual.fillna(-1)).sort_values(["_a", "县(市、区)"], ascending=[False, True])
            .drop(columns="_a").reset_index(drop=True))


def ranking_pages(target: dict) -> int:
    """How many pictures the ranking takes at ``RANKING_PAGE`` counties each (province-sized maps)."""
    return max(1, math.ceil(len(target["counties"]["rows"]) / RANKING_PAGE))


def ranking_spec(snap: dict, target: dict, page: int = 0) -> dict:
    """Counties' coverage as bars coloured by lamp, with the month's expected value as a dashed rule;
    ``page`` of :func:`ranking_pages` when there are more counties than fit one picture."""
    bars = ranking_bars(target).iloc[page * RANKING_PAGE:(page + 1) * RANKING_PAGE]
    pages = ranking_pages(target)
    part = f"(第 {page + 1}/{pages} 页)" if pages > 1 else ""
    spec = _picture_spec(charts.county_bars(bars, target["label"]),
                         f"{snap['where']}各县(市、区){target['label']}排名{part}", snap, source_of(target["metric"]))
    for layer in spec["layer"]:  # charts.county_bars keeps the order of ``bars``
        mark = layer.get("mark")
        if (mark.get("type") if isinstance(mark, dict) else mark) == "text":  # 未报送: no bar, written at 0
            layer["encoding"]["x"]["field"] = LABEL_AT
    if target.get("expected") is not None:
        expected = float(target["expected"])
        at = {"datum": expected, "type": "quantitative"}
        spec["layer"].append({"mark": {"type": "rule", "color": charts.EXPECTED, "strokeDash": [6, 4], "strokeWidth": 2},
                              "encoding": {"x": at}})
        spec["layer"].append({"mark": {"type": "text", "color": charts.EXPECTED, "align": "left", "dx": 4, "dy": -6,
                                       "fontSize": 12, "baseline": "bottom"},
                              "encoding": {"x": at, "y": {"value": 0}, "text": {"value": f"本月应达 {expected:g}%"}}})
    return spec


def titles(snap: dict) -> list[str]:
    """The short Chinese titles of :func:`build_all`'s pictures, in order (also the file name endings)."""
    return [title for title, _ in _plan(snap)]


def _plan(snap: dict) -> list[tuple[str, Callable[[], bytes]]]:
    out: list[tuple[str, Callable[[], bytes]]] = []
    for target in snap["targets"]:
        out.append((f"{target['label']}_进度", lambda t=target: chart_png(ladder_spec(snap, t))))
    ranked = ranked_target(snap)
    if ranked is not None and snap.get("county") is None:  # a county's own export has no one to rank against
        pages = ranking_pages(ranked)
        for page in range(pages):
            title = f"县区排名_{page + 1}" if pages > 1 else "县区排名"
            out.append((title, lambda p=page: chart_png(ranking_spec(snap, ranked, p))))
    out.append(("示范点分布图", lambda: map_png(snap)))
    return out


def build_all(snap: dict, progress: Progress | None = None) -> list[tuple[str, bytes]]:
    """Every picture of the month: [(short Chinese title, 1920×1080 PNG)] — each target's progress
    ladder, the county ranking (city exports only) and the demo-site map."""
    font_check()
    plan = _plan(snap)
    out = []
    for i, (title, draw) in enumerate(plan):
        if progress:
            progress(i / len(plan), f"正在生成图片:{title.replace('_', ' ')}({i + 1}/{len(plan)})")
        png = draw()
        if ink(png, TITLE_BAND) < 500:
            raise _missing(f"图片「{title}」的标题为空白")
        out.append((title, png))
    if progress:
        progress(1.0, f"已生成图片 {len(out)} 张")
    return out
