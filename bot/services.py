"""Shared, lazily built services: one instance per process, handed to handlers via Context.

Each attribute is built on first use so that a CLI command pays only for what it needs
(e.g. `bot eligibility` never loads the embedding model).
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.store.base import StateStore
    from knowledge.catalog import Catalog
    from knowledge.lang.intents import IntentModel
    from knowledge.qa.service import QAService


class Services:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._lock = threading.Lock()
        self._plans: dict[str, Any] | None = None
        self._plans_seen: tuple[Any, ...] = ()
        self._catalog: Catalog | None = None
        self._catalog_seen: tuple[Any, ...] = ()

    @cached_property
    def embeddings(self) -> Any:
        """One embedding model per process, shared by Q&A and the intent classifier."""
        from knowledge.embeddings import make_embeddings

        with self._lock:
            return make_embeddings(self.settings)

    @cached_property
    def intents(self) -> IntentModel:
        from knowledge.embeddings import embeddings_name
        from knowledge.lang import intents

        return intents.IntentModel(self.embeddings, cache_dir=self.settings.data_dir / "cache",
                                   model_name=embeddings_name(self.settings))

    @cached_property
    def qa(self) -> QAService:
        from bot import metrics
        from knowledge.qa.service import QAService

        embeddings = self.embeddings
        with self._lock:
            qa = QAService.from_settings(self.settings, embeddings=embeddings)
        qa.on_retrieval = metrics.retrieval_latency.observe
        return qa

    @cached_property
    def store(self) -> StateStore:
        from bot.store import open_store

        return open_store(self.settings)

    @property
    def plans(self) -> dict[str, Any]:
        """Plans by id, reloaded when the plan files change: a plan published through another
        worker (or the CLI) is used here at once, not after a restart."""
        from knowledge.eligibility.plans import load_plans

        folder = self.settings.plans_dir
        seen = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in sorted(folder.glob("*.yaml")))
        if self._plans is None or seen != self._plans_seen:
            self._plans = load_plans(folder)
            self._plans_seen = seen
        return self._plans

    @property
    def catalog(self) -> Catalog:
        """Which notices are current, past or amending and which have a published plan —
        rebuilt when the notice or plan files change."""
        from knowledge.catalog import Catalog

        plans = self.plans
        folder = self.settings.notices_dir
        seen = (self._plans_seen, tuple((f.name, f.stat().st_mtime_ns) for f in sorted(folder.glob("*.md"))))
        if self._catalog is None or seen != self._catalog_seen:
            self._catalog = Catalog.load(folder, plans=plans, drafts_dir=self.settings.data_dir / "drafts")
            self._catalog_seen = seen
        return self._catalog

    @cached_property
    def wechat(self) -> Any:
        from bot.wechat.client import WeChatAPI

        return WeChatAPI(self.settings, self.store)


_default: Services | None = None


def get_services() -> Services:
    global _default
    if _default is None:
        _default = Services()
    return _default


def set_services(services: Services | None) -> None:
    """For tests and the CLI: install a Services built on specific settings."""
    global _default
    _default = services
