"""Files written to hurt the server or its users, through ``prepare`` (and so through the parse sandbox).

Each class of the issue "An upload can never hurt the server" has its files here: sizes that lie, far
cells, macros and external links, formulas that call out, text with control characters, CSV fields
over the csv module's limit, and files that exhaust the sandbox. Every refusal is checked word for word,
and every ``prepare`` leaves the demo store byte-for-byte as it was (see ``Intake``).
"""

from __future__ import annotations

import io
import re
import threading
import time
import unicodedata
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from dashboard import accounts, models
from dashboard import intake as intake_module
from dashboard.intake import commit, record_refusal
from dashboard.sandbox import Limits, SandboxFailure, replace_sandbox, sandbox
from dashboard.templates import template_file
from loaders.refusals import REFUSALS
from tests.apptest import ADMIN
from tests.hostile_files import (
    DOC_RELS,
    MAIN,
    add_cells,
    add_relationship,
    edit_member,
    raw_xlsx,
    string_bomb,
    understate_size,
    without_cell_refs,
)
from tests.intake_fixtures import SHEET, first_sheet, member, one, rewrite_zip, uploads_rows

CLEAN_COPY = "请新建一个工作簿,把数据复制后用“选择性粘贴 → 数值”粘贴进去,保存为 .xlsx 后再上传。"
CAPACITY = REFUSALS["capacity"]()


@pytest.fixture
def fresh_sandbox():
    """A sandbox with test limits for one test; the configured one is back afterwards."""
    yield replace_sandbox
    replace_sandbox()


def sheet_of(data: bytes) -> str:
    return first_sheet(data)


# --- sizes are counted, never taken from the file --------------------------------------------------

def test_a_member_whose_header_understates_its_size_is_refused(intake):
    good = intake.table().xlsx()
    lying = understate_size(good, sheet_of(good), 1000)
    assert intake.file_error(lying, name="月报.xlsx") == "「月报.xlsx」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。"


def test_a_part_larger_than_its_limit_is_refused_by_counting(intake, limits):
    limits(max_member_mb=1, max_compression_ratio=100_000)
    padded = add_cells(intake.table().xlsx(), "", tail=" " * (2 << 20))
    assert intake.file_error(padded) == (
        "文件中的「xl/worksheets/sheet1.xml」解压后超过 1 MB 上限(疑似压缩炸弹),已拒绝读取。请只保留需要上报的数据后重新保存。")


def test_too_many_parts(intake, limits):
    limits(max_members=50)
    good = intake.table().xlsx()
    many = rewrite_zip(good, add={f"customXml/item{i}.xml": b"<a/>" for i in range(60)})
    count = len(zipfile.ZipFile(io.BytesIO(good)).namelist()) + 60
    assert intake.file_error(many) == f"文件内部包含的部件过多({count} 个,上限 50 个),疑似异常文件,已拒绝读取。{CLEAN_COPY}"


def test_two_parts_with_one_name_are_refused(intake):
    good = intake.table().xlsx()
    sheet = sheet_of(good)
    with pytest.warns(UserWarning):
        twice = rewrite_zip(good, add={sheet: member(good, sheet)})
    assert intake.file_error(twice, name="月报.xlsx") == "「月报.xlsx」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。"


def test_unreferenced_parts_are_not_read(intake):
    """A part no relationship points at is neither inflated nor handed to the reader (the original is kept)."""
    junk = rewrite_zip(intake.table().xlsx(), add={"xl/media/junk.bin": b"\x00garbage" * 1000})
    assert intake.accepted(junk).rows == 115


# --- cell positions ------------------------------------------------------------------------------

def test_cells_without_references_are_placed_by_order(intake, limits):
    """Cells may omit r=""; their positions follow their order, and the limits still hold."""
    limits(max_columns=10)
    error = one(intake.refused(without_cell_refs(intake.table().xlsx())))
    assert error.text().startswith("工作表「村级指标月报」第1行:单元格 K1 超出上限(60000 行、10 列)")


def test_cells_without_references_are_read(intake):
    assert intake.accepted(without_cell_refs(intake.table().xlsx())).rows == 115


