"""Optical character recognition through the Tesseract command line (Debian ``tesseract-ocr`` with the
Norwegian model ``tesseract-ocr-nor``), on images we render ourselves.

Why the command line and not a Python binding: it is the Debian package people install, it needs no
compiled extension, and its TSV output gives every word with its box, which redaction needs. Each word
keeps its box, so a character offset in the recognised text maps back to a place on the page.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InvalidInput

LANGUAGES = "nor+eng"
TIMEOUT_S = 120


@dataclass(frozen=True)
class Word:
    text: str
    left: int  # pixels, top-left origin
    top: int
    width: int
    height: int
    conf: float
    block: int
    par: int
    line: int


@dataclass
class OcrText:
    """Recognised text and, for each character, the pixel box of its word (None for separators)."""

    text: str
    boxes: list[tuple[int, int, int, int] | None]  # (left, top, right, bottom) per character
    words: list[Word]


def available() -> bool:
    return shutil.which("tesseract") is not None


def _languages() -> str:
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "eng"
    langs = set(out.split())
    picked = [lang for lang in LANGUAGES.split("+") if lang in langs]
    return "+".join(picked) or "eng"


def _run(args: list[str], pages: int = 1) -> subprocess.CompletedProcess:
    if not available():
        raise InvalidInput(
            "Dokumentet har skannede sider, men tekstgjenkjenning (Tesseract) er ikke "
            "installert på serveren (apt-get install tesseract-ocr tesseract-ocr-nor)."
        )
    try:
        # one thread: Tesseract's OpenMP threads slow it down many times over on a shared, busy CPU
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        return subprocess.run(args, capture_output=True, timeout=TIMEOUT_S * pages, check=True, env=env)
    except subprocess.TimeoutExpired as exc:
        raise InvalidInput("Tekstgjenkjenningen tok for lang tid for en side.") from exc
    except subprocess.CalledProcessError as exc:
        raise InvalidInput("Tekstgjenkjenningen (Tesseract) feilet for en side.") from exc


def recognise(image, *, dpi: int = 300) -> OcrText:
    """OCR a PIL image. Returns the text (words joined by spaces, lines by newlines, paragraphs by a
    blank line) with a box for every character."""
    with tempfile.TemporaryDirectory(prefix="kommuneki-ocr-") as tmp:
        path = Path(tmp) / "page.png"
        image.save(path, dpi=(dpi, dpi))
        out = _run(["tesseract", str(path), "stdout", "-l", _languages(), "--dpi", str(dpi), "tsv"]).stdout
    words = []
    for row in csv.DictReader(
        io.StringIO(out.decode("utf-8", "replace")), delimiter="\t", quoting=csv.QUOTE_NONE
    ):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        words.append(
            Word(
                text,
                int(row["left"]),
                int(row["top"]),
                int(row["width"]),
                int(row["height"]),
                float(row["conf"]),
                int(row["block_num"]),
                int(row["par_num"]),
                int(row["line_num"]),
            )
        )
    parts: list[str] = []
    boxes: list[tuple[int, int, int, int] | None] = []
    prev: Word | None = None
    for w in words:
        if prev is not None:
            if (w.block, w.par) != (prev.block, prev.par):
                sep = "\n\n"
            elif w.line != prev.line:
                sep = "\n"
            else:
                sep = " "
            parts.append(sep)
            boxes.extend([None] * len(sep))
        parts.append(w.text)
        boxes.extend([(w.left, w.top, w.left + w.width, w.top + w.height)] * len(w.text))
        prev = w
    return OcrText("".join(parts), boxes, words)


def images_to_searchable_pdf(images, *, dpi: int) -> bytes:
    """A PDF of the given PIL images with Tesseract's invisible text layer (what it reads off the images,
    so nothing hidden in the source survives)."""
    with tempfile.TemporaryDirectory(prefix="kommuneki-ocr-") as tmp:
        listing = []
        for n, image in enumerate(images):
            path = Path(tmp) / f"page-{n:04d}.png"
            image.save(path, dpi=(dpi, dpi))
            listing.append(str(path))
        (Path(tmp) / "pages.txt").write_text("\n".join(listing) + "\n")
        _run(
            [
                "tesseract",
                str(Path(tmp) / "pages.txt"),
                str(Path(tmp) / "out"),
                "-l",
                _languages(),
                "--dpi",
                str(dpi),
                "-c",
                "textonly_pdf=0",
                "pdf",
            ],
            pages=len(listing),
        )
        return (Path(tmp) / "out.pdf").read_bytes()
