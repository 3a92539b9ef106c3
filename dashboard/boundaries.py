"""行政区划边界 against the store: match a boundary file to the roster, check it, commit it as a version.

A file is one layer (county or township boundaries) of the whole store. :func:`prepare` reads it in the parse
sandbox (:mod:`loaders.boundaries`), matches each feature to a county or township of the roster — by 12-digit
区划代码, by a 6-digit (county) or 9-digit (township) adcode, else by name — and lists what did not match,
the roster's places left without a boundary and the villages whose point lies outside their township's (or
county's) full polygon. :func:`commit` keeps the file and both geometries of each place as a new version
(kind ``boundaries``, scope the layer) that supersedes the layer's previous one; the maps draw a simplified
geometry, the checks use the full one. Earlier versions are restored through :func:`dashboard.intake.restore`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import mapping
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from dashboard import audit, models, months
from dashboard.accounts import Account
from dashboard.scope import require
from dashboard.store import StoreError, describe_url, store_fault
from loaders import boundaries as reading
from loaders import reader
from loaders.errors import IntakeError, Issue
from loaders.refusals import REFUSALS
from loaders.schema import BOUNDARY_KIND as KIND
from loaders.villages import county_stem, township_stem

log = logging.getLogger("qinglian.boundaries")
U, R, B = models.Upload, models.Region, models.BoundaryRow
LAYERS = {"county": "县(市、区)界", "township": "乡镇(街道)界"}
NOUNS = {"county": "县(市、区)", "township": "乡镇(街道)"}
# The drawing geometry is simplified with the smallest of these tolerances (degrees; 0.0001° ≈ 10 m) that
# keeps a layer within the vertex budget: a province's 1,300 townships stay light enough to pan.
TOLERANCES = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02)
VERTEX_BUDGET = 150_000


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    county_code: str
    county: str

    @property
    def full_name(self) -> str:
        return self.name if self.level == "county" else f"{self.county}{self.name}"


@dataclass
class Preview:
    """What a boundary file would change, and everything a commit needs."""

    file_name: str
    data: bytes
    crs: str
    level: str | None  # asked for; None: recognised from the file
    user: str
    period: str = ""
    layer: str | None = None  # the layer the file is for
    features: int = 0
    file_error: str | None = None
    errors: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)  # roster places of the layer without a boundary
    outside: list[str] = field(default_factory=list)  # villages outside their polygon
    matched: list[dict] = field(default_factory=list)  # code, name, feature, geometry, drawing
    tolerance: float | None = None

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.errors and bool(self.matched) and self.layer is not None

    @property
    def warnings(self) -> list[str]:
        return self.repaired + self.unmatched + self.uncovered + self.outside

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def label(self) -> str:
        return LAYERS.get(self.layer, "行政区划边界")

    def summary(self) -> str:
        return (f"{self.label}:文件 {self.features} 个要素,对应名录 {len(self.matched)} 个{NOUNS.get(self.layer, '')};"
                f"未对应的要素 {len(self.unmatched)} 个,名录中没有边界的 {len(self.uncovered)} 个,"
                f"坐标在边界外的村 {len(self.outside)} 个;坐标系 {self.crs}")

    def to_json(self) -> dict:
        return {"ok": self.ok, "kind": KIND, "layer": self.layer, "features": self.features,
                "matched": len(self.matched), "errors": [self.file_error] if self.file_error else self.errors,
                "repaired": self.repaired, "unmatched": self.unmatched, "uncovered": self.uncovered,
                "outside": self.outside}


def prepare(engine: Engine, data: bytes, file_name: str, crs: str = "WGS-84", level: str | None = None, *,
            who: Account, on_wait=None) -> Preview:
    """Read, match and check a boundary file in the parse sandbox (管理员 only). Writes nothing."""
    from dashboard.intake import clean_field, clean_file_name
    from dashboard.sandbox import SandboxFailure, sandbox

    require(who, "boundaries")
    lim = reader.limits()
    preview = Preview(clean_file_name(file_name, lim["max_file_name_chars"]), data, crs, level,
                      clean_field(who.signature, lim["max_user_chars"]), months.this_month())
    job = {"op": "boundaries", "url": engine.url.render_as_string(hide_password=False), "data": data,
           "file_name": preview.file_name, "crs": crs, "level": level, "lim": lim}
    try:
        reply = sandbox().run(job, on_wait)
    except SandboxFailure as failure:
        key = "crashed" if failure.reason == "crash" else "capacity"
        (log.error if key == "crashed" else log.warning)(
            "校验边界「%s」未完成(%s):%s", preview.file_name, failure.reason, failure.detail)
        preview.file_error = REFUSALS[key]()
        return preview
    if "store_error" in reply:
        raise StoreError(reply["store_error"], describe_url(engine.url))
    for key, value in reply.items():
        setattr(preview, key, value)
    return preview


def prepare_job(url: str, data: bytes, file_name: str, crs: str, level: str | None, lim: dict) -> dict:
    """The sandboxed half of :func:`prepare` (runs in :mod:`dashboard.sandbox_worker`): plain data only."""
    from dashboard.intake import _worker_engine

    engine = _worker_engine(url)
    try:
        preview = prepare_here(engine, data, file_name, crs, level, lim)
    except SQLAlchemyError as exc:
        fault = store_fault(exc, engine.url)
        if fault is None:
            raise
        return {"store_error": fault.kind}
    keys = ("layer", "features", "file_error", "errors", "repaired", "unmatched", "uncovered", "outside",
            "matched", "tolerance")
    return {key: getattr(preview, key) for key in keys}


def prepare_here(engine: Engine, data: bytes, file_name: str, crs: str = "WGS-84", level: str | None = None,
                 lim: dict | None = None) -> Preview:
    """Read, match and check in this process — for the sandbox worker and tests."""
    preview = Preview(file_name, b"", crs, level, "")
    try:
        features, errors, repaired = reading.read(data, file_name, crs, lim or reader.limits())
    except IntakeError as exc:
        preview.file_error = str(exc)
        return preview
    preview.features = len(features) + len(errors)
    preview.errors = [issue.message for issue in errors]
    preview.repaired = [issue.message for issue in repaired]
    if not features:  # every feature is an error: those say what to fix
        return preview
    places = roster(engine)
    if not places:
        preview.file_error = "数据库中还没有县(市、区)和乡镇(街道)名录。请先上传村级名录,再导入边界"
        return preview
    layer = level or _layer_of(features, places)
    if layer is None:
        preview.errors.append("文件中没有任何要素与名录中的县(市、区)或乡镇(街道)对应(按区划代码、adcode 或名称)。"
                              "请确认属性中有区划代码或名称,且文件是本市的边界")
        return preview
    preview.layer = layer
    pairs = _match(features, places, layer, preview)
    if not pairs:
        preview.errors.append(f"文件中没有任何要素与名录中的{NOUNS[layer]}对应。请确认属性中有区划代码或名称,"
                              "且文件是本市的边界")
        return preview
    covered = {place.code for _, place in pairs}
    preview.uncovered = [f"名录中的{NOUNS[layer]}「{p.full_name}」(区划代码 {p.code})在文件中没有边界"
                         for p in places.values() if p.level == layer and p.code not in covered]
    preview.outside = outside_villages(engine, {place.code: feature.geometry for feature, place in pairs}, layer)
    drawings, preview.tolerance = drawing([feature.geometry for feature, _ in pairs])
    preview.matched = [{"code": place.code, "name": place.full_name, "feature": feature.number,
                        "geometry": shapely.to_geojson(feature.geometry), "drawing": draw}
                       for (feature, place), draw in zip(pairs, drawings)]
    return preview


def roster(engine: Engine) -> dict[str, Place]:
    """Every county and township of the store, by code."""
    county = R.__table__.alias("county")
    query = (select(R.code, R.name, R.level, R.county_code, county.c.name)
             .outerjoin(county, county.c.code == R.county_code).where(R.level.in_(("county", "township"))))
    with engine.connect() as conn:
        return {code: Place(code, name, level, cc or code, cname or name)
                for code, name, level, cc, cname in conn.execute(query)}


def _full_code(code: str) -> tuple[str | None, str | None]:
    """(12-digit code, the level its length says) of a 区划代码 or a DataV/天地图 adcode; (None, None) otherwise."""
    if not code.isdigit():
        return None, None
    if len(code) == 12:
        return code, None
    if len(code) == 6:
        return code + "000000", "county"
    if len(code) == 9:
        return code + "000", "township"
    return None, None


def _layer_of(features: list[reading.Feature], places: dict[str, Place]) -> str | None:
    """The layer most features belong to: by their codes, else by names equal to the roster's."""
    votes = defaultdict(int)
    names = defaultdict(set)
    for place in places.values():
        names[place.level].add(place.name)
    for feature in features:
        full, hinted = _full_code(feature.code)
        level = places[full].level if full in places else hinted
        if level is None:
            level = next((lv for lv in ("township", "county") if feature.name in names[lv]), None)
        if level:
            votes[level] += 1
    return max(votes, key=votes.get) if votes else None


