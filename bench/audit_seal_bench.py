"""What sealing the audit log costs: writing and verifying a chain with and without the audit key.

On a SQLite file it writes N entries (``unit.created``-shaped, 100 per transaction, through the real
``audit.record`` with checkpoint and, when sealed, shipping to a file) into a chain twice: once unsealed
(the baseline, today's chain) and once sealed with a key and shipped; then ``verify_installation`` of each.
Printed: entries per second written, verify seconds, and the sealed/unsealed ratio of each, measured in
the same run. Also the time of ``backup create`` for the sealed data folder.

Run:  .venv/bin/python bench/audit_seal_bench.py [--entries 20000]
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


def run(root: Path, entries: int, sealed: bool) -> dict[str, float]:
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
    start = time.perf_counter()
    done = 0
    while done < entries:
        with p.db.tenant_session(tid) as s:
            for _ in range(min(100, entries - done)):
                audit.record(s, tid, "unit.created", actor="system", subject=("unit", done), code=f"u{done}")
                done += 1
    write_s = time.perf_counter() - start
    start = time.perf_counter()
    with p.db.installation_session() as s:
        report = audit.verify_installation(s, p.settings.checkpoint_dir)
    verify_s = time.perf_counter() - start
    assert report.exit_code == 0, [r.as_dict() for r in report.results]
    out = {"write_per_s": entries / write_s, "verify_s": verify_s}
    if sealed:
        start = time.perf_counter()
        create_backup(p, root / "backup")
        out["backup_s"] = time.perf_counter() - start
    p.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=20000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain = run(Path(tmp), args.entries, sealed=False)
        sealed = run(Path(tmp), args.entries, sealed=True)
    print(f"entries: {args.entries} (SQLite file, 100 entries per transaction)")
    print(
        f"write  unsealed {plain['write_per_s']:8.0f}/s   sealed+shipped {sealed['write_per_s']:8.0f}/s   "
        f"ratio {sealed['write_per_s'] / plain['write_per_s']:.2f}"
    )
    print(
        f"verify unsealed {plain['verify_s']:8.3f} s   sealed         {sealed['verify_s']:8.3f} s   "
        f"ratio {sealed['verify_s'] / plain['verify_s']:.2f}"
    )
    print(f"backup create (sealed data folder): {sealed['backup_s']:.3f} s")


if __name__ == "__main__":
    main()
