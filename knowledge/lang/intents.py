"""What a message asks for: an intent from knowledge/lang/intents.yaml.

Two signals, both from data:
- exact command words (after `command_form`: NFKC, no punctuation, spaces or emoji, lower-case);
- the nearest example utterances by embedding (the project's own model; e5 compares two
  utterances on its `query:` side). The best intent must be close enough (MIN_SCORE) and ahead
  of every other intent by MARGIN; otherwise the message is a question for Q&A.

Example vectors are computed once per intents file and model and kept in a cache file, so a
process start costs one file read.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

INTENTS_FILE = Path(__file__).with_name("intents.yaml")
KINDS = ("tool", "control", "inform", "social", "question")
QUESTION = "question"
# Set before the held-out utterances were first scored and not tuned on them since (the sweep in
# benchmarks/intents.py shows how leave-one-out over the examples trades accuracy for precision).
MIN_SCORE = 0.88
MARGIN = 0.015
NEIGHBOURS = 3  # an intent's score: the mean similarity of its this-many nearest examples
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Example vectors per (examples, model), shared by every model object in the process (tests and
# CLI commands build several Services).
_MEMO: dict[tuple[str, Any], np.ndarray] = {}
_MEMO_LOCK = threading.Lock()
SEEN_SIZE = 4096  # wordings whose intent is kept
DIALOG_KINDS = ("control", "inform")  # what people say to a dialog in progress


def command_form(text: str) -> str:
    """The form command words are compared in: NFKC, lower-case, without punctuation, spaces or
    emoji («好的！» → «好的», «？» stays «？» so a lone question mark still means help)."""
    t = unicodedata.normalize("NFKC", text or "").strip().lower()
    bare = _NOT_WORD.sub("", t)
    return bare or t


@dataclass(frozen=True)
class IntentSpec:
    name: str
    kind: str
    commands: tuple[str, ...]
    examples: tuple[str, ...]
    prefixes: tuple[str, ...] = ()  # command words that may carry text after them
    describe: str = ""  # what the tool does, for «您是想…吗» pointers


@dataclass(frozen=True)
class IntentMatch:
    intent: str  # QUESTION when nothing is close enough
    kind: str
    score: float  # similarity of the nearest example of `intent` (1.0 for a command word)
    margin: float  # ahead of the best other intent by this much
    exact: bool = False  # a command word, not a nearest example
    runner_up: str | None = None  # the best other intent (a tool Q&A may point to)
    runner_up_score: float = 0.0
    by_prior: bool = False  # won inside a dialog only by the context prior (within the margin)

    @property
    def is_question(self) -> bool:
        return self.intent == QUESTION


def load_specs(path: Path = INTENTS_FILE) -> dict[str, IntentSpec]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    specs = {}
    for name, body in raw.items():
        kind = body.get("kind")
        if kind not in KINDS:
            raise ValueError(f"{path}: intent {name!r} has kind {kind!r}; expected one of {KINDS}")
        specs[str(name)] = IntentSpec(str(name), kind, tuple(str(c) for c in body.get("commands") or ()),
                                      tuple(str(e) for e in body.get("examples") or ()),
                                      tuple(str(p) for p in body.get("prefixes") or ()),
                                      str(body.get("describe") or ""))
    if QUESTION not in specs:
        raise ValueError(f"{path}: the {QUESTION!r} intent (notice questions) is required")
    return specs


class IntentModel:
    def __init__(self, embeddings: Embeddings, path: Path = INTENTS_FILE, cache_dir: Path | None = None,
                 model_name: str = "", min_score: float = MIN_SCORE, margin: float = MARGIN,
                 neighbours: int = NEIGHBOURS) -> None:
        self.specs = load_specs(path)
        self.embeddings = embeddings
        self.min_score = min_score
        self.margin = margin
        self.neighbours = neighbours
        self.commands: dict[str, str] = {}
        for spec in self.specs.values():
            for word in spec.commands:
                form = command_form(word)
                if form in self.commands and self.commands[form] != spec.name:
                    raise ValueError(f"{path}: command {word!r} belongs to both {self.commands[form]} and {spec.name}")
                self.commands[form] = spec.name
        self.labels: list[str] = [s.name for s in self.specs.values() for _ in s.examples]
        texts = [command_form(e) for s in self.specs.values() for e in s.examples]
        self._label_ids = np.array([list(self.specs).index(lab) for lab in self.labels])
        self.vectors = self._vectors(texts, path, cache_dir, model_name)
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, bool], IntentMatch] = OrderedDict()

    def _vectors(self, texts: list[str], path: Path, cache_dir: Path | None, model_name: str) -> np.ndarray:
        digest = hashlib.sha256(("\n".join(texts) + "\0" + model_name).encode("utf-8")).hexdigest()[:16]
        key = (digest, id(self.embeddings)) if not model_name else (digest, model_name)
        with _MEMO_LOCK:
            if key in _MEMO:
                return _MEMO[key]
        vecs = self._load_or_embed(texts, digest, cache_dir)
        with _MEMO_LOCK:
            _MEMO[key] = vecs
        return vecs

    def _load_or_embed(self, texts: list[str], digest: str, cache_dir: Path | None) -> np.ndarray:
        cache = cache_dir / f"intents-{digest}.npy" if cache_dir else None
        if cache is not None and cache.exists():
            try:
                vecs = np.load(cache)
                if vecs.shape[0] == len(texts):
                    return vecs
            except (OSError, ValueError):
                log.warning("intent vectors %s unreadable; computing them again", cache)
        vecs = self._embed(texts)
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(".tmp.npy")
                np.save(tmp, vecs)
                tmp.replace(cache)
            except OSError:
                log.warning("could not keep intent vectors in %s", cache)
        return vecs

    def _embed(self, texts: list[str]) -> np.ndarray:
        batch = getattr(self.embeddings, "embed_queries", None)
        if callable(batch) and len(texts) > 1:
            vecs = np.array(batch(texts), dtype=np.float32)
        else:
            vecs = np.array([self.embeddings.embed_query(t) for t in texts], dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)

    def similarities(self, text: str) -> dict[str, float]:
        """Per intent, the mean similarity of its nearest examples to `text` — embedded in the
        form Q&A embeds a question in, so Q&A finds the vector already made."""
        from knowledge.lang.text import clean

        vec = self._embed([clean(text).strip()])[0]
        return self.intent_scores(self.vectors @ vec)

    def intent_scores(self, sims: np.ndarray, skip: int | None = None) -> dict[str, float]:
        """Example similarities → per-intent scores (`skip`: an example left out, for leave-one-out)."""
        out = {}
        for i, name in enumerate(self.specs):
            mask = self._label_ids == i
            if skip is not None:
                mask = mask.copy()
                mask[skip] = False
            top = np.sort(sims[mask])[::-1][: self.neighbours]
            out[name] = float(top.mean()) if len(top) else -1.0
        return out

    def prefix(self, text: str) -> tuple[str, str] | None:
        """(intent, the text after the word) for «述职检查 <全文>», «材料清单 临平»."""
        t = unicodedata.normalize("NFKC", text or "").lstrip()
        for spec in self.specs.values():
            for p in sorted(spec.prefixes, key=len, reverse=True):
                if t.startswith(p):
                    # Only the separator after the word goes: the text itself stays as typed.
                    return spec.name, t[len(p):].lstrip(" \t:：,，。.、\n")
        return None

    def classify(self, text: str, max_chars: int = 120, in_dialog: bool = False) -> IntentMatch:
        """Exact command word, else the nearest examples. A long message (a pasted 述职, a long
        story) is a question unless it starts with a command word: no example is that long.
        Results are kept per wording: in a season most people send the same few messages."""
        form = command_form(text)
        key = (form, in_dialog)
        with self._lock:
            hit = self._seen.get(key)
            if hit is not None:
                self._seen.move_to_end(key)
                return hit
        result = self._classify(text, form, max_chars, in_dialog)
        with self._lock:
            self._seen[key] = result
            if len(self._seen) > SEEN_SIZE:
                self._seen.popitem(last=False)
        return result

    def _classify(self, text: str, form: str, max_chars: int, in_dialog: bool) -> IntentMatch:
        exact = self.commands.get(form)
        if exact is not None:
            return IntentMatch(exact, self.specs[exact].kind, 1.0, 1.0, exact=True)
        pre = self.prefix(text)
        if pre is not None:
            return IntentMatch(pre[0], self.specs[pre[0]].kind, 1.0, 1.0, exact=True)
        if not form or len(form) > max_chars:
            return IntentMatch(QUESTION, "question", 0.0, 0.0)
        return self.decide(self.similarities(text), in_dialog)

    def decide(self, sims: dict[str, Any], in_dialog: bool = False) -> IntentMatch:
        """The best intent if it is close enough and ahead by the margin, else a question. Inside
        a dialog the words that act on it (quit, back, yes, facts …) are expected: one of them
        ranked first needs a margin only over a notice question there."""
        ranked = sorted(sims.items(), key=lambda kv: -kv[1])
        (top, score), (second, second_score) = ranked[0], ranked[1]
        margin = score - second_score
        # The prior lifts the margin against the other intents, not against a notice question:
        # there the winner must stand out twice as far. A message near every intent alike
        # («一一一一», «高级那种吧», «还没考») reads as no dialog word, and the dialog takes it as
        # an answer or asks again.
        expected = in_dialog and self.specs[top].kind in DIALOG_KINDS and \
            score - float(sims[QUESTION]) >= 2 * self.margin
        if top == QUESTION or score < self.min_score or (margin < self.margin and not expected):
            runner = top if top != QUESTION else second
            runner_score = score if top != QUESTION else second_score
            return IntentMatch(QUESTION, "question", float(sims[QUESTION]), margin,
                               runner_up=runner, runner_up_score=float(runner_score))
        return IntentMatch(top, self.specs[top].kind, float(score), float(margin), runner_up=second,
                           runner_up_score=float(second_score), by_prior=margin < self.margin)
