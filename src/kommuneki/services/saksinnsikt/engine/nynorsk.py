"""Nynorsk questions against bokmål passages: the question translated to bokmål with Apertium.

Snowball's Norwegian stemmer is written for bokmål, so a nynorsk question («Korleis er nattogtilbodet i
dag?») misses passages that say «nattogtilbudet». BM25 therefore also reads the question's bokmål
translation by Apertium's nno→nob pair (Debian ``apertium-nno-nob``, GPL-2.0+, run as a separate program,
nothing linked): the translation's stems that the question lacks are added to it, so a bokmål question,
which Apertium leaves as it is, is scored as before.

The pipeline is the one ``apertium nno-nob`` runs (analyser, constraint grammar, tagger, bilingual
dictionary, lexical selection, three transfer stages, generator), started once per process with every
stage in null-flush mode (``-z``), so a question costs tens of milliseconds instead of a process start.
Without Apertium installed, or when the pipeline fails or is slow, the question is searched as written.
"""

from __future__ import annotations

import logging
import os
import re
import select
import shutil
import subprocess
import threading
from pathlib import Path

log = logging.getLogger(__name__)

PAIR_DIR = Path("/usr/share/apertium/apertium-nno-nob")
#: Longest text translated (a similar-case query may be longer; its start is translated).
MAX_CHARS = 2000
TIMEOUT_S = 2.0
_END = "[][\n]"  # a superblank closing each text, as apertium-destxt writes it
_SPECIAL = re.compile(r"([\\^$@\[\]{}/<>*#+~|])")
_UNESCAPE = re.compile(r"\\(.)")


def _pipeline(pair: Path) -> str:
    p = str(pair)
    return (
        f"lt-proc -z -w -e {p}/nno-nob.automorf.bin | cg-proc -z {p}/nno-nob.seg.rlx.bin "
        f"| cg-proc -z -w {p}/nno-nob.rlx.bin | apertium-tagger -z -g {p}/nno-nob.prob "
        f"| apertium-pretransfer -z | lt-proc -z -b {p}/nno-nob.autobil.bin "
        f"| lrx-proc -z -m {p}/nno-nob.autolex.bin "
        f"| apertium-transfer -z -b {p}/apertium-nno-nob.nno-nob.t1x {p}/nno-nob.t1x.bin "
        f"| apertium-interchunk -z {p}/apertium-nno-nob.nno-nob.t2x {p}/nno-nob.t2x.bin "
        f"| apertium-postchunk -z {p}/apertium-nno-nob.nno-nob.t3x {p}/nno-nob.t3x.bin "
        f"| lt-proc -z -n -g {p}/nno-nob.autogen.bin"
    )


class Translator:
    """One long-running Apertium nno→nob pipeline; thread-safe; restarted after a failure."""

    def __init__(self, pair: Path = PAIR_DIR) -> None:
        self.pair = pair
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        return (
            shutil.which("lt-proc") is not None
            and shutil.which("apertium-transfer") is not None
            and (self.pair / "nno-nob.autobil.bin").exists()
        )

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                ["bash", "-c", _pipeline(self.pair)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def to_bokmal(self, text: str) -> str | None:
        """The bokmål translation of ``text`` (its first :data:`MAX_CHARS`), or None when it cannot be
        had."""
        clean = " ".join(text[:MAX_CHARS].replace("\0", " ").split())
        if not clean or not self.available():
            return None
        with self._lock:
            try:
                proc = self._start()
                proc.stdin.write((_SPECIAL.sub(r"\\\1", clean) + _END + "\0").encode())
                proc.stdin.flush()
                out = b""
                fd = proc.stdout.fileno()
                while not out.endswith(b"\0"):
                    ready, _, _ = select.select([fd], [], [], TIMEOUT_S)
                    if not ready:
                        raise TimeoutError("Apertium svarte ikke i tide")
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        raise BrokenPipeError("Apertium stoppet")
                    out += chunk
            except (OSError, TimeoutError) as exc:
                log.warning("nynorsk→bokmål translation failed (%s); searching the question as written", exc)
                self._stop()
                return None
        result = out[:-1].decode("utf-8", "replace")
        if result.endswith(_END):
            result = result[: -len(_END)]
        return _UNESCAPE.sub(r"\1", result).strip()


_translator = Translator()


def to_bokmal(text: str) -> str | None:
    """The process-wide translator's bokmål version of ``text`` (None without Apertium)."""
    return _translator.to_bokmal(text)


def available() -> bool:
    return _translator.available()
