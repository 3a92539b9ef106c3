"""示范点地图: pure builders from plain frames to a pydeck map (no Streamlit here).

Offline by default: the deck has ``map_provider=None`` and no ``map_style``, so the browser asks no
host but the app for anything, and the map is drawn from the store's own boundaries.

Optional basemap: an XYZ raster tile template in Web Mercator with WGS-84/CGCS2000 coordinates, e.g.
a self-hosted server ``http://tiles.intranet/{z}/{x}/{y}.png`` or 天地图
``http://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=密钥``
(GCJ-02/BD-09 tiles such as 高德/百度 would sit hundreds of metres off the villages). It is read from
env ``QINGLIAN_TILE_URL``, else ``[map] tile_url`` in ``.streamlit/secrets.toml``; empty means off.
The browser then fetches tiles from that server, and from nowhere else.

Tooltips use deck.gl's *text* mode: names and brands from uploads are set as text, never as HTML.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from urllib.parse import quote

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from dashboard import coverage
from dashboard.metrics import LAMP_LABELS
from dashboard.settings import BUILT_STATUSES, DEMO_SITE_STATUSES

NO_SITE = "非示范点"
STATUS_OPTIONS = (*DEMO_SITE_STATUSES, NO_SITE)

# Village dot colours (RGBA): exactly the light theme's Markdown colours, so the legend's
# ":green[●]" etc. beside the map shows the very colour of the dots.
LEGEND_COLORS = {"已验收命名": "green", "已建成": "blue", "创建中": "orange", "计划创建": "violet", NO_SITE: "gray"}
STATUS_COLORS = {
    "已验收命名": (12, 90, 68, 255),  # #0C5A44
    "已建成": (36, 79, 180, 255),  # #244FB4
    "创建中": (155, 69, 25, 255),  # #9B4519
    "计划创建": (111, 51, 184, 255),  # #6F33B8
    NO_SITE: (104, 98, 85, 200),  # #686255
}
# Dots are sized in metres, so they grow as one zooms in, within (min, max) pixels: demo sites
# ~5 px over a city and never below 3.5, other villages ~1.5 px over a city, up to 5 close up.
SITE_DOT = {"radius": 1000, "min_pixels": 3.5, "max_pixels": 8}
VILLAGE_DOT = {"radius": 300, "min_pixels": 1, "max_pixels": 5}
COVERED_FILL = (33, 195, 84, 45)
GAP_FILL = (255, 75, 75, 55)
TOWNSHIP_LINE = (255, 255, 255, 200)
COUNTY_LINE = (49, 51, 63, 230)
CJK_FONTS = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"  # installed, never fetched
TOOLTIP_STYLE = {
    "backgroundColor": "#ffffff", "color": "#31333f", "fontSize": "14px", "lineHeight": "1.5", "fontFamily": CJK_FONTS,
    "border": "1px solid #d0d3da", "borderRadius": "4px", "padding": "6px 10px",
}
TOOLTIP = {"text": "{提示}", "style": TOOLTIP_STYLE}  # text mode: values are never parsed as HTML
LABEL_SIZE = {"metres": 4500, "min_pixels": 12, "max_pixels": 16}  # county names
PIXELS = pdk.types.String("pixels")  # a bare string would become a deck.gl expression
VIEW_SIZE = (1080, 680)  # the map's pixel size at 1920×1080 in the page's 3:1 columns
# Above this many villages the township borders are left out: they cost as much to draw as all the
# dots, and where the GPU is emulated (virtual desktops) the province map otherwise pans at about
# 1 frame a second. At that scale they cannot be made out anyway.
DETAIL_LIMIT = 3000


def site_status(ledger: pd.DataFrame) -> pd.DataFrame:
    """One row per village of ``ledger``: a village listed twice keeps its most advanced status."""
    rank = {s: i for i, s in enumerate(DEMO_SITE_STATUSES)}
    return (ledger.assign(_rank=ledger["status"].map(rank).fillna(-1))
            .sort_values("_rank", kind="stable").drop_duplicates("village_code", keep="last").drop(columns="_rank"))


# Above this many villages the whole map shows counties, each filled by the lamp of its township coverage, and
# a chosen county its villages: 490,000 dots and 37,000 townships are neither readable nor quick to send.
COUNTY_LEVEL = 20_000
LAMP_FILL = {"green": (46, 125, 50, 150), "yellow": (249, 168, 37, 170), "red": (198, 40, 40, 150),
             None: (160, 160, 160, 90)}  # the ranking chart's lamp colours; grey: 未报送
LAMP_LEGEND = (("green", "绿灯"), ("yellow", "黄灯"), ("red", "红灯"), ("gray", "未报送"))


def county_layers(counties: pd.DataFrame, table: pd.DataFrame) -> dict:
    """Layers of the whole map of a large store: ``counties`` (polygon, color, 提示) — every county with a
    boundary, filled by its lamp in ``table`` (:func:`dashboard.targets.county_table` of 乡镇示范点覆盖率) —
    and ``bounds``."""
    rows = counties.merge(table, how="left", left_on="code", right_on="county_code")
    lamps = rows["lamp"].where(rows["lamp"].notna(), None)
    share = rows["actual"].map(lambda v: "未报送" if v is None or pd.isna(v) else f"{v:g}%")
    tips = [f"县(市、区):{name}\n乡镇示范点覆盖率:{pct}"
            + ("" if pd.isna(n) else f"(已覆盖 {int(n):,}/{int(t):,} 个乡镇)") + f"\n亮灯:{LAMP_LABELS.get(lamp, '未报送')}"
            for name, pct, n, t, lamp in zip(rows["name"], share, rows["count"], rows["total"], lamps)]
    polygons = pd.DataFrame({"polygon": rows["boundary"].map(_ring),
                             "color": lamps.map(lambda c: list(LAMP_FILL.get(c, LAMP_FILL[None]))), "提示": tips})
    return {"counties": polygons, "bounds": _bounds(pd.DataFrame({"lon": [], "lat": []}), polygons)}


def build_county_deck(layers: dict, tile: str | None = None, size: tuple[int, int] = VIEW_SIZE) -> pdk.Deck:
    """The whole map of a large store: counties filled by lamp, thin outlines, text tooltips."""
    polygons = pdk.Layer("PolygonLayer", id="counties", data=layers["counties"].to_dict("records"),
                         get_polygon="polygon", get_fill_color="color", get_line_color=list(TOWNSHIP_LINE),
                         line_width_min_pixels=1, stroked=True, filled=True, pickable=True, auto_highlight=True,
                         highlight_color=[255, 255, 255, 80])
    view = fit_view(layers["bounds"], size)
    if tile:
        return CompactDeck(layers=[polygons], initial_view_state=view, tooltip=TOOLTIP, map_provider="mapbox",
                           map_style=basemap_style(tile))
    return CompactDeck(layers=[polygons], initial_view_state=view, tooltip=TOOLTIP, map_provider=None)


def village_sites(villages: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """Every village with its demo-site status (``非示范点`` without one), level and brand.

    ``ledger`` is the ledger in effect (:func:`dashboard.facts.ledger_in_effect`); a village listed twice keeps
    its most advanced status. ``township_covered``: its township has a built site (:func:`coverage.covered_townships`).
    """
    sites = site_status(ledger)[["village_code", "status", "level", "brand"]]
    out = villages.merge(sites, how="left", left_on="code", right_on="village_code").drop(columns="village_code")
    out["status"] = out["status"].fillna(NO_SITE)
    out["township_covered"] = out["township_code"].isin(coverage.covered_townships(ledger))
    return out


def covered_townships(sites: pd.DataFrame) -> set[str]:
    """The covered townships among those of ``sites`` (:func:`village_sites`)."""
    return set(sites.loc[sites["township_covered"], "township_code"])


def gap_townships(townships: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """The named list of townships without a built site in ``ledger`` (:func:`dashboard.facts.ledger_in_effect`):
    县(市、区), 乡镇(街道), 区划代码, 在建或计划示范点."""
    covered = coverage.covered_townships(ledger)
    sites = site_status(ledger)
    pending = (sites[sites["status"].isin(set(DEMO_SITE_STATUSES) - set(BUILT_STATUSES))]
               .groupby("township_code").size())
    gaps = townships[~townships["township_code"].isin(covered)]
    return pd.DataFrame({
        "县(市、区)": gaps["county"], "乡镇(街道)": gaps["township"], "区划代码": gaps["township_code"],
        "在建或计划示范点": gaps["township_code"].map(pending).fillna(0).astype(int),
    }).reset_index(drop=True)


def status_counts(sites: pd.DataFrame, villages: int | None = None) -> dict[str, int]:
    """Villages per status, every status present (zero when none), in legend order. ``sites``: one row per
    village (:func:`village_sites`), or only those with a site (:func:`site_status`) and the number of
    ``villages`` in all."""
    counts = sites["status"].value_counts()
    out = {s: int(counts.get(s, 0)) for s in STATUS_OPTIONS}
    if villages is not None:
        out[NO_SITE] = max(0, villages - sum(n for s, n in out.items() if s != NO_SITE))
    return out


@lru_cache(maxsize=8192)
def _ring(geojson: str) -> list:
    # boundaries do not change between reruns; parsing 1,300 of them costs ~0.1 s (shared, never mutated)
    return json.loads(geojson)["coordinates"][0]


def _village_tips(sites: pd.DataFrame) -> pd.Series:
    """村, 乡镇, 状态 for every village; 级别 and 品牌 too where it has a site."""
    tips = ("村(社区):" + sites["name"] + "\n乡镇(街道):" + sites["township"] + "(" + sites["county"]
            + ")\n示范点状态:" + sites["status"])
    dash = lambda col: sites[col].fillna("").astype(str).replace("", "—")  # noqa: E731
    return tips.where(sites["status"].eq(NO_SITE), tips + "\n级别:" + dash("level") + "\n品牌:" + dash("brand"))


def map_layers(sites: pd.DataFrame, townships: pd.DataFrame, counties: pd.DataFrame,
               statuses=STATUS_OPTIONS, county: str | None = None) -> dict:
    """Lean layer data: ``sites`` (lon, lat, color, 提示) — villages with a demo site —, ``villages``
    (lon, lat, 提示) — the others —, ``townships`` (polygon, covered, color, 提示), ``counties``
    (polygon, width), ``labels`` (position, name) and ``bounds`` (west, south, east, north).

    ``sites`` is :func:`village_sites`, ``townships``/``counties`` the store's boundaries
    (:func:`facts.boundaries`); ``statuses`` filters the dots, ``county`` everything but the county
    outlines, which stay as context with the chosen one drawn thicker.
    """
    if county:
        sites = sites[sites["county_code"] == county]
        townships = townships[townships["county_code"] == county]
    covered = covered_townships(sites)
    shown = sites[sites["status"].isin(list(statuses))].dropna(subset=["lon", "lat"])
    dots = pd.DataFrame({"lon": shown["lon"].round(5), "lat": shown["lat"].round(5),
                         "color": shown["status"].map({s: list(c) for s, c in STATUS_COLORS.items()}),
                         "提示": _village_tips(shown)})
    plain = shown["status"].eq(NO_SITE)
    county_names = dict(zip(counties["code"], counties["name"]))
    is_covered = townships["code"].isin(covered)
    towns = pd.DataFrame({
        "polygon": townships["boundary"].map(_ring),
        "covered": is_covered,
        "color": is_covered.map(lambda c: list(COVERED_FILL if c else GAP_FILL)),
        "提示": [f"乡镇(街道):{name}({county_names.get(cc, '')})\n"
               + ("已覆盖:有已建成或已验收命名的示范点" if c else "未覆盖:尚无已建成或已验收命名的示范点")
               for name, cc, c in zip(townships["name"], townships["county_code"], is_covered)],
    }).reset_index(drop=True)
    rings = counties["boundary"].map(_ring)
    outlines = pd.DataFrame({
        "polygon": rings,
        "width": (counties["code"] == county).map({True: 4, False: 2}) if county else 2,
    }).reset_index(drop=True)
    first = ~counties["code"].duplicated()  # a county of several parts is named once, on its largest
    labels = pd.DataFrame({"position": rings[first].map(_centroid), "name": counties["name"][first]}
                          ).reset_index(drop=True)
    return {"sites": dots[~plain].reset_index(drop=True),
            "villages": dots[plain].drop(columns="color").reset_index(drop=True),
            "townships": towns, "counties": outlines, "labels": labels, "bounds": _bounds(dots, towns)}


def missing_layers(townships: pd.DataFrame, counties: pd.DataFrame) -> str | None:
    """What the map says when a boundary layer is not in the store (it then shows the village dots only), or
    None when both are there. ``townships``/``counties``: :func:`dashboard.facts.boundaries`."""
    missing = [name for name, frame in (("乡镇(街道)边界", townships), ("县(市、区)边界", counties)) if frame.empty]
    if not missing:
        return None
    shown = "村点" if len(missing) == 2 else "村点和" + ("县(市、区)界" if townships.empty else "乡镇底色")
    return (f"尚未导入{'和'.join(missing)},地图只显示{shown};"
            "请管理员在「数据上报」页的「行政区划边界」中导入边界(GeoJSON 或 shapefile 压缩包)。")


def _centroid(ring: list) -> list[float]:
    """Area centroid of a simple polygon ring (where a county's name is written)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        cross = x0 * y1 - x1 * y0
        a, cx, cy = a + cross, cx + (x0 + x1) * cross, cy + (y0 + y1) * cross
    if abs(a) < 1e-12:
        return [round(sum(p[0] for p in ring) / len(ring), 5), round(sum(p[1] for p in ring) / len(ring), 5)]
    return [round(cx / (3 * a), 5), round(cy / (3 * a), 5)]


def _bounds(dots: pd.DataFrame, towns: pd.DataFrame) -> tuple[float, float, float, float] | None:
    lons = [p[0] for ring in towns["polygon"] for p in ring] + dots["lon"].tolist()
    lats = [p[1] for ring in towns["polygon"] for p in ring] + dots["lat"].tolist()
    return (min(lons), min(lats), max(lons), max(lats)) if lons else None


def fit_view(bounds, size: tuple[int, int] = VIEW_SIZE, padding: float = 0.06) -> pdk.ViewState:
    """A view state showing ``bounds`` (west, south, east, north) whole in a ``size`` pixel map."""
    if bounds is None:
        return pdk.ViewState(longitude=110.0, latitude=30.0, zoom=3.5)
    west, south, east, north = bounds  # deck.gl's zoom 0 shows the world 512 px wide
    merc = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))  # noqa: E731
    width, height = (s * (1 - 2 * padding) for s in size)
    zoom_x = math.log2(width * 360 / (512 * max(east - west, 1e-6)))
    zoom_y = math.log2(height * 2 * math.pi / (512 * max(merc(north) - merc(south), 1e-6)))
    mid_lat = math.degrees(2 * math.atan(math.exp((merc(north) + merc(south)) / 2)) - math.pi / 2)
    return pdk.ViewState(longitude=round((west + east) / 2, 5), latitude=round(mid_lat, 5),
                         zoom=round(min(zoom_x, zoom_y, 16), 2), min_zoom=3, max_zoom=16, pitch=0, bearing=0)


