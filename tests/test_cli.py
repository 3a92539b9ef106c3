"""The ``qinglian`` console script, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dashboard.scope import command_line
from dashboard.settings import DEFAULT_PLAN_FILE
from dashboard.store import head_revision

QINGLIAN = str(Path(sys.executable).with_name("qinglian"))


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([QINGLIAN, *args], capture_output=True, env={**os.environ, **(env or {})},
                          timeout=300)


def test_plan_parse_json_prints_the_seed_plan_in_utf8():
    out = run("plan", "parse", str(DEFAULT_PLAN_FILE), "--format", "json")
    assert out.returncode == 0, out.stderr.decode()
    assert "市民政局".encode() in out.stdout  # not ASCII-escaped
    data = json.loads(out.stdout.decode("utf-8"))
    assert [s["number"] for s in data["sections"]] == [1, 2, 3, 4]
    assert [m["number"] for m in data["measures"]] == list(range(1, 15))
    m5 = data["measures"][4]
    assert set(m5) >= {"number", "section", "title", "lead_unit", "co_units", "counties_responsible",
                       "deadline", "flags"}
    assert (m5["lead_unit"], m5["section"], m5["counties_responsible"]) == ("市民政局", 2, True)
    assert data["measures"][9]["deadline"] == "2025-12-31"
    assert data["measures"][13]["flags"] == ["责任单位缺失"] and data["measures"][13]["lead_unit"] is None
    keys = {t["key"]: t for t in data["targets"]}
    assert keys["township_demo_70"]["value"] == 70 and keys["township_demo_70"]["comparator"] == ">="
    assert set(keys["legal_persons_3"]) >= {"text", "value", "unit", "comparator", "deadline", "source"}


def test_plan_parse_missing_file_exits_2_in_chinese(tmp_path):
    out = run("plan", "parse", str(tmp_path / "nope.txt"), "--format", "json")
    assert out.returncode == 2
    assert "无法读取方案文件" in out.stderr.decode()
    assert out.stdout == b""


def test_plan_parse_binary_or_measureless_file_exits_2(tmp_path):
    binary = tmp_path / "plan.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    out = run("plan", "parse", str(binary))
    assert out.returncode == 2 and "不是文本文件" in out.stderr.decode()
    prose = tmp_path / "prose.txt"
    prose.write_text("这是一份通知,没有任何工作措施。", encoding="utf-8")
    out = run("plan", "parse", str(prose))
    assert out.returncode == 2 and "未在方案文本中找到任何工作措施" in out.stderr.decode()


def test_plan_parse_reads_gbk_text(tmp_path):
    gbk = tmp_path / "plan_gbk.txt"
    gbk.write_bytes(DEFAULT_PLAN_FILE.read_text(encoding="utf-8").encode("gb18030"))
    out = run("plan", "parse", str(gbk), "--format", "json")
    assert out.returncode == 0
    assert json.loads(out.stdout)["measures"][12]["lead_unit"] == "市委宣传部"


def test_db_upgrade_then_demo_then_refusal(tmp_path):
    env = {"QINGLIAN_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    up = run("db", "upgrade", env=env)
    assert up.returncode == 0 and f"数据库已升级到版本 {head_revision()}" in up.stdout.decode()
    demo = run("demo", "--scale", "city", "--seed", "3", env=env)
    assert demo.returncode == 0 and "已写入演示数据(city)" in demo.stdout.decode()
    again = run("demo", env=env)
    assert again.returncode == 1
    assert "数据库中已有区划数据" in again.stderr.decode()


def _monthly_file(tmp_path, engine, county_code: str, legal: object = 3) -> Path:
    import openpyxl

    from dashboard.intake import village_index

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "法律明白人数", "小微权力清单已建立", "纪检委员已配备",
               "三务公开本月按时公开", "村务监督委员会健全", "问题线索发现数", "问题线索查处数", "问题线索通报曝光数",
               "矛盾纠纷受理数", "矛盾纠纷化解数"])
    villages = [v for v in village_index(engine).villages if v.county_code == county_code]
    for v in villages:
        ws.append([v.county, v.township, v.name, v.code, legal, "是", "是", "是", "是", 0, 0, 0, 1, 1])
    path = tmp_path / "月报.xlsx"
    wb.save(path)
    return path


def test_import_dry_run_then_commit_json(demo_store, tmp_path):
    from dashboard import queries

    env = {"QINGLIAN_DB_URL": str(demo_store.url)}
    code, name = next(iter(queries.counties(demo_store).items()))
    path = _monthly_file(tmp_path, demo_store, code)
    args = ["import", str(path), "--kind", "village_monthly", "--period", "2026-01", "--county", name,
            "--format", "json"]
    dry = run(*args, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr.decode()
    out = json.loads(dry.stdout.decode("utf-8"))
    n = out["rows"]
    assert n > 100
    warnings = out.pop("warnings")
    assert out == {"ok": True, "kind": "village_monthly", "period": "2026-01", "rows": n, "errors": [],
                   "diff": {"added": n, "changed": 0, "unchanged": 0, "missing": 0}, "roster_total": n,
                   "roster_missing": [],
                   "parts": [{"scope": code, "name": name, "rows": n, "warnings": len(warnings),
                              "diff": {"added": n, "changed": 0, "unchanged": 0, "missing": 0}, "roster_total": n,
                              "roster_missing": []}]}
    from sqlalchemy import text

    with demo_store.connect() as conn:  # villages that had more than 3 last month: a fall is warned
        fell = conn.execute(text(
            "SELECT r.legal_persons FROM village_reports r JOIN uploads u ON u.id = r.upload_id "
            "WHERE u.active AND u.period = '2025-12' AND r.county_code = :c AND r.legal_persons > 3 "
            "ORDER BY r.village_code"), {"c": code}).scalars().all()
    assert len(fell) > 0
    assert [w["message"] for w in warnings] == [f"比上月({x}名)减少,请确认是否属实" for x in fell]

    count = "SELECT COUNT(*) FROM uploads WHERE period='2026-01'"
    with demo_store.connect() as conn:
        assert conn.execute(text(count)).scalar() == 0  # a dry run writes nothing
    real = run(*args, env=env)
    assert real.returncode == 0 and json.loads(real.stdout)["ok"] is True
    again = json.loads(run(*args, "--dry-run", env=env).stdout)
    assert again["diff"] == {"added": 0, "changed": 0, "unchanged": n, "missing": 0}
    with demo_store.connect() as conn:
        who = command_line().signature  # no --as: the server's command line, 服务器命令行(cli-系统用户)
        assert conn.execute(text(count + " AND active AND uploaded_by=:who"), {"who": who}).scalar() == 1


def test_import_refused_exits_1_with_located_errors(demo_store, tmp_path):
    from dashboard import queries

    env = {"QINGLIAN_DB_URL": str(demo_store.url)}
    code, name = next(iter(queries.counties(demo_store).items()))
    path = _monthly_file(tmp_path, demo_store, code, legal="三")
    out = run("import", str(path), "--kind", "village_monthly", "--period", "2026-01", "--county", name,
              "--format", "json", env=env)
    assert out.returncode == 1
    payload = json.loads(out.stdout)
    assert payload["ok"] is False and len(payload["errors"]) == payload["rows"]
    assert payload["errors"][0] == {"sheet": "Sheet", "row": 2, "column": "法律明白人数", "value": "三",
                                    "message": "应为非负整数,实际填写「三」。请改为非负整数"}
    from sqlalchemy import text

    with demo_store.connect() as conn:
        assert conn.execute(text("SELECT outcome, errors FROM uploads WHERE period='2026-01'")).one() == (
            "refused", payload["rows"])


def test_import_usage_errors_exit_2_in_chinese(demo_store, tmp_path):
    env = {"QINGLIAN_DB_URL": str(demo_store.url)}
    missing = run("import", str(tmp_path / "x.xlsx"), "--kind", "village_monthly", "--period", "2026-01", env=env)
    assert missing.returncode == 2 and "无法读取文件" in missing.stderr.decode()
    bad_period = run("import", "x.xlsx", "--kind", "village_monthly", "--period", "2026-13", env=env)
    assert bad_period.returncode == 2 and "报送期「2026-13」有误" in bad_period.stderr.decode()
    no_kind = run("import", "x.xlsx", "--period", "2026-01", env=env)
    assert no_kind.returncode == 2 and "用法错误:缺少必填参数" in no_kind.stderr.decode()
    (tmp_path / "a.xlsx").write_bytes(b"x")
    county = run("import", str(tmp_path / "a.xlsx"), "--kind", "village_monthly", "--period", "2026-01",
                 "--county", "火星县", env=env)
    assert county.returncode == 2 and "未找到县(市、区)「火星县」" in county.stderr.decode()


def test_import_refuses_a_parser_killing_file_and_records_it(demo_store, tmp_path):
    from loaders.refusals import REFUSALS
    from tests.hostile_files import string_bomb

    path = tmp_path / "炸弹.xlsx"
    path.write_bytes(string_bomb())
    url = str(demo_store.url)
    out = run("--db", url, "import", str(path), "--kind", "village_monthly", "--period", "2026-01",
              "--county", "北亭县")
    assert out.returncode == 1, out.stderr.decode()
    assert out.stdout.decode().splitlines() == [
        "未通过校验,未写入:读取 0 行,错误 1 处,提示 0 处;新增 0,修改 0,未变 0,缺少 0。",
        "错误:" + REFUSALS["capacity"](),
    ]
    assert out.stderr == b""
    with demo_store.connect() as conn:
        from sqlalchemy import text

        row = conn.execute(text("SELECT file_name, outcome, uploaded_by FROM uploads ORDER BY id DESC LIMIT 1")).one()
    assert tuple(row) == ("炸弹.xlsx", "refused", command_line().signature)


def test_import_of_a_csv_with_an_overlong_field_is_a_recorded_refusal_not_a_traceback(demo_store, tmp_path):
    from tests.intake_fixtures import COUNTY, monthly_table

    path = tmp_path / "月报.csv"
    path.write_bytes(monthly_table(demo_store, COUNTY).set(0, "村(社区)", "长" * 140_000).csv())
    out = run("--db", str(demo_store.url), "import", str(path), "--kind", "village_monthly", "--period", "2026-01",
              "--county", COUNTY, "--format", "json")
    assert out.returncode == 1 and b"Traceback" not in out.stderr
    payload = json.loads(out.stdout)
    assert [e["message"] for e in payload["errors"]] == [
        "CSV 文件第 2 行无法读取:有单元格超过 131072 个字符。请检查该行的引号是否成对,或另存为 .xlsx 后上传。"]
    with demo_store.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT outcome FROM uploads ORDER BY id DESC LIMIT 1")).scalar() == "refused"
