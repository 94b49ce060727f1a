"""The Noark 5 reader (kommuneki.ingest.noark5) on a generated arkivstruktur.xml: registreringer per
second (untraced) and peak Python memory (tracemalloc, a second run), against the baseline measured in
the same run — the whole file parsed into one tree (``ElementTree.parse``, what saksinnsikt's own reader
did before) and its registreringer counted.

    nice -n 10 .venv/bin/python bench/noark5_read.py [--registreringer 20000]

Not part of pass/fail; prints figures and ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

from kommuneki.ingest import noark5

NS = noark5.NOARK_NS


def write(path: Path, n: int, per_mappe: int = 10) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write(
            f'<?xml version="1.0" encoding="utf-8"?>\n<arkiv xmlns="{NS}"><systemID>a</systemID><arkivdel>'
        )
        f.write("<tittel>Sakarkiv</tittel>")
        for m in range(0, n, per_mappe):
            f.write(f"<mappe><systemID>m{m}</systemID><mappeID>2025/{m}</mappeID><tittel>Sak {m}</tittel>")
            for r in range(m, min(m + per_mappe, n)):
                f.write(
                    f"<registrering><systemID>r{r}</systemID><tittel>Søknad om tiltak, gnr {r}</tittel>"
                    "<korrespondansepart><korrespondanseparttype>Avsender</korrespondanseparttype>"
                    "<korrespondansepartNavn>Kari Nordmann</korrespondansepartNavn></korrespondansepart>"
                    f"<journalaar>2025</journalaar><journalsekvensnummer>{r}</journalsekvensnummer>"
                    "<journalposttype>Inngående dokument</journalposttype>"
                    "<journaldato>2025-03-01</journaldato>"
                    f"<dokumentbeskrivelse><systemID>d{r}</systemID><dokumenttype>Søknad</dokumenttype>"
                    "<tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom>"
                    f"<dokumentobjekt><referanseDokumentfil>dokumenter/{r}.pdf</referanseDokumentfil>"
                    "</dokumentobjekt></dokumentbeskrivelse></registrering>"
                )
            f.write(
                f"<saksaar>2025</saksaar><sakssekvensnummer>{m}</sakssekvensnummer>"
                "<administrativEnhet>Byggesak</administrativEnhet></mappe>"
            )
        f.write("</arkivdel></arkiv>\n")


def measure(fn) -> tuple[int, float, int]:
    """Count, seconds (without tracing) and peak traced memory (a second run, traced)."""
    start = time.perf_counter()
    count = fn()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, seconds, peak


def tree_baseline(path: Path) -> int:
    root = ET.parse(path).getroot()
    return sum(1 for _ in root.iter(f"{{{NS}}}registrering"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registreringer", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arkivstruktur.xml"
        write(path, args.registreringer)
        size = path.stat().st_size
        n_tree, s_tree, peak_tree = measure(lambda: tree_baseline(path))
        n_read, s_read, peak_read = measure(lambda: sum(1 for _ in noark5.read(path)))
    assert n_tree == n_read == args.registreringer
    print(f"arkivstruktur.xml: {args.registreringer} registreringer, {size / 1e6:.1f} MB")
    print(f"baseline (whole tree: parse, count): {n_tree / s_tree:,.0f} reg/s, peak {peak_tree / 1e6:.1f} MB")
    print(
        "noark5.read (well-formedness pass + streamed typed records): "
        f"{n_read / s_read:,.0f} reg/s, peak {peak_read / 1e6:.1f} MB"
    )
    print(f"peak memory ratio (read / baseline): {peak_read / peak_tree:.3f}")
    print(f"time ratio (read / baseline): {s_read / s_tree:.2f}")


if __name__ == "__main__":
    main()
