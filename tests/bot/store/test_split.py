"""Which store `open_store` builds from the settings, and that the production split keeps
dialogs on PostgreSQL and short-lived keys (with TTLs) on Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.settings import Settings
from bot.store import open_store
from bot.store.base import user_lock_name
from bot.store.redis import RedisStore
from bot.store.split import SplitStore
from bot.store.sql import SQLStore
from bot.store.sqlite import SQLiteStore


def test_embedded_defaults_stay_on_sqlite(tmp_path: Path) -> None:
    s = open_store(Settings(data_dir=tmp_path))
    assert isinstance(s, SQLiteStore) and Path(s.path) == tmp_path / "state.db"
    s.close()
    # A SQLite DATABASE_URL (the reminders' embedded default) does not change the state store.
    s = open_store(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}"))
    assert isinstance(s, SQLiteStore)
    s.close()


def test_state_url_with_an_sqlalchemy_url_uses_the_sql_store(tmp_path: Path) -> None:
    s = open_store(Settings(data_dir=tmp_path, state_url=f"sqlite+pysqlite:///{tmp_path / 's.db'}"))
    assert isinstance(s, SQLStore)
    s.set_dialog("u", {"flow": "x"})
    assert SQLStore(f"sqlite:///{tmp_path / 's.db'}").get_dialog("u") == {"flow": "x"}
    s.close()


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL") or pytest.skip("TEST_DATABASE_URL not set")
    schema = f"t_split_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_production_split_dialogs_on_postgres_rest_on_redis(pg_schema_url: str, tmp_path: Path) -> None:
    redis_url = os.environ.get("TEST_REDIS_URL") or pytest.skip("TEST_REDIS_URL not set")
    prefix = f"test-{uuid.uuid4().hex}:"
    settings = Settings(data_dir=tmp_path, database_url=pg_schema_url, redis_url=redis_url, redis_prefix=prefix)
    store = open_store(settings)
    assert isinstance(store, SplitStore)
    assert isinstance(store.durable, SQLStore) and isinstance(store.ephemeral, RedisStore)
    try:
        store.set_dialog("o_user", {"flow": "eligibility", "step": 3})
        assert store.add("dedup:msg:1", "1", ttl_s=300)
        assert not store.add("dedup:msg:1", "1", ttl_s=300)
        with store.user_lock("o_user"):
            assert store.ephemeral.r.exists(prefix + "lock:" + user_lock_name("o_user"))  # type: ignore[attr-defined]
        r = store.ephemeral.r  # type: ignore[attr-defined]
        assert 0 < r.pttl(prefix + "dedup:msg:1") <= 300_000
        assert store.durable.get("dedup:msg:1") is None
        # Redis loses everything (restart without persistence): the dialog is still there.
        r.delete(*r.scan_iter(match=prefix + "*"))
        fresh = open_store(settings)
        assert fresh.get_dialog("o_user") == {"flow": "eligibility", "step": 3}
        assert fresh.add("dedup:msg:1", "1", ttl_s=300)
        fresh.close()
    finally:
        r = store.ephemeral.r  # type: ignore[attr-defined]
        keys = list(r.scan_iter(match=prefix + "*"))
        if keys:
            r.delete(*keys)
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_workers_starting_together_create_the_table_once(backend: str, tmp_path: Path) -> None:
    import threading

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = os.environ.get("TEST_DATABASE_URL") or pytest.skip("TEST_DATABASE_URL not set")
    table = f"kv_race_{uuid.uuid4().hex[:10]}"
    barrier, made, errors = threading.Barrier(6), [], []

    def start() -> None:
        barrier.wait()
        try:
            made.append(SQLStore(url, table=table))
        except Exception as exc:  # the race this guards against: "relation already exists"
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors and len(made) == 6
        made[0].set("k", "v")
        assert made[5].get("k") == "v"
    finally:
        if made:
            made[0].drop()
        for s in made:
            s.close()
