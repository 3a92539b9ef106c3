"""示范点地图: the pure builders on small hand-made frames, then the page on the demo city (AppTest),
its figures checked against plain SQL."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pandas as pd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard import charts_map, settings
from dashboard.charts_map import NO_SITE, STATUS_COLORS
from tests.apptest import app

PAGE = "pages/map.py"


# --- hand-made frames: two counties, three townships, six villages -----------------------------

def _square(x: float, y: float, size: float = 0.1) -> str:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _frames():
    villages = pd.DataFrame([
        ("V1", "甲村", "T1", "东镇", "C1", "一县", 110.01, 30.01),
        ("V2", "乙村", "T1", "东镇", "C1", "一县", 110.05, 30.05),
        ("V3", "丙村", "T2", "西镇", "C1", "一县", 110.11, 30.01),
        ("V4", "丁村", "T2", "西镇", "C1", "一县", 110.15, 30.05),
        ("V5", "戊村", "T3", "南乡", "C2", "二县", 110.21, 30.01),
        ("V6", "己村", "T3", "南乡", "C2", "二县", 110.25, 30.05),
    ], columns=["code", "name", "township_code", "township", "county_code", "county", "lon", "lat"])
    ledger = pd.DataFrame([
        ("2025-12", "C1", "V1", "市级", "已验收命名", "甲村“清风”"),
        ("2025-12", "C1", "V3", "县级", "创建中", None),
        ("2025-12", "C1", "V3", "县级", "计划创建", None),  # listed twice: the more advanced status wins
        ("2025-12", "C2", "V5", "县级", "已建成", '<img src=x onerror="alert(1)">&{提示}$&'),
    ], columns=["upload_period", "scope", "village_code", "level", "status", "brand"])
    ledger["township_code"] = ledger["village_code"].map({"V1": "T1", "V3": "T2", "V5": "T3"})
    townships = pd.DataFrame([
        ("T1", "东镇", "C1", _square(110.0, 30.0)),
        ("T2", "西镇", "C1", _square(110.1, 30.0)),
        ("T3", "南乡", "C2", _square(110.2, 30.0)),
    ], columns=["code", "name", "county_code", "boundary"])
    counties = pd.DataFrame([
        ("C1", "一县", None, _square(110.0, 30.0, 0.2)),
        ("C2", "二县", None, _square(110.2, 30.0, 0.1)),
    ], columns=["code", "name", "county_code", "boundary"])
    towns = pd.DataFrame({"county_code": ["C1", "C1", "C2"], "county": ["一县", "一县", "二县"],
                          "township_code": ["T1", "T2", "T3"], "township": ["东镇", "西镇", "南乡"]})
    return villages, ledger, townships, counties, towns


@pytest.fixture
def frames():
    villages, ledger, townships, counties, towns = _frames()
    sites = charts_map.village_sites(villages, ledger)
    return sites, townships, counties, towns


def test_every_village_gets_one_status(frames):
    sites, *_ = frames
    assert dict(zip(sites["code"], sites["status"])) == {
        "V1": "已验收命名", "V2": NO_SITE, "V3": "创建中", "V4": NO_SITE, "V5": "已建成", "V6": NO_SITE}
    assert charts_map.status_counts(sites) == {"计划创建": 0, "创建中": 1, "已建成": 1, "已验收命名": 1, NO_SITE: 3}


def _names(dots: pd.DataFrame) -> list[str]:
    return [tip.split("\n")[0].removeprefix("村(社区):") for tip in dots["提示"]]


def test_sites_are_coloured_by_status_and_other_villages_are_plain(frames):
    sites, townships, counties, _ = frames
    layers = charts_map.map_layers(sites, townships, counties)
    colours = dict(zip(_names(layers["sites"]), map(tuple, layers["sites"]["color"])))
    assert colours == {"甲村": STATUS_COLORS["已验收命名"], "丙村": STATUS_COLORS["创建中"],
                       "戊村": STATUS_COLORS["已建成"]}
    assert sorted(_names(layers["villages"])) == sorted(["乙村", "丁村", "己村"])
    assert list(layers["villages"].columns) == ["lon", "lat", "提示"]  # one colour for the layer
    assert set(STATUS_COLORS) == set(charts_map.STATUS_OPTIONS) == set(charts_map.LEGEND_COLORS)
    assert len(set(STATUS_COLORS.values())) == len(STATUS_COLORS)


def test_townships_are_covered_only_by_a_built_site(frames):
    sites, townships, counties, towns = frames
    layers = charts_map.map_layers(sites, townships, counties)
    shaded = layers["townships"]
    assert list(shaded["covered"]) == [True, False, True]  # T2 has a site, but only 创建中
    assert [tuple(c) for c in shaded["color"]] == [charts_map.COVERED_FILL, charts_map.GAP_FILL,
                                                   charts_map.COVERED_FILL]
    assert shaded["提示"][1] == "乡镇(街道):西镇(一县)\n未覆盖:尚无已建成或已验收命名的示范点"
    gaps = charts_map.gap_townships(towns, _frames()[1])
    assert gaps.to_dict("records") == [{"县(市、区)": "一县", "乡镇(街道)": "西镇", "区划代码": "T2", "在建或计划示范点": 1}]


def test_status_filter_narrows_the_dots_only(frames):
    sites, townships, counties, _ = frames
    layers = charts_map.map_layers(sites, townships, counties, statuses=("已验收命名", "已建成"))
    assert _names(layers["sites"]) == ["甲村", "戊村"] and layers["villages"].empty
    assert list(layers["townships"]["covered"]) == [True, False, True]
    layers = charts_map.map_layers(sites, townships, counties, statuses=(NO_SITE,))
    assert layers["sites"].empty and len(layers["villages"]) == 3
    none = charts_map.map_layers(sites, townships, counties, statuses=())
    assert none["sites"].empty and none["villages"].empty and len(none["townships"]) == 3


def test_county_filter_narrows_dots_and_townships_and_zooms_in(frames):
    sites, townships, counties, _ = frames
    whole = charts_map.map_layers(sites, townships, counties)
    one = charts_map.map_layers(sites, townships, counties, county="C2")
    assert _names(one["sites"]) == ["戊村"] and _names(one["villages"]) == ["己村"]
    assert len(one["townships"]) == 1
    assert list(one["counties"]["width"]) == [2, 4]  # all outlines stay, the chosen one thicker
    assert one["bounds"] == (110.2, 30.0, 110.3, 30.1)
    assert charts_map.fit_view(one["bounds"]).zoom > charts_map.fit_view(whole["bounds"]).zoom
    assert [label for label in one["labels"]["name"]] == ["一县", "二县"]


def test_fit_view_shows_the_whole_bounds():
    import math

    bounds = (107.2, 23.1, 108.3, 24.2)
    view = charts_map.fit_view(bounds, size=(1000, 600))
    world = 512 * 2 ** view.zoom
    width = (bounds[2] - bounds[0]) / 360 * world
    merc = [math.log(math.tan(math.pi / 4 + math.radians(v) / 2)) for v in (bounds[1], bounds[3])]
    height = (merc[1] - merc[0]) / (2 * math.pi) * world
    assert width <= 1000 and height <= 600
    assert max(width / 1000, height / 600) > 0.85  # and fills most of the map
    assert view.longitude == pytest.approx(107.75)


def test_tooltip_is_text_only_and_keeps_uploaded_text_verbatim(frames):
    sites, townships, counties, _ = frames
    deck = charts_map.build_deck(charts_map.map_layers(sites, townships, counties))
    assert deck._tooltip["text"] == "{提示}" and "html" not in deck._tooltip
    spec = json.loads(deck.to_json())
    villages = next(layer for layer in spec["layers"] if layer["id"] == "sites")
    tip = next(row["提示"] for row in villages["data"] if row["提示"].startswith("村(社区):戊村"))
    # deck.gl puts text tooltips in with innerText: the markup shows as typed, never as HTML
    assert tip == ('村(社区):戊村\n乡镇(街道):南乡(二县)\n示范点状态:已建成\n级别:县级\n'
                   '品牌:<img src=x onerror="alert(1)">&{提示}$&')
    no_brand = next(row["提示"] for row in villages["data"] if row["提示"].startswith("村(社区):丙村"))
    assert no_brand.endswith("级别:县级\n品牌:—")
    assert all(set(row) == {"lon", "lat", "color", "提示"} for row in villages["data"])
    plain = next(layer for layer in spec["layers"] if layer["id"] == "villages")
    assert plain["data"][0]["提示"] == "村(社区):乙村\n乡镇(街道):东镇(一县)\n示范点状态:非示范点"


def test_deck_is_offline_by_default(frames, monkeypatch, tmp_path):
    monkeypatch.delenv("QINGLIAN_TILE_URL", raising=False)
    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "absent.toml")
    assert settings.tile_url() is None
    sites, townships, counties, _ = frames
    raw = charts_map.build_deck(charts_map.map_layers(sites, townships, counties), settings.tile_url()).to_json()
    spec = json.loads(raw)
    assert "mapProvider" not in spec
    assert spec["mapStyle"] == "__MAP_STYLE__"  # Streamlit's "no basemap" marker, unlike map_style=None
    assert {layer["@@type"] for layer in spec["layers"]} == {"PolygonLayer", "ScatterplotLayer", "TextLayer"}
    assert "http" not in raw and "//" not in raw
    assert "甲村" in raw and "\n  " not in raw  # compact UTF-8, not pydeck's indented ASCII escapes
    for dots in ("villages", "sites"):
        layer = next(layer for layer in spec["layers"] if layer["id"] == dots)
        assert layer["pickable"] is True and layer["radiusMinPixels"] >= 1
    labels = next(layer for layer in spec["layers"] if layer["id"] == "labels")
    assert labels["characterSet"] == "auto" and "Noto Sans CJK SC" in labels["fontFamily"]
    assert not next(layer for layer in spec["layers"] if layer["id"] == "counties")["pickable"]
    assert charts_map.CompactDeck.from_spec(raw).to_json() is raw


def test_a_configured_tile_url_becomes_the_only_basemap(frames, monkeypatch, tmp_path):
    url = "http://tiles.intranet/{z}/{x}/{y}.png"
    monkeypatch.setenv("QINGLIAN_TILE_URL", url)
    assert settings.tile_url() == url
    sites, townships, counties, _ = frames
    spec = json.loads(charts_map.build_deck(charts_map.map_layers(sites, townships, counties), url).to_json())
    prefix = "data:application/json;charset=utf-8,"
    assert spec["mapStyle"].startswith(prefix)
    style = json.loads(unquote(spec["mapStyle"].removeprefix(prefix)))
    assert style["sources"]["basemap"] == {"type": "raster", "tiles": [url], "tileSize": 256, "maxzoom": 18}
    assert [layer["id"] for layer in spec["layers"]] == ["townships", "counties", "villages", "sites", "labels"]

    monkeypatch.delenv("QINGLIAN_TILE_URL")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[map]\ntile_url = "http://10.0.0.5/t/{z}/{x}/{y}.png"\n', encoding="utf-8")
    monkeypatch.setattr(settings, "SECRETS_FILE", secrets)
    assert settings.tile_url() == "http://10.0.0.5/t/{z}/{x}/{y}.png"
    secrets.write_text('[map]\ntile_url = ""\n', encoding="utf-8")
    assert settings.tile_url() is None


def test_township_borders_are_left_out_on_a_crowded_map(frames, monkeypatch):
    sites, townships, counties, _ = frames
    layers = charts_map.map_layers(sites, townships, counties)

    def stroked(layer_id: str) -> bool:
        spec = json.loads(charts_map.build_deck(layers).to_json())
        return next(layer for layer in spec["layers"] if layer["id"] == layer_id)["stroked"]

    assert stroked("townships") and stroked("sites")
    monkeypatch.setattr(charts_map, "DETAIL_LIMIT", 5)
    assert not stroked("townships") and stroked("sites")


# --- the page on the demo city ------------------------------------------------------------------

def _cutoff(period: str) -> str:
    """End of the month after ``period`` (reports of a month arrive during the next)."""
    y, m = int(period[:4]), int(period[5:])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    end = pd.Timestamp(year=y, month=m, day=1) + pd.offsets.MonthEnd(0)
    return f"{end:%Y-%m-%d} 23:59:59"


def _ledger_sql(period: str) -> str:
    """Each county's latest accepted 示范点台账 with period <= ``period``, as it stood at the cut-off."""
    return f"""
        WITH eff AS (
            SELECT MAX(id) AS id, period, scope FROM uploads
            WHERE kind = 'demo_sites' AND outcome = 'accepted' AND period <= '{period}'
              AND uploaded_at <= '{_cutoff(period)}'
            GROUP BY period, scope),
        latest AS (SELECT scope, MAX(period) AS period FROM eff GROUP BY scope)
        SELECT d.village_code, d.status FROM demo_sites d
        JOIN eff ON eff.id = d.upload_id
        JOIN latest ON latest.scope = eff.scope AND latest.period = eff.period"""


