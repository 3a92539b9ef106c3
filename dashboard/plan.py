"""Parse a clean-village implementation plan (清廉乡村建设实施方案) into sections, measures and targets.

Standard library only (its configured dates come through :mod:`dashboard.settings`): the store, the plan
page and the scripts all go through :func:`parse_plan`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dashboard import plan_structure, settings

COMPARATOR_SIGNS = {">=": "≥", "<=": "≤", "=": "="}  # a target's stored comparator -> the sign shown


def requirement(comparator: str, value: float, unit: str) -> str:
    """A target's requirement as every page, export and CLI verb shows it, e.g. "≥ 70%"."""
    return f"{COMPARATOR_SIGNS.get(comparator, comparator)} {value:g}{unit}"


FLAG_NO_NOTE = "责任单位缺失"
FLAG_NO_LEAD = "牵头单位缺失"
FLAG_PROSE_LEADS = "正文中牵头单位不止一个,未认定"
FLAG_FIRST_UNNUMBERED = plan_structure.FLAG_FIRST_UNNUMBERED

# A one-to-one character map: offsets in the normalised text are offsets in the input, so a
# target's source sentence can be cut from exactly the text the user supplied.
# Traditional characters a plan's notes, units and targets are written with (牽頭, 責任單位, 縣(市、區)…) read
# as their simplified forms, one character for one, so offsets still hold; unit names come out simplified.
TRADITIONAL = ("責责單单牽牵頭头門门縣县區区鄉乡鎮镇務务協协辦办會会體体黨党紀纪員员監监農农業业財财計计審审組组織织"
               "為为與与設设實实標标準准達达級级點点範范蓋盖個个於于發发環环衛卫開开關关機机構构權权專专項项規规劃划"
               "層层導导應应據据檢检舉举產产資资經经濟济傳传統统視视聯联婦妇興兴覺觉學学習习優优訓训風风氣气試试樣样"
               "強强論论裝装設设領领廣广鐵铁網网線线區区縣县廳厅處处屬属軍军問问題题結结將将進进鏈链歸归辭辞")
_NORMALISE = str.maketrans(
    {"（": "(", "）": ")", "：": ":", "；": ";", "，": ",", "．": ".", "％": "%",
     "［": "[", "］": "]", "\u3000": " ", "\ufeff": " "}
    | {chr(0xFF10 + i): str(i) for i in range(10)}
    | {TRADITIONAL[i]: TRADITIONAL[i + 1] for i in range(0, len(TRADITIONAL), 2)}
)
_OPEN, _CLOSE = "(〔【[", ")〕】]"
_NOTE_OPENING = re.compile(r"\s*(?:责任单位|责任部门|牵头单位|牵头部门)")
_NOTE_BARE = re.compile(r"(?:责任单位|责任部门|牵头单位|牵头部门)\s*:")
_NOTE_LABEL = re.compile(r"(责任单位|责任部门|牵头单位|牵头部门|配合单位|配合部门)\s*:?")
_YEAR = re.compile(r"(?<!\d)(20\d{2})\s*年(?:\s*(\d{1,2})\s*月份?)?(底|末|前|以前|之前)?")
# Years the document blanked out ("XX年", "20XX年", "202x年", "二十年"): never turned into a date.
_MASKED_YEAR = re.compile(r"(?:[Xx×*]{2,4}|20[Xx]{2}|202[Xx]|二十|二〇[Xx〇一二三四五六七八九]{0,2})\s*年")
_PLAN_TITLE = re.compile(r"\s*([^。\n]{2,60}?(?:实施方案|工作方案|行动方案|方案|意见|办法|计划))")


class PlanParseError(ValueError):
    """The plan text or its config cannot be used; the message is the Chinese sentence shown to users."""


@dataclass(frozen=True)
class Section:
    number: int
    title: str


@dataclass(frozen=True)
class Measure:
    number: int
    section: int  # 0 when the plan has no (一)(二)… sections
    title: str
    body: str
    lead_unit: str | None
    co_units: tuple[str, ...]
    counties_responsible: bool
    deadline: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    key: str
    text: str
    value: float
    unit: str
    comparator: str
    deadline: str
    deadline_configured: bool
    source: str
    measure: int | None
    metric: str = "untracked"  # what the dashboards measure it by (dashboard.tracking)
    flags: tuple[str, ...] = ()  # what the parser could not tell, for review on the plan page


