"""Freezing a month for the 通报: its exports stay byte-for-byte the same after later corrections and restores,
unfreezing needs a reason and is recorded, and the CLI does the same as the page (exit 0/1/2)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from dashboard import facts, freeze, intake, meeting, report
from dashboard.accounts import Account
from dashboard.scope import command_line
from tests.apptest import ADMIN
from tests.clock import at
from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

LIU, LI = Account("liu", "刘秘书", "admin"), Account("li", "李主任", "admin")  # who freezes, who lifts
PERIOD = "2026-01"  # after the demo's months; its cut-off is 2026-02-28 24:00, so corrections count for it
QINGLIAN = str(Path(sys.executable).with_name("qinglian"))



def _upload(engine, legal: int) -> int:
    table = monthly_table(engine, COUNTY)
    for i in range(len(table.rows)):
        table.set(i, "法律明白人数", legal)
    preview = intake.prepare(engine, table.xlsx(), f"月报{legal}.xlsx", "village_monthly", PERIOD,
                             county_code_of(engine, COUNTY), who=ADMIN)
    assert preview.ok, [i.text() for i in preview.errors]
    return intake.commit(engine, preview, who=ADMIN)


def _legal(snap: dict) -> float | None:
    return next(t for t in snap["targets"] if t["metric"] == "legal_persons_coverage")["actual"]


def _city_share(engine, county: str) -> float:
    """Legal-persons share when only ``county`` reported and all its villages meet the bar, computed here from
    the roster: its villages over all villages on the roster."""
    villages = facts.villages(engine, PERIOD)
    on_roster = villages[villages["removed_from"].isna() | (villages["removed_from"] > PERIOD)]
    mine = (on_roster["county_code"] == county_code_of(engine, county)).sum()
    return round(100 * mine / len(on_roster), 1)


@pytest.fixture
def month(demo_store):
    """2026-01 with one county's report (all villages meeting the bar), frozen on 2026-02-06."""
    with at("2026-02-03 09:00"):
        first = _upload(demo_store, 5)
    with at("2026-02-06 10:00"):
        frozen = freeze.freeze(demo_store, PERIOD, LIU)
    return demo_store, first, frozen


def test_frozen_exports_are_the_same_bytes_after_a_correction_and_a_restore(month):
    engine, first, frozen = month
    formats = list(meeting.FORMATS)
    with at("2026-02-07 09:00"):
        before = {fmt: meeting.export(engine, PERIOD, fmt, who=ADMIN) for fmt in formats}
        county = {fmt: meeting.export(engine, PERIOD, fmt, county_code_of(engine, COUNTY), who=ADMIN) for fmt in ("xlsx",)}
        live_before = report.build(engine, PERIOD)
    assert _legal(live_before) == _city_share(engine, COUNTY)
    with at("2026-02-10 09:00"):
        _upload(engine, 1)  # a correction: nobody meets the bar of 3 any more
        live = report.build(engine, PERIOD)
        assert _legal(live) == 0.0  # the live figures did move …
        after = {fmt: meeting.export(engine, PERIOD, fmt, who=ADMIN) for fmt in formats}
        county_after = {fmt: meeting.export(engine, PERIOD, fmt, county_code_of(engine, COUNTY), who=ADMIN) for fmt in ("xlsx",)}
    assert after == before  # … the frozen month's files did not, byte for byte
    assert county_after == county
    with at("2026-02-20 09:00"):
        intake.restore(engine, first, who=ADMIN)
        assert meeting.export(engine, PERIOD, "xlsx", who=ADMIN) == before["xlsx"]
    for fmt, files in before.items():
        assert files and all(data for _, data in files), fmt
    book = openpyxl.load_workbook(io.BytesIO(before["xlsx"][0][1]))
    sheet = book["目标概况"]
    assert "已冻结(刘秘书(liu) 2026-02-06 10:00)" in sheet["A2"].value
    row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] == "法律明白人≥3名的村占比")
    assert row[1] == _city_share(engine, COUNTY)


def test_unfreezing_needs_a_reason_is_recorded_and_exports_go_live(month):
    engine, _, _ = month
    with at("2026-02-10 09:00"):
        _upload(engine, 1)
    with pytest.raises(freeze.FreezeError, match="解除冻结须填写原因"):
        freeze.unfreeze(engine, PERIOD, LI, "  ")
    assert freeze.frozen(engine, PERIOD) is not None
    with at("2026-02-11 15:30"):
        freeze.unfreeze(engine, PERIOD, LI, "甲县更正了法律明白人数")
        assert _legal(freeze.snapshot(engine, PERIOD)) == 0.0  # live again
    assert freeze.frozen(engine, PERIOD) is None
    history = freeze.history(engine)
    assert history.iloc[0].to_dict() == {
        "月份": "2026年1月", "状态": "已解除", "冻结人": "刘秘书(liu)", "冻结时间": "2026-02-06 10:00",
        "依据上报(份)": history.iloc[0]["依据上报(份)"], "解除人": "李主任(li)", "解除时间": "2026-02-11 15:30",
        "解除原因": "甲县更正了法律明白人数"}
    with at("2026-02-12 09:00"):
        again = freeze.freeze(engine, PERIOD, LIU)  # a new freeze, the old record kept
    assert list(freeze.history(engine)["状态"]) == ["冻结中", "已解除"]
    assert _legal(freeze.stored(engine, PERIOD)) == 0.0 and again.frozen_by == "刘秘书(liu)"


def test_freeze_is_refused_twice_or_without_data(month):
    engine, _, _ = month
    with pytest.raises(freeze.FreezeError, match=r"2026年1月已于 2026-02-06 10:00 由 刘秘书\(liu\) 冻结"):
        freeze.freeze(engine, PERIOD, ADMIN)
    with pytest.raises(freeze.FreezeError, match="2030年1月没有任何上报数据,无法冻结"):
        freeze.freeze(engine, "2030-01", ADMIN)


