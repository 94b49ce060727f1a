"""Speech to text with faster-whisper on the CPU, with hallucination guards.

Fixed decoding: the tenant's language (``no`` or ``nn``: auto-detection takes Norwegian for Danish or
Swedish), temperature 0 (no retries at higher temperatures, which run at real time and invent text; on
the dev notes a fallback made WER worse), beam 5, Silero VAD (inside faster-whisper) so that silence and
noise never reach the decoder, word timestamps and probabilities, no conditioning on the previous window
(a loop cannot feed itself), and a repetition penalty with no repeated 5-token run in a window (the base
model's loops, «hann treng, hann treng, …»: dev WER 0.747 → see docs/services/tale.md).

Guards on every segment (:func:`judge`): a segment is *dropped* when Whisper itself says it is most likely
not speech and it has a low probability, when it loops (a repeated phrase that also compresses too well
or is likely not speech — seen with hot words echoed after the speech ends), when it repeats the segment
before it, when its audio has the flat spectrum of noise rather than speech (:func:`spectral_flatness`:
Silero VAD lets some white noise through), or when it is one of the
phrases Whisper is known to invent on silence (subtitle credits); it is *flagged* — kept, and shown for
review — when its average log-probability is low, it repeats a phrase within itself, or its text
compresses too well (a sign of a loop). Nothing that may be speech is silently removed.
"""

from __future__ import annotations

import math
import re
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from . import vocabulary as vocab
from .audio import MAX_AUDIO_S, SAMPLE_RATE, Chunk, chunks, probe_duration
from .model import ModelInfo

LANGUAGES = ("no", "nn")
LOW_AVG_LOGPROB = -1.0  # Whisper's own fallback threshold, here a review flag
LOW_WORD_PROBABILITY = 0.5  # words below are highlighted on the review page
NO_SPEECH_PROB = 0.6
HIGH_COMPRESSION = 2.4
# against loops (measured on the dev care notes, bench/tale_wer.py --part dev; docs/services/tale.md):
# previously written tokens score a little lower, and no run of this many tokens is written twice in a
# 30-s window (a loop repeats far longer runs; five tokens are about two to three words)
REPETITION_PENALTY = 1.1
NO_REPEAT_NGRAM = 5
SAMPLING_SEED = 16  # for a temperature fallback (sampling), so that a transcript can be made again
FLAGS = ("low_confidence", "repetition", "high_compression", "no_speech")
# What Whisper emits on silence, learned from subtitle credits in its training data (lower case).
KNOWN_HALLUCINATIONS = (
    "teksting av",
    "tekst av",
    "undertekster av",
    "norsk tekst",
    "takk for at du så på",
    "takk for at dere så på",
    "takk for at du lyttet",
    "abonner på kanalen",
    "www.",
    "nrk tekst",
)


@dataclass
class Word:
    word: str
    start: float
    end: float
    probability: float

    def as_dict(self) -> dict[str, Any]:
        return {"word": self.word, "start": self.start, "end": self.end, "probability": self.probability}


@dataclass
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    flags: list[str] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "avg_logprob": self.avg_logprob,
            "no_speech_prob": self.no_speech_prob,
            "flags": list(self.flags),
        }


@dataclass
class Transcript:
    language: str
    duration: float
    model: ModelInfo
    segments: list[Segment]
    dropped_segments: int
    settings: dict[str, Any]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "duration": self.duration,
            "model": self.model.as_dict(),
            "segments": [s.as_dict() for s in self.segments],
            "words": [w.as_dict() for w in self.words],
            "dropped_segments": self.dropped_segments,
        }


def _finite(value: float, floor: float = -100.0) -> float:
    """A JSON-safe number (no NaN or Infinity), rounded for output."""
    v = float(value)
    if math.isnan(v):
        return floor
    if math.isinf(v):
        return floor if v < 0 else -floor
    return round(v, 4)


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


_WORD = re.compile(r"\w+", re.UNICODE)


