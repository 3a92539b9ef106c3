"""Templates, docs and store agree with the one schema; a pre-filled template reads back cleanly."""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from dashboard import intake, models
from dashboard.catalog import active_plan
from dashboard.templates import add_template_parser, template_rows
from loaders.docs import DOCS_FILE, render_docs
from loaders.reader import read_table
from loaders.schema import KINDS, TYPE_LABELS, indicator_columns
from loaders.template import INSTRUCTIONS_SHEET, SPARE_ROWS, build_template, header_row
from tests.apptest import ADMIN

PERIOD = "2025-12"
BOOKKEEPING = {"id", "upload_id", "period"}
IDENTITY = {"county", "township", "village", "code"}  # stored as village_code / county_code
NOT_STORED = {"measure_title"}  # 仅供核对


def _book(data: bytes):
    return load_workbook(io.BytesIO(data))


def _headers(sheet, kind) -> list:
    return [sheet.cell(header_row(kind), c).value for c in range(1, len(kind.columns) + 1)]


def _list_validations(sheet) -> dict[str, list[str]]:
    """Column letter -> the values of the list validation covering that column's data rows."""
    out = {}
    for dv in sheet.data_validations.dataValidation:
        if dv.type == "list":
            for rng in dv.sqref.ranges:
                out[re.match(r"[A-Z]+", rng.coord).group()] = (rng.coord, dv.formula1.strip('"').split(","), dv)
    return out


# -- the template agrees with the schema ------------------------------------------------------------

@pytest.mark.parametrize("key", KINDS)
def test_header_cells_are_the_schema_labels_in_order_and_the_reader_finds_them(key):
    kind = KINDS[key]
    data = build_template(kind, PERIOD)
    sheet = _book(data)[kind.label]
    assert _headers(sheet, kind) == [c.label for c in kind.columns]
    for c, col in enumerate(kind.columns, start=1):
        color = sheet.cell(header_row(kind), c).font.color
        assert (color is not None and color.rgb == "00C00000") == col.required, col.label
    table = read_table(data, "模板.xlsx", kind)
    assert (table.sheet, table.header_row) == (kind.label, header_row(kind))
    assert list(table.columns) == [c.key for c in kind.columns] and table.rows == []


def test_title_names_city_month_kind_and_county_and_groups_are_merged_above():
    kind = KINDS["village_monthly"]
    sheet = _book(build_template(kind, "2025-12", scope_label="下溪县", city="清源市"))["村级指标月报"]
    assert sheet["A1"].value == "清源市 2025年12月 村级指标月报(下溪县)"
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:N1", "J2:L2", "M2:N2"}
    assert (sheet["J2"].value, sheet["M2"].value, sheet["E2"].value) == ("问题线索", "矛盾纠纷", None)
    assert [sheet.cell(3, c).value for c in range(10, 15)] == [
        "问题线索发现数", "问题线索查处数", "问题线索通报曝光数", "矛盾纠纷受理数", "矛盾纠纷化解数"]
    brands = _book(build_template(KINDS["county_brands"], "2024-03"))["县级特色品牌"]
    assert brands["A1"].value == "2024年3月 县级特色品牌" and brands["A2"].value == "县(市、区)"


@pytest.mark.parametrize("key", KINDS)
def test_every_enum_and_bool_column_has_a_drop_down_of_exactly_its_values(key):
    kind = KINDS[key]
    rows = [{"county": "下溪县"}] * 3
    sheet = _book(build_template(kind, PERIOD, rows))[kind.label]
    lists = _list_validations(sheet)
    first, last = header_row(kind) + 1, header_row(kind) + 3 + SPARE_ROWS
    expected = {}
    for c, col in enumerate(kind.columns, start=1):
        if col.type in ("enum", "bool"):
            letter = get_column_letter(c)
            expected[letter] = list(col.allowed) if col.type == "enum" else ["是", "否"]
            coord, values, dv = lists[letter]
            assert coord == f"{letter}{first}:{letter}{last}"
            assert dv.showErrorMessage and dv.errorTitle == "填写有误"
            assert dv.error == f"「{col.label}」请从下拉列表中选择:{'/'.join(expected[letter])}"
    assert {k: v[1] for k, v in lists.items()} == expected


