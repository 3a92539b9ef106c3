"""Plans written in other styles: measures numbered 一、 or (一), sections numbered 一、, a first measure
that lost its number, units named in the measure's prose, unit names with brackets, masked years. Each
fixture is read both as written (with line breaks) and as one long line, the way PDF copies arrive."""

from __future__ import annotations

import pytest

from dashboard.plan import (
    PlanConfig,
    PlanParseError,
    parse_lead_phrase,
    parse_plan,
    parse_responsibility,
    units_in_prose,
)

CONFIG = PlanConfig("2023-01-01", {})
NO_NOTE = "责任单位缺失"
NO_NUMBER = "序号缺失(按位置视为第1项)"
TWO_LEADS = "正文中牵头单位不止一个,未认定"


def as_written(text: str) -> str:
    return text


def one_line(text: str) -> str:
    return "".join(line.strip() for line in text.splitlines())


LAYOUTS = pytest.mark.parametrize("layout", [as_written, one_line], ids=["line_breaks", "one_line"])


def _rows(text: str):
    plan = parse_plan(text, CONFIG)
    return plan, [(m.number, m.section, m.title, m.lead_unit, m.co_units, m.counties_responsible, m.flags)
                  for m in plan.measures]


# ---- measures numbered 一、 ---------------------------------------------------------------------

WORK_POINTS = """XX镇2024年清廉村居建设工作要点
为深入推进清廉村居建设，结合我镇实际，制定本要点。
总体要求
以规范村级权力运行为重点，推动清廉村居建设提质增效。
重点任务
一、强化理论武装。组织村“两委”干部开展集中轮训，元旦、春节、十一、国庆等节点开展警示教育。（责任单位：镇党委办，各村（社区））
二、规范村务公开。每季度公开一次村级财务，接受群众监督。（责任单位：镇财政所、镇民政办）
三、深化法治乡村建设。由镇司法所牵头，镇派出所、镇综治中心配合，培育“法律明白人”。
保障措施
一、加强组织领导。成立工作专班，定期研究推进。
"""


@LAYOUTS
def test_measures_numbered_with_chinese_numerals(layout):
    """"一、二、三、" under a "重点任务" heading are the measures; "十一、国庆" is a holiday, and the
    "一、加强组织领导" under 保障措施 is not a measure."""
    plan, rows = _rows(layout(WORK_POINTS))
    assert rows == [
        (1, 0, "强化理论武装", "镇党委办", ("各村(社区)",), False, ()),
        (2, 0, "规范村务公开", "镇财政所", ("镇民政办",), False, ()),
        (3, 0, "深化法治乡村建设", "镇司法所", ("镇派出所", "镇综治中心"), False, ()),
    ]
    assert plan.sections == ()
    assert plan.measures[0].body == "组织村“两委”干部开展集中轮训，元旦、春节、十一、国庆等节点开展警示教育。"
    assert plan.measures[2].body == "由镇司法所牵头，镇派出所、镇综治中心配合，培育“法律明白人”。"


PARTS = """XX县清廉村居建设三年行动方案
第一部分 总体要求
以规范村级权力运行为重点。
第二部分 主要任务
一、推进“三资”清理。全面清查村集体资产资源。（牵头单位：县农业农村局；配合单位：县财政局）
二、整治优亲厚友问题。开展低保专项检查。（责任单位：县民政局）
第三部分 保障措施
一、加强组织领导。成立工作专班。
"""


@LAYOUTS
def test_chinese_numbered_measures_in_a_part_headed_main_tasks(layout):
    _, rows = _rows(layout(PARTS))
    assert rows == [(1, 0, "推进“三资”清理", "县农业农村局", ("县财政局",), False, ()),
                    (2, 0, "整治优亲厚友问题", "县民政局", (), False, ())]


