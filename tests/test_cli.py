"""The ``qinglian`` console script, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
