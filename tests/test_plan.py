"""Tests for dashboard.plan: the shipped plan text, synthetic variants, config and errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dashboard.plan import (
    Plan,
    PlanConfig,
    PlanParseError,
    load_plan_config,
    parse_plan,
    parse_responsibility,
    plan_to_dict,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "data" / "plan.txt").read_text(encoding="utf-8")
CONFIG = PlanConfig(
    start="2023-01-01",
    defaults={
        "township_demo_40": "2023-12-31",
        "township_demo_70": "2024-12-31",
        "county_brand": "2025-12-31",
        "micro_power_list": "2024-12-31",
        "discipline_member": "2024-12-31",
    },
    fallback="2025-12-31",
    full_coverage=("规范配备",),
)

ORG = "市委组织部"
CIVIL = "市民政局"
LAW = "市委政法委"
AGRI = "市农业农村局"
RURAL = "市乡村振兴局"
FIN = "市财政局"
AUDIT = "市审计局"
ECO = "市生态环境局"
JUSTICE = "市司法局"
PROP = "市委宣传部"
POLICE = "市公安局"
WOMEN = "市妇联"
GROUP_OFFICE = "市纪委监委驻市委办公室纪检监察组"
GROUP_PROP = "市纪委监委驻市委宣传部纪检监察组"
GROUP_AGRI = "市纪委监委驻市农业农村局纪检监察组"

# number, section, title, lead, co-units, counties responsible, flags
SEED_MEASURES = [
    (1, 1, "强化理论武装", ORG, (), True, ()),
    (2, 1, "强化基层党组织建设", ORG, (), True, ()),
    (3, 1, "强化干部作风建设", ORG, (), True, ()),
    (4, 1, "发挥党员干部先锋模范作用", ORG, (), True, ()),
    (5, 2, "健全完善村民自治的乡村治理体系", CIVIL, (ORG, LAW, AGRI, RURAL), True, ()),
    (6, 2, "深入实施村级“三务”公开", CIVIL,
     (ORG, FIN, AGRI, AUDIT, RURAL, GROUP_OFFICE, GROUP_PROP, GROUP_AGRI), True, ()),
    (7, 2, "规范村级财务和“三资”监管", ORG, (CIVIL, FIN, AGRI, AUDIT, RURAL), True, ()),
    (8, 2, "持续推进农村生活污水治理", ECO, (AGRI, RURAL), True, ()),
    (9, 2, "强化基层重点领域精准监督、执纪问责", GROUP_OFFICE,
     (GROUP_PROP, GROUP_AGRI, LAW, CIVIL, FIN, ECO, AGRI, RURAL), True, ()),
    (10, 3, "深化法治乡村建设", JUSTICE, (PROP, LAW, POLICE), True, ()),
    (11, 3, "深化平安乡村建设", LAW, (ORG, POLICE, JUSTICE, AGRI), True, ()),
    (12, 3, "强化农村社会矛盾纠纷化解", LAW, (POLICE, JUSTICE), True, ()),
    (13, 4, "推动家规家训进村入户", PROP, (WOMEN, AGRI, RURAL), True, ()),
    (14, 4, "开展乡风文明“清风行动”", None, (), False, ("责任单位缺失",)),
]


@pytest.fixture(scope="module")
def seed_plan() -> Plan:
    return parse_plan(SEED, CONFIG)


def _target(plan: Plan, key: str):
    return next(t for t in plan.targets if t.key == key)


# ---- the shipped plan ---------------------------------------------------------------------------


def test_seed_title_and_sections(seed_plan):
    assert seed_plan.title == "XX市关于大力推进清廉乡村建设实施方案"
    assert [(s.number, s.title) for s in seed_plan.sections] == [
        (1, "强化党建引领,提升党员干部队伍素质能力,打造风清气正的基层政治生态"),
        (2, "完善村民自治,实施清廉制度机制完善工程,构建清廉有序的乡村治理体系"),
        (3, "坚持依法治理,实施乡村法治建设提升行动,夯实清廉乡村建设法治基石"),
        (4, "普及乡村德治,实施清廉思想文化培育工程,形成厚德养廉的基层社会环境"),
    ]


def test_seed_has_exactly_fourteen_measures(seed_plan):
    assert [m.number for m in seed_plan.measures] == list(range(1, 15))


@pytest.mark.parametrize("expected", SEED_MEASURES, ids=lambda e: f"measure{e[0]}")
def test_seed_measure(seed_plan, expected):
    number, section, title, lead, co, counties, flags = expected
    m = seed_plan.measures[number - 1]
    assert (m.number, m.section, m.title) == (number, section, title)
    assert m.lead_unit == lead
    assert m.co_units == co
    assert m.counties_responsible is counties
    assert m.flags == flags


def test_seed_measure_deadlines(seed_plan):
    assert {m.number: m.deadline for m in seed_plan.measures if m.deadline} == {10: "2025-12-31"}


def test_seed_bodies_exclude_note_and_keep_text(seed_plan):
    first, last = seed_plan.measures[0], seed_plan.measures[-1]
    assert first.body.startswith("加强基层党员干部理论学习,依托基层党校")
    assert first.body.endswith("坚决做到“两个维护”。")
    assert "责任单位" not in first.body and "排列首位" not in first.body
    # Measure 14 is cut off mid-sentence; its body runs to the end of the text.
    assert last.body.endswith("开展道德模范、最美人物")
    assert all("责任单位" not in m.body for m in seed_plan.measures)


def test_seed_units_first_seen_order(seed_plan):
    assert seed_plan.units() == [
        ORG, CIVIL, LAW, AGRI, RURAL, FIN, AUDIT, GROUP_OFFICE, GROUP_PROP, GROUP_AGRI,
        ECO, JUSTICE, PROP, POLICE, WOMEN,
    ]


def test_seed_targets(seed_plan):
    got = [(t.key, t.value, t.unit, t.comparator, t.deadline, t.deadline_configured, t.measure)
           for t in seed_plan.targets]
    assert got == [  # in the order the plan states them
        ("township_demo_40", 40.0, "%", ">=", "2023-12-31", True, None),
        ("township_demo_70", 70.0, "%", ">=", "2024-12-31", True, None),
        ("county_brand", 100.0, "%", ">=", "2025-12-31", True, None),
        ("discipline_member", 100.0, "%", ">=", "2024-12-31", True, 2),
        ("micro_power_list", 100.0, "%", ">=", "2024-12-31", True, 5),
        ("legal_persons_3", 3.0, "名/村", ">=", "2025-12-31", False, 10),
    ]
    assert [(t.metric, t.text) for t in seed_plan.targets] == [
        ("township_demo_coverage", "乡镇示范点覆盖率"), ("township_demo_coverage", "乡镇示范点覆盖率"),
        ("county_brand_coverage", "县级特色品牌覆盖率"), ("discipline_member_coverage", "纪检委员配备率"),
        ("micro_power_list_coverage", "小微权力清单覆盖率"), ("legal_persons_coverage", "法律明白人≥3名的村占比")]
    assert all(t.flags == () for t in seed_plan.targets)


def test_seed_target_sources_are_plan_sentences(seed_plan):
    assert _target(seed_plan, "township_demo_40").source == (
        "利用XX年一年时间,全市各乡镇(街道)清廉乡村示范点数量达40%以上,建成推广一批清廉乡村示范点"
    )
    assert _target(seed_plan, "discipline_member").source == (
        "推进基层党组织规范配备纪检委员或纪委书记,推动基层监督更精准,提升基层监督效能"
    )
    assert _target(seed_plan, "legal_persons_3").source.startswith(
        "实施农村“法律明白人”培养工程,至2025年,每个村至少有3名“法律明白人”"
    )
    assert (_target(seed_plan, "township_demo_70").source
            == _target(seed_plan, "county_brand").source)
    assert _target(seed_plan, "county_brand").source.startswith("到二十年,")
    for t in seed_plan.targets:
        assert t.source in SEED and "。" not in t.source


def test_seed_masked_years_come_from_config():
    config = PlanConfig("2023-01-01", {**CONFIG.defaults, "township_demo_70": "2030-06-30"})
    t = _target(parse_plan(SEED, config), "township_demo_70")
    assert (t.deadline, t.deadline_configured) == ("2030-06-30", True)


def test_plan_to_dict_shape(seed_plan):
    d = json.loads(json.dumps(plan_to_dict(seed_plan), ensure_ascii=False))
    assert list(d) == ["title", "sections", "measures", "targets"]
    assert d["sections"][0] == {"number": 1, "title": "强化党建引领,提升党员干部队伍素质能力,打造风清气正的基层政治生态"}
    assert d["measures"][4] == {
        "number": 5, "section": 2, "title": "健全完善村民自治的乡村治理体系", "lead_unit": CIVIL,
        "co_units": [ORG, LAW, AGRI, RURAL], "counties_responsible": True, "deadline": None,
        "flags": [],
    }
    assert d["measures"][13] == {
        "number": 14, "section": 4, "title": "开展乡风文明“清风行动”", "lead_unit": None,
        "co_units": [], "counties_responsible": False, "deadline": None, "flags": ["责任单位缺失"],
    }
    assert d["targets"][5] == {
        "key": "legal_persons_3", "text": "法律明白人≥3名的村占比", "value": 3.0, "unit": "名/村",
        "comparator": ">=", "deadline": "2025-12-31", "deadline_configured": False,
        "source": _target(seed_plan, "legal_persons_3").source, "measure": 10,
        "metric": "legal_persons_coverage", "flags": [],
    }


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_seed_with_line_breaks_parses_the_same(seed_plan, newline):
    text = re.sub(r"(人民政府|下同)〕", r"\1〕" + newline, SEED.replace("。", "。" + newline))
    assert text.count(newline) == 13 + SEED.count("。")  # 13 notes, each now ends a line
    assert plan_to_dict(parse_plan(text, CONFIG)) == plan_to_dict(seed_plan)


def test_seed_in_full_width_punctuation_gives_same_units(seed_plan):
    text = SEED.translate(str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", ";": "；"}))
    plan = parse_plan(text, CONFIG)
    assert [(m.lead_unit, m.co_units, m.counties_responsible) for m in plan.measures] == [
        (m.lead_unit, m.co_units, m.counties_responsible) for m in seed_plan.measures
    ]
    assert len(plan.sections) == 4
    for t in plan.targets:
        assert t.source in text


# ---- synthetic plans ----------------------------------------------------------------------------

SYNTHETIC = """XX县清廉乡村建设工作方案
一、总体目标
用2-3年时间，到2026年，全县各乡镇（街道）清廉乡村示范点数量达到７０％以上。
二、工作措施
（一）抓党建促清廉
1．强化理论武装。加强学习，确保2024年完成轮训。（责任单位：县委组织部，各县（市、区）党委和人民政府）
2、推进村务公开。依据XX发〔2023〕2号文件，第2、3条规定公开，占比3.5%。【责任单位：县民政局；县财政局】
（二）抓法治促清廉
3．深化法治乡村。至2024年6月底前完成培训。（责任部门：县司法局、各乡（镇）人民政府）
4．整治人居环境。加快推进小微权力清单制度村级全覆盖。牵头单位：县生态环境局、县住建局；配合单位：县农业农村局、县水利局
5．落实文件要求。按照县发〔2023〕5号执行。
三、保障措施
（一）加强组织领导。各单位要高度重视。
1．加强督查。定期通报。
"""


@pytest.fixture(scope="module")
def synthetic() -> Plan:
    return parse_plan(SYNTHETIC, CONFIG)


def test_synthetic_structure(synthetic):
    assert synthetic.title == "XX县清廉乡村建设工作方案"
    # "（一）加强组织领导" and "1．加强督查" belong to 三、保障措施, not to the measures.
    assert [(s.number, s.title) for s in synthetic.sections] == [(1, "抓党建促清廉"), (2, "抓法治促清廉")]
    assert [(m.number, m.section, m.title) for m in synthetic.measures] == [
        (1, 1, "强化理论武装"), (2, 1, "推进村务公开"), (3, 2, "深化法治乡村"),
        (4, 2, "整治人居环境"), (5, 2, "落实文件要求"),
    ]


def test_synthetic_full_width_note(synthetic):
    m = synthetic.measures[0]
    assert (m.lead_unit, m.co_units, m.counties_responsible, m.flags) == ("县委组织部", (), True, ())
    assert m.body == "加强学习，确保2024年完成轮训。"
    assert m.deadline is None  # a bare year is not a deadline


def test_synthetic_document_number_is_not_a_note(synthetic):
    m = synthetic.measures[1]
    assert (m.lead_unit, m.co_units, m.counties_responsible) == ("县民政局", ("县财政局",), False)
    assert m.body == "依据XX发〔2023〕2号文件，第2、3条规定公开，占比3.5%。"


def test_synthetic_responsibility_department_with_nested_brackets(synthetic):
    m = synthetic.measures[2]
    assert (m.lead_unit, m.co_units, m.counties_responsible) == ("县司法局", ("各乡(镇)人民政府",), False)
    assert m.deadline == "2024-06-30"


def test_synthetic_lead_and_cooperating_units(synthetic):
    m = synthetic.measures[3]
    assert m.lead_unit == "县生态环境局"
    assert m.co_units == ("县住建局", "县农业农村局", "县水利局")
    assert m.body == "加快推进小微权力清单制度村级全覆盖。"


def test_synthetic_measure_with_only_a_document_number_is_flagged(synthetic):
    m = synthetic.measures[4]
    assert (m.lead_unit, m.co_units, m.flags) == (None, (), ("责任单位缺失",))
    assert m.body == "按照县发〔2023〕5号执行。"


def test_synthetic_targets_use_written_year_and_config(synthetic):
    assert [(t.key, t.value, t.deadline, t.deadline_configured, t.measure) for t in synthetic.targets] == [
        ("township_demo_70", 70.0, "2026-12-31", False, None),
        ("micro_power_list", 100.0, "2024-12-31", True, 4),
    ]
    assert synthetic.targets[0].source == "用2-3年时间，到2026年，全县各乡镇（街道）清廉乡村示范点数量达到７０％以上"
    assert synthetic.units() == ["县委组织部", "县民政局", "县财政局", "县司法局", "各乡(镇)人民政府",
                                 "县生态环境局", "县住建局", "县农业农村局", "县水利局"]


def _one_target(sentence: str, config: PlanConfig = CONFIG):
    text = f"{sentence}。四、工作措施1.强化理论武装。加强学习。〔责任单位:市委组织部〕"
    (target,) = parse_plan(text, config).targets
    return target


@pytest.mark.parametrize("masked", ["XX年", "20XX年", "202x年", "二十年", "二〇XX年"])
def test_masked_year_is_never_invented(masked):
    t = _one_target(f"到{masked},全市各乡镇(街道)清廉乡村示范点数量达70%以上")
    assert (t.key, t.deadline, t.deadline_configured) == ("township_demo_70", "2024-12-31", True)


def test_nearest_year_wins_so_a_masked_one_is_not_replaced():
    t = _one_target("到2024年打好基础,到XX年,全市各乡镇(街道)清廉乡村示范点数量达70%以上")
    assert (t.deadline, t.deadline_configured) == ("2024-12-31", True)
    config = PlanConfig("2023-01-01", {**CONFIG.defaults, "township_demo_70": "2031-12-31"})
    t = _one_target("到2024年打好基础,到XX年,全市各乡镇(街道)清廉乡村示范点数量达70%以上", config)
    assert t.deadline == "2031-12-31"


def test_explicit_year_is_used():
    t = _one_target("到2027年,每个县(市、区)都有清廉乡村建设的特色亮点和品牌")
    assert (t.key, t.value, t.unit, t.deadline, t.deadline_configured) == (
        "county_brand", 100.0, "%", "2027-12-31", False)


def test_target_without_year_or_config_raises():
    config = PlanConfig("2023-01-01", {})
    with pytest.raises(PlanParseError, match="county_brand"):
        _one_target("逐步形成每个县(市、区)都有清廉乡村建设的特色亮点和品牌", config)


def test_measure_numbers_must_follow_in_sequence():
    text = "1.甲措施。用2-3年时间。3.不是措施。2.乙措施。到2024年底前完成。〔责任单位:市民政局〕"
    plan = parse_plan(text, CONFIG)
    assert [(m.number, m.title) for m in plan.measures] == [(1, "甲措施"), (2, "乙措施")]
    assert plan.measures[0].body == "用2-3年时间。3.不是措施。"
    assert plan.measures[1].deadline == "2024-12-31"
    assert plan.sections == () and plan.measures[0].section == 0


def test_counties_only_note_flags_missing_lead():
    plan = parse_plan("1.甲措施。做好工作。(责任单位:各县(市、区)人民政府)", CONFIG)
    m = plan.measures[0]
    assert (m.lead_unit, m.co_units, m.counties_responsible, m.flags) == (None, (), True, ("牵头单位缺失",))


def test_note_truncated_mid_list_is_treated_as_missing():
    m = parse_plan("1.甲措施。做好工作。〔责任单位:市民政局、市", CONFIG).measures[0]
    assert (m.lead_unit, m.flags) == (None, ("责任单位缺失",))


# ---- parse_responsibility -----------------------------------------------------------------------


@pytest.mark.parametrize("note, expected", [
    ("〔责任单位:市委组织部,各县(市、区)党委和人民政府。排列首位的单位为牵头单位,下同〕",
     ("市委组织部", (), True)),
    ("(责任单位:市民政局、市委组织部,各县(市、区)党委和人民政府)",
     ("市民政局", ("市委组织部",), True)),
    ("（责任单位：市民政局、市财政局；各县（市、区）人民政府）",
     ("市民政局", ("市财政局",), True)),
    ("【责任部门：市司法局，各乡（镇）人民政府】", ("市司法局", ("各乡(镇)人民政府",), False)),
    ("责任单位:市纪委监委驻市委办公室纪检监察组、市委政法委",
     ("市纪委监委驻市委办公室纪检监察组", ("市委政法委",), False)),
    ("牵头单位:市民政局;配合单位:市财政局、市审计局", ("市民政局", ("市财政局", "市审计局"), False)),
    ("(牵头单位：市民政局、市委组织部；配合单位：市财政局，各县（市、区）)",
     ("市民政局", ("市委组织部", "市财政局"), True)),
    ("〔责任单位:市民政局、市民政局、市财政局〕", ("市民政局", ("市财政局",), False)),
    ("〔责任单位:〕", (None, (), False)),
])
def test_parse_responsibility(note, expected):
    assert parse_responsibility(note) == expected


# ---- errors and config --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_text_raises_chinese_error(text):
    with pytest.raises(PlanParseError) as err:
        parse_plan(text, CONFIG)
    assert str(err.value) == "方案文本为空,请上传实施方案全文(纯文本)。"


def test_text_without_measures_raises_chinese_error():
    with pytest.raises(PlanParseError) as err:
        parse_plan("XX市清廉乡村建设实施方案。用2-3年时间,到2024年完成。XX发〔XX〕2号", CONFIG)
    assert str(err.value) == (
        "未在方案文本中找到任何工作措施(形如「1.强化理论武装。」),请确认上传的是实施方案全文。"
    )
    assert isinstance(err.value, ValueError)


def test_shipped_config_has_brief_defaults_and_every_masked_key():
    config = load_plan_config()
    assert config.start == "2023-01-01"
    assert config.defaults == CONFIG.defaults
    assert {t.key for t in parse_plan(SEED, config).targets} - set(config.defaults) == {"legal_persons_3"}


def test_parse_plan_defaults_to_shipped_config(seed_plan):
    assert parse_plan(SEED) == seed_plan


def test_config_accepts_toml_dates(tmp_path):
    path = tmp_path / "plan_config.toml"
    path.write_text('[plan]\nstart = 2024-01-01\n[targets]\ncounty_brand = "2026-12-31"\n', encoding="utf-8")
    assert load_plan_config(path) == PlanConfig("2024-01-01", {"county_brand": "2026-12-31"}, "2025-12-31")


@pytest.mark.parametrize("body, message", [
    ('[plan]\nstart = "2023-13-01"\n', "方案配置中「plan.start」的日期「2023-13-01」无效,应写成 YYYY-MM-DD,如 2024-12-31。"),
    ('[plan]\nstart = "2023-01-01"\n[targets]\ncounty_brand = "2025年底"\n',
     "方案配置中「county_brand」的日期「2025年底」无效,应写成 YYYY-MM-DD,如 2024-12-31。"),
])
def test_config_rejects_bad_dates(tmp_path, body, message):
    path = tmp_path / "plan_config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(PlanParseError) as err:
        load_plan_config(path)
    assert str(err.value) == message


def test_config_missing_or_broken_file(tmp_path):
    with pytest.raises(PlanParseError, match="未找到方案配置文件"):
        load_plan_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("start 2023", encoding="utf-8")
    with pytest.raises(PlanParseError, match="格式有误"):
        load_plan_config(broken)


def test_traditional_characters_read_as_simplified():
    """A plan written in traditional characters (責任單位, 牽頭, 各縣(市、區)…) gives the same units, counties and
    targets as the simplified one; the titles keep the document's own characters."""
    from dashboard.plan import TRADITIONAL

    to_traditional = str.maketrans({TRADITIONAL[i + 1]: TRADITIONAL[i] for i in range(0, len(TRADITIONAL), 2)})
    seed = SEED
    traditional = seed.translate(to_traditional)
    assert "責任單位" in traditional and "各縣(市、區)" in traditional.replace("（", "(").replace("）", ")")
    simple, trad = parse_plan(seed), parse_plan(traditional)
    assert [(m.lead_unit, m.co_units, m.counties_responsible) for m in trad.measures] == \
        [(m.lead_unit, m.co_units, m.counties_responsible) for m in simple.measures]
    assert [(t.key, t.value, t.deadline) for t in trad.targets] == [(t.key, t.value, t.deadline) for t in simple.targets]
    assert trad.measures[0].title == simple.measures[0].title.translate(to_traditional)


