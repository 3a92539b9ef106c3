"""Where a plan's measures are: the task chapter, the numbering level its measures use, and its sections.

Works on the normalised text of :mod:`dashboard.plan` (half-width brackets and punctuation). Three numbering
levels are told apart: 一、 (level 0), (一) (level 1) and 1. / 1、 / (1) / ① (level 2, one style per plan). The
measures are the deepest level present, unless that level's items sit under higher-level items that read as
measures themselves (a title ending in "。" before their sub-items); the level just above the measures gives
the sections. Numbering may restart under each higher-level item; measures are numbered 1, 2, 3… in order.
A first measure written without its number is taken when the numbering starts at 2 after measure-like text,
and flagged; nothing else is guessed.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

FLAG_FIRST_UNNUMBERED = "序号缺失(按位置视为第1项)"

_CN_DIGITS = "一二三四五六七八九"
_CN = r"[一二三四五六七八九十]{1,3}"
_TASK = r"(?:工作措施|主要措施|具体措施|主要任务|重点任务|工作任务)"
# Chapters that hold no measures: the preamble (总体要求…) and the closing ones (保障措施…).
_CHAPTER_WORD = re.compile(r"\s*(?:总体要求|指导思想|基本原则|工作原则|工作目标|总体目标|主要目标|目标任务|适用范围|基本情况"
                           r"|领导小组|组织领导|组织机构|保障措施|组织保障|保障机制|工作保障|工作要求|有关要求|组织实施"
                           r"|实施步骤|工作步骤|进度安排|时间安排|考核评估|监督考核)")
# What may follow a heading that stands on its own: the line's end or the first numbered item.
_HEADING_END = rf"(?=[ \t]*(?:\n|$|{_CN}、|\({_CN}\)|\d{{1,3}}[.、]|\(\d{{1,3}}\)|[\u2460-\u2473]))"
_HEADING = re.compile(rf"({_CN})、\s*{_TASK}")
_PART_HEADING = re.compile(rf"第({_CN})(部分|章|篇)\s*{_TASK}")
_BARE_HEADING = re.compile(rf"(?<![^\n。])[ \t]*{_TASK}[ \t]*:?{_HEADING_END}")
# A closing chapter ("三、保障措施", "保障措施" on its own line) ends a task chapter that has no number.
_CLOSING_LINE = re.compile(rf"(?<![^\n。〕)】\]])(?<!\([一二三四五六七八九十]\))[ \t]*(?:{_CN}、|第{_CN}(?:部分|章|篇))?"
                           rf"[ \t]*(?:保障措施|组织保障|保障机制|工作保障|工作要求|组织实施){_HEADING_END}")
# 一、 counts only after a sentence, a note, a line break or a title ("…工作要点一、"): "十一、国庆" and
# "统一、规范" are prose.
_CHAPTER_NO = re.compile(rf"(?:(?<![^\s。;:!?〕)】\]])|(?<=方案|要点|意见|办法|计划|清单|任务|措施))({_CN})、")
_SECTION = re.compile(rf"\(({_CN})\)")
# Digits glued to a year, a range ("2-3年"), an ordinal ("第5、") or a decimal are never measure numbers.
_MEASURE_NO = re.compile(r"(?<![\d.第\-~—])(\d{1,3})\s*[.、](?!\d)|\((\d{1,3})\)|([\u2460-\u2473])")
_MEASURE_TITLE = re.compile(r"\s*([^。\n]{1,80})[。\n]")
_ITEM_TEXT = re.compile(r"\s*[^\s。,;:、]")


class Item(NamedTuple):
    """A numbered item: its number as written, where the number starts and ends, and its style (level 2)."""

    number: int
    start: int
    after: int
    kind: int = 0


class Heading(NamedTuple):
    number: int  # 1, 2, 3… in order
    start: int
    title_start: int
    title_end: int


class Start(NamedTuple):
    """Where one measure is: ``start`` is its number (or its title when the number was lost), ``end`` where
    its text stops (the next item at its level or above, or the end of the task chapter)."""

    number: int
    start: int
    title_start: int
    title_end: int
    end: int
    section: int  # 0 when the plan has no sections
    flags: tuple[str, ...]


class Layout(NamedTuple):
    sections: tuple[Heading, ...]
    measures: tuple[Start, ...]
    problem: str | None  # why no measure was found, in the words shown to the user


def cn_to_int(s: str) -> int:
    """一→1 … 十→10, 十二→12, 二十一→21; 0 when not a numeral."""
    tens, ten, ones = s.partition("十")
    if not ten:
        return _CN_DIGITS.index(s) + 1 if len(s) == 1 and s in _CN_DIGITS else 0
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return 0
    return (_CN_DIGITS.index(tens) + 1 if tens else 1) * 10 + (_CN_DIGITS.index(ones) + 1 if ones else 0)


def int_to_cn(n: int) -> str:
    tens, ones = divmod(n, 10)
    head = ("" if tens == 1 else _CN_DIGITS[tens - 1]) + "十" if tens else ""
    return head + (_CN_DIGITS[ones - 1] if ones else "")


class Region(NamedTuple):
    start: int
    end: int
    heading: str | None  # the task chapter's heading as written, e.g. "四、工作措施"
    chapters: bool = False  # the 一、 items in it are chapters (总体要求, 保障措施…), never measures


def region(norm: str) -> Region:
    """The task chapter: "四、工作措施" up to "五、", "第二部分 重点任务", or a line of its own saying
    "重点任务"; without one, the chapters between the preamble (总体要求…) and the closing ones (保障措施…), or
    the whole text."""
    numbered = _HEADING.search(norm)
    if numbered:
        following = int_to_cn(cn_to_int(numbered.group(1)) + 1)
        empty = re.compile(rf"\s*{following}、").match(norm, numbered.end())  # "二、重点任务三、保障措施"
        nxt = empty or re.compile(rf"(?<=[。〕)】\]\n])\s*{following}、").search(norm, numbered.end())
        return Region(numbered.end(), nxt.start() if nxt else len(norm), numbered.group(0))
    part = _PART_HEADING.search(norm)
    if part:
        following = int_to_cn(cn_to_int(part.group(1)) + 1)
        nxt = re.compile(rf"第{following}{part.group(2)}").search(norm, part.end())
        return Region(part.end(), nxt.start() if nxt else len(norm), part.group(0))
    bare = _BARE_HEADING.search(norm)
    if bare:
        closing = _CLOSING_LINE.search(norm, bare.end())
        return Region(bare.end(), closing.start() if closing else len(norm), bare.group(0).strip(" \t:"))
    return _between_chapters(norm)


def _between_chapters(norm: str) -> Region:
    """Without a task heading: from the first 一、 chapter that is not a preamble (总体要求…) to the next one
    that is, or to a closing chapter (保障措施…); the whole text when there are no chapters."""
    closing = _CLOSING_LINE.search(norm)
    end = closing.start() if closing else len(norm)
    chapters = _run(_items(norm, 0, end, 0), [], _loose(norm, end))
    deeper = [_run(_items(norm, 0, end, 1), [], _loose(norm, end)), _run(_items(norm, 0, end, 2), [], _titled(norm, end))]
    if chapters and any(run and run[0].start < chapters[0].start for run in deeper):
        chapters = []  # "1.强化理论武装。做到:一、…二、…": numbered inside the measures, not chapters
    named = [bool(_CHAPTER_WORD.match(norm, c.after)) for c in chapters]
    first = next((i for i, n in enumerate(named) if not n), None)
    if chapters and first is None:  # the task chapter's own number was not read ("XX四、…"): the whole text
        return Region(0, end, None, chapters=True)
    start = chapters[first].start if chapters else 0
    last = next((chapters[i].start for i in range(first, len(chapters)) if named[i]), None) if chapters else None
    return Region(start, end if last is None else last, None)


def layout(norm: str) -> Layout:
    """The sections and measures of a plan's task chapter (see the module docstring)."""
    where = region(norm)
    runs, lost = _runs(norm, where)
    level = _measure_level(norm, runs, 1 if where.chapters else 0)
    parents = _above(runs, level) if level is not None else []
    spans = _spans(norm, where, level, runs[level], parents, lost.get(level)) if level is not None else []
    if not spans:
        return Layout((), (), _problem(where.heading, where.chapters))
    above = max((lv for lv in range(level) if runs[lv]), default=None)
    sections = _sections(norm, runs[above], [s[0] for s in spans], where.end) if above is not None else []
    bounds = sorted({it.start for it in parents} | {s[0] for s in spans} | {where.end})
    return Layout(tuple(sections), tuple(
        Start(i + 1, start, title_start, title_end, next(b for b in bounds if b > title_end),
              max((h.number for h in sections if h.start < start), default=0), flags)
        for i, (start, title_start, title_end, flags) in enumerate(spans)
    ), None)