@dataclass(frozen=True)
class Plan:
    title: str
    sections: tuple[Section, ...]
    measures: tuple[Measure, ...]
    targets: tuple[Target, ...]

    def units(self) -> list[str]:
        """Distinct lead and co-units in first-seen order (counties are not units)."""
        seen: dict[str, None] = {}
        for m in self.measures:
            for name in ((m.lead_unit,) if m.lead_unit else ()) + m.co_units:
                seen.setdefault(name)
        return list(seen)


@dataclass(frozen=True)
class PlanConfig:
    start: str
    defaults: dict[str, str]  # target key -> deadline, for the targets whose year the plan masked
    fallback: str | None = None  # the plan's own end ([lamp] measure_deadline) for a target no key dates
    full_coverage: tuple[str, ...] = ()  # a city's further words for "every one" (= 100 %), e.g. 规范配备


def load_plan_config(path: Path | None = None) -> PlanConfig:
    """Read the plan start date and each target's default deadline from ``data/plan_config.toml``."""
    path = path or settings.PLAN_CONFIG_FILE
    try:
        raw = settings.plan_config(path)
    except FileNotFoundError:
        raise PlanParseError(f"未找到方案配置文件 {path},请按 data/plan_config.toml 的样式提供。") from None
    except settings.ConfigError:
        raise PlanParseError(f"方案配置文件 {path} 格式有误,请检查每行是否形如 键 = \"2024-12-31\"。") from None
    start = _config_date("plan.start", raw.get("plan", {}).get("start"))
    defaults = {k: _config_date(k, v) for k, v in raw.get("targets", {}).items()}
    fallback = raw.get("lamp", {}).get("measure_deadline", settings.LampRule.measure_deadline)
    words = raw.get("parser", {}).get("full_coverage", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise PlanParseError(f"方案配置文件 {path} 中 [parser] full_coverage 应写成文字列表,如 [\"规范配备\"]。")
    return PlanConfig(start=start, defaults=defaults,
                      fallback=_config_date("lamp.measure_deadline", fallback),
                      full_coverage=tuple(w.strip().translate(_NORMALISE) for w in words))


def _config_date(key: str, value: object) -> str:
    # TOML allows an unquoted date; both spellings mean the same day.
    text = value.isoformat() if isinstance(value, date) else str(value)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise PlanParseError(f"方案配置中「{key}」的日期「{value}」无效,应写成 YYYY-MM-DD,如 2024-12-31。")


def parse_responsibility(note: str) -> tuple[str | None, tuple[str, ...], bool]:
    """Split a responsibility note into (lead unit, co-units, whether every county is responsible)."""
    text = note.translate(_NORMALISE).strip()
    if text and text[0] in _OPEN and _bracket_groups(text, 0, len(text)) == [(0, len(text), True)]:
        text = text[1:-1]
    # A sentence after "。" is an explanation ("排列首位的单位为牵头单位,下同"), not a unit.
    text = _split_top(text, "。")[0]
    labels = list(_NOTE_LABEL.finditer(text))
    segments = [("责任单位", text)] if not labels else [
        (m.group(1), text[m.end(): labels[i + 1].start() if i + 1 < len(labels) else len(text)])
        for i, m in enumerate(labels)
    ]
    primary: list[str] = []
    secondary: list[str] = []
    counties = False
    for label, segment in segments:
        for name in _split_top(segment, "、,;"):
            name = re.sub(r"\s+", "", name)
            if name.startswith("各县"):
                counties = True
            elif name:
                (secondary if label.startswith("配合") else primary).append(name)
    lead = primary[0] if primary else None
    co = tuple(dict.fromkeys(n for n in primary[1:] + secondary if n != lead))
    return lead, co, counties


_CN_YEAR = re.compile(r"二[〇零○][〇零○一二三四五六七八九]{2}(?=\s*年)")
_CN_YEAR_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")


def _written_years(norm: str) -> str:
    """Years written in Chinese numerals ("二〇二五年") as digits, one character for one (offsets hold); a masked
    year ("二〇XX年") is left as it is."""
    return _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_YEAR_DIGITS), norm)


