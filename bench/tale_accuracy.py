"""Accuracy of tale against the MODELS.md baseline call, in the same run, on data not tuned on.

1. WER/CER on the two NPSC clips with references (../shared/data/speech, CC0; 24 words: a smoke test,
   not a figure to tune on).
2. The tenant vocabulary's effect: CARE_NOTES below — twelve care-note sentences written by hand for this
   bench, frozen before any measurement (their SHA-256 is printed and recorded in docs/benchmarks.md) —
   synthesised with espeak-ng (Norwegian voice), transcribed without and with the vocabulary VOCABULARY.
   Reports WER and the share of vocabulary terms written correctly. espeak-ng's voice is far from human
   speech, so absolute WERs are high; the with/without ratio is the figure. A term counts as right only
   in the sentence that says it; a term written where it was not said counts as an insertion. Since
   issue 16's fix the pipeline matches the vocabulary by sound after decoding (engine/vocabulary.py)
   instead of Whisper's hot words; the longer, frozen dev/held-out set is bench/tale_wer.py.
3. Hallucination: words emitted on 10 minutes of generated silence, white and pink noise and a swept,
   trembling tone (music-like), 2.5 minutes each (goal 0).

Normalisation for WER/CER (kommuneki.services.tale.engine.wer): lower case, punctuation removed,
whitespace collapsed; numbers compared as written (the references spell numbers as words, as spoken).

Run:  .venv/bin/python bench/tale_accuracy.py [--model DIR] [--skip-noise]
Needs Debian espeak-ng and sox.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SPEECH = ROOT.parent / "shared" / "data" / "speech"

CARE_NOTES = [
    "Brukeren fikk Paracet klokka åtte og sov godt etterpå.",
    "Marevan ble gitt etter avtale med fastlegen.",
    "Hun flyttet til Bjørkelia omsorgssenter i går.",
    "Han tok Albyl-E og Selo-Zok til frokost.",
    "Vi ga Furix fordi bena var hovne.",
    "Pasienten på Lyngåsen bo- og aktivitetssenter var urolig i natt.",
    "Insulin Novorapid ble satt før middag.",
    "Hjemmesykepleien i Solbakken sone besøkte henne to ganger.",
    "Han fikk Oxynorm mot smerter etter fallet.",
    "Datteren ringte fra Fjellheim bofellesskap.",
    "Brukeren vil ikke ta Imovane lenger.",
    "Sårstellet ble gjort med Mepilex i dag.",
]
VOCABULARY = [
    "Paracet",
    "Marevan",
    "Bjørkelia omsorgssenter",
    "Albyl-E",
    "Selo-Zok",
    "Furix",
    "Lyngåsen bo- og aktivitetssenter",
    "Novorapid",
    "Solbakken sone",
    "Oxynorm",
    "Fjellheim bofellesskap",
    "Imovane",
    "Mepilex",
]


def frozen_hash() -> str:
    return hashlib.sha256(json.dumps([CARE_NOTES, VOCABULARY], ensure_ascii=False).encode()).hexdigest()


def synthesise(text: str, path: Path) -> None:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "nb", "-s", "110", "-g", "4", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-q", str(raw), "-r", "16000", "-c", "1", str(path), "vol", "0.8"], check=True)


def baseline_text(model, path: Path) -> str:
    from faster_whisper.audio import decode_audio

    segments, _ = model.transcribe(decode_audio(str(path)), language="no", temperature=0.0, beam_size=5)
    return " ".join(s.text.strip() for s in segments)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--skip-noise", action="store_true")
    ap.add_argument("--skip-clips", action="store_true")
    args = ap.parse_args()
    from faster_whisper import WhisperModel

    from kommuneki.services.tale.engine.model import locate
    from kommuneki.services.tale.engine.transcribe import Transcriber
    from kommuneki.services.tale.engine.wer import char_error_rate, normalise, word_error_rate

    info = locate(Path(args.model) if args.model else None, ROOT / "data" / "tale-models")
    pipeline = Transcriber(info, cpu_threads=2)
    baseline = WhisperModel(str(info.path), device="cpu", compute_type="int8", cpu_threads=2)
    print(f"model {info.name} sha256 {info.sha256[:12]}…")

    refs = {} if args.skip_clips else json.loads((SPEECH / "references.json").read_text())
    print("\n1. NPSC clips (smoke test, 24 words)")
    tot = {"baseline": [], "pipeline": []}
    for name, ref in refs.items():
        b = baseline_text(baseline, SPEECH / name)
        p = pipeline.transcribe(SPEECH / name).text
        tot["baseline"].append((ref, b))
        tot["pipeline"].append((ref, p))
        wer_b, wer_p = word_error_rate(ref, b), word_error_rate(ref, p)
        print(f"  {name}: baseline WER {wer_b:.3f}, pipeline WER {wer_p:.3f}")
    if not refs:
        print("  skipped")
    joined = {k: (" ".join(r for r, _ in v), " ".join(h for _, h in v)) for k, v in tot.items()}
    wb, wp = word_error_rate(*joined["baseline"]), word_error_rate(*joined["pipeline"])
    cb, cp = char_error_rate(*joined["baseline"]), char_error_rate(*joined["pipeline"])
    if refs:
        print(
            f"  both: WER baseline {wb:.3f} pipeline {wp:.3f} (ratio {wp / wb if wb else float('nan'):.2f}); "
            f"CER baseline {cb:.3f} pipeline {cp:.3f}"
        )

    print(
        f"\n2. Vocabulary on {len(CARE_NOTES)} hand-written care-note sentences (espeak-ng), set sha256 "
        f"{frozen_hash()[:16]}…"
    )
    folder = Path(tempfile.mkdtemp(prefix="tale-vocab-"))
    results = {"baseline": [], "without": [], "with": []}
    for i, sentence in enumerate(CARE_NOTES):
        path = folder / f"s{i}.wav"
        synthesise(sentence, path)
        results["baseline"].append(baseline_text(baseline, path))
        results["without"].append(pipeline.transcribe(path).text)
        results["with"].append(pipeline.transcribe(path, vocabulary=VOCABULARY).text)
    ref_all = " ".join(CARE_NOTES)
    for key, hyps in results.items():
        text = " ".join(hyps)
        hits = spoken = inserted = 0
        for sentence, hyp in zip(CARE_NOTES, hyps, strict=True):
            for term in VOCABULARY:
                said, heard = normalise(term) in normalise(sentence), normalise(term) in normalise(hyp)
                spoken += said
                hits += said and heard
                inserted += heard and not said
        wer = word_error_rate(ref_all, text)
        print(f"  {key:<8} WER {wer:.3f}  terms right {hits}/{spoken}, inserted where not said {inserted}")
    w_without = word_error_rate(ref_all, " ".join(results["without"]))
    w_with = word_error_rate(ref_all, " ".join(results["with"]))
    print(f"  vocabulary effect: WER with/without {w_with / w_without if w_without else float('nan'):.2f}")

    if args.skip_noise:
        return
    print("\n3. Hallucination on 10 min of silence, white noise, pink noise and a swept, trembling tone")
    noise = {
        "silence": ["-n", "-r", "16000", "-c", "1", "{out}", "trim", "0", "150"],
        "white": ["-n", "-r", "16000", "-c", "1", "{out}", "synth", "150", "whitenoise", "vol", "0.3"],
        "pink": ["-n", "-r", "16000", "-c", "1", "{out}", "synth", "150", "pinknoise", "vol", "0.3"],
        "tone": [
            "-n",
            "-r",
            "16000",
            "-c",
            "1",
            "{out}",
            "synth",
            "150",
            "sine",
            "200-800",
            "tremolo",
            "3",
            "40",
            "vol",
            "0.3",
        ],
    }
    words = {"baseline": 0, "pipeline": 0}
    for name, sox_args in noise.items():
        path = folder / f"{name}.wav"
        subprocess.run(["sox", *[a.replace("{out}", str(path)) for a in sox_args]], check=True)
        b = len(baseline_text(baseline, path).split())
        p = len(pipeline.transcribe(path).words)
        words["baseline"] += b
        words["pipeline"] += p
        print(f"  {name:<8} baseline {b:>4} words, pipeline {p:>4} words")
    print(f"  total on 10 min: baseline {words['baseline']} words, pipeline {words['pipeline']} words")


if __name__ == "__main__":
    main()
