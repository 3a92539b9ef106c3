"""A real city starts clean: every page works on an empty, a roster-only and a first-month store, says
what to upload next, and the demo can be removed without touching the city's own data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard import intake, models, queries
from dashboard.catalog import active_plan
from dashboard.demo import remove_demo
from dashboard.store import make_engine
from tests.apptest import ADMIN, app
from tests.intake_fixtures import fingerprint
from tests.store_states import CODE, COUNTY, PERIOD, VILLAGES, build

QINGLIAN = str(Path(sys.executable).with_name("qinglian"))
MONTH = f"{PERIOD[:4]}年{int(PERIOD[5:])}月"
NEXT = "请在「数据上报」页下载模板填写后上传。"
FIRST = "请先在「数据上报」页上传村级名录"

EXPECTED = {  # (state, page) -> a sentence the page must show
    ("empty", "pages/overview.py"): FIRST,
    ("empty", "pages/map.py"): FIRST,
    ("empty", "pages/targets.py"): "还没有上报数据。请先在「数据上报」页上传报表",
    ("empty", "pages/accountability.py"): f"{MONTH}尚无措施推进月报:页面先显示已有的数据,缺少的部分显示为未报送。{NEXT}",
    ("empty", "pages/upload.py"): "数据库中还没有村级名录。第一步:报表类型选「村级名录」",
    ("roster", "pages/overview.py"): f"{MONTH}尚无村级指标月报、示范点台账、县级特色品牌、措施推进月报",
    ("roster", "pages/map.py"): f"{MONTH}尚无示范点台账",
    ("roster", "pages/targets.py"): f"{MONTH}尚无村级指标月报、示范点台账、县级特色品牌",
    ("roster", "pages/accountability.py"): f"{MONTH}尚无措施推进月报",
    ("first_month", "pages/overview.py"): f"{MONTH}尚无示范点台账、县级特色品牌、措施推进月报",
    ("first_month", "pages/map.py"): f"{MONTH}尚无示范点台账",
    ("first_month", "pages/targets.py"): f"{MONTH}尚无示范点台账、县级特色品牌",
    ("first_month", "pages/accountability.py"): f"{MONTH}尚无措施推进月报",
    ("empty", "pages/meeting.py"): "还没有上报数据,无法生成会议材料",
    ("roster", "pages/meeting.py"): f"{MONTH}尚未冻结",
    ("first_month", "pages/meeting.py"): f"{MONTH}尚未冻结",
}
PAGES = ["pages/overview.py", "pages/map.py", "pages/targets.py", "pages/accountability.py", "pages/meeting.py",
         "pages/upload.py", "pages/plan.py"]


def _store(tmp_path, monkeypatch, state: str):
    url = f"sqlite:///{tmp_path / 'city.db'}"
    monkeypatch.setenv("QINGLIAN_DB_URL", url)
    return build(url, state)


@pytest.fixture(params=["empty", "roster", "first_month"])
def state_store(request, tmp_path, monkeypatch):
    engine = _store(tmp_path, monkeypatch, request.param)
    yield request.param, engine
    engine.dispose()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_on_every_early_store(state_store, page):
    state, _ = state_store
    at = app(60).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error], f"{state} {page}"
    expected = EXPECTED.get((state, page))
    if expected:
        assert any(expected in i.value for i in at.info), (state, page, [i.value for i in at.info])
    if page == "pages/plan.py":  # the shipped plan was loaded when the store was set up
        assert any("工作措施与责任单位" in h.value for h in at.subheader)


def test_first_month_overview_counts_what_is_there(tmp_path, monkeypatch):
    _store(tmp_path, monkeypatch, "first_month").dispose()
    at = app(60).run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["法律明白人≥3名的村占比"] == "100.0%"  # all 4 villages reported 3
    assert tiles["乡镇示范点覆盖率"] == "未报送"  # no ledger yet: not 0 %


@pytest.mark.parametrize("state", ["roster", "first_month"])
def test_meeting_materials_of_an_early_month_say_what_is_missing(tmp_path, monkeypatch, state):
    """A city's first month: every format is produced, and the 通报 says 未报送 instead of inventing 0 %."""
    import io

    from docx import Document

    from dashboard import meeting

    engine = _store(tmp_path, monkeypatch, state)
    files = {fmt: meeting.export(engine, PERIOD, fmt, who=ADMIN) for fmt in meeting.FORMATS}
    assert all(data for fmt in files for _, data in files[fmt])
    text = "\n".join(p.text for p in Document(io.BytesIO(files["docx"][0][1])).paragraphs)
    assert "全市乡镇示范点覆盖率:本月未报送,无法计算。" in text  # no ledger yet
    if state == "first_month":  # all 4 villages of the roster reported 3 法律明白人
        assert "全市 4 个村(社区)中 4 个法律明白人不少于 3 名,法律明白人≥3名的村占比 100.0%" in text
    else:
        assert "全市法律明白人≥3名的村占比:本月未报送,无法计算。" in text
    engine.dispose()


