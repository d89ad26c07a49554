"""Shared by the handler tests: one Services per module (plans parsed once, a real SQLite
state store) and a `chat` that talks through the real dispatcher as a user of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.dispatcher import dispatch
from bot.services import Services
from bot.settings import Settings
from handlers.base import Incoming


@dataclass
class Chat:
    services: Services
    user: str

    def say(self, text: str) -> str:
        reply = dispatch(Incoming(user=self.user, text=text), self.services)
        assert reply is not None
        return reply


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Services:
    tmp = tmp_path_factory.mktemp("state")
    return Services(Settings(data_dir=tmp, state_url=f"sqlite:///{tmp / 'state.db'}",
                             database_url="", redis_url=""))


@pytest.fixture
def chat(shared: Services, request: pytest.FixtureRequest) -> Chat:
    return Chat(shared, f"u-{request.module.__name__}-{request.node.name}")


def menu_number(reply: str, title: str) -> str:
    """The number a list shows in front of `title` («3. 临平区…»)."""
    m = re.search(r"(\d+)\. " + re.escape(title), reply)
    assert m, reply
    return m.group(1)
