"""「述职检查」 through the real dispatcher and a real SQLite state store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.dispatcher import dispatch
from bot.services import Services
from bot.settings import Settings
from handlers.base import Incoming
from handlers.shuzhi import count_text


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(Settings(data_dir=tmp_path, state_url=f"sqlite:///{tmp_path / 'state.db'}",
                             database_url="", redis_url=""))


def say(services: Services, text: str, user: str = "u-shuzhi") -> str:
    reply = dispatch(Incoming(user=user, text=text), services)
    assert reply is not None
    return reply


def total(reply: str) -> int:
    m = re.search(r"共 (\d+) 字", reply)
    assert m, reply
    return int(m.group(1))


def test_counting_rule_counts_everything_typed() -> None:
    c = count_text("本人2015年起从事CAD设计，负责3个项目。\n主持 技改。")
    assert (c.han, c.alnum, c.punct, c.spaces, c.newlines) == (17, 8, 3, 1, 1)
    assert c.total == 30 and c.without_blanks == 28
    assert count_text("  \r\n甲乙\r\n丙 \n").total == 4  # outer blanks dropped, CRLF is one break


def test_prefix_in_the_same_message_checks_at_once(services: Services) -> None:
    reply = say(services, "述职检查：" + "我" * 998 + "。")
    assert total(reply) == 999 and "✅" in reply and "还可以再写 1 字" in reply
    assert "空格" in reply and "换行" in reply  # the counting rule is stated
    assert "限1000字以内" in reply  # and the clause cited
    assert services.store.get_dialog("u-shuzhi") == {}  # no dialog left open


def test_over_the_limit_says_how_much_to_cut_and_where(services: Services) -> None:
    text = "甲" * 995 + "乙丙丁戊己庚辛壬癸子丑寅"
    reply = say(services, "述职检查 " + text)
    assert total(reply) == 1007
    assert "超出 7 字" in reply and "删减至少 7 字" in reply
    assert "之后的「庚辛壬癸子丑寅…」起超出" in reply


def test_spaces_alone_can_be_the_excess(services: Services) -> None:
    text = "\n\n".join(["字" * 245] * 4)  # 980 characters and 6 line breaks
    reply = say(services, "述职检查 " + text + "     " * 5 + "。")
    assert "超出" in reply and "去掉空格和换行后为 981 字" in reply


def test_long_text_over_several_messages_until_done(services: Services) -> None:
    start = say(services, "述职检查")
    assert "完成" in start
    first = say(services, "一" * 600)
    assert "第 1 条" in first and "共 600 字" in first
    second = say(services, "二" * 500)
    assert "第 2 条" in second and "共 1101 字" in second  # the join counts as one line break
    done = say(services, "完成")
    assert "共 2 条消息" in done and total(done) == 1101 and "超出 101 字" in done
    assert services.store.get_dialog("u-shuzhi") == {}  # the next message is ordinary again


def test_a_piece_opening_with_a_lead_in_counts_without_it(services: Services) -> None:
    """«还有一段：…» says the text goes on; those words are not part of the 述职 (the first piece
    keeps everything: it may well start «第一段：» on purpose)."""
    say(services, "述职检查")
    say(services, "一" * 600)
    second = say(services, "还有一段：" + "二" * 100)
    assert "「还有一段：」不计入" in second and "共 701 字" in second


def test_flow_survives_a_new_services_instance(services: Services, tmp_path: Path) -> None:
    say(services, "述职检查")
    say(services, "第一段" * 100)
    restarted = Services(services.settings)  # as after a restart: state comes from SQLite
    done = say(restarted, "完成")
    assert total(done) == 300


def test_cancel_and_empty_done(services: Services) -> None:
    say(services, "述职检查")
    assert "还没有收到" in say(services, "完成")
    assert "已退出" in say(services, "取消")
    assert services.store.get_dialog("u-shuzhi") == {}


def test_help_in_the_middle_keeps_the_collected_text(services: Services) -> None:
    say(services, "述职检查")
    say(services, "一" * 10)
    assert "我是职称助手" in say(services, "帮助")
    assert total(say(services, "完成")) == 10
