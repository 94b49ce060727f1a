"""Audio in, 16 kHz mono float32 chunks out, with bounded memory.

PyAV (FFmpeg) reads what browsers and phones record: WAV, MP3, M4A/AAC, OGG/Opus, WebM, and the audio
track of a video. The file is decoded as a stream and handed on in chunks of about ``chunk_s`` seconds,
each cut at the quietest 50 ms of its last seconds so that a word is rarely split; a 3-hour file therefore
never sits in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

SAMPLE_RATE = 16_000
MAX_AUDIO_S = 4 * 3600  # longer recordings are refused (a dictation is minutes)
CUT_WINDOW_S = 5.0  # the cut is placed in the last seconds of a chunk, where it is quietest
CUT_FRAME_S = 0.05


class AudioError(Exception):
    """The file is not audio we can read (Norwegian message, a stable ``code``)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Chunk:
    offset: float  # seconds from the start of the file
    samples: np.ndarray  # float32, mono, 16 kHz

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def probe_duration(source: str | Path | BinaryIO) -> float | None:
    """The container's stated duration in seconds (None when it does not say, e.g. a browser's WebM)."""
    import av

    try:
        with av.open(_rewound(source), metadata_errors="ignore") as container:
            if container.duration:
                return container.duration / 1_000_000
            stream = next(iter(container.streams.audio), None)
            if stream is not None and stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except (av.error.FFmpegError, OSError, ValueError, IndexError):
        return None
    return None


def _stated_duration(container, stream) -> float | None:
    if container.duration:
        return container.duration / 1_000_000
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _rewound(source):
    if hasattr(source, "seek"):
        source.seek(0)
    return source


def _quiet_cut(samples: np.ndarray, earliest: int) -> int:
    """The sample index (≥ earliest) at the start of the quietest 50 ms frame after ``earliest``
    (a cut at 0 would make an empty chunk: the earliest frame is then skipped)."""
    frame = int(CUT_FRAME_S * SAMPLE_RATE)
    tail = samples[earliest:]
    n = len(tail) // frame
    if n < 2:
        return len(samples)
    energy = np.square(tail[: n * frame].reshape(n, frame)).mean(axis=1)
    return earliest + int(np.argmin(energy)) * frame


TOO_LONG = "Opptaket er lengre enn fire timer. Del det opp og last opp delene."


def chunks(
    source: str | Path | BinaryIO, chunk_s: float = 300.0, *, max_s: float | None = MAX_AUDIO_S
) -> Iterator[Chunk]:
    """Decode ``source`` and yield chunks of about ``chunk_s`` seconds (the last one shorter).

    Raises :class:`AudioError` for an empty, corrupt or unsupported file, or one without sound, and
    (code ``too_long``) for one longer than ``max_s`` seconds: refused before decoding when the container
    says so, and when the decoded sound passes ``max_s`` for a file that says less or nothing (None: no
    limit).
    """
    import av

    if isinstance(source, str | Path) and Path(source).is_file() and Path(source).stat().st_size == 0:
        raise AudioError("Lydfilen er tom.", "empty")
    limit = int(chunk_s * SAMPLE_RATE)
    window = int(CUT_WINDOW_S * SAMPLE_RATE)
    try:
        container = av.open(_rewound(source), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise AudioError(
            "Filen kunne ikke leses som lyd. Bruk WAV, MP3, M4A, OGG/Opus eller WebM.", "unreadable"
        ) from exc
    except (OSError, ValueError) as exc:
        raise AudioError("Filen kunne ikke leses som lyd.", "unreadable") from exc
    with container:
        stream = next(iter(container.streams.audio), None)
        if stream is None:
            raise AudioError("Filen har ikke noe lydspor.", "no_audio")
        stated = _stated_duration(container, stream)
        if max_s is not None and stated is not None and stated > max_s:
            raise AudioError(TOO_LONG, "too_long")
        most = None if max_s is None else int(max_s * SAMPLE_RATE)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        pending_len, offset, decoded_any = 0, 0, False

        def frames():
            try:
                for frame in container.decode(stream):
                    yield from resampler.resample(frame)
                yield from resampler.resample(None)  # flush
            except av.error.FFmpegError as exc:
                if not decoded_any:
                    raise AudioError(
                        "Filen kunne ikke leses som lyd. Bruk WAV, MP3, M4A, OGG/Opus eller WebM.",
                        "unreadable",
                    ) from exc
                # a damaged tail: keep what was read (a recording cut off by a dropped connection)

        for frame in frames():
            array = frame.to_ndarray().reshape(-1)
            if not len(array):
                continue
            decoded_any = True
            pending.append(array.astype(np.float32) / 32768.0)
            pending_len += len(array)
            if most is not None and offset + pending_len > most:  # longer than the file said
                raise AudioError(TOO_LONG, "too_long")
            while pending_len >= limit:
                buffer = np.concatenate(pending)
                cut = _quiet_cut(buffer[:limit], max(limit - window, limit // 2))
                yield Chunk(offset / SAMPLE_RATE, buffer[:cut])
                offset += cut
                rest = buffer[cut:]
                pending, pending_len = [rest], len(rest)
        if not decoded_any:
            raise AudioError("Filen inneholder ingen lyd som kunne leses.", "no_audio")
        if pending_len:
            yield Chunk(offset / SAMPLE_RATE, np.concatenate(pending))
