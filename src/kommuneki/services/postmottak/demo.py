"""The demo tenant's post inbox: a few hundred generated messages (held-out phrasings, their own seed),
the demo's open cases, the tenant's postmottak settings, and a policy that auto-deletes machine mail —
so the demo shows a living postmottak. Idempotent: does nothing when the inbox already has mail."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from ...core.models import AutomationPolicy
from ...core.platform import Platform
from . import corpus, service
from .models import PostmottakMessage

# Kept modest so `kommuneki demo` starts quickly (the test suite loads the demo once per run);
# `kommuneki postmottak demo --n 300` fills the inbox further.
DEMO_MESSAGES = 48
DEMO_SEED = 4242


def load_demo(
    platform: Platform,
    tenant_id: int,
    progress: Callable[[str], None] = lambda _m: None,
    n: int = DEMO_MESSAGES,
    seed: int = DEMO_SEED,
) -> int:
    with platform.db.tenant_session(tenant_id) as session:
        if session.scalar(select(func.count()).select_from(PostmottakMessage)):
            return 0
    return add_messages(platform, tenant_id, progress, n=n, seed=seed)


def add_messages(
    platform: Platform,
    tenant_id: int,
    progress: Callable[[str], None] = lambda _m: None,
    n: int = DEMO_MESSAGES,
    seed: int = DEMO_SEED,
) -> int:
    """Settings, cases and policy (once), then ``n`` generated messages received over the last two weeks."""
    progress(f"Postmottak: {n} demomeldinger …")
    service.update_settings(
        platform, tenant_id, "demo", innsyn_days=3, domains=[corpus.DOMAIN], sender=corpus.POSTMOTTAK
    )
    cases = corpus.generate_cases()
    buf = io.StringIO()
    buf.write("saksnummer;tittel;enhet;gnr;bnr;adresse;part;status\n")
    for c in cases:
        buf.write(
            f"{c.saksnummer};{c.title};{c.unit};{c.gnr or ''};{c.bnr or ''};{c.address or ''};{c.party};"
            "under behandling\n"
        )
    service.import_cases(platform, tenant_id, buf.getvalue().encode(), actor="demo")
    with platform.db.tenant_session(tenant_id) as session:
        if (
            session.scalar(
                select(AutomationPolicy).where(
                    AutomationPolicy.service == "postmottak", AutomationPolicy.kind == "postmottak.delete"
                )
            )
            is None
        ):
            session.add(
                AutomationPolicy(service="postmottak", kind="postmottak.delete", enabled=True, threshold=0.97)
            )
    today = datetime.now(timezone.utc).replace(microsecond=0)
    ids = []
    for i, m in enumerate(corpus.generate(n, split="heldout", seed=seed, cases=cases)):
        # spread over the last two weeks so that innsyn countdowns show every state (open, today, overdue)
        received = today - timedelta(days=(i * 7) % 15, hours=i % 9)
        ids.append(
            service.receive(platform, tenant_id, m.raw, source="demo", actor="demo", received_at=received)[0]
        )
    # a few innsyn requests at every stage of the countdown: new, due soon, overdue, deemed refused
    innsyn = corpus.generate_category("innsyn", 2, seed=seed) + corpus.generate_category(
        "innsyn_einnsyn", 2, seed=seed
    )
    for m, days_ago in zip(innsyn, (0, 2, 5, 9), strict=False):
        ids.append(
            service.receive(
                platform,
                tenant_id,
                m.raw,
                source="demo",
                actor="demo",
                received_at=today - timedelta(days=days_ago),
            )[0]
        )
    for start in range(0, len(ids), 50):
        service.process_batch(platform, tenant_id, ids[start : start + 50], actor="demo")
    return len(ids)