TOWNSHIP_LIST = """XX镇清廉村居建设重点工作清单
一、推进“三资”清理。全面清查村集体资产资源。（责任单位：镇农经站）
二、整治优亲厚友问题。开展低保、救助专项检查。（责任单位：镇纪委、镇民政办）
"""


@LAYOUTS
def test_a_plan_that_is_only_a_list_of_chinese_numbered_measures(layout):
    _, rows = _rows(layout(TOWNSHIP_LIST))
    assert rows == [(1, 0, "推进“三资”清理", "镇农经站", (), False, ()),
                    (2, 0, "整治优亲厚友问题", "镇纪委", ("镇民政办",), False, ())]


# ---- measures numbered (一) ----------------------------------------------------------------------

TASK_CHAPTER = """XX县清廉乡村建设实施方案
一、总体要求
以习近平新时代中国特色社会主义思想为指导，推进清廉乡村建设。
二、重点任务
（一）强化理论武装。组织党员干部开展集中学习。（责任单位：县委组织部，各乡（镇）人民政府）
（二）推进村务公开。规范公开内容和程序。（责任单位：县民政局、县财政局）
（三）加强农村集体“三资”管理。开展专项审计，具体内容：1.清查资产；2.规范合同。（责任单位：县农业农村局、县审计局）
三、保障措施
（一）加强组织领导。各单位要高度重视。
（二）强化督查考核。定期通报进展。
"""


@LAYOUTS
def test_measures_numbered_with_bracketed_numerals(layout):
    """(一)(二)(三) under "二、重点任务" are measures (there is nothing numbered below them); the 1. 2. inside
    the third are its sub-items; (一)(二) under 三、保障措施 and "一、总体要求" are not measures."""
    plan, rows = _rows(layout(TASK_CHAPTER))
    assert rows == [
        (1, 0, "强化理论武装", "县委组织部", ("各乡(镇)人民政府",), False, ()),
        (2, 0, "推进村务公开", "县民政局", ("县财政局",), False, ()),
        (3, 0, "加强农村集体“三资”管理", "县农业农村局", ("县审计局",), False, ()),
    ]
    assert plan.sections == ()
    assert plan.measures[2].body == "开展专项审计，具体内容：1.清查资产；2.规范合同。"


SUB_ITEMS = """XX区清廉村居建设方案
二、主要任务
（一）强化理论武装。
1.开展集中学习。每月一次。
2.组织专题培训。每年一次。（责任单位：区委组织部）
（二）深化村务公开。
1.规范公开内容。（责任单位：区民政局）
"""


@LAYOUTS
def test_bracketed_measures_keep_their_numbered_sub_items(layout):
    """"(一)强化理论武装。" ends its title with "。": a measure, and the 1. 2. below it are its items."""
    plan, rows = _rows(layout(SUB_ITEMS))
    assert rows == [(1, 0, "强化理论武装", "区委组织部", (), False, ()),
                    (2, 0, "深化村务公开", "区民政局", (), False, ())]
    assert "组织专题培训" in plan.measures[0].body


CHAPTER_SECTIONS = """XX县清廉乡村建设实施方案
为推进清廉乡村建设，制定本方案。
一、总体要求
（一）指导思想。坚持以人民为中心的发展思想。
（二）基本原则。坚持问题导向，注重标本兼治。
二、强化党建引领
（一）强化理论武装。组织党员干部开展集中学习。（责任单位：县委组织部）
（二）建强村级班子。选优配强村党组织书记。（责任单位：县委组织部、县民政局）
三、完善村民自治
（一）推进村务公开。规范公开内容和程序。（责任单位：县民政局）
四、保障措施
（一）加强组织领导。各单位要高度重视。
"""


