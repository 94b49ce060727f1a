"""Similar cases («how were similar cases decided before») on a hand-built set, through the real service.

Data (``src/kommuneki/services/saksinnsikt/data``, frozen with ``similar.sha256`` before this bench
first ran, and never edited since): ``similar_earlier.jsonl``, 96 hand-written earlier vedtak (bokmål
and nynorsk; 8 areas — dispensasjon, skjenking, sosialhjelp, skole, helse, landbruk, motorferdsel,
eiendomsskatt — each of two kinds of matter with 6 cases), and ``similar_queries.jsonl``, 40 new,
undecided applications (title, parties, the applicant's text). Judgments, written with the set: grade 2
(«truly similar») for every earlier case of the same kind of matter (same decisive question: 6 per
query), grade 1 for the other kind of the same area (6), 0 for the rest. ``outcome_counts`` is the
hand-labelled outcome mix of the grade-2 cases.

The service is run as it runs for a case officer: a SQLite platform in a temporary folder, the earlier
vedtak indexed through ``service.index_batch`` (no outcome given: as with a Noark extract, the outcome is
the service's suggestion derived from the text), then ``service.similar_cases`` with the new case's
title and text. Baselines in the same run: the issue's «BM25 on title and parties» (the engine's BM25
over each earlier case's title and parties, queried with the new case's title and parties), and random
order (mean of 200 shuffles).

Figures: nDCG@10 (gain 2^grade − 1), precision@5 (grade 2; and grade ≥ 1), and outcome-count accuracy:
the outcome counts the officer is shown for the top 6 (as many as there are truly similar cases), as the
service reports them, against the hand-labelled counts of the truly similar cases — exact match, the
same majority outcome, and the mean total-variation distance.

Run:  .venv/bin/python bench/saksinnsikt_similar.py
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kommuneki.services.saksinnsikt.engine.lexical import LexicalIndex, top_k  # noqa: E402
from kommuneki.services.saksinnsikt.engine.outcome import derive_outcome  # noqa: E402

DATA = ROOT / "src" / "kommuneki" / "services" / "saksinnsikt" / "data"
K = 10
TOP_OUTCOME = 6


def load(name: str) -> list[dict]:
    return [json.loads(x) for x in (DATA / name).read_text(encoding="utf-8").splitlines() if x.strip()]


def check_frozen() -> None:
    for line in (DATA / "similar.sha256").read_text().splitlines():
        digest, name = line.split()
        actual = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        print(f"{name}: sha256 {actual} ({'as frozen' if actual == digest else 'CHANGED SINCE FROZEN'})")


def ndcg(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    dcg = sum((2 ** grades.get(c, 0) - 1) / math.log2(r + 2) for r, c in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(r + 2) for r, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def precision(ranked: list[str], grades: dict[str, int], k: int, least: int) -> float:
    return sum(1 for c in ranked[:k] if grades.get(c, 0) >= least) / k


def outcome_scores(shown: list[str | None], gold: dict[str, int]) -> tuple[float, float, float]:
    """(exact counts, same majority, total-variation distance) of the outcomes shown against gold."""
    got = Counter(o for o in shown if o)
    exact = float(dict(got) == gold)
    top_gold = max(gold.values())
    top_got = max(got.values()) if got else 0
    majority = float(
        bool(got)
        and {o for o, n in got.items() if n == top_got} & {o for o, n in gold.items() if n == top_gold}
        != set()
    )
    total = sum(gold.values())
    labels = set(got) | set(gold)
    tvd = 0.5 * sum(abs(got.get(o, 0) / max(1, len(shown)) - gold.get(o, 0) / total) for o in labels)
    return exact, majority, tvd


def evaluate(name: str, runs: dict[str, list[str]], outcomes: dict[str, list[str | None]], queries) -> dict:
    rows = []
    for q in queries:
        ranked, grades = runs[q["id"]], q["similar"]
        rows.append(
            (
                ndcg(ranked, grades),
                precision(ranked, grades, 5, 2),
                precision(ranked, grades, 5, 1),
                *outcome_scores(outcomes[q["id"]][:TOP_OUTCOME], q["outcome_counts"]),
                len(ranked),
            )
        )
    cols = ["nDCG@10", "P@5 (grade 2)", "P@5 (grade>=1)", "counts exact", "same majority", "TVD", "listed"]
    return {c: statistics.mean(r[i] for r in rows) for i, c in enumerate(cols)}


def main() -> None:
    check_frozen()
    earlier, queries = load("similar_earlier.jsonl"), load("similar_queries.jsonl")
    by_sak = {e["saksnummer"]: e for e in earlier}
    derived = {
        e["id"]: (derive_outcome(e["text"]).outcome if derive_outcome(e["text"]) else None) for e in earlier
    }
    right = sum(1 for e in earlier if derived[e["id"]] == e["outcome"])
    print(
        f"{len(earlier)} earlier vedtak, {len(queries)} new cases; the outcome the service derives from the "
        f"text matches the hand label for {right}/{len(earlier)} ({right / len(earlier):.3f}); "
        f"{sum(1 for v in derived.values() if v is None)} with none found"
    )

    from kommuneki.config import Settings
    from kommuneki.core import accounts
    from kommuneki.core.permissions import cli_principal
    from kommuneki.core.platform import Platform
    from kommuneki.services.saksinnsikt import service

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform.from_settings(Settings(data_dir=Path(tmp)))
        platform.upgrade_db()
        with platform.db.installation_session() as s:
            tid = accounts.create_tenant(s, slug="like", name="Like", kommunenummer="9994", actor="bench").id
        t0 = time.perf_counter()
        service.index_batch(
            platform,
            tid,
            [
                {
                    "data": e["text"].encode(),
                    "filename": f"{e['id']}.txt",
                    "external_id": f"vedtak-{e['id']}",
                    "meta": {
                        "saksnummer": e["saksnummer"],
                        "tittel": e["tittel"],
                        "parter": e["parter"],
                        "dokumenttype": e["dokumenttype"],
                    },
                }
                for e in earlier
            ],
            actor="bench",
        )
        print(f"indexed through service.index_batch in {time.perf_counter() - t0:.1f} s (loaded machine)")
        principal = cli_principal(tid)
        runs, shown, ms = {}, {}, []
        for q in queries:
            t0 = time.perf_counter()
            out = service.similar_cases(platform, principal, text=q["tittel"] + "\n\n" + q["text"], k=12)
            ms.append((time.perf_counter() - t0) * 1000)
            cases = [(by_sak[c["saksnummer"]]["id"], c["outcome"]) for c in out["cases"]]
            runs[q["id"]] = [c for c, _ in cases][:K]
            shown[q["id"]] = [o for _, o in cases]
        results["service (similar_cases)"] = evaluate("service", runs, shown, queries)
        platform.close()
    print(f"similar_cases: median {statistics.median(ms):.0f} ms per query (96 cases; loaded machine)")

    # Baseline 1: BM25 on title and parties.
    ids = [e["id"] for e in earlier]
    titles = LexicalIndex([e["tittel"] + " " + " ".join(e["parter"]) for e in earlier])
    runs, shown = {}, {}
    for q in queries:
        ranked = [ids[i] for i, _ in top_k(titles.scores(q["tittel"] + " " + " ".join(q["parter"])), K)]
        runs[q["id"]] = ranked
        shown[q["id"]] = [derived[c] for c in ranked]
    results["BM25 on title and parties"] = evaluate("bm25-title", runs, shown, queries)

    # Baseline 2: random order (mean over shuffles).
    rng = random.Random(14)
    acc: dict[str, list[float]] = {}
    for _ in range(200):
        runs, shown = {}, {}
        for q in queries:
            ranked = rng.sample(ids, K)
            runs[q["id"]] = ranked
            shown[q["id"]] = [derived[c] for c in ranked]
        for key, v in evaluate("random", runs, shown, queries).items():
            acc.setdefault(key, []).append(v)
    results["random (200 shuffles)"] = {key: statistics.mean(v) for key, v in acc.items()}

    cols = list(next(iter(results.values())))
    print(f"\n{'method':28}" + "".join(f"{c:>16}" for c in cols))
    for method, m in results.items():
        print(f"{method:28}" + "".join(f"{m[c]:16.3f}" for c in cols))
    svc, base = results["service (similar_cases)"], results["BM25 on title and parties"]
    print(
        "\nratio service / BM25 on title and parties: "
        + ", ".join(
            f"{c} {svc[c] / base[c]:.2f}" if base[c] else f"{c} n/a"
            for c in ("nDCG@10", "P@5 (grade 2)", "counts exact", "same majority")
        )
        + f"; TVD {svc['TVD']:.3f} vs {base['TVD']:.3f} (lower is better)"
    )


if __name__ == "__main__":
    main()
