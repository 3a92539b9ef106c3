"""用户管理 and 审计日志 as an admin works them: make a county clerk's account, reset its password, disable it,
then find those changes (and the clerk's failed sign-in) in the audit log with its filters."""

from __future__ import annotations

from dashboard import accounts, ui
from tests.apptest import app
from tests.intake_fixtures import COUNTY, county_code_of

PASSWORD = "清廉-clerk-password"


def _users():
    at = app(90).run()
    at.switch_page("pages/users.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _listing(at) -> dict[str, dict]:
    table = next(d.value for d in at.dataframe if "账号" in d.value.columns)
    return {row["账号"]: row for row in table.to_dict("records")}


def test_an_admin_makes_resets_and_disables_an_account(demo_store):
    at = _users()
    at.text_input(key="na_username").input("beiting_li")
    at.text_input(key="na_name").input("李明")
    at.selectbox(key="na_role").set_value("县级填报员")
    at.selectbox(key="na_county").set_value(county_code_of(demo_store, COUNTY))
    at.text_input(key="na_password").input(PASSWORD)
    at.text_input(key="na_again").input(PASSWORD)
    next(b for b in at.button if b.label == "新建账号").click().run()
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [ui.plain("已新建账号 beiting_li(李明,县级填报员)。")]
    assert _listing(at)["beiting_li"] | {"最近登录": ""} == {
        "账号": "beiting_li", "姓名": "李明", "角色": "县级填报员", "范围": COUNTY, "状态": "正常", "最近登录": ""}
    assert accounts.authenticate(demo_store, "beiting_li", PASSWORD).county == county_code_of(demo_store, COUNTY)

    # a second account with the same name is refused, in Chinese, and nothing changes
    at.text_input(key="na_password").input(PASSWORD)
    at.text_input(key="na_again").input(PASSWORD)
    next(b for b in at.button if b.label == "新建账号").click().run()
    assert [e.value for e in at.error] == [ui.plain("账号「beiting_li」已存在。")]

    at.selectbox(key="ch_user").set_value("beiting_li").run()
    at.text_input(key="ch_password").input("新的-清廉-password")
    at.text_input(key="ch_again").input("新的-清廉-password")
    next(b for b in at.button if b.label == "重设密码(同时解除锁定)").click().run()
    assert [s.value for s in at.success] == [ui.plain("已重设账号 beiting_li 的密码;该账号已登录的浏览器须重新登录。")]
    assert accounts.authenticate(demo_store, "beiting_li", "新的-清廉-password").username == "beiting_li"
    next(b for b in at.button if b.label == "停用账号").click().run()
    assert _listing(at)["beiting_li"]["状态"] == "已停用"


def test_the_audit_log_is_filtered_by_account_and_action(demo_store):
    at = _users()
    admin = at.session_state["signed_in_account"]
    accounts.add(demo_store, "beiting_li", PASSWORD, "县级填报员", "李明", county=COUNTY, by=admin)
    try:
        accounts.authenticate(demo_store, "beiting_li", "wrong-password")
    except accounts.SignInError:
        pass
    at.switch_page("pages/audit.py").run()
    assert not at.exception and not at.error
    at.text_input(key="au_account").input("beiting_li").run()
    log = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert list(zip(log["操作"], log["结果"])) == [("登录失败", "未成功")]
    assert log.iloc[0]["说明"] == "密码错误(第 1 次)"
    at.text_input(key="au_account").input("").run()
    at.selectbox(key="au_action").set_value("account").run()
    log = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    # newest first: the clerk's account by this admin, then the admin's own (made for the test on the CLI)
    assert list(log["操作"]) == ["账号管理", "账号管理"] and log.iloc[0]["账号"] == admin.signature
    assert list(log["说明"]) == ["新建账号:李明,角色 县级填报员,范围 " + COUNTY, "新建账号:测试管理员,角色 管理员"]
    assert any("其中未成功 0 条" in c.value for c in at.caption)
