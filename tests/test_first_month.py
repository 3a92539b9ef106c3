"""A first month from zero, end to end, as a city's administrator does it with the README's 接入本市数据 steps:
an empty store → the city's own plan (written in another style than the seed) → the roster of its two counties →
their boundaries → one month of every report kind → every page shows the city's own figures, names and outlines,
no demo banner, no demo row.

河川市 (hand-made; every expected figure below is counted by hand from the files written here):

    29.2 +-------------+-------------+   河西县 339802: 西岭镇 339802001, 白沙乡 339802002
         | 西岭镇       | 白沙乡       |   河东区 339801: 东关街道 339801001, 柳林镇 339801002
    29.1 +-------------+-------------+   two villages per township, inside its square
         | 东关街道     | 柳林镇       |
    29.0 +-------------+-------------+
       121.0         121.1         121.2
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from dashboard import months
from dashboard.store import make_engine
from tests.apptest import app
from tests.intake_fixtures import sheet_xlsx
from tests.test_cli import run

PLAN = """河川市清廉村居建设实施方案

一、总体要求
以清廉村居建设为抓手，推动全面从严治党向基层延伸。

二、工作目标
到2026年底，全市50%的乡镇（街道）建成清廉村居示范点；至2027年，示范点覆盖率达到80%以上。
到2026年，每个县（市、区）都有清廉村居特色品牌。

三、重点任务
（一）推行小微权力清单。梳理村级权力事项，编制清单并公开，2026年实现村级小微权力清单全覆盖。（牵头单位：市纪委监委；配合单位：市委组织部、市民政局）
（二）培育法律明白人。开展法治培训，至2026年，每村至少有2名法律明白人。（牵头单位：市司法局；配合单位：各县（市、区）人民政府）
（三）健全村务监督。由市民政局牵头，市农业农村局配合，2026年底前村务监督委员会健全率达到90%以上。

