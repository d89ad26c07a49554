"""What a message asks for: an intent from knowledge/lang/intents.yaml.

Two signals, both from data:
- exact command words (after `command_form`: NFKC, no punctuation, spaces or emoji, lower-case);
- a classifier over the example utterances' embeddings (the project's own model, on e5's
  `query:` side): multinomial logistic regression, fitted when the model loads, averaged with
  the nearest examples of each intent (a softmax over their mean similarity). Its probability
  for the best intent must reach MIN_SCORE and lead every other intent by MARGIN; otherwise the
  message is a question for Q&A. (Nearest examples by cosine were tried first: the e5 scores of
  short Chinese utterances all fall within 0.85–0.96, and a fixed margin over them alone mixed up
  «没事了 拜» with «no»; the regression learns which directions separate the intents, the
  nearest examples keep a new wording close to the one it paraphrases.)

Example vectors are computed once per intents file and model and kept in a cache file, so a
process start costs one file read and a fit of well under a second.
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
# Chosen by five-fold cross-validation over the examples alone (`python -m benchmarks.intents
# --sweep`): the best accuracy among settings whose tool/control predictions are right at least
# 95 % of the time. The held-out utterances played no part.
MIN_SCORE = 0.4  # probability of the best intent
MARGIN = 0.4  # its lead over the next one
L2 = 0.001  # weight decay of the regression
FIT_STEPS = 400  # full-batch gradient steps
NEIGHBOURS = 3  # the nearest-example side: an intent's mean similarity over this many examples …
TEMPERATURE = 0.01  # … made a probability at this temperature (similarities span only ~0.1) …
NEAREST_WEIGHT = 0.5  # … and averaged with the regression's at this weight
# (TEMPERATURE and NEAREST_WEIGHT were chosen by the same cross-validation rule over a grid of
# 0.005/0.01/0.02 × 0/0.3/0.5/0.7 once, when the regression came in; `--sweep` re-checks the rest.)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Example vectors per (examples, model), shared by every model object in the process (tests and
# CLI commands build several Services).
_MEMO: dict[tuple[str, Any], Any] = {}
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
    # The tool works on the user's own text or dates and its opening answers no question: a
    # question about its subject («本人述职超过1000字会怎样») is answered from the notices first.
    notice_first: bool = False


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
                                      str(body.get("describe") or ""), bool(body.get("notice_first")))
    if QUESTION not in specs:
        raise ValueError(f"{path}: the {QUESTION!r} intent (notice questions) is required")
    return specs


class Softmax:
    """Multinomial logistic regression on standardised vectors, fitted by full-batch gradient
    descent from zero (deterministic: the same examples give the same model)."""

    def __init__(self, l2: float = L2, steps: int = FIT_STEPS, rate: float = 0.5) -> None:
        self.l2, self.steps, self.rate = l2, steps, rate

    def fit(self, x: np.ndarray, y: np.ndarray, classes: int) -> Softmax:
        x = x.astype(np.float64)
        self.mean = x.mean(axis=0)
        self.scale = x.std(axis=0) + 1e-6
        xs = (x - self.mean) / self.scale
        self.w = np.zeros((x.shape[1], classes))
        self.b = np.zeros(classes)
        target = np.eye(classes)[y]
        for _ in range(self.steps):
            grad = (self._softmax(xs @ self.w + self.b) - target) / len(y)
            self.w -= self.rate * (xs.T @ grad + self.l2 * self.w)
            self.b -= self.rate * grad.sum(axis=0)
        return self

    def proba(self, x: np.ndarray) -> np.ndarray:
        return self._softmax(((np.atleast_2d(x).astype(np.float64) - self.mean) / self.scale) @ self.w + self.b)

    @staticmethod
    def _softmax(z: np.ndarray) -> np.ndarray:
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


class IntentModel:
    def __init__(self, embeddings: Embeddings, path: Path = INTENTS_FILE, cache_dir: Path | None = None,
                 model_name: str = "", min_score: float = MIN_SCORE, margin: float = MARGIN) -> None:
        self.specs = load_specs(path)
        self.embeddings = embeddings
        self.min_score = min_score
        self.margin = margin
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
        self.vectors, self.classifier = self._vectors(texts, path, cache_dir, model_name)
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, bool], IntentMatch] = OrderedDict()

    def _vectors(self, texts: list[str], path: Path, cache_dir: Path | None,
                 model_name: str) -> tuple[np.ndarray, Softmax]:
        digest = hashlib.sha256(("\n".join(texts) + "\0" + model_name).encode("utf-8")).hexdigest()[:16]
        key = (digest, id(self.embeddings)) if not model_name else (digest, model_name)
        with _MEMO_LOCK:
            if key in _MEMO:
                return _MEMO[key]  # type: ignore[no-any-return]
        vecs = self._load_or_embed(texts, digest, cache_dir)
        fitted = (vecs, Softmax().fit(vecs, self._label_ids, len(self.specs)))
        with _MEMO_LOCK:
            _MEMO[key] = fitted
        return fitted

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
        """Per intent, the classifier's probability for `text` — embedded in the form Q&A embeds
        a question in, so Q&A finds the vector already made."""
        from knowledge.lang.text import clean

        return self.intent_scores(self._embed([clean(text).strip()])[0])

    def intent_scores(self, vector: np.ndarray, classifier: Softmax | None = None,
                      examples: np.ndarray | None = None) -> dict[str, float]:
        """An utterance vector → per-intent probabilities: the regression's, averaged with a
        softmax over each intent's nearest examples (`classifier`, `examples`: fitted on and
        restricted to part of the examples, for cross-validation)."""
        p = (classifier or self.classifier).proba(vector)[0]
        sims = self.vectors @ vector.astype(self.vectors.dtype)
        near = np.full(len(self.specs), -1.0)
        for i in range(len(self.specs)):
            mask = self._label_ids == i if examples is None else (self._label_ids == i) & examples
            if mask.any():
                near[i] = float(np.sort(sims[mask])[::-1][:NEIGHBOURS].mean())
        p = (1 - NEAREST_WEIGHT) * p + NEAREST_WEIGHT * Softmax._softmax(near[None, :] / TEMPERATURE)[0]
        return {name: float(p[i]) for i, name in enumerate(self.specs)}

    def near(self, score: float) -> bool:
        """Worth a second look at the clauses of a longer message («…啥时候截止？帮我设个提醒»: the
        request has 0.11 on the whole message): any real chance, a tenth of what an intent needs."""
        return score >= self.min_score / 10

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
        from knowledge.lang.text import strip_chatter

        # «你好，我想问下我今年能不能报工程师»: the greeting and the lead-in say nothing of the intent.
        # A lead-in word may be the message itself, though («还有别的吗» is no «别的吗»): the
        # whole wording is read too, and the surer of the two readings counts.
        whole = None
        bare = strip_chatter(text, after=False)
        if bare != text.strip():
            if form and len(form) <= max_chars:
                whole = self.decide(self.similarities(text), in_dialog)
            text, form = bare, command_form(bare)
            exact = self.commands.get(form)
            if exact is not None:
                return IntentMatch(exact, self.specs[exact].kind, 1.0, 1.0, exact=True)
        pre = self.prefix(text)
        if pre is not None:
            return IntentMatch(pre[0], self.specs[pre[0]].kind, 1.0, 1.0, exact=True)
        if not form or len(form) > max_chars or form.isdigit():
            # A bare number is a choice from a list or a value the dialog reads itself, not a
            # wording («85» as a score is no «88»; «1，个人报的» is no «上一步»). «88», «886» are
            # the bye intent's command words.
            return whole or IntentMatch(QUESTION, "question", 0.0, 0.0)
        found = self.decide(self.similarities(text), in_dialog)
        if whole is not None and not whole.is_question and (found.is_question or whole.score > found.score):
            return whole
        return found

    def decide(self, sims: dict[str, Any], in_dialog: bool = False) -> IntentMatch:
        """The best intent if it is close enough and ahead by the margin, else a question. Inside
        a dialog the words that act on it (quit, back, yes, facts …) are expected: one of them
        ranked first needs a margin only over a notice question there."""
        ranked = sorted(sims.items(), key=lambda kv: -kv[1])
        (top, score), (second, second_score) = ranked[0], ranked[1]
        margin = score - second_score
        # The prior lifts the margin against the other intents, not against a notice question:
        # there the winner must still lead by the margin. A message near every intent alike
        # («一一一一», «高级那种吧», «还没考») reads as no dialog word, and the dialog takes it as
        # an answer or asks again.
        expected = in_dialog and self.specs[top].kind in DIALOG_KINDS and \
            score - float(sims[QUESTION]) >= self.margin
        if top == QUESTION or score < self.min_score or (margin < self.margin and not expected):
            runner = top if top != QUESTION else second
            runner_score = score if top != QUESTION else second_score
            return IntentMatch(QUESTION, "question", float(sims[QUESTION]), margin,
                               runner_up=runner, runner_up_score=float(runner_score))
        return IntentMatch(top, self.specs[top].kind, float(score), float(margin), runner_up=second,
                           runner_up_score=float(second_score), by_prior=margin < self.margin)
