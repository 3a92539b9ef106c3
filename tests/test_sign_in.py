"""Sign-in sessions and the router: signed cookies, idle timeout, sign-out, disabled accounts, trusted-proxy and
single sign-on modes, each role's pages, and what an anonymous session sees (nothing but the way to sign in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import accounts, audit, sessions, settings, signed_in
from dashboard.scope import command_line
from tests.apptest import PASSWORD, account, app
from tests.clock import at
from tests.intake_fixtures import COUNTY, county_code_of

ROOT = Path(__file__).resolve().parents[1]
ADMIN_PAGES = ["总览", "示范点地图", "目标进度", "责任落实", "会议材料", "数据上报", "实施方案", "用户管理", "审计日志"]


def _rules(monkeypatch, **overrides) -> None:
    rules = settings.session_rules() | overrides
    monkeypatch.setattr(sessions, "session_rules", lambda: rules)
    monkeypatch.setattr(signed_in, "session_rules", lambda: rules)


def test_a_session_cookie_is_signed_and_ends_by_idling_signing_out_or_disabling(demo_store):
    who = account("county", county=county_code_of(demo_store, COUNTY), username="beiting")
    with at("2026-03-02 09:00"):
        cookie = sessions.open_session(demo_store, who)
    token = cookie.split(".")[0]
    assert sessions.check(demo_store, cookie, at=_t("2026-03-02 09:20")).account == who
    assert sessions.check(demo_store, f"{token}.{'0' * 64}").reason == "forged"  # a signature it did not get
    assert sessions.check(demo_store, token).reason == "forged"
    assert sessions.check(demo_store, None).reason == "none"
    # activity at 09:20 was recorded, so 09:45 is 25 minutes idle (limit 30), 10:20 is 60
    assert sessions.check(demo_store, cookie, at=_t("2026-03-02 09:45")).account == who
    idle = sessions.check(demo_store, cookie, at=_t("2026-03-02 10:20"))
    assert idle.account is None and idle.message() == "超过 30 分钟无操作,已自动退出,请重新登录。"
    assert sessions.check(demo_store, cookie, at=_t("2026-03-02 10:21")).reason == "ended"  # stays ended

    second = sessions.open_session(demo_store, who)
    assert sessions.sign_out(demo_store, second) == "beiting"
    assert sessions.check(demo_store, second).reason == "ended"
    assert audit.entries(demo_store, action="sign_out", who=command_line()).iloc[0]["账号"] == "beiting"

    third = sessions.open_session(demo_store, who)
    accounts.set_active(demo_store, "beiting", False, by=command_line())  # disabling signs its browsers out
    assert sessions.check(demo_store, third).reason == "ended"
    accounts.set_active(demo_store, "beiting", True, by=command_line())
    assert sessions.check(demo_store, third).reason == "ended"  # enabling again does not revive the session


def _t(text: str):
    from datetime import datetime

    from dashboard import months

    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=months.zone())


def test_trusted_proxy_header_counts_only_from_a_trusted_address(demo_store, monkeypatch):
    account("leader", username="shuji")
    headers = {"x-remote-user": "shuji"}
    assert sessions.identify(demo_store, {}, headers, "127.0.0.1").account is None  # off by default
    _rules(monkeypatch, trusted_proxy_header="X-Remote-User", trusted_proxies=("10.0.0.5",))
    assert sessions.identify(demo_store, {}, headers, "10.0.0.5").account.username == "shuji"
    assert sessions.identify(demo_store, {}, headers, "10.0.0.9").account is None  # anyone else sending it
    assert sessions.identify(demo_store, {}, {"x-remote-user": "nobody"}, "10.0.0.5").account is None


def test_an_anonymous_session_sees_only_the_way_to_sign_in(demo_store):
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP

    at_ = AppTest.from_file(APP, default_timeout=60).run()
    assert not at_.exception
    assert [w.value for w in at_.warning] == ["请先登录。"]
    assert '<a href="/signin" target="_self">前往登录页</a>' in [m.value for m in at_.markdown]
    assert not at_.metric and not at_.dataframe and not at_.tabs and not at_.selectbox  # no figure, no data
    at_.session_state[sessions.COOKIE] = "forged.0000"
    at_.run()
    assert [w.value for w in at_.warning] == ["请先登录。"] and not at_.metric


PAGE_FILES = {"总览": "overview", "示范点地图": "map", "目标进度": "targets", "责任落实": "accountability",
              "会议材料": "meeting", "数据上报": "upload", "实施方案": "plan", "用户管理": "users", "审计日志": "audit"}
PAGE_TITLES = {"总览": "清廉乡村建设总览", "用户管理": "用户管理", "审计日志": "审计日志"}


@pytest.mark.parametrize("role,scope,pages", [
    ("admin", {}, ADMIN_PAGES),
    ("leader", {}, ["总览", "示范点地图", "目标进度", "责任落实", "会议材料", "数据上报", "实施方案"]),
    ("county", {"county": COUNTY}, ["总览", "示范点地图", "目标进度", "责任落实", "会议材料", "数据上报"]),
    ("unit", {"unit": "市民政局"}, ["总览", "示范点地图", "目标进度", "责任落实", "会议材料", "数据上报"]),
])
def test_each_role_reaches_its_pages_and_no_other(demo_store, role, scope, pages):
    """As each role: signed in, named in the sidebar; the admin pages run on their own open for 管理员 and refuse
    everyone else by themselves (that the router does not list them is checked in the browser test)."""
    if "county" in scope:
        scope = {"county": county_code_of(demo_store, scope["county"])}
    at_ = app(90, role, **scope).run()
    assert not at_.exception and not at_.error
    who = at_.session_state[signed_in.KEY]
    assert f"当前用户:<strong>{who.display_name}</strong>" in " ".join(m.value for m in at_.sidebar.markdown)
    for title in ("用户管理", "审计日志"):
        alone = app(90, role, **scope)
        alone_page = alone.switch_page(f"pages/{PAGE_FILES[title]}.py").run()
        if title in pages:
            assert [t.value for t in alone_page.title] == [PAGE_TITLES[title]] and not alone_page.error
        else:
            assert [e.value for e in alone_page.error] == [f"{who.role_label}不能{'管理账号' if title == '用户管理' else '查看审计日志'},请联系管理员。"]
            assert not alone_page.dataframe


def test_admin_pages_refuse_an_anonymous_session_run_on_their_own(demo_store):
    from streamlit.testing.v1 import AppTest

    for page in ("pages/users.py", "pages/audit.py", "pages/upload.py"):
        at_ = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
        assert [e.value for e in at_.error] == ["请先登录。"] and not at_.dataframe, page


def test_a_county_user_forging_another_county_gets_its_own_upload_page(demo_store):
    code, other = county_code_of(demo_store, COUNTY), county_code_of(demo_store, "下溪县")
    at_ = app(90, "county", county=code)
    at_.query_params["county"] = other
    at_.run()
    at_.switch_page("pages/upload.py").run()
    assert not at_.exception and not at_.error
    own = [t for t in at_.text_input if t.label == "所属县(市、区)"]
    assert [t.value for t in own] == [COUNTY] and own[0].disabled
    assert not [s for s in at_.selectbox if s.label == "所属县(市、区)"]  # nothing to choose another with
    assert [s.options for s in at_.selectbox if s.label == "报表类型"] == [["村级指标月报", "示范点台账", "县级特色品牌",
                                                                         "村级名录"]]
    uploader = [t for t in at_.text_input if t.label == "填报人(当前登录账号)"]
    assert uploader[0].value == f"测试县级填报员({at_.session_state[signed_in.KEY].username})" and uploader[0].disabled


def test_a_leader_reads_the_history_but_has_no_upload_tab(demo_store):
    at_ = app(90, "leader").run()
    at_.switch_page("pages/upload.py").run()
    assert not at_.exception and not at_.error
    assert [t.label for t in at_.tabs] == ["历史版本", "催报清单"]
    assert not at_.button or "恢复为生效版本" not in [b.label for b in at_.button]


def test_single_sign_on_maps_the_email_to_an_account(demo_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP

    accounts.add(demo_store, "shuji", PASSWORD, "领导", "赵书记", by=command_line(), email="Zhao@Example.gov.cn")
    _rules(monkeypatch, oidc=True)
    at_ = AppTest.from_file(APP, default_timeout=90)
    at_.user = {"email": "zhao@example.gov.cn", "is_logged_in": True}
    at_.run()
    assert not at_.exception and at_.session_state[signed_in.KEY].username == "shuji"
    stranger = AppTest.from_file(APP, default_timeout=60)
    stranger.user = {"email": "someone@example.com", "is_logged_in": True}
    stranger.run()
    assert [e.value for e in stranger.error] == ["统一身份认证的账号(邮箱)没有对应的本地账号,或该账号已停用。请联系管理员开通。"]
    _rules(monkeypatch, oidc=False)  # off (the default): a provider's word signs nobody in
    off = AppTest.from_file(APP, default_timeout=60)
    off.user = {"email": "zhao@example.gov.cn", "is_logged_in": True}
    off.run()
    assert [w.value for w in off.warning] == ["请先登录。"]


def test_an_ended_session_is_not_revived_by_single_sign_on(demo_store, monkeypatch):
    """Signed out (or idle) with the provider's login still in the browser: the router does not sign it in again."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP

    zhao = accounts.add(demo_store, "shuji", PASSWORD, "领导", "赵书记", by=command_line(), email="zhao@example.gov.cn")
    cookie = sessions.open_session(demo_store, zhao)
    sessions.sign_out(demo_store, cookie)
    _rules(monkeypatch, oidc=True)
    at_ = AppTest.from_file(APP, default_timeout=60)
    at_.user = {"email": "zhao@example.gov.cn", "is_logged_in": True}
    at_.session_state[sessions.COOKIE] = cookie
    at_.run()
    assert [w.value for w in at_.warning] == ["已退出登录或账号已停用,请重新登录。"] and not at_.metric


