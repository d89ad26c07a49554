"""The facts vocabulary of the eligibility engine, and parsers for free-text answers.

Facts are a flat JSON object; every key is documented in FACTS (type, meaning, allowed
values) and in docs/eligibility.md. `validate_facts` turns raw JSON into clean Python
values with Chinese error messages; `parse_answer` reads a dialog answer such as
「大学本科」「2018.3」「四年半」「称职、优秀、称职」.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

EDUCATION = {
    "secondary": "中专（高中）",
    "technician_intermediate": "技工院校中级工班",
    "technician_senior": "技工院校高级工班",
    "technician_preparatory": "技工院校预备技师（技师）班",
    "associate": "大学专科",
    "bachelor": "大学本科",
    "second_bachelor": "第二学士学位",
    "master": "硕士研究生",
    "doctor": "博士研究生",
}
TITLES = {
    "none": "无职称",
    "assistant_engineer": "助理工程师",
    "engineer": "工程师",
    "senior_engineer": "高级工程师",
}
SKILL_LEVELS = {"none": "无技师等级", "technician": "技师", "senior_technician": "高级技师"}
EMPLOYER_TYPES = {"enterprise": "企业", "institution": "事业单位", "other": "其他"}
# Results of the annual assessment, best first; 合格 is the same grade as 称职
# (Linping 附件2 三、3: 「2019 年称职（或合格）」).
ASSESSMENT_GRADES = ("优秀", "称职", "合格", "基本称职", "基本合格", "不称职", "不合格", "未考核")


class FactError(ValueError):
    """A fact value that cannot be understood; the message is Chinese and names an example."""


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: str  # enum | bool | date | number | int | text | list | assessments
    label: str  # Chinese name, used in 修改<label>
    meaning: str
    question: str
    example: str
    explain: str  # shown after two misunderstood answers
    choices: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()  # other words for 修改<…>


def _f(name: str, type_: str, label: str, meaning: str, question: str, example: str, explain: str,
       choices: dict[str, str] | None = None, aliases: tuple[str, ...] = ()) -> FactSpec:
    return FactSpec(name, type_, label, meaning, question, example, explain, choices or {}, aliases)


FACTS: dict[str, FactSpec] = {f.name: f for f in [
    _f("education", "enum", "学历", "最高学历（学位）；技工院校毕业按其班别",
       "您的最高学历是？（中专／大专／本科／第二学士学位／硕士／博士，技工院校请说明班别）",
       "本科", "按毕业证书填写最高学历，例如「大专」「本科」「硕士」；技工院校请说「高级工班」等。",
       EDUCATION, ("学位",)),
    _f("education_related", "bool", "专业对口",
       "所学专业与现从事（申报）专业一致或相近；有多个学历时，只要有一个一致或相近即可",
       "您所学专业与现在从事的专业一致或相近吗？（是／否）", "是",
       "例如学机械、现在做机电制造，算相近，回答「是」；学会计、现在做电气，回答「否」。",
       aliases=("所学专业", "专业相近", "专业一致")),
    _f("registered_certificate", "bool", "注册证书",
       "已取得所从事专业的国家注册类资格证书（专业不对口时可视为具备规定学历）",
       "您是否已取得所从事专业的国家注册类资格证书？（是／否）", "否",
       "如注册建造师、注册电气工程师等国家注册类证书。没有就回答「否」。"),
    _f("related_retraining", "bool", "脱产进修",
       "连续一年以上本专业脱产继续教育学习并取得证书或证明（专业不对口时可认定为相近专业）",
       "您是否参加过连续一年以上的本专业脱产继续教育学习并取得证书或证明？（是／否）", "否",
       "指连续一年以上、脱产的本专业进修，有结业证书或证明。没有就回答「否」。"),
    _f("graduation_date", "date", "毕业时间", "最高学历毕业日期（YYYY-MM-DD）",
       "您最高学历是哪年哪月毕业的？", "2015年7月", "请回答年月，例如「2015年7月」「2015.7」「15年7月」。",
       aliases=("毕业日期",)),
    _f("specialty", "text", "从事专业", "现从事（拟申报）的专业，如 机电制造、电气、化工",
       "您现在从事什么专业？（如 机电制造、电子、电气、化工、纺织服装、食品、材料）", "机电制造",
       "填写您实际从事的工程技术专业，即申报时「从事专业栏」要填的专业名称。", aliases=("专业",)),
    _f("current_title", "enum", "职称", "现有专业技术职称",
       "您现在有什么职称？（无／助理工程师／工程师／高级工程师）", "助理工程师",
       "看您的职称证书或聘书：初级一般是「助理工程师」；没有职称就回答「无」。",
       TITLES, ("现职称", "现有职称")),
    _f("title_since", "date", "聘任时间",
       "取得并实际聘任现职称（如助理工程师）的日期（YYYY-MM-DD）",
       "您是哪年哪月起被聘任为现职称的？", "2018年3月",
       "以聘书或聘任文件上的起聘时间为准，例如「2018年3月」「2018.3」。",
       aliases=("任职时间", "取得时间", "聘任日期", "聘的时间", "聘用时间", "聘的时候")),
    _f("title_appointed", "bool", "实际聘任",
       "现职称已被单位实际聘任（有聘书或聘任文件）；只在说了没有聘任时才用到",
       "您的现职称单位是否已正式聘任（有聘书或聘任文件）？（是／否）", "是",
       "取得职称资格后，单位发了聘书或聘任文件就是实际聘任；没有发就回答「否」。",
       aliases=("聘书", "聘任")),
    _f("related_work_years", "number", "工作年限",
       "毕业后从事本专业或相近专业工作的整年年限，计算到计划的截止日期",
       "您毕业后从事本专业或相近专业工作共几年？", "5年",
       "算到本计划的年限截止日，可以说「5年」「四年半」「4.5年」。",
       aliases=("专业工作年限", "从业年限", "年限")),
    _f("employer_type", "enum", "单位性质", "现工作单位的性质",
       "您现在的工作单位是企业还是事业单位？", "企业",
       "国有、民营、外资公司都算「企业」；学校、医院、研究所等在编单位是「事业单位」。",
       EMPLOYER_TYPES, ("单位类型",)),
    _f("from_enterprise", "bool", "企业调入", "从企业调入事业单位工作的正式在编人员",
       "您是从企业调入事业单位的正式在编人员吗？（是／否）", "是",
       "如果您原先在企业工作、后来调入事业单位并且是正式在编，回答「是」。"),
    _f("employer_excluded", "bool", "单位范围",
       "工作单位属于通知排除在评审范围外的单位（如参公事业单位、央企驻杭分支等）",
       "您的单位是否属于以下不在评审范围的单位？（是／否）", "否",
       "回答「是」表示您的单位属于通知列出的不在评审范围内的单位；否则回答「否」。",
       aliases=("单位",)),
    _f("civil_servant", "bool", "公务员", "公务员（含参照公务员法管理的工作人员）",
       "您是公务员或参照公务员法管理的工作人员吗？（是／否）", "否",
       "在行政机关或参公管理单位在编的人员回答「是」，企业员工回答「否」。"),
    _f("skill_level", "enum", "技能等级", "技师职业资格或职业技能等级",
       "您有技师或高级技师职业资格（职业技能等级）吗？（无／技师／高级技师）", "技师",
       "以职业资格证书或职业技能等级证书为准；没有就回答「无」。", SKILL_LEVELS, ("技师",)),
    _f("skill_since", "date", "技师时间", "取得技师（或更高）职业资格／技能等级的日期",
       "您是哪年哪月取得技师（或高级技师）资格的？", "2019年5月",
       "以证书上的发证日期为准，例如「2019年5月」。"),
    _f("skill_honours", "list", "技能荣誉",
       "技能类荣誉：省级技能大师工作室领办人、省首席技师、全国技术能手、世界技能大赛优胜奖等（列表）",
       "您是否获得过以下技能荣誉？有的请说名称，没有请回答「没有」。", "全国技术能手",
       "例如「全国技术能手」「省首席技师」；以证书或文件为准。没有就回答「没有」。",
       aliases=("荣誉",)),
    _f("ce_credits", "number", "继续教育学分", "计划规定期间内取得的继续教育学分合计",
       "您 2019 年以来的继续教育学分合计多少？", "45学分",
       "以学习新干线或学时登记管理系统登记的学分为准，回答数字即可，例如「48学分」。",
       aliases=("继续教育", "学分")),
    _f("assessments", "assessments", "年度考核", "近几年（通常近三年）的年度考核结果，按年份列出",
       "您近三年的年度考核结果分别是？", "称职、优秀、称职",
       "按年份依次说，例如「称职、优秀、称职」；等级有 优秀／称职（合格）／基本称职／不称职。",
       aliases=("考核",)),
    _f("exceptional_achievements", "int", "破格条件",
       "符合通知所列破格条件中的几项（0–4，或列出条款序号）",
       "任现职以来，您符合以下破格条件中的几项？（回答数字 0–4）", "2",
       "逐条对照：政府科技奖项、市级以上重点项目课题、论文或著作、劳模或先进称号，回答符合的项数。",
       aliases=("破格",)),
    _f("currently_appointed", "bool", "当年在聘", "申报当年仍在聘现任专业技术职务",
       "申报当年您是否仍被聘任在现专业技术职务上？（是／否）", "是",
       "以聘书或聘任文件为准，申报当年仍在聘回答「是」。", aliases=("在聘", "聘着")),
    _f("self_score", "number", "自评分", "按计划所附打分表／评分表计算的自评分",
       "按评分表自评，您的自评分是多少分？", "85分", "按通知所附评分表逐项计分后的合计，回答数字即可。"),
    _f("referees_senior", "bool", "推荐人",
       "有 2 名本专业或相近专业高级工程师签字推荐（评分表）",
       "您能否请到 2 名本专业或相近专业的高级工程师在《评分表》上签字推荐？（是／否）", "是",
       "推荐人须具有本专业或相近专业高级工程师资格，并提供其证书。"),
    _f("project_experience_minimal", "bool", "项目经历",
       "工程项目经历仅为：参与一般项目 2 个及以下，或任技术骨干的一般项目 1 个，或参与中等复杂项目 1 个",
       "您的工程项目经历是否仅为以下情形之一：参与一般项目 2 个及以下；或任技术骨干的一般项目 1 个；或参与中等复杂项目 1 个？（是／否）",
       "否", "如果您的项目经历比这些多（例如参与一般项目 3 个以上），回答「否」。"),
    _f("performance_score", "number", "业绩子项得分", "按《评价标准》估算的工程业绩子项得分",
       "按《评价标准》估算，您的工程业绩子项能得多少分？", "45分", "回答数字即可，例如「45分」。"),
    _f("applies_own_specialty", "bool", "申报本专业", "申报的专业是本人本专业或相近专业",
       "您申报的是本人本专业或相近专业吗？（是／否）", "是", "申报专业与您所学或一直从事的专业相同或相近，回答「是」。"),
    _f("works_in_field", "bool", "现从事本行业", "现从事本计划所属行业（专业）的技术工作",
       "您现在是否从事本计划所属行业的技术工作？（是／否）", "是", "按实际从事的工作回答「是」或「否」。"),
    _f("business_exam_passed", "bool", "业务考试", "已取得本计划要求的业务考试成绩合格证明",
       "您是否已取得业务考试成绩合格证明？（是／否）", "是",
       "可在浙江水利（高级）工程师业务评价系统「我的档案」中查看合格证书。"),
    _f("representative_achievements", "int", "代表性业绩数", "拟提取的代表性业绩（科研或工程技术项目）项数",
       "您准备提取几项代表性业绩？", "4", "回答数字即可，例如「4」。"),
]}

# --- free-text parsing ------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def cn_number(text: str) -> float | None:
    """「四」「十二」「两」「4.5」 → number; None if it is not one."""
    t = _norm(text)
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        return float(t)
    if not t or any(ch not in "零〇一二两三四五六七八九十百" for ch in t):
        return None
    if "百" in t:
        hi, _, lo = t.partition("百")
        rest = cn_number(lo) if lo else 0
        return (_CN_DIGITS.get(hi, 1) if hi else 1) * 100 + (rest or 0)
    if "十" in t:
        hi, _, lo = t.partition("十")
        return (_CN_DIGITS.get(hi, 1) if hi else 1) * 10 + (_CN_DIGITS.get(lo, 0) if lo else 0)
    if len(t) == 1:
        return float(_CN_DIGITS[t])
    return None


_NUM = r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)"

NO_WORDS = ("否", "不是", "没有", "无", "不", "没", "非", "不对", "no", "n", "false", "0", "都没有", "均无",
            "一个都没有", "不属于", "不符合", "不能", "没有的", "不对口", "不相关", "不相近", "不一致")
YES_WORDS = ("是", "是的", "有", "对", "对的", "yes", "y", "true", "1", "属于", "符合", "能", "可以", "嗯", "有的",
             "嗯嗯", "对口", "相关", "相近", "一致", "算是", "当然")

# Hedges people wrap answers in (「大概四年半吧」「差不多50分」「对口啊」); stripped before parsing.
_HEDGE_HEAD = re.compile(r"^(?:大概|大约|约莫|约|差不多|估计|应该是|应该|可能是|可能|好像是|好像|大致|基本上)")
_HEDGE_TAIL = re.compile(r"(?:左右|上下|的样子|吧|啊|呢|呀|嘛|哈|哦|喔|了|[hH]{2,}|嘿嘿|呵呵)+$")  # «没有hhh»


def strip_hedges(text: Any) -> str:
    """「大概四年半吧。」 → 「四年半」; non-text values pass through unchanged by the callers."""
    t = _norm(text).strip("。.!！~～,，")
    for _ in range(2):  # 「大概……左右吧」 has a hedge on both ends, sometimes two
        t = _HEDGE_HEAD.sub("", t)
        t = _HEDGE_TAIL.sub("", t).strip("。.!！~～,，")
    return t


# Natural answers to 「是否已取得／参加过…」: 「考过了，60.5分」 is a yes, 「还没考」 a no.
_NO_START = re.compile(r"^(?:不|没|否|未|还没|尚未|暂无|暂时没|目前没|现在没|一直没)")
_YES_START = re.compile(r"^(?:是|有|属于|符合|对口|相关|相近|一致|已|考过|通过|拿到|取得|参加过|过了)")


def parse_bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    t = strip_hedges(text).lower()
    t = re.sub(r"^(?:我|本人)(?:的)?", "", t) or t  # 「我还没考」「我有」
    if t in NO_WORDS or _NO_START.match(t) or re.match(r"^已经?(?:不|没)", t):  # 「不太对口」「还没考」「未取得」
        return False
    if t in YES_WORDS or _YES_START.match(t) or re.match(r"^(?:已经|早就|早)?(?:考过|通过|拿到|取得)", t):
        return True
    raise FactError(f"请回答「是」或「否」（没听懂「{_norm(text)}」）")


def parse_employer_excluded(text: Any) -> bool:
    """「是／否」, or the kind of employer: private and foreign firms are never on the excluded
    list (参公事业单位、电力交通公路国企、省直国企、央企驻杭分支); a bare 「国有企业」 or
    「事业单位」 may or may not be, so the user is asked which."""
    if isinstance(text, bool):
        return text
    t = strip_hedges(text).lower()
    kind = re.sub(r"^(?:我们|我|本人)?(?:的)?(?:单位|公司)?(?:是|属于|在)?", "", t)
    if not re.search(r"单位|企业|公司|国企|央企|民企|私企|外企|参公|厂|集团|私营|民营|外资|合资|个体", kind):
        return parse_bool(t)
    if re.search(r"参公|参照公务员|依照公务员|驻杭|中央企业|央企|省直|省属国", t):
        return True
    if re.search(r"(?:电力|电网|供电|交通|公路|高速)", t) and re.search(r"国有|国企|国网|集团|公司", t):
        return True
    if re.search(r"民营|私营|私企|民企|外资|外企|合资|个体|股份制|上市|港资|台资|乡镇", t):
        return False
    if re.search(r"国有|国企|国营", t):
        raise FactError("国有企业要看是哪一类：电力、交通、公路国有（控股）企业，省直国有企业，"
                        "或中央企业驻杭分支，回答「是」；其他国有企业（如区属、市属国企）回答「否」")
    if "事业" in t:
        raise FactError("事业单位要看是否参照公务员法管理：参公事业单位回答「是」，其他事业单位回答「否」")
    if re.search(r"企业|公司|厂", t):
        raise FactError("请对照上面列出的几类单位：属于其中之一回答「是」，"
                        "民营、外资或其他企业回答「否」")
    raise FactError(f"请回答「是」或「否」（没听懂「{_norm(text)}」）；也可以说单位类型，如「民营企业」")


_EDU_WORDS: list[tuple[str, str]] = [
    ("预备技师", "technician_preparatory"), ("技师班", "technician_preparatory"),
    ("高级工班", "technician_senior"), ("中级工班", "technician_intermediate"),
    ("第二学士", "second_bachelor"), ("双学位", "second_bachelor"), ("二学位", "second_bachelor"),
    ("博士", "doctor"), ("硕士", "master"), ("研究生", "master"), ("专升本", "bachelor"),
    ("本科", "bachelor"), ("学士", "bachelor"), ("大学", "bachelor"),
    ("大专", "associate"), ("专科", "associate"), ("高职", "associate"),
    ("中专", "secondary"), ("中技", "secondary"), ("职高", "secondary"), ("高中", "secondary"),
    ("技校", "secondary"), ("初中", "secondary"),
]


def parse_education(text: Any) -> str:
    t = _norm(text).lower()
    if t in EDUCATION:
        return t
    for word, value in _EDU_WORDS:
        if word in t:
            return value
    raise FactError(f"没听懂学历「{_norm(text)}」，请回答如「本科」「大专」「硕士」，技工院校请说「高级工班」等")


def parse_title(text: Any) -> str:
    t = _norm(text).lower()
    if t in TITLES:
        return t
    if re.search(r"高级工程师|高工|副高|正高", t):
        return "senior_engineer"
    if re.search(r"助理工程师|助工|初级|助理", t):
        return "assistant_engineer"
    if re.search(r"工程师|中级", t):
        return "engineer"
    if t in NO_WORDS or re.match(r"^(无|没有|还没)", t):
        return "none"
    raise FactError(f"没听懂职称「{_norm(text)}」，请回答「无」「助理工程师」「工程师」或「高级工程师」")


def parse_skill_level(text: Any) -> str:
    t = _norm(text).lower()
    if t in SKILL_LEVELS:
        return t
    if "高级技师" in t:
        return "senior_technician"
    if "技师" in t:
        return "technician"
    if t in NO_WORDS or re.match(r"^(无|没有)", t):
        return "none"
    raise FactError(f"没听懂「{_norm(text)}」，请回答「无」「技师」或「高级技师」")


def parse_employer_type(text: Any) -> str:
    t = _norm(text).lower()
    if t in EMPLOYER_TYPES:
        return t
    if "事业" in t or re.search(r"学校|医院|研究所|研究院|在编", t):
        return "institution"
    if re.search(r"企业|公司|厂|集团|民营|国企|外企|私企", t):
        return "enterprise"
    raise FactError(f"没听懂单位性质「{_norm(text)}」，请回答「企业」或「事业单位」")


def parse_date(text: Any) -> dt.date:
    """「2018年3月」「2018.3」「18年3月」「2018-03-01」「2018/3/1」 → a date (day 1 when absent)."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    t = _norm(text).replace(" ", "")
    m = re.fullmatch(r"(\d{2}|\d{4})[年./\-](\d{1,2})(?:[月./\-](\d{1,2})日?|月(?:份)?(?:(\d{1,2})日)?)?", t)
    if not m:
        m2 = re.fullmatch(r"(\d{4})(?:年)?", t)
        if m2:
            raise FactError(f"请把月份也告诉我，例如「{m2.group(1)}年7月」")
        m3 = re.fullmatch(r"(\d{4})(\d{2})(\d{2})?", t)
        if not m3:
            raise FactError(f"没听懂日期「{_norm(text)}」，请回答如「2018年3月」「2018.3」「2018-03-01」")
        m = m3
    year = int(m.group(1))
    if year < 100:
        year += 2000 if year <= dt.date.today().year % 100 + 1 else 1900
    month = int(m.group(2))
    day_s = m.group(3) or (m.group(4) if m.lastindex and m.lastindex >= 4 else None)
    day = int(day_s) if day_s else 1
    try:
        value = dt.date(year, month, day)
    except ValueError as exc:
        raise FactError(f"日期「{_norm(text)}」不存在，请检查年月日") from exc
    if not 1950 <= value.year <= 2100:
        raise FactError(f"年份 {value.year} 不对，请检查")
    return value