def _expected(conn, period: str, county: str | None = None) -> dict:
    where = "AND t.county_code = :c" if county else ""
    towns = conn.execute(text(f"""
        SELECT c.name, t.name, t.code FROM regions t JOIN regions c ON c.code = t.county_code
        WHERE t.level = 'township' {where} ORDER BY t.code"""), {"c": county}).all()
    covered = set(conn.execute(text(f"""
        SELECT DISTINCT v.parent_code FROM ({_ledger_sql(period)}) l JOIN regions v ON v.code = l.village_code
        WHERE l.status IN ('已建成', '已验收命名')""")).scalars())
    statuses = dict(conn.execute(text(_ledger_sql(period))).all())
    villages = conn.execute(text(f"""
        SELECT v.code FROM regions v JOIN regions t ON t.code = v.parent_code
        WHERE v.level = 'village' AND v.lon IS NOT NULL {where}"""), {"c": county}).scalars().all()
    return {
        "gaps": [(c, t) for c, t, code in towns if code not in covered],
        "covered": sum(code in covered for *_, code in towns), "townships": len(towns),
        "villages": len(villages),
        "accepted": sum(statuses.get(v) == "已验收命名" for v in villages),
        "shaded": conn.execute(text(f"""SELECT COUNT(*) FROM regions t WHERE t.level = 'township'
                                        AND t.boundary IS NOT NULL {where}"""), {"c": county}).scalar(),
    }