def test_db_upgrade_on_an_empty_store_loads_the_plan(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    out = subprocess.run([QINGLIAN, "--db", url, "db", "upgrade"], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    engine = make_engine(url)
    plan = active_plan(engine)
    assert [m["number"] for m in plan.measures] == list(range(1, 15)) and plan.source_name == "plan.txt"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(models.Region)) == 0  # no demo data
    engine.dispose()


def test_a_roster_can_be_uploaded_on_an_empty_store_without_choosing_a_county(tmp_path, monkeypatch):
    from tests.intake_fixtures import sheet_xlsx as _xlsx

    engine = _store(tmp_path, monkeypatch, "empty")

    rows = [[COUNTY, town, name, code, 108.3, 22.8] for code, town, name in VILLAGES]
    data = _xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "经度", "纬度"], rows)
    at = app(60).run()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key="up_kind").set_value("roster").run()
    at.run()
    at.file_uploader(key="up_file").set_value(("名录.xlsx", data, "application/octet-stream")).run()
    next(b for b in at.button if b.label == "确认提交").click().run()
    assert not at.exception
    assert any("已提交:村级名录" in s.value for s in at.success)
    assert queries.counties(engine) == {CODE: COUNTY}
    assert queries.region_counts(engine) == {"county": 1, "township": 2, "village": 4}


# --- from the demo to the city's own data ----------------------------------------------------------

def _own_roster(engine) -> tuple[str, int]:
    """A county of the city's own, uploaded while the demo is still in the store."""
    from tests.intake_fixtures import sheet_xlsx as _xlsx

    prefix = str(max(int(c[:6]) for c in queries.counties(engine)) + 1)
    rows = [[COUNTY, "东镇", f"东{i}村", f"{prefix}001{i:03d}", 108.3, 22.8] for i in range(1, 4)]
    data = _xlsx(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "经度", "纬度"], rows)
    preview = intake.prepare(engine, data, "名录.xlsx", "roster", PERIOD, None, who=ADMIN)
    assert preview.ok, [i.text() for i in preview.errors]
    return prefix + "000000", intake.commit(engine, preview, who=ADMIN)


def test_removing_the_demo_keeps_the_citys_own_data(demo_store):
    from dashboard import freeze

    freeze.freeze(demo_store, "2025-11", ADMIN)  # a month frozen on demo figures goes with the demo
    county, upload_id = _own_roster(demo_store)
    removed = remove_demo(demo_store, ADMIN)
    assert removed["uploads"] > 100 and removed["regions"] > 1000 and removed["frozen_months"] == 1
    assert freeze.frozen_periods(demo_store) == [] and freeze.history(demo_store).empty
    with demo_store.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(models.Region).where(models.Region.is_demo)) == 0
        assert conn.scalar(select(func.count()).select_from(models.Upload).where(models.Upload.is_demo)) == 0
        assert list(conn.scalars(select(models.Upload.id))) == [upload_id]
        for table in (models.VillageReport, models.DemoSite, models.MeasureReport, models.CountyBrand):
            assert conn.scalar(select(func.count()).select_from(table)) == 0
    assert queries.counties(demo_store) == {county: COUNTY}
    assert queries.region_counts(demo_store) == {"county": 1, "township": 1, "village": 3}
    assert queries.city_name(demo_store) == "本市"
    assert not queries.has_demo_data(demo_store)
    assert intake.check_store(demo_store) == []


def test_removing_the_demo_is_refused_while_own_reports_refer_to_demo_villages(demo_store):
    from tests.intake_fixtures import COUNTY as DEMO_COUNTY
    from tests.intake_fixtures import county_code_of, monthly_table

    code = county_code_of(demo_store, DEMO_COUNTY)
    preview = intake.prepare(demo_store, monthly_table(demo_store, DEMO_COUNTY).xlsx(), "月报.xlsx",
                             "village_monthly", PERIOD, code, who=ADMIN)
    intake.commit(demo_store, preview, who=ADMIN)
    before = fingerprint(demo_store)
    with pytest.raises(ValueError) as refused:
        remove_demo(demo_store, ADMIN)
    assert str(refused.value).startswith("本市自己上报的数据中有 115 行引用了演示区划")
    assert fingerprint(demo_store) == before


def test_demo_remove_from_the_cli_and_the_page(demo_db, tmp_path, monkeypatch):
    import shutil

    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    url = f"sqlite:///{path}"
    out = subprocess.run([QINGLIAN, "--db", url, "demo", "--remove"], capture_output=True, timeout=120,
                         env={**os.environ, "QINGLIAN_DB_URL": ""})
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().startswith("已删除演示数据:上报记录 ")
    assert out.stdout.decode().rstrip().endswith("本市自己上报的数据未受影响。")
    engine = make_engine(url)
    assert queries.region_counts(engine) == {"county": 0, "township": 0, "village": 0}
    engine.dispose()

    shutil.copy(demo_db, path)  # again, through the page's confirmed button
    monkeypatch.setenv("QINGLIAN_DB_URL", url)
    at = app(60).run()
    at.switch_page("pages/upload.py").run()
    button = next(b for b in at.button if b.label == "删除演示数据")
    assert button.disabled
    at.checkbox(key="demo_remove_sure").check().run()
    next(b for b in at.button if b.label == "删除演示数据").click().run()
    assert not at.exception
    assert any(s.value.startswith("已删除演示数据") for s in at.success)
    engine = make_engine(url)
    assert not queries.has_demo_data(engine)
    engine.dispose()
