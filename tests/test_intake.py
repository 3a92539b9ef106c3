"""Intake behaviours beyond the bad-input battery: roster coordinates, restore, history, 催报, exports."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pandas as pd
from coord_convert.transform import gcj2wgs
from sqlalchemy import func, select, text

from dashboard import completeness, exports, facts, intake, models, queries
from dashboard.accounts import Account
from loaders.cells import neutralise
from tests.apptest import ADMIN


def _xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _commit(engine, data: bytes, kind: str, period: str, scope: str, user: str = "测试") -> int:
    preview = intake.prepare(engine, data, "f.xlsx", kind, period, scope, who=ADMIN)
    assert preview.ok, [i.text() for i in preview.errors]
    return intake.commit(engine, preview, who=ADMIN)


def test_roster_converts_gcj02_to_wgs84_and_adds_a_village_and_township(demo_store):
    code, name = next(iter(queries.counties(demo_store).items()))
    village = next(v for v in intake.village_index(demo_store).villages if v.county_code == code)
    new_code = code[:6] + "999001"  # a new township 999 with village 001
    data = _xlsx([
        ["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "经度", "纬度", "坐标系"],
        [name, village.township, village.name, village.code, 108.5, 23.5, "GCJ-02"],
        [name, "新设镇", "新设村", new_code, 108.6, 23.6, "WGS-84"],
    ])
    preview = intake.prepare(demo_store, data, "名录.xlsx", "roster", "2026-01", code, who=ADMIN)
    assert preview.ok and preview.diff["added"] == 1 and preview.diff["changed"] == 1
    intake.commit(demo_store, preview, who=ADMIN)
    with demo_store.connect() as conn:
        lon, lat = conn.execute(select(models.Region.lon, models.Region.lat)
                                .where(models.Region.code == village.code)).one()
        township = conn.execute(select(models.Region.name, models.Region.level)
                                .where(models.Region.code == code[:6] + "999000")).one()
        parent = conn.scalar(select(models.Region.parent_code).where(models.Region.code == new_code))
    expected = gcj2wgs(108.5, 23.5)
    assert (lon, lat) == (round(expected[0], 6), round(expected[1], 6))
    assert tuple(township) == ("新设镇", "township") and parent == code[:6] + "999000"
    assert intake.check_store(demo_store) == []


def test_restore_brings_back_an_earlier_version(demo_store):
    code, name = next(iter(queries.counties(demo_store).items()))
    villages = [v for v in intake.village_index(demo_store).villages if v.county_code == code][:3]

    def ledger(status: str) -> bytes:
        rows = [["县(市、区)", "乡镇(街道)", "村(社区)", "示范点级别", "创建状态", "创建年度", "验收日期"]]
        rows += [[v.county, v.township, v.name, "县级", status, 2026, "2026年1月20日"] for v in villages]
        return _xlsx(rows)

    first_file = ledger("已验收命名")
    first = _commit(demo_store, first_file, "demo_sites", "2026-01", code)
    second = _commit(demo_store, ledger("创建中"), "demo_sites", "2026-01", code)
    records = intake.active_records(demo_store, "demo_sites", "2026-01", code)
    assert {r["status"] for r in records.values()} == {"创建中"}
    intake.restore(demo_store, first, who=Account("wangfang", "王芳", "admin"))
    records = intake.active_records(demo_store, "demo_sites", "2026-01", code)
    assert {r["status"] for r in records.values()} == {"已验收命名"}
    assert {r["accepted_on"] for r in records.values()} == {date(2026, 1, 20)}
    rows = intake.history(demo_store, kind="demo_sites", period="2026-01", who=ADMIN)
    assert [(r["id"], r["active"]) for r in rows] == [(second, False), (first, True)]
    assert "由王芳(wangfang)恢复" in rows[1]["message"]
    with demo_store.connect() as conn:  # both versions keep their rows and original bytes
        assert conn.scalar(select(func.count()).select_from(models.DemoSite)
                           .where(models.DemoSite.upload_id.in_([first, second]))) == 6
        assert conn.scalar(select(func.count()).where(models.Upload.id.in_([first, second]),
                                                      models.Upload.content.is_not(None))) == 2
    assert intake.original_file(demo_store, first, who=ADMIN) == ("f.xlsx", first_file)
    assert intake.check_store(demo_store) == []


def test_history_records_refused_attempts_with_their_first_error(demo_store):
    code = next(iter(queries.counties(demo_store)))
    preview = intake.prepare(demo_store, b"", "空.xlsx", "village_monthly", "2026-01", code,
                             who=Account("zhaoqiang", "赵强", "county", code))
    intake.record_refusal(demo_store, preview)
    newest = intake.history(demo_store, limit=1, who=ADMIN)[0]
    assert (newest["outcome"], newest["uploaded_by"], newest["file_name"]) == ("refused", "赵强(zhaoqiang)", "空.xlsx")
    assert newest["message"] == "共 1 处错误。文件是空的(0 字节)。请确认选择了填写好的表格文件后重新上传。"
    assert intake.original_file(demo_store, newest["id"], who=ADMIN) is None  # refused bytes are not kept


def test_deadline_and_classification_at_the_boundaries():
    from dashboard import months

    deadline = months.deadline("2025-12", 5)
    assert deadline == datetime(2026, 1, 5, 23, 59, 59, tzinfo=months.zone())
    expected = [completeness.Expected("village_monthly", "A", "甲县"),
                completeness.Expected("village_monthly", "B", "乙县"),
                completeness.Expected("measure_progress", "市司法局", "市司法局")]
    seen = {("village_monthly", "A"): deadline, ("village_monthly", "B"): datetime(2026, 1, 6, 0, 0, tzinfo=months.zone())}
    late = completeness.classify(expected, seen, deadline, now=datetime(2026, 1, 10, tzinfo=months.zone()))
    assert list(late["状态"]) == ["按时报送", "逾期报送", "未报送"]
    early = completeness.classify(expected, {}, deadline, now=datetime(2026, 1, 3, tzinfo=months.zone()))
    assert list(early["状态"]) == ["待报送(未到截止日)"] * 3
    assert list(early["报送对象"]) == ["甲县", "乙县", "市司法局"]


def test_exports_neutralise_formula_text():
    frame = pd.DataFrame({"单位": ["=HYPERLINK(\"http://x\")", "市司法局"], "件数": [1, 2]})
    wb = openpyxl.load_workbook(io.BytesIO(exports.table_xlsx(frame, "标题", "数据截至2025年12月")))
    ws = wb.active
    assert ws["A4"].value == "'=HYPERLINK(\"http://x\")" and ws["A4"].data_type == "s"
    assert (ws["A1"].value, ws["A2"].value, ws["A3"].value) == ("标题", "数据截至2025年12月", "单位")
    import csv

    rows = list(csv.reader(io.StringIO(exports.table_csv(frame).decode("utf-8-sig"))))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "1"]
    assert neutralise("+86 123") == "'+86 123" and neutralise("正常文字") == "正常文字"


def test_demo_completeness_for_the_last_month(demo_store):
    frame = facts.completeness(demo_store, "2025-12", now=datetime(2026, 2, 1))
    with demo_store.connect() as conn:
        reported = set(conn.execute(text("SELECT scope FROM uploads WHERE kind='village_monthly' "
                                         "AND period='2025-12' AND outcome='accepted'")).scalars())
    counties = queries.counties(demo_store)
    monthly = frame[frame["报表"] == "村级指标月报"]
    missing = set(monthly[monthly["状态"] == "未报送"]["报送对象"])
    assert missing == {counties[c] for c in counties if c not in reported} and missing
