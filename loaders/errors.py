"""The typed errors and issues of intake: each names the sheet, the Excel row, the column and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Issue:
    """One problem found in a file; ``row`` is the row number as Excel shows it."""

    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        """The full sentence the user reads, e.g. 工作表「村级指标」第5行「法律明白人数」:…"""
        where = []
        if self.sheet:
            where.append(f"工作表「{self.sheet}」")
        if self.row:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"「{self.column}」")
        prefix = "".join(where)
        return f"{prefix}:{self.message}" if prefix else self.message


class IntakeError(Exception):
    """A file that cannot be read at all; the message is the Chinese sentence shown to the user."""

    def __init__(self, message: str, sheet: str | None = None, row: int | None = None,
                 column: str | None = None, value: str | None = None):
        super().__init__(message)
        self.issue = Issue(sheet, row, column, value, message)


class CellError(ValueError):
    """A cell value that does not fit its column; the message says what is expected."""
