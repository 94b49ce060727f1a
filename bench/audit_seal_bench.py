"""What sealing the audit log costs: writing and verifying a chain with and without the audit key.

Two SQLite installations side by side: one unsealed (the baseline, the chain as it was), one sealed with
an audit key and shipping every head to a file. The same entries (``unit.created``-shaped, 100 per
transaction, through the real ``audit.record`` with its checkpoint) are written into both in alternating
blocks, so that a loaded machine slows both alike; then ``verify_installation`` of each, alternating, best
of three. Printed: entries per second written, verify seconds, and the sealed/unsealed ratio of each,
measured in the same run; and the time of ``backup create`` for the sealed data folder.

Run:  .venv/bin/python bench/audit_seal_bench.py [--entries 10000]
Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.config import Settings  # noqa: E402
from kommuneki.core import accounts, audit  # noqa: E402
from kommuneki.core.audit_seal import new_key_file  # noqa: E402
from kommuneki.core.backup import create_backup  # noqa: E402
from kommuneki.core.platform import Platform  # noqa: E402


def installation(root: Path, sealed: bool) -> tuple[Platform, int]:
    data = root / ("sealed" if sealed else "plain")
    extra = {}
    if sealed:
        key = root / f".kommuneki-audit-{data.name}.key"
        new_key_file(key)
        extra = {"audit_key_file": key, "audit_ship_to": f"file:{root / 'shipped.jsonl'}"}
    p = Platform.from_settings(Settings(data_dir=data, **extra))
    p.upgrade_db()
    with p.db.installation_session() as s:
        tid = accounts.create_tenant(s, slug="bench", name="Bench").id
    return p, tid


def write_block(p: Platform, tid: int, start: int, n: int) -> float:
    t0 = time.perf_counter()
    for first in range(start, start + n, 100):
        with p.db.tenant_session(tid) as s:
            for i in range(first, min(first + 100, start + n)):
                audit.record(s, tid, "unit.created", actor="system", subject=("unit", i), code=f"u{i}")
    return time.perf_counter() - t0


def verify(p: Platform) -> float:
    t0 = time.perf_counter()
    with p.db.installation_session() as s:
        report = audit.verify_installation(s, p.settings.checkpoint_dir)
    elapsed = time.perf_counter() - t0
    assert report.exit_code == 0, [r.as_dict() for r in report.results]
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=10000)
    ap.add_argument("--block", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (plain, pt), (sealed, st) = installation(root, False), installation(root, True)
        write = {"plain": 0.0, "sealed": 0.0}
        for start in range(0, args.entries, args.block):
            n = min(args.block, args.entries - start)
            write["plain"] += write_block(plain, pt, start, n)
            write["sealed"] += write_block(sealed, st, start, n)
        checks = {"plain": [], "sealed": []}
        for _ in range(3):
            checks["plain"].append(verify(plain))
            checks["sealed"].append(verify(sealed))
        t0 = time.perf_counter()
        create_backup(sealed, root / "backup")
        backup_s = time.perf_counter() - t0
        plain.close()
        sealed.close()
    rate = {k: args.entries / v for k, v in write.items()}
    best = {k: min(v) for k, v in checks.items()}
    print(f"entries: {args.entries} per chain (SQLite file, 100 entries per transaction)")
    print(
        f"write  unsealed {rate['plain']:8.0f}/s   sealed+shipped {rate['sealed']:8.0f}/s   "
        f"ratio {rate['sealed'] / rate['plain']:.2f}"
    )
    print(
        f"verify unsealed {best['plain']:8.3f} s   sealed         {best['sealed']:8.3f} s   "
        f"ratio {best['sealed'] / best['plain']:.2f}"
    )
    print(f"backup create (sealed data folder): {backup_s:.3f} s")


if __name__ == "__main__":
    main()
