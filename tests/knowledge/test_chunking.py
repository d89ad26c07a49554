"""Chunks carry the clause they come from, so every answer can cite it."""

from __future__ import annotations

from bot.settings import KNOWLEDGE_DIR
from knowledge.chunking import SEP, SIGNATURE, chunk_notice, heading_level
from knowledge.ingest import Notice, load_notice

LINPING = KNOWLEDGE_DIR / "notices" / "linping-manufacturing-engineer-2022.md"


def _find(chunks, needle):  # type: ignore[no-untyped-def]
    found = [c for c in chunks if needle in c.text.replace(" ", "")]
    assert found, f"no chunk holds {needle!r}"
    return found[0]


def test_heading_levels() -> None:
    assert heading_level("附件1") == 0
    assert heading_level("二、学历、资历要求") == 1
    assert heading_level("（一）正常申报人员应符合以下要求：") == 2
    assert heading_level("(二) 直接申报人员") == 2
    assert heading_level("1. 网上个人申报。") == 3
    assert heading_level("3、职称申报。") == 3
    assert heading_level("（1）大学专科毕业后") == 4
    assert heading_level("2022 年 7 月 20 日") is None
    assert heading_level("0.65 且小于等于 0.8") is None


def test_linping_clause_paths() -> None:
    chunks = chunk_notice(load_notice(LINPING))
    masters = _find(chunks, "实际聘任助理工程师职务满2年")
    parts = masters.section.split(SEP)
    assert parts[0] == "附件1 工程师资格申报条件"
    assert parts[1] == "二、学历、资历要求"
    assert parts[2].startswith("（一）正常申报人员")
    assert parts[3].startswith("1.")
    online = _find(chunks, "8月1日至15日")
    assert online.section == "二、时间安排 › 1. 网上个人申报"
    # Every chunk carries the notice and its metadata.
    assert {c.notice for c in chunks} == {"linping-manufacturing-engineer-2022"}
    assert all(c.meta["region"] == "临平区" and c.meta["year"] == 2022 for c in chunks)
    assert all(c.title.startswith("关于做好2022年度临平区") for c in chunks)


def test_list_item_keeps_its_lead_in() -> None:
    chunks = chunk_notice(load_notice(LINPING))
    bachelor = _find(chunks, "大学本科毕业后,从事本专业或相近专业工作5年以上")
    # The item alone does not say it waives the assistant-engineer title; its lead-in does.
    assert "对助理级职称不作要求" in bachelor.context
    assert "直接申报人员" in bachelor.section


def test_long_paragraph_split_on_sentences() -> None:
    long_para = "".join(f"第{i}句说明申报材料的要求。" for i in range(60))
    body = f"一、材料要求\n\n{long_para}\n"
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "测试通知"}, body=body))
    pieces = [c for c in chunks if c.section == "一、材料要求"]
    assert len(pieces) > 1
    assert all(p.text.endswith("。") for p in pieces)
    assert "".join(p.text for p in pieces) == long_para


# A city notice states education × years as a text table under a caption (tab-separated, as
# pasted from Word) and its timetable with «｜» between cells.
TABLES = """二、申报条件

（二）学历、资历条件。申报人员的学历、资历应符合表1规定的条件之一。

表1 工程师正常申报学历、资历条件
学历（学位）\t取得助理工程师资格后从事本专业工作年限\t未取得助理工程师资格，毕业后从事本专业工作年限
大学本科学历\t4年\t6年
中等专业学校\t7年\t不可直接申报

三、时间安排

表2 评审工作时间安排
序号｜工作环节｜时间｜说明
1｜个人网上申报｜2026年6月1日至6月17日｜逾期系统关闭
2｜纸质材料报送｜7月20日至7月24日｜—

四、其他事项

（一）申报人员对申报材料的真实性负责。
"""


def test_table_rows_read_with_their_headers_under_their_caption() -> None:
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "测试"}, body=TABLES))
    bachelor = _find(chunks, "大学本科学历")
    # A row alone («大学本科学历 4年 6年») says nothing; with its column names it answers
    # «本科有助工要几年» by itself.
    assert bachelor.text == ("学历（学位）：大学本科学历；取得助理工程师资格后从事本专业工作年限：4年；"
                             "未取得助理工程师资格，毕业后从事本专业工作年限：6年。")
    assert bachelor.section == "二、申报条件 › （二）学历、资历条件 › 表1 工程师正常申报学历、资历条件"
    online = _find(chunks, "个人网上申报")
    assert online.text == "工作环节：个人网上申报；时间：2026年6月1日至6月17日；说明：逾期系统关闭。"
    assert "序号" not in online.text and "—" not in _find(chunks, "纸质材料报送").text
    # The caption names its table only: the next clause is not cited under it.
    later = _find(chunks, "真实性负责")
    assert later.section == "四、其他事项 › （一）申报人员对申报材料的真实性负责"


