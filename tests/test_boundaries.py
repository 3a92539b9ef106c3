"""行政区划边界: GeoJSON / shapefile import matched to the roster, checked with shapely, kept as versions.

A hand-made city of two counties and four townships, laid out as 0.1° squares near Hangzhou:

    30.2 +-----------+-----------+
         | 西山县     | 西山县     |      西山县 339902: 新桥镇 339902001, 石门乡 339902002
         | 新桥镇     | 石门乡     |      东城区 339901: 城关街道 339901001, 新桥镇 339901002
    30.1 +-----------+-----------+      (two townships called 新桥镇: a name alone cannot say which)
         | 东城区     | 东城区     |
         | 城关街道   | 新桥镇     |      villages: 东门村 (120.05, 30.05) in 城关街道,
    30.0 +-----------+-----------+                 远村 (120.45, 30.15) in 石门乡 — outside every square
       120.0       120.1       120.2
"""

from __future__ import annotations

import io
import json
import subprocess
import zipfile

import pytest
from coord_convert.transform import gcj2wgs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import boundaries, facts, intake, models
from dashboard.accounts import Account
from dashboard.scope import ScopeError
from dashboard.store import make_engine, upgrade
from tests.apptest import ADMIN
from tests.test_cli import QINGLIAN

R = models.Region
TOWNS = {"339901001000": "城关街道", "339901002000": "新桥镇", "339902001000": "新桥镇", "339902002000": "石门乡"}
CORNER = {"339901001000": (120.0, 30.0), "339901002000": (120.1, 30.0), "339902001000": (120.0, 30.1),
          "339902002000": (120.1, 30.1)}


def square(x: float, y: float, d: float = 0.1) -> list:
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


def feature(props: dict, coords: list, kind: str = "Polygon") -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coords}}


