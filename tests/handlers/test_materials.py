"""「材料清单」 through the real dispatcher, a SQLite state store and the real plan files."""

from __future__ import annotations

from tests.handlers.conftest import Chat, menu_number

LINPING = "linping-manufacturing-engineer-2022"


def test_plan_then_route_lists_the_plan_files_own_items(chat: Chat) -> None:
    plan = chat.services.plans[LINPING]
    ask = chat.say("材料清单")
    ask_route = chat.say(menu_number(ask, plan.title))
    reply = chat.say(menu_number(ask_route, plan.route("exceptional").title))
    for m in plan.materials("exceptional"):  # every item of the plan file, none invented
        assert m.text in reply
    assert reply.count("\n") >= len(plan.materials("exceptional"))
    # the mailing list is shown apart, under its attachment (Linping 附件4)
    mailed = reply.split("评审通过后邮寄｜")
    assert len(mailed) == 2 and "邮寄纸质材料清单" in mailed[1]
    assert "评审表" in mailed[1]
    # the dialog is over, and the plan is remembered for the next tool (工作年限, 提醒 …)
    assert chat.services.store.get_dialog(chat.user) == {"last_plan": LINPING}


def test_route_items_differ_between_routes(chat: Chat) -> None:
    plan = chat.services.plans[LINPING]
    only_exceptional = {m.text for m in plan.route("exceptional").materials}
    assert only_exceptional
    reply = chat.say("材料清单 临平")  # the plan named in the same message
    normal = chat.say(menu_number(reply, plan.route("normal").title))
    assert not any(text in normal for text in only_exceptional)


def test_routes_from_a_finished_eligibility_dialog_are_used(chat: Chat) -> None:
    plan = chat.services.plans[LINPING]
    # what handlers/eligibility.py leaves when its result has been shown and the user moves on
    chat.services.store.set_dialog(chat.user, {"last_plan": LINPING, "plan": LINPING,
                                               "eligible_routes": ["normal", "direct"]})
    offer = chat.say("材料清单")
    assert f"沿用 {plan.title}？" in offer
    reply = chat.say("是")
    assert f"申报方式：{plan.route('normal').title}、{plan.route('direct').title}" in reply
    assert plan.general_materials[0].text in reply


def test_nonsense_answers_are_explained_and_lose_nothing(chat: Chat) -> None:
    chat.say("材料清单")
    assert "序号" in chat.say("随便")
    second = chat.say("99")
    assert "直接提问" in second  # after two misses, another way in is offered
    assert chat.services.store.get_dialog(chat.user)["flow"] == "materials"
    assert "已退出" in chat.say("取消")


def test_plan_remembered_then_all_routes_on_request(chat: Chat) -> None:
    plan = chat.services.plans[LINPING]
    chat.services.store.set_dialog(chat.user, {"plan": LINPING, "eligible_routes": ["normal"]})
    chat.say("材料清单")
    first = chat.say("是")
    assert f"申报方式：{plan.route('normal').title}\n" in first and "回复「全部」" in first
    everything = chat.say("全部")  # the word the reply offered, on its own
    assert "、".join(r.title for r in plan.routes) in everything
    assert chat.services.store.get_dialog(chat.user) == {"last_plan": LINPING,
                                                         "plan_routes": {"plan": LINPING, "routes": ["normal"]}}
    # and 「材料清单 全部」 in one message, after confirming the remembered plan
    chat.say("材料清单 全部")
    assert "、".join(r.title for r in plan.routes) in chat.say("是")


def test_after_a_filtered_list_another_message_is_routed_as_usual(chat: Chat) -> None:
    chat.services.store.set_dialog(chat.user, {"plan": LINPING, "eligible_routes": ["normal"]})
    chat.say("材料清单")
    chat.say("是")
    assert chat.say("帮助").startswith("我是职称助手")  # no 「还在进行」 hint: the list was shown
    assert chat.say("退出").startswith("好的。现在没有进行中的测试或设置")


def test_all_routes(chat: Chat) -> None:
    plan = chat.services.plans[LINPING]
    chat.say("材料清单 临平")
    reply = chat.say("全部")
    for m in plan.materials():
        assert m.text in reply
    # items that only one route needs say so
    title = plan.route("exceptional").title
    for m in plan.route("exceptional").materials:
        assert f"{m.text}［{title}］" in reply
    for m in plan.general_materials:
        assert f"{m.text}［" not in reply


def test_a_route_named_loosely_is_the_answer_not_a_goodbye(chat: Chat) -> None:
    """«正常的吧» sounds a little like «算了吧»; it names the route 正常申报 and gets its list."""
    plan = chat.services.plans[LINPING]
    chat.say(menu_number(chat.say("材料清单"), plan.title))
    reply = chat.say("正常的吧")
    assert "申报方式：正常申报" in reply and "已退出" not in reply


def test_a_route_said_at_the_start_is_not_asked_again(chat: Chat) -> None:
    """«材料清单 自评申报的»: once the plan is chosen, the list is that route's, with no route menu."""
    construction = chat.services.plans["hangzhou-construction-engineer-2024"]
    reply = chat.say(menu_number(chat.say("材料清单 自评申报的"), construction.title))
    assert "申报方式：自评申报" in reply and "您走哪种申报方式" not in reply
