"""A plan document as text, whatever form a city has it in: a .txt (UTF-8 or GB18030, as Windows saves Chinese
text), a Word .docx (python-docx: paragraphs in order, each table row as one line with its cells separated by
tabs — the layout the parser reads as a table), or text pasted on the page."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from dashboard.plan import PlanParseError

MAX_BYTES = 5 << 20  # a plan is a few dozen pages of text: anything larger is not one
KINDS = ("txt", "docx")


def plan_text(name: str, data: bytes) -> str:
    """The text of the plan file ``name`` (its extension says which form); PlanParseError, in Chinese, when it
    cannot be read as one."""
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if len(data) > MAX_BYTES:
        raise PlanParseError(f"方案文件「{name}」有 {len(data) / (1 << 20):.1f} MB,超过 5 MB:请确认选的是方案原文。")
    if suffix == "docx":
        return _docx_text(name, data)
    return _decoded(name, data)  # .txt, or text under another name; anything else is refused there


def _decoded(name: str, data: bytes) -> str:
    from loaders.cells import decode_text

    text = decode_text(data)
    if text is not None and "\x00" not in text:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise PlanParseError(f"方案文件「{name}」不是文本文件:请另存为 UTF-8 编码的 .txt,或上传 Word 的 .docx"
                         "(.doc、.pdf 请先用 Word 另存为 .docx)。")


def _docx_text(name: str, data: bytes) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PlanParseError(f"方案文件「{name}」不是有效的 Word(.docx)文件,请用 Word 打开后另存为 .docx 再上传。") from exc
    lines = []
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                cells = []
                for cell in row.cells:  # a merged cell repeats: keep it once
                    text = cell.text.replace("\n", " ").strip()
                    if not cells or cells[-1] != text:
                        cells.append(text)
                lines.append("\t".join(cells))
    text = "\n".join(lines).strip()
    if not text:
        raise PlanParseError(f"方案文件「{name}」中没有文字(可能是扫描件图片):请上传含文字的方案。")
    return text
