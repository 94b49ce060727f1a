"""Speed and memory of tale's pipeline against the MODELS.md baseline call, in the same run.

  baseline  faster-whisper's own call: the whole file decoded into memory (decode_audio), int8,
            beam 5, language="no", temperature 0 — nothing else (MODELS.md)
  pipeline  tale's Transcriber: chunked PyAV decoding (5 min chunks cut in quiet), Silero VAD, word
            timestamps, guards — what the service and the CLI run

Audio: the first N minutes of the Norwegian speeches in ../shared/data/speech (erna.mp3 409 s +
ub_erna.mp3 184 s, repeated to reach 30 min), written once as 16 kHz WAV. Each (variant, length) runs
in its own process so that the peak resident memory (VmHWM) is its own; the model load is timed
apart. Prints real-time factor (processing seconds / audio seconds), peak MB and pipeline/baseline
ratios. Not part of pass/fail. On this project's shared 2-core machine timings are noisy: say so.

--decode-only measures the audio decoding alone (the baseline's decode_audio of the whole file vs the
pipeline's chunks): the part of the memory that grows with the file's length, cheap at 30 minutes.

Run:  .venv/bin/python bench/tale_speed.py [--minutes 1 5 30] [--model DIR] [--threads 2] [--decode-only]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SPEECH = ROOT.parent / "shared" / "data" / "speech"


def make_audio(minutes: float, folder: Path) -> Path:
    import numpy as np

    from kommuneki.services.tale.engine.audio import SAMPLE_RATE, chunks

    path = folder / f"tale-{minutes:g}min.wav"
    if path.exists():
        return path
    need = int(minutes * 60 * SAMPLE_RATE)
    parts, have = [], 0
    while have < need:
        for name in ("erna.mp3", "ub_erna.mp3"):
            for c in chunks(SPEECH / name):
                parts.append(c.samples)
                have += len(c.samples)
                if have >= need:
                    break
            if have >= need:
                break
    samples = np.concatenate(parts)[:need]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def peak_mb() -> float:
    """This process's peak resident memory: VmHWM, which starts afresh at exec (ru_maxrss does not on
    Linux: it keeps the forking parent's peak, which held the whole bench audio while writing it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(variant: str, audio: str, model_dir: str | None, threads: int) -> None:
    from kommuneki.services.tale.engine.model import locate
    from kommuneki.services.tale.engine.transcribe import Transcriber

    if variant.endswith("-decode"):  # the audio decoding alone: what holds the samples in memory
        t1 = time.perf_counter()
        if variant == "baseline-decode":
            from faster_whisper.audio import decode_audio

            duration = len(decode_audio(audio)) / 16000
        else:
            from kommuneki.services.tale.engine.audio import chunks

            duration = sum(c.duration for c in chunks(audio))
        peak = peak_mb()
        print(
            json.dumps(
                {
                    "variant": variant,
                    "seconds": time.perf_counter() - t1,
                    "audio_s": duration,
                    "load_s": 0.0,
                    "peak_mb": peak,
                    "words": 0,
                    "model": "-",
                }
            )
        )
        return
    t0 = time.perf_counter()
    info = locate(Path(model_dir) if model_dir else None, ROOT / "data" / "tale-models")
    if variant == "baseline":
        from faster_whisper import WhisperModel
        from faster_whisper.audio import decode_audio

        model = WhisperModel(str(info.path), device="cpu", compute_type="int8", cpu_threads=threads)
        load_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        samples = decode_audio(audio)
        segments, _ = model.transcribe(samples, language="no", temperature=0.0, beam_size=5)
        words = sum(len(s.text.split()) for s in segments)
        duration = len(samples) / 16000
    else:
        tr = Transcriber(info, cpu_threads=threads)
        load_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = tr.transcribe(audio)
        words = len(result.words)
        duration = result.duration
    elapsed = time.perf_counter() - t1
    peak = peak_mb()
    print(
        json.dumps(
            {
                "variant": variant,
                "seconds": elapsed,
                "audio_s": duration,
                "load_s": load_s,
                "peak_mb": peak,
                "words": words,
                "model": info.name,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, nargs="+", default=[1.0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument(
        "--decode-only",
        action="store_true",
        help="time and peak memory of the audio decoding alone (whole file vs chunks), no model",
    )
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.model, args.threads)
        return
    if not SPEECH.is_dir():
        sys.exit(f"needs {SPEECH} (the shared data folder)")
    folder = Path(tempfile.gettempdir()) / "kommuneki-tale-bench"
    folder.mkdir(exist_ok=True)
    print(f"{'min':>5} {'variant':<9} {'RTF':>6} {'peak MB':>8} {'words':>6} {'load s':>6}")
    for minutes in args.minutes:
        audio = make_audio(minutes, folder)
        rows = {}
        variants = ("baseline-decode", "pipeline-decode") if args.decode_only else ("baseline", "pipeline")
        for variant in variants:
            cmd = [sys.executable, __file__, "--worker", variant, str(audio), "--threads", str(args.threads)]
            if args.model:
                cmd += ["--model", args.model]
            out = (
                subprocess.run(cmd, capture_output=True, text=True, check=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            r = rows[variant] = json.loads(out)
            r["rtf"] = r["seconds"] / r["audio_s"]
            cells = f"{r['rtf']:>6.3f} {r['peak_mb']:>8.0f} {r['words']:>6} {r['load_s']:>6.2f}"
            print(f"{minutes:>5g} {variant:<9} {cells}")
        b, p = rows[variants[0]], rows[variants[1]]
        ratios = f"time {p['rtf'] / b['rtf']:.2f}x  memory {p['peak_mb'] / b['peak_mb']:.2f}x"
        print(f"{minutes:>5g} ratio     {ratios}  (model {p['model']})")


if __name__ == "__main__":
    main()