def repeats_within(text: str) -> bool:
    """A phrase of 1–6 words said 3 times in a row (≥ 4 times for one word: «ja, ja, ja» is speech)."""
    tokens = [t.lower() for t in _WORD.findall(text)]
    for n in range(1, 7):
        needed = 4 if n == 1 else 3
        for i in range(len(tokens) - n * needed + 1):
            gram = tokens[i : i + n]
            if all(tokens[i + k * n : i + (k + 1) * n] == gram for k in range(1, needed)):
                return True
    return False


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def judge(
    text: str,
    avg_logprob: float,
    no_speech_prob: float,
    ratio: float,
    previous: str | None,
    mean_word_probability: float = 1.0,
) -> tuple[list[str], str | None]:
    """(flags, reason to drop or None) for one decoded segment."""
    flags = []
    if avg_logprob < LOW_AVG_LOGPROB or mean_word_probability < LOW_WORD_PROBABILITY:
        flags.append("low_confidence")
    if repeats_within(text):
        flags.append("repetition")
    if ratio > HIGH_COMPRESSION:
        flags.append("high_compression")
    if no_speech_prob > NO_SPEECH_PROB:
        flags.append("no_speech")
    normal = _normal(text)
    if not normal:
        return flags, "empty"
    if "no_speech" in flags and "low_confidence" in flags:
        return flags, "no_speech"
    if "repetition" in flags and ("high_compression" in flags or "no_speech" in flags):
        return flags, "loop"  # a phrase said over and over that compresses well or is likely not speech
    if previous is not None and normal == _normal(previous):
        return flags, "repeats_previous"
    if any(normal.startswith(_normal(p)) or p in text.lower() for p in KNOWN_HALLUCINATIONS):
        if len(normal.split()) <= 8:
            return flags, "known_hallucination"
    return flags, None


# median spectral flatness above which a stretch is noise, not speech: white noise measures 0.41 here
# (Hann window), speech 0.00–0.05, speech under white noise at about 1 dB SNR 0.26, pink noise 0.09
NOISE_FLATNESS = 0.35
_FRAME = 512  # 32 ms at 16 kHz


def spectral_flatness(samples) -> float:
    """Median over 32 ms frames of the power spectrum's flatness (geometric / arithmetic mean): about
    0.4 for white noise, well under 0.1 for speech, which has formants and harmonics. The quieter half of
    the frames (where the VAD's padding lies) and digital silence are left out."""
    import numpy as np

    n = len(samples) // _FRAME
    if n < 3:
        return 0.0
    frames = np.asarray(samples[: n * _FRAME], dtype=np.float64).reshape(n, _FRAME) * np.hanning(_FRAME)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-12
    energy = power.mean(axis=1)
    loud = (energy >= np.percentile(energy, 50)) & (energy > 1e-8)
    if not loud.any():
        return 0.0
    flat = np.exp(np.log(power[loud]).mean(axis=1)) / power[loud].mean(axis=1)
    return float(np.median(flat))


def vocabulary_prompt(terms: Iterable[str]) -> str | None:
    """The tenant vocabulary as Whisper's hot words: the terms, comma separated (at most ~200 tokens)."""
    cleaned = [t.strip() for t in terms if t and t.strip() and not t.strip().startswith("#")]
    if not cleaned:
        return None
    prompt, used = "", 0
    for term in cleaned:
        if used + len(term) > 600:
            break
        prompt = f"{prompt}, {term}" if prompt else term
        used += len(term) + 2
    return prompt


def apply_vocabulary(segment: Segment, terms: list[vocab.Term]) -> int:
    """Replace runs of words that sound like a vocabulary term by the term (times kept, the lowest
    probability of the words kept so that the review page marks it); the segment's text follows its
    words. Returns how many replacements were made."""
    if not segment.words:
        return 0
    found = vocab.match([w.word for w in segment.words], [w.probability for w in segment.words], terms)
    if not found:
        return 0
    words, pos = [], 0
    originals = [w.word for w in segment.words]
    for i, j, term in found:
        words.extend(segment.words[pos:i])
        run = segment.words[i:j]
        words.append(
            Word(
                vocab.replaced_text(originals, i, j, term),
                run[0].start,
                run[-1].end,
                min(w.probability for w in run),
            )
        )
        pos = j
    words.extend(segment.words[pos:])
    segment.words = words
    segment.text = " ".join(w.word for w in words)
    return len(found)