def parse_plan(text: str, config: PlanConfig | None = None) -> Plan:
    """Parse the full plan text; raises :class:`PlanParseError` when no measures can be found."""
    if not text or not text.strip():
        raise PlanParseError("方案文本为空,请上传实施方案全文(纯文本)。")
    norm = _written_years(text.translate(_NORMALISE))
    found = plan_structure.layout(norm)
    if not found.measures:
        tabled = _table_plan(text, norm, config or load_plan_config())
        if tabled is not None:
            return tabled
        raise PlanParseError(found.problem or
                             "未在方案文本中找到任何工作措施(形如「1.强化理论武装。」),请确认上传的是实施方案全文。")
    sections = tuple(Section(h.number, text[h.title_start:h.title_end].strip()) for h in found.sections)
    measures = tuple(_measure(text, norm, m) for m in found.measures)
    spans = [(m.start, m.end, m.number) for m in found.measures]
    targets = _targets(text, norm, spans, config or load_plan_config())
    return Plan(_plan_title(text), sections, measures, targets)


def _table_plan(text: str, norm: str, config: PlanConfig) -> Plan | None:
    """A plan laid out as a task table (:mod:`dashboard.plan_table`), or None when the text holds none. Units,
    deadlines and flags are read on the normalised text; titles and bodies keep the document's own characters
    (the two align character for character)."""
    from dashboard import plan_table

    read, shown = plan_table.rows(norm, _split_top), plan_table.rows(text, _split_top)
    if not read or not shown or len(read) != len(shown):
        return None
    measures = []
    for r, own in zip(read, shown):
        dated = plan_table.deadline_of(r.deadline_text)
        measures.append(Measure(number=r.number, section=0, title=own.title, body=own.body, lead_unit=r.lead,
                                co_units=r.co_units, counties_responsible=r.counties,
                                deadline=_end_of(*dated) if dated else None, flags=r.flags))
    targets = _targets(text, norm, [(r.start, r.end, r.number) for r in read], config)
    return Plan(_plan_title(text), (), tuple(measures), targets)


def plan_to_dict(plan: Plan) -> dict:
    """The plan as JSON-ready dicts (measure bodies left out)."""
    return {
        "title": plan.title,
        "sections": [{"number": s.number, "title": s.title} for s in plan.sections],
        "measures": [
            {"number": m.number, "section": m.section, "title": m.title, "lead_unit": m.lead_unit,
             "co_units": list(m.co_units), "counties_responsible": m.counties_responsible,
             "deadline": m.deadline, "flags": list(m.flags)}
            for m in plan.measures
        ],
        "targets": [
            {"key": t.key, "text": t.text, "value": t.value, "unit": t.unit,
             "comparator": t.comparator, "deadline": t.deadline,
             "deadline_configured": t.deadline_configured, "source": t.source, "measure": t.measure,
             "metric": t.metric, "flags": list(t.flags)}
            for t in plan.targets
        ],
    }


