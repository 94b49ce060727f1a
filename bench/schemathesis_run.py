"""A larger schemathesis run over the app's OpenAPI than CI's (tests/web/test_schemathesis.py).

Builds the test world (two tenants, a user per role; tests/core/world.py) on SQLite and, when a server
is reachable at KOMMUNEKI_TEST_POSTGRES, on PostgreSQL, and runs ``--examples`` derandomized cases per
operation and generation mode (positive and negative) with an administrator's token. Prints cases,
seconds, 500s and the unique (operation, status) pairs, and the rate of unique 500s per 10,000 cases
against the baseline issue 12 measured before the fixes (12 unique in 10,331 cases). Nothing asserted.

Run:  .venv/bin/python bench/schemathesis_run.py [--examples 125] [--skip-postgres]
(about 10 minutes at the default on a quiet 2-core machine; --examples 50 for a quicker look)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.conftest import PG_ADMIN_URL, _pg_available, _sa_url  # noqa: E402
from tests.core.world import _token, build_world  # noqa: E402
from tests.web.fuzz_api import fuzz  # noqa: E402

from kommuneki.config import Settings  # noqa: E402
from kommuneki.core.platform import Platform  # noqa: E402

BASELINE_UNIQUE, BASELINE_CASES = 12, 10_331


def _postgres_url(name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(_sa_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _sa_url(PG_ADMIN_URL).rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(_sa_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(backend: str, examples: int) -> None:
    data = Path(tempfile.mkdtemp(prefix=f"kommuneki-fuzz-{backend}-"))
    pg_name = f"kommuneki_fuzz_{data.name[-8:].lower()}"
    url = _postgres_url(pg_name) if backend == "postgresql" else None
    platform = Platform.from_settings(Settings(data_dir=data, database_url=url, log_level="ERROR"))
    platform.upgrade_db()
    world = build_world(platform)
    try:
        result = fuzz(
            world.app,
            lambda: _token(world.platform, world.a, world.users["admin"], "schemathesis")[1],
            examples=examples,
        )
    finally:
        world.close()
        shutil.rmtree(data, ignore_errors=True)
        if url:
            _drop_postgres(pg_name)
    unique = sorted(result.unique_server_errors)
    rate = len(unique) / max(result.cases, 1) * 10_000
    baseline = BASELINE_UNIQUE / BASELINE_CASES * 10_000
    print(f"{backend}: {result.operations} operations, {result.cases} cases in {result.seconds:.0f} s")
    print(f"  responses >= 500: {len(result.server_errors)}; unique (operation, status): {len(unique)}")
    for label, status in unique:
        print(f"    {status} {label}")
    print(f"  unique 500s per 10,000 cases: {rate:.2f} (baseline before the fixes: {baseline:.2f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=125)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    run("sqlite", args.examples)
    if not args.skip_postgres:
        problem = _pg_available()
        if problem:
            print(f"postgresql: skipped ({problem})")
        else:
            run("postgresql", args.examples)


if __name__ == "__main__":
    main()