def test_drop_down_values_are_the_plan_vocabulary():
    lists = _list_validations(_book(build_template(KINDS["demo_sites"], PERIOD))["示范点台账"])
    assert lists["E"][1] == ["市级", "县级"]
    assert lists["F"][1] == ["计划创建", "创建中", "已建成", "已验收命名"]
    lists = _list_validations(_book(build_template(KINDS["measure_progress"], PERIOD))["措施推进月报"])
    assert lists["D"][1] == ["未启动", "推进中", "已完成", "滞后"]
    lists = _list_validations(_book(build_template(KINDS["village_monthly"], PERIOD))["村级指标月报"])
    assert sorted(lists) == ["F", "G", "H", "I"] and lists["F"][1] == ["是", "否"]


def test_code_column_is_text_and_keeps_leading_zeros_and_panes_are_frozen():
    kind = KINDS["roster"]
    row = {"county": "下溪县", "township": "黄田镇", "village": "零村", "code": "010203004005", "lon": 107.5,
           "lat": 23.25, "crs": "WGS-84"}
    data = build_template(kind, PERIOD, [row])
    sheet = _book(data)["村级名录"]
    assert sheet["D3"].value == "010203004005" and sheet["D3"].data_type == "s"
    assert {sheet[f"D{r}"].number_format for r in (3, 4, 3 + SPARE_ROWS)} == {"@"}
    assert sheet["E3"].value == 107.5 and sheet["E3"].number_format == "General"
    assert sheet.freeze_panes == "D3"
    assert read_table(data, "名录.xlsx", kind).rows == [(3, ["下溪县", "黄田镇", "零村", "010203004005", 107.5, 23.25,
                                                            "WGS-84", "", "", ""])]
    assert _book(build_template(KINDS["village_monthly"], PERIOD))["村级指标月报"].freeze_panes == "D4"
    assert _book(build_template(KINDS["measure_progress"], PERIOD))["措施推进月报"].freeze_panes == "A3"


def test_formula_like_text_is_written_as_neutralised_text_never_a_formula():
    kind = KINDS["county_brands"]
    rows = [{"county": "下溪县", "name": "=1+1", "description": "@SUM(A1)", "status": "已形成"},
            {"county": "新桥区", "name": "+86清风", "description": "-2 个亮点", "status": "培育中"}]
    data = build_template(kind, PERIOD, rows)
    sheet = _book(data)["县级特色品牌"]
    assert [(c.value, c.data_type) for c in sheet["B3:C4"][0] + sheet["B3:C4"][1]] == [
        ("'=1+1", "s"), ("'@SUM(A1)", "s"), ("'+86清风", "s"), ("'-2 个亮点", "s")]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
    assert xml and not re.search(rb"<f[\s>/]", xml)
    assert [cells[1] for _, cells in read_table(data, "品牌.xlsx", kind).rows] == ["'=1+1", "'+86清风"]


def test_bool_dates_and_numbers_are_written_as_staff_would_type_them():
    from datetime import date

    kind = KINDS["demo_sites"]
    row = {"county": "下溪县", "township": "黄田镇", "village": "仁桥村", "code": "451301001009", "level": "县级",
           "status": "已验收命名", "year": 2024, "brand": "仁桥“清风村务”", "accepted_on": date(2025, 1, 15)}
    sheet = _book(build_template(kind, PERIOD, [row]))["示范点台账"]
    assert [c.value for c in sheet[3]][4:8] == ["县级", "已验收命名", 2024, "仁桥“清风村务”"]
    assert sheet["I3"].value.date() == date(2025, 1, 15) and sheet["I3"].number_format == "yyyy-mm-dd"
    monthly = _book(build_template(KINDS["village_monthly"], PERIOD, [{"legal_persons": 3, "micro_power_list": True,
                                                                        "discipline_member": False}]))
    assert [c.value for c in monthly["村级指标月报"][4]][4:8] == [3, "是", "否", None]


@pytest.mark.parametrize("key", KINDS)
def test_instructions_sheet_lists_every_column_with_its_rules(key):
    kind = KINDS[key]
    book = _book(build_template(kind, "2025-03", scope_label="下溪县"))
    assert book.sheetnames == [kind.label, INSTRUCTIONS_SHEET]
    sheet = book[INSTRUCTIONS_SHEET]
    lines = [sheet.cell(r, 1).value for r in range(1, 7)]
    assert lines[:5] == [f"{kind.label} 填报说明", "报送期:2025年3月(2025-03)", "填报范围:下溪县", f"用途:{kind.help}",
                         "规则:请勿修改表头;可删除不需要的行。红色表头为必填列;有下拉箭头的列请从下拉列表中选择。"]
    assert [c.value for c in sheet[8]][:5] == ["列名", "是否必填", "类型", "可选值", "说明"]
    table = [[c.value for c in row][:5] for row in sheet.iter_rows(min_row=9, max_row=8 + len(kind.columns))]
    assert table == [[c.label, "是" if c.required else "否", TYPE_LABELS[c.type],
                      "/".join(c.allowed) or ("是/否" if c.type == "bool" else None), c.help or None]
                     for c in kind.columns]
    assert sheet.max_row == 8 + len(kind.columns)