def geojson(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def four_townships() -> bytes:
    """Every township, one way of matching each: 12-digit code, 9-digit adcode, name + county, name only."""
    return geojson(
        feature({"区划代码": "339901001000", "名称": "城关街道"}, square(120.0, 30.0)),
        feature({"adcode": 339901002, "name": "新桥镇"}, square(120.1, 30.0)),
        feature({"name": "新桥镇", "所属县": "西山县"}, square(120.0, 30.1)),
        feature({"NAME": "石门乡"}, [square(120.1, 30.1), square(120.3, 30.1, 0.05)], "MultiPolygon"),
    )


def seed_city(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s, s.begin():
        s.add(R(code="339900000000", name="示例市", level="city"))
        s.flush()
        for code, name in (("339901000000", "东城区"), ("339902000000", "西山县")):
            s.add(R(code=code, name=name, level="county", parent_code="339900000000", county_code=code))
        s.flush()
        for code, name in TOWNS.items():
            county = code[:6] + "000000"
            s.add(R(code=code, name=name, level="township", parent_code=county, county_code=county))
        s.flush()
        for code, name, lon, lat in (("339901001001", "东门村", 120.05, 30.05), ("339902002002", "远村", 120.45, 30.15)):
            s.add(R(code=code, name=name, level="village", parent_code=code[:9] + "000",
                    county_code=code[:6] + "000000", lon=lon, lat=lat))
    engine.dispose()


@pytest.fixture
def city(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'city.db'}"
    seed_city(url)
    monkeypatch.setenv("QINGLIAN_DB_URL", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def drawn(engine, level: str) -> dict[str, list]:
    """code -> outer rings the maps draw (one per part)."""
    frame = facts.boundaries(engine, level)
    out: dict[str, list] = {}
    for code, text in zip(frame["code"], frame["boundary"]):
        out.setdefault(code, []).append(json.loads(text)["coordinates"][0])
    return out


# --- matching ---------------------------------------------------------------------------------------

def test_polygon_and_multipolygon_matched_by_code_adcode_and_name(city):
    preview = boundaries.prepare(city, four_townships(), "乡镇界.geojson", who=ADMIN)
    assert preview.ok and preview.layer == "township" and preview.errors == []
    assert {m["feature"]: m["code"] for m in preview.matched} == {
        1: "339901001000", 2: "339901002000", 3: "339902001000", 4: "339902002000"}
    assert preview.unmatched == [] and preview.uncovered == []
    multi = json.loads(next(m for m in preview.matched if m["feature"] == 4)["drawing"])
    assert multi["type"] == "MultiPolygon"
    assert multi["coordinates"][0][0][0] == [120.1, 30.1]  # the larger square first, the island after
    assert multi["coordinates"][1][0][0] == [120.3, 30.1]


def test_county_layer_by_six_digit_adcode_and_by_name(city):
    data = geojson(feature({"adcode": 339901, "name": "东城区"}, [[[120.0, 30.0], [120.2, 30.0], [120.2, 30.1],
                                                                    [120.0, 30.1], [120.0, 30.0]]]),
                   feature({"name": "西山"}, [[[120.0, 30.1], [120.2, 30.1], [120.2, 30.2], [120.0, 30.2],
                                                [120.0, 30.1]]]))
    preview = boundaries.prepare_here(city, data, "县界.json")
    assert preview.ok and preview.layer == "county"
    assert [m["code"] for m in preview.matched] == ["339901000000", "339902000000"]
    assert [m["name"] for m in preview.matched] == ["东城区", "西山县"]
    # 远村 (120.45, 30.15) lies outside 西山县 too
    assert preview.outside == ["「远村」(西山县石门乡)的坐标 (120.45000, 30.15000) 不在所属县(市、区)「西山县」的边界内。"
                               "请核对该村的坐标,或边界文件是否为最新"]


def test_unmatched_features_and_places_without_boundary_are_listed_by_name(city):
    data = geojson(
        feature({"区划代码": "339901001000"}, square(120.0, 30.0)),
        feature({"name": "新桥镇"}, square(120.1, 30.0)),  # two 新桥镇 on the roster, no county given
        feature({"name": "桃源镇", "adcode": "339903001"}, square(120.0, 30.1)),
        feature({"adcode": "339902", "name": "西山县"}, square(120.1, 30.1)),  # a county in a township file
        feature({"名称": "石门乡"}, square(120.1, 30.1)),
    )
    preview = boundaries.prepare_here(city, data, "乡镇界.geojson")
    assert preview.ok and preview.layer == "township"
    assert [m["code"] for m in preview.matched] == ["339901001000", "339902002000"]
    assert preview.unmatched == [
        "第2个要素(名称「新桥镇」):名录中有 2 个同名的乡镇(街道)(东城区新桥镇、西山县新桥镇),无法确定是哪一个;"
        "请在属性中填写12位区划代码或所属县,未导入",
        "第3个要素(名称「桃源镇」,代码「339903001」):代码「339903001」和名称在名录中都找不到对应的乡镇(街道),未导入",
        "第4个要素(名称「西山县」,代码「339902」):代码是县(市、区)的代码,本文件按乡镇(街道)导入"
        "(县(市、区)边界请单独导入),未导入",
    ]
    assert preview.uncovered == [
        "名录中的乡镇(街道)「东城区新桥镇」(区划代码 339901002000)在文件中没有边界",
        "名录中的乡镇(街道)「西山县新桥镇」(区划代码 339902001000)在文件中没有边界",
    ]


def test_two_features_for_one_township_are_an_error(city):
    data = geojson(feature({"区划代码": "339901001000"}, square(120.0, 30.0)),
                   feature({"名称": "城关街道"}, square(120.0, 30.0)))
    preview = boundaries.prepare_here(city, data, "重复.geojson")
    assert not preview.ok
    assert preview.errors == ["第1个要素(代码「339901001000」)和第2个要素(名称「城关街道」)都对应乡镇(街道)"
                              "「东城区城关街道」(区划代码 339901001000)。请删除或合并重复的要素后重新上传"]


def test_gcj02_vertices_converted_with_the_roster_function(city):
    preview = boundaries.prepare_here(city, four_townships(), "高德.geojson", crs="GCJ-02")
    full = json.loads(next(m for m in preview.matched if m["code"] == "339901001000")["geometry"])
    lon, lat = gcj2wgs(120.1, 30.0)  # the second vertex of 城关街道's square
    assert full["coordinates"][0][1] == pytest.approx([lon, lat], abs=1e-9)
    assert (lon, lat) != (120.1, 30.0) and abs(lon - 120.1) > 0.003  # GCJ-02 is a few hundred metres off


# --- geometry checks --------------------------------------------------------------------------------

def test_bow_tie_refused_and_a_small_self_intersection_repaired(city):
    bow_tie = [[[120.0, 30.0], [120.1, 30.1], [120.1, 30.0], [120.0, 30.1], [120.0, 30.0]]]
    preview = boundaries.prepare_here(city, geojson(feature({"区划代码": "339901001000", "名称": "城关街道"}, bow_tie)),
                                      "蝴蝶结.geojson")
    assert not preview.ok
    assert preview.errors == ["第1个要素(名称「城关街道」,代码「339901001000」):边界自相交(在 120.05000, 30.05000 附近),"
                              "自动修复会使面积改变 100%,无法可靠修复。请在 GIS 软件中修正(如 QGIS 的“修复几何图形”)后重新上传"]
    # a crossing 2 m wide on the left edge: the repair cuts a triangle of 0.000004 sq. degrees out of 0.01
    kinked = [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1], [120.0, 30.052], [120.002, 30.048],
               [120.002, 30.052], [120.0, 30.048], [120.0, 30.0]]]
    preview = boundaries.prepare_here(city, geojson(feature({"区划代码": "339901001000"}, kinked)), "小环.geojson")
    assert preview.ok and [m["code"] for m in preview.matched] == ["339901001000"]
    assert preview.repaired == ["第1个要素(代码「339901001000」):边界自相交(在 120.00100, 30.05000 附近),"
                                "已自动修复(修复前后面积相差 0.04%)"]


def test_village_outside_its_township_is_a_warning_naming_it(city):
    preview = boundaries.prepare_here(city, four_townships(), "乡镇界.geojson")
    assert preview.ok
    assert preview.outside == ["「远村」(西山县石门乡)的坐标 (120.45000, 30.15000) 不在所属乡镇(街道)「石门乡」的边界内。"
                               "请核对该村的坐标,或边界文件是否为最新"]  # 东门村 lies inside 城关街道: not listed


@pytest.mark.parametrize("data, message", [
    (b'{"type": "FeatureCollection", "features": [', "第1行第44列附近 JSON 格式有误"),  # 43 characters: the end is column 44
    (b"[" * 200_000, "括号嵌套过深"),
    (b'{"type": "Topology", "objects": {}}', "这是 TopoJSON 文件"),
    (b'{"type": "FeatureCollection", "features": []}', "文件中没有任何要素"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "不是 GeoJSON 文本文件"),
    (b"PK\x03\x04broken", "压缩包已损坏"),
])
def test_malformed_files_refused_in_chinese(city, data, message):
    preview = boundaries.prepare(city, data, "坏文件.geojson", who=ADMIN)
    assert not preview.ok and message in preview.file_error


def test_bad_features_named_by_number_and_property(city):
    data = geojson(
        feature({"名称": "城关街道"}, [[[13358338.9, 3503549.8], [13369470.8, 3503549.8], [13369470.8, 3516410.5],
                                      [13358338.9, 3503549.8]]]),
        {"type": "Feature", "properties": {"名称": "新桥镇"}, "geometry": {"type": "Point", "coordinates": [120, 30]}},
        feature({"名称": "石门乡"}, [[["120.1", "30.1"], [120.2, 30.1], [120.2, 30.2], [120.1, 30.1]]]),
        feature({"名称": "西山县新桥镇"}, [[[120.0, 30.1], [120.1, 30.1], [120.0, 30.1]]]),
        {"type": "Feature", "properties": {"名称": "空"}, "geometry": None},
    )
    preview = boundaries.prepare_here(city, data, "投影.geojson")
    assert not preview.ok
    assert preview.errors[0].startswith("第1个要素(名称「城关街道」):坐标 (1.33583e+07, 3.50355e+06) 不是经纬度")
    assert "可能是投影坐标(单位为米)" in preview.errors[0]
    assert preview.errors[1:] == [
        "第2个要素(名称「新桥镇」):几何类型为「Point」,边界只接受 Polygon 或 MultiPolygon(面)",
        "第3个要素(名称「石门乡」):坐标点应为 [经度, 纬度] 两个数字,实际为「[\"120.1\", \"30.1\"]」",
        "第4个要素(名称「西山县新桥镇」):有一个环的坐标点少于 3 个,不能构成多边形",
        "第5个要素(名称「空」):没有几何图形(geometry 为空或不是对象)",
    ]


def test_file_over_the_size_limit_refused(city, monkeypatch):
    from loaders import reader

    monkeypatch.setattr(reader, "limits", lambda: {**reader.intake_limits(), "max_boundary_mb": 1})
    big = geojson(feature({"名称": "城关街道", "备注": "长" * (1 << 20)}, square(120.0, 30.0)))
    preview = boundaries.prepare(city, big, "大文件.geojson", who=ADMIN)
    assert preview.file_error == "边界文件超过 1 MB 上限。请只保留本市的县(市、区)或乡镇(街道),或在 GIS 软件中适当简化后重新上传"


def test_zipped_shapefile_with_gbk_attributes(city):
    import shapefile

    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="gbk") as w:
        w.field("XZQDM", "C", 12)
        w.field("XZQMC", "C", 20)
        for code, (x, y) in CORNER.items():
            w.poly([[(x, y), (x, y + 0.1), (x + 0.1, y + 0.1), (x + 0.1, y), (x, y)]])  # clockwise: a shell
            w.record(code, TOWNS[code])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for ext, part in ((".shp", shp), (".shx", shx), (".dbf", dbf)):
            z.writestr(f"乡镇/township{ext}", part.getvalue())
        z.writestr("乡镇/township.cpg", "GBK")
    preview = boundaries.prepare(city, archive.getvalue(), "乡镇界.zip", who=ADMIN)
    assert preview.ok and sorted(m["code"] for m in preview.matched) == sorted(TOWNS)
    assert {m["name"] for m in preview.matched} >= {"东城区城关街道", "西山县石门乡"}