@LAYOUTS
def test_chapters_numbered_with_chinese_numerals_are_sections(layout):
    """一、 chapters are the sections and (一) items under them the measures; their numbering starts again
    in each chapter, the measures are numbered 1, 2, 3 in order. 总体要求 and 保障措施 hold no measures."""
    plan, rows = _rows(layout(CHAPTER_SECTIONS))
    assert [(s.number, s.title) for s in plan.sections] == [(1, "强化党建引领"), (2, "完善村民自治")]
    assert rows == [
        (1, 1, "强化理论武装", "县委组织部", (), False, ()),
        (2, 1, "建强村级班子", "县委组织部", ("县民政局",), False, ()),
        (3, 2, "推进村务公开", "县民政局", (), False, ()),
    ]
    assert plan.measures[2].body == "规范公开内容和程序。"


THREE_LEVELS = """XX县清廉乡村建设实施方案
一、强化党建引领
（一）抓好理论学习
1.强化理论武装。组织集中学习。（责任单位：县委组织部）
2.开展专题培训。每年轮训一次。（责任单位：县委党校）
（二）建强基层组织
1.建强村级班子。选优配强。（责任单位：县委组织部）
二、完善村民自治
（一）推进三务公开
1.推进村务公开。规范公开。（责任单位：县民政局）
三、保障措施
加强组织领导。
"""


@LAYOUTS
def test_three_levels_measures_under_bracketed_sections(layout):
    plan, rows = _rows(layout(THREE_LEVELS))
    assert [s.title for s in plan.sections] == ["抓好理论学习", "建强基层组织", "推进三务公开"]
    assert [(n, section, title, lead) for n, section, title, lead, *_ in rows] == [
        (1, 1, "强化理论武装", "县委组织部"), (2, 1, "开展专题培训", "县委党校"),
        (3, 2, "建强村级班子", "县委组织部"), (4, 3, "推进村务公开", "县民政局"),
    ]
    assert plan.measures[2].body == "选优配强。"  # the next chapter's heading is not part of it


SEED_STYLE = """XX市清廉乡村建设实施方案
四、工作措施
（一）强化党建引领，打造风清气正的基层政治生态
1.强化理论武装。加强理论学习。〔责任单位：市委组织部，各县（市、区）党委和人民政府〕
2.强化干部作风建设。加强日常监督。〔责任单位：市委组织部〕
（二）完善村民自治
围绕村级权力规范运行，开展以下工作。
3.深入实施村级“三务”公开。完善公开制度。〔责任单位：市民政局、市财政局〕
五、保障措施
（一）加强组织领导。
"""


@LAYOUTS
def test_bracketed_sections_over_numbered_measures_still_read(layout):
    """The seed's style; a section may now open with a line of its own before its first measure."""
    plan, rows = _rows(layout(SEED_STYLE))
    assert [(s.number, s.title) for s in plan.sections][0] == (1, "强化党建引领，打造风清气正的基层政治生态")
    assert [(n, section, title, lead) for n, section, title, lead, *_ in rows] == [
        (1, 1, "强化理论武装", "市委组织部"), (2, 1, "强化干部作风建设", "市委组织部"),
        (3, 2 if layout is as_written else 1, "深入实施村级“三务”公开", "市民政局"),
    ]


def test_a_section_title_with_its_intro_on_the_next_line():
    plan = parse_plan(SEED_STYLE, CONFIG)
    assert [s.title for s in plan.sections] == ["强化党建引领，打造风清气正的基层政治生态", "完善村民自治"]


@pytest.mark.parametrize("inner", ["(一)开展集中学习;(二)组织专题培训", "一、开展集中学习;二、组织专题培训"])
@pytest.mark.parametrize("heading", ["四、工作措施\n", ""], ids=["task_heading", "no_heading"])
def test_higher_numbers_inside_numbered_measures_are_their_items(inner, heading):
    """(一)/一、 written inside measure 1 come after its number: items of that measure, not sections."""
    text = (f"{heading}1.强化理论武装。具体做到:{inner}。〔责任单位:市委组织部〕\n"
            "2.深化法治建设。加强普法宣传。〔责任单位:市司法局〕\n")
    plan, rows = _rows(text)
    assert rows == [(1, 0, "强化理论武装", "市委组织部", (), False, ()), (2, 0, "深化法治建设", "市司法局", (), False, ())]
    assert plan.sections == () and inner in plan.measures[0].body


