"""Bulk creation of review suggestions with their items and audit entries: one valuation's review queue
(7,911 flagged dwellings of the demo's 103,000, with the valuation's own explanations — value, interval,
contributions in kroner, comparables) written the way the service writes it now (``items.ingest_many``
+ ``suggestions.suggest_many``) against the baseline measured in the same run: the one-by-one calls the
service used before (``items.ingest`` + ``suggestions.suggest`` per dwelling). Both in one transaction on
a fresh database; the audit chain is verified afterwards.

The explanations come from a real valuation of a generated kommune (bench/eiendomsskatt_speed.py's
generator): a smaller one is valued once and its flagged dwellings' explanations are reused, each with
its own unit id, to reach the count.

Run:  .venv/bin/python bench/core_bulk.py [--suggestions 7911] [--baseline 1000] [--postgres URL]
The baseline is timed on --baseline suggestions and scaled (it is linear: one statement chain each).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kommuneki.config import Settings  # noqa: E402
from kommuneki.core import accounts, audit, items, suggestions  # noqa: E402
from kommuneki.core.platform import Platform  # noqa: E402
from kommuneki.core.proposal import Proposal  # noqa: E402


def explanations(n: int) -> list[dict]:
    """Real valuation explanations (of flagged dwellings), repeated with fresh unit ids up to ``n``."""
    import numpy as np

    from kommuneki.services.eiendomsskatt.engine import demo, explain, mapping
    from kommuneki.services.eiendomsskatt.engine.valuation import run as valuation_run

    sales_raw, dw_raw = demo.generate(n_dwellings=12_000, n_sales=6_000, seed=11, n_kretser=40)
    mp = mapping.Mapping.from_dict(demo.DEMO_MAPPING)
    from datetime import date

    result = valuation_run(sales_raw, dw_raw, mp, valuation_date=date(2025, 1, 1))
    v = result.valuation
    frame = result.dwellings.frame
    rows = np.flatnonzero(v.flagged)[:400]
    dates = np.full(len(frame), np.datetime64(result.valuation_date, "D"))
    comps = explain.comparables(result.model, frame, dates, v)
    base = [result.explanation(int(i), comps[int(i)]) for i in rows]
    out = []
    for k in range(n):
        e = json.loads(json.dumps(base[k % len(base)], default=float))
        e["unit_id"] = f"B{k:06d}"
        out.append(e)
    return out


def proposals(expl: list[dict]) -> list[tuple[bytes, Proposal]]:
    made = []
    for e in expl:
        data = json.dumps({"unit_id": e["unit_id"], "run_id": 1}, sort_keys=True).encode()
        made.append(
            (
                data,
                Proposal(
                    kind="eiendomsskatt.verdi",
                    value={"value": 3_000_000, "unit_id": e["unit_id"]},
                    confidence=0.7,
                    explanation=e,
                    model_name="eiendomsskatt-lgbm",
                    model_version="bench",
                    input_hash=hashlib.sha256(data).hexdigest(),
                    cpu_ms=1.0,
                ),
            )
        )
    return made


def fresh(database_url: str | None) -> tuple[Platform, int, tempfile.TemporaryDirectory]:
    d = tempfile.TemporaryDirectory()
    platform = Platform.from_settings(Settings(data_dir=Path(d.name), database_url=database_url))
    platform.upgrade_db()
    with platform.db.installation_session() as session:
        tenant_id = accounts.create_tenant(session, slug=f"benk{time.time_ns()}", name="Benk kommune").id
    return platform, tenant_id, d


def one_by_one(platform: Platform, tenant_id: int, made) -> float:
    t0 = time.perf_counter()
    with platform.db.tenant_session(tenant_id) as session:
        for data, proposal in made:
            item = items.ingest(
                session,
                platform.blobs,
                tenant_id,
                service="eiendomsskatt",
                kind="dwelling",
                data=data,
                source="valuation",
                actor="bench",
            ).item
            suggestions.suggest(
                session,
                platform.registry,
                tenant_id,
                "eiendomsskatt",
                proposal,
                item_id=item.id,
                actor="bench",
            )
    return time.perf_counter() - t0


def in_bulk(platform: Platform, tenant_id: int, made) -> float:
    t0 = time.perf_counter()
    with platform.db.tenant_session(tenant_id) as session:
        item_ids = items.ingest_many(
            session,
            platform.blobs,
            tenant_id,
            [{"data": data} for data, _p in made],
            service="eiendomsskatt",
            kind="dwelling",
            source="valuation",
            actor="bench",
        )
        suggestions.suggest_many(
            session,
            platform.registry,
            tenant_id,
            "eiendomsskatt",
            [(p, i) for (_d, p), i in zip(made, item_ids, strict=True)],
            actor="bench",
        )
    return time.perf_counter() - t0


def verified(platform: Platform, tenant_id: int) -> tuple[bool, int]:
    with platform.db.read_session(tenant_id) as session:
        result = audit.verify_chain(session, audit.chain_for(tenant_id), platform.settings.checkpoint_dir)
    return result.ok, result.entries


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suggestions", type=int, default=7_911)
    ap.add_argument("--baseline", type=int, default=1_000)
    ap.add_argument("--postgres", default=None, help="also on this PostgreSQL database URL (emptied first)")
    args = ap.parse_args()
    print(f"explanations from a real valuation, {args.suggestions} suggestions …", flush=True)
    made = proposals(explanations(args.suggestions))
    size = sum(len(json.dumps(p.explanation)) for _d, p in made) / len(made)
    print(f"  mean explanation {size / 1000:.1f} kB")
    for label, url in [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else []):
        platform, tenant_id, d = fresh(url)
        bulk_s = in_bulk(platform, tenant_id, made)
        ok, n_entries = verified(platform, tenant_id)
        platform.close()
        d.cleanup()
        platform, tenant_id, d = fresh(url)
        base_s = one_by_one(platform, tenant_id, made[: args.baseline]) * len(made) / args.baseline
        platform.close()
        d.cleanup()
        print(
            f"{label}: {len(made)} suggestions with items and audit entries in bulk {bulk_s:.1f} s "
            f"({len(made) / bulk_s:,.0f}/s; goal <= 5 s); one by one (baseline, scaled from {args.baseline}) "
            f"{base_s:.1f} s; ratio bulk/baseline {bulk_s / base_s:.3f}; "
            f"chain verified: {ok} ({n_entries} entries)"
        )


if __name__ == "__main__":
    main()
