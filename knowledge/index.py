"""The knowledge index: chromadb vectors (own embeddings) + a BM25 index over jieba tokens.

Layout under `settings.index_dir`:

    CURRENT                 name of the live version (replaced atomically)
    v<time>-<hash>/         one complete build: chroma/, chunks.json, bm25.json, manifest.json

A rebuild writes a new version directory and only then swaps CURRENT, so a failed ingest
leaves the working index untouched; running services notice the swap and reload.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.chunking import Chunk, chunk_notices
from knowledge.ingest import IngestError, Notice, load_dir, notices_digest
from knowledge.lang.text import Tokenizer

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.settings import Settings

log = logging.getLogger(__name__)

FORMAT = 10  # bump when chunking or tokenisation changes: forces a rebuild
CURRENT = "CURRENT"
COLLECTION = "chunks"


class BM25:
    """Okapi BM25 over pre-tokenised documents; tiny corpus, so plain dicts and numpy."""

    def __init__(self, docs: list[list[str]], k1: float = 1.4, b: float = 0.6) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avgdl = float(self.lengths.mean()) if self.n else 1.0
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                self.postings.setdefault(term, []).append((i, tf))
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self.max_idf = math.log(1 + (self.n + 0.5) / 0.5) if self.n else 1.0

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avgdl, 1e-6))
        for term in set(query):
            for i, tf in self.postings.get(term, ()):
                out[i] += self.idf[term] * tf * (self.k1 + 1) / (tf + norm[i])
        return out

    def idf_of(self, term: str) -> float:
        """IDF, with unseen terms at the maximum (they are the most specific words)."""
        return self.idf.get(term, self.max_idf)

    def __contains__(self, term: str) -> bool:
        return term in self.postings

    @classmethod
    def from_tokens(cls, docs: list[list[str]]) -> BM25:
        return cls(docs)


@dataclass
class KnowledgeIndex:
    version: str
    path: Path
    chunks: list[Chunk]
    tokens: list[list[str]]
    bm25: BM25
    collection: Any
    notices: dict[str, dict[str, Any]]  # id → front matter
    manifest: dict[str, Any]

    def dense(self, vector: list[float], n: int, notice_ids: list[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine similarity), best first."""
        kwargs: dict[str, Any] = {"query_embeddings": [vector], "n_results": max(1, min(n, len(self.chunks)))}
        if notice_ids:
            kwargs["where"] = {"notice": {"$in": list(notice_ids)}}
        res = self.collection.query(**kwargs, include=["distances"])
        pos = {c.id: i for i, c in enumerate(self.chunks)}
        return [(pos[cid], 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=False)
                if cid in pos]


# --- building ----------------------------------------------------------------------------------------

def _client(settings: Settings, version_dir: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        u = urlparse(settings.chroma_url)
        return chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000,
                                   ssl=u.scheme == "https", settings=chroma_settings)
    return chromadb.PersistentClient(path=str(version_dir / "chroma"), settings=chroma_settings)


def _collection_name(settings: Settings, version: str) -> str:
    # A shared Chroma server keeps every version side by side; the embedded store has one per dir.
    return f"zhicheng-{version}" if settings.chroma_url else COLLECTION


def build_digest(settings: Settings) -> str:
    from knowledge.embeddings import embeddings_name

    return f"{FORMAT}:{embeddings_name(settings)}:{notices_digest(settings.notices_dir)}"


def current_version(settings: Settings) -> str | None:
    p = settings.index_dir / CURRENT
    try:
        name = p.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if name and (settings.index_dir / name / "manifest.json").exists() else None


