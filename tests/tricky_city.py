"""清溪市: a small city written by hand, with the months real cities have — not the demo generator.

Three counties, eight townships, nineteen villages, four months (2023-10 … 2024-01), every upload made through
the intake at its own moment (Beijing time):

* 甲县 reports everything; its November village file is corrected on 2024-02-10 — after December's cut-off
  (2024-01-31), before January's (2024-02-29); its January ledger is replaced by a wrong one and restored;
  its township coverage is 2/5 = 40 % at the 40 % milestone of 2023-12-31, exactly.
* 乙县 merges 乙二村 into 乙一村 from 2023-12 (roster of 2023-12-15); sends a partial December file (3 of its
  5 villages, confirmed); its January ledger demotes its only built site; it sends no January village file.
* 丙县 uploads its roster and never reports anything else.
* Lead units: 市民政局 every month from November, January in .xlsx with "1" typed in a progress cell;
  市司法局 December late (2024-01-20), January as a CSV with "1"; 市委组织部 November and December only;
  市生态环境局 reports measure 8 已完成 at 100 % in November and, needing no further report, stops;
  the other lead units never report.

Nothing here is computed by the code under test: the expected figures live, written by hand, in
tests/test_tricky_city.py.
"""

from __future__ import annotations

from datetime import datetime

import time_machine

from dashboard import intake, months
from dashboard.catalog import ready
from dashboard.store import make_engine
from tests.apptest import ADMIN
from tests.intake_fixtures import sheet_xlsx

JIA, YI, BING = "330101000000", "330102000000", "330103000000"
COUNTY_NAMES = {JIA: "甲县", YI: "乙县", BING: "丙县"}
# county -> [(township code, township, [(village code suffix, village)])]
TOWNS = {
    JIA: [("001", "甲一镇", ["甲一村", "甲二村", "甲三村"]), ("002", "甲二镇", ["甲四村", "甲五村", "甲六村"]),
          ("003", "甲三镇", ["甲七村", "甲八村"]), ("004", "甲四镇", ["甲九村"]), ("005", "甲五镇", ["甲十村"])],
    YI: [("001", "乙一镇", ["乙一村", "乙二村", "乙三村"]), ("002", "乙二镇", ["乙四村", "乙五村", "乙六村"])],
    BING: [("001", "丙一镇", ["丙一村", "丙二村", "丙三村"])],
}
MONTHS = ("2023-10", "2023-11", "2023-12", "2024-01")
FIRST_MONTH_NOW = datetime(2023, 11, 10, 9, 0)  # the city after its first month: rosters and village files only
NOW = datetime(2024, 3, 10, 9, 0)  # when the finished city is looked at: every deadline and cut-off has passed

VILLAGE_HEADER = ["县(市、区)", "乡镇(街道)", "村(社区)", "法律明白人数", "小微权力清单已建立", "纪检委员已配备",
                  "三务公开本月按时公开", "村务监督委员会健全", "问题线索发现数", "问题线索查处数", "问题线索通报曝光数",
                  "矛盾纠纷受理数", "矛盾纠纷化解数"]
MEASURE_HEADER = ["措施序号", "责任单位", "推进状态", "完成进度(%)", "本月进展", "填报人"]
LEDGER_HEADER = ["县(市、区)", "乡镇(街道)", "村(社区)", "示范点级别", "创建状态", "创建年度", "验收日期"]


def villages(county: str) -> list[tuple[str, str, str]]:
    """(code, township, village) of a county, in code order."""
    return [(f"{county[:6]}{town}{i:03d}", town_name, name)
            for town, town_name, names in TOWNS[county] for i, name in enumerate(names, 1)]


def code_of(name: str) -> str:
    return next(code for county in TOWNS for code, _, village in villages(county) if village == name)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=months.zone())


def _csv(header: list[str], rows: list[list]) -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def roster_file(county: str, marks: dict[str, tuple[str, str, str | None]] | None = None) -> bytes:
    """The county's roster; ``marks``: village -> (撤销/合并, month, merged into village)."""
    marks = marks or {}
    rows = []
    for i, (code, town, name) in enumerate(villages(county)):
        change, month, into = marks.get(name, (None, None, None))
        east = 0.1 * list(TOWNS).index(county)  # counties side by side
        rows.append([COUNTY_NAMES[county], town, name, code, 120.1 + east + 0.01 * (i % 4), 30.2 + 0.01 * (i // 4), None,
                     change, month, code_of(into) if into else None])
    return sheet_xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "经度", "纬度", "坐标系", "撤并情况",
                  "撤并生效月份", "并入村区划代码"], rows)


