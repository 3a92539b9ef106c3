"""Loading a plan as a new version (CLI and data layer), listing versions, reactivating an earlier one; a plan
read from .docx (paragraphs and a table) and GB18030 text."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from dashboard import models
from dashboard.accounts import Account
from dashboard.catalog import PlanVersionError, activate_plan, active_plan, add_plan_version, plan_versions, ready
from dashboard.plan import PlanParseError, parse_plan
from dashboard.plan_files import plan_text
from dashboard.scope import ScopeError, command_line
from dashboard.settings import DEFAULT_PLAN_FILE
from dashboard.store import make_engine
from tests.test_cli import run

SEED = DEFAULT_PLAN_FILE.read_text(encoding="utf-8")
# a second version of the plan: measure 14 gets its lead unit (the seed is cut off before it)
FIXED = SEED.rstrip() + "〔责任单位:市委宣传部、市文明办〕\n"


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    engine = make_engine(url)
    ready(engine)  # loads the seed plan as version 1
    yield url, engine
    engine.dispose()


def _versions(engine) -> list[tuple[int, bool]]:
    return [(v["id"], v["active"]) for v in plan_versions(engine)]


def test_dry_run_shows_the_review_and_saves_nothing(store, tmp_path):
    url, engine = store
    path = tmp_path / "新方案.txt"
    path.write_text(FIXED, encoding="utf-8")
    out = run("plan", "load", str(path), "--dry-run", env={"QINGLIAN_DB_URL": url})
    shown = out.stdout.decode("utf-8")
    assert out.returncode == 0, out.stderr.decode()
    assert " 14. " in shown and "牵头:市委宣传部  配合:市文明办" in shown  # measure 14 now has its units
    assert "≥ 70%" in shown and "原文:" in shown and "(试解析,未保存)" in shown
    assert "乡镇示范点覆盖率:≥ 70%,期限 2024-12-31(期限为配置默认值),跟踪指标:乡镇示范点覆盖率" in shown
    assert "≥ 3名/村,期限 2025-12-31,跟踪指标:村级指标:法律明白人数" in shown
    assert _versions(engine) == [(1, True)]


def test_dry_run_names_an_untracked_target_and_what_to_check(store, tmp_path):
    url, _ = store
    path = tmp_path / "满意度.txt"
    path.write_text("群众满意度到XX年达到95%以上。四、工作措施1.强化监督。加强检查。〔责任单位:县纪委监委〕", encoding="utf-8")
    out = run("plan", "load", str(path), "--dry-run", env={"QINGLIAN_DB_URL": url})
    shown = out.stdout.decode("utf-8")
    assert out.returncode == 0, out.stderr.decode()
    assert "跟踪指标:不在看板跟踪" in shown
    assert "需核对:原文未写年份,暂按方案默认期限 2025-12-31 计" in shown and "共 1 项措施、1 个目标节点;1 项需要人工核对" in shown


def test_load_saves_a_new_active_version_and_keeps_the_old(store, tmp_path):
    url, engine = store
    path = tmp_path / "新方案.txt"
    path.write_text(FIXED, encoding="utf-8")
    out = run("plan", "load", str(path), "--format", "json", env={"QINGLIAN_DB_URL": url})
    assert out.returncode == 0, out.stderr.decode()
    data = json.loads(out.stdout.decode("utf-8"))
    assert data["saved_version"] == 2 and data["measures"][13]["lead_unit"] == "市委宣传部"
    assert _versions(engine) == [(2, True), (1, False)]
    plan = active_plan(engine)
    assert plan.id == 2 and plan.measures[13]["lead_unit"] == "市委宣传部"
    newest = plan_versions(engine)[0]
    assert newest["source_name"] == "新方案.txt" and newest["measures"] == 14
    assert newest["loaded_by"] == command_line().signature
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT account, target, detail FROM audit_log WHERE action = 'plan' "
                                   "ORDER BY id DESC LIMIT 1")).one()
    assert logged == (command_line().signature, "新方案.txt", "载入实施方案:14 项措施,6 个目标节点(方案版本 2)")
    listed = run("plan", "list", env={"QINGLIAN_DB_URL": url}).stdout.decode("utf-8").splitlines()
    assert listed[0].startswith("当前 版本   2") and "新方案.txt" in listed[0]
    assert listed[1].startswith("     版本   1")


def test_an_earlier_version_can_be_made_active_again(store, tmp_path):
    url, engine = store
    path = tmp_path / "新方案.txt"
    path.write_text(FIXED, encoding="utf-8")
    assert run("plan", "load", str(path), env={"QINGLIAN_DB_URL": url}).returncode == 0
    back = run("plan", "activate", "1", env={"QINGLIAN_DB_URL": url})
    assert back.returncode == 0 and "已将方案版本 1 设为当前方案" in back.stdout.decode("utf-8")
    assert _versions(engine) == [(2, False), (1, True)]
    assert active_plan(engine).measures[13]["lead_unit"] is None  # the dashboards follow the seed again
    again = run("plan", "activate", "1", env={"QINGLIAN_DB_URL": url})
    assert again.returncode == 1 and "已经是当前方案" in again.stderr.decode("utf-8")
    missing = run("plan", "activate", "9", env={"QINGLIAN_DB_URL": url})
    assert missing.returncode == 1 and "没有编号为 9 的方案版本" in missing.stderr.decode("utf-8")
    with pytest.raises(PlanVersionError):
        activate_plan(engine, 1, command_line())
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(models.Plan).where(models.Plan.active)) == 1


def test_a_refused_file_saves_nothing(store, tmp_path):
    url, engine = store
    prose = tmp_path / "通知.txt"
    prose.write_text("这是一份通知,没有任何工作措施。", encoding="utf-8")
    out = run("plan", "load", str(prose), env={"QINGLIAN_DB_URL": url})
    assert out.returncode == 2 and "未在方案文本中找到任何工作措施" in out.stderr.decode("utf-8")
    assert "Traceback" not in out.stderr.decode("utf-8")
    pdf = tmp_path / "方案.pdf"
    pdf.write_bytes(b"%PDF-1.4\x00\x01\x02" * 50)
    out = run("plan", "load", str(pdf), env={"QINGLIAN_DB_URL": url})
    assert out.returncode == 2 and "另存为 .docx" in out.stderr.decode("utf-8")
    assert _versions(engine) == [(1, True)]


def _docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import io

    import docx

    document = docx.Document()
    for line in paragraphs:
        document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
        document.add_paragraph("(完)")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_docx_plan_reads_as_its_text_in_document_order():
    lines = SEED.splitlines()
    got = plan_text("方案.docx", _docx(lines))
    assert got == "\n".join(lines).strip()
    assert [m.lead_unit for m in parse_plan(got).measures] == [m.lead_unit for m in parse_plan(SEED).measures]
    tabled = plan_text("表格.docx", _docx(["一、重点任务"], [["序号", "任务", "责任单位"], ["1", "强化监督", "市纪委监委*"]]))
    assert tabled == "一、重点任务\n序号\t任务\t责任单位\n1\t强化监督\t市纪委监委*\n(完)"


def test_unreadable_plan_files_are_refused_in_chinese():
    with pytest.raises(PlanParseError, match="不是有效的 Word"):
        plan_text("坏.docx", b"PK\x03\x04 not really a zip")
    with pytest.raises(PlanParseError, match="没有文字"):
        plan_text("空.docx", _docx([]))
    assert plan_text("gbk.txt", "一、总体要求\r\n".encode("gb18030")) == "一、总体要求\n"


@pytest.mark.parametrize("role", ["leader", "county", "unit"])
def test_only_an_admin_changes_the_plan(store, role):
    _, engine = store
    who = Account("someone", "某人", role, county="330101000000" if role == "county" else None,
                  unit="市民政局" if role == "unit" else None)
    with pytest.raises(ScopeError, match="不能更换实施方案或调整目标"):
        add_plan_version(engine, who, FIXED, "新方案.txt")
    add_plan_version(engine, command_line(), FIXED, "新方案.txt")
    with pytest.raises(ScopeError, match="不能更换实施方案或调整目标"):
        activate_plan(engine, 1, who)
    assert _versions(engine) == [(2, True), (1, False)]