def test_a_prefixed_far_cell_is_found(intake):
    far = add_cells(intake.table().xlsx(),
                    '<row r="1048576"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    'r="XFD1048576"><x:v>1</x:v></x:c></row>')
    assert one(intake.refused(far)).message.startswith("单元格 XFD1048576 超出上限(60000 行、200 列)")


def test_a_far_cell_written_with_a_character_reference_is_found(intake):
    far = add_cells(intake.table().xlsx(), '<row r="1048576"><c r="&#88;FD1048576"><v>1</v></c></row>')
    assert one(intake.refused(far)).message.startswith("单元格 XFD1048576 超出上限")


def test_a_far_cell_after_a_comment_is_found(intake):
    far = add_cells(intake.table().xlsx(), '<!-- 备注 --><row r="70000"><c r="A70000"><v>1</v></c></row>')
    assert one(intake.refused(far)).message.startswith("单元格 A70000 超出上限")


def test_a_megabyte_of_pathological_markup_is_read_in_linear_time(intake, fresh_sandbox):
    """The old formula check backtracked quadratically over text like this (minutes for 1 MB). Here a
    20-second limit — a third of the configured one — is far more than a linear pass needs."""
    fresh_sandbox(Limits(timeout_seconds=20))
    trap = "<!-- " + '<c r="A1" <f>' * 80_000 + " -->"
    preview = intake.accepted(add_cells(intake.table().xlsx(), trap))
    assert preview.rows == 115


# --- what Excel would run or call out --------------------------------------------------------------

CALLOUT = ("单元格 O117 的公式使用了 {f},打开时会访问外部地址,为安全起见不予接收。"
           "请选中这些单元格,复制后用“选择性粘贴 → 数值”粘贴回原处,保存后再上传。")


@pytest.mark.parametrize("formula, function", [
    ('HYPERLINK("http://evil.example/","点此")', "HYPERLINK"),
    ('_xlfn.WEBSERVICE("http://evil.example/x")', "WEBSERVICE"),
    ('hyperlink("\\\\evil\\share","x")', "HYPERLINK"),
    ('RTD("evil.server",,"x")', "RTD"),
])
def test_formulas_that_call_out_are_refused_even_with_a_cached_value(intake, formula, function):
    cell = f'<row r="117"><c r="O117" t="str"><f>{formula.replace("&", "&amp;")}</f><v>点此</v></c></row>'
    error = one(intake.refused(add_cells(intake.table().xlsx(), cell)))
    assert (error.sheet, error.row) == (SHEET, 117)
    assert error.message == CALLOUT.format(f=function)


@pytest.mark.parametrize("formula", ["cmd|' /C calc'!A0", "[1]Sheet1!A1", "'\\\\host\\share\\[预算.xlsx]表'!A1"])
def test_formulas_that_reach_other_files_are_refused(intake, formula):
    cell = f'<row r="117"><c r="O117"><f>{formula.replace("&", "&amp;")}</f><v>1</v></c></row>'
    error = one(intake.refused(add_cells(intake.table().xlsx(), cell)))
    assert error.message.startswith("文件含有外部链接(公式引用了其他文件或网络位置),在 Excel 中打开时会访问其他计算机")


def test_a_plain_formula_with_a_cached_value_stays_accepted(intake):
    good = intake.table().xlsx()
    sheet = sheet_of(good)
    xml = re.sub(rb'(<row r="4"[^>]*>.*?)(</row>)', rb'\1<c r="O4"><f>SUM(E2:E116)</f><v>345</v></c>\2',
                 member(good, sheet), count=1, flags=re.S)
    assert intake.accepted(rewrite_zip(good, {sheet: xml})).rows == 115


@pytest.mark.parametrize("tail", [
    '<conditionalFormatting sqref="A2"><cfRule type="expression" priority="1">'
    '<formula>HYPERLINK("http://evil.example/")</formula></cfRule></conditionalFormatting>',
    '<conditionalFormatting sqref="A2"><cfRule type="expression" priority="1">'
    '<formula><![CDATA[WEBSERVICE("http://evil.example/")]]></formula></cfRule></conditionalFormatting>',
])
def test_rule_formulas_that_call_out_are_refused(intake, tail):
    error = one(intake.refused(add_cells(intake.table().xlsx(), "", tail=tail)))
    assert error.message.startswith("条件格式或数据验证中的公式使用了 ")


def test_a_defined_name_that_calls_out_is_refused(intake):
    data = edit_member(intake.table().xlsx(), "xl/workbook.xml", b"</sheets>",
                       b'</sheets><definedNames><definedName name="x">WEBSERVICE("http://evil.example")</definedName>'
                       b"</definedNames>")
    assert intake.file_error(data).startswith("名称定义中的公式使用了 WEBSERVICE,打开时会访问外部地址")


def external(what: str) -> str:
    return (f"文件含有外部链接({what}),在 Excel 中打开时会访问其他计算机,为安全起见不予接收。"
            "请在 Excel 中点“数据 → 编辑链接 → 断开链接”,或新建一个工作簿,把数据复制后用“选择性粘贴 → 数值”粘贴进去,"
            "保存为 .xlsx 后再上传。")


def test_an_external_workbook_link_is_refused(intake):
    good = intake.table().xlsx()
    linked = add_relationship(good, "xl/_rels/workbook.xml.rels", "externalLink", "externalLinks/externalLink1.xml")
    assert intake.file_error(linked) == external("链接到其他工作簿")
    part_only = rewrite_zip(good, add={"xl/externalLinks/externalLink1.xml": b"<externalLink/>"})
    assert intake.file_error(part_only) == external("链接到其他工作簿")
    reference = edit_member(good, "xl/workbook.xml", b"</sheets>",
                            b'</sheets><externalReferences><externalReference r:id="rId9"/></externalReferences>')
    assert intake.file_error(reference) == external("链接到其他工作簿")


def test_a_data_connection_is_refused(intake):
    data = add_relationship(intake.table().xlsx(), "xl/_rels/workbook.xml.rels", "connections", "connections.xml")
    assert intake.file_error(data) == external("数据连接")


def test_a_hyperlink_to_a_windows_share_is_refused_but_a_web_link_is_not(intake):
    good = intake.table().xlsx()
    rels = f"xl/worksheets/_rels/{sheet_of(good).rsplit('/', 1)[1]}.rels"
    share = add_relationship(good, rels, "hyperlink", "file:///\\\\fileserver\\share\\a.xlsx", external=True)
    error = one(intake.refused(share))
    assert (error.sheet, error.message) == (SHEET, external("指向共享文件夹或本机文件的超链接"))
    web = add_relationship(good, rels, "hyperlink", "https://www.gov.cn/", external=True)
    assert intake.accepted(web).rows == 115


def test_an_embedded_object_is_refused(intake):
    good = intake.table().xlsx()
    rels = f"xl/worksheets/_rels/{sheet_of(good).rsplit('/', 1)[1]}.rels"
    data = add_relationship(good, rels, "oleObject", "../embeddings/oleObject1.bin")
    assert one(intake.refused(data)).message == f"文件含有嵌入的对象或控件(嵌入对象),为安全起见不予接收。{CLEAN_COPY}"


@pytest.mark.parametrize("name", ["xl/vbaProject.bin", "xl/media/VBAPROJECT.BIN"])
def test_macro_code_in_a_plain_xlsx_is_refused_whatever_the_content_type(intake, name):
    data = rewrite_zip(intake.table().xlsx(), add={name: b"\xd0\xcf\x11\xe0" + bytes(500)})
    assert intake.file_error(data) == f"文件中含有宏代码,为安全起见不予接收。{CLEAN_COPY}"


def test_a_macro_sheet_is_refused(intake):
    data = add_relationship(intake.table().xlsx(), "xl/_rels/workbook.xml.rels", "xlMacrosheet",
                            "macrosheets/sheet1.xml")
    assert intake.file_error(data) == f"文件中含有宏代码,为安全起见不予接收。{CLEAN_COPY}"


def test_a_doctype_in_shared_strings_is_refused(intake):
    data = raw_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=["县(市、区)"])
    sst = member(data, "xl/sharedStrings.xml")
    bomb = rewrite_zip(data, {"xl/sharedStrings.xml": sst.replace(b"<sst", b'<!DOCTYPE x [<!ENTITY a "b">]><sst', 1)})
    assert intake.file_error(bomb) == "文件内部含有不安全的 XML 声明,已拒绝读取。请用 Excel 另存为新的 .xlsx 后上传。"