# ---- a first measure that lost its number --------------------------------------------------------

LOST_FIRST = ("XX市清廉乡村建设实施方案。四、工作措施 强化理论武装。加强基层党员干部理论学习。〔责任单位:市委组织部〕"
              "2.强化基层党组织建设。选优配强村党组织书记。〔责任单位:市委组织部、市民政局〕"
              "3.强化干部作风建设。加强日常监督。〔责任单位:市纪委监委〕")


@pytest.mark.parametrize("text", [LOST_FIRST, LOST_FIRST.replace("〕", "〕\n").replace("工作措施 ", "工作措施\n")],
                         ids=["one_line", "line_breaks"])
def test_a_first_measure_without_its_number_is_recovered_and_flagged(text):
    plan, rows = _rows(text)
    assert rows == [
        (1, 0, "强化理论武装", "市委组织部", (), False, (NO_NUMBER,)),
        (2, 0, "强化基层党组织建设", "市委组织部", ("市民政局",), False, ()),
        (3, 0, "强化干部作风建设", "市纪委监委", (), False, ()),
    ]
    assert plan.measures[0].body == "加强基层党员干部理论学习。"


def test_a_lost_first_number_under_a_section_heading_line():
    text = ("四、工作措施\n（一）强化党建引领\n强化理论武装。组织集中学习。（责任单位：县委组织部）\n"
            "2.建强村级班子。选优配强。（责任单位：县委组织部、县民政局）\n")
    plan, rows = _rows(text)
    assert [s.title for s in plan.sections] == ["强化党建引领"]
    assert rows[0] == (1, 1, "强化理论武装", "县委组织部", (), False, (NO_NUMBER,))
    assert rows[1][:4] == (2, 1, "建强村级班子", "县委组织部")


def test_a_lost_first_chinese_number_is_recovered():
    text = WORK_POINTS.replace("一、强化理论武装", "强化理论武装")
    plan, rows = _rows(text)
    assert [(n, title, lead, flags) for n, _, title, lead, _, _, flags in rows] == [
        (1, "强化理论武装", "镇党委办", (NO_NUMBER,)), (2, "规范村务公开", "镇财政所", ()),
        (3, "深化法治乡村建设", "镇司法所", ())]
    # On one line "重点任务强化理论武装。" cannot be told from a sentence: nothing is guessed (and the
    # "一、加强组织领导" after 保障措施 is not taken for a measure either).
    with pytest.raises(PlanParseError, match="未在方案文本中找到任何工作措施"):
        parse_plan(one_line(text), CONFIG)


@pytest.mark.parametrize("text", [
    "四、工作措施\n2.强化基层党组织建设。选优配强。〔责任单位:市委组织部〕\n",  # nothing before 2.
    "四、工作措施\n为推进清廉乡村建设，采取以下措施：\n2.强化基层党组织建设。选优配强。〔责任单位:市委组织部〕\n",
], ids=["nothing_before", "an_introduction_before"])
def test_numbering_from_two_without_a_measure_before_it_is_not_guessed(text):
    with pytest.raises(PlanParseError) as err:
        parse_plan(text, CONFIG)
    assert str(err.value).startswith("「四、工作措施」之下没有找到编号的工作措施")


# ---- units named in the measure's prose ---------------------------------------------------------

def _prose_measure(body: str):
    text = f"四、工作措施\n1.深化法治乡村建设。{body}\n2.强化监督。加强检查。〔责任单位:市纪委监委〕\n"
    return parse_plan(text, CONFIG).measures[0]


