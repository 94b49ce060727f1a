"""Passages: a document's extracted text cut into spans of at most :data:`MAX_CHARS` characters.

Cut at paragraph, then sentence, then word boundaries; never inside a word unless a single word is longer
than a passage. Each passage keeps its 0-based code-point offsets into the extracted text (end
exclusive, ``text == extracted[start:end]``) and its page number (1-based, from the page starts of a PDF;
1 for formats without pages). Consecutive passages overlap by one sentence where that sentence is short,
so an answer spanning a boundary is still inside one passage.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

MAX_CHARS = 800
#: A passage is closed once it is at least this long and the next sentence would not fit.
TARGET_CHARS = 600
#: The last sentence of a passage is repeated at the start of the next when it is at most this long.
OVERLAP_MAX = 250

_SENTENCE_END = re.compile(r"(?<=[.!?:;»\"”)])\s+(?=[«\"“(\-–—A-ZÆØÅ0-9§])|\n+")


@dataclass(frozen=True)
class Passage:
    seq: int
    start: int
    end: int
    page: int
    text: str


def _pieces(text: str) -> list[tuple[int, int]]:
    """Sentence-like pieces as (start, end), whitespace between them left out; none longer than MAX_CHARS."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        out.extend(_trimmed(text, pos, m.start()))
        pos = m.end()
    out.extend(_trimmed(text, pos, len(text)))
    return [p for piece in out for p in _split_long(text, *piece)]


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if end > start else []


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    while end - start > MAX_CHARS:
        cut = text.rfind(" ", start + 1, start + MAX_CHARS + 1)
        if cut <= start:
            cut = start + MAX_CHARS
        out.extend(_trimmed(text, start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    out.extend(_trimmed(text, start, end))
    return out


def split_passages(text: str, page_starts: list[int] | None = None) -> list[Passage]:
    """The passages of ``text``. ``page_starts``: the offset where each page begins (sorted; PDFs)."""
    starts = page_starts or [0]
    pieces = _pieces(text)
    out: list[Passage] = []
    i = 0
    while i < len(pieces):
        first = i
        start, end = pieces[i]
        i += 1
        while i < len(pieces) and pieces[i][1] - start <= MAX_CHARS and end - start < TARGET_CHARS:
            end = pieces[i][1]
            i += 1
        page = bisect.bisect_right(starts, start)
        out.append(Passage(len(out), start, end, max(page, 1), text[start:end]))
        # overlap: start the next passage at this one's last sentence when it is short
        if i < len(pieces) and i - 1 > first and pieces[i - 1][1] - pieces[i - 1][0] <= OVERLAP_MAX:
            if pieces[i][1] - pieces[i - 1][0] <= MAX_CHARS:
                i -= 1
    return out


def sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (shifted by ``offset``)."""
    return [(s + offset, e + offset) for s, e in _pieces(text)]