def test_refused_files_are_never_kept_for_download(intake):
    """Nothing refused reaches 历史版本's original-file download: refusals are recorded without their bytes."""
    data = rewrite_zip(intake.table().xlsx(), add={"xl/vbaProject.bin": bytes(100)})
    preview = intake.prepare(data)
    upload_id = record_refusal(intake.engine, preview)
    assert intake_module.original_file(intake.engine, upload_id, who=ADMIN) is None


# --- CSV -------------------------------------------------------------------------------------------

def test_a_csv_field_over_the_csv_module_limit_is_a_refusal_naming_its_line(intake):
    table = intake.table()
    table.set(4, "村(社区)", "长" * 140_000)
    error = one(intake.refused(table.csv(), name="月报.csv"))
    assert error.message == ("CSV 文件第 6 行无法读取:有单元格超过 131072 个字符。"
                             "请检查该行的引号是否成对,或另存为 .xlsx 后上传。")


def test_a_csv_row_wider_than_the_column_limit_is_refused(intake):
    data = intake.table().csv() + ("," * 500 + "\r\n").encode()
    assert intake.file_error(data, name="月报.csv") == "CSV 文件第 117 行有 501 列,超过 200 列上限。请删除多余的列,或另存为 .xlsx 后上传。"


def test_csv_rows_are_counted_while_reading(intake, limits):
    limits(max_rows=50)
    assert intake.file_error(intake.table().csv(), name="月报.csv") == "数据超过 50 行上限。请拆分文件后上传。"


