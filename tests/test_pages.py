"""AppTest: the pages show figures computed from the store and the plan's names."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import APP, app


def _run(page: str | None = None) -> AppTest:
    at = app(60).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview_on_an_empty_store_explains_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("QINGLIAN_DB_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    at = _run()
    assert "还没有区划或上报数据" in at.info[0].value
    assert not at.metric


EXPECTED_LEADS = {
    1: "市委组织部", 2: "市委组织部", 3: "市委组织部", 4: "市委组织部", 5: "市民政局", 6: "市民政局",
    7: "市委组织部", 8: "市生态环境局", 9: "市纪委监委驻市委办公室纪检监察组", 10: "市司法局",
    11: "市委政法委", 12: "市委政法委", 13: "市委宣传部", 14: "(责任单位缺失)",
}


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that holds only backslash-escaped text."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def test_plan_page_lists_measures_with_lead_units_and_targets(demo_store):
    at = _run("pages/plan.py")
    measures = [df.value for df in at.dataframe if "牵头单位" in df.value.columns and "期限" not in df.value.columns]
    assert len(measures) == 4  # one table per section
    leads = {row["序号"]: row["牵头单位"] for df in measures for _, row in df.iterrows()}
    assert leads == EXPECTED_LEADS
    co_5 = next(row["配合单位"] for df in measures for _, row in df.iterrows() if row["序号"] == 5)
    assert co_5 == "市委组织部、市委政法委、市农业农村局、市乡村振兴局"
    targets = at.table[0].value.map(shown)  # st.table cells are Markdown: plan text arrives escaped
    assert "至2025年,每个村至少有3名“法律明白人”" in " ".join(targets["方案原文"])
    forty = targets[targets["要求"] == "≥ 40%"].iloc[0]
    assert forty["期限"] == "2023-12-31 (配置默认值)"
    assert "利用XX年一年时间" in forty["方案原文"]
    assert any("措施 14" in w.value and "责任单位缺失" in w.value for w in at.warning)
    assert any(shown(c.value).startswith("当前方案:版本 1,来源文件 plan.txt(方案原文") for c in at.caption)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/map.py", "pages/targets.py", "pages/accountability.py",
                                  "pages/upload.py", "pages/plan.py"])
def test_pages_show_no_traceback_when_the_store_breaks(page, tmp_path, monkeypatch):
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    monkeypatch.setenv("QINGLIAN_DB_URL", f"sqlite:///{bad}")
    at = AppTest.from_file(APP, default_timeout=60)  # nobody can sign in to a store that cannot be read
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception
    assert "页面加载失败,请刷新重试" in at.error[0].value


def test_markdown_from_uploaded_text_is_shown_literally():
    from dashboard.ui import plain

    assert plain("[点我](http://x.example)**粗**") == "\\[点我\\]\\(http\\:\u2060\\/\\/x\\.example\\)\\*\\*粗\\*\\*"
    assert shown(plain("[点我](http://x.example)**粗**")) == "[点我](http://x.example)**粗**"
