"""The 会议材料 page as a user works it: freeze after confirming, unfreeze only with a reason, build a month's files."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard import freeze, ui
from dashboard.accounts import Account
from tests.apptest import ADMIN, app
from tests.intake_fixtures import COUNTY, county_code_of

MONTH = "2025-11"


def _open(role: str = "admin", month: str = MONTH, **scope) -> AppTest:
    at = app(120, role, **scope)
    at.query_params["month"] = month
    at.run()
    at.switch_page("pages/meeting.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_freeze_asks_for_confirmation_then_records_who(demo_store):
    at = _open()
    assert any("2025年11月尚未冻结" in i.value for i in at.info)
    assert any(f"冻结人:{ui.plain('测试管理员(t_admin)')}(当前登录账号)" in c.value for c in at.caption)  # not typed
    _button(at, "冻结2025年11月").click().run()
    assert freeze.frozen(demo_store, MONTH) is None  # not before the confirmation
    assert any("确认冻结2025年11月?" in w.value for w in at.warning)
    _button(at, "确认冻结").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    done = freeze.frozen(demo_store, MONTH)
    assert done is not None and done.frozen_by == "测试管理员(t_admin)"
    assert any(f"2025年11月已冻结(通报口径):冻结人 {ui.plain('测试管理员(t_admin)')}" in s.value for s in at.success)
    history = next(d.value for d in at.dataframe if "冻结人" in d.value.columns)
    assert list(history["状态"]) == ["冻结中"] and list(history["冻结人"]) == ["测试管理员(t_admin)"]


def test_only_an_admin_freezes_or_unfreezes(demo_store):
    for role in ("leader", "county"):
        scope = {"county": county_code_of(demo_store, COUNTY)} if role == "county" else {}
        at = _open(role, **scope)
        assert "冻结2025年11月" not in [b.label for b in at.button]
        assert any("(由管理员冻结)" in i.value for i in at.info)
        assert "生成数据表(.xlsx)" in [b.label for b in at.button]  # the published figures: any role exports
    freeze.freeze(demo_store, MONTH, ADMIN)
    at = _open("leader")
    assert "解除冻结" not in [b.label for b in at.button] and not at.text_area


def test_cancel_does_not_freeze(demo_store):
    at = _open()
    _button(at, "冻结2025年11月").click().run()
    _button(at, "取消").click().run()
    assert freeze.frozen(demo_store, MONTH) is None
    assert not any("确认冻结" in w.value for w in at.warning)


def test_unfreeze_needs_a_reason(demo_store):
    freeze.freeze(demo_store, MONTH, ADMIN)
    at = _open()
    at.text_area(key="unfreeze_reason").input("   ")
    _button(at, "解除冻结").click().run()
    assert any("解除冻结须填写原因" in e.value for e in at.error)
    assert freeze.frozen(demo_store, MONTH) is not None
    at.text_area(key="unfreeze_reason").input("义溪区更正了台账")
    _button(at, "解除冻结").click().run()
    assert freeze.frozen(demo_store, MONTH) is None
    history = next(d.value for d in at.dataframe if "解除原因" in d.value.columns)
    assert history.iloc[0]["解除原因"] == "义溪区更正了台账" and history.iloc[0]["解除人"] == "测试管理员(t_admin)"


def test_month_workbook_is_built_and_offered(demo_store):
    at = _open()
    _button(at, "生成数据表(.xlsx)").click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.proto.label for b in at.get("download_button")]
    assert ui.plain("下载 清源市清廉乡村建设_2025-11_数据表.xlsx") in labels  # names shown as typed, never Markdown


def test_a_freezers_name_is_shown_as_typed(demo_store):
    """Someone freezes the month between the click and the confirmation: the page then says who, literally."""
    at = _open()
    _button(at, "冻结2025年11月").click().run()
    evil = Account("evil", "[点我](http://evil.example)**", "admin")  # names are typed by whoever makes accounts
    freeze.freeze(demo_store, MONTH, evil)
    _button(at, "确认冻结").click().run()
    assert not at.exception and not at.error
    box = next(s.value for s in at.success if "已冻结(通报口径)" in s.value)
    assert f"冻结人 {ui.plain('[点我](http://evil.example)**(evil)')}," in box  # no link, no bold
    assert freeze.frozen(demo_store, MONTH).frozen_by == "[点我](http://evil.example)**(evil)"  # not frozen twice