@pytest.mark.parametrize("body, lead, co, counties", [
    ("健全普法机制，由市司法局牵头，市公安局、市民政局配合，每年开展一次集中普法。", "市司法局", ("市公安局", "市民政局"), False),
    ("市委组织部负责对全市村干部开展轮训，确保培训质量。", "市委组织部", (), False),
    ("整治农村公路，由市交通委（市道运局）牵头，各乡（镇）人民政府配合。", "市交通委(市道运局)", ("各乡(镇)人民政府",), False),
    ("推进危房改造，由市住房和城乡建设局牵头，各县（市、区）党委和人民政府配合实施。", "市住房和城乡建设局", (), True),
], ids=["lead_and_co", "responsible", "brackets", "and_inside_a_name"])
def test_units_named_in_the_prose_of_a_measure_without_a_note(body, lead, co, counties):
    m = _prose_measure(body)
    assert (m.lead_unit, m.co_units, m.counties_responsible, m.flags) == (lead, co, counties, ())
    assert m.body == body  # the sentence stays part of the measure


@pytest.mark.parametrize("body", [
    "市纪委监委发挥牵头抓总作用，统筹推进各项工作。",
    "建立党委统一领导、纪委牵头、部门协同的工作机制，形成工作合力。",
    "乡镇党委负责组织实施，村党组织书记负责具体落实。",
], ids=["lead_in_another_sense", "a_mechanism", "no_level_named"])
def test_prose_that_names_no_unit_gives_no_lead(body):
    m = _prose_measure(body)
    assert (m.lead_unit, m.co_units, m.flags) == (None, (), (NO_NOTE,))


def test_prose_naming_two_different_leads_is_flagged_not_guessed():
    m = _prose_measure("由市司法局牵头开展普法宣传，由市民政局牵头规范村务公开。")
    assert (m.lead_unit, m.co_units, m.flags) == (None, (), (NO_NOTE, TWO_LEADS))


def test_a_note_wins_over_the_prose():
    m = _prose_measure("由市司法局牵头开展普法宣传。〔责任单位:市委政法委、市司法局〕")
    assert (m.lead_unit, m.co_units) == ("市委政法委", ("市司法局",))


def test_units_in_prose_reads_full_width_punctuation():
    assert units_in_prose("每年开展一次；由市司法局牵头，市公安局、市民政局配合。") == ("市司法局", ("市公安局", "市民政局"), False, False)
    assert units_in_prose("开展普法宣传。") is None


# ---- unit names with brackets, half- and full-width -----------------------------------------------

@pytest.mark.parametrize("note", [
    "〔责任单位:市交通委(市道运局)、各乡(镇)人民政府〕",
    "（责任单位：市交通委（市道运局），各乡（镇）人民政府）",
    "【牵头单位：市交通委（市道运局）；配合单位：各乡（镇）人民政府】",
], ids=["half_width", "full_width", "labels"])
def test_bracketed_unit_names_stay_whole_in_notes(note):
    assert parse_responsibility(note) == ("市交通委(市道运局)", ("各乡(镇)人民政府",), False)


@pytest.mark.parametrize("phrase", [
    "市交通委(市道运局)牵头,各乡(镇)人民政府配合。",
    "（市交通委（市道运局）牵头，各乡（镇）人民政府配合）",
])
def test_bracketed_unit_names_stay_whole_in_lead_phrases(phrase):
    assert parse_lead_phrase(phrase) == ("市交通委(市道运局)", ("各乡(镇)人民政府",), False)


def test_a_lead_phrase_with_an_unrelated_clause_is_prose_and_stays_in_the_body():
    m = _prose_measure("整治农村公路，由市交通委（市道运局）牵头，各乡（镇）人民政府配合，年底前完成。")
    assert (m.lead_unit, m.co_units) == ("市交通委(市道运局)", ("各乡(镇)人民政府",))
    assert m.body.endswith("年底前完成。")


