"""Scope in the data layer: what each role may upload, restore, list, download and change, enforced by the
data functions themselves whatever page, query parameter or CLI flag the request comes through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import accounts, audit, freeze, intake, meeting
from dashboard.accounts import Account
from dashboard.demo import remove_demo
from dashboard.scope import ScopeError, command_line
from dashboard.templates import template_file
from tests.apptest import ADMIN
from tests.intake_fixtures import COUNTY, county_code_of, fingerprint, monthly_table

PERIOD = "2026-01"
OTHER = "下溪县"  # another demo county
QINGLIAN = str(Path(sys.executable).with_name("qinglian"))


@pytest.fixture
def people(demo_store):
    """The four roles, with 北亭县's staff and the 市民政局's."""
    code, other = county_code_of(demo_store, COUNTY), county_code_of(demo_store, OTHER)
    return {"code": code, "other": other,
            "county": Account("beiting", "李明", "county", code),
            "unit": Account("minzheng", "王芳", "unit", None, "市民政局"),
            "leader": Account("shuji", "赵书记", "leader"),
            "admin": Account("zhang", "张主任", "admin")}


def _upload(engine, county: str, who: Account) -> int:
    preview = intake.prepare(engine, monthly_table(engine, county).xlsx(), f"{county}.xlsx", "village_monthly",
                             PERIOD, county_code_of(engine, county), who=ADMIN)
    assert preview.ok
    return intake.commit(engine, preview, who=who)


def test_a_county_user_uploads_only_for_its_county(demo_store, people):
    beiting, mine, other = people["county"], people["code"], people["other"]
    data = monthly_table(demo_store, COUNTY).xlsx()
    before = fingerprint(demo_store)
    with pytest.raises(ScopeError, match="^县级填报员只能上报、恢复本县的数据。$"):
        intake.prepare(demo_store, data, "月报.xlsx", "village_monthly", PERIOD, other, who=beiting)
    with pytest.raises(ScopeError, match="^县级填报员不能上报「措施推进月报」。$"):
        intake.prepare(demo_store, data, "措施.xlsx", "measure_progress", PERIOD, None, who=beiting)
    own = intake.prepare(demo_store, data, "月报.xlsx", "village_monthly", PERIOD, None, who=beiting)
    assert own.ok and own.scope == mine and own.user == "李明(beiting)"  # no county chosen: its own
    # a file of another county's villages, sent without choosing a county, is checked as 北亭县's: refused
    theirs = intake.prepare(demo_store, monthly_table(demo_store, OTHER).xlsx(), "别县.xlsx", "village_monthly",
                            PERIOD, None, who=beiting)
    assert not theirs.ok and theirs.errors
    assert fingerprint(demo_store) == before  # nothing was written by any of it
    upload_id = intake.commit(demo_store, own, who=beiting)
    assert intake.history(demo_store, who=beiting)[0]["uploaded_by"] == "李明(beiting)"
    assert intake.history(demo_store, who=beiting)[0]["id"] == upload_id


def test_a_preview_of_another_county_cannot_be_committed_by_a_county_user(demo_store, people):
    other = intake.prepare(demo_store, monthly_table(demo_store, OTHER).xlsx(), "下溪.xlsx", "village_monthly",
                           PERIOD, people["other"], who=ADMIN)
    before = fingerprint(demo_store)
    with pytest.raises(ScopeError, match="只能上报、恢复本县的数据"):
        intake.commit_batch(demo_store, [other], who=people["county"])
    assert fingerprint(demo_store) == before


def test_unit_and_leader_scopes(demo_store, people):
    data = b"not read"
    with pytest.raises(ScopeError, match="^领导只能查看,不能上报或恢复数据。$"):
        intake.prepare(demo_store, data, "月报.xlsx", "village_monthly", PERIOD, people["code"], who=people["leader"])
    with pytest.raises(ScopeError, match="^单位填报员不能上报「村级指标月报」。$"):
        intake.prepare(demo_store, data, "月报.xlsx", "village_monthly", PERIOD, None, who=people["unit"])
    with pytest.raises(ScopeError, match="^单位填报员只能上报、恢复本单位的数据。$"):
        intake.prepare(demo_store, data, "措施.xlsx", "measure_progress", PERIOD, "市财政局", who=people["unit"])
    with pytest.raises(ScopeError, match="^请先登录。$"):
        intake.prepare(demo_store, data, "月报.xlsx", "village_monthly", PERIOD, None, who=None)


def test_history_restore_and_original_files_keep_to_the_county(demo_store, people):
    beiting, leader = people["county"], people["leader"]
    first_own, _ = _upload(demo_store, COUNTY, beiting), _upload(demo_store, COUNTY, beiting)
    first_other, _ = _upload(demo_store, OTHER, ADMIN), _upload(demo_store, OTHER, ADMIN)
    seen = {row["scope"] for row in intake.history(demo_store, period=PERIOD, who=beiting)}
    assert seen == {people["code"]}
    assert intake.history(demo_store, scope=people["other"], who=beiting) == []  # asking for another: nothing
    assert {row["scope"] for row in intake.history(demo_store, period=PERIOD, who=leader)} == {
        people["code"], people["other"]}
    with pytest.raises(ScopeError, match="只能下载本县或本单位上报的原始文件"):
        intake.original_file(demo_store, first_other, who=beiting)
    assert intake.original_file(demo_store, first_own, who=beiting)[0] == f"{COUNTY}.xlsx"
    assert intake.original_file(demo_store, first_other, who=leader)[0] == f"{OTHER}.xlsx"  # 领导 reads all
    before = fingerprint(demo_store)
    with pytest.raises(ScopeError, match="只能恢复本县或本单位的版本|只能上报、恢复本县的数据"):
        intake.restore(demo_store, first_other, who=beiting)
    with pytest.raises(ScopeError, match="^领导只能查看"):
        intake.restore(demo_store, first_own, who=leader)
    assert fingerprint(demo_store) == before
    intake.restore(demo_store, first_own, who=beiting)
    active = [row for row in intake.history(demo_store, period=PERIOD, who=beiting) if row["active"]]
    assert [row["id"] for row in active] == [first_own] and "由李明(beiting)恢复" in active[0]["message"]


def test_templates_keep_to_the_county(demo_store, people):
    beiting = people["county"]
    with pytest.raises(ScopeError, match="只能上报、恢复本县的数据"):
        template_file(demo_store, "village_monthly", PERIOD, people["other"], who=beiting)
    _, name, rows = template_file(demo_store, "village_monthly", PERIOD, None, who=beiting)
    assert name == f"村级指标月报_{PERIOD}_{COUNTY}.xlsx" and rows == 115  # its own county, never the city
    _, name, _ = template_file(demo_store, "village_monthly", PERIOD, people["other"], who=people["leader"])
    assert name.endswith(f"_{OTHER}.xlsx")


def test_store_wide_actions_are_for_admins_only(demo_store, people):
    for role in ("county", "unit", "leader"):
        who = people[role]
        with pytest.raises(ScopeError, match=f"^{who.role_label}不能冻结或解除冻结月度数据,请联系管理员。$"):
            freeze.freeze(demo_store, "2025-11", who)
        with pytest.raises(ScopeError, match="不能删除演示数据"):
            remove_demo(demo_store, who)
        with pytest.raises(ScopeError, match="不能管理账号"):
            accounts.add(demo_store, "someone", "清廉-password-9", "领导", by=who)
        with pytest.raises(ScopeError, match="不能查看审计日志"):
            audit.entries(demo_store, who=who)
    with pytest.raises(ScopeError, match="^请先登录。$"):
        meeting.export(demo_store, "2025-11", "xlsx", who=None)
    files = meeting.export(demo_store, "2025-11", "xlsx", who=people["county"])  # published figures: any role
    assert files and audit.entries(demo_store, action="export", who=ADMIN).iloc[0]["账号"] == "李明(beiting)"
    assert freeze.freeze(demo_store, "2025-11", people["admin"]).frozen_by == "张主任(zhang)"


def test_cli_import_acts_as_a_named_account_with_its_scope(demo_store, people, tmp_path):
    url = demo_store.url.render_as_string(hide_password=False)
    accounts.add(demo_store, "beiting", "清廉-password-9", "县级填报员", "李明", county=COUNTY, by=command_line())
    path = tmp_path / "月报.xlsx"
    path.write_bytes(monthly_table(demo_store, OTHER).xlsx())

    def run(*args):
        return subprocess.run([QINGLIAN, "--db", url, "import", str(path), "--kind", "village_monthly",
                               "--period", PERIOD, *args], capture_output=True, text=True, timeout=300,
                              env={**os.environ})

    before = fingerprint(demo_store)
    refused = run("--county", OTHER, "--as", "beiting")
    assert refused.returncode == 1 and refused.stderr.strip() == "县级填报员只能上报、恢复本县的数据。"
    unknown = run("--county", OTHER, "--as", "nobody")
    assert unknown.returncode == 2 and unknown.stderr.strip() == "账号「nobody」不存在或已停用。"
    assert fingerprint(demo_store) == before
    done = run("--county", OTHER)  # the server's own command line acts as 管理员
    assert done.returncode == 0, done.stderr
    assert intake.history(demo_store, who=ADMIN)[0]["uploaded_by"].startswith("服务器命令行(cli-")


def test_a_county_user_cannot_download_a_city_wide_file_through_its_part(demo_store, people):
    """A city-wide upload keeps one file for all its counties: a county's staff must not get the others' rows."""
    from tests.test_consolidated_upload import consolidated

    data = consolidated(demo_store).xlsx()
    preview = intake.prepare(demo_store, data, "全市汇总.xlsx", "village_monthly", PERIOD, None, who=ADMIN)
    ids = intake.commit_batch(demo_store, [preview], who=ADMIN)
    own = next(i for i, part in zip(ids, preview.parts) if part.scope == people["code"])
    with pytest.raises(ScopeError, match="^该版本来自市级汇总上报的文件,文件中含其他县"):
        intake.original_file(demo_store, own, who=people["county"])
    assert intake.original_file(demo_store, own, who=people["leader"]) == ("全市汇总.xlsx", data)
