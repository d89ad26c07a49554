"""A plan draft from a notice: the timeline (dates and working days), the materials lists (the
notice's numbered lists), the application conditions as rules where the notice states them in
a form the engine knows (education × years tables and sentences, continuing-education totals,
annual assessments, excluded applicants, 破格 and 高技能 routes), and every other condition
quoted as an open item. Each drafted item cites its clause.

It reads the notice's structure (knowledge/outline.py: headings, lists and their lead-ins,
tables), and a small vocabulary of the field (education levels, titles, grades) — never
phrases of one notice. An HR officer reviews the draft; nothing here publishes anything.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from knowledge.lang.text import nfkc
from knowledge.outline import SEP, Block, lists, parse, sentences, title_of

# --- vocabulary of the field -----------------------------------------------------------------------
EDU_ORDER = ["secondary", "associate", "bachelor", "second_bachelor", "master", "doctor"]
_EDU_WORDS = [  # most specific first
    ("second_bachelor", r"第二学士"),
    ("doctor", r"博士"),
    ("master", r"硕士"),
    ("bachelor", r"本科|(?<!第二)学士学位"),
    ("associate", r"专科|大专"),
    ("secondary", r"中专|中等专业|中等职业"),
]
_TITLE_WORDS = [("senior_engineer", r"(?<!正)高级工程师"), ("assistant_engineer", r"助理工程师"),
                ("engineer", r"(?<![助理高级])工程师")]
GRADES = ["优秀", "称职", "合格", "基本称职", "基本合格", "不称职", "不合格"]
_GRADE_RANK = {"优秀": 0, "称职": 1, "合格": 1, "基本称职": 2, "基本合格": 2, "不称职": 3, "不合格": 3}
_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUM = r"(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)"


def _n(text: str) -> float:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN[text[1]]
    if text.endswith("十"):
        return _CN[text[0]] * 10
    return _CN.get(text, 0)


def _int(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def educations(text: str) -> list[str]:
    """Education levels a phrase names: 「硕士学位、第二学士学位或大学本科学历」 → three;
    「大学本科及以上」 → bachelor and above."""
    t = nfkc(text)
    found = [k for k, pat in _EDU_WORDS if re.search(pat, t)]
    if "second_bachelor" in found and not re.search(r"(?<!第二)学士|本科", t.replace("第二学士", "")):
        found = [f for f in found if f != "bachelor"]
    if re.search(r"(?:本科|学士).{0,2}(?:及|或)以上", t):
        found = sorted(set(found) | {"bachelor", "second_bachelor", "master", "doctor"}, key=EDU_ORDER.index)
    if "研究生" in t and not {"master", "doctor"} & set(found):
        found += ["master", "doctor"]
    return sorted(set(found), key=EDU_ORDER.index)


def title_named(text: str) -> str | None:
    """The title 「取得X资格」 names (助理工程师 / 工程师 / 高级工程师)."""
    m = re.search(r"(?:取得|具有|具备|任|聘任)([^，,。；]{0,6}?(?:助理工程师|高级工程师|工程师))", nfkc(text))
    if not m:
        return None
    for key, pat in _TITLE_WORDS:
        if re.search(pat, m.group(1)):
            return key
    return None


def _years(text: str) -> float | None:
    m = re.search(r"满\s*" + _NUM + r"\s*年|" + _NUM + r"\s*年(?:以上|及以上)", nfkc(text))
    if not m:
        return None
    return _n(m.group(1) or m.group(2))


# --- the draft ---------------------------------------------------------------------------------------
@dataclass
class OpenItem:
    text: str
    clause: dict[str, str]
    why: str


@dataclass
class Draft:
    plan: dict[str, Any]  # a plan file's content (knowledge/eligibility/plans.py schema)
    open_items: list[OpenItem] = field(default_factory=list)
    personas: list[dict[str, Any]] = field(default_factory=list)

    def to_yaml(self) -> str:
        """The draft as the officer edits it: the plan, then `draft:` with the open items (quoted
        clauses the engine has no form for) and example personas. Publishing removes `draft:`."""
        data = dict(self.plan)
        data["draft"] = {
            "open_items": [{"text": o.text, "why": o.why, "clause": o.clause} for o in self.open_items],
            "personas": self.personas,
        }
        head = ("# 计划草稿：由程序从通知中起草，发布前请逐条对照引文核对。\n"
                "# draft.open_items 是没能转成规则的条款（发布时作为提示显示给申报人，可删除或改写成规则）；\n"
                "# draft.personas 是示例申报人，用来检查规则的结果是否符合预期。\n")
        return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


class _Drafter:
    def __init__(self, meta: dict[str, Any], body: str, previous: dict[str, Any] | None) -> None:
        self.meta = meta
        self.body = body
        self.nid = str(meta["id"])
        self.blocks = parse(body)
        self.previous = previous
        self.parameters: dict[str, Any] = {}
        self.rules: list[dict[str, Any]] = []
        self.routes: dict[str, dict[str, Any]] = {}
        self.general_rules: list[str] = []
        self.open_items: list[OpenItem] = []
        self.used: set[str] = set()  # sentences turned into rules or counted
        self.questions: dict[str, str] = {}
        self.as_of: tuple[dt.date, dict[str, str]] | None = None

    # --- helpers --------------------------------------------------------------------------
    def clause(self, block: Block, quote: str | None = None) -> dict[str, str]:
        path = list(block.path)
        if block.level is not None and not block.lead:
            path.append(title_of(block.text))
        return {"notice": self.nid, "path": SEP.join(path) or "（正文）",
                "quote": (quote or block.text).strip()}

    def in_section(self, block: Block, pattern: str) -> bool:
        return bool(re.search(pattern, SEP.join([*block.path, title_of(block.text)])))

    def add_rule(self, route: str | None, rule: dict[str, Any]) -> str:
        ids = {r["id"] for r in self.rules}
        rid, k = rule["id"], 2
        while rid in ids:
            rid, k = f"{rule['id']}_{k}", k + 1
        rule["id"] = rid
        self.rules.append(rule)
        if route is None:
            self.general_rules.append(rid)
        else:
            self.routes[route]["rules"].append(rid)
        return rid

    def route(self, rid: str, title: str, clause: dict[str, str], platform: str | None = None) -> None:
        if rid not in self.routes:
            self.routes[rid] = {"id": rid, "title": title, "clause": clause, "rules": [], "materials": [],
                                "platform_choice": platform}

    # --- conditions ------------------------------------------------------------------------
    def excluded_applicants(self) -> None:
        for lead, items in lists(self.blocks):
            if lead is None or not re.search(r"不得申报|不得参加|不予受理|不纳入|不属于.*范围", lead.text):
                continue
            for item in items:
                if re.search(r"公务员", item.text):
                    self.add_rule(None, {
                        "id": "civil_servant", "title": "非公务员", "check": "flag",
                        "params": {"fact": "civil_servant", "fail_if": True},
                        "assume_if_unknown": "未说明是否为公务员，按非公务员（含参照管理人员）计算",
                        "messages": {"failed": "公务员（含参照公务员法管理的工作人员）不得申报",
                                     "passed": "不是公务员（含参照管理人员）"},
                        "clause": self.clause(item)})
                    self.used.add(item.text)

    def assessment(self) -> None:
        for b in self.blocks:
            if not self.in_section(b, r"条件|要求|考核"):
                continue
            for s in sentences(b.text):
                if "考核" not in s or "不得" in s or not re.search(r"以上|及以上", s):
                    continue
                named = [g for g in GRADES if g in s and not re.search(f"基本{g}|不{g}", s.replace(f"基本{g}", ""))]
                named = [g for g in named if f"“{g}" in s or f"{g}”" in s or f"（{g}）" in s or f"{g}以上" in s]
                if not named:
                    continue
                worst = max(_GRADE_RANK[g] for g in named)
                accepted = [g for g in ("优秀", "称职", "合格") if _GRADE_RANK[g] <= worst]
                params: dict[str, Any] = {"accepted": accepted}
                near = re.search(r"近\s*" + _NUM + r"\s*年", s)
                if near:
                    params["count"] = int(_n(near.group(1)))
                elif "任现职以来" in s or "任职以来" in s:
                    # 「任现职以来」: every year since appointment; the engine counts up to the
                    # appointment date, with the longest tenure the notice asks of anyone.
                    params["count"] = 5
                    params["or_since_title"] = True
                else:
                    continue
                self.add_rule(None, {"id": "assessment", "title": "年度考核", "check": "assessments",
                                     "params": params, "clause": self.clause(b, s)})
                self.used.add(s)
                return

    def continuing_education(self) -> None:
        for b in self.blocks:
            text = nfkc(b.text)
            if "继续教育" not in text:
                continue
            for s in sentences(b.text):
                ns = nfkc(s)
                m = re.search(r"(?:不少于|合计取得|累计取得|达到)\s*" + _NUM + r"\s*(学时|学分)", ns)
                if not m or "继续教育" not in ns:
                    continue
                amount, unit = _int(_n(m.group(1))), m.group(2)
                period_m = re.search(r"(20\d{2}\s*年[^，,。]{0,14}?(?:以来|至\s*20\d{2}\s*年|起))", ns)
                period = period_m.group(1).replace(" ", "") if period_m else "规定期间内"
                per_year = "每年" in ns[: m.start()]
                if per_year:
                    question = f"您{period}每年参加继续教育的{unit}数中，最少的一年是多少{unit}？"
                    failed = f"{period}每年参加继续教育不少于 {{min}} {unit}，您最少的一年为 {{value}} {unit}"
                else:
                    question = f"您{period}累计参加继续教育多少{unit}？"
                    failed = f"{period}继续教育累计 {{value}} {unit}，要求不少于 {{min}} {unit}，还差 {{short}} {unit}"
                self.parameters["ce_min"] = {"value": amount, "clause": self.clause(b, s)}
                self.add_rule(None, {"id": "continuing_education", "title": "继续教育", "check": "min_number",
                                     "params": {"fact": "ce_credits", "min": "$ce_min", "unit": f" {unit}"},
                                     "messages": {"failed": failed},
                                     "clause": self.clause(b, s)})
                self.questions["ce_credits"] = question
                self.used.add(s)
                part = re.search(r"其中[^。；]+", s)
                if part:  # 「其中专业科目不少于60学时」: a share the engine does not check
                    self.open_items.append(OpenItem(text=part.group(0), clause=self.clause(b, s),
                                                    why="继续教育中某类科目的要求，程序只核对总数：请保留为提示"))
                return

    def cut_off(self) -> None:
        for b in self.blocks:
            for s in [*sentences(b.text), *b.notes]:
                ns = nfkc(s)
                if not re.search(r"年限|任职", ns):
                    continue
                m = re.search(r"(?:计算|截止|截至)[^0-9]{0,8}(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", ns)
                if m:
                    self.as_of = (dt.date(int(m[1]), int(m[2]), int(m[3])), self.clause(b, s))
                    self.used.add(s)
                    return

    def _title_year_items(self) -> list[tuple[Block, list[str], str | None, float, str]]:
        """Sentences 「具有X学历，取得T资格后，从事…满N年」 in the conditions section."""
        out = []
        for b in self.blocks:
            if not self.in_section(b, r"学历|资历|条件") or self.in_section(b, r"破格|技能|转评|继续教育"):
                continue
            for s in sentences(b.text):
                edus = educations(s.split("取得")[0]) if "取得" in s else []
                title = title_named(s)
                years = _years(s.split("且")[0])
                if edus and title and years and "后" in s:
                    out.append((b, edus, title, years, s))
        return out

    def education_years(self) -> None:
        items = self._title_year_items()
        if items:
            table: dict[str, float] = {}
            extra: dict[str, tuple[float, Block, str]] = {}
            title = items[0][2]
            for b, edus, t, years, s in items:
                if t != title:
                    continue
                for e in edus:
                    table[e] = years
                total = re.search(r"且[^。；]*?累计[^。；]*?满\s*" + _NUM + r"\s*年", nfkc(s))
                if total:
                    for e in edus:
                        extra[e] = (_n(total.group(1)), b, s)
                self.used.add(s)
            self._normal_routes(items, table, extra, title)
        for b in self.blocks:
            if b.table and self.in_section(b, r"学历|资历|条件"):
                self._education_table(b)

    def _normal_routes(self, items: list[Any], table: dict[str, float], extra: dict[str, Any], title: str) -> None:
        first = items[0][0]
        lead = next((x for x in self.blocks if x.text == first.lead), None) if first.lead else None
        route_clause = self.clause(lead or first, lead.text if lead else None)
        plain = [e for e in EDU_ORDER if e in table and e not in extra]
        groups = [("normal", "正常申报", plain)] + [
            (f"normal_{e}", f"正常申报（{_EDU_CN[e]}）", [e]) for e in EDU_ORDER if e in extra]
        for rid, rtitle, edus in groups:
            if not edus:
                continue
            self.route(rid, rtitle, route_clause, "正常申报")
            quote = "；".join(s for _, es, _, _, s in items if set(es) & set(edus))
            clause = {**route_clause, "quote": quote}
            self.add_rule(rid, {"id": "education", "title": "规定学历", "check": "education",
                                "params": {"levels": edus, "related": False}, "clause": clause})
            self.add_rule(rid, {"id": "title_years", "title": f"取得{_TITLE_CN[title]}资格后年限", "check": "title_years",
                                "params": {"title": title, "years": {e: _int(table[e]) for e in edus}},
                                "clause": clause})
            for e in edus:
                if e in extra:
                    total, b, s = extra[e]
                    self.add_rule(rid, {"id": "total_work_years", "title": "累计专业工作年限", "check": "work_years",
                                        "params": {"years": {e: _int(total)}}, "clause": self.clause(b, s)})

    def _education_table(self, b: Block) -> None:
        """表：学历 × (取得助理工程师资格后 N 年 | 未取得…毕业后 N 年). One route per column."""
        assert b.table is not None
        header, rows = b.table[0], b.table[1:]
        for col in range(1, len(header)):
            h = header[col]
            title = title_named(h)
            without = bool(re.search(r"未取得|毕业后|直接", h))
            years: dict[str, float] = {}
            for row in rows:
                if col >= len(row):
                    continue
                cell = nfkc(row[col])
                m = re.search(_NUM + r"\s*年", cell)
                edus = educations(row[0])
                if m and edus:
                    years[edus[0]] = _n(m.group(1))
            if not years:
                continue
            quote = b.text
            note = next((n for n in b.notes if re.search(r"直接|未取得", n)), "")
            if without:
                rid = "direct"
                self.route(rid, "直接申报", self.clause(b, note or quote), "正常申报")
                self.add_rule(rid, {"id": "education", "title": "学历", "check": "education",
                                    "params": {"levels": [e for e in EDU_ORDER if e in years], "related": False},
                                    "clause": self.clause(b, quote)})
                self.add_rule(rid, {"id": "work_years", "title": "毕业后专业工作年限", "check": "work_years",
                                    "params": {"years": {e: _int(v) for e, v in years.items()},
                                               "since_graduation": True},
                                    "clause": self.clause(b, quote)})
                if note and "企业" in note:
                    allowed = ["enterprise", "other"] if re.search(r"社会组织|其他", note) else ["enterprise"]
                    self.add_rule(rid, {"id": "employer", "title": "单位性质", "check": "employer",
                                        "params": {"allowed": allowed},
                                        "assume_if_unknown": "未说明单位性质，按企业人员计算",
                                        "clause": self.clause(b, note)})
            elif title:
                rid = "normal"
                self.route(rid, "正常申报", self.clause(b, quote), "正常申报")
                self.add_rule(rid, {"id": "education", "title": "规定学历", "check": "education",
                                    "params": {"levels": [e for e in EDU_ORDER if e in years], "related": False},
                                    "clause": self.clause(b, quote)})
                self.add_rule(rid, {"id": "title_years", "title": f"取得{_TITLE_CN[title]}资格后年限",
                                    "check": "title_years",
                                    "params": {"title": title, "years": {e: _int(v) for e, v in years.items()}},
                                    "clause": self.clause(b, quote)})
        for n in b.notes:
            self._equivalence(b, n)

    def _equivalence(self, b: Block, note: str) -> None:
        """「技工院校预备技师（技师）班毕业的按大学本科学历对应，高级工班…按大学专科」."""
        pairs = {"technician_preparatory": r"预备技师", "technician_senior": r"高级工班",
                 "technician_intermediate": r"中级工班"}
        eq: dict[str, str] = {}
        for part in re.split(r"[，,；;]", note):
            for key, pat in pairs.items():
                if re.search(pat, part):
                    edus = educations(re.split(pat, part)[-1])
                    if edus:
                        eq[key] = edus[0]
        if eq:
            self.parameters["technician_school_equivalence"] = {"value": eq, "clause": self.clause(b, note)}
            for r in self.rules:
                if r["check"] in ("education", "title_years", "work_years"):
                    r["params"]["equivalence"] = "$technician_school_equivalence"
            self.used.add(note)

    def exceptional(self) -> None:
        for b in self.blocks:
            if b.lead or not self.in_section(b, r"破格"):
                continue
            for s in sentences(b.text):
                ns = nfkc(s)
                m = re.search(r"(?:下列|以下)条件(?:中)?\s*" + _NUM + r"\s*项|(?:下列|以下)条件之一", ns)
                title = title_named(ns)
                if not m or not title:
                    continue
                need = int(_n(m.group(1))) if m.group(1) else 1
                items = next((its for lead, its in lists(self.blocks) if lead is b), [])
                with_m = re.search(r"具备规定学历[^，,；]*?满\s*" + _NUM + r"\s*年", ns)
                without_m = re.search(r"不具备规定学历[^，,；]*?满\s*" + _NUM + r"\s*年", ns)
                self.route("exceptional", "破格申报", self.clause(b, s), "破格申报")
                normal_levels = next((r["params"]["levels"] for r in self.rules
                                      if r["check"] == "education" and r["id"] == "education"), EDU_ORDER[1:])
                if with_m and without_m and with_m.start() != without_m.start():
                    self.add_rule("exceptional", {
                        "id": "exceptional_tenure", "title": "破格任职年限", "check": "exceptional_tenure",
                        "params": {"title": title, "with_education": _int(_n(with_m.group(1))),
                                   "without_education": _int(_n(without_m.group(1))),
                                   "education_levels": normal_levels}, "clause": self.clause(b, s)})
                else:
                    years = _years(ns)
                    if years is None:
                        continue
                    self.add_rule("exceptional", {
                        "id": "exceptional_years", "title": f"取得{_TITLE_CN[title]}资格后年限",
                        "check": "title_years", "params": {"title": title, "years": _int(years)},
                        "clause": self.clause(b, s)})
                of = max(len(items), need)
                self.add_rule("exceptional", {
                    "id": "exceptional_achievements", "title": f"破格条件 {need} 项", "check": "count_at_least",
                    "params": {"fact": "exceptional_achievements", "min": need, "of": of},
                    "clause": self.clause(b, s)})
                if items:
                    listed = "；".join(f"{i}. {_item_text(it.text)}" for i, it in enumerate(items, 1))
                    self.questions["exceptional_achievements"] = (
                        f"任现职以来，您具备以下几项？（回答 0–{of}）{listed}")
                self.used.add(s)
                self.used.update(it.text for it in items)
                return

    def skilled(self) -> None:
        for b in self.blocks:
            if not self.in_section(b, r"技能"):
                continue
            for s in sentences(b.text):
                ns = nfkc(s)
                m = re.search(r"取得(高级技师|技师)[^，,。]*?后[^。]*?满\s*" + _NUM + r"\s*年", ns)
                if not m:
                    continue
                levels = ["senior_technician"] if m.group(1) == "高级技师" else ["technician", "senior_technician"]
                self.route("skilled", "高技能人才申报", self.clause(b, s), "高技能人才申报")
                self.add_rule("skilled", {"id": "skill_years", "title": f"{m.group(1)}满 {_int(_n(m.group(2)))} 年",
                                          "check": "skill_years",
                                          "params": {"levels": levels, "years": _int(_n(m.group(2)))},
                                          "clause": self.clause(b, s)})
                self.used.add(s)
                return

    def open_conditions(self) -> None:
        """Every sentence of the scope and conditions sections no rule took: quoted, not dropped.
        Sections are told by their headings (the path), never by the sentence itself."""
        for b in self.blocks:
            heads = SEP.join(b.path + ([title_of(b.text)] if b.level is not None and b.level <= 2 else []))
            if not b.path and b.level is None:
                continue  # the title, the addressees, the signature
            if not re.search(r"范围|条件|对象|资格|要求|破格|技能|转评|测试|考核|业绩|述职", heads):
                continue
            if re.search(r"材料|时间|程序|安排|联系|其他|附件|方式", SEP.join(b.path[:1]) or heads):
                continue
            if b.table:
                continue
            for s in sentences(b.text):
                text = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[）).．、]\s*", "", s).strip()
                text = re.sub(r"^[^。：:，,]{1,14}(?:条件|申报|范围|要求)[。：:]", "", text).strip()
                if len(text) < 8 or s in self.used or b.text in self.used:
                    continue
                if re.search(r"[：:]$", text) or re.search(r"(?:下列|以下)[^。]{0,10}[：:]?$", text):
                    continue  # a lead-in: its items are read one by one
                self.open_items.append(OpenItem(text=text.rstrip("；;。"), clause=self.clause(b, s),
                                                why="通知写明的条件，程序没有对应的规则形式：请核对后改写成规则，或保留为提示"))

    # --- materials and timeline --------------------------------------------------------------
    def materials(self) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        general: list[dict[str, Any]] = []
        per_route: dict[str, list[dict[str, Any]]] = {}
        for lead, items in lists(self.blocks):
            if lead is None or not (self.in_section(lead, r"材料") or re.search(r"材料", lead.text)):
                continue
            paper = bool(re.search(r"纸质", lead.text + SEP.join(lead.path)))
            for it in items:
                text = _item_text(it.text)
                short = text if len(text) <= 60 else text[:58] + "…"
                m = {"text": ("纸质：" if paper else "") + short, "clause": self.clause(it)}
                if "破格" in text:
                    per_route.setdefault("exceptional", []).append(m)
                elif re.search(r"高技能|技能人才", text):
                    per_route.setdefault("skilled", []).append(m)
                else:
                    general.append(m)
        return general, per_route

    def timeline(self) -> list[dict[str, Any]]:
        from knowledge.timeline_extract import extract_text

        found, _ = extract_text(self.nid, self.meta, self.body, self.meta.get("year"))
        out: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        for p in found:
            e = p.event
            key = (e.kind, e.date, e.start, e.end, e.working_days, e.undated_note, e.clause.quote)
            if key in seen:
                continue
            seen.add(key)
            out.append(e.model_dump(mode="json", exclude_none=True))
        return out

    # --- the whole plan ------------------------------------------------------------------------
    def build(self) -> Draft:
        self.excluded_applicants()
        self.assessment()
        self.continuing_education()
        self.cut_off()
        self.education_years()
        self.exceptional()
        self.skilled()
        self.open_conditions()
        general, per_route = self.materials()
        for rid, ms in per_route.items():
            if rid in self.routes:
                self.routes[rid]["materials"] = ms
            else:
                general += ms
        meta, prev = self.meta, self.previous or {}
        level = str(meta.get("level") or "")
        level = "高级工程师" if "高级" in level else "工程师"
        title_clause = {"notice": self.nid, "path": "（标题）", "quote": str(meta.get("title") or "")}
        routes = list(self.routes.values())
        if not routes:
            # No route the engine can check: one route whose conditions are the open items.
            routes = [{"id": "normal", "title": "申报", "clause": title_clause, "rules": [], "materials": [],
                       "platform_choice": None, "conditions_complete": False}]
        for r in routes:
            if not r.get("platform_choice"):
                r.pop("platform_choice", None)
            if not r["materials"]:
                r.pop("materials")
            if self.open_items:
                r["conditions_complete"] = False
        pid = _plan_id(meta)
        keywords = [w for w in [*(meta.get("region_aliases") or []), str(meta.get("series") or ""),
                                *(meta.get("series_aliases") or [])] if w]
        plan: dict[str, Any] = {
            "id": pid,
            "title": str(meta.get("title") or pid)[:80],
            # The series of last year's plan, word for word: reminders and the catalog match on it.
            "region": prev.get("region") or str(meta.get("region") or ""),
            "series": prev.get("series") or str(meta.get("series") or ""),
            "level": prev.get("level") or level,
            "year": meta.get("year"),
            "notice": self.nid,
        }
        if self.as_of:
            plan["as_of"] = self.as_of[0]
            plan["as_of_clause"] = self.as_of[1]
        plan["other_conditions_doc"] = None
        plan["keywords"] = list(dict.fromkeys(keywords))[:20]
        if self.questions:
            plan["questions"] = self.questions
        plan["parameters"] = self.parameters
        plan["rules"] = self.rules
        plan["general_rules"] = self.general_rules
        plan["general_materials"] = general
        plan["routes"] = routes
        plan["timeline"] = self.timeline()
        draft = Draft(plan=plan, open_items=self.open_items)
        draft.personas = personas(plan)
        return draft


_EDU_CN = {"secondary": "中专", "associate": "大学专科", "bachelor": "大学本科", "second_bachelor": "第二学士学位",
           "master": "硕士", "doctor": "博士"}
_TITLE_CN = {"assistant_engineer": "助理工程师", "engineer": "工程师", "senior_engineer": "高级工程师"}


def _item_text(text: str) -> str:
    return re.sub(r"^\d+\s*[.．、]\s*", "", text).rstrip("；;。").strip()


def _plan_id(meta: dict[str, Any]) -> str:
    named = [str(p) for p in (meta.get("plans") or [])]
    raw = named[0] if named else str(meta["id"])
    pid = re.sub(r"[^a-z0-9_-]+", "-", raw.lower()).strip("-")
    return pid if re.match(r"^[a-z]", pid) else f"plan-{pid}"


def draft_plan(meta: dict[str, Any], body: str, previous: dict[str, Any] | None = None) -> Draft:
    """A plan draft for the notice (front matter + body). `previous`: last year's plan of the
    same series, whose region/series/level wording the draft keeps."""
    return _Drafter(meta, body, previous).build()


# --- example personas ------------------------------------------------------------------------------
def _resolve(plan: dict[str, Any], v: Any) -> Any:
    if isinstance(v, str) and v.startswith("$"):
        return plan["parameters"][v[1:]]["value"]
    return v


def personas(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One applicant per route who meets exactly what the route's rules ask (as the notice is
    read into the draft), and the same applicant one year short. Run after every edit: a
    route whose meeting applicant is not eligible, or whose short one is, shows a rule that
    does not say what the officer means."""
    as_of = plan.get("as_of") or dt.date(int(plan.get("year") or dt.date.today().year), 12, 31)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    rules = {r["id"]: r for r in plan.get("rules", [])}
    base: dict[str, Any] = {"civil_servant": False, "employer_excluded": False, "employer_type": "enterprise",
                            "specialty": (plan.get("keywords") or ["本专业"])[0]}
    for rid in plan.get("general_rules", []):
        r = rules[rid]
        p = {k: _resolve(plan, v) for k, v in r["params"].items()}
        if r["check"] == "min_number":
            base[p["fact"]] = p["min"]
        elif r["check"] == "assessments":
            base[p.get("fact", "assessments")] = [p["accepted"][-1]] * int(p["count"])
    out = []
    for route in plan.get("routes", []):
        route_rules = [rules[r] for r in route.get("rules", []) if isinstance(r, str) and r in rules]
        # One applicant per education level the route's years table names (a threshold edited
        # for 本科 shows on the 本科 applicant), else one.
        tables = [_resolve(plan, r["params"]["years"]) for r in route_rules
                  if r["check"] in ("title_years", "work_years") and isinstance(_resolve(plan, r["params"]["years"]), dict)]
        levels = [e for e in EDU_ORDER if tables and e in tables[0]] or [None]
        for k, edu in enumerate(levels):
            facts, shortable = _persona_facts(plan, base, route_rules, edu, as_of)
            label = f"（{_EDU_CN[edu]}）" if edu else ""
            out.append({"name": f"符合「{route['title']}」所列条件的申报人{label}", "route": route["id"],
                        "expect": "meets", "facts": facts})
            if shortable and k == 0:
                short = dict(facts)
                if shortable == "title_since":
                    short["title_since"] = _plus_years(dt.date.fromisoformat(facts["title_since"]), 1).isoformat()
                else:
                    short["related_work_years"] = max(0, float(facts["related_work_years"]) - 1)
                    short["graduation_date"] = _plus_years(dt.date.fromisoformat(facts["graduation_date"]), 1).isoformat()
                out.append({"name": f"「{route['title']}」年限差一年的申报人{label}", "route": route["id"],
                            "expect": "fails", "facts": short})
    return out