def _match(features: list[reading.Feature], places: dict[str, Place], layer: str, preview: Preview) -> list:
    """(feature, place) pairs of ``layer``; what cannot be matched goes to ``preview.unmatched``, two features
    for one place to ``preview.errors``."""
    of_layer = [p for p in places.values() if p.level == layer]
    counties = [p for p in places.values() if p.level == "county"]
    pairs, first = [], {}
    for feature in features:
        place, why = _find(feature, places, of_layer, counties, layer)
        if place is None:
            preview.unmatched.append(f"{feature.label}:{why},未导入")
            continue
        if place.code in first:
            preview.errors.append(f"{first[place.code].label}和{feature.label}都对应{NOUNS[layer]}"
                                  f"「{place.full_name}」(区划代码 {place.code})。请删除或合并重复的要素后重新上传")
            continue
        first[place.code] = feature
        pairs.append((feature, place))
    return pairs


def _find(feature: reading.Feature, places: dict[str, Place], of_layer: list[Place], counties: list[Place],
          layer: str) -> tuple[Place | None, str]:
    """The place a feature is the boundary of, or None and why not."""
    full, hinted = _full_code(feature.code)
    found = places.get(full)
    if found is not None and found.level == layer:
        return found, ""
    if full and (found is not None or hinted) and (found.level if found else hinted) != layer:
        other = NOUNS.get(found.level if found else hinted, "其他层级")
        return None, f"代码是{other}的代码,本文件按{NOUNS[layer]}导入({other}边界请单独导入)"
    if not feature.name:
        return None, (f"代码「{feature.code}」在名录中没有对应的{NOUNS[layer]},且没有名称属性" if feature.code
                      else "没有区划代码(区划代码、adcode、code)或名称(名称、name)属性")
    if layer == "county":
        hits = [p for p in of_layer if p.name == feature.name] or \
            [p for p in of_layer if county_stem(p.name) == county_stem(feature.name)]
    else:
        within = _county_hint(feature, counties)
        pool = [p for p in of_layer if within is None or p.county_code == within]
        hits = [p for p in pool if p.name == feature.name] or \
            [p for p in pool if township_stem(p.name) == township_stem(feature.name)]
    if len(hits) == 1:
        return hits[0], ""
    if not hits:
        code = f"代码「{feature.code}」和" if feature.code else ""
        return None, f"{code}名称在名录中都找不到对应的{NOUNS[layer]}"
    where = "、".join(p.full_name for p in hits[:5])
    return None, (f"名录中有 {len(hits)} 个同名的{NOUNS[layer]}({where}),无法确定是哪一个;"
                  "请在属性中填写12位区划代码或所属县")


