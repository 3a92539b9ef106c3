"""Plans written as a table (任务分工表): rows separated by "|" or tabs (a Word table reads this way, see
:mod:`dashboard.plan_files`), a header naming the task and the responsible units (责任单位 / 责任部门 /
牵头单位), optionally a number and a deadline column. The lead unit is the one marked with "*"; a single
unit is its own lead; several without a mark are flagged for review, never guessed. A deadline without a
written year ("10月底") is flagged, never given a year."""

from __future__ import annotations

import re
from typing import NamedTuple

FLAG_UNMARKED = "牵头单位未标注(多个责任单位中没有用*标出牵头单位)"
FLAG_NO_YEAR = "期限未写年份"

_TASK = re.compile(r"任务|措施|工作内容|工作事项|具体内容|重点工作")
_UNITS = re.compile(r"责任单位|责任部门|牵头单位|承办单位|责任主体")
_NUMBER = re.compile(r"^(?:序号|编号|序)$")
_DEADLINE = re.compile(r"时限|期限|完成时间|时间节点")
_MARK = "*＊"
_SEPARATORS = str.maketrans(dict.fromkeys(",，;；", "、"))
_YEAR_MONTH = re.compile(r"(20\d{2})\s*年(?:\s*(\d{1,2})\s*月)?")
_MONTH_ONLY = re.compile(r"(\d{1,2})\s*月")


class Row(NamedTuple):
    start: int  # offset of the row's line in the text
    end: int
    number: int
    title: str
    body: str
    lead: str | None
    co_units: tuple[str, ...]
    counties: bool
    deadline_text: str
    flags: tuple[str, ...]


def _cells(line: str) -> list[str] | None:
    if "|" in line:
        return [c.strip() for c in line.strip().strip("|").split("|")]
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    return None


def _units(cell: str, split) -> tuple[str | None, tuple[str, ...], bool, tuple[str, ...]]:
    names = [n.strip() for n in split(cell.translate(_SEPARATORS), "、") if n.strip()]
    counties = any(n.lstrip(_MARK).startswith("各县") for n in names)
    names = [n for n in names if not n.lstrip(_MARK).startswith("各县")]
    marked = [n for n in names if n[0] in _MARK or n[-1] in _MARK]
    clean = [n.strip(_MARK).strip() for n in names]
    if marked:
        lead = marked[0].strip(_MARK).strip()
    elif len(clean) == 1:
        lead = clean[0]
    else:
        lead = None
    flags = (FLAG_UNMARKED,) if lead is None and clean else ()
    return lead, tuple(n for n in clean if n != lead), counties, flags


def rows(text: str, split) -> list[Row] | None:
    """The measure rows of the first table whose header names a task and the responsible units, or None.
    ``split``: the plan parser's bracket-aware splitter (so 各乡(镇)人民政府 stays one name)."""
    offset, header, out = 0, None, []
    for line in text.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        cells = _cells(line.rstrip("\n"))
        if header is None:
            if cells and any(_UNITS.search(c) for c in cells) and any(_TASK.search(c) for c in cells):
                header = {
                    "task": next(i for i, c in enumerate(cells) if _TASK.search(c)),
                    "units": next(i for i, c in enumerate(cells) if _UNITS.search(c)),
                    "number": next((i for i, c in enumerate(cells) if _NUMBER.match(c)), None),
                    "deadline": next((i for i, c in enumerate(cells) if _DEADLINE.search(c)), None),
                }
            continue
        if cells is None:
            if out:
                break
            continue
        if all(set(c) <= set("-: ") for c in cells):  # a Markdown rule under the header
            continue
        task = cells[header["task"]] if header["task"] < len(cells) else ""
        if not task:
            continue
        lead, co, counties, flags = _units(cells[header["units"]] if header["units"] < len(cells) else "", split)
        deadline = (cells[header["deadline"]] if header["deadline"] is not None and header["deadline"] < len(cells)
                    else "")
        if deadline and not _YEAR_MONTH.search(deadline) and _MONTH_ONLY.search(deadline):
            flags += (FLAG_NO_YEAR,)
        title = re.split(r"[。;;]", task, maxsplit=1)[0].strip()[:80]
        out.append(Row(start, offset, len(out) + 1, title, task, lead, co, counties, deadline, flags))
    return out or None


def deadline_of(cell: str) -> tuple[str, str | None] | None:
    """(year, month) of a deadline cell that writes its year ("2024年10月底"), else None."""
    found = _YEAR_MONTH.search(cell)
    return (found.group(1), found.group(2)) if found else None