四、保障措施
各地要加强组织领导，确保各项任务落到实处。
"""
HEDONG, HEXI = "339801000000", "339802000000"
# township code -> (county, township, lower-left corner, [villages])
TOWNS = {
    "339801001000": ("河东区", "东关街道", (121.0, 29.0), ["东门村", "南关村"]),
    "339801002000": ("河东区", "柳林镇", (121.1, 29.0), ["柳林村", "杨庄村"]),
    "339802001000": ("河西县", "西岭镇", (121.0, 29.1), ["西岭村", "石桥村"]),
    "339802002000": ("河西县", "白沙乡", (121.1, 29.1), ["白沙村", "渡口村"]),
}
VILLAGE_HEADER = ["县(市、区)", "乡镇(街道)", "村(社区)", "法律明白人数", "小微权力清单已建立", "纪检委员已配备",
                  "三务公开本月按时公开", "村务监督委员会健全", "问题线索发现数", "问题线索查处数", "问题线索通报曝光数",
                  "矛盾纠纷受理数", "矛盾纠纷化解数"]
# village -> (法律明白人, 小微权力清单, 村务监督委员会健全): 5 of 8 have at least 2, 6 of 8 a list, 4 of 8 a committee
VALUES = {"东门村": (2, "是", "是"), "南关村": (3, "是", "是"), "柳林村": (1, "是", "否"), "杨庄村": (2, "否", "否"),
          "西岭村": (0, "是", "是"), "石桥村": (2, "是", "否"), "白沙村": (2, "否", "是"), "渡口村": (1, "是", "否")}


def _villages():
    for town, (county, township, (x, y), names) in TOWNS.items():
        for i, name in enumerate(names, 1):
            yield f"{town[:9]}{i:03d}", county, township, name, round(x + 0.03 + 0.04 * (i - 1), 3), y + 0.05


def _square(x: float, y: float, w: float = 0.1) -> list:
    return [[[x, y], [x + w, y], [x + w, y + 0.1], [x, y + 0.1], [x, y]]]


def _files(tmp_path) -> dict[str, str]:
    """The city's files, as its staff would hand them in."""
    def write(name: str, data: bytes) -> str:
        (tmp_path / name).write_bytes(data)
        return str(tmp_path / name)

    def roster(county: str) -> bytes:  # a roster per county, as each county keeps its own
        return sheet_xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "经度", "纬度"],
                          [[c, t, n, code, lon, lat] for code, c, t, n, lon, lat in _villages() if c == county])
    counties = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"区划代码": HEDONG, "名称": "河东区"},
         "geometry": {"type": "Polygon", "coordinates": _square(121.0, 29.0, 0.2)}},
        {"type": "Feature", "properties": {"区划代码": HEXI, "名称": "河西县"},
         "geometry": {"type": "Polygon", "coordinates": _square(121.0, 29.1, 0.2)}}]}
    townships = {"type": "FeatureCollection", "features": [  # DataV style: 9-digit adcodes
        {"type": "Feature", "properties": {"adcode": int(code[:9]), "name": township},
         "geometry": {"type": "Polygon", "coordinates": _square(*corner)}}
        for code, (_, township, corner, _) in TOWNS.items()]}
    village_rows = [[c, t, n, VALUES[n][0], VALUES[n][1], "是", "是", VALUES[n][2], 0, 0, 0, 1, 1]
                    for _, c, t, n, _, _ in _villages()]
    ledger = [["河东区", "东关街道", "东门村", "市级", "已建成", 2026, None],
              ["河东区", "柳林镇", "柳林村", "县级", "创建中", 2026, None],
              ["河西县", "西岭镇", "石桥村", "市级", "已验收命名", 2026, "2026-09-30"]]
    brands = [["河东区", "河东清风", "村务监督", "已形成"], ["河西县", "西岭廉韵", "家风建设", "培育中"]]
    measure = ["措施序号", "责任单位", "推进状态", "完成进度(%)", "本月进展", "填报人"]
    return {
        "plan": write("河川市清廉村居建设实施方案.txt", PLAN.encode("utf-8")),
        "roster_hedong": write("河东区村级名录.xlsx", roster("河东区")),
        "roster_hexi": write("河西县村级名录.xlsx", roster("河西县")),
        "counties": write("县界.geojson", json.dumps(counties, ensure_ascii=False).encode()),
        "townships": write("乡镇界.geojson", json.dumps(townships, ensure_ascii=False).encode()),
        "village_monthly": write("村级指标月报.xlsx", sheet_xlsx(VILLAGE_HEADER, village_rows)),
        "demo_sites": write("示范点台账.xlsx", sheet_xlsx(
            ["县(市、区)", "乡镇(街道)", "村(社区)", "示范点级别", "创建状态", "创建年度", "验收日期"], ledger)),
        "county_brands": write("特色品牌.xlsx", sheet_xlsx(["县(市、区)", "品牌名称", "品牌简介", "品牌状态"], brands)),
        "jiwei": write("市纪委监委措施月报.xlsx", sheet_xlsx(measure, [[1, "市纪委监委", "推进中", 40, "已编制清单", "李青"]])),
        "sifa": write("市司法局措施月报.xlsx", sheet_xlsx(measure, [[2, "市司法局", "推进中", 30, "已培训", "周明"]])),
    }


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The store after the administrator's first month, every step through the `qinglian` command line."""
    tmp_path = tmp_path_factory.mktemp("hechuan")
    url = f"sqlite:///{tmp_path / 'hechuan.db'}"
    period = months.previous(months.now().strftime("%Y-%m"))  # the month just ended
    files = _files(tmp_path)
    env = {"QINGLIAN_DB_URL": url}
    steps = [
        ("plan", "load", files["plan"]),
        ("import", files["roster_hedong"], files["roster_hexi"], "--kind", "roster", "--period", period),
        ("import", files["counties"], "--kind", "boundaries", "--level", "county"),
        ("import", files["townships"], "--kind", "boundaries", "--level", "township"),
        ("import", files["village_monthly"], "--kind", "village_monthly", "--period", period),
        ("import", files["demo_sites"], "--kind", "demo_sites", "--period", period),
        ("import", files["county_brands"], "--kind", "county_brands", "--period", period),
        ("import", files["jiwei"], "--kind", "measure_progress", "--period", period, "--unit", "市纪委监委"),
        ("import", files["sifa"], "--kind", "measure_progress", "--period", period, "--unit", "市司法局"),
    ]
    for step in steps:
        out = run(*step, env=env)
        assert out.returncode == 0, (step, out.stdout.decode(), out.stderr.decode())
    return url, period


def _page(url: str, page: str, monkeypatch):
    monkeypatch.setenv("QINGLIAN_DB_URL", url)
    at = app(90).run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert not any("演示数据" in w.value for w in at.warning)  # no demo banner
    return at