def _runs(norm: str, where: Region, nested: frozenset[int] = frozenset()) -> tuple[list[list[Item]],
                                                                                   dict[int, tuple[int, int]]]:
    """Each level's numbered items, top level first, and for a level whose "1" was lost the first item's
    title (its numbering then starts at 2 after measure-like text). A level whose first item comes after a
    deeper level's first one is numbered inside those items ("1.强化理论武装。做到(一)…(二)…"): it is
    left out (``nested``), so its numbers are text."""
    runs: list[list[Item]] = []
    lost: dict[int, tuple[int, int]] = {}
    for level in range(3):
        if level in nested:
            runs.append([])
            continue
        parents = _above(runs, level)
        titled = _titled(norm, where.end) if level == 2 else _loose(norm, where.end)
        items = _items(norm, where.start, where.end, level)
        # A task chapter cut between "一、总体要求" and "四、保障措施" opens with its own chapter number.
        opens = where.heading is None and items and items[0].start == where.start
        run = _run(items, parents, titled, first=items[0].number if opens else 1)
        if not run and (where.heading or parents):
            late = _run(items, parents, titled, first=2)
            title = _lost_first(norm, where.start, parents, late[0]) if late else None
            if title:
                run, lost[level] = late, title
        runs.append(run)
    inside = {h for h in range(3) for d in range(h + 1, 3) if runs[h] and runs[d] and runs[d][0].start < runs[h][0].start}
    return _runs(norm, where, nested | inside) if inside else (runs, lost)