def basemap_style(url: str) -> str:
    """A Mapbox-GL style with one raster source, the XYZ template ``url``, as a ``data:`` URL.

    deck.gl's JSON form cannot express a TileLayer (its ``renderSubLayers`` is a function), and a
    style file would need a host; inline, the browser asks nothing of anyone but the tile server.
    """
    style = {"version": 8,
             "sources": {"basemap": {"type": "raster", "tiles": [url], "tileSize": 256, "maxzoom": 18}},
             "layers": [{"id": "basemap", "type": "raster", "source": "basemap"}]}
    return "data:application/json;charset=utf-8," + quote(json.dumps(style, separators=(",", ":")))


class CompactDeck(pdk.Deck):
    """A Deck serialised as compact UTF-8 JSON: pydeck's own ``to_json`` indents and escapes every
    Chinese character, which makes the spec of 15,000 villages about three times larger.
    :meth:`from_spec` wraps a spec built earlier, so a page can cache the JSON rather than the layers."""

    _spec: str | None = None

    def to_json(self) -> str:
        if self._spec is not None:
            return self._spec
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"),
                          ensure_ascii=False)

    @classmethod
    def from_spec(cls, spec: str) -> "CompactDeck":
        deck = cls(map_provider=None, tooltip=TOOLTIP)
        deck._spec = spec
        return deck


