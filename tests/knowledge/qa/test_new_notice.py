"""Next year's notice, added as an HR officer adds it (plain text, front matter guessed), with a
补充通知 that moves one date: answered with no code change, and the five notices unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import KNOWLEDGE_DIR, Settings
from knowledge.ingest import load_notice, save_notice
from knowledge.qa.service import QAService

# Written for this test, in the style of a city notice: a text table, numbered lists with
# lead-ins, a county phone list.
NOTICE = """关于做好2027年度温州市电子信息工程专业工程师职务任职资格评审工作的通知

温人社发〔2027〕12号

各县（市、区）人力资源和社会保障局，各有关单位：

现就2027年度温州市电子信息工程专业工程师评审工作有关事项通知如下：

一、评审范围

本市行政区域内（含鹿城区、瑞安市、乐清市）企事业单位中从事集成电路、通信设备、电子元器件等电子信息工程技术工作的人员。

二、申报条件

（一）学历、资历条件。申报人员应符合表1规定的条件之一。

表1 学历与工作年限
学历\t取得助理工程师资格后工作年限\t未取得助理工程师资格工作年限
大学本科学历\t4年\t6年
大学专科学历\t5年\t9年

（二）继续教育。2024年至2026年累计参加继续教育不少于180学时。

三、时间安排

（一）网上申报。申报人员于2027年5月10日至5月28日登录省平台申报。

（二）单位审核。用人单位于6月10日前完成审核推荐。

（三）缴纳评审费。评审费每人350元，于7月1日至7月5日根据12333短信提示缴纳。

四、申报材料

（一）申报人员须在省平台上传以下材料：

1.《专业技术资格申报材料真实性保证书》；

2.学历证书；

3.近三年年度考核表；

4.本人述职（1200字以内）。

（二）纸质材料报送地址：温州市鹿城区锦绣路800号3楼305室。

五、联系方式

温州市电子信息工程专业工程师评审委员会办公室，联系电话：0577-88112233。

温州市人力资源和社会保障局

2027年4月20日
"""

SUPPLEMENT = """关于2027年度温州市电子信息工程专业工程师评审工作有关事项的补充通知

温人社发〔2027〕19号

各有关单位：

2027年4月20日，市人力资源和社会保障局印发了《关于做好2027年度温州市电子信息工程专业工程师职务任职资格评审工作的通知》（温人社发〔2027〕12号）。因省平台于5月中旬进行系统升级维护，部分申报人员无法在省平台正常提交申报材料。经研究，现将有关事项补充通知如下：

一、个人网上申报截止时间延长至2027年6月6日。已提交申报的人员无需重复提交；被用人单位退回修改的，可在延长期内修改后重新提交。

二、其他事项不变，仍按原通知执行。

温州市人力资源和社会保障局

2027年5月25日
"""

WENZHOU = "wenzhou-electronics-engineer-2027"
SUPPLEMENT_ID = "wenzhou-electronics-engineer-2027-supplement"


@pytest.fixture(scope="module")
def with_new(tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings,
             qa_service: QAService) -> QAService:
    root = tmp_path_factory.mktemp("new-notice")
    notices = root / "notices"
    notices.mkdir()
    for p in (KNOWLEDGE_DIR / "notices").glob("*.md"):
        shutil.copy(p, notices / p.name)
    for name, text in ((f"{WENZHOU}.txt", NOTICE), (f"{SUPPLEMENT_ID}.txt", SUPPLEMENT)):
        f = root / name
        f.write_text(text, encoding="utf-8")
        save_notice(load_notice(f), notices)
    settings = kb_settings.model_copy(update={"data_dir": root / "data", "notices_dir": notices})
    settings.index_dir.mkdir(parents=True)
    for cache in Path(kb_settings.index_dir).glob("embedding-cache-*.npz"):
        shutil.copy(cache, settings.index_dir / cache.name)  # the five are not embedded again
    return QAService.from_settings(settings)


def _flat(text: str) -> str:
    return text.replace(" ", "")


def test_guessed_front_matter_is_enough(with_new: QAService) -> None:
    ans = with_new.answer("温州电子信息工程师述职写多少字")
    assert ans.answered and "1200" in ans.text and ans.notices == [WENZHOU] and WENZHOU in ans.named
    assert with_new.plans_named("温州电子工程师什么时候申报") == [SUPPLEMENT_ID, WENZHOU]


def test_a_table_row_answers_with_its_column_names(with_new: QAService) -> None:
    ans = with_new.answer("本科没有助工，温州电子信息工程师要干几年")
    assert ans.answered and "6年" in _flat(ans.text) and "表1" in ans.text.splitlines()[-1]


def test_a_question_about_a_list_gets_the_whole_list(with_new: QAService) -> None:
    ans = with_new.answer("温州电子信息工程师网上要传哪些材料")
    assert ans.answered
    for item in ("真实性保证书", "学历证书", "年度考核表", "本人述职"):
        assert item in ans.text


def test_the_supplement_wins_where_it_changes_the_date(with_new: QAService) -> None:
    ans = with_new.answer("温州电子信息工程师网上申报最晚哪天")
    assert ans.answered and "6月6日" in _flat(ans.text) and "5月28日" not in _flat(ans.text)
    assert ans.notices == [SUPPLEMENT_ID]
    # What it leaves alone is answered from the notice itself.
    fee = with_new.answer("温州电子信息工程师评审费多少钱")
    assert "350" in fee.text and fee.notices == [WENZHOU]


def test_what_the_new_notice_is_not_is_declined(with_new: QAService) -> None:
    senior = with_new.answer("温州电子信息高工什么时候申报")
    assert not senior.answered and "高级工程师" in senior.text
    other_city = with_new.answer("台州电子信息工程师什么时候申报")
    assert not other_city.answered


@pytest.mark.parametrize("question", [
    "临平区制造业工程师网上申报是几号到几号？",
    "水利高工评审表要打印一式几份",
    "建设工程专业自评申报自评分要达到多少？",
    "化工轻纺高工的业绩成果材料截止到哪天",
])
def test_adding_a_notice_changes_no_other_notices_answer(with_new: QAService, qa_service: QAService,
                                                        question: str) -> None:
    before, after = qa_service.answer(question, cached=False), with_new.answer(question, cached=False)
    assert after.answered and after.text == before.text


def test_a_lead_in_that_only_announces_what_follows_is_not_the_answer(with_new: QAService) -> None:
    # The preamble («…无法在省平台正常提交…现将有关事项补充通知如下：») shares more words with the
    # question than the item does; the item answers.
    ans = with_new.answer("我之前已经在平台上交了温州电子信息工程师的申报，要不要重新提交一遍")
    assert ans.answered and "无需重复提交" in ans.text
