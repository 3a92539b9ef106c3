"""A store whose every name and free-text field carries Markdown, HTML, KaTeX and image-link payloads.

Everything goes in the way users put it in: a roster for a new county, its monthly report, ledger and
brand, a lead unit's measure report, all through ``prepare``/``commit`` with payload file and uploader
names; and a plan whose measure title and lead unit carry payloads too, loaded as a city would.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import intake, months
from dashboard.catalog import load_plan
from dashboard.settings import DEFAULT_PLAN_FILE
from tests.apptest import ADMIN
from tests.intake_fixtures import sheet_xlsx

# Each fragment would render as something other than itself if it reached Markdown unescaped.
DANGEROUS = ("**粗**", "](http://evil.example", "![图]", "<b>标</b>", "$x^2$", ":red[红]", ":smile:")
NAME = "**粗**[链](http://evil.example/a)![图](http://evil.example/i.png)"  # fits a 100-character name
TEXT = NAME + "<b>标</b>$x^2$:red[红]:smile:<img src=http://evil.example/h.png>"
SHORT = "**粗**<b>标</b>$x^2$"  # fits the 40-character 填报人
UNIT_SUFFIX = "**粗**<b>标</b>$x^2$"
TITLE_SUFFIX = "**粗**[链](http://evil.example/a)"
PERIOD = months.this_month()  # this month (Beijing time): its view shows what was uploaded today


@dataclass
class PayloadCity:
    county_code: str
    county: str
    township: str
    villages: list[str]
    unit: str
    measure_title: str


def _upload(engine, data: bytes, kind: str, scope: str, name: str) -> int:
    preview = intake.prepare(engine, data, name, kind, PERIOD, scope, who=ADMIN)
    assert preview.ok, [i.text() for i in preview.errors]
    return intake.commit(engine, preview, who=ADMIN)


def load_payloads(engine) -> PayloadCity:
    """Put the payloads into ``engine`` (a copy of the demo store) and say where they went."""
    text = DEFAULT_PLAN_FILE.read_text(encoding="utf-8")
    text = (text.replace("市司法局", "市司法局" + UNIT_SUFFIX)
            .replace("10.深化法治乡村建设。", f"10.深化法治乡村建设{TITLE_SUFFIX}。")
            .replace("(一)强化党建引领", "(一)强化党建引领" + UNIT_SUFFIX, 1)  # a section title
            .replace("利用XX年一年时间,", f"利用XX年一年时间{UNIT_SUFFIX},", 1))  # a target's source sentence
    load_plan(engine, text, "方案" + SHORT + ".txt")
    villages = intake.village_index(engine).villages
    prefix = str(max(int(v.county_code[:6]) for v in villages) + 1)
    county_code, township_code = prefix + "000000", prefix + "001000"
    county, township = "县" + NAME, "镇" + NAME
    names = [f"村{i}" + NAME for i in range(1, 4)]
    lon, lat = villages[0].lon, villages[0].lat
    roster = [[county, township, name, f"{township_code[:9]}{i:03d}", lon + 0.01 * i, lat]
              for i, name in enumerate(names, start=1)]
    _upload(engine, sheet_xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "经度", "纬度"], roster), "roster",
            county_code, "名录" + NAME + ".xlsx")
    monthly = [[county, township, name, 3, "是", "是", "是", "是", 0, 0, 0, 1, 1] for name in names]
    _upload(engine, sheet_xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "法律明白人数", "小微权力清单已建立", "纪检委员已配备",
                           "三务公开本月按时公开", "村务监督委员会健全", "问题线索发现数", "问题线索查处数",
                           "问题线索通报曝光数", "矛盾纠纷受理数", "矛盾纠纷化解数"], monthly),
            "village_monthly", county_code, "月报" + NAME + ".xlsx")
    _upload(engine, sheet_xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "示范点级别", "创建状态", "创建年度", "品牌亮点"],
                          [[county, township, names[0], "县级", "已建成", 2026, TEXT]]),
            "demo_sites", county_code, "台账" + NAME + ".xlsx")
    _upload(engine, sheet_xlsx(["县(市、区)", "品牌名称", "品牌简介", "品牌状态"], [[county, NAME, TEXT, "已形成"]]),
            "county_brands", county_code, "品牌" + NAME + ".xlsx")
    unit = "市司法局" + UNIT_SUFFIX
    _upload(engine, sheet_xlsx(["措施序号", "责任单位", "推进状态", "完成进度(%)", "本月进展", "存在问题", "下步计划", "填报人"],
                          [[10, unit, "推进中", 40, TEXT, TEXT, TEXT, SHORT]]),
            "measure_progress", unit, "措施" + NAME + ".xlsx")
    return PayloadCity(county_code, county, township, names, unit, "深化法治乡村建设" + TITLE_SUFFIX)
