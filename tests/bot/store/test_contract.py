"""One contract, every backend: SQLite always, Redis when TEST_REDIS_URL is set."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store.base import StateStore
from bot.store.sqlite import SQLiteStore

Factory = Callable[[], StateStore]


@pytest.fixture(params=["sqlite", "redis", "sql-sqlite", "sql-postgres", "split-postgres-redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    """Returns a factory: each call is a new store instance (a new 'worker') on the same data."""
    made: list[StateStore] = []
    if request.param == "sqlite":
        def factory() -> StateStore:
            made.append(SQLiteStore(tmp_path / "state.db"))
            return made[-1]
    elif request.param != "redis":
        factory, cleanup = _sql_backend(request.param, tmp_path, made)
        yield factory
        for s in made:
            s.close()
        cleanup()
        return
    else:
        url = os.environ.get("TEST_REDIS_URL")
        if not url:
            pytest.skip("TEST_REDIS_URL not set")
        from bot.store.redis import RedisStore

        prefix = f"test-{uuid.uuid4().hex}:"

        def factory() -> StateStore:
            made.append(RedisStore(url, prefix=prefix))
            return made[-1]
    yield factory
    if request.param == "redis" and made:
        r = made[0].r  # type: ignore[attr-defined]
        keys = list(r.scan_iter(match=made[0].prefix + "*"))  # type: ignore[attr-defined]
        if keys:
            r.delete(*keys)
    for s in made:
        s.close()


def _sql_backend(param: str, tmp_path: Path, made: list[StateStore]) -> tuple[Factory, Callable[[], None]]:
    """SQLStore on SQLite / PostgreSQL, and the production SplitStore (PostgreSQL + Redis),
    each run in its own table and Redis prefix (dropped afterwards)."""
    from bot.store.split import SplitStore
    from bot.store.sql import SQLStore

    table = f"kv_test_{uuid.uuid4().hex[:12]}"
    if param == "sql-sqlite":
        url = f"sqlite:///{tmp_path / 'sql.db'}"
    else:
        url = os.environ.get("TEST_DATABASE_URL") or pytest.skip("TEST_DATABASE_URL not set")
    redis_url = ""
    if param.startswith("split"):
        redis_url = os.environ.get("TEST_REDIS_URL") or pytest.skip("TEST_REDIS_URL not set")
    prefix = f"test-{uuid.uuid4().hex}:"

    def factory() -> StateStore:
        store: StateStore = SQLStore(url, table=table)
        if redis_url:
            from bot.store.redis import RedisStore

            store = SplitStore(store, RedisStore(redis_url, prefix=prefix))
        made.append(store)
        return store

    def cleanup() -> None:
        admin = SQLStore(url, table=table)
        admin.drop()
        admin.close()
        if redis_url:
            from bot.store.redis import drop_prefix

            drop_prefix(redis_url, prefix)

    return factory, cleanup


def run_threads(n: int, fn: Callable[[int], None]) -> None:
    barrier = threading.Barrier(n)

    def go(i: int) -> None:
        barrier.wait()
        fn(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_get_set_delete_and_ttl(make_store: Factory) -> None:
    s = make_store()
    assert s.get("a") is None
    s.set("a", "1")
    s.set("b", "2", ttl_s=60)
    s.set("c", "3", ttl_s=0.05)
    assert (s.get("a"), s.get("b")) == ("1", "2")
    time.sleep(0.1)
    assert s.get("c") is None
    s.set("a", "3", ttl_s=60)
    assert s.get("a") == "3"
    s.delete("a", "b", "never-existed")
    assert s.get("a") is None and s.get("b") is None


def test_add_is_an_atomic_claim_across_workers(make_store: Factory) -> None:
    stores = [make_store() for _ in range(8)]
    wins: list[int] = []
    run_threads(8, lambda i: wins.append(i) if stores[i].add("claim", str(i), ttl_s=10) else None)
    assert len(wins) == 1
    assert stores[0].get("claim") == str(wins[0])


def test_add_succeeds_again_after_expiry(make_store: Factory) -> None:
    s = make_store()
    assert s.add("k", "1", ttl_s=60)
    assert not s.add("k", "2", ttl_s=60)
    assert s.add("short", "1", ttl_s=0.05)
    time.sleep(0.1)
    assert s.add("short", "3")
    assert (s.get("k"), s.get("short")) == ("1", "3")


def test_incr_counts_every_increment(make_store: Factory) -> None:
    stores = [make_store() for _ in range(4)]

    def bump(i: int) -> None:
        for _ in range(25):
            stores[i].incr("n")

    run_threads(4, bump)
    assert stores[0].get("n") == "100"
    assert stores[0].incr("n", 5) == 105


def test_incr_ttl_applies_when_created(make_store: Factory) -> None:
    s = make_store()
    assert s.incr("t", ttl_s=0.05) == 1
    time.sleep(0.1)
    assert s.incr("t") == 1


def test_lock_excludes_other_workers(make_store: Factory) -> None:
    stores = [make_store() for _ in range(4)]
    inside: list[int] = []
    overlap: list[bool] = []

    def work(i: int) -> None:
        for _ in range(5):
            with stores[i].lock("x", timeout_s=10):
                inside.append(i)
                overlap.append(len(inside) > 1)
                time.sleep(0.001)
                inside.remove(i)

    run_threads(4, work)
    assert len(overlap) == 20 and not any(overlap)


def test_expired_lease_is_taken_over_and_not_released_by_old_holder(make_store: Factory) -> None:
    a, b = make_store(), make_store()
    with a.lock("y", timeout_s=0.05):
        time.sleep(0.1)  # a's lease ran out (e.g. a crashed worker)
        with b.lock("y", timeout_s=1.0):
            pass
        # b released its own lock; now take it again and let a's exit run inside it
        cm = b.lock("y", timeout_s=5.0)
        cm.__enter__()
    # a's release must not have removed b's lock
    with pytest.raises(TimeoutError), a.lock("y", timeout_s=0.1):
        pass
    cm.__exit__(None, None, None)
    with a.lock("y", timeout_s=0.5):
        pass


def test_dialog_state_round_trip(make_store: Factory) -> None:
    s = make_store()
    assert s.get_dialog("u") == {}
    s.set_dialog("u", {"flow": "eligibility", "answers": {"学历": "本科"}})
    assert make_store().get_dialog("u") == {"flow": "eligibility", "answers": {"学历": "本科"}}
    s.set_dialog("u", {})
    assert s.get_dialog("u") == {}
    with s.user_lock("u"):
        s.set_json("j", [1, "二"])
    assert s.get_json("j") == [1, "二"]


def test_sqlite_memory_store_is_one_database_across_threads() -> None:
    s = SQLiteStore(":memory:")
    run_threads(4, lambda i: s.set(f"k{i}", str(i)))
    assert [s.get(f"k{i}") for i in range(4)] == ["0", "1", "2", "3"]


# --- leases, batches, sweeps, erasure, health ------------------------------------------------------
def test_a_renewed_lease_outlives_its_ttl_and_a_dead_one_lapses(make_store: Factory) -> None:
    a, b = make_store(), make_store()
    with a.lock("held", timeout_s=5, lease_s=0.3):
        time.sleep(0.8)  # well past the lease: a's process renews it while a works
        with pytest.raises(TimeoutError), b.lock("held", timeout_s=0.2, lease_s=0.3):
            pass
    # A holder that dies never renews: its lease is someone else's within one lease.
    assert a.add("lock:dead", "token-of-a-dead-process", ttl_s=0.3)
    t0 = time.monotonic()
    with b.lock("dead", timeout_s=5, lease_s=0.3):
        assert time.monotonic() - t0 < 2


def test_renew_and_release_touch_only_our_own_token(make_store: Factory) -> None:
    s = make_store()
    assert s.add("lease", "mine", ttl_s=0.2)
    assert not s.renew("lease", "theirs", 60)
    s.release("lease", "theirs")
    assert s.get("lease") == "mine"
    assert s.renew("lease", "mine", 60)
    time.sleep(0.3)
    assert s.get("lease") == "mine"  # renewed past its first TTL
    s.release("lease", "mine")
    assert s.get("lease") is None
    assert not s.renew("lease", "mine", 60)  # gone: nothing to renew


def test_apply_writes_a_batch_of_sets_and_deletes(make_store: Factory) -> None:
    s, other = make_store(), make_store()
    s.set("dialog:u", "old")
    s.set("pending:u", "rest")
    s.apply([("set", "dialog:u", "new", 60), ("delete", "pending:u"), ("set", "done:msg:1", '{"reply": "好"}', 60)])
    assert (other.get("dialog:u"), other.get("pending:u"), other.get_json("done:msg:1")) == ("new", None, {"reply": "好"})
    s.apply([])


def test_scan_lists_live_keys_by_prefix_only(make_store: Factory) -> None:
    s = make_store()
    for k in ("late:a", "late:b_%*[x]", "later", "lat:e", "x-late:c"):
        s.set(k, "1")
    s.set("late:gone", "1", ttl_s=0.05)
    time.sleep(0.1)
    assert sorted(s.scan("late:")) == ["late:a", "late:b_%*[x]"]
    assert s.scan("late:b_%*") == ["late:b_%*[x]"]  # wildcard characters are literal


def test_erase_removes_the_keys(make_store: Factory) -> None:
    s = make_store()
    s.set_dialog("o_erase", {"flow": "x"})
    s.set("pending:o_erase", "rest")
    s.erase("dialog:o_erase", "pending:o_erase")
    assert s.get_dialog("o_erase") == {} and make_store().get("pending:o_erase") is None


def test_check_passes_on_a_working_store(make_store: Factory) -> None:
    s = make_store()
    s.check()
    s.check(thorough=True)


@pytest.mark.parametrize("backend", ["sqlite", "sql-sqlite"])
def test_a_corrupt_file_is_refused_naming_it(backend: str, tmp_path: Path) -> None:
    from bot.store.base import StoreError
    from bot.store.sql import SQLStore

    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database, it was overwritten by accident" * 100)
    with pytest.raises(StoreError, match=str(path)):
        SQLiteStore(path) if backend == "sqlite" else SQLStore(f"sqlite:///{path}")


def test_sqlite_files_are_private(tmp_path: Path) -> None:
    s = SQLiteStore(tmp_path / "new" / "state.db")
    s.set("k", "v")
    for f in (tmp_path / "new").iterdir():
        assert f.stat().st_mode & 0o077 == 0, f"{f.name} is readable by others"
    assert (tmp_path / "new").stat().st_mode & 0o077 == 0
    s.close()
