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


def test_long_paragraph_split_on_sentences_and_tables_kept() -> None:
    long_para = "".join(f"第{i}句说明申报材料的要求。" for i in range(60))
    table = "| 序号 | 材料 |\n| --- | --- |\n| 1 | 评审表 |\n| 2 | 综合表 |"
    body = f"一、材料要求\n\n{long_para}\n\n二、清单\n\n{table}\n"
    chunks = chunk_notice(Notice(meta={"id": "t", "title": "测试通知"}, body=body))
    pieces = [c for c in chunks if c.section == "一、材料要求"]
    assert len(pieces) > 1
    assert all(p.text.endswith("。") for p in pieces)
    assert "".join(p.text for p in pieces) == long_para
    tables = [c for c in chunks if c.section == "二、清单"]
    assert len(tables) == 1 and tables[0].text == table


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