def _county_hint(feature: reading.Feature, counties: list[Place]) -> str | None:
    """The county code a township feature says it lies in (its parent adcode, code prefix or county name)."""
    for text in (feature.county, feature.code):
        if text.isdigit() and len(text) in (6, 9, 12):
            return text[:6] + "000000"
    if feature.county:
        hits = [c.code for c in counties if county_stem(c.name) == county_stem(feature.county)]
        if len(hits) == 1:
            return hits[0]
    return None


def outside_villages(engine: Engine, shapes: dict, layer: str) -> list[str]:
    """Villages with coordinates outside the full polygon of their township (or county), named."""
    town, county = R.__table__.alias("t"), R.__table__.alias("c")
    owner = R.parent_code if layer == "township" else R.county_code
    query = (select(R.name, R.lon, R.lat, owner, town.c.name, county.c.name)
             .join(town, town.c.code == R.parent_code).join(county, county.c.code == R.county_code)
             .where(R.level == "village", R.lon.is_not(None), R.lat.is_not(None), owner.in_(list(shapes)))
             .order_by(R.code))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    by_owner = defaultdict(list)
    for row in rows:
        by_owner[row[3]].append(row)
    out = []
    for code, villages in by_owner.items():
        shape = shapes[code]
        shapely.prepare(shape)
        inside = shapely.intersects_xy(shape, np.array([v[1] for v in villages]), np.array([v[2] for v in villages]))
        for (name, lon, lat, _, township, county_name), ok in zip(villages, inside):
            if not ok:
                whose = f"乡镇(街道)「{township}」" if layer == "township" else f"县(市、区)「{county_name}」"
                out.append(f"「{name}」({county_name}{township})的坐标 ({lon:.5f}, {lat:.5f}) 不在所属{whose}的边界内。"
                           "请核对该村的坐标,或边界文件是否为最新")
    return out


