"""Tale's engine on real audio: real Norwegian speech, generated silence and noise, bad files, chunking."""

from __future__ import annotations

import json
import math
import wave

import numpy as np
import pytest

from kommuneki.services.tale.engine import audio as audio_engine
from kommuneki.services.tale.engine.transcribe import FLAGS, judge, repeats_within
from kommuneki.services.tale.engine.wer import word_error_rate


def test_real_norwegian_speech_is_transcribed_with_words_and_times(transcriber, speech):
    refs = json.loads((speech / "references.json").read_text())
    clip = "norwegian-medium-8s.mp3"
    t = transcriber.transcribe(speech / clip, language="no")
    out = t.as_dict()
    assert out["language"] == "no" and 7.5 < out["duration"] < 8.5
    assert out["model"]["sha256"] == transcriber.model.sha256 and len(out["model"]["sha256"]) == 64
    assert out["text"] == " ".join(s["text"] for s in out["segments"])
    assert word_error_rate(refs[clip], out["text"]) < 0.9  # base is weak on Norwegian; a smoke test
    assert out["words"] and all(w["word"] == w["word"].strip() and w["word"] for w in out["words"])
    assert all(0 <= w["start"] <= w["end"] <= out["duration"] + 0.5 for w in out["words"])
    assert all(set(s["flags"]) <= set(FLAGS) for s in out["segments"])
    json.dumps(out, allow_nan=False)  # no NaN or Infinity anywhere


def test_silence_and_noise_give_no_text(transcriber, sox, tmp_path):
    silence, noise = tmp_path / "stille.wav", tmp_path / "stoy.wav"
    sox("-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", "20")
    sox("-n", "-r", "16000", "-c", "1", str(noise), "synth", "20", "whitenoise", "vol", "0.3")
    for path in (silence, noise):
        t = transcriber.transcribe(path)
        assert t.text == "" and t.segments == [], path.name


def test_chunked_decoding_keeps_times_from_the_start_of_the_file(transcriber, speech, sox, tmp_path):
    # 8 kHz telephone audio, decoded in 3 s chunks: times still count from the start of the file
    wide, phone = tmp_path / "bred.wav", tmp_path / "telefon.wav"
    write_wav(wide, speech / "norwegian-medium-8s.mp3")
    sox(str(wide), "-r", "8000", str(phone))
    chunked = transcriber.transcribe(phone, chunk_s=3.0)
    assert chunked.text and chunked.segments
    starts = [w.start for w in chunked.words]
    assert starts == sorted(starts) and max(starts) > 3.0
    assert abs(chunked.duration - audio_engine.probe_duration(phone)) < 0.05


def write_wav(path, source) -> None:
    """The source decoded (16 kHz mono) and written as 16-bit WAV (sox here reads no MP3)."""
    samples = np.concatenate([c.samples for c in audio_engine.chunks(source)])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(audio_engine.SAMPLE_RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def test_chunks_cover_the_file_with_bounded_size(speech):
    parts = list(audio_engine.chunks(speech / "norwegian-medium-8s.mp3", chunk_s=2.0))
    assert len(parts) >= 3
    assert all(0 < p.duration <= 2.0 for p in parts)
    for a, b in zip(parts, parts[1:], strict=False):
        assert math.isclose(a.offset + a.duration, b.offset, abs_tol=1e-6)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"not audio at all" * 50, "unreadable"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "unreadable"),
    ],
    ids=["empty", "text", "truncated-wav-header"],
)
def test_bad_files_give_a_norwegian_error(tmp_path, content, code):
    path = tmp_path / "fil.wav"
    path.write_bytes(content)
    with pytest.raises(audio_engine.AudioError) as err:
        list(audio_engine.chunks(path))
    assert err.value.code == code and err.value.message


def test_guards_drop_loops_and_credits_and_flag_doubt():
    assert judge("Teksting av Nicolai Winther", -0.3, 0.1, 1.2, None)[1] == "known_hallucination"
    assert judge("Han sov godt.", -0.2, 0.1, 1.1, "Han sov godt.")[1] == "repeats_previous"
    assert judge("Nå er det noe.", -0.9, 0.8, 1.1, None, mean_word_probability=0.3)[1] == "no_speech"
    loop = "Imovane, Fjellheim bofellesskap, " * 4  # hot words echoed after the speech ended
    assert judge(loop, -0.26, 0.7, 3.1, None)[1] == "loop"
    flags, reason = judge("Blodtrykket var høyt.", -1.3, 0.1, 1.1, None)
    assert reason is None and flags == ["low_confidence"]  # doubt is flagged, not dropped
    assert repeats_within("og så og så og så og så")
    assert not repeats_within("ja, ja, ja")


def test_a_video_without_sound_says_so(tmp_path):
    import av

    path = tmp_path / "film.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with pytest.raises(audio_engine.AudioError) as err:
        list(audio_engine.chunks(path))
    assert err.value.code == "no_audio" and "lydspor" in err.value.message


def test_noise_has_a_flat_spectrum_and_speech_has_not(speech):
    from kommuneki.services.tale.engine.transcribe import NOISE_FLATNESS, spectral_flatness

    voice = np.concatenate([c.samples for c in audio_engine.chunks(speech / "norwegian-medium-8s.mp3")])
    noise = np.random.default_rng(7).normal(0, 0.1, len(voice)).astype(np.float32)
    assert spectral_flatness(noise) > NOISE_FLATNESS > spectral_flatness(voice)
    assert spectral_flatness(voice + noise * (voice.std() / 0.1)) < NOISE_FLATNESS  # speech at 0 dB SNR
    assert spectral_flatness(np.zeros(16000, dtype=np.float32)) == 0.0