# --- text is cleaned at the edge ---------------------------------------------------------------------

def test_control_characters_bidi_marks_and_excel_escapes_are_removed_from_text(intake, demo):
    measure = demo["plan"].measures[0]
    unit = measure["lead_unit"]
    nfd = unicodedata.normalize("NFD", "Café")
    dirty = f"推进\x01正常\u202e_x0007_第二行\n{nfd}\x85"
    data = _measure_file(measure["number"], unit, this_month=dirty, reporter="张\x00三")
    preview = intake.accepted(data, name="措施.xlsx", kind="measure_progress", scope=unit)
    record = preview.result.records[0]
    assert record["this_month"] == "推进正常第二行\nCafé"
    assert unicodedata.is_normalized("NFC", record["this_month"])
    assert record["reporter"] == "张三"


def test_text_longer_than_its_column_allows_is_refused_with_row_and_column(intake, demo):
    measure = demo["plan"].measures[0]
    data = _measure_file(measure["number"], measure["lead_unit"], this_month="进" * 2001)
    error = one(intake.refused(data, name="措施.xlsx", kind="measure_progress", scope=measure["lead_unit"]))
    assert (error.row, error.column) == (2, "本月进展")
    assert error.message == "内容过长(2001 字),最多 2000 字。请精简后重新上传"
    assert error.value == "进" * 60 + "…"


def test_file_name_and_uploader_are_cleaned_and_cut(intake):
    """An account's name comes from whoever made it: cleaned on the way in, and cut where it is stored."""
    made = accounts.add(intake.engine, "li", "清廉-password-9", "管理员", "李\x1b[31m明" + "名" * 60, by=ADMIN)
    assert made.display_name == "李[31m明" + "名" * 34  # control characters gone, 40 characters kept
    preview = intake_module.prepare(intake.engine, intake.table().xlsx(), "月报\x07\u202e" + "长" * 200 + ".xlsx",
                                    "village_monthly", "2026-01", intake.code, who=made)
    assert preview.ok
    assert preview.file_name == "月报" + "长" * 113 + ".xlsx"
    assert preview.user == "李[31m明" + "名" * 34  # 姓名(账号) cut to [limits] max_user_chars


def test_a_roster_with_a_control_character_keeps_templates_and_exports_working(intake, demo_store):
    """A \\x01 in a village name used to make every template download of that county fail silently."""
    villages = [v for v in intake.demo["villages"] if v.county_code == intake.code]
    header = "县(市、区),乡镇(街道),村(社区),区划代码,经度,纬度\r\n"
    lines = [f"{v.county},{v.township},{v.name}{chr(1) if i == 0 else ''},{v.code},{v.lon},{v.lat}"
             for i, v in enumerate(villages)]
    data = (header + "\r\n".join(lines) + "\r\n").encode("utf-8")
    preview = intake_module.prepare(demo_store, data, "名录.csv", "roster", "2026-01", intake.code, who=ADMIN)
    assert preview.ok, [i.text() for i in preview.errors]
    commit(demo_store, preview, who=ADMIN)
    with demo_store.connect() as conn:
        name = conn.scalar(select(models.Region.name).where(models.Region.code == villages[0].code))
    assert name == villages[0].name
    workbook_bytes, _, rows = template_file(demo_store, "village_monthly", "2026-02", intake.code, who=ADMIN)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes))["村级指标月报"]
    assert rows == len(villages)
    assert villages[0].name in [c.value for c in sheet["C"]]


