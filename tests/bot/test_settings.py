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


def test_production_starts_with_real_secrets(monkeypatch: pytest.MonkeyPatch,
                                             production_secrets: dict[str, str]) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    for name, value in production_secrets.items():
        monkeypatch.setenv(name.upper(), value)
    s = Settings(_env_file=None)
    assert not s.is_dev and s.aes_required


@pytest.mark.parametrize(("change", "needle"), [
    ({"wechat_token": "short1234"}, "WECHAT_TOKEN must be 16–32"),
    ({"wechat_token": "has-dashes-and-is-long-enough"}, "WECHAT_TOKEN must be 16–32 letters or digits"),
    ({"wechat_token": ""}, "WECHAT_TOKEN is the placeholder or empty"),
    ({"wechat_app_secret": "dev-secret"}, "WECHAT_APP_SECRET"),
    ({"wechat_app_id": "wx0000000000000000"}, "WECHAT_APP_ID"),
    ({"wechat_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}, "WECHAT_AES_KEY is the placeholder"),
    ({"wechat_aes_key": ""}, "43-character"),
    ({"wechat_aes_key": "Z" * 42 + "="}, "43-character"),
    ({"admin_token": "letmein"}, "ADMIN_TOKEN must be at least 24"),
])
def test_production_refuses_each_weak_secret_by_name(production_secrets: dict[str, str], change: dict[str, str],
                                                     needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        Settings(_env_file=None, app_env="production", **{**production_secrets, **change})  # type: ignore[arg-type]


def test_aes_required_by_default_in_production_only(production_secrets: dict[str, str]) -> None:
    assert not Settings(_env_file=None).aes_required  # type: ignore[call-arg]
    prod = Settings(_env_file=None, app_env="production", **production_secrets)  # type: ignore[arg-type]
    assert prod.aes_required
    opted_out = Settings(_env_file=None, app_env="production", wechat_require_aes=False,  # type: ignore[arg-type]
                         **production_secrets)
    assert not opted_out.aes_required


def test_malformed_aes_key_is_refused_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_AES_KEY", "too-short")
    with pytest.raises(ValidationError, match="43-character"):
        Settings(_env_file=None)