def parse_years(text: Any) -> float:
    """「四年半」「4.5年」「4年6个月」「五年」「5」 → years as a number."""
    if isinstance(text, bool):
        raise FactError("年限应是一个数字，例如「5年」「四年半」")
    if isinstance(text, int | float):
        value = float(text)
    else:
        t = strip_hedges(text).replace(" ", "")
        t = re.sub(r"^(大概|大约|约|共|一共|差不多|有)", "", t)
        t = re.sub(r"(多|左右|以上)$", "", t)
        m = re.fullmatch(_NUM + r"(?:(?:年|周年)(半)?(?:(?:零)?" + _NUM + r"个?月)?)?", t)
        if m is None or cn_number(m.group(1)) is None:
            m2 = re.fullmatch(_NUM + r"个?月", t)
            if m2 and cn_number(m2.group(1)) is not None:
                return round(float(cn_number(m2.group(1)) or 0) / 12, 2)
            if t in NO_WORDS:
                return 0.0
            raise FactError(f"没听懂年限「{_norm(text)}」，请回答如「5年」「四年半」「4.5年」")
        value = float(cn_number(m.group(1)) or 0)
        if m.group(2):
            value += 0.5
        if m.group(3):
            value += float(cn_number(m.group(3)) or 0) / 12
    if not 0 <= value <= 60:
        raise FactError(f"年限 {value:g} 不合理，请检查")
    return round(value, 2)


