"""Coverage-guided fuzzing of the parsers with atheris (``pip install -e ".[bench]"``): e-mail, DOCX,
PDF (text layer), the eiendomsskatt table reader (CSV, XLSX) and the postmottak history readers (CSV,
Noark 5). Each parser runs in its own process for ``--seconds`` (default 600: the issue's 10 minutes),
starting from tests/regression_corpus. The property is the one the CI tests check
(tests/fuzz_support.py): a result or InvalidInput/PayloadTooLarge with a Norwegian message; anything
else is a finding, written to ``--out`` (crash-*) by libFuzzer.

Printed per parser: executions, executions per second, findings; and the ratio of executions per
second against the e-mail parser in the same run (the baseline).

Run:  .venv/bin/python bench/fuzz_parsers.py [--seconds 600] [--only email docx] [--out fuzz-findings]
Figures are printed; nothing is asserted. Speeds depend on the machine's load: say what else ran.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "email": "email",
    "docx": "docx",
    "pdf": "pdf",
    "table-csv": "csv",
    "table-xlsx": "xlsx",
    "history-csv": "csv",
    "history-noark": "noark",
}

CHILD = r"""
import sys, tempfile
from pathlib import Path
sys.path.insert(0, {root!r})
sys.path.insert(0, {src!r})
import atheris
with atheris.instrument_imports():
    from kommuneki.ingest import extract
    from kommuneki.ingest.email import parse_message
    from kommuneki.ingest.pdf import pdf_layout
    from kommuneki.services.eiendomsskatt.engine.mapping import read_table
    from kommuneki.services.postmottak import history
from tests.fuzz_support import assert_domain_error_or_result

target = {target!r}
tmp = Path(tempfile.mkdtemp())

def in_file(data, name, read):
    path = tmp / name
    path.write_bytes(data)
    return read(path)

CALLS = {{
    "email": lambda d: parse_message(d),
    "docx": lambda d: extract(d, "fuzz.docx"),
    "pdf": lambda d: pdf_layout(d, ocr=False, boxes=False),
    "table-csv": lambda d: read_table(d, "salg.csv"),
    "table-xlsx": lambda d: read_table(d, "salg.xlsx"),
    "history-csv": lambda d: in_file(d, "h.csv", history.from_csv),
    "history-noark": lambda d: in_file(d, "arkivstruktur.xml", history.from_noark),
}}

def one(data):
    assert_domain_error_or_result(lambda: CALLS[target](data))

atheris.Setup(sys.argv, one)
atheris.Fuzz()
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--only", nargs="*", default=list(TARGETS))
    ap.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    args = ap.parse_args()
    try:
        import atheris  # noqa: F401
    except ImportError:
        sys.exit('atheris is not installed: pip install -e ".[bench]"')
    args.out.mkdir(parents=True, exist_ok=True)
    rates: dict[str, float] = {}
    for name in args.only:
        corpus_dir = ROOT / "tests" / "regression_corpus" / TARGETS[name]
        work = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
        code = CHILD.format(root=str(ROOT), src=str(ROOT / "src"), target=name)
        t = time.perf_counter()
        r = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                str(work),
                str(corpus_dir),
                f"-max_total_time={args.seconds}",
                f"-artifact_prefix={args.out}/{name}-",
                "-rss_limit_mb=2048",
                "-timeout=30",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.perf_counter() - t
        runs = [int(m) for m in re.findall(r"#(\d+)\s", r.stderr)]
        execs = max(runs) if runs else 0
        speeds = [int(m) for m in re.findall(r"exec/s: (\d+)", r.stderr)]
        rates[name] = float(speeds[-1]) if speeds else (execs / took if took else 0.0)  # libFuzzer's own
        findings = sorted(p.name for p in args.out.glob(f"{name}-*"))
        base = rates.get("email") or rates[name]
        ratio = f"{rates[name] / base:.2f}× e-mail" if base else "e-mail not run"
        print(
            f"{name:14s} {execs:8d} runs, {took:5.0f} s with start-up "
            f"({rates[name]:7.1f}/s, {ratio}), exit {r.returncode}, "
            f"findings: {findings or 'none'}"
        )


if __name__ == "__main__":
    main()
