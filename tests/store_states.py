"""Stores in the states a real city passes through before the demo-like "everything reported" month.

``empty`` (just set up: schema and the shipped plan), ``roster`` (a county's roster uploaded),
``first_month`` (plus this month's village reports only). Everything goes through the upload path.
"""

from __future__ import annotations

from dashboard import intake, months
from dashboard.catalog import ready
from dashboard.store import make_engine
from tests.apptest import ADMIN
from tests.intake_fixtures import sheet_xlsx

COUNTY, CODE = "东城区", "450101000000"
TOWNS = {"450101001000": "东镇", "450101002000": "西镇"}
VILLAGES = [("450101001001", "东镇", "东一村"), ("450101001002", "东镇", "东二村"),
            ("450101002001", "西镇", "西一村"), ("450101002002", "西镇", "西二村")]
STATES = ("empty", "roster", "first_month")
PERIOD = months.this_month()


def _upload(engine, data: bytes, kind: str, name: str) -> None:
    preview = intake.prepare(engine, data, name, kind, PERIOD, CODE, who=ADMIN)
    assert preview.ok, [i.text() for i in preview.errors]
    intake.commit(engine, preview, who=ADMIN)


def build(url: str, state: str):
    """The store at ``url`` brought to ``state``; returns its engine."""
    engine = make_engine(url)
    ready(engine)
    if state in ("roster", "first_month"):
        rows = [[COUNTY, town, name, code, 108.3 + 0.01 * i, 22.8] for i, (code, town, name) in enumerate(VILLAGES)]
        _upload(engine, sheet_xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "经度", "纬度"], rows), "roster", "名录.xlsx")
    if state == "first_month":
        _upload(engine, monthly_file(3), "village_monthly", "月报.xlsx")
    return engine


def monthly_file(legal: int) -> bytes:
    """This month's village report of the county: every village with ``legal`` 法律明白人 and every "是"."""
    rows = [[COUNTY, town, name, legal, "是", "是", "是", "是", 0, 0, 0, 0, 0] for _, town, name in VILLAGES]
    return sheet_xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "法律明白人数", "小微权力清单已建立", "纪检委员已配备",
                       "三务公开本月按时公开", "村务监督委员会健全", "问题线索发现数", "问题线索查处数",
                       "问题线索通报曝光数", "矛盾纠纷受理数", "矛盾纠纷化解数"], rows)