def parse_number(text: Any, unit: str = "") -> float:
    """「45学分」「45」「四十五分」 → 45.0."""
    if isinstance(text, bool):
        raise FactError("请回答一个数字")
    if isinstance(text, int | float):
        value = float(text)
    else:
        t = strip_hedges(text).replace(" ", "")
        t = re.sub(r"^(大概|大约|约|共|一共|合计|有)", "", t)
        t = re.sub(r"(学分|分|个|项|学时|左右|多|来|余)+$", "", t)  # «90来分», «50多分»: about
        if t in NO_WORDS:
            return 0.0
        num = cn_number(t)
        if num is None:
            raise FactError(f"没听懂「{_norm(text)}」，请回答一个数字，例如「45{unit}」")
        value = num
    if value < 0 or value > 10000:
        raise FactError(f"数字 {value:g} 不合理，请检查")
    return value


def parse_int(text: Any) -> int:
    if isinstance(text, list):  # e.g. [1, 3]: which of the listed items are met
        return len(text)
    value = parse_number(text)
    if value != int(value):
        raise FactError("请回答一个整数，例如「2」")
    return int(value)


def _grade(word: str) -> str:
    w = word.strip()
    for g in ("基本称职", "基本合格", "不称职", "不合格", "未考核", "优秀", "称职", "合格"):
        if g in w:
            return g
    if w in ("优", "良好", "良"):
        return "优秀" if w == "优" else "称职"
    raise FactError(f"没听懂考核等级「{w}」，等级有 优秀／称职（合格）／基本称职／不称职")


