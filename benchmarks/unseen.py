"""Q&A on notices the code was not written against — and on the five, worded by others.

    python -m benchmarks.unseen              # everything below, one table; ~5 minutes
    python -m benchmarks.unseen --only ningbo --verbose   # one set, failures printed

1. Every unseen notice, added the way an HR officer adds one (`bot ingest FILE`: the file is
   read, saved into a temporary NOTICES_DIR beside the five, the index rebuilt in a temporary
   DATA_DIR), once from its Markdown (front matter written by its author) and once from its
   plain text (front matter guessed by `knowledge/ingest.py`); its question set scored.
2. The five notices alone: the others-worded set and the dev set.
3. "Adding a notice changes nothing else": the dev and others-worded sets re-scored with each
   unseen notice loaded; every item must pass or fail exactly as with the five alone.
4. Leave-one-notice-out for every tuned number of `knowledge/qa/tuning.py` (see `--no-loo`):
   its value chosen on the dev, others-worded and held-out questions of four seed notices (and
   those naming none), scored on the fifth; and each value's accuracy on all unseen notices.

Results: benchmarks/results/unseen.json; first-run figures from benchmarks/results/first_run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
NOTICES = ROOT / "knowledge" / "notices"
OUT = ROOT / "benchmarks" / "results" / "unseen.json"
FIRST_RUN = ROOT / "benchmarks" / "results" / "first_run.json"
DEV = SHARED / "qa_dev.yaml"
OTHERS = ROOT / "benchmarks" / "seeds_others" / "qa_others.yaml"
HOLDOUT = ROOT / "tests" / "knowledge" / "qa" / "qa_holdout.yaml"
UNSEEN = ROOT / "benchmarks" / "unseen"


@dataclass(frozen=True)
class UnseenSet:
    name: str
    files: tuple[Path, ...]  # without suffix: «.md» / «.txt» is added per run
    questions: Path
    first_run_key: str  # the row of first_run.json with the same set


def unseen_sets() -> list[UnseenSet]:
    jx = UNSEEN / "jiaxing-eco-env-engineer-2026" / "jiaxing-eco-env-engineer-2026"
    return [
        UnseenSet("ningbo", (SHARED / "unseen" / "ningbo-light-industry-senior-2024",),
                  SHARED / "unseen" / "qa_ningbo.yaml", "shared/eval/unseen ningbo-light-industry-senior-2024"),
        UnseenSet("transport", (UNSEEN / "zhejiang-transport-senior-2025" / "zhejiang-transport-senior-2025",),
                  UNSEEN / "zhejiang-transport-senior-2025" / "qa.yaml",
                  "benchmarks/unseen zhejiang-transport-senior-2025"),
        UnseenSet("jiaxing", (jx,), UNSEEN / "jiaxing-eco-env-engineer-2026" / "qa.yaml",
                  "benchmarks/unseen jiaxing-eco-env-engineer-2026"),
        UnseenSet("jiaxing+supplement",
                  (jx, UNSEEN / "jiaxing-eco-env-engineer-2026-supplement" / "jiaxing-eco-env-engineer-2026-supplement"),
                  UNSEEN / "jiaxing-eco-env-engineer-2026-supplement" / "qa.yaml",
                  "benchmarks/unseen jiaxing supplement with the notice"),
    ]


class Workspace:
    """One DATA_DIR reused across configurations (the embedding cache makes rebuilds cheap),
    a fresh NOTICES_DIR for each."""

    def __init__(self, root: Path) -> None:
        from knowledge.embeddings import make_embeddings
        from knowledge.lang.text import get_tokenizer

        self.root = root
        self.data_dir = root / "data"
        self.tokenizer = get_tokenizer()
        self.embeddings = make_embeddings(self._settings(root / "notices-empty"))
        self._n = 0

    def _settings(self, notices_dir: Path) -> Any:
        from bot.settings import Settings

        return Settings(data_dir=self.data_dir, notices_dir=notices_dir, llm_base_url="")

    def service(self, extra: list[Path] = (), tuning: Any = None) -> Any:
        """A QAService over the five notices plus `extra` files, each ingested as `bot ingest FILE` does."""
        from knowledge import index
        from knowledge.ingest import load_notice, save_notice
        from knowledge.qa.service import QAService

        self._n += 1
        notices_dir = self.root / f"notices-{self._n}"
        notices_dir.mkdir(parents=True)
        for p in sorted(NOTICES.glob("*.md")):
            shutil.copy(p, notices_dir / p.name)
        for f in extra:
            save_notice(load_notice(f), notices_dir)
        # Each service its own DATA_DIR (a running service follows its CURRENT pointer), sharing the
        # embedding cache so that only new passages are embedded.
        settings = self._settings(notices_dir).model_copy(update={"data_dir": self.root / f"data-{self._n}"})
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        for cache in self.data_dir.glob("index/embedding-cache-*.npz"):
            shutil.copy(cache, settings.index_dir / cache.name)
        index.ensure(settings, self.embeddings, self.tokenizer)
        for cache in settings.index_dir.glob("embedding-cache-*.npz"):
            (self.data_dir / "index").mkdir(parents=True, exist_ok=True)
            shutil.copy(cache, self.data_dir / "index" / cache.name)
        qa = QAService(settings, self.embeddings, self.tokenizer, index.open_index(settings))
        qa.reload_every_s = float("inf")
        if tuning is not None:
            qa.tuning = tuning
        return qa


def score(qa: Any, path: Path) -> Any:
    from knowledge.qa.evaluation import evaluate, load_set

    return evaluate(qa, load_set(path))


def _row(report: Any) -> dict[str, Any]:
    s = report.summary()
    return {"answered": f"{s['answered_right']}/{s['answerable']}", "accuracy": s["answer_accuracy"],
            "declined": f"{s['abstentions_right']}/{s['unanswerable']}",
            "p95_ms": s["latency_ms_p95"], "passed": {r.id: r.passed for r in report.items}}


def _first(first: dict[str, Any], key: str) -> str:
    row = first.get("qa", {}).get(key)
    return f"{row['answered']} · {row['declined']}" if row else "–"


def _items(path: Path) -> list[dict[str, Any]]:
    from knowledge.qa.evaluation import load_set

    return load_set(path)


def _passes(qa: Any, items: list[dict[str, Any]]) -> dict[str, bool]:
    from knowledge.qa.evaluation import evaluate

    return {r.id: r.passed for r in evaluate(qa, items).items}


def leave_one_notice_out(base: Any, unseen: list[tuple[Any, list[dict[str, Any]]]]) -> dict[str, Any]:
    """For every tuned number: choose its value on the questions of four seed notices (plus the
    questions that name none), measure on the fifth; all five ways. Also the value's accuracy on
    the unseen notices, to see that the shipped value is not one that fits the five only."""
    from knowledge.qa.tuning import DEFAULT, GRID

    file_to_notice = {str(m.get("source_file")): nid for nid, m in base.index.notices.items()}
    items = _items(DEV) + _items(OTHERS) + _items(HOLDOUT)

    def notice_of(item: dict[str, Any]) -> str:
        src = [file_to_notice.get(str(x), "") for x in item.get("source") or []]
        return src[0] if len(src) == 1 and src[0] else "generic"

    # Unanswerable items name their notice in words only: take the notice the question names.
    for it in items:
        if it.get("answerable", True) is False:
            named = base.plans_named(str(it["q"]))
            it["_notice"] = named[0] if len(named) == 1 else "generic"
        else:
            it["_notice"] = notice_of(it)
    notices = sorted({it["_notice"] for it in items} - {"generic"})
    out: dict[str, Any] = {}
    for name, values in GRID.items():
        per_value: dict[float, dict[str, bool]] = {}
        unseen_acc: dict[float, float] = {}
        for v in values:
            base.tuning = DEFAULT.with_(**{name: v})
            per_value[v] = _passes(base, items)
            right = total = 0
            for qa, its in unseen:
                qa.tuning = base.tuning
                got = _passes(qa, its)
                right += sum(got.values())
                total += len(got)
            unseen_acc[v] = round(right / total, 4) if total else 0.0
        base.tuning = DEFAULT
        for qa, _ in unseen:
            qa.tuning = DEFAULT
        shipped = getattr(DEFAULT, name)
        folds = []
        for held in notices:
            train = [it["id"] for it in items if it["_notice"] != held]
            test = [it["id"] for it in items if it["_notice"] == held]

            def acc(v: float, ids: list[str], table: dict[float, dict[str, bool]] = per_value) -> float:
                return sum(table[v][i] for i in ids) / len(ids)

            best = max(values, key=lambda v: (acc(v, train), v == shipped, -abs(v - shipped)))
            folds.append({"held_out": held, "chosen": best, "held_out_chosen": round(acc(best, test), 4),
                          "held_out_shipped": round(acc(shipped, test), 4), "questions": len(test)})
        holds = all(f["held_out_chosen"] <= f["held_out_shipped"] for f in folds)
        five_acc = {v: round(sum(per_value[v].values()) / len(items), 4) for v in values}
        out[name] = {"shipped": shipped, "folds": folds, "holds": holds, "unseen_accuracy_by_value": unseen_acc,
                     "five_accuracy_by_value": five_acc,
                     "unseen_best": max(unseen_acc, key=lambda v: (unseen_acc[v], v == shipped))}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.unseen", description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="run only these sets (ningbo, transport, jiaxing, jiaxing+supplement, others, dev)")
    parser.add_argument("--kind", choices=("md", "txt"), action="append", default=[])
    parser.add_argument("--no-loo", action="store_true", help="skip leave-one-notice-out")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failing item")
    parser.add_argument("--keep", type=Path, default=None, help="work in this directory (kept) instead of a temp one")
    args = parser.parse_args(argv)
    from knowledge.qa.evaluation import render

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    kinds = args.kind or ["md", "txt"]
    wanted = set(args.only)
    first = json.loads(FIRST_RUN.read_text(encoding="utf-8")) if FIRST_RUN.exists() else {}
    first_keys = {"others": "benchmarks/seeds_others/qa_others.yaml (five notices, others' wording)",
                  "dev": "shared/eval/qa_dev.yaml (written with the code)"}
    tmp = None
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="run-", dir=args.keep))
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-unseen-")
        root = Path(tmp.name)
    started = time.perf_counter()
    results: dict[str, Any] = {"sets": {}, "unchanged": {}}
    table: list[tuple[str, str, str, str]] = []
    try:
        ws = Workspace(root)
        base = ws.service()
        base_passed: dict[str, dict[str, bool]] = {}
        for name, path in (("others", OTHERS), ("dev", DEV)):
            if wanted and name not in wanted and not (wanted - {"others", "dev"}):
                continue
            rep = score(base, path)
            base_passed[name] = {r.id: r.passed for r in rep.items}
            if not wanted or name in wanted:
                results["sets"][name] = _row(rep)
                table.append((name, "five", _first(first, first_keys[name]),
                              f"{results['sets'][name]['answered']} · {results['sets'][name]['declined']}"))
                if args.verbose:
                    print(f"\n### {name}\n" + render(rep))
        for us in unseen_sets():
            if wanted and us.name not in wanted:
                continue
            for kind in kinds:
                qa = ws.service([f.with_suffix(f".{kind}") for f in us.files])
                rep = score(qa, us.questions)
                key = f"{us.name} ({kind})"
                results["sets"][key] = _row(rep)
                table.append((us.name, kind, _first(first, f"{us.first_run_key} (.{kind}"
                                                  + (", front matter guessed)" if kind == "txt" and us.name == "ningbo"
                                                     else ")" if us.name != "ningbo" else " with front matter)")),
                              f"{results['sets'][key]['answered']} · {results['sets'][key]['declined']}"))
                if args.verbose:
                    print(f"\n### {key}\n" + render(rep))
                changed = {}
                for name, path in (("others", OTHERS), ("dev", DEV)):
                    if name not in base_passed:
                        continue
                    again = {r.id: r.passed for r in score(qa, path).items}
                    diff = sorted(i for i in again if again[i] != base_passed[name].get(i))
                    changed[name] = diff
                results["unchanged"][key] = changed
        if not args.no_loo and not wanted and not args.kind:
            unseen_items = []
            for us in unseen_sets():
                for kind in ("md", "txt"):
                    unseen_items.append((ws.service([f.with_suffix(f".{kind}") for f in us.files]),
                                         _items(us.questions)))
            results["leave_one_notice_out"] = leave_one_notice_out(base, unseen_items)
    finally:
        if tmp is not None:
            tmp.cleanup()
    results["seconds"] = round(time.perf_counter() - started, 1)
    print("\n| set | notice file | first run (answered · declined) | now |")
    print("|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    print("\nadding a notice changes nothing else:")
    for key, changed in results["unchanged"].items():
        print(f"  {key}: " + ("unchanged" if not any(changed.values()) else json.dumps(changed, ensure_ascii=False)))
    if "leave_one_notice_out" in results:
        print("\nleave-one-notice-out (value chosen on four notices → accuracy on the fifth; shipped value):")
        print("| number | shipped | chosen per fold | held-out accuracy, chosen / shipped | holds | "
              "five notices (all folds) by value | unseen notices by value |")
        print("|---|---|---|---|---|---|---|")
        for name, r in results["leave_one_notice_out"].items():
            chosen = ", ".join(str(f["chosen"]) for f in r["folds"])
            acc = ", ".join(f"{f['held_out_chosen']:.0%}/{f['held_out_shipped']:.0%}" for f in r["folds"])
            by = ", ".join(f"{v}: {a:.1%}" for v, a in r["unseen_accuracy_by_value"].items())
            five = ", ".join(f"{v}: {a:.1%}" for v, a in r["five_accuracy_by_value"].items())
            print(f"| {name} | {r['shipped']} | {chosen} | {acc} | {'yes' if r['holds'] else 'NO'} | {five} | {by} |")
    if not wanted and not args.kind:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