def _above(runs: list[list[Item]], level: int) -> list[Item]:
    """The items of the levels above ``level``, in text order."""
    return sorted((it for run in runs[:level] for it in run), key=lambda it: it.start)


def _spans(norm: str, where: Region, level: int, run: list[Item], parents: list[Item],
           lost: tuple[int, int] | None) -> list[tuple[int, int, int, tuple[str, ...]]]:
    """(start, title start, title end, flags) of each measure. 一、 and (一) items were read as headings
    (words after the number); as measures they need a title, like any measure."""
    if level < 2:
        run = _run(_items(norm, where.start, where.end, level), parents, _titled(norm, where.end),
                   first=run[0].number)
    spans = [(it.start, *_titled(norm, where.end)(it), ()) for it in run]
    if lost and run and run[0].number == 2:
        spans.insert(0, (lost[0], *lost, (FLAG_FIRST_UNNUMBERED,)))
    return spans


def _items(norm: str, start: int, end: int, level: int) -> list[Item]:
    """Every number of one level in norm[start:end], in order (not yet checked for sequence)."""
    if level == 0:
        return [Item(cn_to_int(m.group(1)), m.start(), m.end()) for m in _CHAPTER_NO.finditer(norm, start, end)]
    if level == 1:
        return [Item(cn_to_int(m.group(1)), m.start(), m.end()) for m in _SECTION.finditer(norm, start, end)]
    out = []
    for m in _MEASURE_NO.finditer(norm, start, end):
        kind = m.lastindex  # 1: "1." or "1、", 2: "(1)", 3: "①"
        out.append(Item(ord(m.group(3)) - 0x245F if kind == 3 else int(m.group(kind)), m.start(), m.end(), kind))
    return out


def _titled(norm: str, end: int) -> Callable[[Item], tuple[int, int] | None]:
    """A measure's title: up to "。" or the line's end, at most 80 characters."""
    def title(it: Item) -> tuple[int, int] | None:
        found = _MEASURE_TITLE.match(norm, it.after, end)
        return (found.start(1), found.end(1)) if found and found.group(1).strip() else None
    return title


def _loose(norm: str, end: int) -> Callable[[Item], tuple[int, int] | None]:
    """A heading's number only needs words after it (its title may run into its first item)."""
    return lambda it: (it.after, it.after) if _ITEM_TEXT.match(norm, it.after, end) else None