def test_frozen_snapshot_names_the_uploads_behind_it(month):
    engine, first, frozen = month
    snap = freeze.stored(engine, PERIOD)
    assert first in frozen.upload_ids and first in snap["upload_ids"]
    assert snap["frozen"] == {"by": "刘秘书(liu)", "at": "2026-02-06T10:00:00+08:00"}
    sources = report.frame(snap["sources"])
    assert "月报5.xlsx" in set(sources["文件"])
    assert freeze.previous_frozen(engine, "2026-02") == PERIOD and freeze.previous_frozen(engine, PERIOD) is None


# --- the command line ---------------------------------------------------------------------------

def run(*args: str, url: str) -> subprocess.CompletedProcess:
    return subprocess.run([QINGLIAN, "--db", url, *args], capture_output=True, timeout=600,
                          env={**os.environ, "QINGLIAN_LOG": "0"})


def test_cli_freeze_export_unfreeze(demo_store, tmp_path):
    url = demo_store.url.render_as_string(hide_password=False)
    done = run("freeze", "--month", "2025-11", url=url)
    assert done.returncode == 0, done.stderr.decode()
    assert f"已冻结2025年11月:冻结人 {command_line().signature}" in done.stdout.decode()
    again = run("freeze", "--month", "2025-11", url=url)
    assert again.returncode == 1 and "已于" in again.stderr.decode() and f"由 {command_line().signature} 冻结" in again.stderr.decode()
    out = run("export", "--month", "2025-11", "--format", "xlsx", "--out", str(tmp_path / "会议"), url=url)
    assert out.returncode == 0, out.stderr.decode()
    written = tmp_path / "会议" / "清源市清廉乡村建设_2025-11_数据表.xlsx"
    assert written.exists() and str(written) in out.stdout.decode()
    assert written.read_bytes() == meeting.export(demo_store, "2025-11", "xlsx", who=ADMIN)[0][1]  # the page's bytes
    county = run("export", "--month", "2025-11", "--format", "xlsx", "--county", COUNTY, "--out", str(tmp_path), url=url)
    assert county.returncode == 0 and (tmp_path / f"清源市{COUNTY}清廉乡村建设_2025-11_数据表.xlsx").exists()
    no_reason = run("unfreeze", "--month", "2025-11", "--reason", " ", url=url)
    assert no_reason.returncode == 1 and "解除冻结须填写原因" in no_reason.stderr.decode()
    lifted = run("unfreeze", "--month", "2025-11", "--reason", "数据更正", url=url)
    assert lifted.returncode == 0 and "原因已记录:数据更正" in lifted.stdout.decode()


@pytest.mark.parametrize("args,code,message", [
    (["--month", "2025-13", "--format", "xlsx"], 2, "月份「2025-13」有误"),
    (["--month", "2030-01", "--format", "xlsx"], 1, "2030年1月没有任何上报数据,无法导出"),
    (["--month", "2025-11", "--format", "xlsx", "--county", "不存在县"], 2, "未找到县(市、区)「不存在县」"),
    (["--month", "2025-11", "--format", "pdf"], 2, "无效的选项"),
])
def test_cli_export_refusals_in_chinese(demo_store, tmp_path, args, code, message):
    out = run("export", *args, "--out", str(tmp_path / "x"), url=demo_store.url.render_as_string(hide_password=False))
    assert out.returncode == code
    assert message in out.stderr.decode() and "Traceback" not in out.stderr.decode()
    assert not list(tmp_path.glob("x/*"))


def test_cli_export_refuses_pictures_without_a_cjk_font(demo_store, tmp_path, monkeypatch, capsys):
    """vl-convert and matplotlib draw nothing (or boxes) without the font: the export is refused, exit 1."""
    from dashboard import cli, pictures

    monkeypatch.setattr(pictures, "FONT", "无此字体")
    monkeypatch.setattr(pictures, "_font_path", None)
    url = demo_store.url.render_as_string(hide_password=False)
    code = cli.main(["--db", url, "export", "--month", "2025-11", "--format", "png", "--out", str(tmp_path / "图")])
    assert code == 1
    assert "未找到中文字体「无此字体」" in capsys.readouterr().err
    assert not list((tmp_path / "图").glob("*.png"))


def test_a_frozen_month_keeps_the_plan_it_was_frozen_with(month):
    """A new plan version loaded after the freeze (measure 14 gets its lead unit): the frozen month's exports and
    snapshot still show the plan as it was; the live figures follow the new version."""
    from dashboard.catalog import add_plan_version
    from dashboard.settings import DEFAULT_PLAN_FILE

    engine, _, _ = month

    def lead_14(snap: dict) -> str:
        measures = report.frame(snap["measures"])
        return measures.loc[measures["序号"].astype(int) == 14, "牵头单位"].item()

    with at("2026-02-07 09:00"):
        before = meeting.export(engine, PERIOD, "xlsx", who=ADMIN)
        assert lead_14(freeze.snapshot(engine, PERIOD)) == "(责任单位缺失)"
    with at("2026-02-08 09:00"):
        add_plan_version(engine, command_line(),
                         DEFAULT_PLAN_FILE.read_text(encoding="utf-8").rstrip() + "〔责任单位:市委宣传部〕\n", "新方案.txt")
        assert lead_14(report.build(engine, PERIOD)) == "市委宣传部"  # live: the new version
        assert lead_14(freeze.snapshot(engine, PERIOD)) == "(责任单位缺失)"  # frozen: the plan of the freeze
        assert meeting.export(engine, PERIOD, "xlsx", who=ADMIN) == before