def test_instructions_spell_out_bool_and_enum_choices():
    sheet = _book(build_template(KINDS["village_monthly"], PERIOD))[INSTRUCTIONS_SHEET]
    rows = {r[0]: r[1:5] for r in sheet.iter_rows(min_row=9, values_only=True)}
    assert rows["纪检委员已配备"] == ("是", "是/否", "是/否", "村党组织是否已规范配备纪检委员,填“是”或“否”")
    assert rows["区划代码"][:2] == ("否", "12位区划代码(文本)")
    assert _book(build_template(KINDS["measure_progress"], PERIOD))[INSTRUCTIONS_SHEET]["A3"].value == "填报范围:各责任单位"


# -- docs and store agree with the schema ------------------------------------------------------------

def test_committed_docs_are_generated_from_the_schema():
    assert DOCS_FILE.read_text(encoding="utf-8") == render_docs(), "请运行 python -m loaders.docs 重新生成文档"


def test_docs_describe_every_column_of_every_kind():
    docs = render_docs()
    for kind in KINDS.values():
        assert f"## {kind.label}(`{kind.key}`)\n\n* 用途:{kind.help}\n" in docs
        for col in kind.columns:
            required = "是" if col.required else "否"
            assert f"\n| {col.label} | {required} | {TYPE_LABELS[col.type]} | {'/'.join(col.allowed)} | " in docs
    assert "| 法律明白人数 | 是 | 非负整数 |  | 法律明白人、法律明白人数量、法律明白人(名)、法律明白人人数 | " in docs
    assert "| 问题线索查处数 | 是 | 非负整数 |  | 查处、问题线索(查处)、问题线索(问题线索查处数) | " in docs


def test_every_stored_column_has_a_place_in_its_model_and_back():
    for key, model in intake.FACT_TABLE.items():
        kind = KINDS[key]
        stored = set(model.__table__.columns.keys()) - BOOKKEEPING - {"village_code", "county_code"}
        data = {c.key for c in kind.columns} - IDENTITY - NOT_STORED
        if key == "village_monthly":
            assert "extra" in stored  # indicators without a column of their own go there
            assert stored - {"extra"} <= {c.key for c in indicator_columns()}
        else:
            assert data == stored, key


# -- pre-filled from the store, read back by the intake ----------------------------------------------

def _county(engine, name: str) -> str:
    code = intake.county_code(engine, name)
    assert code is not None
    return code


def _villages(engine, county: str) -> int:
    return sum(v.county_code == county for v in intake.village_index(engine).villages)


def _latest(engine, kind: str, scope: str) -> str:
    U = models.Upload
    with engine.connect() as conn:
        return conn.scalar(select(U.period).where(U.kind == kind, U.scope == scope, U.active)
                           .order_by(U.period.desc()).limit(1))


def _round_trip(engine, kind: str, period: str, scope: str, against: str):
    rows, label = template_rows(engine, kind, period, scope, who=ADMIN)
    data = build_template(KINDS[kind], period, rows, label, "清源市")
    preview = intake.prepare(engine, data, "模板.xlsx", kind, against, scope, who=ADMIN)
    assert preview.ok, [i.text() for i in preview.errors[:5]]
    assert preview.rows == len(rows)
    for record in preview.result.records:
        if kind != "roster":
            assert set(record) <= set(intake.FACT_TABLE[kind].__table__.columns.keys())
    return rows, label, preview


def test_monthly_template_for_a_new_month_carries_the_last_reported_values(demo_store):
    county = _county(demo_store, "下溪县")
    rows, label, preview = _round_trip(demo_store, "village_monthly", "2026-01", county, against="2025-12")
    assert label == "下溪县" and len(rows) == _villages(demo_store, county) > 100
    assert preview.diff == {"added": 0, "changed": 0, "unchanged": len(rows), "missing": 0}
    last = intake.active_records(demo_store, "village_monthly", "2025-12", county)
    first = rows[0]
    assert last[(first["code"],)]["legal_persons"] == first["legal_persons"] is not None
    assert rows == sorted(rows, key=lambda r: r["code"])