def _measure_file(number: int, unit: str, this_month: str = "按计划推进", reporter: str = "张三") -> bytes:
    """A 措施推进月报 whose text cells hold exactly ``this_month`` and ``reporter``, control characters
    included (written as Excel writes what XML cannot carry: _xHHHH_)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "措施推进月报"
    ws.append(["措施序号", "责任单位", "推进状态", "完成进度(%)", "本月进展", "填报人"])
    ws.append([number, unit, "推进中", 40, "PLACEHOLDER_E", "PLACEHOLDER_F"])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    sheet = first_sheet(data)
    xml = member(data, sheet)
    for placeholder, text in (("PLACEHOLDER_E", this_month), ("PLACEHOLDER_F", reporter)):
        assert placeholder.encode() in xml
        xml = xml.replace(placeholder.encode(), _excel_text(text).encode(), 1)
    return rewrite_zip(data, {sheet: xml})


def _excel_text(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(f"_x{ord(ch):04X}_" if ord(ch) < 32 and ch not in "\t\n\r" else ch for ch in escaped)


# --- the sandbox: a file that exhausts it is a refusal, never a dead server -------------------------

def test_a_file_that_exhausts_the_parsers_memory_is_refused_and_the_next_one_is_read(intake):
    bomb = string_bomb()
    assert len(bomb) < 100_000
    assert intake.file_error(bomb) == CAPACITY
    assert intake.accepted(intake.table().xlsx()).rows == 115  # a new worker took over


def test_a_file_that_takes_too_long_is_refused(intake, fresh_sandbox):
    fresh_sandbox(Limits(timeout_seconds=0.01))
    assert intake.file_error(intake.table().xlsx()) == CAPACITY
    fresh_sandbox(Limits())
    assert intake.accepted(intake.table().xlsx()).rows == 115


def test_an_exhausted_parse_is_recorded_as_refused(intake):
    preview = intake.prepare(string_bomb(), name="炸弹.xlsx")
    record_refusal(intake.engine, preview)
    last = uploads_rows(intake.engine)[-1]
    assert (last["file_name"], last["outcome"], last["content"]) == ("炸弹.xlsx", "refused", None)
    assert CAPACITY in last["message"]


def test_uploads_queue_one_at_a_time_and_say_how_many_are_ahead(monkeypatch, fresh_sandbox):
    """With one parse at a time, a second upload waits and is told "1 file ahead"; a third, "2 ahead"."""
    box = fresh_sandbox(Limits(max_parallel=1))
    release, started = threading.Event(), threading.Event()

    def slow_call(worker, job):
        started.set()
        assert release.wait(10)
        return {"job": job["n"]}

    monkeypatch.setattr(type(box), "_call", lambda self, worker, job: slow_call(worker, job))
    monkeypatch.setattr("dashboard.sandbox._Worker.__init__", lambda self, memory_mb: None)
    monkeypatch.setattr("dashboard.sandbox._Worker.alive", lambda self: True)
    told: dict[int, list[int]] = {2: [], 3: []}
    results = {}

    def upload(n: int) -> None:
        results[n] = box.run({"n": n}, on_wait=told[n].append if n in told else None)

    first = threading.Thread(target=upload, args=(1,))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=upload, args=(2,))
    second.start()
    deadline = time.monotonic() + 10
    while not told[2]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    third = threading.Thread(target=upload, args=(3,))
    third.start()
    while not told[3]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert told == {2: [1], 3: [2]}
    release.set()
    for thread in (first, second, third):
        thread.join(10)
    assert results == {1: {"job": 1}, 2: {"job": 2}, 3: {"job": 3}}


def test_a_worker_reply_cannot_smuggle_code():
    """The server unpickles replies with an allow-list: a reply naming any other callable is refused."""
    import os
    import pickle

    from dashboard.sandbox import safe_loads

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(pickle.UnpicklingError):
        safe_loads(pickle.dumps({"records": [Evil()]}))
    assert safe_loads(pickle.dumps({"d": __import__("datetime").date(2026, 1, 5)})) == {
        "d": __import__("datetime").date(2026, 1, 5)}


def test_sandbox_failure_reasons_are_plain(fresh_sandbox):
    box = fresh_sandbox(Limits(timeout_seconds=5))
    with pytest.raises(SandboxFailure) as failed:
        box.run({"op": "no_such_job"})
    assert failed.value.reason == "crash" and "KeyError" in failed.value.detail
    assert sandbox() is box


# --- found in review: cells placed as the reader places them, every part that could point outside ------

def test_a_cell_without_reference_goes_on_its_row_elements_row(intake):
    """After a cell with r on another row, a cell without r still belongs to its <row>: here row 1048576."""
    far = add_cells(intake.table().xlsx(), '<row r="1048576"><c r="GQ1"><v>1</v></c><c><v>1</v></c></row>')
    assert one(intake.refused(far)).message.startswith("单元格 GR1048576 超出上限(60000 行、200 列)")


SAMPLES = [  # sheetData snippets where r="" and position-by-order mix
    '<row r="5"><c r="C7"><v>1</v></c><c><v>2</v></c></row>',
    '<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>',
    '<row r="3"><c><v>1</v></c></row><row><c><v>3</v></c></row>',
    '<row r="2"><c r="B9"><v>1</v></c></row><row><c><v>3</v></c></row>',
    '<row r="1"><c r="D1"><v>1</v></c><c><v>2</v></c><c r="B1"><v>3</v></c><c><v>4</v></c></row>',
    '<row r="4"><c r="E4" s="1"/><c><v>1</v></c></row><row r="9"><c r="A9"/></row>',
]


@pytest.mark.parametrize("sheet_data", SAMPLES)
def test_the_exact_check_places_cells_where_the_reader_does(sheet_data):
    from python_calamine import CalamineWorkbook

    from loaders.reader import limits
    from loaders.xlsx_guard import SheetScan

    data = raw_xlsx(sheet_data)
    scan = SheetScan("表", "a.xlsx", limits())
    scan.feed(member(data, "xl/worksheets/sheet1.xml"), final=True)
    end = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).end
    assert (scan.max_row, scan.max_col) == (end[0] + 1, end[1] + 1)


@pytest.mark.parametrize("cells", [
    '<row r="200"><c r="A1" r="XFD1048576"><v>1</v></c></row>',  # duplicate attribute: the reader takes the last
    '<row r="200"><c r="A200"><v>1</v></row>',  # a missing end tag
])
def test_xml_that_is_not_well_formed_is_refused_before_any_screening(intake, cells):
    assert intake.file_error(add_cells(intake.table().xlsx(), cells), name="月报.xlsx") == (
        "「月报.xlsx」内部结构异常,已拒绝读取。请用 Excel 打开后另存为新的 .xlsx 再上传。")


def test_a_utf16_sheet_gets_the_exact_check(intake):
    good = intake.table().xlsx()
    sheet = sheet_of(good)
    xml = member(good, sheet).decode("utf-8").replace("</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v>'
                                                      "</c></row></sheetData>")
    xml = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert one(intake.refused(rewrite_zip(good, {sheet: xml}))).message.startswith("单元格 XFD1048576 超出上限")


SHEET_X = f'<sheet xmlns:r="{DOC_RELS}" name="x" sheetId="9" r:id="rIdX9"/></sheets>'.encode()


def _second_sheet(good: bytes, target: str, part: str, xml: bytes) -> bytes:
    data = edit_member(good, "xl/workbook.xml", b"</sheets>", SHEET_X)
    data = add_relationship(data, "xl/_rels/workbook.xml.rels", "worksheet", target)
    return rewrite_zip(data, add={part: xml})


@pytest.mark.parametrize("target", ["worksheets/Sheet9.xml", "worksheets/sheet%39.xml", "/XL/worksheets/sheet9.xml"])
def test_a_sheet_named_in_another_case_or_percent_encoded_is_still_checked(intake, target):
    """OPC part names ignore case and percent-encoding, and so does Excel: the guard checks that sheet."""
    good = intake.table().xlsx()
    evil = member(good, sheet_of(good)).replace(
        b"</sheetData>", b'<row r="200"><c r="A200" t="str"><f>HYPERLINK("http://evil.example")</f><v>x</v></c>'
                         b"</row></sheetData>")
    error = one(intake.refused(_second_sheet(good, target, "xl/worksheets/sheet9.xml", evil)))
    assert (error.sheet, error.message) == ("x", CALLOUT.replace("O117", "A200").format(f="HYPERLINK"))


def test_a_sheet_whose_part_is_missing_is_refused(intake):
    good = intake.table().xlsx()
    data = edit_member(good, "xl/workbook.xml", b"</sheets>", SHEET_X)
    data = add_relationship(data, "xl/_rels/workbook.xml.rels", "worksheet", "worksheets/nowhere.xml")
    assert intake.file_error(data, name="月报.xlsx") == "「月报.xlsx」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。"


def test_two_parts_one_name_could_mean_are_refused(intake):
    good = intake.table().xlsx()
    data = rewrite_zip(good, add={sheet_of(good).upper(): b"<worksheet/>"})
    assert intake.file_error(data, name="月报.xlsx") == "「月报.xlsx」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。"


def test_a_linked_picture_in_a_drawing_is_refused(intake):
    """Any .rels part is checked: a drawing's picture linked to a share would be fetched on opening."""
    data = add_relationship(intake.table().xlsx(), "xl/drawings/_rels/drawing1.xml.rels", "image",
                            "file:///\\\\evil\\share\\p.png", external=True)
    assert intake.file_error(data) == external("链接到外部的图片")