def _open(at: AppTest | None = None) -> AppTest:
    at = at or app(90).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _spec(at: AppTest) -> dict:
    decks = at.get("deck_gl_json_chart")
    assert len(decks) == 1
    return json.loads(decks[0].proto.json)


def _layer(spec: dict, layer_id: str) -> list:
    return next(layer["data"] for layer in spec["layers"] if layer["id"] == layer_id)


def _dots(spec: dict) -> int:
    return len(_layer(spec, "villages")) + len(_layer(spec, "sites"))


def _gap_list(at: AppTest) -> list[tuple[str, str]]:
    table = next(d.value for d in at.dataframe if "在建或计划示范点" in d.value.columns)
    return list(zip(table["县(市、区)"], table["乡镇(街道)"]))


def test_map_page_draws_every_village_and_township_offline(demo_store):
    at = _open()
    with demo_store.connect() as conn:
        want = _expected(conn, "2025-12")
        counties = conn.execute(text("SELECT COUNT(*) FROM regions WHERE level = 'county'")).scalar()
    spec = _spec(at)
    assert _dots(spec) == want["villages"]
    assert len(_layer(spec, "townships")) == want["shaded"] == want["townships"]
    assert len(_layer(spec, "counties")) == counties == 7
    assert "mapProvider" not in spec and spec["mapStyle"] == "__MAP_STYLE__"
    assert "http" not in at.get("deck_gl_json_chart")[0].proto.json
    assert json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)["text"] == "{提示}"
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["乡镇覆盖率"] == f"{100 * want['covered'] / want['townships']:.1f}%"
    captions = [c.value for c in at.caption]
    assert f"已覆盖乡镇(街道){want['covered']} 个,共 {want['townships']} 个" in captions
    assert "全市 · 数据截至 2025年12月" in captions
    assert any(c.startswith(f"地图显示 {want['villages']:,} 个村(社区)") for c in captions)
    assert any("演示数据" in w.value for w in at.warning)
    assert at.multiselect(key="map_statuses").placeholder == "选择示范点状态"
    legend = next(m.value for m in at.markdown if "已验收命名" in m.value)
    assert f":green[●] 已验收命名:{want['accepted']:,} 个村" in legend
    assert any(b.proto.label == "下载(.xlsx)" and "尚无示范点的乡镇(街道)名单" in b.proto.help.replace("\\", "")
               for b in at.get("download_button"))
    assert any("数据来源" in e.label for e in at.expander)


