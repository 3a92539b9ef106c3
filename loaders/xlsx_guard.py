"""Unpack an uploaded .xlsx safely, check it, and hand the reader a re-zipped copy of what was checked.

Nothing declared by the file is trusted: every part is inflated through a byte counter (per part and in
total, whatever the zip headers say); only the parts that ``workbook.xml`` and its relationships reference
are read; cell positions are taken from each cell, never from ``<dimension>``. Refused with a sentence from
:mod:`loaders.refusals`: macros (``vbaProject.bin`` whatever its content type, macro sheets), external links,
data connections, DDE, embedded objects and controls, formulas that call out (HYPERLINK, WEBSERVICE, …),
formulas without a cached value, DOCTYPE/entity declarations, cells beyond the row/column/cell limits.

Every part read is first parsed by expat without handlers (well-formed, no DOCTYPE, any encoding) at C
speed. Each worksheet is then screened by a few C-level searches that can only over-report (UTF-8, no
comments or CDATA, every cell written as ``<c r="A1"`` inside the limits, no cell formula); anything they
flag goes through the exact streaming check (:class:`SheetScan`, expat with handlers), which decides and
places cells exactly as the reader does. Everything runs in linear time. Every ``.rels`` part in the
package is checked, referenced or not; part names are matched as OPC wants (case-insensitive,
percent-decoded), and a part two names could mean is refused.

The re-zipped copy drops what the reader would take on trust: ``<dimension>`` and the shared-string
counts. The reader's own grid size is checked once more before it builds its table (see loaders.reader).
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from urllib.parse import unquote
from xml.parsers import expat

from loaders.errors import IntakeError
from loaders.refusals import REFUSALS

CHUNK = 1 << 20
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE_DOCUMENT = DOC_REL_NS + "/officeDocument"
DEFAULT_WORKBOOK = "xl/workbook.xml"
MACRO_TYPES = {"vbaProject", "xlMacrosheet", "xlIntlMacrosheet", "dialogsheet", "wsSortMap"}
WORKBOOK_REFUSED = {"externalLink": ("external_link", "链接到其他工作簿"),
                    "connections": ("external_link", "数据连接"),
                    "queryTable": ("external_link", "数据查询")}
SHEET_REFUSED = {"oleObject": ("embedded", "嵌入对象"), "control": ("embedded", "ActiveX 控件"),
                 "activeXControl": ("embedded", "ActiveX 控件"), "externalLink": ("external_link", "链接到其他工作簿"),
                 "queryTable": ("external_link", "数据查询")}
EXTERNAL_WHAT = {"hyperlink": "指向共享文件夹或本机文件的超链接", "image": "链接到外部的图片",
                 "externalLinkPath": "链接到其他工作簿"}
SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
# Functions whose evaluation reaches outside the workbook (or runs code): refused in any formula.
CALLOUT_FUNCTIONS = ("HYPERLINK", "WEBSERVICE", "FILTERXML", "RTD", "CALL", "REGISTER", "REGISTER.ID", "EXEC",
                     "DDE", "DDEAUTO", "IMAGE", "SQL.REQUEST", "ENCODEURL", "STOCKHISTORY", "TRANSLATE",
                     "DETECTLANGUAGE", "COPILOT", "PY")
_NAMES = "|".join(re.escape(f) for f in sorted(CALLOUT_FUNCTIONS, key=len, reverse=True))
# A call (optionally _xlfn./_xlws.-prefixed), or a function passed by name to a lambda helper (_xleta.NAME).
_CALLOUT = re.compile(rf"(?<![\w.])(?:(?:_xlfn|_xlws)\.)?({_NAMES})\s*\(|_xleta\.({_NAMES})(?![\w.])",
                      re.IGNORECASE)
SAFE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # all Excel writes; others inflate unmetered
# References outside the workbook: [1]Sheet!A1 (external book index), UNC paths, URLs, drive paths, DDE (app|topic).
_EXTERNAL_REF = re.compile(r"\[\d+\]|\\\\|://|'[A-Za-z]:\\|\|")
FORMULA_ELEMENTS = {"f", "formula", "formula1", "formula2"}
CONTENT = {"v", "is", "f"}
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


def refuse(key: str, row: int | None = None, sheet: str | None = None, **values) -> IntakeError:
    return IntakeError(REFUSALS[key](**values), sheet=sheet, row=row)


def column_index(letters: str) -> int:
    """1-based column number of Excel letters (A → 1, XFD → 16384)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def formula_problem(text: str) -> tuple[str, str] | None:
    """(refusal key, what) when a formula calls out or refers outside the workbook, else None."""
    match = _CALLOUT.search(text)
    if match:
        return "callout_formula", (match.group(1) or match.group(2)).upper()
    if _EXTERNAL_REF.search(text):
        return "external_link", "公式引用了其他文件或网络位置"
    return None