def test_a_hand_written_traditional_measure():
    plan = parse_plan("四、工作措施\n(一)強化監督\n1.強化理論武裝。深入學習。〔責任單位:市委組織部、市紀委監委,各縣(市、區)黨委和人民政府〕\n"
                      "2.建設示範點。推進建設。(牽頭單位:市農業農村局;配合單位:市財政局)\n")
    one, two = plan.measures
    assert (one.title, one.lead_unit, one.co_units, one.counties_responsible) == (
        "強化理論武裝", "市委组织部", ("市纪委监委",), True)
    assert (two.lead_unit, two.co_units) == ("市农业农村局", ("市财政局",))


@pytest.mark.parametrize("first, second", [("1、", "2、"), ("(1)", "(2)"), ("（1）", "（2）"), ("①", "②")])
def test_measures_numbered_in_other_styles(first, second):
    plan = parse_plan(f"三、重点任务\n（一）加强监督\n{first}健全监督体系。建立台账。〔责任单位:市纪委监委、市委组织部〕\n"
                      f"{second}推进村务公开。每季度公开一次。〔责任单位:市民政局〕\n")
    assert [(m.number, m.title, m.lead_unit, m.co_units) for m in plan.measures] == [
        (1, "健全监督体系", "市纪委监委", ("市委组织部",)), (2, "推进村务公开", "市民政局", ())]
    assert [s.title for s in plan.sections] == ["加强监督"]