class Transcriber:
    """One loaded model; :meth:`transcribe` may be called from several threads (one at a time)."""

    def __init__(
        self,
        model: ModelInfo,
        *,
        cpu_threads: int = 0,
        compute_type: str = "int8",
        vocabulary_mode: str = "match",
        overrides: dict[str, Any] | None = None,
    ):
        """``vocabulary_mode``: ``match`` (the default: the terms are matched by sound after decoding,
        :mod:`.vocabulary`), ``hotwords`` (Whisper's hot words, which write terms where none was said) or
        ``both``. ``overrides``: decoding options for the bench to compare (not used by the service)."""
        from faster_whisper import WhisperModel

        if vocabulary_mode not in ("match", "hotwords", "both"):
            raise ValueError("vocabulary_mode must be match, hotwords or both")
        self.model = model
        self.compute_type = compute_type
        self.vocabulary_mode = vocabulary_mode
        self.overrides = dict(overrides or {})
        self._whisper = WhisperModel(
            str(model.path), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
        )
        self._lock = threading.Lock()

    def decode_options(self, language: str, vocabulary: Iterable[str] = ()) -> dict[str, Any]:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")
        hotwords = vocabulary_prompt(vocabulary) if self.vocabulary_mode != "match" else None
        return {
            "language": language,
            "task": "transcribe",
            "beam_size": 5,
            "temperature": 0.0,
            "vad_filter": True,
            "vad_parameters": {"min_silence_duration_ms": 500, "speech_pad_ms": 300},
            "word_timestamps": True,
            "condition_on_previous_text": False,
            "repetition_penalty": REPETITION_PENALTY,
            "no_repeat_ngram_size": NO_REPEAT_NGRAM,
            "compression_ratio_threshold": HIGH_COMPRESSION,
            "log_prob_threshold": LOW_AVG_LOGPROB,
            "no_speech_threshold": NO_SPEECH_PROB,
            "hotwords": hotwords,
        } | self.overrides

    def transcribe(
        self,
        source: str | Path | BinaryIO,
        *,
        language: str = "no",
        vocabulary: Iterable[str] = (),
        progress: Callable[[float, float], None] | None = None,
        chunk_s: float = 300.0,
        max_s: float | None = MAX_AUDIO_S,
    ) -> Transcript:
        """Transcribe a file (path or binary file object). ``progress(done_s, total_s)`` after each
        segment (``total_s`` may be 0 when the container does not say). Raises ``AudioError``, also
        (``too_long``) for a recording over ``max_s`` seconds, before any of it is transcribed when the
        file says how long it is."""
        vocabulary = [t.strip() for t in vocabulary if t and t.strip() and not t.strip().startswith("#")]
        options = self.decode_options(language, vocabulary)
        matchable = vocab.terms(vocabulary) if self.vocabulary_mode != "hotwords" else []
        total = probe_duration(source) or 0.0
        kept: list[Segment] = []
        dropped, duration = 0, 0.0
        with self._lock:
            for chunk in chunks(source, chunk_s=chunk_s, max_s=max_s):
                duration = chunk.offset + chunk.duration
                more_kept, more_dropped = self._chunk(chunk, options, kept, progress, total)
                kept.extend(more_kept)
                dropped += more_dropped
                if progress:
                    progress(duration, max(total, duration))
        if matchable:
            for segment in kept:
                apply_vocabulary(segment, matchable)
        settings = {k: v for k, v in options.items() if k != "hotwords"}
        settings["vocabulary_terms"] = len(vocabulary)
        settings["vocabulary_mode"] = self.vocabulary_mode
        settings["compute_type"] = self.compute_type
        return Transcript(language, round(duration, 3), self.model, kept, dropped, settings)

    def _chunk(self, chunk: Chunk, options, kept_before, progress, total) -> tuple[list[Segment], int]:
        if isinstance(options.get("temperature"), list | tuple):
            import ctranslate2

            ctranslate2.set_random_seed(SAMPLING_SEED)  # a fallback samples: the same file, the same text
        segments, _info = self._whisper.transcribe(chunk.samples, **options)
        kept: list[Segment] = []
        dropped = 0
        for raw in segments:
            text = raw.text.strip()
            previous = (kept or kept_before)[-1].text if (kept or kept_before) else None
            words = [
                Word(
                    w.word.strip(),
                    round(chunk.offset + w.start, 3),
                    round(chunk.offset + w.end, 3),
                    _finite(w.probability, 0.0),
                )
                for w in (raw.words or [])
                if w.word.strip()
            ]
            mean_p = sum(w.probability for w in words) / len(words) if words else 1.0
            flags, reason = judge(
                text, raw.avg_logprob, raw.no_speech_prob, compression_ratio(text), previous, mean_p
            )
            a, b = int(raw.start * SAMPLE_RATE), int(raw.end * SAMPLE_RATE)
            if reason is None and spectral_flatness(chunk.samples[a:b]) > NOISE_FLATNESS:
                reason = "noise"  # the VAD let noise through: its spectrum is flat, speech's is not
            if progress:
                progress(chunk.offset + raw.end, max(total, chunk.offset + chunk.duration))
            if reason is not None:
                dropped += 1
                continue
            kept.append(
                Segment(
                    start=round(chunk.offset + raw.start, 3),
                    end=round(chunk.offset + raw.end, 3),
                    text=text,
                    avg_logprob=_finite(raw.avg_logprob),
                    no_speech_prob=_finite(raw.no_speech_prob, 0.0),
                    compression_ratio=_finite(compression_ratio(text), 0.0),
                    flags=[f for f in FLAGS if f in flags],
                    words=words,
                )
            )
        return kept, dropped
