"""Cell-level normalisation: full-width digits, 是/否/√/×, text numbers, Chinese dates, codes as text."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from loaders.errors import CellError

_NORMALISE = str.maketrans(
    {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
    | dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\xa0"), " "))
TRUE_WORDS = {"是", "有", "√", "✓", "✔", "y", "yes", "true", "1", "已建立", "已配备", "健全", "已公开", "对"}
FALSE_WORDS = {"否", "无", "×", "✗", "✘", "x", "n", "no", "false", "0", "未建立", "未配备", "不健全", "未公开", "没有"}
BOOL_FAST = {"是": True, "否": False, "√": True, "×": False, "有": True, "无": False}
_DATE_TEXT = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_MONTH_TEXT = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*月?$")
EXCEL_EPOCH = date(1899, 12, 30)
MAX_COUNT = 1_000_000  # far above any village count; keeps values inside a 32-bit INTEGER


# C0/C1 controls (tab and newline aside), bidi marks and overrides, and OOXML's _xHHHH_ escapes.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
                     "|_x[0-9A-Fa-f]{4}_")


def decode_text(data: bytes) -> str | None:
    """An uploaded text file's text: UTF-8 (with or without a BOM), else GB18030 (which covers GBK); None when
    it is neither — the caller says in Chinese what the file should have been."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def clean_text(text: str) -> str:
    """User text safe to store, show and export: unsafe characters removed, NFC-normalised."""
    if not text.isprintable() or "_x" in text:  # isprintable: one C pass; most text stops here
        while _UNSAFE.search(text):  # again until none is left: removing one may join the halves of another
            text = _UNSAFE.sub("", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def norm_text(value) -> str:
    """Cell as clean trimmed text with full-width ASCII turned half-width; whole floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    text = clean_text(str(value)).translate(_NORMALISE).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]  # undo :func:`neutralise` when a template comes back
    return text


def norm_header(value) -> str:
    """Header text for matching: no spaces, no required-markers, half-width punctuation."""
    text = re.sub(r"\s+", "", norm_text(value))
    text = text.replace("*", "").replace("(必填)", "").replace("(选填)", "")
    return text.replace("“", "").replace("”", "").replace("〔", "(").replace("〕", ")")


_COUNT_SUFFIX = re.compile(r"(人|名|个|件|起)$")


def parse_int(value) -> int:
    if isinstance(value, float) and value.is_integer() and 0 <= value <= MAX_COUNT:
        return int(value)  # the common case: Excel stored a whole number
    text = _COUNT_SUFFIX.sub("", norm_text(value).replace(",", ""))
    try:
        number = float(text)
    except ValueError:
        raise CellError("应为非负整数") from None
    if not number.is_integer():
        raise CellError("应为整数,不能有小数")
    if number < 0:
        raise CellError("不能为负数")
    if number > MAX_COUNT:
        raise CellError(f"数值过大(超过{MAX_COUNT})")
    return int(number)


def parse_float(value) -> float:
    text = norm_text(value).replace(",", "")
    try:
        return float(text)
    except ValueError:
        raise CellError("应为数字") from None


def parse_percent(value, fraction: bool = False) -> float:
    """Percentage points, read the way the cell shows them: 35 → 35; text "35%" → 35; and a cell formatted as
    a percentage (``fraction``), which holds 0.35 for what it shows as 35 %, → 35. Nothing is guessed from
    the size of the number: 1 is 1 %."""
    if isinstance(value, str):
        number = parse_float(norm_text(value).removesuffix("%"))
    elif fraction and isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value * 100
    else:
        number = parse_float(value)
    if not 0 <= number <= 100:
        raise CellError("应为 0 到 100 之间的数字")
    return round(number, 1)


def parse_bool(value) -> bool:
    if value in BOOL_FAST:
        return BOOL_FAST[value]
    text = norm_text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError("应填“是”或“否”")


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and 20000 < value < 80000:
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = norm_text(value)
    match = _DATE_TEXT.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise CellError("不是有效日期") from None
    raise CellError("应为日期,例如 2024-03-15 或 2024年3月15日")


def parse_year(value) -> int:
    text = norm_text(value).removesuffix("年")
    if not re.fullmatch(r"20\d{2}", text):
        raise CellError("应为4位年份,例如 2024")
    return int(text)


def parse_code(value) -> str:
    """12-digit region code as text. A code Excel turned into a number keeps its digits."""
    if isinstance(value, str) and len(value) == 12 and value.isascii() and value.isdigit():
        return value
    text = norm_text(value)
    if re.fullmatch(r"\d+(\.0+)?[eE]\+?\d+", text):
        text = str(int(float(text)))
    if not re.fullmatch(r"\d{12}", text):
        raise CellError("应为12位数字的区划代码(请把单元格设为文本格式,保留开头的0)")
    return text


def parse_period(text: str) -> str:
    """"YYYY-MM" from forms such as 2024-03, 2024年3月, 2024/3."""
    match = _MONTH_TEXT.match(norm_text(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CellError("报送期应为年月,例如 2024-03")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def parse_month(value) -> str:
    """A month cell ("2025-09", "2025年9月", or a date Excel made of it) as "YYYY-MM"."""
    if isinstance(value, float) and 20000 < value < 80000:
        value = EXCEL_EPOCH + timedelta(days=int(value))
    if isinstance(value, date):  # datetime included
        return f"{value.year:04d}-{value.month:02d}"
    try:
        return parse_period(value)
    except CellError:
        raise CellError("应为年月,例如 2025-09 或 2025年9月") from None


def neutralise(text: str) -> str:
    """Text safe to write into Excel/CSV: no character Excel cannot hold (older stores may still carry
    some), and a leading = + - @ (or tab/CR) cannot start a formula."""
    text = clean_text(text)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
