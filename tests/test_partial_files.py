"""Partial files are visible: the preview names the roster villages a file leaves out, committing one needs
an explicit tick, and the 催报 list shows 部分报送 (x/y 村) for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import completeness, facts
from dashboard.intake import PartialNotConfirmed, commit
from tests.apptest import ADMIN, app
from tests.intake_fixtures import COUNTY, monthly_table

QINGLIAN = str(Path(sys.executable).with_name("qinglian"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD = "2026-01"


def test_the_preview_names_the_villages_left_out(intake):
    table = intake.table()
    left_out = [(row[1], row[2], row[3]) for row in table.rows[78:]]
    table.rows = table.rows[:78]
    preview = intake.accepted(table.xlsx())
    assert preview.partial and (preview.rows, preview.roster_total) == (78, 115)
    assert preview.roster_missing == left_out
    with pytest.raises(PartialNotConfirmed) as refused:
        commit(intake.engine, preview, who=ADMIN)
    assert str(refused.value) == "文件缺少本县 37 个村的数据;确属部分报送时请勾选“确认部分报送”后提交"


def test_a_complete_file_is_not_partial(intake):
    preview = intake.accepted(intake.table().xlsx())
    assert not preview.partial and preview.roster_total == 115


def test_the_page_asks_for_a_tick_and_the_reminder_list_says_partial(demo_store):
    from tests.intake_fixtures import county_code_of

    table = monthly_table(demo_store, COUNTY)
    table.rows = table.rows[:78]
    code = county_code_of(demo_store, COUNTY)
    at = app(60).run()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key="up_kind").set_value("village_monthly").run()
    at.selectbox(key="up_period").set_value(PERIOD).run()
    at.selectbox(key="up_county").set_value(code).run()
    at.run()
    at.file_uploader(key="up_file").set_value(("月报.xlsx", table.xlsx(), XLSX)).run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "部分报送" in w.value).replace("\\", "")
    assert warning.startswith("部分报送:本县名录共 115 个村,文件缺少 37 个村:")
    button = at.get("download_button")
    assert any(b.proto.label == "下载缺少的 37 个村名单(.xlsx)" for b in button)
    submit = next(b for b in at.button if b.label == "确认提交")
    assert submit.disabled
    at.checkbox(key="partial_ok").check().run()
    next(b for b in at.button if b.label == "确认提交").click().run()
    assert any("已提交:村级指标月报" in s.value for s in at.success)
    table = facts.completeness(demo_store, PERIOD)
    row = table[(table["报表"] == "村级指标月报") & (table["报送对象"] == COUNTY)].iloc[0]
    assert row["状态"] == "部分报送(78/115 村)"
    assert completeness.received(table[table["报送对象"] == COUNTY])[1] == 0  # not counted as reported in full


def test_the_cli_needs_allow_partial(demo_store, tmp_path):
    table = monthly_table(demo_store, COUNTY)
    table.rows = table.rows[:100]
    path = tmp_path / "月报.xlsx"
    path.write_bytes(table.xlsx())
    base = [QINGLIAN, "--db", str(demo_store.url), "import", str(path), "--kind", "village_monthly", "--period",
            PERIOD, "--county", COUNTY]
    refused = subprocess.run(base, capture_output=True, timeout=120)
    assert refused.returncode == 1
    assert refused.stderr.decode().strip() == ("文件缺少本县名录中 15 个村(共 115 个村),未写入。"
                                               "如确属部分报送,请加 --allow-partial 重新导入。")
    assert "部分报送:本县名录共 115 个村,缺少 15 个村:" in refused.stdout.decode()
    done = subprocess.run([*base, "--allow-partial"], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    status = facts.completeness(demo_store, PERIOD)
    assert status[status["报送对象"] == COUNTY]["状态"].tolist()[0] == "部分报送(100/115 村)"
