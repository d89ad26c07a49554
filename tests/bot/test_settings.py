"""The settings object: documented in the README, strict about secrets in production."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n.upper() for n in Settings.model_fields if f"`{n.upper()}`" not in readme]
    assert not missing, f"README configuration table lacks {missing}; run `python -m bot config --markdown`"


def test_every_setting_has_a_description() -> None:
    assert all(f.description for f in Settings.model_fields.values())


def test_production_refuses_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ValidationError, match="WECHAT_TOKEN"):
        Settings(_env_file=None)


def test_production_starts_with_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("WECHAT_TOKEN", "a-real-token")
    monkeypatch.setenv("WECHAT_AES_KEY", "Z" * 43)
    s = Settings(_env_file=None)
    assert not s.is_dev


def test_malformed_aes_key_is_refused_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_AES_KEY", "too-short")
    with pytest.raises(ValidationError, match="43-character"):
        Settings(_env_file=None)