def test_gap_list_names_exactly_the_townships_without_a_built_site(demo_store):
    at = _open()
    with demo_store.connect() as conn:
        want = _expected(conn, "2025-12")
    assert want["gaps"], "the demo city should still have townships without a site"
    assert _gap_list(at) == want["gaps"]
    assert any(m.value == f"**尚无示范点的乡镇(街道):{len(want['gaps'])} 个**" for m in at.markdown)


def test_county_filter_narrows_points_and_gap_list(demo_store):
    at = _open()
    with demo_store.connect() as conn:
        code, name = conn.execute(text("""
            SELECT code, name FROM regions WHERE level = 'county' ORDER BY code LIMIT 1 OFFSET 2""")).one()
        want = _expected(conn, "2025-12", code)
        box = conn.execute(text("""
            SELECT MIN(lon), MAX(lon), MIN(lat), MAX(lat) FROM regions
            WHERE level = 'village' AND county_code = :c"""), {"c": code}).one()
    at.selectbox(key="county_widget").set_value(code).run()
    assert not at.exception
    spec = _spec(at)
    assert _dots(spec) == want["villages"]
    assert len(_layer(spec, "townships")) == want["townships"]
    assert _gap_list(at) == want["gaps"] and all(c == name for c, _ in want["gaps"])
    view = spec["initialViewState"]
    assert box[0] <= view["longitude"] <= box[1] and box[2] <= view["latitude"] <= box[3]
    assert view["zoom"] > 9
    assert f"已覆盖乡镇(街道){want['covered']} 个,共 {want['townships']} 个" in [c.value for c in at.caption]
    assert f"{name} · 数据截至 2025年12月" in [c.value for c in at.caption]


