"""行政区划边界: a GeoJSON file (or a zipped shapefile) read into checked WGS-84 polygons, one per feature.

Whole-file problems raise :class:`IntakeError`; a feature that cannot be used becomes an :class:`Issue` naming it
(its number in the file, its name and code) and what is wrong with it. Coordinates must be longitude/latitude
(projected metres are refused); GCJ-02 and BD-09 are converted with the roster's own functions. A
self-intersecting polygon is repaired when the repair keeps its area, else refused. Runs in the parse sandbox.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from loaders.cells import decode_text, norm_text
from loaders.errors import IntakeError, Issue
from loaders.refusals import REFUSALS
from loaders.roster import TO_WGS84

MAX_FEATURES = 20_000
MAX_VERTICES = 2_000_000  # GCJ-02 is converted point by point (~9 µs each): 2 million stay within the sandbox time
DEFAULT_MAX_MB = 50  # ``max_boundary_mb`` of [limits] in data/intake.toml
REPAIR_AREA_CHANGE = 0.01  # a repair may change the area by at most 1 %, else the polygon is refused
CODE_KEYS = ("区划代码", "统计用区划代码", "行政区划代码", "adcode", "code", "XZQDM", "QHDM")
NAME_KEYS = ("名称", "name", "XZQMC", "QHMC", "乡镇名称", "乡镇", "村镇名称")
COUNTY_KEYS = ("所属县", "县(市、区)", "县区", "县名称", "county")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
FIX_HINT = "请在 GIS 软件中修正(如 QGIS 的“修复几何图形”)后重新上传"


@dataclass
class Feature:
    """One usable feature: its 1-based number in the file, its code, name and county properties (as text,
    '' when absent) and its full geometry in WGS-84 (valid, a Polygon or MultiPolygon)."""

    number: int
    code: str
    name: str
    county: str
    geometry: BaseGeometry

    @property
    def label(self) -> str:
        return feature_label(self.number, self.name, self.code)


def feature_label(number: int, name: str, code: str) -> str:
    """第3个要素(名称「城关镇」,代码「330102001」) — how every message names a feature."""
    facts = [f"名称「{name}」" if name else "", f"代码「{code}」" if code else ""]
    inner = ",".join(f for f in facts if f)
    return f"第{number}个要素" + (f"({inner})" if inner else "")


class _Bad(Exception):
    """A feature that cannot be used; the message says why (the feature is named by the caller)."""


def max_mb(lim: dict) -> int:
    return int(lim.get("max_boundary_mb", DEFAULT_MAX_MB))


def read(data: bytes, file_name: str, crs: str, lim: dict) -> tuple[list[Feature], list[Issue], list[Issue]]:
    """(features, errors, warnings) of a GeoJSON or zipped-shapefile file; raises :class:`IntakeError` when
    the file as a whole cannot be read."""
    if crs not in TO_WGS84:
        raise IntakeError(f"坐标系「{crs}」不支持,请选择 {'、'.join(TO_WGS84)} 之一")
    if not data:
        raise IntakeError(REFUSALS["empty"]())
    if len(data) > max_mb(lim) << 20:
        raise IntakeError(f"边界文件超过 {max_mb(lim)} MB 上限。请只保留本市的县(市、区)或乡镇(街道),"
                          "或在 GIS 软件中适当简化后重新上传")
    raw = _shapefile(data, lim) if data.startswith(b"PK") else _geojson(data, file_name)
    features, errors, warnings = [], [], []
    vertices = 0
    for number, (props, geometry) in enumerate(raw, 1):
        if number > MAX_FEATURES:
            raise IntakeError(f"文件中的要素超过 {MAX_FEATURES:,} 个。请只保留本市的县(市、区)或乡镇(街道)边界")
        code, name, county = _text(props, CODE_KEYS), _text(props, NAME_KEYS), _county(props)
        try:
            rings = _polygons(geometry)
            vertices += sum(len(ring) for polygon in rings for ring in polygon)
            if vertices > MAX_VERTICES:
                raise IntakeError(f"文件中的坐标点超过 {MAX_VERTICES:,} 个。请在 GIS 软件中适当简化边界后重新上传")
            shape, note = _valid(_shape(rings, TO_WGS84[crs] if crs != "WGS-84" else None))
        except shapely.errors.GEOSException:
            errors.append(Issue(None, None, None, None, f"{feature_label(number, name, code)}:边界图形无法解析。{FIX_HINT}"))
            continue
        except _Bad as exc:
            errors.append(Issue(None, None, None, None, f"{feature_label(number, name, code)}:{exc}"))
            continue
        if note:
            warnings.append(Issue(None, None, None, None, f"{feature_label(number, name, code)}:{note}"))
        features.append(Feature(number, code, name, county, shape))
    if not features and not errors:
        raise IntakeError("文件中没有任何要素(features 为空)。请确认导出的是县(市、区)或乡镇(街道)的面图层")
    return features, errors, warnings


def _geojson(data: bytes, file_name: str) -> list[tuple[dict, object]]:
    text = decode_text(data)
    if text is None:
        raise IntakeError(f"「{file_name}」不是 GeoJSON 文本文件(无法按 UTF-8 或 GBK 读取)。请上传 .geojson 或 .json 文件")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IntakeError(f"「{file_name}」不是有效的 GeoJSON:第{exc.lineno}行第{exc.colno}列附近 JSON 格式有误。"
                          "请用 GIS 软件重新导出为 GeoJSON") from None
    except RecursionError:
        raise IntakeError(f"「{file_name}」不是有效的 GeoJSON:括号嵌套过深。请用 GIS 软件重新导出为 GeoJSON") from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "Feature":
        items = [doc]
    elif kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        items = doc["features"]
    elif kind == "Topology":
        raise IntakeError("这是 TopoJSON 文件,系统只接受 GeoJSON。请用 GIS 软件或 mapshaper 转换为 GeoJSON 后上传")
    else:
        raise IntakeError("文件不是 GeoJSON 要素集合:最外层应为 {\"type\": \"FeatureCollection\", \"features\": [...]}。"
                          "请确认导出的是带属性的面要素(县或乡镇边界)")
    out = []
    for item in items:
        if not isinstance(item, dict):
            out.append(({}, "not a feature"))
            continue
        props = item.get("properties")
        out.append((props if isinstance(props, dict) else {}, item.get("geometry")))
    return out


def _text(props: dict, keys: tuple[str, ...]) -> str:
    """The first of ``keys`` (any letter case) that the properties hold, as clean text of at most 60 characters."""
    lowered = {str(k).lower(): v for k, v in props.items()} if props else {}
    for key in keys:
        value = props.get(key, lowered.get(key.lower()))
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            continue
        text = norm_text(value)[:60]
        if text:
            return text
    return ""


def _county(props: dict) -> str:
    """The county a feature says it lies in: its DataV ``parent`` adcode, else a county-name property."""
    parent = props.get("parent")
    if isinstance(parent, dict) and isinstance(parent.get("adcode"), (int, str)):
        return norm_text(parent["adcode"])[:12]
    return _text(props, COUNTY_KEYS)


def _polygons(geometry) -> list[list[list[tuple[float, float]]]]:
    """The polygons (each a list of closed rings of lon/lat points) of a Polygon or MultiPolygon geometry."""
    if not isinstance(geometry, dict):
        raise _Bad("没有几何图形(geometry 为空或不是对象)" if geometry != "not a feature" else "不是 GeoJSON 要素(Feature)")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        return [_rings(coords)]
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise _Bad("MultiPolygon 的坐标(coordinates)应为多边形数组")
        return [_rings(polygon) for polygon in coords]
    raise _Bad(f"几何类型为「{norm_text(kind)[:30] or '空'}」,边界只接受 Polygon 或 MultiPolygon(面)")


def _rings(coords) -> list[list[tuple[float, float]]]:
    if not isinstance(coords, list) or not coords:
        raise _Bad("坐标(coordinates)应为由环组成的数组")
    rings = []
    for ring in coords:
        if not isinstance(ring, (list, tuple)):
            raise _Bad("坐标(coordinates)中的环应为坐标点数组")
        points = []
        for pos in ring:
            if (not isinstance(pos, (list, tuple)) or len(pos) < 2
                    or not all(type(v) in (int, float) and math.isfinite(v) for v in pos[:2])):
                raise _Bad(f"坐标点应为 [经度, 纬度] 两个数字,实际为「{norm_text(json.dumps(pos, default=str))[:40]}」")
            x, y = pos[0], pos[1]
            if not (-180 <= x <= 180 and -90 <= y <= 90):
                raise _Bad(f"坐标 ({x:g}, {y:g}) 不是经纬度(经度应在 -180~180、纬度在 -90~90 之间),可能是投影坐标(单位为米)。"
                           "请在 GIS 软件中导出为经纬度(WGS-84 或 GCJ-02)后重新上传")
            points.append((float(x), float(y)))
        if points and points[0] != points[-1]:
            points.append(points[0])
        if len(points) < 4:
            raise _Bad("有一个环的坐标点少于 3 个,不能构成多边形")
        rings.append(points)
    return rings


def _shape(polygons: list, convert) -> BaseGeometry:
    if convert is not None:
        polygons = [[[convert(x, y) for x, y in ring] for ring in rings] for rings in polygons]
    parts = [shapely.Polygon(rings[0], rings[1:]) for rings in polygons]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


_WHERE = re.compile(r"\[\s*(-?[\d.]+)\s+(-?[\d.]+)")


def _valid(shape: BaseGeometry) -> tuple[BaseGeometry, str | None]:
    """The shape, repaired when invalid and the repair keeps its area (with a note saying so), else :class:`_Bad`."""
    if shape.is_valid:
        return shape, None
    reason = shapely.is_valid_reason(shape)
    found = _WHERE.search(reason)
    where = f"(在 {float(found[1]):.5f}, {float(found[2]):.5f} 附近)" if found else ""
    what = "边界自相交" if "intersection" in reason.lower() else "边界图形无效"
    fixed = shapely.make_valid(shape)
    if fixed.geom_type == "GeometryCollection":
        fixed = shapely.union_all([g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    change = abs(fixed.area - shape.area) / fixed.area if fixed.area > 0 else 1.0
    if fixed.is_empty or fixed.geom_type not in ("Polygon", "MultiPolygon") or change > REPAIR_AREA_CHANGE:
        raise _Bad(f"{what}{where},自动修复会使面积改变 {min(change, 1):.0%},无法可靠修复。{FIX_HINT}")
    return fixed, f"{what}{where},已自动修复(修复前后面积相差 {change:.2%})"


# --- zipped shapefile (pyshp) -------------------------------------------------------------------------

def _shapefile(data: bytes, lim: dict) -> list[tuple[dict, object]]:
    """The features of the one shapefile in a .zip (.shp + .shx + .dbf, optional .prj and .cpg)."""
    import shapefile  # pyshp

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if n.lower().endswith(SHAPEFILE_PARTS) and "__MACOSX" not in n]
    except zipfile.BadZipFile:
        raise IntakeError("压缩包已损坏,无法打开。请重新压缩 .shp、.shx、.dbf(及 .prj、.cpg)后上传") from None
    stems = {n.rsplit(".", 1)[0] for n in names if n.lower().endswith(".shp")}
    if len(stems) != 1:
        raise IntakeError("压缩包中应恰好有一个 .shp 文件(连同同名的 .shx、.dbf,以及 .prj、.cpg)。"
                          f"实际有 {len(stems)} 个。请每个图层单独压缩上传")
    stem = stems.pop()
    parts = {}
    budget = max_mb(lim) << 20
    for ext in SHAPEFILE_PARTS:
        name = next((n for n in names if n.rsplit(".", 1)[0] == stem and n.lower().endswith(ext)), None)
        if name is None:
            continue
        with archive.open(name) as member:  # sizes counted while reading, never taken from the archive's header
            parts[ext] = member.read(budget + 1)
        budget -= len(parts[ext])
        if budget < 0:
            raise IntakeError(f"压缩包解压后超过 {max_mb(lim)} MB 上限。请只保留本市的边界后重新上传")
    missing = [ext for ext in (".shp", ".shx", ".dbf") if ext not in parts]
    if missing:
        raise IntakeError(f"压缩包中缺少 {'、'.join(missing)} 文件。请把同名的 .shp、.shx、.dbf(及 .prj、.cpg)一起压缩上传")
    prj = parts.get(".prj", b"").decode("latin-1")
    if "PROJCS" in prj.upper():
        raise IntakeError("该图层使用投影坐标系(.prj 中为 PROJCS),系统只接受经纬度坐标。"
                          "请在 GIS 软件中导出为 WGS-84 或 CGCS2000 经纬度后重新上传")
    declared = parts.get(".cpg", b"").decode("latin-1").strip().lower()
    encodings = [e for e in (_CPG.get(declared, declared), "utf-8", "gb18030") if e]
    for encoding in dict.fromkeys(encodings):
        try:
            reader = shapefile.Reader(shp=io.BytesIO(parts[".shp"]), shx=io.BytesIO(parts[".shx"]),
                                      dbf=io.BytesIO(parts[".dbf"]), encoding=encoding)
            return [(record.as_dict(), shape.__geo_interface__ if shape.shapeType else None)
                    for shape, record in zip(reader.iterShapes(), reader.iterRecords())]
        except (UnicodeDecodeError, LookupError):
            continue
        except Exception:  # noqa: BLE001 - pyshp's errors are English and many; the user needs one sentence
            raise IntakeError("无法读取压缩包中的 shapefile(文件不完整或已损坏)。"
                              "请用 GIS 软件重新导出 .shp、.shx、.dbf 后压缩上传") from None
    raise IntakeError("无法识别 .dbf 属性表的文字编码。请在压缩包中加入写有 UTF-8 或 GBK 的 .cpg 文件后重新上传")


_CPG = {"936": "gbk", "cp936": "gbk", "gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030", "utf-8": "utf-8",
        "utf8": "utf-8", "65001": "utf-8"}