def _persona_facts(plan: dict[str, Any], base: dict[str, Any], route_rules: list[dict[str, Any]], edu: str | None,
                   as_of: dt.date) -> tuple[dict[str, Any], str | None]:
    facts = dict(base)
    if edu:
        facts["education"] = edu
    shortable: str | None = None
    for r in route_rules:
        p = {k: _resolve(plan, v) for k, v in r["params"].items()}
        c = r["check"]
        if c == "education":
            facts.setdefault("education", p["levels"][0] if p["levels"] else "bachelor")
            facts["education_related"] = True
        elif c == "title_years":
            years = p["years"]
            e = facts.get("education") or "bachelor"
            need = years.get(e, max(years.values())) if isinstance(years, dict) else years
            facts["current_title"] = p["title"]
            facts["title_since"] = _minus_years(as_of, float(need))
            shortable = "title_since"
        elif c == "work_years":
            years = p["years"]
            e = facts.get("education") or next(iter(years))
            facts.setdefault("education", e)
            need = float(years.get(e, max(years.values())))
            facts["related_work_years"] = _int(need)
            facts["graduation_date"] = _minus_years(as_of, need)
            shortable = shortable or "related_work_years"
        elif c == "exceptional_tenure":
            facts["current_title"] = p["title"]
            facts["title_since"] = _minus_years(as_of, float(p["without_education"]))
            facts.setdefault("education", "associate")
        elif c == "count_at_least":
            facts[p["fact"]] = p["min"]
        elif c == "skill_years":
            facts["skill_level"] = p["levels"][-1]
            facts["skill_since"] = _minus_years(as_of, float(p["years"]))
            facts.setdefault("current_title", "none")
        elif c == "employer":
            facts["employer_type"] = p["allowed"][0]
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in facts.items()}, shortable


