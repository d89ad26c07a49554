"""The relational database of subscriptions, the reminder outbox, the delivery log and users.

SQLAlchemy 2 Core over `settings.db_url`: a SQLite file by default, PostgreSQL
(`postgresql+psycopg://…`) for several workers. The schema is created and evolved only by
the Alembic migrations in `bot/migrations/` (`python -m bot db upgrade`); `metadata` below
is the single description both the migrations and the code use.

All timestamps are naive UTC `datetime`s (SQLite has no time zone type; PostgreSQL columns
are `timestamp without time zone`), converted to Asia/Shanghai only for display.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
)

from bot.files import private_file
from bot.settings import Settings
from bot.store.base import StoreError

log = logging.getLogger(__name__)

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("openid", String(64), primary_key=True),
    # Last message from the user: opens WeChat's 48-hour customer-service window.
    Column("last_message_at", DateTime, nullable=True),
    # Set by the `unsubscribe` event or errcode 43004: no push of any kind any more.
    Column("unsubscribed", Boolean, nullable=False, default=False),
    Column("created", DateTime, nullable=False),
)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("openid", String(64), nullable=False),
    # kind=plan: plan_id set, series ''; kind=series_next: series set ("region|series|level"),
    # plan_id = the plan the user came from. '' instead of NULL keeps the UNIQUE key strict.
    Column("plan_id", String(128), nullable=False, default=""),
    Column("series", String(128), nullable=False, default=""),
    Column("role", String(16), nullable=False),  # applicant | hr
    Column("kind", String(16), nullable=False),  # plan | series_next
    Column("created", DateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    UniqueConstraint("openid", "kind", "plan_id", "series", "role", name="uq_subscription"),
    Index("ix_subscriptions_openid", "openid"),
    Index("ix_subscriptions_plan", "plan_id"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("openid", String(64), nullable=False),
    Column("plan_id", String(128), nullable=False),
    Column("event_id", String(128), nullable=False),  # timeline event id, or "new_plan:<id>"
    Column("lead", Integer, nullable=False),  # days before the event (0 = the day itself)
    Column("due_at", DateTime, nullable=False),  # UTC; moved forward by back-off
    # pending → claimed (in flight, leased) → sent | failed | cancelled; back-off → pending
    Column("status", String(12), nullable=False, default="pending"),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", DateTime, nullable=True),
    # Set when a worker claims the row for sending: a row reclaimed after a crash with
    # sent_started set *may* have reached WeChat; see bot/reminders/outbox.py.
    Column("send_started", DateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_errcode", Integer, nullable=True),
    Column("channel", String(12), nullable=True),  # the channel that delivered it
    Column("sent_at", DateTime, nullable=True),
    Column("idem_key", String(40), nullable=False),  # client_msg_id for WeChat-side dedup
    Column("payload", Text, nullable=False),  # JSON: what the message says
    Column("created", DateTime, nullable=False),
    UniqueConstraint("openid", "plan_id", "event_id", "lead", name="uq_outbox_key"),
    Index("ix_outbox_status_due", "status", "due_at"),
    Index("ix_outbox_openid", "openid"),
    Index("ix_outbox_plan_status", "plan_id", "status"),
)

# What each plan's reminders were last scheduled from: a plan whose timeline (and the
# reminder settings) did not change is not re-scheduled at every scheduler start.
plan_sync = Table(
    "plan_sync", metadata,
    Column("plan_id", String(128), primary_key=True),
    Column("digest", String(40), nullable=False),
    Column("synced_at", DateTime, nullable=False),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", Integer, nullable=True),
    Column("openid", String(64), nullable=False),
    Column("plan_id", String(128), nullable=False, default=""),
    Column("channel", String(12), nullable=False),  # template | subscribe | custom | none
    Column("errcode", Integer, nullable=True),  # 0 = delivered; None = transport failure
    Column("errmsg", String(200), nullable=False, default=""),
    Column("worker", String(64), nullable=False, default=""),
    Column("at", DateTime, nullable=False),
    Index("ix_deliveries_openid", "openid"),
    Index("ix_deliveries_outbox", "outbox_id"),
)


# --- the HR console: who did what, every published version, sessions ----------------------------
# One row per action (upload, front matter change, draft, edit, publish, rollback, login …).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),  # the officer's name given at login, or the CLI user
    Column("action", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # notice | plan | session
    Column("object_id", String(128), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
    Index("ix_audit_object", "kind", "object_id"),
)

# Every version of a notice or plan file that went live; rollback restores the one before.
# content '' = the file did not exist (rolling back a first publication removes it).
content_versions = Table(
    "content_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # notice | plan
    Column("object_id", String(128), nullable=False),
    Column("content", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # publish | rollback
    Column("at", DateTime, nullable=False),
    Index("ix_versions_object", "kind", "object_id", "id"),
)

# HR console sessions: random ids (only their SHA-256 is stored), absolute and idle expiry,
# revoked on logout; `token_fp` ties a session to the ADMIN_TOKEN it was opened with.
admin_sessions = Table(
    "admin_sessions", metadata,
    Column("sid_hash", String(64), primary_key=True),
    Column("actor", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("token_fp", String(64), nullable=False),
    Column("created", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("expires", DateTime, nullable=False),
)

# Failed console logins per client address, for throttling (old rows are pruned on write).
admin_login_failures = Table(
    "admin_login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_login_failures_client", "client", "at"),
)


def utcnow() -> dt.datetime:
    """Naive UTC now, the form every column stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def make_engine(url: str) -> Engine:
    """An engine with the per-backend settings the outbox relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy's `begin` below own transactions, in WAL for concurrent readers.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            # Deleted rows (「删除我的信息」, retention) are overwritten, not left in free pages.
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            # Take the write lock at BEGIN: claims across processes are then serialised and
            # a read-then-update can never interleave with another worker's.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def scrub(engine: Engine) -> bool:
    """After deleting personal data from SQLite: move the WAL into the database file (where
    secure_delete zeroed the rows) and empty the WAL. False when a reader in another process
    kept part of the log; the next checkpoint finishes it. PostgreSQL: nothing (autovacuum)."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    try:
        busy = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        raw.close()
    return not busy


def where(url: str) -> str:
    """The database for messages: a SQLite path, or the URL without its password."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.database or url if u.get_backend_name() == "sqlite" else u.render_as_string(hide_password=True)


def check_database(settings: Settings, thorough: bool = False) -> str:
    """Open (and on SQLite migrate) the database and read from it; StoreError names it."""
    try:
        engine = get_engine(settings)
        with engine.connect() as c:
            if thorough and engine.dialect.name == "sqlite":
                result = c.exec_driver_sql("PRAGMA quick_check").scalar()
                if result != "ok":
                    raise StoreError(f"database {where(settings.db_url)}: integrity check failed: {result}")
            c.execute(select(users.c.openid).limit(1)).all()
    except StoreError:
        raise
    except Exception as e:
        raise StoreError(f"database {where(settings.db_url)}: {type(e).__name__}: {getattr(e, 'orig', e)}") from e
    return "ok"


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` to `revision` with the Alembic migrations."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    here = Path(__file__).resolve().parent / "migrations"
    cfg = Config(str(here / "alembic.ini"))
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(settings: Settings, migrate: bool = True) -> Engine:
    """The process-wide engine for `settings.db_url`; on SQLite the schema is upgraded on
    first use so `make run` needs no separate step (PostgreSQL deployments run
    `python -m bot db upgrade` once, before starting workers)."""
    url = settings.db_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            if migrate and url.startswith("sqlite"):
                upgrade(url)
            engine = make_engine(url)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
