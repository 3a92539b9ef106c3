"""会议材料: one entry point for every export of a month — the page buttons and ``qinglian export`` both call
:func:`export`, so a file made from the page and from the command line is the same file.

Formats: ``pptx`` (the deck, :mod:`dashboard.deck`), ``docx`` (the 通报 draft, :mod:`dashboard.circular`),
``png`` (every chart and the map at 1920×1080, :mod:`dashboard.pictures`), ``xlsx`` (every table of the month,
:func:`dashboard.exports.month_workbook`). A frozen month is drawn from its stored snapshot, so its files are
the same bytes whatever was uploaded since; a live month from the store as it is now.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from dashboard import freeze
from dashboard.accounts import Account

FORMATS = {"pptx": "会议幻灯片(.pptx)", "docx": "通报稿(.docx)", "png": "图片(.png)", "xlsx": "数据表(.xlsx)"}
SECTIONS = ("overview", "targets", "map", "accountability")  # the deck's parts, one per dashboard page
Progress = Callable[[float, str], None]


def moment(snap: dict) -> str:
    """The time written into a file's metadata: the freeze time of a frozen month, else when it was read."""
    return snap["frozen"]["at"] if snap.get("frozen") else snap["built_at"]


def stem(snap: dict) -> str:
    """File names start with the city, the scope and the month: 清源市全市清廉乡村建设_2025-11."""
    where = "" if snap["county"] is None else snap["where"]
    return f"{snap['city']}{where}清廉乡村建设_{snap['as_of']}"


def render(snap: dict, fmt: str, sections: tuple[str, ...] | None = None,
           progress: Progress | None = None) -> list[tuple[str, bytes]]:
    """The files of one snapshot in one format: [(file name, bytes)]."""
    from dashboard import exports

    report = progress or (lambda share, text: None)
    name = stem(snap)
    if fmt == "pptx":
        from dashboard import deck

        part = "" if not sections or set(sections) == set(SECTIONS) else "_" + "_".join(sections)
        return [(f"{name}_会议材料{part}.pptx", deck.build(snap, sections, report))]
    if fmt == "docx":
        from dashboard import circular

        report(0.1, "正在生成通报稿")
        return [(f"{name}_通报稿.docx", circular.build(snap))]
    if fmt == "png":
        from dashboard import pictures

        return [(f"{name}_{title}.png", data) for title, data in pictures.build_all(snap, report)]
    if fmt == "xlsx":
        report(0.1, "正在生成数据表")
        return [(f"{name}_数据表.xlsx", exports.month_workbook(snap))]
    raise ValueError(f"不支持的导出格式「{fmt}」,可选:{'、'.join(FORMATS)}")


def export(engine: Engine, period: str, fmt: str, county: str | None = None, sections: tuple[str, ...] | None = None,
           progress: Progress | None = None, *, who: Account) -> list[tuple[str, bytes]]:
    """The files of ``period`` (frozen figures if frozen) for the city or one county, for any signed-in
    account (the figures are the published city-wide ones); the export is audited under ``who``."""
    from dashboard import audit
    from dashboard.scope import read_scope

    read_scope(who)  # raises unless signed in

    if progress:
        progress(0.02, "正在读取本月数据")
    snap = freeze.snapshot(engine, period, county)
    files = render(snap, fmt, sections, progress)
    state = "冻结数字" if snap.get("frozen") else "实时数字"
    audit.log(engine, who.signature, "export", f"{snap['stamp']} · {FORMATS.get(fmt, fmt)}",
              f"{state};{'、'.join(name for name, _ in files)}")
    return files