def parse_assessments(text: Any) -> list[str]:
    """「称职、优秀、称职」「2019年称职 2020年优秀」 or a JSON list → ['称职', '优秀', '称职']."""
    if isinstance(text, list | tuple):
        items = [str(x) for x in text]
    else:
        t = _norm(text)
        t = re.sub(r"(20)?\d{2}年(度)?[:：]?", " ", t)
        m = re.fullmatch(r"(?:都|均|全部|全是|每年都|三年都|都是)(?:是)?(.+)", t.strip())
        if m:
            g = _grade(m.group(1))
            return [g, g, g]
        items = [x for x in re.split(r"[、，,;；/\s和及]+", t) if x]
    grades = [_grade(x) for x in items]
    if not grades:
        raise FactError("请按年份依次说出考核结果，例如「称职、优秀、称职」")
    return grades


def parse_list(text: Any) -> list[str]:
    if isinstance(text, list | tuple):
        return [str(x).strip() for x in text if str(x).strip()]
    t = _norm(text)
    if t.lower() in NO_WORDS or re.fullmatch(r"(无|没有|都没有|没)(获得过|获得)?", t):
        return []
    return [x for x in re.split(r"[、，,;；\n]+", t) if x.strip()]


def parse_text(text: Any) -> str:
    t = _norm(text)
    if not t or len(t) > 60:
        raise FactError("请用几个字说明，例如「机电制造」")
    return t