def _run(items: list[Item], parents: list[Item], titled: Callable[[Item], tuple[int, int] | None],
         first: int = 1) -> list[Item]:
    """The items numbered first, first+1, …, in one style; the numbering may start again at 1 after a
    higher-level item. Numbers out of sequence, or inside the previous item's title, are text."""
    found: list[Item] = []
    title_end = -1
    for it in items:
        if it.start < title_end or (found and it.kind != found[0].kind):
            continue
        if found:
            again = it.number == 1 and any(found[-1].start < p.start < it.start for p in parents)
            if it.number != found[-1].number + 1 and not again:
                continue
        elif it.number != first:
            continue
        title = titled(it)
        if title:
            found.append(it)
            title_end = title[1]
    return found


def _lost_first(norm: str, start: int, parents: list[Item], second: Item) -> tuple[int, int] | None:
    """(title start, title end) of a first measure written without its number: the text between the chapter
    heading (or the heading line of the item above) and measure 2 must open with a title and go on."""
    before = [p for p in parents if p.start < second.start]
    if before:
        line_end = norm.find("\n", before[-1].after, second.start)
        if line_end < 0:  # "(一)强化党建引领强化理论武装。": where the heading stops cannot be told
            return None
        start = line_end + 1
    title = _MEASURE_TITLE.match(norm, start, second.start)
    if not title or not title.group(1).strip() or title.group(1).rstrip().endswith(":"):
        return None
    if not norm[title.end():second.start].strip():
        return None
    lead = len(title.group(1)) - len(title.group(1).lstrip())
    return title.start(1) + lead, title.end(1)


def _measure_level(norm: str, runs: list[list[Item]], highest: int) -> int | None:
    """The level of the measures: the first level present whose items are not headings over the next one."""
    present = [lv for lv, run in enumerate(runs) if run]
    for i, level in enumerate(present):
        if level < highest:
            continue
        if i + 1 == len(present) or not _headings(norm, runs[level], runs[present[i + 1]]):
            return level
    return None


def _headings(norm: str, items: list[Item], children: list[Item]) -> bool:
    """Whether most items that hold children are headings: their title stops at a line break or runs into
    the first child, not at a "。" ("(一)强化理论武装。1.…" is a measure with sub-items)."""
    votes = []
    for i, it in enumerate(items):
        stop = items[i + 1].start if i + 1 < len(items) else len(norm)
        child = next((c.start for c in children if it.start < c.start < stop), None)
        if child is not None:
            votes.append(_heading_title_end(norm, it.after, child) is not None)
    return bool(votes) and 2 * sum(votes) >= len(votes)


def _heading_title_end(norm: str, start: int, stop: int) -> int | None:
    """Where a heading's title ends (a line break or ``stop``), or None when a "。" or 100 characters come first."""
    line_end = norm.find("\n", start, stop)
    cut = stop if line_end < 0 else line_end
    title = norm[start:cut]
    return cut if title.strip() and "。" not in title and len(title.strip()) <= 100 else None


def _sections(norm: str, items: list[Item], measure_starts: list[int], end: int) -> list[Heading]:
    """The items just above the measures that hold at least one measure and read as headings."""
    found: list[Heading] = []
    for i, it in enumerate(items):
        stop = items[i + 1].start if i + 1 < len(items) else end
        first = next((s for s in measure_starts if it.start < s < stop), None)
        cut = _heading_title_end(norm, it.after, first) if first is not None else None
        if cut is not None:
            lead = len(norm[it.after:cut]) - len(norm[it.after:cut].lstrip())
            tail = len(norm[it.after:cut].rstrip().rstrip("。"))
            found.append(Heading(len(found) + 1, it.start, it.after + lead, it.after + tail))
    return found


def _problem(heading: str | None, chapters: bool) -> str | None:
    """What to tell the user when no measures were found (None: the general message)."""
    if heading:
        return (f"「{heading}」之下没有找到编号的工作措施(形如「1.强化理论武装。」「(一)强化理论武装。」"
                f"或「一、强化理论武装。」),请确认上传的是实施方案全文。")
    if chapters:
        return ("方案中只有「总体要求」「保障措施」一类的章节标题,没有找到编号的工作措施"
                "(形如「1.强化理论武装。」「(一)强化理论武装。」),请确认上传的是实施方案全文。")
    return None