def test_a_member_compressed_other_than_excel_does_is_refused(intake):
    good = intake.table().xlsx()
    data = rewrite_zip(good, compression=zipfile.ZIP_BZIP2)
    assert intake.file_error(data, name="月报.xlsx") == "「月报.xlsx」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。"


def test_a_false_shared_string_count_is_not_passed_to_the_reader():
    """A reader reserves room for <sst uniqueCount>: 4,000,000,000 would be 96 GB. The copy it gets has none."""
    from python_calamine import CalamineWorkbook

    from loaders.reader import limits
    from loaders.xlsx_guard import unpack_xlsx

    data = raw_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>', shared=["县", "乡镇"])
    sst = member(data, "xl/sharedStrings.xml").replace(b'uniqueCount="2"', b'uniqueCount="4000000000"')
    clean = unpack_xlsx(rewrite_zip(data, {"xl/sharedStrings.xml": sst}), "月报.xlsx", limits())
    assert b"uniqueCount" not in member(clean, "xl/sharedStrings.xml")
    assert CalamineWorkbook.from_filelike(io.BytesIO(clean)).get_sheet_by_index(0).to_python() == [["县", "乡镇"]]


@pytest.mark.parametrize("formula, function", [
    ("_xlfn.MAP(A1:A2,_xleta.WEBSERVICE)", "WEBSERVICE"),
    ('_xlfn.STOCKHISTORY("MSFT",DATE(2024,1,1))', "STOCKHISTORY"),
])
def test_newer_call_out_functions_are_refused(intake, formula, function):
    cell = f'<row r="117"><c r="O117" t="str"><f>{formula}</f><v>x</v></c></row>'
    assert one(intake.refused(add_cells(intake.table().xlsx(), cell))).message == CALLOUT.format(f=function)