def test_document_number_and_short_lines_are_not_part_titles() -> None:
    body = "关于做好评审工作的通知\n\n嘉环发〔2026〕23号\n\n各有关单位：\n\n一、时间安排\n\n申报时间为6月1日至6月17日。\n"
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "关于做好评审工作的通知"}, body=body))
    number = _find(chunks, "嘉环发〔2026〕23号")
    assert number.section == ""  # a line of its own, found by «文号多少»
    assert _find(chunks, "6月1日").section == "一、时间安排"
    assert not any("关于做好" in c.text for c in chunks)  # the title line of a plain-text notice


def test_list_items_share_their_list() -> None:
    body = ("四、申报材料\n\n（一）网上上传材料。申报人员应在省平台上传以下材料的扫描件：\n\n"
            "1. 《真实性保证书》（在线签署）；\n\n2. 近五年年度考核登记表；\n\n3. 继续教育学时登记证明。\n\n"
            "（二）证件照要求。JPG格式。\n\n五、联系方式\n\n各县（市、区）受理点联系电话：\n\n"
            "南湖分局 0573-82211406\n秀洲分局 0573-82723518\n")
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "测试"}, body=body))
    lead = _find(chunks, "上传以下材料的扫描件")
    items = [c for c in chunks if c.group == lead.group and c is not lead]
    assert lead.group == lead.order and [c.text[:2] for c in items] == ["1.", "2.", "3."]
    assert all(c.context == lead.text for c in items)
    assert _find(chunks, "证件照").group == -1
    # Short lines without punctuation are entries, kept apart, under their unnumbered lead-in.
    phones = _find(chunks, "南湖分局")
    assert phones.text == "南湖分局 0573-82211406\n秀洲分局 0573-82723518"
    assert phones.context == "各县（市、区）受理点联系电话：" and phones.group >= 0


def test_numbered_item_with_a_long_aside_is_kept() -> None:
    body = "一、评审范围\n\n（四）下列人员不得申报：\n\n1. 公务员（含参照公务员法管理的机关〔单位〕工作人员）；\n\n2. 已办理退休手续的人员。\n"
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "测试"}, body=body))
    assert _find(chunks, "公务员（含参照").context == "（四）下列人员不得申报："


def test_hard_wrapped_lines_are_joined() -> None:
    body = "一、时间安排\n1. 网上申报。申报时间为 8 月 1 日\n至 15 日，逾期不再受理。\n2. 单位审核。截止 8 月 26 日。\n"
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "测试"}, body=body))
    assert chunks[0].text == "1. 网上申报。申报时间为 8 月 1 日至 15 日，逾期不再受理。"
    assert chunks[1].section == "一、时间安排 › 2. 单位审核"


def test_signature_and_date_belong_to_no_clause() -> None:
    # A numbered attachment list before the signature must not pull it under «4.».
    body = ("六、其他事项\n\n4. 用人单位要做好培训指导。\n\n附件：1. 申报条件　2. 邮寄纸质材料清单\n\n"
            "某某区工程师资格评审委员会\n\n2022 年 7 月 20 日\n\n附件 1 申报条件\n\n一、学历要求\n\n本科毕业满 5 年。\n")
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "测试"}, body=body))
    signature = _find(chunks, "2022年7月20日")
    assert signature.section == SIGNATURE and "评审委员会" in signature.text
    assert _find(chunks, "本科毕业").section == "附件1 申报条件 › 一、学历要求"
    linping = chunk_notice(load_notice(LINPING))
    assert _find(linping, "2022年7月20日").section == SIGNATURE


def test_screenshot_labels_are_not_clause_headings() -> None:
    body = ("一、查询指引\n\n1. 登录系统查看。\n\n个人中心 密码修改 个人信息\n\n| 姓名: | | 性别: |\n|---|---|---|\n\n"
            "保存 返回首页\n\n系统操作咨询电话：400-027-0009\n")
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "测试"}, body=body))
    phone = _find(chunks, "400-027-0009")
    assert "返回首页" not in phone.section and phone.section.startswith("一、查询指引")
    assert not any("返回首页" in c.text or "密码修改" in c.section for c in chunks)
