"""Every number Q&A's decisions rest on, in one place, so each can be checked on notices it was
not tuned on: `python -m benchmarks.unseen` re-tunes each one on four seed notices and measures
on the fifth (leave-one-notice-out), and reports the unseen notices with the shipped values.

A number stays only if the value chosen on four notices works on the fifth and on the unseen
notices; the README gives the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Tuning:
    # Answer or decline: the best passage must hold this share (IDF-weighted) of the question's
    # topic words that the notice uses at all. Words no notice uses are no evidence either way.
    min_coverage: float = 0.4
    # … and, when most of the question is words no notice uses, the dense side must find it about
    # the question too: cosine of question and passage (multilingual-e5-small, the bundled model;
    # another backend's scale differs and the floor is off for it). «推荐一家杭州好吃的餐厅»
    # shares only «推荐» with a clause.
    min_dense: float = 0.85
    # Ranking a notice's passages: rank fusion of BM25 and dense (best = 1) plus these.
    coverage_weight: float = 0.6  # × share of the topic words in the passage
    label_weight: float = 0.3  # × share of them in the passage's own clause name
    answer_type_weight: float = 0.3  # + when the passage states the kind of value asked for
    rrf_k: int = 30  # reciprocal rank fusion constant
    # Composing one notice's answer: a second clause is quoted beside the best one when …
    as_good_coverage: float = 0.75  # … it holds this much of the question (and no less than the best) …
    as_good_ratio: float = 0.9  # … and ranks this close (a rule and its exception, a step and the next);
    other_route_ratio: float = 0.7  # for «how many / when», another clause stating such a figure, this close
    # (Two more numbers, a lower bar for sibling clauses and a coverage floor for another route,
    # changed no answer on any set under leave-one-notice-out and were deleted.)

    def with_(self, **changes: float) -> Tuning:
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT = Tuning()

# The values leave-one-notice-out chooses from, per number.
GRID: dict[str, tuple[float, ...]] = {
    "min_coverage": (0.3, 0.4, 0.5, 0.6, 0.7),
    "min_dense": (0.0, 0.83, 0.85, 0.87),
    "coverage_weight": (0.3, 0.6, 0.9),
    "label_weight": (0.0, 0.3, 0.6),
    "answer_type_weight": (0.0, 0.3, 0.6),
    "rrf_k": (10, 30, 60),
    "as_good_coverage": (0.5, 0.75, 1.0),
    "as_good_ratio": (0.8, 0.9, 1.0),
    "other_route_ratio": (0.5, 0.7, 0.9),
}

assert set(GRID) == {f.name for f in fields(Tuning)}
