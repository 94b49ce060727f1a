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


def test_a_video_with_sound_is_transcribed_from_its_audio_track(transcriber, speech, tmp_path):
    import av

    voice = np.concatenate([c.samples for c in audio_engine.chunks(speech / "norwegian-medium-8s.mp3")])
    path = tmp_path / "film.mp4"
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=5)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = out.add_stream("aac", rate=16000, layout="mono")
        for i in range(40):  # 8 s of picture
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 5, dtype=np.uint8), format="rgb24")
            for packet in video.encode(frame):
                out.mux(packet)
        pcm = (np.clip(voice, -1, 1) * 32767).astype(np.int16)
        for start in range(0, len(pcm), 1024):
            frame = av.AudioFrame.from_ndarray(pcm[None, start : start + 1024], format="s16", layout="mono")
            frame.sample_rate = 16000
            for packet in sound.encode(frame):
                out.mux(packet)
        for stream in (video, sound):
            for packet in stream.encode():
                out.mux(packet)
    t = transcriber.transcribe(path)
    assert t.words and 7.0 < t.duration < 9.0


def test_a_three_hour_file_comes_in_bounded_chunks(three_hour_file):
    """Generated cheaply (a 2 s tone, then digital silence, 8 kHz FLAC: under 1 MB): the container says 3
    hours, and the decoder hands on five-minute chunks without reading the rest (the service's job
    reports progress per chunk and can be stopped between them: tests/services/tale/test_service.py)."""
    path = three_hour_file
    assert abs(audio_engine.probe_duration(path) - 10800) < 1
    stream = audio_engine.chunks(path)
    first, second = next(stream), next(stream)
    stream.close()  # nothing more is decoded
    assert 295 <= first.duration <= 300 and 295 <= second.duration <= 300
    assert second.offset == first.duration and first.samples.dtype == np.float32


def test_vocabulary_is_matched_by_sound_only_where_something_like_it_was_said():
    from kommuneki.services.tale.engine import vocabulary as vocab
    from kommuneki.services.tale.engine.transcribe import Segment, Word, apply_vocabulary

    terms = vocab.terms(["Paracet", "Selo-Zok", "Granly sykehjem", "Furix", "# a comment", "Lyngåsen bo- og"])
    assert [t.text for t in terms] == ["Paracet", "Selo-Zok", "Granly sykehjem", "Furix", "Lyngåsen bo- og"]
    assert vocab.sound_key("Paracet") == vocab.sound_key("parasett") == "paraset"

    def segment(text: str, p: float) -> Segment:
        words = [Word(w, i * 0.5, i * 0.5 + 0.4, p) for i, w in enumerate(text.split())]
        return Segment(0.0, 5.0, text, -0.5, 0.1, 1.2, [], words)

    s = segment("Vi ga to parasett, og han tok Selo sok og flyttet til Granli sykehjem.", 0.4)
    assert apply_vocabulary(s, terms) == 3
    assert s.text == "Vi ga to Paracet, og han tok Selo-Zok og flyttet til Granly sykehjem."
    zok = [w for w in s.words if w.word == "Selo-Zok"][0]
    assert (zok.start, zok.end, zok.probability) == (3.5, 4.4, 0.4)  # the words' times, still uncertain
    # confident words that only look a little like a term stay (fikk/Furix, for/Furix, parasoll/Paracet)
    sure = segment("Han fikk for lite mat og en parasoll i dag.", 0.95)
    assert apply_vocabulary(sure, terms) == 0 and sure.text == "Han fikk for lite mat og en parasoll i dag."
    # nothing like a term: nothing written, however uncertain
    unsure = segment("Hun sov godt i natt og spiste frokost.", 0.2)
    assert apply_vocabulary(unsure, terms) == 0
    # near exact spelling is fixed even when Whisper was sure of it
    spelled = segment("Vi ga Furiks i dag.", 0.99)
    assert apply_vocabulary(spelled, terms) == 1 and spelled.text == "Vi ga Furix i dag."


# --- issue 12: hostile audio (tests/regression_corpus/audio, made by make_corpus.py) -------------------

AUDIO_CORPUS = __import__("pathlib").Path(__file__).resolve().parents[2] / "regression_corpus" / "audio"


def test_a_small_file_that_claims_ten_hours_is_refused_before_anything_is_decoded():
    path = AUDIO_CORPUS / "claims-10-hours.mka"
    assert audio_engine.probe_duration(path) == pytest.approx(36000)
    produced = audio_engine.chunks(path)
    with pytest.raises(audio_engine.AudioError) as err:
        next(produced)  # before the first chunk: no model time is spent on it
    assert err.value.code == "too_long" and "fire timer" in err.value.message
    # without a limit (an operator's own choice) the one second it holds is read
    assert sum(c.duration for c in audio_engine.chunks(path, max_s=None)) == pytest.approx(1.0, abs=0.05)


def test_a_file_longer_than_it_claims_is_stopped_when_the_sound_passes_the_limit():
    path = AUDIO_CORPUS / "claims-1-second-is-3.mka"
    assert audio_engine.probe_duration(path) == pytest.approx(1.0)
    with pytest.raises(audio_engine.AudioError) as err:
        list(audio_engine.chunks(path, chunk_s=1.0, max_s=2.0))
    assert err.value.code == "too_long"
    assert sum(c.duration for c in audio_engine.chunks(path, max_s=4.0)) == pytest.approx(3.0, abs=0.05)


def test_a_file_cut_off_mid_stream_gives_what_it_holds_and_a_pdf_named_mp3_is_refused():
    kept = list(audio_engine.chunks(AUDIO_CORPUS / "truncated.mka"))
    assert 0.2 < sum(c.duration for c in kept) < 2.0
    with pytest.raises(audio_engine.AudioError) as err:
        list(audio_engine.chunks(AUDIO_CORPUS / "pdf-named.mp3"))
    assert err.value.code in ("unreadable", "no_audio") and err.value.message