def test_a_native_panic_in_the_reader_is_a_plain_refusal(monkeypatch, intake):
    """python-calamine raises Rust panics as pyo3's PanicException, a BaseException: still a sentence."""
    from loaders import reader
    from loaders.reader import limits, read_table
    from loaders.schema import KINDS

    class PanicException(BaseException):
        pass

    def panic(_stream):
        raise PanicException("chunk size must be non-zero")

    monkeypatch.setattr(reader.CalamineWorkbook, "from_filelike", panic)
    with pytest.raises(Exception) as refused:
        read_table(intake.table().xlsx(), "月报.xlsx", KINDS["village_monthly"], limits())
    assert str(refused.value) == "「月报.xlsx」无法读取,文件可能已损坏。请在 Excel 中打开并重新保存为 .xlsx 后上传。"


@pytest.mark.parametrize("text", ["_x_x0007_0007_", "_x00\x0107_", "a\x01\x01b", "_x_x_x0001_0001_0001_"])
def test_cleaning_is_complete_in_one_call(text):
    from loaders.cells import clean_text

    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert "_x00" not in cleaned and all(ch.isprintable() for ch in cleaned)


def test_a_worker_reply_for_another_county_is_not_taken(intake, monkeypatch):
    """The server never takes a worker's word for whose rows these are."""
    from dashboard.sandbox import Sandbox

    real_run = Sandbox.run

    def tampered(self, job, on_wait=None):
        reply = real_run(self, job, on_wait)
        reply["result"]["records"][0]["county_code"] = "459999000000"
        return reply

    monkeypatch.setattr(Sandbox, "run", tampered)
    assert intake.file_error(intake.table().xlsx()) == REFUSALS["crashed"]()