def test_sub_items_in_another_style_are_not_measures():
    """Measures numbered 1. with (1)(2) items inside: the items stay part of their measure."""
    plan = parse_plan("四、工作措施\n1.强化理论武装。(1)开展集中学习。(2)组织专题培训。〔责任单位:市委组织部〕\n"
                      "2.深化法治建设。(1)培养法律明白人。〔责任单位:市司法局〕\n")
    assert [(m.number, m.title, m.lead_unit) for m in plan.measures] == [
        (1, "强化理论武装", "市委组织部"), (2, "深化法治建设", "市司法局")]
    assert "组织专题培训" in plan.measures[0].body


@pytest.mark.parametrize("ending, lead, co, counties", [
    ("市委组织部、市委宣传部牵头,市纪委监委、各县(市、区)配合。", "市委组织部", ("市委宣传部", "市纪委监委"), True),
    ("(市司法局牵头,市委政法委按职责分工负责)", "市司法局", ("市委政法委",), False),
    ("（市交通委（市道运局）牵头，各乡（镇）人民政府配合）", "市交通委(市道运局)", ("各乡(镇)人民政府",), False),
    ("由市民政局牵头。", "市民政局", (), False),
])
def test_a_trailing_lead_phrase_names_the_units(ending, lead, co, counties):
    plan = parse_plan(f"四、工作措施\n1.规范村务公开。每季度公开一次,接受群众监督。{ending}\n2.强化监督。加强检查。〔责任单位:市纪委监委〕\n")
    first = plan.measures[0]
    assert (first.lead_unit, first.co_units, first.counties_responsible, first.flags) == (lead, co, counties, ())
    assert first.body == "每季度公开一次,接受群众监督。"  # the phrase is the note, not the body
    assert plan.measures[1].lead_unit == "市纪委监委"


