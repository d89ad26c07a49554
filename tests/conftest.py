"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.wechat.fake_server import FakeWeChat


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    """A fresh fake WeChat API server on a free loopback port (see bot/wechat/fake_server.py)."""
    with FakeWeChat() as fake:
        yield fake