def _dots(layer_id: str, data: list, size: dict, **style) -> pdk.Layer:
    return pdk.Layer("ScatterplotLayer", id=layer_id, data=data, get_position=["lon", "lat"],
                     get_radius=size["radius"], radius_min_pixels=size["min_pixels"],
                     radius_max_pixels=size["max_pixels"], pickable=True, auto_highlight=True,
                     highlight_color=[255, 215, 0, 255], **style)


def build_deck(layers: dict, tile: str | None = None, size: tuple[int, int] = VIEW_SIZE) -> pdk.Deck:
    """The map: township fills, county outlines, village and site dots, county names, text tooltips;
    a basemap only with ``tile``."""
    records = {key: layers[key].to_dict("records")
               for key in ("townships", "counties", "villages", "sites", "labels")}
    detailed = len(records["villages"]) + len(records["sites"]) <= DETAIL_LIMIT
    deck_layers = [
        pdk.Layer("PolygonLayer", id="townships", data=records["townships"], get_polygon="polygon",
                  get_fill_color="color", get_line_color=list(TOWNSHIP_LINE), line_width_min_pixels=1,
                  stroked=detailed, filled=True, pickable=True, auto_highlight=True,
                  highlight_color=[255, 255, 255, 60]),
        pdk.Layer("PolygonLayer", id="counties", data=records["counties"], get_polygon="polygon",
                  get_line_color=list(COUNTY_LINE), get_line_width="width", line_width_units=PIXELS,
                  stroked=True, filled=False, pickable=False),
        _dots("villages", records["villages"], VILLAGE_DOT, get_fill_color=list(STATUS_COLORS[NO_SITE])),
        _dots("sites", records["sites"], SITE_DOT, get_fill_color="color", stroked=True,
              get_line_color=[255, 255, 255, 230], line_width_min_pixels=1),
        # county names from local fonts ("auto": the glyph atlas holds just the names' characters),
        # sized in metres so they are smaller over a province than over a city
        pdk.Layer("TextLayer", id="labels", data=records["labels"], get_position="position", get_text="name",
                  get_size=LABEL_SIZE["metres"], size_units=pdk.types.String("meters"),
                  size_min_pixels=LABEL_SIZE["min_pixels"], size_max_pixels=LABEL_SIZE["max_pixels"],
                  get_color=list(COUNTY_LINE), font_family=pdk.types.String(CJK_FONTS),
                  character_set=pdk.types.String("auto"), font_weight=600, background=True,
                  get_background_color=[255, 255, 255, 170], background_padding=[3, 1], pickable=False),
    ]
    view = fit_view(layers["bounds"], size)
    if tile:
        return CompactDeck(layers=deck_layers, initial_view_state=view, tooltip=TOOLTIP,
                           map_provider="mapbox", map_style=basemap_style(tile))
    return CompactDeck(layers=deck_layers, initial_view_state=view, tooltip=TOOLTIP, map_provider=None)
