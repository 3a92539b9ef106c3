"""Local accounts and the audit log: argon2 hashes, roles with their scope, the lock after repeated wrong
passwords, and every action of a month recorded with who, when and what."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from dashboard import accounts, audit, freeze, intake, meeting, months
from dashboard.models import Account as AccountRow
from tests.apptest import ADMIN
from tests.clock import at
from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

QINGLIAN = str(Path(sys.executable).with_name("qinglian"))
PASSWORD = "清廉-village-2025"
ZHANG = accounts.Account("zhang", "张主任", "admin")  # signs its changes 张主任(zhang)



def test_accounts_keep_an_argon2_hash_and_their_scope(demo_store):
    accounts.add(demo_store, "zhang", PASSWORD, "管理员", "张主任", by=ADMIN)
    accounts.add(demo_store, "yixi", PASSWORD, "县级填报员", "李明", county=COUNTY, by=ADMIN)
    accounts.add(demo_store, "minzheng", PASSWORD, "unit", "王芳", unit="市民政局", by=ADMIN)
    accounts.add(demo_store, "shuji", PASSWORD, "领导", "赵书记", by=ADMIN)
    with demo_store.connect() as conn:
        hashes = dict(conn.execute(select(AccountRow.username, AccountRow.password_hash)).all())
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes.values())
    assert len(set(hashes.values())) == 4  # salted: the same password never gives the same hash
    table = accounts.listing(demo_store)
    assert table.to_dict("records") == [
        {"账号": "minzheng", "姓名": "王芳", "角色": "单位填报员", "范围": "市民政局", "状态": "正常", "最近登录": ""},
        {"账号": "shuji", "姓名": "赵书记", "角色": "领导", "范围": "全市", "状态": "正常", "最近登录": ""},
        {"账号": "yixi", "姓名": "李明", "角色": "县级填报员", "范围": COUNTY, "状态": "正常", "最近登录": ""},
        {"账号": "zhang", "姓名": "张主任", "角色": "管理员", "范围": "全市", "状态": "正常", "最近登录": ""},
    ]
    signed = accounts.authenticate(demo_store, "yixi", PASSWORD)
    assert signed == accounts.Account("yixi", "李明", "county", county_code_of(demo_store, COUNTY), None)
    assert signed.signature == "李明(yixi)"


@pytest.mark.parametrize("kwargs,message", [
    ({"username": "李明", "role": "管理员"}, "账号须为 2–40 个英文字母、数字或 _ . -"),
    ({"username": "liming", "role": "管理员", "password": "short"}, "密码至少 10 个字符"),
    ({"username": "liming", "role": "管理员", "password": "liming"}, "密码至少 10 个字符"),
    ({"username": "liming", "role": "管理员", "password": "aaaaaaaaaaaa"}, "密码过于简单"),
    ({"username": "liming", "role": "主任"}, "角色「主任」无效,可选:领导、管理员、县级填报员、单位填报员"),
    ({"username": "liming", "role": "县级填报员"}, "县级填报员须指定所属县(市、区)"),
    ({"username": "liming", "role": "县级填报员", "county": "不存在县"}, "「不存在县」不在区划中"),
    ({"username": "liming", "role": "单位填报员", "unit": "市不存在局"}, "「市不存在局」不在方案的责任单位中"),
])
def test_bad_accounts_are_refused_in_chinese(demo_store, kwargs, message):
    kwargs = {"password": PASSWORD, **kwargs}
    with pytest.raises(accounts.AccountError, match=message.replace("(", r"\(").replace(")", r"\)")):
        accounts.add(demo_store, **kwargs, by=ADMIN)
    assert accounts.count(demo_store) == 0


def test_a_name_is_taken_once(demo_store):
    accounts.add(demo_store, "zhang", PASSWORD, "管理员", by=ADMIN)
    with pytest.raises(accounts.AccountError, match="账号「zhang」已存在"):
        accounts.add(demo_store, "zhang", PASSWORD, "领导", by=ADMIN)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(demo_store):
    accounts.add(demo_store, "zhang", PASSWORD, "管理员", by=ADMIN)
    with at("2026-03-02 09:00"):
        for _ in range(4):
            with pytest.raises(accounts.SignInError, match="^账号或密码不正确。$"):
                accounts.authenticate(demo_store, "zhang", "wrong-password")
        with pytest.raises(accounts.SignInError, match="连续输错密码 5 次,账号已锁定 15 分钟"):
            accounts.authenticate(demo_store, "zhang", "wrong-password")
    with at("2026-03-02 09:10"), pytest.raises(accounts.SignInError, match="账号已锁定至 09:15"):
        accounts.authenticate(demo_store, "zhang", PASSWORD)  # even the right password waits
    with at("2026-03-02 09:16"):
        assert accounts.authenticate(demo_store, "zhang", PASSWORD).username == "zhang"
    log = audit.entries(demo_store, account="zhang", who=ADMIN)
    assert list(log["操作"])[:3] == ["登录", "登录失败", "登录失败"]
    assert list(log["说明"])[1:3] == ["账号锁定中", "密码错误,连续 5 次,锁定 15 分钟"]


def test_an_admin_reset_unlocks_and_a_disabled_account_cannot_sign_in(demo_store):
    accounts.add(demo_store, "yixi", PASSWORD, "县级填报员", county=COUNTY, by=ADMIN)
    for _ in range(5):
        with pytest.raises(accounts.SignInError):
            accounts.authenticate(demo_store, "yixi", "wrong-password")
    accounts.set_password(demo_store, "yixi", "new-清廉-password", by=ZHANG)
    assert accounts.authenticate(demo_store, "yixi", "new-清廉-password").username == "yixi"
    accounts.set_active(demo_store, "yixi", False, by=ZHANG)
    with pytest.raises(accounts.SignInError, match="^账号或密码不正确。$"):  # as if it did not exist
        accounts.authenticate(demo_store, "yixi", "new-清廉-password")
    with pytest.raises(accounts.SignInError, match="^账号或密码不正确。$"):
        accounts.authenticate(demo_store, "nobody", "new-清廉-password")
    assert accounts.listing(demo_store).iloc[0]["状态"] == "已停用"
    changes = audit.entries(demo_store, action="account", who=ADMIN)
    assert list(zip(changes["账号"], changes["说明"]))[:2] == [
        ("张主任(zhang)", "停用账号(已登录的浏览器随即退出)"), ("张主任(zhang)", "重设密码(并解除锁定,已登录的浏览器须重新登录)")]


def test_a_month_of_actions_is_in_the_audit_log(demo_store, tmp_path):
    """Upload, refusal, restore, freeze, export, unfreeze: each with its author, in order, newest first."""
    code = county_code_of(demo_store, COUNTY)
    li = accounts.Account("yixi", "李明", "county", code)  # the county's own staff
    zhao = accounts.Account("shuji", "赵书记", "leader")
    table = monthly_table(demo_store, COUNTY)
    with at("2026-02-03 09:00"):
        first = intake.prepare(demo_store, table.xlsx(), "一月.xlsx", "village_monthly", "2026-01", code, who=li)
        first_id = intake.commit(demo_store, first, who=li)
    with at("2026-02-04 09:00"):
        bad = intake.prepare(demo_store, table.set(0, "法律明白人数", "三").xlsx(), "错的.xlsx", "village_monthly",
                             "2026-01", code, who=li)
        intake.record_refusal(demo_store, bad)
        fixed = intake.prepare(demo_store, monthly_table(demo_store, COUNTY).xlsx(), "更正.xlsx", "village_monthly",
                               "2026-01", code, who=li)
        intake.commit(demo_store, fixed, who=li)
    with at("2026-02-05 09:00"):
        intake.restore(demo_store, first_id, who=ZHANG)
    with at("2026-02-06 09:00"):
        freeze.freeze(demo_store, "2026-01", ZHANG)
        meeting.export(demo_store, "2026-01", "xlsx", who=zhao)
    with at("2026-02-07 09:00"):
        freeze.unfreeze(demo_store, "2026-01", ZHANG, "义溪区更正")
    log = audit.entries(demo_store, since=datetime(2026, 2, 1, tzinfo=months.zone()),
                        until=datetime(2026, 3, 1, tzinfo=months.zone()), who=ADMIN)
    assert list(zip(log["账号"], log["操作"], log["结果"])) == [
        ("张主任(zhang)", "解除冻结", "成功"), ("赵书记(shuji)", "导出", "成功"), ("张主任(zhang)", "冻结", "成功"),
        ("张主任(zhang)", "恢复版本", "成功"), ("李明(yixi)", "上报(接收)", "成功"), ("李明(yixi)", "上报(拒收)", "未成功"),
        ("李明(yixi)", "上报(接收)", "成功")]
    assert list(log["对象"])[4:] == [f"村级指标月报 2026-01 {COUNTY}"] * 3
    assert "错的.xlsx" in log.iloc[5]["说明"] and f"版本号 {first_id}" in log.iloc[6]["说明"]
    assert log.iloc[1]["对象"] == "全市 · 数据截至 2026年1月 · 数据表(.xlsx)" and log.iloc[1]["说明"].startswith("冻结数字")
    assert log.iloc[0]["说明"] == "原因:义溪区更正"
    plan = audit.entries(demo_store, action="plan", who=ADMIN)
    assert len(plan) == 1 and plan.iloc[0]["对象"] == "plan.txt"  # the shipped plan, loaded once


def run(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([QINGLIAN, "--db", url, *args], capture_output=True, timeout=300, input=stdin,
                          text=True, env={**os.environ})


def test_cli_user_verbs_and_audit(demo_store):
    url = demo_store.url.render_as_string(hide_password=False)
    made = run(url, "user", "add", "yixi", "--role", "县级填报员", "--county", COUNTY, "--name", "李明",
               "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "已新建账号 yixi:李明,县级填报员。"
    short = run(url, "user", "add", "other", "--role", "领导", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "密码至少 10 个字符" in short.stderr
    listed = run(url, "user", "list")
    assert listed.returncode == 0 and listed.stdout.split() == ["yixi", "李明", "县级填报员", COUNTY, "正常"]
    assert PASSWORD not in listed.stdout and "argon2" not in listed.stdout
    off = run(url, "user", "disable", "yixi")
    assert off.returncode == 0 and "已停用账号 yixi" in off.stdout
    with pytest.raises(accounts.SignInError):
        accounts.authenticate(demo_store, "yixi", PASSWORD)
    missing = run(url, "user", "disable", "nobody")
    assert missing.returncode == 1 and "账号「nobody」不存在" in missing.stderr
    trail = run(url, "audit", "--action", "账号管理")
    lines = trail.stdout.strip().splitlines()
    assert len(lines) == 2 and "停用账号" in lines[0] and "新建账号:李明,角色 县级填报员" in lines[1]
    assert all(line.split()[2].startswith("服务器命令行(cli-") for line in lines)
    bad = run(url, "audit", "--action", "跳舞")
    assert bad.returncode == 2 and "操作「跳舞」无效" in bad.stderr


def test_sign_in_time_is_kept(demo_store):
    accounts.add(demo_store, "zhang", PASSWORD, "管理员", by=ADMIN)
    with at("2026-03-02 08:30"):
        accounts.authenticate(demo_store, "zhang", PASSWORD)
    assert accounts.listing(demo_store).iloc[0]["最近登录"] == "2026-03-02 08:30"

