"""The pages on a real city's months (tests/tricky_city.py), against figures written by hand.

Every expected value below was worked out on paper from the events of tests/tricky_city.py; nothing is taken
from the code under test. Straight-path values used (plan start 2023-01-01):
  township coverage  2023-12-31 → 40.0 (the milestone); 2024-01-31 → 40 + 30·31/366 = 42.5
  villages ≥3 法律明白人 (100 % by 2025-12-31) and every measure (100 % by 2025-12-31):
                     2023-12-31 → 100·364/1095 = 33.2;  2024-01-31 → 100·395/1095 = 36.1
  小微权力清单 / 纪检委员 (100 % by 2024-12-31): 2023-12-31 → 100·364/730 = 49.9; 2024-01-31 → 54.1
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import time_machine
from streamlit.testing.v1 import AppTest

from dashboard import months
from tests.apptest import app, open_sources
from tests.tricky_city import FIRST_MONTH_NOW, JIA, NOW, build

DEC, JAN = "2023-12", "2024-01"


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('tricky') / 'city.db'}"
    build(url).dispose()
    return url


@pytest.fixture(scope="module")
def first_month(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('tricky_first') / 'city.db'}"
    build(url, until=FIRST_MONTH_NOW).dispose()
    return url


def _open(url: str, monkeypatch, page: str, month: str | None = None, now: datetime = NOW) -> AppTest:
    monkeypatch.setenv("QINGLIAN_DB_URL", url)
    with time_machine.travel(now.replace(tzinfo=months.zone()), tick=True):
        at = app(60)
        if month:
            at.query_params["month"] = month
        at.run()
        if page != "pages/overview.py":
            at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _frame(at: AppTest, first_column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column]
                or first_column in d.value.columns)


def _tiles(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta or None) for m in at.metric}


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


# --- 总览 -----------------------------------------------------------------------------------------

OVERVIEW = {
    DEC: {
        "tiles": {
            # 3 of 8 townships (甲 2/5 from its November ledger, 乙 1/2, 丙 none); November the same
            "乡镇示范点覆盖率": ("37.5%", "+0.0 个百分点(较上月)"),
            # December: (甲 7 + 乙 2) / 18 villages (乙二村 merged away); November as it stood at December's
            # cut-off — 甲's correction came later: (5 + 3) / 19 = 42.1
            "法律明白人≥3名的村占比": ("50.0%", "+7.9 个百分点(较上月)"),
            "小微权力清单覆盖率": ("66.7%", "+3.5 个百分点(较上月)"),  # (9+3)/18 vs (8+4)/19 = 63.2
            "纪检委员配备率": ("61.1%", "+3.2 个百分点(较上月)"),  # (10+1)/18 vs (9+2)/19 = 57.9
            # 4 of 12 (生态环境局 finished measure 8 in November: no longer expected): 甲 village file, 民政局,
            # 组织部, 司法局 (late)
            "本月报送完整率": ("33.3%", None),
            "措施推进": ("红灯 5 项", None),  # 9, 11, 12, 13 never reported; 14 has no lead unit
        },
        "unreported": ["其中 1 个乡镇未报送", "其中 5 个村未报送"],
        "ranking": [(1, "乙县", "50", "绿灯", "—", "1/2"), (2, "甲县", "40", "绿灯", "—", "2/5"),
                    (None, "丙县", "—", "未报送", "—", "0/1")],
        "behind": [9, 11, 12, 13, 14],
    },
    JAN: {
        "tiles": {
            # 甲's restored ledger: 3/5; 乙's ledger demotes its only built site: 0/2 (not its old 1/2)
            "乡镇示范点覆盖率": ("37.5%", "+0.0 个百分点(较上月)"),
            "法律明白人≥3名的村占比": ("44.4%", "-5.6 个百分点(较上月)"),  # 8/18 vs 9/18
            "小微权力清单覆盖率": ("55.6%", "-11.1 个百分点(较上月)"),  # 10/18 vs 12/18
            "纪检委员配备率": ("55.6%", "-5.5 个百分点(较上月)"),  # 10/18 vs 11/18
            "本月报送完整率": ("41.7%", None),  # 5 of 12: 甲 village file and ledger, 乙 ledger, 民政局, 司法局
            "措施推进": ("红灯 7 项", None),  # 5 and 10 at 1 %, 9, 11, 12, 13, 14
        },
        "unreported": ["其中 1 个乡镇未报送", "其中 8 个村未报送"],
        "ranking": [(1, "甲县", "60", "绿灯", "↑1", "3/5"), (2, "乙县", "0", "红灯", "↓1", "0/2"),
                    (None, "丙县", "—", "未报送", "—", "0/1")],
        "behind": [9, 11, 12, 13, 14],
    },
}


@pytest.mark.parametrize("month", [DEC, JAN])
def test_overview(city, monkeypatch, month):
    at = _open(city, monkeypatch, "pages/overview.py", month)
    want = OVERVIEW[month]
    assert f"数据截至 {int(month[:4])}年{int(month[5:])}月" in _captions(at)
    assert {k: v for k, v in _tiles(at).items() if k in want["tiles"]} == want["tiles"]
    for sentence in want["unreported"]:
        assert sentence in _captions(at)
    ranking = _frame(at, "名次")
    got = [(None if r["名次"] == "—" else int(r["名次"]), r["县(市、区)"], r["覆盖率(%)"], r["亮灯"], r["较上月"],
            r["已覆盖/乡镇数"]) for _, r in ranking.iterrows()]
    assert got == want["ranking"]
    behind = next(d.value for d in at.dataframe if "灯号说明" in d.value.columns)
    assert [int(n) for n in behind["序号"]] == want["behind"]


def test_first_month_overview(first_month, monkeypatch):
    at = _open(first_month, monkeypatch, "pages/overview.py", now=FIRST_MONTH_NOW)
    assert "数据截至 2023年10月" in _captions(at)
    tiles = _tiles(at)
    assert tiles["乡镇示范点覆盖率"] == ("未报送", None)  # no ledger yet: neither 0 % nor a rank
    assert tiles["法律明白人≥3名的村占比"][0] == "31.6%"  # (甲 4 + 乙 2) / 19
    assert tiles["小微权力清单覆盖率"][0] == "47.4%"  # (6 + 3) / 19
    assert tiles["纪检委员配备率"][0] == "36.8%"  # (5 + 2) / 19
    assert tiles["本月报送完整率"][0] == "15.4%"  # 2 of 13
    assert tiles["措施推进"][0] == "红灯 14 项"
    assert "其中 3 个村未报送" in _captions(at)
    assert any("2023年10月尚无示范点台账、县级特色品牌、措施推进月报" in i.value for i in at.info)
    ranking = _frame(at, "名次")
    assert list(ranking["亮灯"]) == ["未报送"] * 3 and list(ranking["名次"]) == ["—"] * 3


# --- 目标进度 ---------------------------------------------------------------------------------------

TARGETS = {
    DEC: {
        "township_demo_coverage": {
            "heading": "乡镇示范点覆盖率:37.5%  ·  黄灯",  # 2.5 points behind 40.0; the milestone day itself
            "table": [("甲县", 2, 5, "40", 40.0, "绿灯", "2023年11月"),  # exactly on the milestone: green
                      ("乙县", 1, 2, "50", 40.0, "绿灯", "2023年11月"), ("丙县", 0, 1, "—", 40.0, "未报送", "")],
            "gaps": [("甲县", "甲三镇"), ("甲县", "甲四镇"), ("甲县", "甲五镇"), ("乙县", "乙二镇"), ("丙县", "丙一镇")],
            "unreported": "其中 1 个乡镇未报送",
        },
        "legal_persons_coverage": {
            "heading": "法律明白人≥3名的村占比:50.0%  ·  绿灯",
            "table": [("甲县", 7, 10, 0, "70", 33.2, "绿灯"), ("乙县", 2, 5, 2, "40", 33.2, "绿灯"),
                      ("丙县", 0, 3, 3, "—", 33.2, "未报送")],
            "gaps": [("未达标", "甲八村"), ("未达标", "甲九村"), ("未达标", "甲十村"), ("未达标", "乙四村"),
                     ("未报送", "乙五村"), ("未报送", "乙六村"), ("未报送", "丙一村"), ("未报送", "丙二村"),
                     ("未报送", "丙三村")],
            "unreported": "其中 5 个村未报送",
        },
        "micro_power_list_coverage": {
            "heading": "小微权力清单覆盖率:66.7%  ·  绿灯",
            "table": [("甲县", 9, 10, 0, "90", 49.9, "绿灯"), ("乙县", 3, 5, 2, "60", 49.9, "绿灯"),
                      ("丙县", 0, 3, 3, "—", 49.9, "未报送")],
            "gaps": [("未达标", "甲十村"), ("未报送", "乙五村"), ("未报送", "乙六村"), ("未报送", "丙一村"),
                     ("未报送", "丙二村"), ("未报送", "丙三村")],
            "unreported": "其中 5 个村未报送",
        },
        "discipline_member_coverage": {
            "heading": "纪检委员配备率:61.1%  ·  绿灯",
            "table": [("甲县", 10, 10, 0, "100", 49.9, "绿灯"), ("乙县", 1, 5, 2, "20", 49.9, "红灯"),
                      ("丙县", 0, 3, 3, "—", 49.9, "未报送")],
            "gaps": [("未达标", "乙三村"), ("未达标", "乙四村"), ("未报送", "乙五村"), ("未报送", "乙六村"),
                     ("未报送", "丙一村"), ("未报送", "丙二村"), ("未报送", "丙三村")],
            "unreported": "其中 5 个村未报送",
        },
        "county_brand_coverage": {
            "heading": "县级特色品牌覆盖率:33.3%  ·  绿灯",  # 1 of 3 against 33.2
            "table": [("甲县", 1, 1, "100", 33.2, "绿灯", "2023年11月"), ("乙县", 0, 1, "—", 33.2, "未报送", ""),
                      ("丙县", 0, 1, "—", 33.2, "未报送", "")],
            "gaps": [("乙县", "", "未上报"), ("丙县", "", "未上报")],
            "unreported": "其中 2 个县未报送",
        },
    },
    JAN: {
        "township_demo_coverage": {
            "heading": "乡镇示范点覆盖率:37.5%  ·  红灯",  # below the 40 % milestone of 2023-12-31, now past
            "table": [("甲县", 3, 5, "60", 42.5, "绿灯", "2024年1月"), ("乙县", 0, 2, "0", 42.5, "红灯", "2024年1月"),
                      ("丙县", 0, 1, "—", 42.5, "未报送", "")],
            "gaps": [("甲县", "甲四镇"), ("甲县", "甲五镇"), ("乙县", "乙一镇"), ("乙县", "乙二镇"), ("丙县", "丙一镇")],
            "unreported": "其中 1 个乡镇未报送",
        },
        "legal_persons_coverage": {
            "heading": "法律明白人≥3名的村占比:44.4%  ·  绿灯",
            "table": [("甲县", 8, 10, 0, "80", 36.1, "绿灯"), ("乙县", 0, 5, 5, "—", 36.1, "未报送"),
                      ("丙县", 0, 3, 3, "—", 36.1, "未报送")],
            "gaps": [("未达标", "甲九村"), ("未达标", "甲十村"), ("未报送", "乙一村"), ("未报送", "乙三村"),
                     ("未报送", "乙四村"), ("未报送", "乙五村"), ("未报送", "乙六村"), ("未报送", "丙一村"),
                     ("未报送", "丙二村"), ("未报送", "丙三村")],
            "unreported": "其中 8 个村未报送",
        },
    },
}


@pytest.mark.parametrize("month,metric", [(m, k) for m in TARGETS for k in TARGETS[m]])
def test_targets(city, monkeypatch, month, metric):
    at = _open(city, monkeypatch, "pages/targets.py", month)
    at.segmented_control(key="target_metric").set_value(metric).run()
    assert not at.exception
    want = TARGETS[month][metric]
    assert any(want["heading"] in m.value for m in at.markdown), [m.value for m in at.markdown][:5]
    assert want["unreported"] in _captions(at)
    table = _frame(at, "县(市、区)")
    rows = [tuple(r) for r in table.astype(object).where(table.notna(), None).itertuples(index=False)]
    assert [tuple(int(v) if isinstance(v, float) and v.is_integer() and i in (1, 2, 3) else v
                  for i, v in enumerate(r)) for r in rows] == want["table"]
    gaps = next(d.value for d in at.dataframe if d.value.columns[0] in ("情况", "县(市、区)")
                and len(d.value.columns) != len(table.columns))
    if "情况" in gaps.columns:
        assert list(zip(gaps["情况"], gaps["村(社区)"])) == want["gaps"]
    elif "品牌" in gaps.columns:
        assert list(zip(gaps["县(市、区)"], gaps["品牌"], gaps["状态"])) == want["gaps"]
    else:
        assert list(zip(gaps["县(市、区)"], gaps["乡镇(街道)"])) == want["gaps"]


# --- 责任落实 ---------------------------------------------------------------------------------------

ORG = "市委组织部"
MEASURES = {  # 序号 -> (完成进度 as shown, 最近报送, 灯, 灯号说明)
    DEC: {**{n: ("40.0", DEC, "绿灯", "达到应达进度") for n in (1, 2, 3, 4, 7)},
          5: ("35.0", DEC, "绿灯", "达到应达进度"), 6: ("30.0", DEC, "黄灯", "落后应达进度 3.2 个百分点"),
          8: ("100.0", "2023-11", "绿灯", "已完成(2023年11月)"),  # no report since: none needed
          10: ("25.0", DEC, "黄灯", "落后应达进度 8.2 个百分点"),  # reported late, but reported
          **{n: ("—", "—", "红灯", "牵头单位从未报送") for n in (9, 11, 12, 13)},
          14: ("—", "—", "红灯", "未设牵头单位,无法报送")},
    JAN: {**{n: ("40.0", DEC, "黄灯", "迟报 1 个月") for n in (1, 2, 3, 4, 7)},  # January due and not reported
          5: ("1.0", JAN, "红灯", "落后应达进度 35.1 个百分点"),  # "1" typed in an .xlsx progress cell: 1 %
          6: ("40.0", JAN, "绿灯", "达到应达进度"),
          8: ("100.0", "2023-11", "绿灯", "已完成(2023年11月)"),
          10: ("1.0", JAN, "红灯", "落后应达进度 35.1 个百分点"),  # "1" in a CSV: 1 % as well
          **{n: ("—", "—", "红灯", "牵头单位从未报送") for n in (9, 11, 12, 13)},
          14: ("—", "—", "红灯", "未设牵头单位,无法报送")},
}
UNITS = {  # 单位 -> (本月已报(项), 本月未报, 滞后措施); a measure finished earlier counts as reported
    DEC: {ORG: (5, "—", "—"), "市民政局": (2, "—", "—"), "市生态环境局": (1, "—", "—"), "市司法局": (1, "—", "—"),
          "市纪委监委驻市委办公室纪检监察组": (0, "9", "9"), "市委政法委": (0, "11、12", "11、12"),
          "市委宣传部": (0, "13", "13")},
    JAN: {ORG: (0, "1、2、3、4、7", "—"), "市民政局": (2, "—", "5"), "市生态环境局": (1, "—", "—"),
          "市司法局": (1, "—", "10"), "市纪委监委驻市委办公室纪检监察组": (0, "9", "9"),
          "市委政法委": (0, "11、12", "11、12"), "市委宣传部": (0, "13", "13")},
}
LAMPS = {DEC: ("7 项", "2 项", "5 项", "4/7"), JAN: ("2 项", "5 项", "7 项", "3/7")}


@pytest.mark.parametrize("month", [DEC, JAN])
def test_accountability(city, monkeypatch, month):
    at = _open(city, monkeypatch, "pages/accountability.py", month)
    tiles = {label: value for label, (value, _) in _tiles(at).items()}
    label = f"{int(month[:4])}年{int(month[5:])}月已报单位"
    assert (tiles["绿灯"], tiles["黄灯"], tiles["红灯"], tiles[label]) == LAMPS[month]
    measures = next(d.value for d in at.dataframe if "灯号说明" in d.value.columns)
    got = {int(r["序号"]): (r["完成进度(%)"].strip(), r["最近报送"], r["灯"], r["灯号说明"]) for _, r in measures.iterrows()}
    assert got == MEASURES[month]
    units = next(d.value for d in at.dataframe if "本月未报" in d.value.columns)
    got_units = {r["单位"]: (int(r["本月已报(项)"]), r["本月未报"], r["滞后措施"]) for _, r in units.iterrows()
                 if r["牵头措施(项)"] > 0}
    assert got_units == UNITS[month]


def test_first_month_accountability(first_month, monkeypatch):
    at = _open(first_month, monkeypatch, "pages/accountability.py", now=FIRST_MONTH_NOW)
    measures = next(d.value for d in at.dataframe if "灯号说明" in d.value.columns)
    assert list(measures["灯号说明"]) == ["牵头单位从未报送"] * 13 + ["未设牵头单位,无法报送"]
    assert any("2023年10月尚无措施推进月报" in i.value for i in at.info)


# --- 催报 (数据上报 page), 示范点地图 and 数据来源 ------------------------------------------------------

CHASE = {  # the 催报 list of each month as it stands on 2024-03-10: everything not reported on time
    DEC: [("村级指标月报", "乙县", "部分报送(3/5 村)", "2024-01-05 15:00"), ("村级指标月报", "丙县", "未报送", ""),
          ("示范点台账", "甲县", "未报送", ""), ("示范点台账", "乙县", "未报送", ""), ("示范点台账", "丙县", "未报送", ""),
          ("措施推进月报", "市纪委监委驻市委办公室纪检监察组", "未报送", ""),
          ("措施推进月报", "市司法局", "逾期报送", "2024-01-20 10:00"), ("措施推进月报", "市委政法委", "未报送", ""),
          ("措施推进月报", "市委宣传部", "未报送", "")],
    JAN: [("村级指标月报", "乙县", "未报送", ""), ("村级指标月报", "丙县", "未报送", ""), ("示范点台账", "丙县", "未报送", ""),
          ("措施推进月报", ORG, "未报送", ""), ("措施推进月报", "市纪委监委驻市委办公室纪检监察组", "未报送", ""),
          ("措施推进月报", "市委政法委", "未报送", ""), ("措施推进月报", "市委宣传部", "未报送", "")],
}


@pytest.mark.parametrize("month", [DEC, JAN])
def test_reminder_list(city, monkeypatch, month):
    at = _open(city, monkeypatch, "pages/upload.py")
    with time_machine.travel(NOW.replace(tzinfo=months.zone()), tick=True):
        at.selectbox(key="cb_period").set_value(month).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "报送对象" in d.value.columns)
    assert sorted(map(tuple, table.values.tolist())) == sorted(CHASE[month])


def test_map_names_the_townships_without_a_built_site(city, monkeypatch):
    at = _open(city, monkeypatch, "pages/map.py", JAN)
    tiles = {label: value for label, (value, _) in _tiles(at).items()}
    assert tiles["乡镇覆盖率"] == "37.5%"
    gaps = next(d.value for d in at.dataframe if "乡镇(街道)" in d.value.columns)
    assert list(zip(gaps["县(市、区)"], gaps["乡镇(街道)"])) == TARGETS[JAN]["township_demo_coverage"]["gaps"]


SOURCES = {  # what the targets page's figures rest on: superseded and held-back versions never
    DEC: {"甲县12月.xlsx", "乙县12月(部分).xlsx", "甲县台账11月.xlsx", "乙县台账11月.xlsx", "甲县品牌.xlsx"},
    JAN: {"甲县1月.xlsx", "甲县台账1月.xlsx", "乙县台账1月.xlsx", "甲县品牌.xlsx"},
}


def test_a_county_view_lists_only_its_own_sources(city, monkeypatch):
    """With 甲县 chosen, 数据来源 counts and lists 甲县's uploads only — never 乙县's."""
    monkeypatch.setenv("QINGLIAN_DB_URL", city)
    with time_machine.travel(NOW.replace(tzinfo=months.zone()), tick=True):
        at = app(60)
        at.query_params["month"], at.query_params["county"] = DEC, JIA
        at.run()
        at.switch_page("pages/targets.py").run()
        assert "数据来源(共 3 份上报)" in [e.label for e in at.expander]
        open_sources(at)
    sources = next(d.value for d in at.dataframe if "上报时间" in d.value.columns)
    assert sorted(sources["文件"]) == sorted(["甲县12月.xlsx", "甲县台账11月.xlsx", "甲县品牌.xlsx"])
    assert set(sources["范围"]) == {"甲县"}


@pytest.mark.parametrize("month", [DEC, JAN])
def test_sources_are_exactly_what_the_figures_rest_on(city, monkeypatch, month):
    at = _open(city, monkeypatch, "pages/targets.py", month)
    assert f"数据来源(共 {len(SOURCES[month])} 份上报)" in [e.label for e in at.expander]
    with time_machine.travel(NOW.replace(tzinfo=months.zone()), tick=True):
        open_sources(at)
    sources = next(d.value for d in at.dataframe if "上报时间" in d.value.columns)
    assert set(sources["文件"]) == SOURCES[month] and len(sources) == len(SOURCES[month])