def test_status_filter_narrows_points(demo_store):
    at = _open()
    with demo_store.connect() as conn:
        want = _expected(conn, "2025-12")
    at.multiselect(key="map_statuses").set_value(["已验收命名"]).run()
    assert not at.exception
    spec = _spec(at)
    dots = _layer(spec, "sites")
    assert len(dots) == want["accepted"] > 0 and not _layer(spec, "villages")
    assert any(c.value.startswith(f"地图显示 {want['accepted']:,} 个村(社区)") for c in at.caption)
    assert all(d["color"] == list(STATUS_COLORS["已验收命名"]) for d in dots)
    legend = next(m.value for m in at.markdown if "已验收命名" in m.value)
    assert "非示范点" in legend and "(未显示)" in legend
    assert _gap_list(at) == want["gaps"]  # the list does not depend on what the map shows


def test_as_of_month_changes_coverage(demo_store):
    at = _open()
    at.selectbox(key="month_widget").set_value("2024-03").run()
    assert not at.exception
    with demo_store.connect() as conn:
        want = _expected(conn, "2024-03")
        later = _expected(conn, "2025-12")
    assert len(want["gaps"]) > len(later["gaps"])
    assert _gap_list(at) == want["gaps"]
    assert {m.label: m.value for m in at.metric}["乡镇覆盖率"] == f"{100 * want['covered'] / want['townships']:.1f}%"


def test_map_page_on_an_empty_store_says_what_to_do(sqlite_url, monkeypatch):
    from dashboard.store import make_engine, upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("QINGLIAN_DB_URL", sqlite_url)
    at = _open()
    assert "还没有村级区划" in at.info[0].value
    assert not at.get("deck_gl_json_chart")


def test_configured_tiles_reach_the_page(demo_store, monkeypatch):
    monkeypatch.setenv("QINGLIAN_TILE_URL", "http://tiles.intranet/{z}/{x}/{y}.png")
    at = _open()
    spec = _spec(at)
    assert spec["mapStyle"].startswith("data:application/json") and spec["mapProvider"] == "mapbox"
    assert "tiles.intranet" in unquote(spec["mapStyle"])
    assert any("底图:已配置的瓦片服务" in c.value for c in at.caption)