def test_prose_with_the_word_lead_is_not_taken_for_units():
    """"党委统一领导、纪委牵头,部门协同" describes a mechanism: no lead unit is invented, the measure is flagged."""
    plan = parse_plan("四、工作措施\n1.健全工作机制。建立党委统一领导、纪委牵头,部门协同的工作机制。\n"
                      "2.强化监督。加强检查。〔责任单位:市纪委监委〕\n")
    assert (plan.measures[0].lead_unit, plan.measures[0].flags) == (None, ("责任单位缺失",))


TABLE_PLAN = """XX县清廉村居建设任务分工表
| 序号 | 工作任务 | 责任单位 | 完成时限 |
| --- | --- | --- | --- |
| 1 | 全面推行村级小微权力清单。编制清单并公开。 | 县纪委监委*、县委组织部、县农业农村局 | 2024年10月底 |
| 2 | 培育法律明白人。每村至少3名。 | 县司法局 | 12月底前 |
| 3 | 开展廉洁文化进村居。 | 县委宣传部、县文明办、各乡（镇）人民政府 | 2025年6月 |
"""


def test_a_plan_written_as_a_task_table():
    """Rows separated by |, the lead marked with *, deadlines with and without a written year."""
    plan = parse_plan(TABLE_PLAN, CONFIG)
    rows = [(m.number, m.title, m.lead_unit, m.co_units, m.deadline, m.flags) for m in plan.measures]
    assert rows == [
        (1, "全面推行村级小微权力清单", "县纪委监委", ("县委组织部", "县农业农村局"), "2024-10-31", ()),
        (2, "培育法律明白人", "县司法局", (), None, ("期限未写年份",)),  # "12月底前": no year is invented
        (3, "开展廉洁文化进村居", None, ("县委宣传部", "县文明办", "各乡(镇)人民政府"), "2025-06-30",
         ("牵头单位未标注(多个责任单位中没有用*标出牵头单位)",)),  # several units, none marked: not guessed
    ]
    assert plan.measures[0].body == "全面推行村级小微权力清单。编制清单并公开。"


def test_a_tab_separated_table_from_word():
    text = "任务分工\n序号\t重点任务\t责任部门\n1\t规范村务公开\t县民政局*、县财政局\n2\t强化监督检查\t县纪委监委\n(完)"
    plan = parse_plan(text, CONFIG)
    assert [(m.title, m.lead_unit, m.co_units) for m in plan.measures] == [
        ("规范村务公开", "县民政局", ("县财政局",)), ("强化监督检查", "县纪委监委", ())]