def _bracket_groups(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """Top-level bracket groups in text[start:end] as (open, close + 1, closed).

    A depth counter, not a regex, so "〔责任单位:…各县(市、区)…〕" closes at its own bracket.
    """
    groups, depth, opened = [], 0, start
    for i in range(start, end):
        if text[i] in _OPEN:
            opened = i if depth == 0 else opened
            depth += 1
        elif text[i] in _CLOSE and depth:
            depth -= 1
            if depth == 0:
                groups.append((opened, i + 1, True))
    if depth:
        groups.append((opened, end, False))
    return groups


def _split_top(text: str, separators: str) -> list[str]:
    """Split on separators outside brackets, so "各县(市、区)" stays one piece."""
    parts, current, depth = [], [], 0
    for ch in text:
        depth += (ch in _OPEN) - (ch in _CLOSE and depth > 0)
        if depth == 0 and ch in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _measure(text: str, norm: str, at: plan_structure.Start) -> Measure:
    """One measure: its body is everything after the title but the responsibility note."""
    body_start, body_end = at.title_end + 1, at.end
    note = _find_note(norm, body_start, body_end)
    phrase = _find_phrase(norm, body_start, body_end) if note is None else None
    said = parse_lead_phrase(norm[phrase[0]:phrase[1]]) if phrase else None
    if said is not None:  # "A、B牵头,C、D配合" at the end of the measure, bracketed or not
        lead, co, counties = said
        flags = ()
        body = text[body_start:phrase[0]] + text[phrase[1]:body_end]
    elif note is None or not note[2]:
        prose = units_in_prose(norm[body_start:body_end]) if note is None else None
        if prose is None or prose[3]:  # no unit named in the measure's sentences, or two different leads
            lead, co, counties = None, (), False
            flags = (FLAG_NO_NOTE, FLAG_PROSE_LEADS) if prose else (FLAG_NO_NOTE,)
        else:
            lead, co, counties, _ = prose
            flags = ()
        body = text[body_start:body_end]
    else:
        lead, co, counties = parse_responsibility(norm[note[0]:note[1]])
        flags = () if lead else (FLAG_NO_LEAD,)
        body = text[body_start:note[0]] + text[note[1]:body_end]
    return Measure(number=at.number, section=at.section, title=text[at.title_start:at.title_end].strip(),
                   body=body.strip(), lead_unit=lead, co_units=co, counties_responsible=counties,
                   deadline=_measure_deadline(norm[body_start:body_end]), flags=at.flags + flags)


_PHRASE_PART = re.compile(r"^\s*由?(.+?)(牵头|配合|按职责分工负责|协助|参与)\s*[^,;]*$")
# What a unit's name ends with (市民政局, 市委组织部, 市交通委(市道运局), 各乡(镇)人民政府…): a phrase naming
# anything else ("建立党委统一领导、纪委牵头…") is prose, not a responsibility note — never a lead unit.
_UNIT_END = re.compile(r"(?:局|委|部|办|院|会|府|室|组|队|所|中心|联|团|社|站|处|厅|署|行|司|馆|台|校|监委|\))$")


def parse_lead_phrase(phrase: str) -> tuple[str | None, tuple[str, ...], bool] | None:
    """(lead, co-units, every county responsible) of "A、B牵头,C、D配合" / "A牵头,B按职责分工负责" (brackets and a
    final "。" allowed): the first unit before 牵头 leads; the others and those before 配合 etc. co-operate.
    None when the phrase names something that is not a unit, or no lead."""
    text = phrase.translate(_NORMALISE).strip().rstrip("。").strip()
    if text and text[0] in _OPEN and _bracket_groups(text, 0, len(text)) == [(0, len(text), True)]:
        text = text[1:-1]
    clauses = [_PHRASE_PART.match(part) for part in _split_top(text, ",;") if part.strip()]
    if not clauses or not all(clauses):  # a clause saying something else: prose, see units_in_prose
        return None
    named = [(_unit_names(c.group(1)), c.group(2) == "牵头") for c in clauses]
    if any(names is None for names, _ in named):
        return None
    return _lead_and_others(named)


def _unit_names(text: str, prose: bool = False) -> list[str] | None:
    """The unit names in "A、B和C" (各县… kept as "各县"), or None when one is not a unit's name. "和"/"及"
    separate units only when each side names one with its level: 市住房和城乡建设局 and 各县(市、区)党委和人民政府
    stay whole."""
    names = []
    for piece in (re.sub(r"\s+", "", n) for n in _split_top(text, "、")):
        parts = re.split(r"[和及]", piece)
        if len(parts) > 1 and not all(_is_unit(p, prose=True) for p in parts):
            parts = [piece]
        for name in parts:
            if name.startswith("各县"):
                names.append("各县")
            elif not _is_unit(name, prose):
                return None
            else:
                names.append(name)
    return names


def _is_unit(name: str, prose: bool) -> bool:
    """Whether ``name`` reads as a unit's name; in prose it must also name its level (市…, 县…, 各乡(镇)…), so
    "纪委牵头" or "党委负责" in a sentence are never taken for units."""
    if not name or len(name) > 40 or not _UNIT_END.search(name):
        return False
    return not prose or bool(_PROSE_UNIT.match(name)) and not name.startswith(("乡镇", "县乡", "镇村"))


def _lead_and_others(named: list[tuple[list[str], bool]]) -> tuple[str, tuple[str, ...], bool] | None:
    """(lead, co-units, counties) from (names, whether they lead) clauses: the first leading name leads."""
    leads = [n for names, leading in named if leading for n in names if n != "各县"]
    others = [n for names, leading in named if not leading for n in names if n != "各县"]
    counties = any("各县" in names for names, _ in named)
    if not leads:
        return None
    return leads[0], tuple(dict.fromkeys(n for n in leads[1:] + others if n != leads[0])), counties


_PROSE_UNIT = re.compile(r"各|[^,、]{0,6}?(?:省|市|州|盟|县|区|旗|镇|乡)")
_PROSE_CLAUSE = re.compile(r"(?:^|由)\s*([^由]+?)(牵头|负责(?!人|同志)|配合|协助|参与|按职责分工负责)")
_LEADING = ("牵头", "负责")


def units_in_prose(body: str) -> tuple[str | None, tuple[str, ...], bool, bool] | None:
    """(lead, co-units, counties, ambiguous) from clauses of a measure's own sentences: "由市司法局牵头,市公安局、
    市民政局配合", "市委组织部负责…". Clauses naming 牵头 lead (else those naming 负责); two clauses naming
    different leads are ambiguous (no lead). None when no clause names a unit."""
    found: list[tuple[list[str], str]] = []
    for clause in _split_top(body.translate(_NORMALISE), "。,;:"):
        said = _PROSE_CLAUSE.search(clause)
        names = _unit_names(said.group(1), prose=True) if said else None
        if names:
            found.append((names, said.group(2)))
    if not found:
        return None
    verb = next((v for v in _LEADING if any(w == v for _, w in found)), None)
    firsts = {names[0] for names, w in found if w == verb and names[0] != "各县"}
    if len(firsts) > 1:
        return None, (), False, True
    named = [(names, w == verb) for names, w in found]
    said = _lead_and_others(named)
    if said is None:
        return None
    return *said, False


def _find_phrase(norm: str, start: int, end: int) -> tuple[int, int] | None:
    """(start, end) of a trailing "…牵头,…配合" phrase: the last bracket group saying who 牵头, else the last
    sentence of the measure when it does."""
    groups = [g for g in _bracket_groups(norm, start, end) if g[2]]
    if groups and "牵头" in norm[groups[-1][0]:groups[-1][1]] and not norm[groups[-1][1]:end].strip(" 。\n"):
        return groups[-1][0], groups[-1][1]
    body = norm[start:end].rstrip()
    cut = body.rstrip("。").rfind("。")
    last = body[cut + 1:] if cut >= 0 else body
    if re.search(r"牵头\s*(?:[,;。]|$)", last.rstrip()):
        return start + cut + 1, start + len(body)
    return None


def _find_note(norm: str, start: int, end: int) -> tuple[int, int, bool] | None:
    """(start, end, complete) of the last bracket opening with 责任单位/责任部门/牵头单位, else a bare trailing one."""
    for opened, closed_at, closed in reversed(_bracket_groups(norm, start, end)):
        if _NOTE_OPENING.match(norm, opened + 1):
            return opened, closed_at, closed
    bare = list(_NOTE_BARE.finditer(norm, start, end))
    return (bare[-1].start(), end, True) if bare else None


def _end_of(year: str, month: str | None) -> str:
    y, mo = int(year), int(month) if month and 1 <= int(month) <= 12 else 12
    return date(y, mo, calendar.monthrange(y, mo)[1]).isoformat()


def _measure_deadline(body: str) -> str | None:
    """Latest date the body sets as a deadline ("至2025年", "2024年6月底前"); a bare year is not one."""
    dates = [
        _end_of(m.group(1), m.group(2)) for m in _YEAR.finditer(body)
        if m.group(3) or re.search(r"(?:至|到|截至|截止)\s*$", body[max(0, m.start() - 3):m.start()])
    ]
    return max(dates) if dates else None


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the sentence around text[start:end]: between "。"/line breaks, whitespace trimmed."""
    left = max(text.rfind("。", 0, start), text.rfind("\n", 0, start)) + 1
    right = min((i for i in (text.find("。", end), text.find("\n", end)) if i != -1), default=len(text))
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right


def _year_near(norm: str, sent: tuple[int, int], at: int) -> re.Match[str] | None:
    """The year phrase (written or masked) closest before ``at`` in the sentence, else the first after it."""
    tokens = sorted([*_YEAR.finditer(norm, *sent), *_MASKED_YEAR.finditer(norm, *sent)],
                    key=lambda m: m.start())
    before = [m for m in tokens if m.start() < at]
    return before[-1] if before else next(iter(tokens), None)


def _targets(text: str, norm: str, spans: list[tuple[int, int, int]], config: PlanConfig) -> tuple[Target, ...]:
    """The plan's numeric targets (:mod:`dashboard.plan_targets`)."""
    from dashboard import plan_targets

    return plan_targets.find(text, norm, spans, config)


def _plan_title(text: str) -> str:
    """The first line when it is short, else the opening words up to "…方案/意见/办法"."""
    first = next((line.strip(" \t\ufeff\u3000") for line in text.splitlines() if line.strip()), "")
    if len(first) <= 60:
        return first
    m = _PLAN_TITLE.match(first)
    return m.group(1).strip() if m else first[:30]