def test_correction_template_prefills_the_months_own_values_not_the_month_before(demo_store):
    county = _county(demo_store, "下溪县")
    own = intake.active_records(demo_store, "village_monthly", "2025-12", county)
    before = intake.active_records(demo_store, "village_monthly", "2025-11", county)
    differs = [code for (code,), rec in own.items() if rec["legal_persons"] != before[(code,)]["legal_persons"]]
    assert differs, "演示数据中 2025-12 与 2025-11 应有不同的数值"
    rows, _, preview = _round_trip(demo_store, "village_monthly", "2025-12", county, against="2025-12")
    assert preview.diff == {"added": 0, "changed": 0, "unchanged": len(own), "missing": 0}
    by_code = {r["code"]: r for r in rows}
    assert by_code[differs[0]]["legal_persons"] == own[(differs[0],)]["legal_persons"]
    assert by_code[differs[0]]["legal_persons"] != before[(differs[0],)]["legal_persons"]


def test_measure_correction_template_prefills_the_months_own_report(demo_store):
    own = intake.active_records(demo_store, "measure_progress", "2025-12", "市民政局")
    rows, _, preview = _round_trip(demo_store, "measure_progress", "2025-12", "市民政局", against="2025-12")
    assert [(r["status"], r["progress"]) for r in rows] == [
        (own[(r["measure_number"], "市民政局")]["status"], own[(r["measure_number"], "市民政局")]["progress"])
        for r in rows]
    assert preview.diff == {"added": 0, "changed": 0, "unchanged": len(rows), "missing": 0}


def test_monthly_template_for_a_new_month_adds_every_village(demo_store):
    county = _county(demo_store, "北亭县")
    rows, _, preview = _round_trip(demo_store, "village_monthly", "2026-01", county, against="2026-01")
    assert preview.diff == {"added": len(rows), "changed": 0, "unchanged": 0, "missing": 0}


def test_monthly_template_without_last_month_leaves_values_blank(demo_store):
    county = _county(demo_store, "下溪县")
    rows, _ = template_rows(demo_store, "village_monthly", "2022-01", county, who=ADMIN)
    assert rows[0].keys() == {"county", "township", "village", "code"}
    assert rows[0]["county"] == "下溪县" and rows[0]["code"].startswith(county[:6])


def test_demo_site_template_is_the_latest_ledger_as_of_the_period(demo_store):
    county = _county(demo_store, "下溪县")
    rows, _, preview = _round_trip(demo_store, "demo_sites", "2025-12", county, against="2025-12")
    ledger = intake.active_records(demo_store, "demo_sites", "2025-12", county)
    assert len(rows) == len(ledger) > 0
    assert preview.diff == {"added": 0, "changed": 0, "unchanged": len(rows), "missing": 0}


def test_demo_site_template_falls_back_to_an_earlier_snapshot(demo_store):
    late = [code for code in intake.village_index(demo_store).counties.values()
            if _latest(demo_store, "demo_sites", code) < "2025-12"]
    assert late, "演示数据中应有一个县未报 2025-12 台账"
    latest = _latest(demo_store, "demo_sites", late[0])
    rows, _, preview = _round_trip(demo_store, "demo_sites", "2025-12", late[0], against=latest)
    assert preview.diff == {"added": 0, "changed": 0, "unchanged": len(rows), "missing": 0}


def test_roster_template_lists_the_countys_villages_in_wgs84(demo_store):
    county = _county(demo_store, "下溪县")
    rows, _, preview = _round_trip(demo_store, "roster", PERIOD, county, against=PERIOD)
    assert len(rows) == _villages(demo_store, county) and {r["crs"] for r in rows} == {"WGS-84"}
    assert preview.diff["added"] == 0 and preview.diff["missing"] == 0


def test_brand_template_is_the_countys_latest_brand(demo_store):
    county = _county(demo_store, "下溪县")
    rows, _, preview = _round_trip(demo_store, "county_brands", PERIOD, county,
                                   against=_latest(demo_store, "county_brands", county))
    assert [(r["county"], r["name"], r["status"]) for r in rows] == [("下溪县", "“下溪清风村务”品牌", "已形成")]
    assert preview.diff == {"added": 0, "changed": 0, "unchanged": 1, "missing": 0}
    earlier, _ = template_rows(demo_store, "county_brands", "2023-01", county, who=ADMIN)
    assert earlier == [{"county": "下溪县", "name": None, "description": None, "status": None}]


