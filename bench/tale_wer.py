"""WER/CER of tale on longer Norwegian speech with references, against the MODELS.md baseline call in the
same run, with and without the tenant vocabulary; false insertions of vocabulary words.

Data (frozen, hashed in bench/data/SHA256SUMS, checked here before anything runs):
  tale_notes_dev.txt      8 hand-written care notes (5 sentences each) — the part decoding settings, VAD,
                          normalisation and vocabulary matching were tuned on
  tale_notes_heldout.txt  10 notes never tuned on — the reported figure
  tale_vocabulary.txt     the tenant vocabulary (21 drugs, places, units; 4 of them said in no note)
Each note is spoken by espeak-ng (Norwegian bokmål voice) as one recording of about 30–40 s, each with
its own voice variant, speed and pitch (cycled), and every second one with pink noise mixed in by sox at
about 15 dB SNR (sox -R: repeatable). espeak-ng is far from a human voice: absolute WERs are high; the
ratios in the same run are the figures.

Variants, all in this process on the same audio:
  baseline       faster-whisper's own call of MODELS.md: int8, beam 5, language="no", temperature 0
  pipeline       tale's Transcriber as the service and CLI run it, no vocabulary
  pipeline+vocab the same with the tenant vocabulary (matched by sound after decoding: the decoder does
                 not see it, so the pipeline's decoding is reused and only apply_vocabulary is run)
  pipeline+hotwords (--hotwords) the vocabulary as Whisper's hot words, as before issue 16's fix

Normalisation for WER/CER (kommuneki.services.tale.engine.wer.normalise): lower case, numbers spoken as
words read as digits (engine.numbers; «hundre og førti» = «140»), punctuation and hyphens removed,
whitespace collapsed. Applied to reference and hypothesis alike.

A vocabulary term counts as right in a note that says it when it appears in the transcript; as a false
insertion when it appears in the transcript of a note that does not say it. --human also counts the
vocabulary terms written on the real speeches in ../shared/data/speech (which say none of them).

Run:  nice -n 19 .venv/bin/python bench/tale_wer.py [--part heldout|dev|both] [--human] [--model DIR]
      [--cache DIR] [--breakdown] [--threads N (default 1)] [--set JSON (pipeline decoding options on
      top of the shipped ones, e.g. '{"beam_size": 10}'; the baseline call never changes)]
Needs Debian espeak-ng and sox.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT / "bench" / "data"
SPEECH = ROOT.parent / "shared" / "data" / "speech"
CACHE = Path("/tmp/kommuneki-tale-wer")
FILES = ("tale_vocabulary.txt", "tale_notes_dev.txt", "tale_notes_heldout.txt")
# (espeak-ng voice, words per minute, pitch 0–99, noise): cycled over the notes of a part
CONDITIONS = [
    ("nb", 150, 50, False),
    ("nb+f3", 135, 60, True),
    ("nb+m3", 165, 40, False),
    ("nb+f2", 145, 70, True),
    ("nb+m2", 125, 35, False),
    ("nb+f4", 160, 55, True),
]


def check_frozen() -> None:
    sums = dict(reversed(line.split()) for line in (DATA / "SHA256SUMS").read_text().splitlines() if line)
    for name in FILES:
        digest = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        if sums.get(name) != digest:
            sys.exit(f"{name} changed since it was frozen (sha256 {digest[:12]}… vs {sums.get(name)})")


def _lines(name: str) -> list[str]:
    return [x for x in (DATA / name).read_text(encoding="utf-8").splitlines() if not x.startswith("#")]


def notes(part: str) -> list[str]:
    return [p.strip() for p in "\n".join(_lines(f"tale_notes_{part}.txt")).split("\n\n") if p.strip()]


def vocabulary() -> list[str]:
    return [x.strip() for x in _lines("tale_vocabulary.txt") if x.strip()]


def synthesise(text: str, path: Path, condition) -> Path:
    if path.exists():
        return path
    voice, speed, pitch, noise = condition
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-g", "2", "-w", str(raw), text],
        check=True,
    )
    clean = path.with_suffix(".clean.wav")
    # half a second of silence before and after, as a recording on a tablet would have
    subprocess.run(
        ["sox", "-q", str(raw), "-r", "16000", "-c", "1", str(clean), "pad", "0.5", "0.5", "norm", "-3"],
        check=True,
    )
    if noise:
        length = subprocess.run(["soxi", "-D", str(clean)], capture_output=True, text=True, check=True)
        hiss = path.with_suffix(".noise.wav")
        subprocess.run(
            ["sox", "-R", "-q", "-n", "-r", "16000", "-c", "1", str(hiss), "synth", length.stdout.strip()]
            + ["pinknoise", "norm", "-18"],
            check=True,
        )
        subprocess.run(["sox", "-q", "-m", str(clean), str(hiss), str(path)], check=True)
    else:
        clean.rename(path)
    return path


def baseline_text(model, path: Path) -> str:
    from faster_whisper.audio import decode_audio

    segments, _ = model.transcribe(decode_audio(str(path)), language="no", temperature=0.0, beam_size=5)
    return " ".join(s.text.strip() for s in segments)


def term_counts(refs: list[str], hyps: list[str], terms: list[str]) -> tuple[int, int, int]:
    """(terms said and written, terms said, terms written in a note that does not say them)."""
    from kommuneki.services.tale.engine.wer import normalise

    hits = said_n = inserted = 0
    for ref, hyp in zip(refs, hyps, strict=True):
        r, h = f" {normalise(ref)} ", f" {normalise(hyp)} "
        for term in terms:
            t = f" {normalise(term)} "
            said, heard = t in r, t in h
            said_n += said
            hits += said and heard
            inserted += heard and not said
    return hits, said_n, inserted


def breakdown(refs: list[str], hyps: list[str]) -> str:
    """Where the errors are: substitutions, deletions and insertions over all notes (normalised as the
    WER is), and each note's WER."""
    import jiwer

    from kommuneki.services.tale.engine.wer import normalise, word_error_rate

    out = jiwer.process_words([normalise(r) for r in refs], [normalise(h) or "∅" for h in hyps])
    per_note = " ".join(f"{word_error_rate(r, h):.2f}" for r, h in zip(refs, hyps, strict=True))
    return f"S {out.substitutions} D {out.deletions} I {out.insertions} H {out.hits}; per note {per_note}"


