"""Table exports for meetings: .xlsx with a title and 数据截至 stamp; text can never become a formula."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from loaders.cells import neutralise


def _sheet(ws, frame: pd.DataFrame, title: str, stamp: str) -> None:
    """Title row, stamp row (e.g. 数据截至…), bold header frozen under them, rows; widths fit the text.
    Every string is neutralised — title and stamp (they may hold a county or file name) and headers too — so no
    text typed by a user becomes a live formula."""
    ws.append([neutralise(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([neutralise(stamp)])
    ws["A2"].font = Font(color="666666")
    ws.append([neutralise(str(c)) for c in frame.columns])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([neutralise(v) if isinstance(v, str) else (None if _missing(v) else v) for v in row])
    for i, col in enumerate(frame.columns, start=1):
        longest = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
        ws.column_dimensions[get_column_letter(i)].width = min(60, 4 + longest * 2)
    ws.freeze_panes = "A4"


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def table_xlsx(frame: pd.DataFrame, title: str, stamp: str, sheet: str = "数据") -> bytes:
    """One sheet: title row, stamp row (e.g. 数据截至…), header, rows. Strings are neutralised."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(sheet, set())
    _sheet(ws, frame, title, stamp)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_BAD_SHEET_CHARS = re.compile(r"[\\/?*\[\]:]")


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (≤31 characters, none of \\ / ? * [ ] :)."""
    base = _BAD_SHEET_CHARS.sub("_", name)[:31] or "数据"
    out, n = base, 2
    while out in taken:
        out = f"{base[:28]}_{n}"
        n += 1
    taken.add(out)
    return out


def workbook(sheets: list[tuple[str, pd.DataFrame, str]], stamp: str) -> bytes:
    """Several tables, one sheet each: [(sheet title, frame, table title)], all with the same stamp row."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for sheet, frame, title in sheets:
        _sheet(wb.create_sheet(_sheet_name(sheet, taken)), frame, title, stamp)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def month_workbook(snap: dict) -> bytes:
    """Every table of a month's snapshot (:mod:`dashboard.report`) in one workbook, repeatable byte for byte."""
    from dashboard.report import frame

    where = snap["where"]
    kpis = pd.DataFrame([{
        "目标": t["label"], "当前(%)": t["actual"], "上月(%)": t["previous"], "应达(%)": t["expected"],
        "灯": t["lamp_label"], "达标数": t["count"], "总数": t["total"], "未报送": t["unreported"],
        "下一节点": f"{t['next_milestone']['deadline']}前 {t['next_milestone']['value']:g}%",
        "完成下一节点还需": t["pace"], "通报表述": t["sentence"]} for t in snap["targets"]])
    sheets = [("目标概况", kpis, f"{where}各项目标完成情况"),
              ("县区排名", frame(snap["ranking"]), f"{where}各县(市、区)示范点覆盖率排名")]
    for t in snap["targets"]:
        sheets.append((f"{t['label']}_分县", frame(t["counties"]), f"{t['label']}:分县(市、区)情况"))
        sheets.append((f"{t['label']}_缺口", frame(t["gaps"]), f"{t['label']}:缺口清单"))
    sheets += [("措施落实", frame(snap["measures"]), "措施落实情况"),
               ("滞后措施", frame(snap["lagging"]), "推进滞后的措施及牵头单位"),
               ("责任单位", frame(snap["units"]), "责任单位落实情况"),
               ("报送情况", frame(snap["completeness"]), f"{snap['as_of_label']}报送情况"),
               ("未报送", frame(snap["missing"]), f"{snap['as_of_label']}未按时完整报送名单"),
               ("无示范点乡镇", frame(snap["map"]["gaps"]), f"{where}尚无示范点的乡镇(街道)名单"),
               ("数据来源", frame(snap["sources"]), "本期数字所依据的上报")]
    frozen = f" · 已冻结({snap['frozen']['by']} {snap['frozen']['at'][:16].replace('T', ' ')})" if snap.get("frozen") else ""
    from dashboard.meeting import moment

    return reproducible(workbook(sheets, f"{snap['city']} · {snap['stamp']}{frozen}"), moment(snap))


def table_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with BOM (opens correctly in Excel); strings neutralised."""
    safe = frame.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return safe.to_csv(index=False).encode("utf-8-sig")


_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def reproducible(package: bytes, moment: str) -> bytes:
    """An Office file (.pptx/.docx/.xlsx, a zip) made byte-for-byte repeatable: every member gets the same
    time stamp and the document's created/modified times are set to ``moment`` (ISO, e.g. the freeze time).
    The libraries stamp both with the clock, so the same figures would otherwise give different bytes."""
    instant = datetime.fromisoformat(moment)
    utc = (instant.astimezone(timezone.utc) if instant.tzinfo else instant).strftime("%Y-%m-%dT%H:%M:%S")
    when = instant.timetuple()[:6]  # zip entries hold local wall time
    src = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>" + utc.encode() + rb"Z\g<2>", data)
            info = zipfile.ZipInfo(item.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, data)
    return out.getvalue()
