"""Search over files with no database: the ``kommuneki saksinnsikt search`` command and the benchmarks.

Files are read through the ingest package and cut into passages exactly as the stored index cuts them.
``--cache DIR`` keeps passage embeddings between runs in ``DIR/embeddings.sqlite`` (key: SHA-256 of the
passage text and the model name), so a second run embeds only new passages.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...core.errors import DomainError
from .documents import files_in, read_text
from .engine import dense
from .engine.passages import split_passages
from .engine.search import Corpus, QueryError, check_query


@dataclass
class FilePassage:
    path: str
    start: int
    end: int
    page: int
    text: str


def load_passages(paths: list[Path], warn: Callable[[str], None]) -> list[FilePassage]:
    files, skipped = files_in(paths)
    for message in skipped:
        warn(message)
    out: list[FilePassage] = []
    for file, shown in files:
        try:
            doc = read_text(file.read_bytes(), file.name)
        except (DomainError, OSError) as exc:
            warn(f"{shown}: {getattr(exc, 'message', None) or exc}")
            continue
        out.extend(
            FilePassage(shown, p.start, p.end, p.page, p.text)
            for p in split_passages(doc.text, doc.page_starts)
        )
    return out


class EmbeddingCache:
    """Passage embeddings by text hash in one SQLite file (or nothing, without a folder)."""

    def __init__(self, folder: Path | None) -> None:
        self._db = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(folder / "embeddings.sqlite")
            self._db.execute("CREATE TABLE IF NOT EXISTS embedding (key TEXT PRIMARY KEY, vector BLOB)")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{dense.MODEL_NAME}\n{text}".encode()).hexdigest()

    def cached(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The vectors already stored for ``keys``."""
        found: dict[str, np.ndarray] = {}
        if self._db is not None:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT key, vector FROM embedding WHERE key IN ({','.join('?' * len(chunk))})"
                found.update((k, dense.from_bytes(v)) for k, v in self._db.execute(q, chunk))
        return found

    def vectors(self, texts: list[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        found = self.cached(keys)
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        for i in range(0, len(missing), 256):
            batch = missing[i : i + 256]
            vecs = dense.embed_passages([t for _, t in batch])
            for (k, _), v in zip(batch, vecs, strict=True):
                found[k] = v
            if self._db is not None:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embedding VALUES (?, ?)",
                    [(k, dense.to_bytes(v)) for (k, _), v in zip(batch, vecs, strict=True)],
                )
                self._db.commit()
            if progress:
                progress(min(i + 256, len(missing)), len(missing))
        matrix = np.zeros((len(texts), dense.DIM), dtype=np.float32)
        for row, k in enumerate(keys):
            matrix[row] = found[k]
        return matrix


def build_corpus(passages: list[FilePassage], *, method: str, cache: EmbeddingCache | None = None) -> Corpus:
    texts = [p.text for p in passages]
    vectors = (cache or EmbeddingCache(None)).vectors(texts) if method in ("hybrid", "dense") else None
    return Corpus(texts, vectors)


def read_queries(lines: Iterable[str]) -> Iterator[tuple[Any, str | None, str | None]]:
    """(id, question, error) per non-blank line; error is Norwegian."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            yield None, None, f"Linje {number} er ikke gyldig JSON."
            continue
        if not isinstance(obj, dict):
            yield None, None, f"Linje {number} må være et JSON-objekt med «id» og «question»."
            continue
        ident = obj.get("id")
        if not isinstance(ident, (str, int)) or isinstance(ident, bool):
            yield None, None, f"Linje {number}: «id» må være tekst eller et heltall."
            continue
        try:
            yield ident, check_query(obj.get("question")), None
        except QueryError as exc:
            yield ident, None, f"Linje {number}: {exc}"


def answer_line(
    corpus: Corpus,
    passages: list[FilePassage],
    ident: Any,
    question: str,
    *,
    k: int,
    method: str,
    answer: bool,
) -> dict[str, Any]:
    hits = corpus.search(question, k=k, method=method)
    results = [
        {
            "path": passages[h.index].path,
            "start": passages[h.index].start,
            "end": passages[h.index].end,
            "score": round(h.score, 6) if math.isfinite(h.score) else 0.0,
            "text": passages[h.index].text,
        }
        for h in hits
    ]
    found = None
    if answer and hits:
        a = corpus.answer(question, hits, [passages[h.index].start for h in hits])
        if a is not None:
            p = passages[hits[a.passage].index]
            found = {"text": a.text, "path": p.path, "start": a.start, "end": a.end}
    return {"id": ident, "results": results, "answer": found}
