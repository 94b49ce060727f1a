"""Measuring the name model on CoNLL-style data (NorNE): span extraction and exact/overlap scores.

Used by scripts/train_names.py and bench/skjerming_names.py; no data ships with the package.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences of (token, IOB2 tag) from a ``token<TAB>tag`` file with blank lines between sentences."""
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if cur:
                sents.append(cur)
                cur = []
            continue
        tok, tag = line.split("\t")
        cur.append((tok, tag))
    if cur:
        sents.append(cur)
    return sents


def gold_spans(sent: list[tuple[str, str]], kind: str = "PER") -> list[tuple[int, int]]:
    """Token spans (start, end exclusive) of entities of ``kind``."""
    spans, start = [], -1
    for i, (_, tag) in enumerate([*sent, ("", "O")]):
        if start >= 0 and tag != f"I-{kind}":
            spans.append((start, i))
            start = -1
        if tag == f"B-{kind}" or (tag == f"I-{kind}" and start < 0):
            start = i
    return spans


def count(
    sents: Iterable[list[tuple[str, str]]], predict: Callable[[list[str]], Iterable[tuple[int, int]]]
) -> Counter:
    c: Counter = Counter()
    for s in sents:
        gold = set(gold_spans(s))
        pred = set(predict([t for t, _ in s]))
        add(c, gold, pred)
    return c


def add(c: Counter, gold: set[tuple[int, int]], pred: set[tuple[int, int]]) -> None:
    c["gold"] += len(gold)
    c["pred"] += len(pred)
    c["tp_exact"] += len(gold & pred)
    c["pred_overlap"] += sum(1 for a, b in pred if any(a < gb and ga < b for ga, gb in gold))
    c["gold_overlap"] += sum(1 for a, b in gold if any(a < pb and pa < b for pa, pb in pred))


def fbeta(p: float, r: float, beta: float) -> float:
    return 0.0 if p + r == 0 else (1 + beta * beta) * p * r / (beta * beta * p + r)


def metrics(c: Counter) -> dict:
    p = c["tp_exact"] / c["pred"] if c["pred"] else 0.0
    r = c["tp_exact"] / c["gold"] if c["gold"] else 0.0
    po = c["pred_overlap"] / c["pred"] if c["pred"] else 0.0
    ro = c["gold_overlap"] / c["gold"] if c["gold"] else 0.0
    return {
        "gold": c["gold"],
        "pred": c["pred"],
        "exact": {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(fbeta(p, r, 1), 4),
            "f2": round(fbeta(p, r, 2), 4),
        },
        "overlap": {
            "precision": round(po, 4),
            "recall": round(ro, 4),
            "f1": round(fbeta(po, ro, 1), 4),
            "f2": round(fbeta(po, ro, 2), 4),
        },
    }


def bootstrap_f2(
    sents: list[list[tuple[str, str]]],
    pred: list[Iterable[tuple[int, int]]],
    block: int = 30,
    rounds: int = 2000,
    seed: int = 7,
) -> tuple[float, float]:
    """95 % interval of exact-match F2 when blocks of ``block`` consecutive sentences are resampled."""
    import random

    per = []
    for s, p in zip(sents, pred, strict=False):
        gold, ps = set(gold_spans(s)), set(p)
        per.append((len(gold & ps), len(ps), len(gold)))
    blocks = [tuple(map(sum, zip(*per[i : i + block], strict=False))) for i in range(0, len(per), block)]
    rng = random.Random(seed)
    f2s = []
    for _ in range(rounds):
        tp = pr = go = 0
        for _ in blocks:
            a, b, c = blocks[rng.randrange(len(blocks))]
            tp, pr, go = tp + a, pr + b, go + c
        f2s.append(fbeta(tp / pr if pr else 0.0, tp / go if go else 0.0, 2))
    f2s.sort()
    return f2s[int(0.025 * rounds)], f2s[int(0.975 * rounds) - 1]


def distinct_name_recall(sents: list[list[tuple[str, str]]], pred: list[Iterable[tuple[int, int]]]) -> dict:
    """Recall over distinct gold names (a name string counts as found when any of its mentions is found
    exactly), and the names with the most missed mentions."""
    found: dict[str, bool] = {}
    missed: Counter = Counter()
    for s, p in zip(sents, pred, strict=False):
        ps = set(p)
        for a, b in gold_spans(s):
            name = " ".join(t for t, _ in s[a:b])
            hit = (a, b) in ps
            found[name] = found.get(name, False) or hit
            if not hit:
                missed[name] += 1
    n = len(found)
    k = sum(found.values())
    return {"names": n, "found": k, "recall": k / n if n else 0.0, "most_missed": missed.most_common(5)}


def capitalisation_baseline(words: list[str]) -> list[tuple[int, int]]:
    """The naive heuristic: runs of capitalised alphabetic tokens, the first token of a sentence only
    when the next token is capitalised too."""
    spans, start = [], -1
    caps = [w[:1].isupper() and w[:1].isalpha() and not w.isupper() for w in words] + [False]
    for i in range(len(words) + 1):
        if caps[i] and start < 0:
            start = i
        elif not caps[i] and start >= 0:
            if not (start == 0 and i == 1):
                spans.append((start, i))
            start = -1
    return spans