def test_a_busy_worker_past_its_time_is_killed_and_replaced(intake, fresh_sandbox):
    box = fresh_sandbox(Limits(timeout_seconds=30))
    assert intake.accepted(intake.table().xlsx()).rows == 115  # the worker is warm now
    [worker] = box._idle
    big = add_cells(intake.table().xlsx(), "<!-- slow path -->" + "".join(
        f'<row r="{r}"><c r="P{r}"><v>1</v></c></row>' for r in range(200, 40_000)))
    box.limits = Limits(timeout_seconds=0.2)
    assert intake.file_error(big) == CAPACITY
    assert worker.proc.poll() is not None  # killed, not left running
    box.limits = Limits()
    assert intake.accepted(intake.table().xlsx()).rows == 115


def test_an_idle_worker_that_died_is_reaped_and_replaced(intake, fresh_sandbox):
    import os
    import signal

    box = fresh_sandbox(Limits())
    assert intake.accepted(intake.table().xlsx()).rows == 115
    [worker] = box._idle
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(5)
    assert intake.accepted(intake.table().xlsx()).rows == 115
    assert worker.proc.stdout.closed and worker.stderr.closed


def test_with_two_slots_a_second_upload_does_not_wait(monkeypatch, fresh_sandbox):
    box = fresh_sandbox(Limits(max_parallel=2))
    both, release = threading.Barrier(2, timeout=10), threading.Event()

    def call(self, worker, job):
        both.wait()  # only passes when the two jobs run at the same time
        release.wait(10)
        return job

    monkeypatch.setattr(type(box), "_call", call)
    monkeypatch.setattr("dashboard.sandbox._Worker.__init__", lambda self, memory_mb: None)
    monkeypatch.setattr("dashboard.sandbox._Worker.alive", lambda self: True)
    told, results = [], []
    threads = [threading.Thread(target=lambda n=n: results.append(box.run({"n": n}, on_wait=told.append)))
               for n in (1, 2)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    release.set()
    for thread in threads:
        thread.join(10)
    assert sorted(r["n"] for r in results) == [1, 2] and told == []


# --- the fast screen may only over-report: whatever it passes, the exact check passes too -------------

def _random_sheet(rng) -> str:
    refs_cols = ["A", "Z", "AX", "AY", "GR", "GS", "XFD"]
    refs_rows = [1, 2, 59_999, 60_000, 60_001, 1_048_576]
    out = []
    for _ in range(rng.randint(1, 6)):
        row = rng.choice([f' r="{rng.choice(refs_rows)}"', ""])
        cells = []
        for _ in range(rng.randint(0, 4)):
            ref = f"{rng.choice(refs_cols)}{rng.choice(refs_rows)}"
            head = rng.choice([f'<c r="{ref}"', "<c", f'<x:c xmlns:x="{MAIN}" r="{ref}"', f"<c r='{ref}'",
                               f'<c  r="{ref}"', f'<c t="n" r="{ref}"', '<c r="&#65;1"'])
            close = "</x:c>" if head.startswith("<x:c") else "</c>"
            body = rng.choice(["<v>1</v>", "", "<f>1+1</f><v>2</v>", '<f>HYPERLINK("x")</f><v>x</v>',
                               "<f>1+1</f>", "<is><t>备注:c 在此</t></is>"])
            if head.startswith("<x:c"):
                body = body.replace("<v>", "<x:v>").replace("</v>", "</x:v>").replace("<f>", "<x:f>").replace(
                    "</f>", "</x:f>")
            cells.append(f"{head}>{body}{close}" if body else f"{head}/>")
        out.append(f"<row{row}>{''.join(cells)}</row>")
        if rng.random() < 0.1:
            out.append("<!-- 注释 -->")
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{"".join(out)}</sheetData></worksheet>'


def test_the_screen_never_passes_what_the_exact_check_refuses():
    import random

    from loaders.errors import IntakeError
    from loaders.reader import limits
    from loaders.xlsx_guard import SheetScan, screen_sheet, well_formed

    rng, lim = random.Random(20261128), limits()
    screened = refused = 0
    for _ in range(3000):
        xml = _random_sheet(rng).encode()
        well_formed(xml, "a.xlsx")
        try:
            scan = SheetScan("表", "a.xlsx", lim)
            scan.feed(xml, final=True)
            exact_ok = True
        except IntakeError:
            exact_ok, refused = False, refused + 1
        if screen_sheet(xml, lim):
            screened += 1
            assert exact_ok, xml.decode()
    assert screened > 100 and refused > 1000  # both outcomes were exercised
