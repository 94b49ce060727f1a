"""Demo data for the KI-register: two external systems (Microsoft Copilot, a vendor's citizen chatbot)
with register facts and the AI Act questionnaire run for them, and the own services' entries filled in.
Idempotent (keyed on the entry and on whether it has been classified) and fast."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from kommuneki.core.models import Tenant
from kommuneki.core.platform import Platform

from . import aiact, register, service
from .models import KiSystem

EXTERNAL = {
    "demo": [
        (
            {
                "name": "Microsoft 365 Copilot",
                "purpose": "Skrivehjelp, oppsummering og søk i kontorstøtte for ansatte.",
                "public_summary": "Ansatte bruker Copilot til å skrive utkast og oppsummere dokumenter. Alt "
                "som sendes ut, "
                "blir lest og godkjent av en ansatt.",
                "owner_unit": "IT og digitalisering",
                "owner_person": "Digitaliseringsleder",
                "contact": "postmottak@demo.kommune.test",
                "supplier": "Microsoft",
                "service_area": "Intern administrasjon",
                "legal_basis_art6": "Art. 6 nr. 1 bokstav e (offentlig myndighet), jf. kommuneloven",
                "data_categories": ["kontaktopplysninger", "saksinnhold i dokumenter"],
                "affects_individuals": False,
                "human_oversight": "Ansatte kontrollerer alt innhold før det brukes eller sendes ut. Ikke "
                "til bruk i enkeltsaker "
                "med særlige kategorier personopplysninger.",
                "status": "pilot",
            },
            "copilot",
        ),
        (
            {
                "name": "Innbyggerchatbot (leverandør)",
                "purpose": "Svarer innbyggere på generelle spørsmål om kommunens "
                "tjenester på nettsidene, døgnet rundt.",
                "public_summary": "Chatboten på nettsidene svarer på generelle spørsmål. Den sier fra at "
                "den er en KI, og den "
                "behandler ikke saker.",
                "owner_unit": "Kommunikasjon og servicetorg",
                "owner_person": "Leder servicetorget",
                "contact": "servicetorget@demo.kommune.test",
                "supplier": "Leverandør AS (eksempel)",
                "service_area": "Informasjon og veiledning",
                "legal_basis_art6": "Art. 6 nr. 1 bokstav e, jf. forvaltningsloven § 11 (veiledningsplikt)",
                "data_categories": ["spørsmål fra innbyggere (fritekst)"],
                "affects_individuals": False,
                "human_oversight": "Servicetorget leser utvalgte samtaler hver uke og retter "
                "kunnskapsbasen. Chatboten henviser "
                "til saksbehandler ved spørsmål om enkeltsaker.",
                "status": "i drift",
            },
            "innbyggerchatbot",
        ),
    ],
    "nabo": [
        (
            {
                "name": "Innbyggjarchatbot (leverandør)",
                "purpose": "Svarar innbyggjarar på generelle spørsmål om tenestene til kommunen.",
                "public_summary": "Chatboten på nettsidene svarar på generelle spørsmål. Han seier frå at "
                "han er ein KI, og han "
                "behandlar ikkje saker.",
                "owner_unit": "Servicetorget",
                "contact": "postmottak@nabo.kommune.test",
                "supplier": "Leverandør AS (døme)",
                "legal_basis_art6": "Art. 6 nr. 1 bokstav e, jf. forvaltningslova § 11",
                "human_oversight": "Servicetorget les utval av samtalar kvar veke og rettar kunnskapsbasen.",
                "status": "i drift",
            },
            "innbyggerchatbot",
        ),
    ],
}


def _load_tenant(platform: Platform, tenant_id: int, slug: str) -> int:
    added = 0
    with platform.db.tenant_session(tenant_id) as session:
        register.sync_own_services(session, platform.registry, tenant_id, actor="demo")
        have = {s.key: s for s in session.scalars(select(KiSystem))}
        todo = []
        for fields, example in EXTERNAL.get(slug, []):
            key = f"ext:{register._slug(fields['name'])}"
            system = have.get(key) or register.create_external(session, tenant_id, fields, actor="demo")
            added += key not in have
            todo.append((system, example))
        own = have.get("service:malform")
        if own is not None and not own.owner_unit:
            register.update_system(
                session,
                own,
                {
                    "owner_unit": "Postmottak og arkiv",
                    "contact": f"postmottak@{slug}.kommune.test",
                    "legal_basis_art6": "Art. 6 nr. 1 bokstav e, jf. arkivlova og mållova",
                    "data_categories": ["innhold i innkommende dokumenter"],
                    "status": "i drift",
                    "service_area": "Post og arkiv",
                },
                actor="demo",
            )
        # each service's own facts (its spec's ``register``): AI Act answers, the nynorsk summary
        own_facts = {spec.name: spec.register for spec in platform.registry if spec.register}
        for name in own_facts:
            if f"service:{name}" in have:
                todo.append((have[f"service:{name}"], name))
        if slug == "nabo":
            for key, system in have.items():
                facts = own_facts.get(key.removeprefix("service:")) if key.startswith("service:") else None
                summary = facts.summary_nn if facts else None
                if summary and not system.public_summary:
                    register.update_system(session, system, {"public_summary": summary}, actor="demo")
        for system, example in todo:
            if register.latest_assessment(session, system.id) is None:
                answers = aiact.EXAMPLES.get(example) or dict(own_facts[example].aiact_answers)
                service.assess(session, system, answers, actor="demo")
    return added


def load_demo(platform: Platform, tenant_id: int, progress: Callable[[str], None]) -> int:
    """DEMO_LOADERS entry: fills the register of the demo tenant and of the nynorsk neighbour."""
    progress("KI-register: eksterne systemer og klassifisering …")
    added = _load_tenant(platform, tenant_id, "demo")
    with platform.db.installation_session() as session:
        nabo = session.scalar(select(Tenant.id).where(Tenant.slug == "nabo"))
    if nabo is not None:
        added += _load_tenant(platform, nabo, "nabo")
    return added