def cached(args, variant: str, path: Path, options: dict, make):
    """``make()``, or its result from an earlier run on the same audio, model and decoding options
    (--cache: decoding is deterministic; the vocabulary matching after it always runs again)."""
    if not args.cache:
        return make()
    import json
    import pickle

    digest = hashlib.sha256(path.read_bytes() + json.dumps(options, sort_keys=True, default=str).encode())
    store = Path(args.cache) / f"{variant}-{path.stem}-{digest.hexdigest()[:16]}.pickle"
    if store.exists():
        return pickle.loads(store.read_bytes())
    value = make()
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(pickle.dumps(value))
    return value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["heldout", "dev", "both"], default="heldout")
    ap.add_argument("--model", default=None)
    ap.add_argument(
        "--human",
        nargs="*",
        default=None,
        help="vocabulary insertions on real speech (default: both speeches)",
    )
    ap.add_argument("--show", action="store_true", help="print each transcript")
    ap.add_argument("--hotwords", action="store_true", help="also the vocabulary as Whisper's hot words")
    ap.add_argument("--cache", default=None, help="keep decoded transcripts here between runs")
    ap.add_argument("--only", nargs="+", default=None, help="run only these variants")
    ap.add_argument("--breakdown", action="store_true", help="substitutions, deletions, insertions")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads for decoding (default 1)")
    ap.add_argument(
        "--set",
        dest="overrides",
        default=None,
        help="decoding options for the pipeline, as JSON (e.g. '{\"beam_size\": 1}'), to compare settings",
    )
    args = ap.parse_args()
    check_frozen()
    from faster_whisper import WhisperModel

    from kommuneki.services.tale.engine import vocabulary as vocab
    from kommuneki.services.tale.engine.model import locate
    from kommuneki.services.tale.engine.transcribe import Transcriber, apply_vocabulary
    from kommuneki.services.tale.engine.wer import char_error_rate, word_error_rate

    info = locate(Path(args.model) if args.model else None, ROOT / "data" / "tale-models")
    import json

    overrides = json.loads(args.overrides) if args.overrides else None
    threads = args.threads
    pipeline = Transcriber(info, cpu_threads=threads, overrides=overrides)
    hotwords = (
        Transcriber(info, cpu_threads=threads, vocabulary_mode="hotwords", overrides=overrides)
        if args.hotwords
        else None
    )
    baseline = WhisperModel(str(info.path), device="cpu", compute_type="int8", cpu_threads=threads)
    terms = vocabulary()
    matchable = vocab.terms(terms)
    print(f"model {info.name} sha256 {info.sha256[:12]}…; vocabulary {len(terms)} terms")
    if overrides:
        print(f"pipeline decoding overrides: {json.dumps(overrides, ensure_ascii=False)}")
    CACHE.mkdir(exist_ok=True)
    parts = ["dev", "heldout"] if args.part == "both" else [args.part]
    for part in parts if not args.human else []:
        refs = notes(part)
        audio = [
            synthesise(text, CACHE / f"{part}-{i:02d}.wav", CONDITIONS[i % len(CONDITIONS)])
            for i, text in enumerate(refs)
        ]
        seconds = sum(_duration(p) for p in audio)
        words = sum(len(r.split()) for r in refs)
        print(f"\n{part}: {len(refs)} notes, {words} words, {seconds:.0f} s of speech")
        variants = ["baseline", "pipeline", "pipeline+vocab"]
        variants += ["pipeline+hotwords"] if args.hotwords else []
        variants = [v for v in variants if not args.only or v in args.only]
        model_key = {"model": info.sha256, "pipeline": pipeline.decode_options("no")}
        rows = {}
        kept: list = []
        for variant in variants:
            texts, t0 = [], time.perf_counter()
            for k, path in enumerate(audio):
                if variant == "baseline":
                    texts.append(
                        cached(
                            args,
                            variant,
                            path,
                            {"model": info.sha256},  # the baseline's call does not change with --set
                            lambda path=path: baseline_text(baseline, path),
                        )
                    )
                elif variant == "pipeline":
                    kept.append(
                        cached(args, variant, path, model_key, lambda path=path: pipeline.transcribe(path))
                    )
                    texts.append(kept[-1].text)
                elif variant == "pipeline+vocab":
                    # the pipeline's vocabulary path (vocabulary_mode="match"): the decoder never sees the
                    # terms, so decoding is the one just made; apply_vocabulary is what transcribe() runs
                    for segment in kept[k].segments:
                        apply_vocabulary(segment, matchable)
                    texts.append(kept[k].text)
                else:
                    hot = cached(
                        args,
                        variant,
                        path,
                        model_key,
                        lambda path=path: hotwords.transcribe(path, vocabulary=terms),
                    )
                    texts.append(hot.text)
            took = time.perf_counter() - t0
            ref_all, hyp_all = " ".join(refs), " ".join(texts)
            wer, cer = word_error_rate(ref_all, hyp_all), char_error_rate(ref_all, hyp_all)
            hits, said, inserted = term_counts(refs, texts, terms)
            rows[variant] = wer
            print(
                f"  {variant:<17} WER {wer:.3f}  CER {cer:.3f}  terms right {hits}/{said}  "
                f"false insertions {inserted}  RTF {took / seconds:.3f}",
                flush=True,
            )
            if args.breakdown:
                print("    " + breakdown(refs, texts), flush=True)
            if args.show:
                for i, t in enumerate(texts):
                    print(f"    [{i}] {t}", flush=True)
        b = rows.get("baseline")
        for variant in variants[1:] if b else []:
            ratio = rows[variant] / b
            print(f"  {variant} / baseline WER: {ratio:.3f} ({(1 - ratio) * 100:.1f} % lower)")
    if args.human is not None:
        print("\nVocabulary terms written on real speech that says none of them (../shared/data/speech)")
        total = dict.fromkeys(("without", "match", "hotwords"), 0)
        for name in args.human or ["erna.mp3", "ub_erna.mp3"]:
            model_key = {"model": info.sha256, "pipeline": pipeline.decode_options("no")}
            plain = cached(
                args,
                "pipeline",
                SPEECH / name,
                model_key,
                lambda name=name: pipeline.transcribe(SPEECH / name),
            )
            counts = {"without": term_counts([""], [plain.text], terms)[2]}
            for segment in plain.segments:
                apply_vocabulary(segment, matchable)
            counts["match"] = term_counts([""], [plain.text], terms)[2]
            if hotwords is not None:
                hot = cached(
                    args,
                    "hotwords",
                    SPEECH / name,
                    model_key,
                    lambda name=name: hotwords.transcribe(SPEECH / name, vocabulary=terms),
                ).text
                counts["hotwords"] = term_counts([""], [hot], terms)[2]
            for k, v in counts.items():
                total[k] += v
            print(f"  {name}: vocabulary terms written: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            if args.show:
                print(f"    {plain.text}")
        print(f"  total false insertions on human speech: {total}")


def _duration(path: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


if __name__ == "__main__":
    main()