# --------------------------------------------------------------------------------------------- zip

class _Archive:
    """The upload's zip, read part by part through a byte counter."""

    def __init__(self, data: bytes, filename: str, lim: dict):
        self.filename, self.lim = filename, lim
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            raise refuse("damaged", name=filename) from None
        limit = lim["max_members"]
        if len(infos) > limit:
            raise refuse("too_many_parts", count=len(infos), limit=limit)
        self.infos, self.names = {}, {}
        for info in infos:
            key = part_key(info.filename)
            # two parts one name could mean (OPC names ignore case and percent-encoding): readers would
            # disagree on which one counts
            if info.filename in self.infos or key in self.names:
                raise refuse("damaged", name=filename)
            if info.compress_type not in SAFE_METHODS or info.flag_bits & 0x1:  # unmetered method, encrypted
                raise refuse("damaged", name=filename)
            self.infos[info.filename], self.names[key] = info, info.filename
        # Declared sizes may refuse early but never admit: the counter in read() is what protects.
        if sum(i.file_size for i in infos) > lim["max_uncompressed_mb"] << 20:
            raise refuse("bomb_total")
        for info in infos:
            if info.file_size > (1 << 20) and info.file_size > lim["max_compression_ratio"] * max(info.compress_size, 1):
                raise refuse("bomb_ratio")
        self.total = 0

    def member(self, name: str) -> str | None:
        """The zip member a part name means (OPC: case-insensitive, percent-decoded), or None."""
        return self.names.get(part_key(name))

    def has(self, name: str) -> bool:
        return self.member(name) is not None

    def read(self, name: str, feed: Callable[[bytes], None] | None = None) -> bytes:
        """The part's bytes, inflated in chunks and counted; ``feed`` sees each chunk as it arrives."""
        info = self.infos[self.member(name)]
        part_limit, total_limit = self.lim["max_member_mb"] << 20, self.lim["max_uncompressed_mb"] << 20
        chunks, size = [], 0
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    self.total += len(chunk)
                    if size > part_limit:
                        raise refuse("bomb_part", part=name, mb=self.lim["max_member_mb"])
                    if self.total > total_limit:
                        raise refuse("bomb_total")
                    if size > (1 << 20) and size > self.lim["max_compression_ratio"] * max(info.compress_size, 1):
                        raise refuse("bomb_ratio")
                    if feed:
                        feed(chunk)
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError, ValueError,
                OSError, EOFError):  # bad CRC (a header that understates the size), encryption, unknown method
            raise refuse("damaged", name=self.filename) from None
        return b"".join(chunks)


def part_key(name: str) -> str:
    return unquote(name.lstrip("/")).lower()


# ------------------------------------------------------------------------------------- small parts

def _parser(filename: str, namespaces: bool) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" " if namespaces else None)
    parser.ordered_attributes = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(*_):
        raise refuse("unsafe_xml")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    return parser


def _parse(xml: bytes, filename: str, start=None, text=None, end=None, namespaces: bool = True) -> None:
    """Stream ``xml`` through expat with DOCTYPE/entities refused; malformed XML is refused as such."""
    parser = _parser(filename, namespaces)
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
        parser.buffer_text = True
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise refuse("bad_xml", name=filename) from None


def well_formed(xml: bytes, filename: str) -> None:
    """Expat with no Python handlers (C speed): well-formed, any declared encoding, no DOCTYPE/entities."""
    _parse(xml, filename, namespaces=False)


def _attrs(pairs: list) -> dict:
    return dict(zip(pairs[::2], pairs[1::2]))