@LAYOUTS
def test_bracketed_unit_names_in_a_plan_with_bracketed_measures(layout):
    text = ("XX市清廉乡村建设实施方案\n三、重点任务\n"
            "（一）整治农村公路。加强日常养护。（责任单位：市交通委（市道运局），各乡（镇）人民政府）\n"
            "（二）规范村务公开。每季度公开一次。(责任单位:市民政局、各县(市、区)人民政府)\n")
    plan, rows = _rows(layout(text))
    assert rows == [(1, 0, "整治农村公路", "市交通委(市道运局)", ("各乡(镇)人民政府",), False, ()),
                    (2, 0, "规范村务公开", "市民政局", (), True, ())]


def test_bracketed_unit_names_in_a_task_table():
    text = ("XX县任务分工表\n| 序号 | 重点任务 | 责任单位 |\n| --- | --- | --- |\n"
            "| 1 | 整治农村公路。 | 市交通委（市道运局）＊，各乡（镇）人民政府 |\n")
    (m,) = parse_plan(text, CONFIG).measures
    assert (m.lead_unit, m.co_units) == ("市交通委(市道运局)", ("各乡(镇)人民政府",))


# ---- deadlines: a masked year is never one ------------------------------------------------------

@pytest.mark.parametrize("sentence, deadline", [
    ("至2025年底前完成全部村级班子轮训。", "2025-12-31"),
    ("2024年6月底前完成清查。", "2024-06-30"),
    ("至XX年底前完成全部村级班子轮训。", None),
    ("202X年底前完成全部村级班子轮训。", None),
    ("到二〇XX年底前完成全部村级班子轮训。", None),
    ("XX年6月底前完成清查，2025年继续推进。", None),  # a bare year is not a deadline either
])
def test_measure_deadline_uses_only_written_years(sentence, deadline):
    assert _prose_measure(sentence).deadline == deadline


@LAYOUTS
def test_written_year_dates_a_chinese_numbered_measure(layout):
    text = WORK_POINTS.replace("组织村“两委”干部开展集中轮训", "至2025年底前组织村“两委”干部完成轮训")
    assert parse_plan(layout(text), CONFIG).measures[0].deadline == "2025-12-31"


# ---- no measures -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("XX县清廉乡村建设实施方案\n一、总体要求\n推进清廉乡村建设。\n二、重点任务\n三、保障措施\n加强组织领导。\n",
     "「二、重点任务」之下没有找到编号的工作措施(形如「1.强化理论武装。」「(一)强化理论武装。」或「一、强化理论武装。」),"
     "请确认上传的是实施方案全文。"),
    ("XX县清廉乡村建设实施方案\n一、总体要求\n推进清廉乡村建设。\n二、保障措施\n加强组织领导。\n",
     "方案中只有「总体要求」「保障措施」一类的章节标题,没有找到编号的工作措施(形如「1.强化理论武装。」「(一)强化理论武装。」),"
     "请确认上传的是实施方案全文。"),
], ids=["task_heading_without_items", "only_chapter_headings"])
@LAYOUTS
def test_headings_without_measures_raise_a_chinese_error(text, message, layout):
    with pytest.raises(PlanParseError) as err:
        parse_plan(layout(text), CONFIG)
    assert str(err.value) == message


@pytest.mark.parametrize("text, message", [
    ("XX镇工作要点\n重点任务\n保障措施\n加强组织领导。\n",
     "「重点任务」之下没有找到编号的工作措施(形如「1.强化理论武装。」「(一)强化理论武装。」或「一、强化理论武装。」),"
     "请确认上传的是实施方案全文。"),
    # On one line an unnumbered "重点任务" cannot be told from the words around it: the general message.
    ("XX镇工作要点。重点任务保障措施加强组织领导。",
     "未在方案文本中找到任何工作措施(形如「1.强化理论武装。」),请确认上传的是实施方案全文。"),
], ids=["line_breaks", "one_line"])
def test_an_unnumbered_task_heading_without_measures_raises(text, message):
    with pytest.raises(PlanParseError) as err:
        parse_plan(text, CONFIG)
    assert str(err.value) == message