def test_only_an_admin_imports_boundaries(city):
    county = Account("k", "县填报", "county", county="339901000000")
    with pytest.raises(ScopeError, match="不能导入或恢复行政区划边界"):
        boundaries.prepare(city, four_townships(), "乡镇界.geojson", who=county)


# --- versions -------------------------------------------------------------------------------------------

def test_new_version_replaces_drawing_and_the_previous_is_kept_and_restorable(city):
    first = boundaries.commit(city, boundaries.prepare(city, four_townships(), "第一版.geojson", who=ADMIN), who=ADMIN)
    rings = drawn(city, "township")
    assert sorted(rings) == sorted(TOWNS) and len(rings["339902002000"]) == 2  # 石门乡 and its island
    assert rings["339901001000"] == [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1], [120.0, 30.0]]]

    moved = geojson(feature({"区划代码": "339901001000"}, square(120.0, 30.0, 0.09)))
    second = boundaries.commit(city, boundaries.prepare(city, moved, "第二版.geojson", who=ADMIN), who=ADMIN)
    assert drawn(city, "township") == {"339901001000": [[[120.0, 30.0], [120.09, 30.0], [120.09, 30.09],
                                                         [120.0, 30.09], [120.0, 30.0]]]}
    rows = {r["id"]: r for r in intake.history(city, kind="boundaries", who=ADMIN)}
    assert (rows[first]["active"], rows[second]["active"]) == (False, True)
    assert rows[first]["scope"] == "township" and rows[first]["rows"] == 4
    assert intake.original_file(city, first, who=ADMIN) == ("第一版.geojson", four_townships())
    with city.connect() as conn:  # the full geometries of the first version are kept for the checks
        kept = conn.execute(select(models.BoundaryRow.region_code).where(models.BoundaryRow.upload_id == first)).all()
    assert sorted(code for (code,) in kept) == sorted(TOWNS)

    intake.restore(city, first, who=ADMIN)
    assert drawn(city, "township") == rings
    rows = {r["id"]: r for r in intake.history(city, kind="boundaries", who=ADMIN)}
    assert (rows[first]["active"], rows[second]["active"]) == (True, False)
    assert "恢复" in rows[first]["message"]
    assert drawn(city, "county") == {}  # the other layer is untouched