def village_file(county: str, legal: int, micro: int, disc: int, only: list[str] | None = None) -> bytes:
    """A village monthly file: the first ``legal`` villages have 3 法律明白人 (the others 1), the first
    ``micro`` a 小微权力清单, the first ``disc`` a 纪检委员 — counted over the villages in the file."""
    chosen = [(town, name) for _, town, name in villages(county) if only is None or name in only]
    rows = [[COUNTY_NAMES[county], town, name, 3 if i < legal else 1, "是" if i < micro else "否",
             "是" if i < disc else "否", "是", "是", 0, 0, 0, 1, 1] for i, (town, name) in enumerate(chosen)]
    return sheet_xlsx(VILLAGE_HEADER, rows)


def ledger_file(county: str, sites: dict[str, str]) -> bytes:
    """A demo-site ledger: village -> status (城级 市级, year 2023)."""
    rows = []
    for _, town, name in villages(county):
        if name in sites:
            status = sites[name]
            rows.append([COUNTY_NAMES[county], town, name, "市级", status, 2023,
                         "2023-11-20" if status == "已验收命名" else None])
    return sheet_xlsx(LEDGER_HEADER, rows)


def measure_rows(unit: str, items: list[tuple[int, str, object]]) -> list[list]:
    return [[number, unit, status, progress, "按计划推进", "张敏"] for number, status, progress in items]


ORGANISATION = [1, 2, 3, 4, 7]