def current_marker(settings: Settings) -> float:
    """Changes whenever CURRENT is swapped (cheap to poll)."""
    try:
        return (settings.index_dir / CURRENT).stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def build(settings: Settings, embeddings: Embeddings, tokenizer: Tokenizer,
          notices: list[Notice] | None = None) -> str:
    """Build a complete new version beside the live one, then swap CURRENT. Returns the version."""
    notices = load_dir(settings.notices_dir) if notices is None else notices
    if not notices:
        raise IngestError(f"{settings.notices_dir} 中没有通知（*.md）")
    digest = build_digest(settings)
    started = time.perf_counter()
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    version = f"v{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{digest.rsplit(':', 1)[-1][:8]}"
    vdir = settings.index_dir / version
    tmp = settings.index_dir / f".building-{version}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        chunks = chunk_notices(notices)
        for n in notices:
            if not any(c.notice == n.id for c in chunks):
                raise IngestError(f"通知 {n.id}（{n.path.name if n.path else n.id}）没有可检索的条款正文")
        tokens = [tokenizer.index_terms(c.index_text) for c in chunks]
        vectors = _embed_cached(settings, embeddings, [c.embed_text for c in chunks])
        client = _client(settings, tmp)
        name = _collection_name(settings, version)
        col = client.get_or_create_collection(name, embedding_function=None,
                                              metadata={"hnsw:space": "cosine"})
        col.add(ids=[c.id for c in chunks], embeddings=vectors,
                metadatas=[{"notice": c.notice, "order": c.order} for c in chunks],
                documents=[c.index_text for c in chunks])
        (tmp / "chunks.json").write_text(json.dumps([c.to_dict() for c in chunks], ensure_ascii=False),
                                         encoding="utf-8")
        (tmp / "tokens.json").write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
        manifest = {
            "version": version, "digest": digest, "format": FORMAT, "collection": name,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "chunks": len(chunks),
            "seconds": round(time.perf_counter() - started, 2),
            "notices": {n.id: {**n.meta, "file": n.path.name if n.path else None} for n in notices},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                                           encoding="utf-8")
        del col, client
        _release_client(tmp)
        os.replace(tmp, vdir)
    except BaseException:
        _release_client(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap(settings, version)
    log.info("index %s built: %d notices, %d chunks in %.1fs", version, len(notices), len(chunks),
             time.perf_counter() - started)
    return version


def _embed_cached(settings: Settings, embeddings: Embeddings, texts: list[str]) -> list[list[float]]:
    """Embed only passages not seen before: adding one notice does not re-embed the others."""
    import hashlib

    from knowledge.embeddings import embeddings_name

    name = hashlib.sha1(embeddings_name(settings).encode()).hexdigest()[:12]
    path = settings.index_dir / f"embedding-cache-{name}.npz"
    cache: dict[str, np.ndarray] = {}
    if path.exists():
        try:
            with np.load(path) as data:
                cache = {k: data[k] for k in data.files}
        except Exception:  # a damaged cache is only a slower build
            log.warning("embedding cache %s unreadable; rebuilding it", path)
    keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if todo:
        fresh = embeddings.embed_documents([t for _, t in todo])
        for (k, _), v in zip(todo, fresh, strict=True):
            cache[k] = np.asarray(v, dtype=np.float32)
        keep = set(keys) | set(list(cache)[-5000:])  # bounded: current passages plus recent ones
        tmp = path.with_name(f".{path.name}.{os.getpid()}.npz")
        np.savez(tmp, **{k: v for k, v in cache.items() if k in keep})
        os.replace(tmp, path)
    return [cache[k].tolist() for k in keys]


def _release_client(path: Path) -> None:
    """chromadb caches one system per path; drop it so the directory can be renamed or removed."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path / "chroma"), None)
    except Exception:  # older/newer chromadb: nothing cached to release
        log.debug("no chromadb client cache to release", exc_info=True)


def _swap(settings: Settings, version: str) -> None:
    pointer = settings.index_dir / CURRENT
    tmp = settings.index_dir / f".{CURRENT}.{os.getpid()}"
    previous = current_version(settings)
    tmp.write_text(version, encoding="utf-8")
    os.replace(tmp, pointer)
    # Keep the previous version: a running service may still read it until it reloads.
    keep = {version, previous}
    for p in settings.index_dir.iterdir():
        if p.is_dir() and p.name.startswith("v") and p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


def ensure(settings: Settings, embeddings: Embeddings | None = None, tokenizer: Tokenizer | None = None,
           force: bool = False) -> tuple[str, bool]:
    """(version, rebuilt): rebuild only when the notices or the embedding backend changed."""
    live = current_version(settings)
    if live and not force:
        manifest = json.loads((settings.index_dir / live / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("digest") == build_digest(settings):
            return live, False
    if embeddings is None:
        from knowledge.embeddings import make_embeddings

        embeddings = make_embeddings(settings)
    if tokenizer is None:
        from knowledge.lang.text import get_tokenizer

        tokenizer = get_tokenizer()
    return build(settings, embeddings, tokenizer), True


def open_index(settings: Settings, version: str | None = None) -> KnowledgeIndex:
    version = version or current_version(settings)
    if not version:
        raise IngestError("索引尚未建立：请先运行 python -m bot ingest --all")
    vdir = settings.index_dir / version
    manifest = json.loads((vdir / "manifest.json").read_text(encoding="utf-8"))
    chunks = [Chunk(**d) for d in json.loads((vdir / "chunks.json").read_text(encoding="utf-8"))]
    tokens = json.loads((vdir / "tokens.json").read_text(encoding="utf-8"))
    client = _client(settings, vdir)
    col = client.get_collection(manifest["collection"], embedding_function=None)
    return KnowledgeIndex(version=version, path=vdir, chunks=chunks, tokens=tokens, bm25=BM25(tokens),
                          collection=col, notices=manifest["notices"], manifest=manifest)