def drawing(shapes: list) -> tuple[list[str], float]:
    """The simplified GeoJSON the maps draw for each shape (largest part first, 5 decimals), and the
    tolerance used: the smallest of :data:`TOLERANCES` that keeps the layer within :data:`VERTEX_BUDGET`."""
    array = np.array(shapes, dtype=object)
    for tolerance in TOLERANCES:
        simple = shapely.simplify(array, tolerance, preserve_topology=True)
        if int(shapely.get_num_coordinates(simple).sum()) <= VERTEX_BUDGET:
            break
    return [json.dumps(_rounded(shape), separators=(",", ":")) for shape in simple], tolerance


def _rounded(shape) -> dict:
    parts = sorted(shape.geoms, key=lambda p: -p.area) if shape.geom_type == "MultiPolygon" else [shape]
    polygons = [[[[round(x, 5), round(y, 5)] for x, y in ring] for ring in mapping(part)["coordinates"]]
                for part in parts]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


# --- writing --------------------------------------------------------------------------------------------

def commit(engine: Engine, preview: Preview, *, who: Account) -> int:
    """Keep an accepted preview as the new version of its layer and draw it (管理员 only); returns its id.
    A store fault leaves everything as it was and raises :class:`StoreError`."""
    from dashboard.intake import _lock, clean_field

    require(who, "boundaries")
    if not preview.ok:
        raise ValueError("边界文件未通过校验,不能提交")
    preview.user = clean_field(who.signature, reader.limits()["max_user_chars"])
    try:
        with engine.begin() as conn:
            _lock(conn, KIND, preview.period, preview.layer)
            now = months.now()
            conn.execute(update(U).where(U.kind == KIND, U.scope == preview.layer, U.active)
                         .values(active=False, superseded_at=now))
            upload_id = conn.execute(insert(U).values(
                kind=KIND, period=preview.period, scope=preview.layer, file_name=preview.file_name,
                sha256=preview.sha256, content=preview.data, uploaded_by=preview.user, uploaded_at=now,
                rows=len(preview.matched), expected_rows=None, errors=0, warnings=len(preview.warnings),
                outcome="accepted", message=preview.summary(), issues=_issues(preview), active=True, is_demo=False,
            ).returning(U.id)).scalar_one()
            conn.execute(insert(B), [{"upload_id": upload_id, "region_code": m["code"], "feature": m["feature"],
                                      "geometry": m["geometry"], "drawing": m["drawing"]} for m in preview.matched])
            _draw(conn, upload_id, preview.layer, preview.period, now, "commit")
            audit.record(conn, preview.user, "upload", f"行政区划边界 {preview.label}",
                         f"文件 {preview.file_name},{len(preview.matched)} 个{NOUNS[preview.layer]},版本号 {upload_id}",
                         at=now)
    except SQLAlchemyError as exc:
        fault = store_fault(exc, engine.url)
        if fault is None:
            raise
        raise fault from None
    return upload_id