def events() -> list[tuple[str, str, dict]]:
    """(moment, action, arguments) in the order they happened."""
    out = []

    def upload(when, kind, period, scope, data, name, user="王芳", partial=False):
        out.append((when, "upload", {"kind": kind, "period": period, "scope": scope, "data": data, "name": name,
                                     "user": user, "partial": partial}))

    for county in (JIA, YI, BING):
        upload("2023-10-20 10:00", "roster", "2023-10", county, roster_file(county), f"{COUNTY_NAMES[county]}名录.xlsx")
    upload("2023-11-03 10:00", "village_monthly", "2023-10", JIA, village_file(JIA, 4, 6, 5), "甲县10月.xlsx")
    upload("2023-11-04 10:00", "village_monthly", "2023-10", YI, village_file(YI, 2, 3, 2), "乙县10月.xlsx")
    # November
    upload("2023-12-02 10:00", "village_monthly", "2023-11", JIA, village_file(JIA, 5, 8, 9), "甲县11月.xlsx")
    upload("2023-12-03 10:00", "demo_sites", "2023-11", JIA,
           ledger_file(JIA, {"甲一村": "已建成", "甲四村": "已验收命名", "甲七村": "创建中"}), "甲县台账11月.xlsx")
    upload("2023-12-03 11:00", "county_brands", "2023-11", JIA,
           sheet_xlsx(["县(市、区)", "品牌名称", "品牌简介", "品牌状态"], [["甲县", "甲县清风家园", "村务监督", "已形成"]]),
           "甲县品牌.xlsx")
    upload("2023-12-04 10:00", "demo_sites", "2023-11", YI, ledger_file(YI, {"乙一村": "已建成"}), "乙县台账11月.xlsx")
    upload("2023-12-04 11:00", "measure_progress", "2023-11", "市民政局",
           sheet_xlsx(MEASURE_HEADER, measure_rows("市民政局", [(5, "推进中", 25), (6, "推进中", 20)])), "民政局11月.xlsx")
    upload("2023-12-04 12:00", "measure_progress", "2023-11", "市委组织部",
           sheet_xlsx(MEASURE_HEADER, measure_rows("市委组织部", [(n, "推进中", 30) for n in ORGANISATION])), "组织部11月.xlsx")
    upload("2023-12-04 13:00", "measure_progress", "2023-11", "市生态环境局",
           sheet_xlsx(MEASURE_HEADER, measure_rows("市生态环境局", [(8, "已完成", 100)])), "生态环境局11月.xlsx")
    upload("2023-12-05 23:00", "village_monthly", "2023-11", YI, village_file(YI, 3, 4, 2), "乙县11月.xlsx")
    # 乙二村 merged into 乙一村 from December
    upload("2023-12-15 10:00", "roster", "2023-12", YI, roster_file(YI, {"乙二村": ("合并", "2023-12", "乙一村")}),
           "乙县名录(撤并).xlsx")
    # December
    upload("2024-01-04 10:00", "village_monthly", "2023-12", JIA, village_file(JIA, 7, 9, 10), "甲县12月.xlsx")
    upload("2024-01-04 11:00", "measure_progress", "2023-12", "市民政局",
           sheet_xlsx(MEASURE_HEADER, measure_rows("市民政局", [(5, "推进中", 35), (6, "推进中", 30)])), "民政局12月.xlsx")
    upload("2024-01-05 10:00", "measure_progress", "2023-12", "市委组织部",
           sheet_xlsx(MEASURE_HEADER, measure_rows("市委组织部", [(n, "推进中", 40) for n in ORGANISATION])), "组织部12月.xlsx")
    upload("2024-01-05 15:00", "village_monthly", "2023-12", YI,
           village_file(YI, 2, 3, 1, only=["乙一村", "乙三村", "乙四村"]), "乙县12月(部分).xlsx", partial=True)
    upload("2024-01-20 10:00", "measure_progress", "2023-12", "市司法局",
           sheet_xlsx(MEASURE_HEADER, measure_rows("市司法局", [(10, "推进中", 25)])), "司法局12月(迟报).xlsx")
    # January
    upload("2024-02-02 10:00", "demo_sites", "2024-01", JIA,
           ledger_file(JIA, {"甲一村": "已建成", "甲四村": "已验收命名", "甲七村": "已建成"}), "甲县台账1月.xlsx")
    upload("2024-02-03 10:00", "demo_sites", "2024-01", YI, ledger_file(YI, {"乙一村": "创建中"}), "乙县台账1月.xlsx")
    upload("2024-02-03 11:00", "measure_progress", "2024-01", "市民政局",
           sheet_xlsx(MEASURE_HEADER, measure_rows("市民政局", [(5, "推进中", 1), (6, "推进中", 40)])), "民政局1月.xlsx")
    upload("2024-02-04 10:00", "demo_sites", "2024-01", JIA, ledger_file(JIA, {"甲一村": "已建成", "甲四村": "创建中"}),
           "甲县台账1月(误传).xlsx", user="赵强")
    upload("2024-02-04 11:00", "measure_progress", "2024-01", "市司法局",
           _csv(MEASURE_HEADER, measure_rows("市司法局", [(10, "推进中", 1)])), "司法局1月.csv")
    upload("2024-02-05 20:00", "village_monthly", "2024-01", JIA, village_file(JIA, 8, 10, 10), "甲县1月.xlsx")
    out.append(("2024-02-06 09:00", "restore", {"kind": "demo_sites", "period": "2024-01", "scope": JIA,
                                                "file": "甲县台账1月.xlsx"}))
    # 甲县 corrects November after December's cut-off
    upload("2024-02-10 10:00", "village_monthly", "2023-11", JIA, village_file(JIA, 6, 8, 9), "甲县11月(更正).xlsx")
    return out


def build(url: str, until: datetime = NOW):
    """The store at ``url`` with every event up to ``until`` (Beijing time); returns its engine."""
    engine = make_engine(url)
    ready(engine)
    ids: dict[str, int] = {}
    limit = until.replace(tzinfo=months.zone())
    for when, action, args in events():
        moment = _moment(when)
        if moment > limit:
            break
        with time_machine.travel(moment, tick=False):
            if action == "restore":
                intake.restore(engine, ids[args["file"]], who=ADMIN)
                continue
            preview = intake.prepare(engine, args["data"], args["name"], args["kind"], args["period"], args["scope"], who=ADMIN)
            assert preview.ok, (args["name"], [i.text() for i in preview.errors])
            ids[args["name"]] = intake.commit(engine, preview, allow_partial=args["partial"], who=ADMIN)
    return engine