def test_measure_template_lists_the_units_measures_with_last_months_status(demo_store):
    rows, label, preview = _round_trip(demo_store, "measure_progress", "2026-01", "市民政局", against="2026-01")
    led = [m["number"] for m in active_plan(demo_store).measures if m["lead_unit"] == "市民政局"]
    assert label == "市民政局" and [r["measure_number"] for r in rows] == led == [5, 6]
    assert rows[0]["measure_title"] == "健全完善村民自治的乡村治理体系"
    last = intake.active_records(demo_store, "measure_progress", "2025-12", "市民政局")
    assert [(r["status"], r["progress"]) for r in rows] == [
        (last[(n, "市民政局")]["status"], last[(n, "市民政局")]["progress"]) for n in led]
    assert preview.diff == {"added": 2, "changed": 0, "unchanged": 0, "missing": 0}


def test_measure_template_for_a_co_unit_and_for_the_whole_plan(demo_store):
    rows, _ = template_rows(demo_store, "measure_progress", PERIOD, "市财政局", who=ADMIN)
    assert [(r["measure_number"], r["unit_name"], r["status"]) for r in rows] == [
        (6, "市财政局", None), (7, "市财政局", None), (9, "市财政局", None)]
    everything, label = template_rows(demo_store, "measure_progress", PERIOD, None, who=ADMIN)
    assert label is None and [r["measure_number"] for r in everything] == list(range(1, 14))


def test_city_wide_template_lists_every_village(demo_store):
    rows, label = template_rows(demo_store, "village_monthly", PERIOD, None, who=ADMIN)
    assert label is None and len(rows) == len(intake.village_index(demo_store).villages) > 1000
    brands, _ = template_rows(demo_store, "county_brands", PERIOD, None, who=ADMIN)
    assert len(brands) == 7 and all(b["name"] for b in brands)


# -- the command line --------------------------------------------------------------------------------

def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qinglian")
    parser.add_argument("--db")
    add_template_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cmd_template_writes_a_prefilled_file(demo_store, tmp_path, capsys):
    out = tmp_path / "下溪县12月.xlsx"
    code = _run(["--db", str(demo_store.url), "template", "村级指标月报", "--period", "2025年12月",
                 "--county", "下溪", "-o", str(out)])
    n = _villages(demo_store, _county(demo_store, "下溪县"))
    assert (code, capsys.readouterr().out) == (0, f"已生成模板:{out}({n} 行预填)\n")
    sheet = load_workbook(out)["村级指标月报"]
    assert sheet["A1"].value == "清源市 2025年12月 村级指标月报(下溪县)"
    assert sheet[f"A{3 + n}"].value == "下溪县" and sheet[f"A{4 + n}"].value is None


def test_cmd_template_refuses_unknown_county_unit_and_bad_period(demo_store, tmp_path, capsys):
    db = ["--db", str(demo_store.url), "template"]
    out = ["-o", str(tmp_path / "x.xlsx")]
    assert _run(db + ["village_monthly", "--period", PERIOD, "--county", "东海县"] + out) == 2
    assert capsys.readouterr().err == "未找到县(市、区)「东海县」,请核对县名或先上报村级名录。\n"
    assert _run(db + ["measure_progress", "--period", PERIOD, "--unit", "市气象局"] + out) == 2
    assert "未找到责任单位「市气象局」" in capsys.readouterr().err
    assert _run(db + ["roster", "--period", "2025-13"] + out) == 2
    assert capsys.readouterr().err == "报送期「2025-13」有误:报送期应为年月,例如 2024-03。\n"
    assert _run(db + ["county_brands", "--period", PERIOD, "--unit", "市民政局"] + out) == 2
    assert not (tmp_path / "x.xlsx").exists()


def _cli_has_template() -> bool:
    from contextlib import redirect_stderr

    from dashboard.cli import build_parser

    try:
        with redirect_stderr(io.StringIO()):
            build_parser().parse_args(["template", "roster", "--period", PERIOD])
    except SystemExit:
        return False
    return True


@pytest.mark.skipif(not _cli_has_template(), reason="qinglian template 尚未接入 dashboard/cli.py")
def test_qinglian_template_console_script(demo_store, tmp_path):
    qinglian = str(Path(sys.executable).with_name("qinglian"))
    env = {**os.environ, "QINGLIAN_DB_URL": str(demo_store.url)}
    out = tmp_path / "品牌.xlsx"
    done = subprocess.run([qinglian, "template", "county_brands", "--period", PERIOD, "--county", "下溪县",
                           "-o", str(out)], capture_output=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == f"已生成模板:{out}(1 行预填)\n"
    assert load_workbook(out)["县级特色品牌"]["B3"].value == "“下溪清风村务”品牌"
    done = subprocess.run([qinglian, "template", "roster", "--period", PERIOD, "--county", "东海县", "-o", str(out)],
                          capture_output=True, env=env, timeout=300)
    assert done.returncode == 2 and "未找到县(市、区)「东海县」" in done.stderr.decode()