def record_refusal(engine: Engine, preview: Preview) -> None:
    """Record a refused boundary file (without its bytes) in the upload history and the audit log."""
    first = preview.file_error or (preview.errors[0] if preview.errors else "未通过校验")
    count = 1 if preview.file_error else len(preview.errors)
    try:
        with engine.begin() as conn:
            audit.record(conn, preview.user, "upload_refused", f"行政区划边界 {preview.label}",
                         f"文件 {preview.file_name}:共 {count} 处错误。{first}", ok=False)
            conn.execute(insert(U).values(
                kind=KIND, period=preview.period or months.this_month(), scope=preview.layer or "未确定",
                file_name=preview.file_name, sha256=preview.sha256, content=None, uploaded_by=preview.user,
                uploaded_at=months.now(), rows=len(preview.matched), errors=count, warnings=len(preview.warnings),
                outcome="refused", message=f"共 {count} 处错误。{first}", issues=_issues(preview), active=False,
                is_demo=False))
    except SQLAlchemyError as exc:
        if store_fault(exc, engine.url) is None:
            raise
        log.warning("无法记录边界文件「%s」的上报尝试", preview.file_name)


def restore_in(conn, row, who: Account, user: str) -> int:
    """Make the boundary version ``row`` (an ``uploads`` row, read by :func:`dashboard.intake.restore`) the one
    in effect again and draw it, in the caller's transaction."""
    from dashboard.intake import _lock

    require(who, "boundaries")
    if row["outcome"] != "accepted":
        raise ValueError("只能恢复已接收的版本")
    _lock(conn, KIND, row["period"], row["scope"])
    now = months.now()
    conn.execute(update(U).where(U.kind == KIND, U.scope == row["scope"], U.active)
                 .values(active=False, superseded_at=now))
    conn.execute(update(U).where(U.id == row["id"]).values(
        active=True, superseded_at=None, message=f"{row['message']}(于 {now:%Y-%m-%d %H:%M} 由{user}恢复)"))
    _draw(conn, row["id"], row["scope"], row["period"], now, "restore")
    audit.record(conn, user, "restore", f"行政区划边界 {LAYERS.get(row['scope'], row['scope'])}",
                 f"恢复版本号 {row['id']}(文件 {row['file_name']})", at=now)
    return row["id"]


def _draw(conn, upload_id: int, layer: str, period: str, now, action: str) -> None:
    """Set the layer's drawn boundaries to those of ``upload_id`` (places it lacks lose theirs), and record
    the activation (which also moves the pages' data version)."""
    conn.execute(update(R).where(R.level == layer, R.boundary.is_not(None)).values(boundary=None))
    rows = conn.execute(select(B.region_code, B.drawing).where(B.upload_id == upload_id)).all()
    if rows:
        conn.execute(update(R).where(R.code == bindparam("c"), R.level == layer).values(boundary=bindparam("b")),
                     [{"c": code, "b": draw} for code, draw in rows])
    A = models.Activation
    ended = conn.execute(update(A).where(A.kind == KIND, A.scope == layer, A.ended_at.is_(None))
                         .values(ended_at=now)).rowcount
    conn.execute(insert(A).values(upload_id=upload_id, kind=KIND, period=period, scope=layer, activated_at=now,
                                  action=action, first=not ended))


def _issues(preview: Preview) -> str:
    lines = ([preview.file_error] if preview.file_error else preview.errors) + preview.warnings
    return json.dumps([Issue(None, None, None, None, line).to_dict() for line in lines[:500]], ensure_ascii=False)