def _texts(at) -> str:
    parts = [e.value for kind in (at.markdown, at.caption, at.info, at.warning, at.success, at.title, at.subheader)
             for e in kind]
    parts += [m.label + str(m.value) for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(str(p) for p in parts).replace("\\", "")


OWN = {"pages/overview.py": "河东区", "pages/map.py": "河西县", "pages/targets.py": "河东区",
       "pages/accountability.py": "市纪委监委", "pages/plan.py": "河川市清廉村居建设实施方案", "pages/upload.py": "河西县",
       "pages/meeting.py": "数据截至 {month}", "pages/audit.py": "河川市清廉村居建设实施方案.txt"}  # one of its own names each
PAGES = list(OWN)


def test_the_store_holds_the_city_and_nothing_of_the_demo(city):
    url, period = city
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM regions WHERE is_demo")).scalar() == 0
            assert conn.execute(text("SELECT COUNT(*) FROM uploads WHERE is_demo")).scalar() == 0
            names = dict(conn.execute(text("SELECT level, COUNT(*) FROM regions GROUP BY level")).all())
            assert (names["county"], names["township"], names["village"]) == (2, 4, 8)
            outlined = conn.execute(text("SELECT COUNT(*) FROM regions WHERE boundary IS NOT NULL")).scalar()
            assert outlined == 6  # 2 counties + 4 townships
            kinds = {k for (k,) in conn.execute(text("SELECT DISTINCT kind FROM uploads WHERE active"))}
            assert kinds == {"roster", "boundaries", "village_monthly", "demo_sites", "county_brands", "measure_progress"}
            active = conn.execute(text("SELECT title FROM plans WHERE active")).scalar()
            assert active == "河川市清廉村居建设实施方案"
    finally:
        engine.dispose()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_city_not_the_demo(city, page, monkeypatch):
    url, period = city
    at = _page(url, page, monkeypatch)
    shown = _texts(at)
    assert OWN[page].format(month=months.label(period)) in shown
    assert "清源" not in shown and "演示" not in shown  # not one name or word of the generated demo city


def test_the_overview_shows_the_citys_own_figures(city, monkeypatch):
    url, period = city
    at = _page(url, "pages/overview.py", monkeypatch)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["乡镇示范点覆盖率"] == "50.0%"  # 东关街道 (已建成) and 西岭镇 (已验收命名) of 4; 柳林镇 only 创建中
    assert tiles["法律明白人≥2名的村占比"] == "62.5%"  # 5 of 8 villages have at least the plan's 2
    assert tiles["小微权力清单覆盖率"] == "75.0%"  # 6 of 8
    assert tiles["村务监督委员会健全的村占比"] == "50.0%"  # 4 of 8
    assert tiles["县级特色品牌覆盖率"] == "50.0%"  # 河东区 已形成, 河西县 培育中
    assert list(tiles)[-2:] == ["本月报送完整率", "措施推进"] and len(tiles) == 7
    ranking = next(d.value for d in at.dataframe if "名次" in d.value.columns)
    assert sorted(ranking["县(市、区)"]) == ["河东区", "河西县"]
    assert dict(zip(ranking["县(市、区)"], ranking["覆盖率(%)"])) == {"河东区": "50", "河西县": "50"}


def test_the_map_draws_the_citys_outlines_and_villages(city, monkeypatch):
    url, _ = city
    at = _page(url, "pages/map.py", monkeypatch)
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    county_rings = sorted(json.dumps(row["polygon"]) for row in layers["counties"]["data"])
    assert len(county_rings) == 2 and all("121.0" in r or "121" in r for r in county_rings)
    town_tips = " ".join(json.dumps(row, ensure_ascii=False) for row in layers["townships"]["data"])
    for township in ("东关街道", "柳林镇", "西岭镇", "白沙乡"):
        assert township in town_tips
    dots = " ".join(json.dumps(row, ensure_ascii=False) for layer in deck["layers"] for row in layer.get("data", [])
                    if isinstance(row, dict))
    for village in VALUES:
        assert village in dots
    assert not any("尚未导入" in i.value for i in [*at.info, *at.caption, *at.warning])  # no layer missing


def test_the_targets_and_the_accountability_follow_the_citys_plan(city, monkeypatch):
    url, _ = city
    at = _page(url, "pages/targets.py", monkeypatch)
    control = at.get("segmented_control")[0]
    assert [o.content for o in control.proto.options] == [
        "乡镇示范点覆盖率", "法律明白人≥2名的村占比", "小微权力清单覆盖率", "村务监督委员会健全的村占比", "县级特色品牌覆盖率"]
    assert any("方案节点:2026年12月31日前 50%、2027年12月31日前 80%" in c.value.replace("\\", "") for c in at.caption)
    at = _page(url, "pages/accountability.py", monkeypatch)
    shown = _texts(at)
    for unit in ("市纪委监委", "市司法局", "市民政局"):
        assert unit in shown
    for measure in ("推行小微权力清单", "培育法律明白人", "健全村务监督"):
        assert measure in shown
