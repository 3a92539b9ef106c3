"""Hostile and careless .xlsx files, built in code: raw parts, edited members, lying zip headers.

``raw_xlsx`` writes a minimal workbook part by part (no library in between, so any part can say
anything); ``string_bomb`` is an 83 KB file that passes every size check yet makes a reader clone one
60 KB shared string into 20,000 cells — 1.2 GB — which only the sandbox's memory cap can stop.
"""

from __future__ import annotations

import io
import random
import re
import string
import struct
import zipfile

from tests.intake_fixtures import first_sheet, member, rewrite_zip

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def col(i: int) -> str:
    letters = ""
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def raw_xlsx(sheet_data: str, shared: list[str] | None = None, sheet_name: str = "村级指标月报",
             sheet_tail: str = "", workbook_tail: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    """A workbook with one sheet whose <sheetData> is ``sheet_data`` (and ``shared`` strings, if any)."""
    overrides = [("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
                 ("/xl/worksheets/sheet1.xml", SHEET_CT)]
    rels = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    parts = {}
    if shared is not None:
        overrides.append(("/xl/sharedStrings.xml",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"))
        rels.append(("rId2", "sharedStrings", "sharedStrings.xml"))
        items = "".join(f"<si><t>{s}</t></si>" for s in shared)
        parts["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" '
                                         f'count="{len(shared)}" uniqueCount="{len(shared)}">{items}</sst>')
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{n}" ContentType="{t}"/>' for n, t in overrides) + "</Types>",
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}">'
        f'<sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets>{workbook_tail}</workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_RELS}">'
        + "".join(f'<Relationship Id="{i}" Type="{DOC_RELS}/{t}" Target="{p}"/>' for i, t, p in rels)
        + "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
        f"<sheetData>{sheet_data}</sheetData>{sheet_tail}</worksheet>",
        **parts,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buf.getvalue()


def string_bomb(rows: int = 1000, columns: int = 20, size: int = 60_000) -> bytes:
    """Every cell points at one long shared string: small on disk, rows × columns × size bytes when read."""
    rng = random.Random(7)
    big = "".join(rng.choice(string.ascii_letters) for _ in range(size))
    cells = "".join(f'<row r="{r}">' + "".join(f'<c r="{col(c)}{r}" t="s"><v>0</v></c>' for c in range(1, columns + 1))
                    + "</row>" for r in range(1, rows + 1))
    return raw_xlsx(cells, shared=[big])


def add_cells(data: bytes, cells: str, tail: str = "") -> bytes:
    """``data`` with raw ``cells`` (complete <row> elements) appended to its first sheet, and ``tail``
    after </sheetData>."""
    sheet = first_sheet(data)
    xml = member(data, sheet).replace(b"</sheetData>", cells.encode() + b"</sheetData>" + tail.encode())
    return rewrite_zip(data, {sheet: xml})


def edit_member(data: bytes, name: str, old: bytes, new: bytes) -> bytes:
    content = member(data, name)
    assert old in content, (name, old)
    return rewrite_zip(data, {name: content.replace(old, new, 1)})


def add_relationship(data: bytes, rels_part: str, rel_type: str, target: str, external: bool = False) -> bytes:
    """``data`` with one more relationship in ``rels_part`` (created when missing)."""
    mode = ' TargetMode="External"' if external else ""
    rel = f'<Relationship Id="rIdX9" Type="{DOC_RELS}/{rel_type}" Target="{target}"{mode}/>'.encode()
    if rels_part in zipfile.ZipFile(io.BytesIO(data)).namelist():
        return edit_member(data, rels_part, b"</Relationships>", rel + b"</Relationships>")
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_RELS}">'.encode() + rel + b"</Relationships>"
    return rewrite_zip(data, add={rels_part: xml})


def understate_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s declared uncompressed size set to ``size`` in both of its headers."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    out = bytearray(data)
    local = info.header_offset
    assert out[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", out, local + 22, size)
    central = out.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46:central + 46 + name_len] == name.encode():
            struct.pack_into("<I", out, central + 24, size)
            break
        central = out.find(b"PK\x01\x02", central + 4)
    else:
        raise AssertionError(f"{name} not found in the central directory")
    return bytes(out)


def without_cell_refs(data: bytes) -> bytes:
    """The first sheet with every r="A1" of its cells removed (positions implied by order, as some tools write)."""
    sheet = first_sheet(data)
    return rewrite_zip(data, {sheet: re.sub(rb'(<c) r="[A-Z]+\d+"', rb"\1", member(data, sheet))})
