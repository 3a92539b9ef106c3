"""Consolidated upload: the city office uploads a village file covering several counties (no county chosen),
and several files at once. Validated together, previewed per county, committed as one version per county in
one transaction. Crashes mid-commit: tests/test_intake_faults.py; in the browser: tests/test_browser_upload.py.
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event, func, select, text
from streamlit.testing.v1 import AppTest

from dashboard import facts, models
from dashboard import intake as api
from dashboard.scope import command_line
from dashboard.store import StoreError, make_engine
from dashboard.templates import template_file
from tests.apptest import ADMIN, app
from tests.intake_fixtures import PERIOD, Table, beyond_attempts, fingerprint, monthly_table, one, uploads_rows

QINGLIAN = str(Path(sys.executable).with_name("qinglian"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
U, VR = models.Upload, models.VillageReport
# demo roster: 下溪县 451301 (162 villages), 新桥区 451302 (125), 北亭县 451303 (115); parts come in code order
XIAXI, XINQIAO, BEITING = "451301000000", "451302000000", "451303000000"


def consolidated(engine, counties=("北亭县", "新桥区", "下溪县"), drop: dict[str, int] | None = None) -> Table:
    """One sheet holding every village of ``counties`` (in that order), less the last ``drop[county]`` of each."""
    tables = []
    for county in counties:
        table = monthly_table(engine, county)
        tables.append(table.rows[:len(table.rows) - (drop or {}).get(county, 0)])
    table = monthly_table(engine, counties[0])
    table.rows = [row for rows in tables for row in rows]
    return table


def _uploads(engine, ids: list[int]) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(U.scope, U.rows, U.expected_rows, U.file_name, U.uploaded_by, U.active, U.outcome,
                   U.content.is_not(None)).where(U.id.in_(ids)).order_by(U.id))]


def _rows_per_upload(engine, ids: list[int]) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(VR.upload_id, func.count()).where(VR.upload_id.in_(ids))
                                 .group_by(VR.upload_id)).all())


# --- one file, several counties -----------------------------------------------------------------------

def test_three_counties_in_one_file_are_three_versions(intake):
    data = consolidated(intake.engine).xlsx()
    preview = intake.accepted(data, name="全市汇总.xlsx", scope=None)
    assert (preview.scope, preview.rows, preview.partial) == (None, 402, False)
    assert [(p.scope, p.scope_name, p.rows, p.roster_total, p.diff["added"]) for p in preview.parts] == [
        (XIAXI, "下溪县", 162, 162, 162), (XINQIAO, "新桥区", 125, 125, 125), (BEITING, "北亭县", 115, 115, 115)]
    assert preview.diff == {"added": 402, "changed": 0, "unchanged": 0, "missing": 0}

    ids = api.commit_batch(intake.engine, [preview], who=ADMIN)
    assert _uploads(intake.engine, ids) == [
        (XIAXI, 162, 162, "全市汇总.xlsx", "测试管理员(tester)", True, "accepted", True),  # the bytes, kept once
        (XINQIAO, 125, 125, "全市汇总.xlsx", "测试管理员(tester)", True, "accepted", False),
        (BEITING, 115, 115, "全市汇总.xlsx", "测试管理员(tester)", True, "accepted", False)]
    assert _rows_per_upload(intake.engine, ids) == dict(zip(ids, (162, 125, 115)))
    assert [api.original_file(intake.engine, i, who=ADMIN) for i in ids] == [("全市汇总.xlsx", data)] * 3
    with intake.engine.connect() as conn:
        activations = conn.execute(select(models.Activation.upload_id, models.Activation.scope,
                                          models.Activation.action).where(models.Activation.upload_id.in_(ids))
                                   .order_by(models.Activation.upload_id)).all()
    assert [tuple(a) for a in activations] == [(ids[0], XIAXI, "commit"), (ids[1], XINQIAO, "commit"),
                                               (ids[2], BEITING, "commit")]
    history = {r["scope"]: r for r in api.history(intake.engine, kind="village_monthly", period=PERIOD, who=ADMIN)}
    assert history[BEITING]["message"] == "新增 115,修改 0,未变 0,缺少 0;汇总文件(共 3 个县),本县为其中之一"
    assert api.check_store(intake.engine) == []


def test_each_county_is_compared_with_and_replaces_its_own_version(intake):
    single = intake.accepted(monthly_table(intake.engine, "北亭县").xlsx(), name="北亭县.xlsx")
    [first] = api.commit_batch(intake.engine, [single], who=ADMIN)
    table = consolidated(intake.engine, ("北亭县", "新桥区"))
    table.set(0, "法律明白人数", 9)  # one 北亭县 village changes
    preview = api.prepare(intake.engine, table.xlsx(), "汇总.xlsx", "village_monthly", PERIOD, who=ADMIN)  # after a commit
    assert [(p.scope_name, p.diff) for p in preview.parts] == [
        ("新桥区", {"added": 125, "changed": 0, "unchanged": 0, "missing": 0}),
        ("北亭县", {"added": 0, "changed": 1, "unchanged": 114, "missing": 0})]
    assert preview.parts[1].diff_names["changed"] == [f"{table.get(0, '乡镇(街道)')}{table.get(0, '村(社区)')}"]
    ids = api.commit_batch(intake.engine, [preview], who=ADMIN)
    with intake.engine.connect() as conn:
        versions = conn.execute(select(U.id, U.active, U.superseded_at.is_not(None)).where(
            U.kind == "village_monthly", U.period == PERIOD, U.scope == BEITING).order_by(U.id)).all()
    assert [tuple(v) for v in versions] == [(first, False, True), (ids[1], True, False)]


def test_one_bad_row_refuses_the_whole_file(intake):
    table = consolidated(intake.engine)
    table.set(115 + 3, "法律明白人数", "三")  # the 4th 新桥区 village, Excel row 2 + 118
    error = one(intake.refused(table.xlsx(), scope=None))
    assert error.text() == "工作表「村级指标月报」第120行「法律明白人数」:应为非负整数,实际填写「三」。请改为非负整数"
    preview = intake.prepare(table.xlsx(), scope=None)
    assert preview.split == [] and preview.to_json()["parts"] == []
    with pytest.raises(ValueError, match="预览未通过校验"):
        api.commit_batch(intake.engine, [preview], who=ADMIN)
    assert api.history(intake.engine, kind="village_monthly", period=PERIOD, who=ADMIN) == []


def test_a_county_chosen_keeps_rows_of_other_counties_as_errors(intake):
    errors = intake.refused(consolidated(intake.engine, ("北亭县", "新桥区")).xlsx())  # 北亭县 chosen
    assert len(errors) == 125
    first = errors[0]
    assert (first.row, first.column) == (117, "县(市、区)")
    assert first.message.endswith("属于新桥区,不属于本次上报的县。请删除该行,或在新桥区的报表中上报")


def test_a_partial_county_needs_confirmation_naming_it(intake):
    table = consolidated(intake.engine, drop={"新桥区": 12})
    left_out = [tuple(row[1:4]) for row in monthly_table(intake.engine, "新桥区").rows[-12:]]
    preview = intake.accepted(table.xlsx(), scope=None)
    assert preview.partial
    assert [(p.scope_name, p.partial, p.rows, p.roster_total) for p in preview.parts] == [
        ("下溪县", False, 162, 162), ("新桥区", True, 113, 125), ("北亭县", False, 115, 115)]
    assert preview.parts[1].roster_missing == left_out
    with pytest.raises(api.PartialNotConfirmed) as refused:
        api.commit_batch(intake.engine, [preview], who=ADMIN)
    assert str(refused.value) == ("以下县只报送了名录中的部分村:新桥区 113/125 村;"
                                  "确属部分报送时请勾选“确认部分报送”后提交")
    assert fingerprint(intake.engine) == intake.demo["fingerprint"]
    ids = api.commit_batch(intake.engine, [preview], allow_partial=True, who=ADMIN)
    assert [(s, n, expected) for s, n, expected, *_ in _uploads(intake.engine, ids)] == [
        (XIAXI, 162, 162), (XINQIAO, 113, 125), (BEITING, 115, 115)]
    status = facts.completeness(intake.engine, PERIOD)
    monthly = status[(status["报表"] == "村级指标月报") & (status["报送对象"] == "新桥区")]
    assert monthly["状态"].tolist() == ["部分报送(113/125 村)"]


def test_a_city_wide_brand_file_is_one_version_per_county(intake):
    data = template_file(intake.engine, "county_brands", PERIOD, None, who=ADMIN)[0]
    preview = intake.accepted(data, kind="county_brands", scope=None)
    assert [p.scope_name for p in preview.parts] == ["下溪县", "新桥区", "北亭县", "明江县", "义溪区", "和湖县", "华垌区"]
    assert {p.rows for p in preview.parts} == {1}
    ids = api.commit_batch(intake.engine, [preview], who=ADMIN)
    assert len(ids) == 7 and api.check_store(intake.engine) == []


# --- several files -----------------------------------------------------------------------------------

def test_two_files_for_the_same_county_are_refused_naming_both(intake):
    alone = intake.accepted(monthly_table(intake.engine, "北亭县").xlsx(), name="北亭县.xlsx", scope=None)
    both = intake.accepted(consolidated(intake.engine, ("北亭县", "新桥区")).xlsx(), name="汇总.xlsx", scope=None)
    message = ("文件「北亭县.xlsx」和「汇总.xlsx」都含有北亭县的村级指标月报(2026年1月),同一次上报中每个范围只能有一份。"
               "请去掉其中一个文件(或其中重复的行)后重新上传")
    assert api.conflicts([alone, both]) == [message]
    with pytest.raises(api.BatchConflict) as refused:
        api.commit_batch(intake.engine, [alone, both], who=ADMIN)
    assert str(refused.value) == message
    assert fingerprint(intake.engine) == intake.demo["fingerprint"]


def test_files_of_different_counties_are_committed_together(intake):
    first = intake.accepted(monthly_table(intake.engine, "北亭县").xlsx(), name="北亭县.xlsx", scope=None)
    second = intake.accepted(consolidated(intake.engine, ("新桥区", "下溪县")).xlsx(), name="两县.xlsx", scope=None)
    assert api.conflicts([first, second]) == []
    ids = api.commit_batch(intake.engine, [first, second], who=ADMIN)
    assert [(s, n, name, kept) for s, n, _, name, _, _, _, kept in _uploads(intake.engine, ids)] == [
        (BEITING, 115, "北亭县.xlsx", True), (XIAXI, 162, "两县.xlsx", True), (XINQIAO, 125, "两县.xlsx", False)]


# --- the template without a county -------------------------------------------------------------------

def test_the_city_wide_template_comes_back_as_one_version_per_county(intake):
    data, name, count = template_file(intake.engine, "village_monthly", PERIOD, None, who=ADMIN)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["村级指标月报"]
    assert (name, count, sheet["A1"].value) == ("村级指标月报_2026-01.xlsx", 1310, "清源市 2026年1月 村级指标月报")
    preview = intake.accepted(data, name=name, scope=None)
    assert [(p.scope_name, p.rows) for p in preview.parts] == [
        ("下溪县", 162), ("新桥区", 125), ("北亭县", 115), ("明江县", 200), ("义溪区", 196), ("和湖县", 265),
        ("华垌区", 247)]
    assert not preview.partial


# --- the command line --------------------------------------------------------------------------------

def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([QINGLIAN, *args], capture_output=True, timeout=300)


def test_cli_import_without_county_commits_one_version_per_county(demo_store, tmp_path):
    path = tmp_path / "全市汇总.xlsx"
    path.write_bytes(consolidated(demo_store).xlsx())
    base = ["--db", str(demo_store.url), "import", str(path), "--kind", "village_monthly", "--period", PERIOD]
    dry = _run(*base, "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr.decode()
    out = json.loads(dry.stdout)
    assert (out["ok"], out["rows"], out["diff"]["added"]) == (True, 402, 402)
    assert [(p["scope"], p["name"], p["rows"], p["diff"]["added"], p["roster_total"]) for p in out["parts"]] == [
        (XIAXI, "下溪县", 162, 162, 162), (XINQIAO, "新桥区", 125, 125, 125), (BEITING, "北亭县", 115, 115, 115)]
    with demo_store.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM uploads WHERE period = :p"), {"p": PERIOD}).scalar() == 0
    done = _run(*base)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines()[:4] == [
        "校验通过,已写入:读取 402 行,错误 0 处,提示 0 处;新增 402,修改 0,未变 0,缺少 0。",
        "  下溪县:162 行;新增 162,修改 0,未变 0,缺少 0",
        "  新桥区:125 行;新增 125,修改 0,未变 0,缺少 0",
        "  北亭县:115 行;新增 115,修改 0,未变 0,缺少 0"]
    with demo_store.connect() as conn:
        rows = conn.execute(text("SELECT scope, rows FROM uploads WHERE period = :p AND active AND uploaded_by = :who "
                                 "ORDER BY scope"), {"p": PERIOD, "who": command_line().signature}).all()
    assert [tuple(r) for r in rows] == [(XIAXI, 162), (XINQIAO, 125), (BEITING, 115)]


def test_cli_import_of_several_files_is_all_or_nothing(demo_store, tmp_path):
    alone, both = tmp_path / "北亭县.xlsx", tmp_path / "汇总.xlsx"
    alone.write_bytes(monthly_table(demo_store, "北亭县").xlsx())
    both.write_bytes(consolidated(demo_store, ("北亭县", "新桥区")).xlsx())
    base = ["--db", str(demo_store.url), "import", "--kind", "village_monthly", "--period", PERIOD]
    clash = _run(*base, str(alone), str(both))
    assert clash.returncode == 1
    lines = clash.stdout.decode().splitlines()
    assert lines[0] == "文件「北亭县.xlsx」" and "文件「汇总.xlsx」" in lines
    assert lines[-2:] == ["错误:文件「北亭县.xlsx」和「汇总.xlsx」都含有北亭县的村级指标月报(2026年1月),"
                          "同一次上报中每个范围只能有一份。请去掉其中一个文件(或其中重复的行)后重新上传",
                          "本次上报未写入任何文件。"]
    partial = tmp_path / "下溪县.xlsx"
    table = monthly_table(demo_store, "下溪县")
    table.rows = table.rows[:150]
    partial.write_bytes(table.xlsx())
    refused = _run(*base, str(both), str(partial))
    assert refused.returncode == 1
    assert refused.stderr.decode().strip() == ("以下县只报送了名录中的部分村:下溪县 150/162 村;未写入任何文件。"
                                               "如确属部分报送,请加 --allow-partial 重新导入。")
    with demo_store.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM uploads WHERE period = :p"), {"p": PERIOD}).scalar() == 0
    done = _run(*base, str(both), str(partial), "--allow-partial", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["ok"] and out["conflicts"] == []
    assert [(f["file"], [p["name"] for p in f["parts"]]) for f in out["files"]] == [
        ("汇总.xlsx", ["新桥区", "北亭县"]), ("下溪县.xlsx", ["下溪县"])]
    with demo_store.connect() as conn:
        rows = conn.execute(text("SELECT scope, rows, expected_rows FROM uploads WHERE period = :p AND active "
                                 "ORDER BY scope"), {"p": PERIOD}).all()
    assert [tuple(r) for r in rows] == [(XIAXI, 150, 162), (XINQIAO, 125, 125), (BEITING, 115, 115)]


# --- the upload page ---------------------------------------------------------------------------------

def _open_upload_without_county() -> AppTest:
    at = app(60).run()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key="up_kind").set_value("village_monthly").run()
    at.selectbox(key="up_period").set_value(PERIOD).run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_page_previews_two_files_per_county_and_commits_them_together(demo_store):
    alone = monthly_table(demo_store, "北亭县").xlsx()
    both = consolidated(demo_store, ("新桥区", "下溪县"), drop={"下溪县": 2}).xlsx()
    at = _open_upload_without_county()
    assert at.file_uploader(key="up_file").accept_multiple_files
    at.file_uploader(key="up_file").set_value([("北亭县.xlsx", alone, XLSX), ("两县.xlsx", both, XLSX)]).run()
    assert not at.exception, [e.value for e in at.exception]
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["读取行数"], tiles["错误"], tiles["新增"]) == ("400", "0", "400")
    table = next(d.value for d in at.dataframe if "县(市、区)" in d.value.columns)
    assert table[["文件", "县(市、区)", "行数", "新增", "较生效版本缺少", "状态"]].values.tolist() == [
        ["北亭县.xlsx", "北亭县", 115, 115, 0, "可提交"],
        ["两县.xlsx", "下溪县", 160, 160, 0, "部分报送(160/162 村)"],
        ["两县.xlsx", "新桥区", 125, 125, 0, "可提交"]]
    warning = next(w.value for w in at.warning if "部分报送" in w.value).replace("\\", "")
    assert warning.startswith("部分报送:下溪县名录共 162 个村,文件缺少 2 个村:")
    submit = next(b for b in at.button if b.label == "确认提交")
    assert submit.disabled
    at.checkbox(key="partial_ok").check().run()
    next(b for b in at.button if b.label == "确认提交").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with demo_store.connect() as conn:
        rows = conn.execute(text("SELECT id, scope, rows, file_name FROM uploads WHERE period = :p AND active "
                                 "ORDER BY id"), {"p": PERIOD}).all()
    assert [tuple(r)[1:] for r in rows] == [(BEITING, 115, "北亭县.xlsx"), (XIAXI, 160, "两县.xlsx"),
                                            (XINQIAO, 125, "两县.xlsx")]
    ids = "、".join(str(r[0]) for r in rows)
    assert [s.value for s in at.success] == [
        f"已提交:村级指标月报 2026年1月,2 个文件共 3 个县(市、区)、400 行,每个县各存一个版本(版本号 {ids})。看板数据已更新。"]
    history = next(d.value for d in at.dataframe if "版本号" in d.value.columns)
    assert history[["范围", "行数", "状态"]].head(3).values.tolist() == [
        ["新桥区", 125, "生效"], ["下溪县", 160, "生效"], ["北亭县", 115, "生效"]]


def test_the_page_takes_several_files_only_without_a_county(demo_store):
    at = _open_upload_without_county()
    assert at.file_uploader(key="up_file").accept_multiple_files
    at.selectbox(key="up_county").set_value(BEITING).run()  # a county's own report: one file, a new one replaces it
    assert not at.file_uploader(key="up_file").accept_multiple_files


def test_the_page_refuses_the_same_county_in_two_files_and_writes_nothing(demo_store):
    alone = monthly_table(demo_store, "北亭县").xlsx()
    both = consolidated(demo_store, ("北亭县", "新桥区")).xlsx()
    at = _open_upload_without_county()
    at.file_uploader(key="up_file").set_value([("北亭县.xlsx", alone, XLSX), ("汇总.xlsx", both, XLSX)]).run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors == [
        "文件「北亭县.xlsx」和「汇总.xlsx」都含有北亭县的村级指标月报(2026年1月),同一次上报中每个范围只能有一份。"
        "请去掉其中一个文件(或其中重复的行)后重新上传",
        "本次选择的文件未全部通过检查,没有写入任何数据(包括校验通过的文件)。请按上面的提示修改后重新上传。"]
    table = next(d.value for d in at.dataframe if "县(市、区)" in d.value.columns)
    assert table[["文件", "县(市、区)", "状态"]].values.tolist() == [
        ["北亭县.xlsx", "北亭县", "与其他文件重复"], ["汇总.xlsx", "新桥区", "可提交"], ["汇总.xlsx", "北亭县", "与其他文件重复"]]
    assert not [b for b in at.button if b.label == "确认提交"]
    with demo_store.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM uploads WHERE period = :p"), {"p": PERIOD}).scalar() == 0


def test_the_page_names_the_bad_file_of_a_batch(demo_store):
    good = monthly_table(demo_store, "北亭县").xlsx()
    bad = consolidated(demo_store, ("新桥区", "下溪县")).set(3, "法律明白人数", "三").xlsx()
    at = _open_upload_without_county()
    at.file_uploader(key="up_file").set_value([("北亭县.xlsx", good, XLSX), ("两县.xlsx", bad, XLSX)]).run()
    assert not at.exception
    assert any(m.value.replace("\\", "") == "**文件「两县.xlsx」的错误:必须修改后重新上传(共 1 处)**" for m in at.markdown)
    issues = next(d.value for d in at.dataframe if "问题及修改方法" in d.value.columns)
    assert issues[["行号", "列"]].values.tolist() == [["5", "法律明白人数"]]
    assert "没有写入任何数据(包括校验通过的文件)" in at.error[-1].value
    with demo_store.connect() as conn:
        recorded = conn.execute(text("SELECT file_name, outcome, scope FROM uploads WHERE period = :p"),
                                {"p": PERIOD}).all()
    assert [tuple(r) for r in recorded] == [("两县.xlsx", "refused", "未确定")]  # only the bad file, once


def test_a_full_disk_during_a_batch_writes_no_county_and_records_each_file(intake):
    first = intake.accepted(monthly_table(intake.engine, "北亭县").xlsx(), name="北亭县.xlsx", scope=None)
    second = intake.accepted(consolidated(intake.engine, ("新桥区", "下溪县")).xlsx(), name="两县.xlsx", scope=None)
    path = intake.engine.url.database
    intake.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("VACUUM")  # no free page left: every new row needs a new page
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    full = make_engine(f"sqlite:///{path}")

    @event.listens_for(full, "connect")
    def _limit(dbapi_conn, _record):  # room for the two small records of the attempt, not for 402 rows
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + 3}")

    before = fingerprint(intake.engine)
    try:
        with pytest.raises(StoreError) as fault:
            api.commit_batch(full, [first, second], who=ADMIN)
    finally:
        full.dispose()
    assert fault.value.commit_text() == "本次上报未写入任何数据:磁盘已满,请联系系统管理员"
    after = fingerprint(intake.engine)
    assert beyond_attempts(after) == beyond_attempts(before)
    assert after["audit_log"][0] == before["audit_log"][0] + 2  # both files' failed attempts, audited
    failed = [(r["file_name"], r["outcome"], r["active"], r["content"]) for r in uploads_rows(intake.engine)[-2:]]
    assert failed == [("北亭县.xlsx", "failed", False, None), ("两县.xlsx", "failed", False, None)]
    assert api.check_store(intake.engine) == []


@pytest.mark.parametrize("tamper", ["row_of_another_county", "same_county_twice", "part_dropped", "split_when_chosen"])
def test_a_worker_reply_cutting_the_file_wrongly_is_not_taken(intake, monkeypatch, tamper):
    """The server checks each part's rows against its county, and the parts against the file."""
    from dashboard.sandbox import Sandbox
    from loaders.refusals import REFUSALS

    real_run = Sandbox.run
    data = consolidated(intake.engine, ("北亭县", "新桥区")).xlsx()

    def tampered(self, job, on_wait=None):
        if tamper == "split_when_chosen":
            job = {**job, "scope": None}  # the worker splits as if no county had been chosen
        reply = real_run(self, job, on_wait)
        parts = reply["parts"]
        if tamper == "row_of_another_county":
            parts[0]["result"]["records"][0]["county_code"] = parts[1]["scope"]
        elif tamper == "same_county_twice":
            parts[1]["scope"] = parts[0]["scope"]
        elif tamper == "part_dropped":
            parts.pop()
        return reply

    monkeypatch.setattr(Sandbox, "run", tampered)
    scope = "county" if tamper == "split_when_chosen" else None
    assert intake.file_error(data, scope=scope) == REFUSALS["crashed"]()
