"""Målform's demo documents: four short letters written for the demo."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from ...core.models import Item
from ...core.platform import Platform
from .service import analyse_document

DEMO_DOCUMENTS = [
    (
        "brev-bokmal.txt",
        "Hei! Jeg lurer på når veien forbi skolen blir brøytet. Det har ikke vært brøytet "
        "siden mandag, og barna må gå i veibanen. Kan dere svare meg så snart som mulig?",
    ),
    (
        "brev-nynorsk.txt",
        "Hei! Eg lurer på kva tid vegen forbi skulen blir brøyta. Det har ikkje vore brøyta "
        "sidan måndag, og borna må gå i vegbana. Kan de svare meg så snart som mogleg?",
    ),
    (
        "letter-english.txt",
        "Hello, I recently moved to the municipality and would like to know how to register "
        "my children for kindergarten. Could you please tell me which documents I need?",
    ),
    ("kort.txt", "Takk for sist."),
]


def load(platform: Platform, tenant_id: int, progress: Callable[[str], None]) -> int:
    """Analyse the demo documents not yet in the tenant (idempotent). Returns how many were added."""
    with platform.db.tenant_session(tenant_id) as session:
        have = set(session.scalars(select(Item.filename).where(Item.service == "malform")))
    added = 0
    for name, text in DEMO_DOCUMENTS:
        if name not in have:
            analyse_document(platform, tenant_id, text.encode(), filename=name, actor="demo", source="demo")
            added += 1
    return added