def _minus_years(d: dt.date, years: float) -> dt.date:
    whole = int(years)
    months = round((years - whole) * 12)
    y, m = d.year - whole, d.month - months
    while m < 1:
        y, m = y - 1, m + 12
    return dt.date(y, m, 1)


def _plus_years(d: dt.date, years: int) -> dt.date:
    return d.replace(year=d.year + years)


def run_personas(plan: Any, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each persona's verdict on the route it is for: ok when it meets (or fails) as expected."""
    from knowledge.eligibility.rules import evaluate

    out = []
    for case in cases:
        try:
            res = evaluate(plan, case.get("facts") or {}, what_if=False)
        except Exception as exc:  # a persona the officer edited into nonsense is reported, not raised
            out.append({**case, "ok": False, "result": f"无法计算：{exc}"})
            continue
        r = res.routes.get(case.get("route", ""))
        if r is None:
            out.append({**case, "ok": False, "result": "计划中没有这个申报方式"})
            continue
        meets = r.eligible is True or (r.stated_conditions_met and not r.conditions_complete)
        ok = meets if case.get("expect") == "meets" else not meets
        why = "；".join(f.message for f in r.failed) or "；".join(u.message for u in r.unknown)
        out.append({**case, "ok": ok, "result": ("符合所列条件" if meets else "不符合") + (f"：{why}" if why else "")})
    return out


# --- a supplement (补充通知) changes an existing plan --------------------------------------------------
def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[^\u4e00-\u9fff]", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)}


def draft_amendment(plan: dict[str, Any], meta: dict[str, Any], body: str) -> tuple[Draft, list[str]]:
    """The plan of the amended notice with the dates the supplement changes: each dated event
    of the supplement replaces the plan event it speaks of (most words in common, same kind
    preferred); sentences saying a date is unchanged (不变, 仍为) change nothing. Returns the
    draft and one line per change, for the officer to check."""
    import copy

    from knowledge.timeline_extract import UNCHANGED, extract_text

    new = copy.deepcopy(plan)
    found, _ = extract_text(str(meta["id"]), meta, body, meta.get("year"))
    changes: list[str] = []
    for p in found:
        e = p.event
        if not e.dated:
            continue
        if UNCHANGED.search(p.sentence):
            continue
        words = _bigrams(p.sentence)
        best, score = None, 0.0
        for old in new.get("timeline", []):
            if not any(old.get(k) for k in ("date", "start", "end")):
                continue  # an undated step has no date to change
            s = len(words & _bigrams(str(old.get("text", "")) + str(old["clause"]["quote"]))) / max(1, len(words))
            s += 0.3 if old.get("kind") == e.kind else 0.0
            if s > score:
                best, score = old, s
        if best is None or score < 0.25:
            continue
        before = {k: best.get(k) for k in ("date", "start", "end")}
        single = e.date or e.end
        if best.get("start") and best.get("end") and single and not e.start:
            best["end"] = single  # 「截止时间延长至…」 moves the end of a window
        else:
            for k in ("date", "start", "end"):
                v = getattr(e, k)
                if v is not None:
                    best[k] = v
        after = {k: best.get(k) for k in ("date", "start", "end")}
        if after != before:
            best["clause"] = e.clause.model_dump()
            changes.append(f"{best['text']}：{_when(before)} → {_when(after)}（{e.clause.quote[:40]}）")
    return Draft(plan=new, personas=personas(new)), changes


def _when(d: dict[str, Any]) -> str:
    if d.get("start") and d.get("end"):
        return f"{d['start']}至{d['end']}"
    return str(d.get("date") or d.get("end") or d.get("start") or "")