def test_gap_list_exports_with_title_stamp_and_codes(frames):
    import io

    import openpyxl

    from dashboard.exports import table_xlsx

    sites, _, _, towns = frames
    gaps = charts_map.gap_townships(towns, _frames()[1])
    sheet = openpyxl.load_workbook(io.BytesIO(table_xlsx(gaps, "全市尚无示范点的乡镇(街道)名单",
                                                         "数据截至 2025年12月 · 来源:示范点台账"))).active
    rows = list(sheet.values)
    assert rows[:3] == [("全市尚无示范点的乡镇(街道)名单", None, None, None),
                        ("数据截至 2025年12月 · 来源:示范点台账", None, None, None),
                        ("县(市、区)", "乡镇(街道)", "区划代码", "在建或计划示范点")]
    assert rows[3:] == [("一县", "西镇", "T2", 1)]



def test_a_large_store_maps_counties_by_lamp_until_one_is_chosen(demo_store, monkeypatch):
    """Above COUNTY_LEVEL villages (a province, a country) the whole map shows counties filled by the lamp of
    their township coverage — the overview ranking's lamps — and no village dots; choosing a county shows its
    villages as before. The city stands in for a country by lowering the level."""
    monkeypatch.setattr(charts_map, "COUNTY_LEVEL", 100)
    at = _open()
    with demo_store.connect() as conn:
        want = _expected(conn, "2025-12")
        villages = conn.execute(text("SELECT COUNT(*) FROM regions WHERE level = 'village'")).scalar()
        names = dict(conn.execute(text("SELECT code, name FROM regions WHERE level = 'county'")).all())
    spec = _spec(at)
    assert [layer["id"] for layer in spec["layers"]] == ["counties"]
    counties = _layer(spec, "counties")
    assert len(counties) == len(names) == 7
    captions = [c.value for c in at.caption]
    assert any(c.startswith(f"全域共 {villages:,} 个村(社区),地图按县(市、区)显示乡镇示范点覆盖率的亮灯") for c in captions)
    assert at.multiselect.len == 0  # no dots to filter
    # each county's colour is its lamp in the overview's ranking
    from dashboard import queries, targets
    from dashboard.catalog import active_plan
    from dashboard.metrics import LAMP_LABELS
    from dashboard.plan import load_plan_config
    from dashboard.settings import lamp_rule

    spec_ = next(s for s in targets.specs(active_plan(demo_store).targets) if s.metric == "township_demo_coverage")
    data = queries.target_inputs(demo_store, "2025-12", (), ledger=False)
    table = targets.county_table(spec_, data, load_plan_config().start, "2025-12", lamp_rule().yellow_gap_points)
    lamps = {names[c]: lamp for c, lamp in zip(table["county_code"], table["lamp"])}
    assert len(set(lamps.values())) >= 2  # the demo counties differ: the colours say something
    for polygon in counties:
        name = polygon["提示"].split("\n")[0].removeprefix("县(市、区):")
        assert polygon["color"] == list(charts_map.LAMP_FILL[lamps[name]]), name
        assert f"亮灯:{LAMP_LABELS.get(lamps[name], '未报送')}" in polygon["提示"]
    # the legend counts every village once; the gap list is the same as on the city map
    legend = next(m.value for m in at.markdown if "非示范点:" in m.value)
    counted = sum(int(line.split(":")[1].removesuffix(" 个村").replace(",", "")) for line in legend.split("  \n"))
    assert counted == villages
    assert _gap_list(at) == want["gaps"]
    # one county chosen: its villages, as on a city map
    code = next(iter(sorted(names)))
    at.selectbox(key="county_widget").set_value(code).run()
    assert not at.exception
    spec = _spec(at)
    assert {layer["id"] for layer in spec["layers"]} >= {"villages", "sites", "townships"}
    with demo_store.connect() as conn:
        assert _dots(spec) == _expected(conn, "2025-12", code)["villages"]