def rels_part(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _relationships(archive: _Archive, part: str) -> list[dict]:
    """The relationships of ``part`` (Id, Type suffix, resolved Target, External flag); [] if it has none."""
    folder, base = posixpath.split(part)
    rels_name = rels_part(part)
    if not archive.has(rels_name):
        return []
    out = []

    def start(name, attrs):
        if name.rpartition(" ")[2] == "Relationship":
            a = _attrs(attrs)
            target, external = a.get("Target", ""), a.get("TargetMode", "").lower() == "external"
            if not external:
                target = posixpath.normpath(unquote(target).lstrip("/") if target.startswith("/")
                                            else posixpath.join(folder, unquote(target)))
            out.append({"id": a.get("Id"), "type": a.get("Type", "").rsplit("/", 1)[-1], "target": target,
                        "external": external})

    _parse(archive.read(rels_name), archive.filename, start)
    if len({r["id"] for r in out}) != len(out):  # which part an id means would be up to the reader
        raise refuse("damaged", name=archive.filename)
    return out


def _content_types(archive: _Archive) -> None:
    """Refuse macro-enabled workbooks and any declared VBA part."""
    types = []

    def start(name, attrs):
        if name.endswith((" Default", " Override")):
            types.append(_attrs(attrs).get("ContentType", ""))

    _parse(archive.read("[Content_Types].xml"), archive.filename, start)
    if any("macroEnabled" in t for t in types):
        raise refuse("xlsm")
    if any("vbaProject" in t or "macrosheet" in t.lower() for t in types):
        raise refuse("macro")


def _workbook(archive: _Archive, part: str) -> tuple[list[tuple[str, str]], bytes]:
    """(sheet name, relationship id) of every sheet, and the workbook part's bytes."""
    sheets: list[tuple[str, str]] = []
    names: list[str] = []
    current: list[str] | None = None

    def start(name, attrs):
        nonlocal current
        local = name.rpartition(" ")[2]
        if local == "sheet":
            a = _attrs(attrs)
            sheets.append((a.get("name", ""), a.get(DOC_REL_NS + " id", "")))
        elif local in ("externalReference", "externalReferences"):
            raise refuse("external_link", what="链接到其他工作簿")
        elif local == "definedName":
            current = []

    def end(name):
        nonlocal current
        if current is not None and name.endswith(" definedName"):
            names.append("".join(current))
            current = None

    def text(data):
        if current is not None:
            current.append(data)

    xml = archive.read(part)
    _parse(xml, archive.filename, start, text, end)
    for formula in names:
        problem = formula_problem(formula)
        if problem:
            key, what = problem
            raise refuse(key, what=what, where="名称定义中", function=what)
    return sheets, xml


def _check_relationships(rels: list[dict], refused: dict[str, tuple[str, str]], sheet: str | None = None) -> None:
    for rel in rels:
        if rel["type"] in MACRO_TYPES:
            raise refuse("macro")
        if rel["type"] in refused:
            key, what = refused[rel["type"]]
            raise refuse(key, what=what, sheet=sheet)
        if rel["external"] and not (rel["type"] == "hyperlink" and SAFE_LINK.match(rel["target"])):
            what = EXTERNAL_WHAT.get(rel["type"], "指向其他文件或网址的链接")
            raise refuse("external_link", what=what, sheet=sheet)


ANY_REFUSED = WORKBOOK_REFUSED | SHEET_REFUSED


def _check_every_rels(archive: _Archive) -> None:
    """Every .rels part of the package, referenced or not: drawings, charts, pivot caches and the like can
    point outside too (a linked picture, an external pivot source), and Excel follows them on opening."""
    for name in list(archive.infos):
        folder, base = posixpath.split(name)
        if posixpath.basename(folder).lower() == "_rels" and base.lower().endswith(".rels"):
            source = posixpath.join(posixpath.dirname(folder), base[:-5])
            _check_relationships(_relationships(archive, source), ANY_REFUSED)


def _refuse_dangerous_names(archive: _Archive) -> None:
    for name in archive.infos:
        lower = name.lower()
        base = posixpath.basename(lower)
        if "vbaproject" in base or base.endswith(".vba"):
            raise refuse("macro")
        if lower.startswith("xl/externallinks/"):
            raise refuse("external_link", what="链接到其他工作簿")
        if lower.startswith("xl/activex/"):
            raise refuse("embedded", what="ActiveX 控件")
        if lower.startswith("xl/embeddings/") and base.startswith("oleobject"):
            raise refuse("embedded", what="嵌入对象")


# ----------------------------------------------------------------------------------------- sheets

def _number_upto(n: int) -> bytes:
    """A regex matching the decimal numbers 1..n (no leading zeros)."""
    s, parts = str(n), []
    if len(s) > 1:
        parts.append(f"[1-9][0-9]{{0,{len(s) - 2}}}")
    for i, digit in enumerate(map(int, s)):
        low = 1 if i == 0 else 0
        if i == len(s) - 1:
            parts.append(f"{s[:i]}[{low}-{digit}]")
        elif digit > low:
            parts.append(f"{s[:i]}[{low}-{digit - 1}][0-9]{{{len(s) - i - 1}}}")
    return ("(?:" + "|".join(parts) + ")").encode()


def _letters_upto(n: int) -> bytes:
    """A regex matching the column letters of columns 1..n."""
    top, parts = column_letters(n), []
    if len(top) > 1:
        parts.append(f"[A-Z]{{1,{len(top) - 1}}}")
    for i, ch in enumerate(top):
        if i == len(top) - 1:
            parts.append(f"{top[:i]}[A-{ch}]")
        elif ch > "A":
            parts.append(f"{top[:i]}[A-{chr(ord(ch) - 1)}][A-Z]{{{len(top) - i - 1}}}")
    return ("(?:" + "|".join(parts) + ")").encode()


_SCREENS: dict[tuple, tuple] = {}
_DECLARATION = re.compile(rb'^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["\']([^"\']*)["\']')


def _utf8(xml: bytes) -> bool:
    """The byte patterns of the screen mean what they say only in UTF-8 (or plain ASCII)."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in xml[:200]:
        return False
    declared = _DECLARATION.match(xml[:200])
    return declared is None or declared.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8")
_PREFIXED = re.compile(rb":(?:c|f|formula[12]?)(?=[\s/>])")
_CELL_FORMULA = re.compile(rb"<f(?=[\s/>])")
_RULE_FORMULA = re.compile(rb"<(formula[12]?)>([^<]*)</\1>")


def _screen_patterns(rows: int, columns: int) -> re.Pattern:
    key = (rows, columns)
    if key not in _SCREENS:
        _SCREENS[key] = re.compile(rb'<c(?! r="' + _letters_upto(columns) + _number_upto(rows) + rb'")(?=[\s/>])')
    return _SCREENS[key]


def screen_sheet(xml: bytes, lim: dict) -> bool:
    """True when the fast searches prove the sheet clean; False means "run the exact check"."""
    rows = lim["max_rows"]
    columns = min(lim["max_columns"], lim["max_cells"] // rows)
    if columns < 1 or not _utf8(xml) or b"<!" in xml:  # another encoding, comments, CDATA: the parser decides
        return False
    if _PREFIXED.search(xml) or _CELL_FORMULA.search(xml) or _screen_patterns(rows, columns).search(xml):
        return False
    rule_formulas = _RULE_FORMULA.findall(xml)
    if len(rule_formulas) != xml.count(b"<formula"):
        return False
    return not any(formula_problem(html.unescape(text.decode("utf-8", "replace"))) for _, text in rule_formulas)


class SheetScan:
    """The exact check of one worksheet part, fed chunk by chunk (expat, linear time).

    A cell counts where calamine places it: at its ``r``; without ``r``, on the row of its ``<row>``
    element (``r``, else one past the previous row element) in the column after the previous cell of
    that row. Only cells holding something (``<v>``, ``<is>`` or ``<f>``) are held against the limits, as
    only those take room in the reader's grid.
    """

    def __init__(self, sheet: str, filename: str, lim: dict):
        self.sheet, self.filename, self.lim = sheet, filename, lim
        self.parser = _parser(filename, namespaces=False)
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.buffer_text = True
        self.row = self.col = self.max_row = self.max_col = 0  # row: of the <row> element; col: last cell's
        self.cell: dict | None = None
        self.text: list[str] | None = None

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            raise refuse("bad_xml", name=self.filename) from None
        if final:
            self._finish()

    def _start(self, name: str, attrs: list) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            a = _attrs(attrs)
            self.row = self._number(a["r"]) if "r" in a else self.row + 1
            self.col = 0
        elif local == "c":
            ref = _attrs(attrs).get("r")
            if ref is None:
                row, col = self.row, self.col + 1
            else:
                match = _REF.fullmatch(ref)
                if not match:
                    raise refuse("unreadable", name=self.filename)
                row, col = int(match.group(2)), column_index(match.group(1))
            self.col = col  # the row stays the <row> element's: a cell without r after this one goes there
            self.cell = {"row": row, "col": col, "type": _attrs(attrs).get("t"), "counted": False,
                         "formula": None, "value": None}
        elif self.cell is not None and local in CONTENT:
            self._count(self.cell)
        if local in FORMULA_ELEMENTS or (local == "v" and self.cell is not None and self.cell["formula"] is not None):
            self.text = []
            self.parser.CharacterDataHandler = self.text.append

    def _end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if self.text is not None and (local in FORMULA_ELEMENTS or local == "v"):
            text, self.text = "".join(self.text), None
            self.parser.CharacterDataHandler = None
            if local == "v":
                self.cell["value"] = text
            else:
                self._formula(text, local)
        elif local == "c" and self.cell is not None:
            if self.cell["formula"] is not None:
                self._cached_value(self.cell)
            self.cell = None

    def _formula(self, text: str, local: str) -> None:
        cell = self.cell if local == "f" else None
        problem = formula_problem(text)
        if problem:
            key, what = problem
            where = f"单元格 {self._ref(cell)} " if cell else "条件格式或数据验证中"
            raise refuse(key, row=cell["row"] if cell else None, sheet=self.sheet, where=where, function=what, what=what)
        if cell is not None:
            cell["formula"] = text

    def _cached_value(self, cell: dict) -> None:
        value = cell["value"]
        if value is None or (not value.strip() and cell["type"] != "str"):
            # Excel saves "" results of a text formula (=IF(...,"超","")) as t="str" with an empty <v/>
            raise refuse("formula_no_value", row=cell["row"], cell=self._ref(cell))

    def _count(self, cell: dict) -> None:
        if cell["counted"]:
            return
        cell["counted"] = True
        if cell["row"] > self.lim["max_rows"] or cell["col"] > self.lim["max_columns"] or cell["row"] < 1:
            raise refuse("far_cell", row=cell["row"], sheet=self.sheet, cell=self._ref(cell),
                         rows=self.lim["max_rows"], columns=self.lim["max_columns"])
        self.max_row, self.max_col = max(self.max_row, cell["row"]), max(self.max_col, cell["col"])

    def _finish(self) -> None:
        if self.max_row * self.max_col > self.lim["max_cells"]:
            raise refuse("too_many_cells", sheet=self.sheet, rows=self.max_row, columns=self.max_col,
                         limit=self.lim["max_cells"])

    def _number(self, text: str) -> int:
        if not (text.isascii() and text.isdigit()) or len(text) > 7:
            raise refuse("unreadable", name=self.filename)
        return int(text)

    @staticmethod
    def _ref(cell: dict) -> str:
        return f"{column_letters(cell['col'])}{cell['row']}"


def _check_sheet(archive: _Archive, part: str, sheet: str) -> bytes:
    xml = archive.read(part)
    well_formed(xml, archive.filename)
    if not screen_sheet(xml, archive.lim):
        scan = SheetScan(sheet, archive.filename, archive.lim)
        for start in range(0, len(xml), CHUNK):
            scan.feed(xml[start:start + CHUNK])
        scan.feed(b"", final=True)
    return _without_dimension(xml)


_DIMENSION = re.compile(rb"<(?:[\w.\-]+:)?dimension\b[^<>]*/>")
_SST = re.compile(rb"<(?:[\w.\-]+:)?sst(?=[\s>/])")
_SST_COUNTS = re.compile(rb'\s(?:count|uniqueCount)\s*=\s*(?:"[^"]*"|\'[^\']*\')')


def _without_dimension(xml: bytes) -> bytes:
    """The sheet without its <dimension> claim (it sits before <sheetData>)."""
    head = xml.find(b"sheetData")
    if head == -1:
        return xml
    return _DIMENSION.sub(b"", xml[:head]) + xml[head:]


def _check_plain(archive: _Archive, part: str) -> bytes:
    """Shared strings and styles: size-counted, well-formed, no DOCTYPE/entities, declared counts dropped."""
    xml = archive.read(part)
    well_formed(xml, archive.filename)
    root = _SST.search(xml, 0, 4096)
    if root:  # the reader would reserve room for the declared uniqueCount
        end = xml.find(b">", root.end())
        xml = xml[:root.end()] + _SST_COUNTS.sub(b"", xml[root.end():end]) + xml[end:]
    return xml


# ------------------------------------------------------------------------------------------ entry

def unpack_xlsx(data: bytes, filename: str, lim: dict) -> bytes:
    """The checked workbook as a new (stored, uncompressed) zip of exactly the parts that were checked."""
    archive = _Archive(data, filename, lim)
    if not archive.has("[Content_Types].xml"):
        raise refuse("not_workbook", name=filename)
    _refuse_dangerous_names(archive)
    _content_types(archive)
    package_rels = _relationships(archive, "")
    _check_relationships(package_rels, WORKBOOK_REFUSED)
    workbook = next((r["target"] for r in package_rels if r["type"] == "officeDocument" and not r["external"]),
                    DEFAULT_WORKBOOK)
    if not archive.has(workbook):
        raise refuse("not_workbook", name=filename)
    sheets, workbook_xml = _workbook(archive, workbook)
    rels = _relationships(archive, workbook)
    _check_relationships(rels, WORKBOOK_REFUSED)
    parts = {"[Content_Types].xml": archive.read("[Content_Types].xml"), workbook: workbook_xml}
    for rels_part in ("_rels/.rels", posixpath.join(posixpath.dirname(workbook), "_rels",
                                                    posixpath.basename(workbook) + ".rels")):
        if archive.has(rels_part):
            parts[rels_part] = archive.read(rels_part)
    by_id = {r["id"]: r for r in rels}
    for name, rel_id in sheets:
        rel = by_id.get(rel_id)
        if rel is None or rel["type"] != "worksheet":
            continue  # chart and dialog sheets hold no table
        if not archive.has(rel["target"]):
            raise refuse("damaged", name=filename)  # a sheet Excel would show but nobody could check
        _check_relationships(_relationships(archive, rel["target"]), SHEET_REFUSED, sheet=name)
        parts[rel["target"]] = _check_sheet(archive, rel["target"], name)
    for rel in rels:
        if rel["type"] in ("sharedStrings", "styles") and archive.has(rel["target"]):
            parts[rel["target"]] = _check_plain(archive, rel["target"])
    _check_every_rels(archive)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as clean:
        for name, content in parts.items():
            clean.writestr(name, content)
    return out.getvalue()


# ----------------------------------------------------------------------------------- number formats

BUILTIN_PERCENT_FORMATS = {9, 10}  # 0% and 0.00%
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _percent_code(code: str) -> bool:
    """A custom number format that shows a percentage: a % outside quotes, brackets and escapes."""
    return "%" in _QUOTED.sub("", code)


def percent_cells(clean: bytes, filename: str, lim: dict) -> dict[str, set[tuple[int, int]]]:
    """Sheet name -> (row, column), both 1-based, of the cells whose number format is a percentage.

    Read from a workbook :func:`unpack_xlsx` returned (so it is already checked): a cell formatted as a
    percentage holds a fraction (35 % is stored as 0.35), so its reader multiplies by 100 — no guessing
    from the size of the number.
    """
    archive = _Archive(clean, filename, lim)
    sheets, _ = _workbook(archive, DEFAULT_WORKBOOK)
    rels = _relationships(archive, DEFAULT_WORKBOOK)
    styles = next((r["target"] for r in rels if r["type"] == "styles" and archive.has(r["target"])), None)
    if styles is None:
        return {}
    custom: dict[int, str] = {}
    xfs: list[int] = []
    inside = []

    def style_start(name, attrs):
        local = name.rpartition(" ")[2]
        a = _attrs(attrs)
        if local == "numFmt":
            custom[int(a.get("numFmtId", -1))] = a.get("formatCode", "")
        elif local == "cellXfs":
            inside.append(True)
        elif local == "xf" and inside:
            xfs.append(int(a.get("numFmtId", 0)))

    def style_end(name):
        if name.endswith(" cellXfs"):
            inside.clear()

    _parse(archive.read(styles), filename, style_start, end=style_end)
    percent_styles = {i for i, fmt in enumerate(xfs)
                      if fmt in BUILTIN_PERCENT_FORMATS or (fmt in custom and _percent_code(custom[fmt]))}
    by_id = {r["id"]: r for r in rels}
    out = {}
    for name, rel_id in sheets:
        rel = by_id.get(rel_id)
        if rel is None or rel["type"] != "worksheet" or not percent_styles:
            continue
        found: set[tuple[int, int]] = set()
        row = col = 0

        def cell_start(tag, attrs, found=found):
            nonlocal row, col
            local = tag.rpartition(" ")[2]
            a = _attrs(attrs)
            if local == "row":
                row, col = (int(a["r"]) if "r" in a else row + 1), 0
            elif local == "c":
                match = _REF.fullmatch(a.get("r", ""))
                col = column_index(match.group(1)) if match else col + 1
                if a.get("s", "").isdigit() and int(a["s"]) in percent_styles:
                    found.add((int(match.group(2)) if match else row, col))

        _parse(archive.read(rel["target"]), filename, cell_start)
        out[name] = found
    return out
