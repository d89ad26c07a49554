"""Deployment files: .env.example lists every setting, compose and gunicorn configs hold together."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_env_example_lists_every_setting_and_is_current() -> None:
    values = dotenv_values(DEPLOY / ".env.example")
    fields = {n.upper() for n in Settings.model_fields}
    assert set(values) == fields, f"missing {fields - set(values)}, unknown {set(values) - fields}"
    check = subprocess.run([sys.executable, str(DEPLOY / "gen_env_example.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_env_example_loads_as_production_settings(monkeypatch: pytest.MonkeyPatch,
                                                  production_secrets: dict[str, str]) -> None:
    # As shipped, the REQUIRED secrets are empty and production refuses to start.
    with pytest.raises(ValueError, match="WECHAT_AES_KEY"):
        Settings(_env_file=DEPLOY / ".env.example")  # type: ignore[call-arg]
    monkeypatch.setenv("WECHAT_AES_KEY", production_secrets["wechat_aes_key"])
    with pytest.raises(ValueError, match=r"WECHAT_TOKEN.*WECHAT_APP_SECRET.*WECHAT_APP_ID"):
        Settings(_env_file=DEPLOY / ".env.example")  # type: ignore[call-arg]
    for name, value in production_secrets.items():
        monkeypatch.setenv(name.upper(), value)
    s = Settings(_env_file=DEPLOY / ".env.example")  # type: ignore[call-arg]
    assert s.app_env == "production"
    assert s.aes_required  # 安全模式 only
    assert s.database_url.startswith("postgresql+psycopg://")
    assert s.redis_url.startswith("redis://")
    assert s.scheduler_in_serve is False
    assert s.reminder_lead_days == Settings.model_fields["reminder_lead_days"].default


def test_compose_runs_every_backend_and_one_scheduler() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"bot", "scheduler", "postgres", "redis", "chroma"} <= set(services)
    for name in ("bot", "scheduler"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["REDIS_URL"].startswith("redis://")
        assert env["CHROMA_URL"].startswith("http://chroma:")
        assert str(env["SCHEDULER_IN_SERVE"]).lower() == "false"
    assert services["scheduler"]["deploy"]["replicas"] == 1
    assert "gunicorn" in services["bot"]["command"]
    for volume in compose["volumes"]:
        assert volume


def test_gunicorn_config_uses_uvicorn_workers_without_scheduler(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # the config would set a default
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["worker_class"] == "uvicorn.workers.UvicornWorker"
    module, _, attr = conf["wsgi_app"].partition(":")
    assert (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8").count(f"{attr} =")
    assert "SCHEDULER_IN_SERVE=false" in conf["raw_env"]
    assert conf["preload_app"] is False