def test_refused_file_recorded_without_bytes(city):
    preview = boundaries.prepare(city, b"{not json", "坏.geojson", who=ADMIN)
    boundaries.record_refusal(city, preview)
    (row,) = intake.history(city, kind="boundaries", who=ADMIN)
    assert row["outcome"] == "refused" and "JSON 格式有误" in row["message"]
    assert intake.original_file(city, row["id"], who=ADMIN) is None


# --- command line ---------------------------------------------------------------------------------------

def test_cli_import_boundaries(city, tmp_path):
    path = tmp_path / "乡镇界.geojson"
    path.write_bytes(four_townships())
    db = ["--db", str(city.url)]
    out = subprocess.run([QINGLIAN, *db, "import", str(path), "--kind", "boundaries", "--crs", "WGS-84"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "校验通过,已写入(版本号" in out.stdout
    assert "乡镇(街道)界:文件 4 个要素,对应名录 4 个乡镇(街道)" in out.stdout
    assert "提示:「远村」(西山县石门乡)的坐标 (120.45000, 30.15000) 不在所属乡镇(街道)「石门乡」的边界内" in out.stdout
    assert sorted(drawn(city, "township")) == sorted(TOWNS)

    path.write_bytes(geojson(feature({"名称": "城关街道"}, [[[500000, 3300000], [510000, 3300000],
                                                            [510000, 3310000], [500000, 3300000]]])))
    out = subprocess.run([QINGLIAN, *db, "import", str(path), "--kind", "boundaries"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1
    assert "未通过校验,未写入" in out.stdout and "可能是投影坐标(单位为米)" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


# --- pages ---------------------------------------------------------------------------------------------

def test_upload_page_imports_boundaries_and_lists_them_in_the_history(city):
    from tests.apptest import app

    at = app(90).run()
    at.switch_page("pages/upload.py").run()
    assert "行政区划边界" in [t.label for t in at.tabs]
    at.file_uploader(key="bd_file").set_value(("乡镇界.geojson", four_townships(), "application/geo+json")).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["要素"], metrics["对应名录"], metrics["坐标在边界外的村"]) == ("4", "4", "1")
    assert any("校验通过:乡镇(街道)界 4 个" in i.value for i in at.info)
    at.button(key="bd_commit").click().run()
    assert any("已导入乡镇(街道)界 4 个,版本号" in s.value for s in at.success)
    assert sorted(drawn(city, "township")) == sorted(TOWNS)
    history = next(d.value for d in at.dataframe if "范围" in d.value.columns)  # the 历史版本 tab
    assert list(history.iloc[0][["报表", "范围", "文件", "行数", "状态"]]) == [
        "行政区划边界", "乡镇(街道)界", "乡镇界.geojson", 4, "生效"]


def test_upload_page_shows_a_refused_boundary_file_in_chinese(city):
    from tests.apptest import app

    at = app(90).run()
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key="bd_file").set_value(("坏.geojson", b"{oops", "application/geo+json")).run()
    assert not at.exception
    assert any("不是有效的 GeoJSON" in e.value and "未写入任何数据" in e.value for e in at.error)


def test_map_without_boundaries_says_which_layer_is_missing(city):
    from tests.apptest import open_page

    at = open_page("pages/map.py")
    assert any(i.value.startswith("尚未导入乡镇(街道)边界和县(市、区)边界,地图只显示村点;") for i in at.info)
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert layers["townships"]["data"] == [] and len(layers["villages"]["data"]) == 2  # the villages still show

    boundaries.commit(city, boundaries.prepare(city, four_townships(), "乡镇界.geojson", who=ADMIN), who=ADMIN)
    at = open_page("pages/map.py")
    assert [i.value for i in at.info if "尚未导入" in i.value] == [
        "尚未导入县(市、区)边界,地图只显示村点和乡镇底色;请管理员在「数据上报」页的「行政区划边界」中导入边界"
        "(GeoJSON 或 shapefile 压缩包)。"]
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert len(next(layer for layer in spec["layers"] if layer["id"] == "townships")["data"]) == 5  # 石门乡 in 2 parts


def test_the_demo_can_replace_a_store_holding_boundary_versions(city):
    """`qinglian demo --replace` clears every upload with its rows: the boundary versions go with them (their rows
    refer to the uploads; a foreign key would otherwise refuse the delete)."""
    from dashboard import demo

    boundaries.commit(city, boundaries.prepare(city, four_townships(), "乡镇界.geojson", who=ADMIN), who=ADMIN)
    demo.seed_demo(city, replace=True)
    with city.connect() as conn:
        assert conn.execute(select(func.count()).select_from(models.BoundaryRow)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(models.Upload)
                            .where(models.Upload.kind == "boundaries")).scalar() == 0
        assert conn.execute(select(func.count()).select_from(R).where(R.name == "石门乡")).scalar() == 0