def _is_years(text: str) -> bool:
    try:
        parse_years(text)
    except FactError:
        return False
    return True


def parse_specialty(text: Any) -> str:
    """The specialty is a field of work: an education word, a date, a number or a yes/no is
    an answer to another question (「本科」 typed at the 专业 question), so it is refused."""
    t = parse_text(text)
    bare = strip_hedges(t)
    wrong = ""
    if len(bare) <= 6 and any(word in bare for word, _ in _EDU_WORDS) and not re.search(r"工程|技术|制造|设计", bare):
        wrong = "学历"
    elif re.fullmatch(r"[\d.年月日/\-]+|(?:\d{2}|\d{4})年\d{1,2}月(?:份)?", bare):
        wrong = "日期或数字"
    elif bare.lower() in NO_WORDS or bare.lower() in YES_WORDS:
        wrong = "是／否"
    elif (cn_number(re.sub(r"(年|学分|分|个|项)$", "", bare)) is not None or _is_years(bare)
          or re.search(r"(\d|[一二两三四五六七八九十])+\s*(年|学分)", bare)):
        wrong = "数字"
    if wrong:
        raise FactError(f"「{t}」像是{wrong}，这里问的是您从事的工程技术专业")
    return t


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "education": parse_education,
    "current_title": parse_title,
    "skill_level": parse_skill_level,
    "employer_type": parse_employer_type,
    "employer_excluded": parse_employer_excluded,
    "specialty": parse_specialty,
}
_BY_TYPE: dict[str, Callable[[Any], Any]] = {
    "bool": parse_bool,
    "date": parse_date,
    "number": parse_number,
    "int": parse_int,
    "text": parse_text,
    "list": parse_list,
    "assessments": parse_assessments,
}


