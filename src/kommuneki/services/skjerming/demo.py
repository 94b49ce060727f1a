"""Demo documents for skjerming: made-up letters (names, numbers and addresses from faker's no_NO
provider, seeded so the demo is the same every time; no real persons) screened into the review queue."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from ...core.models import Item
from ...core.platform import Platform
from . import engine

SEED = 4711


def documents() -> list[tuple[str, str, str]]:
    """(file name, journal title, text) of the demo documents."""
    from faker import Faker

    fake = Faker("no_NO")
    fake.seed_instance(SEED)
    p1, p2, p3 = fake.name(), fake.name(), fake.name()
    fnr1, fnr2 = fake.ssn(), fake.ssn()
    adr = fake.address().replace("\n", ", ")
    tlf = fake.phone_number()
    return [
        (
            "vedtak-sosialhjelp.txt",
            f"Vedtak om økonomisk sosialhjelp - {p1}",
            f"Vedtak om økonomisk sosialhjelp\n\nSøker: {p1}, fødselsnummer {fnr1}, {adr}.\n\n"
            f"{p1} har søkt om økonomisk sosialhjelp til husleie. Søkeren har en depresjon og er sykmeldt. "
            "Søknaden er innvilget etter sosialtjenesteloven § 18.\n\nMed hilsen\nNAV-kontoret",
        ),
        (
            "nabovarsel-garasje.txt",
            f"Byggesøknad garasje - {p2}",
            f"Nabovarsel\n\n{p2} har søkt om tillatelse til å bygge garasje på gnr. 12 bnr. 34. "
            f"Merknader sendes innen to uker. Spørsmål kan rettes til {p2} på telefon {tlf}.\n\n"
            "Ordfører Ola Bygdesen orienterte kommunestyret om saken.",
        ),
        (
            "faktura-kopi.txt",
            "Kopi av faktura kommunale avgifter",
            f"Kommunale avgifter 2025\n\nKunde: fødselsnummer {fnr2}. "
            "Beløpet trekkes fra konto 1503.12.34567. "
            "Fakturaen gjelder vann og avløp.",
        ),
        (
            "bekymringsmelding.txt",
            f"Bekymringsmelding - {p3}",
            f"Bekymringsmelding til barneverntjenesten\n\nSkolen melder bekymring for {p3}, født 12.03.2015. "
            "Eleven har hatt stort fravær og får spesialundervisning. Barneverntjenesten bes vurdere "
            "undersøkelse. Foreldrene er informert.",
        ),
    ]


def load(platform: Platform, tenant_id: int, progress: Callable[[str], None]) -> int:
    """Screen the demo documents that are not there yet. Idempotent; returns how many were added."""
    from .service import screen_document

    with platform.db.tenant_session(tenant_id) as session:
        have = set(session.scalars(select(Item.filename).where(Item.service == engine.SERVICE)))
    added = 0
    for name, title, text in documents():
        if name in have:
            continue
        screen_document(
            platform, tenant_id, text.encode("utf-8"), filename=name, actor="demo", source="demo", title=title
        )
        added += 1
    if added:
        progress(f"Skjerming: {added} demodokumenter gjennomgått.")
    return added