def test_a_short_idle_limit_is_kept_by_an_active_user(demo_store, monkeypatch):
    """Activity is recorded at most every tenth of the idle limit, so clicking every 50 s keeps a 1-minute limit."""
    rules = settings.account_rules() | {"idle_minutes": 1}
    monkeypatch.setattr(sessions, "account_rules", lambda: rules)
    who = account("leader", username="shuji")
    with at("2026-03-02 09:00"):
        cookie = sessions.open_session(demo_store, who)
    for second in (50, 100, 150, 200):  # each check is under a minute after the one before
        moment = _t("2026-03-02 09:00").replace(second=0) + __import__("datetime").timedelta(seconds=second)
        assert sessions.check(demo_store, cookie, at=moment).account == who, second
    late = _t("2026-03-02 09:00") + __import__("datetime").timedelta(seconds=200 + 61)
    assert sessions.check(demo_store, cookie, at=late).reason == "idle"


def test_the_cookie_secret_is_written_once_into_an_existing_session_section(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_bytes('[store]\nurl = "sqlite:///x.db"\n\n[session]  # 登录\r\noidc = false\n'.encode())
    monkeypatch.setattr(settings, "SECRETS_FILE", secrets)
    monkeypatch.delenv("QINGLIAN_COOKIE_SECRET", raising=False)
    made = settings.ensure_cookie_secret()
    assert len(made) >= 32 and settings.ensure_cookie_secret() == made  # the second start reads it back
    rules = settings.session_rules()
    assert rules["cookie_secret"] == made and rules["oidc"] is False
    assert settings.read_toml(secrets)["store"]["url"] == "sqlite:///x.db"
    assert secrets.stat().st_mode & 0o777 == 0o600