def parse_fact(name: str, value: Any) -> Any:
    """One fact from JSON or free text; FactError (Chinese) when it cannot be read."""
    spec = FACTS.get(name)
    if spec is None:
        raise FactError(f"未知的条件项「{name}」")
    if isinstance(value, str) and spec.type not in ("text", "list"):
        value = strip_hedges(value) or value
    if name == "related_work_years":
        return parse_years(value)
    parser = _PARSERS.get(name) or _BY_TYPE[spec.type]
    result = parser(value)
    if name == "exceptional_achievements" and not 0 <= result <= 4:
        raise FactError("破格条件共 4 项，请回答 0 到 4 之间的数字")
    if spec.type == "date":
        check_date(name, result)
    return result


# Dates that must lie before the plan's cut-off: years are counted from them to `as_of`.
BEFORE_AS_OF = ("graduation_date", "title_since", "skill_since")


def check_date(name: str, value: dt.date, as_of: dt.date | None = None, today: dt.date | None = None) -> None:
    """A past event's date cannot be in the future, nor after the cut-off it is counted to."""
    label = FACTS[name].label
    today = today or dt.date.today()
    if value > today:
        raise FactError(f"{label}「{value.year}年{value.month}月」晚于今天，请回答已经发生的日期，"
                        f"例如「{FACTS[name].example}」")
    if as_of is not None and name in BEFORE_AS_OF and value > as_of:
        raise FactError(f"{label}「{value.year}年{value.month}月」晚于本计划的年限截止日 "
                        f"{as_of.year}年{as_of.month}月{as_of.day}日，本计划不能计算；请检查日期，例如「{FACTS[name].example}」")


def validate_facts(raw: dict[str, Any], as_of: dt.date | None = None) -> dict[str, Any]:
    """Clean a facts object. Unknown keys and bad values → one FactError listing them all.
    With `as_of` (a plan's stated cut-off), dates that must precede it are checked too."""
    if not isinstance(raw, dict):
        raise FactError("facts 应为一个 JSON 对象")
    out: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in raw.items():
        if value is None:
            continue
        if key not in FACTS:
            errors.append(f"{key}: 未知的条件项（可用：{', '.join(FACTS)}）")
            continue
        try:
            out[key] = parse_fact(key, value)
            if as_of is not None and isinstance(out[key], dt.date):
                check_date(key, out[key], as_of)
        except FactError as exc:
            errors.append(f"{key}（{FACTS[key].label}）: {exc}")
    if errors:
        raise FactError("；".join(errors))
    return out


def to_json(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as JSON-safe values (dates as YYYY-MM-DD) for the dialog state."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in facts.items()}


def describe(name: str, value: Any) -> str:
    """A fact value in plain Chinese, for confirmations: education=bachelor → 「大学本科」."""
    spec = FACTS[name]
    if spec.choices and isinstance(value, str):
        return spec.choices.get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "无"
    if isinstance(value, float | int) and spec.label.endswith("年限"):
        return f"{value:g} 年"  # «工作年限 → 3.5 年», never a bare 3.5
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def fact_by_label(word: str) -> str | None:
    """「学历」「年度考核」 → the fact name, for 「修改学历」."""
    w = _norm(word)
    if w in FACTS:
        return w
    for spec in FACTS.values():
        if w in (spec.label, *spec.aliases):
            return spec.name
    for spec in FACTS.values():
        if spec.label in w or any(a in w for a in spec.aliases if len(a) >= 2):
            return spec.name
    return None


# The words around a correction («项目经历那题你记错了，我答的是否»): what is left is the value.
_CHANGE_WORDS = re.compile(r"你?(?:说|记|搞|弄|填)?错了|[那这](?:一?题|一项|个)|我(?:答|说)的(?:是)?|改成|改为|改回|改一下|改下|改|"
                           r"更正为|更正|应该是|其实是|实际是|应该|是")


_MARKS_A_CORRECTION = re.compile(r"(?:说|记|搞|弄|填|答)错了|改成|改为|改回|改一下|改下|更正")


def corrects_a_fact(text: str) -> bool:
    """«项目经历那题你记错了，我答的是否»: a fact named with a word of correcting it."""
    said = label_and_value(text) if _MARKS_A_CORRECTION.search(_norm(text)) else None
    # …and says the right value («我答的是否»), not asking about it («学分算错了怎么办»)
    return said is not None and bool(said[1]) and not re.search(r"怎么|咋|如何|吗|呢|哪|啥|什么", said[1])


@lru_cache(maxsize=1)
def fact_names() -> tuple[tuple[str, str], ...]:
    """(label or alias, fact) of every fact, names of two characters or more, longest first."""
    return tuple(sorted(((w, spec.name) for spec in FACTS.values() for w in (spec.label, *spec.aliases)
                         if len(w) >= 2), key=lambda x: -len(x[0])))


def label_and_value(text: str) -> tuple[str, str] | None:
    """«聘任时间 2021年6月», «学分改下 42分» → (the fact named, what is said of it): the longest
    label or alias in the text, and the text without it and the words of changing."""
    t = _norm(text)
    found = next(((w, name) for w, name in fact_names() if w in t), None)
    if found is None:
        return None
    rest = re.sub(r"(?:而?不是|并非)[^，,。；;\s]*", " ", t.replace(found[0], " ", 1))  # «不是7月»: the old value
    rest = re.sub(r"^[\s哦噢嗯啊]*(?:对了)?|(?:^|\s)我(?=\s|$)", " ", _CHANGE_WORDS.sub(" ", rest))
    return found[1], re.sub(r"[\s，,。：:]+", " ", rest).strip()


# The order the dialog asks in: disqualifiers that end the test early first, then the facts
# most routes need. Only facts that can still change an outcome are asked (knowledge/eligibility/rules.py).
ASK_ORDER: list[str] = [
    "specialty", "civil_servant", "employer_excluded", "education", "education_related",
    "current_title", "title_since", "title_appointed", "graduation_date", "related_work_years", "ce_credits", "assessments",
    "employer_type", "from_enterprise", "skill_level", "skill_since", "skill_honours",
    "exceptional_achievements", "registered_certificate", "related_retraining", "currently_appointed",
    "works_in_field", "applies_own_specialty", "self_score", "referees_senior", "project_experience_minimal",
    "performance_score", "business_exam_passed", "representative_achievements",
]
