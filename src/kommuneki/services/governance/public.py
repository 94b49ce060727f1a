"""The public face of the register: the transparency page (no login) in the tenant's målform, the
machine-readable export, and the mapping to the Dutch algorithm register standard.

Only entries with status «pilot» or «i drift» are public. What is shown is what the kommune wrote in the
register (``public_summary`` if given, else ``purpose``) and the latest AI Act classification; the page
labels and the defaults kommuneki writes itself exist in bokmål and nynorsk.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kommuneki.core.errors import NotFound
from kommuneki.core.models import Tenant
from kommuneki.core.registry import ServiceRegistry

from . import aiact, register
from .models import KiSystem

PUBLIC_STATUSES = ("pilot", "i drift")
ALGORITMEREGISTER_STANDARD = (
    "0.3.1"  # Algorithmic Transparency Standard (github.com/Algoritmeregister/standard)
)

TEXTS: dict[str, dict[str, str]] = {
    "bokmal": {
        "lang": "nb",
        "title": "Kunstig intelligens i {tenant}",
        "intro": "Her ser du hvilke KI-systemer {tenant} bruker, hva de brukes til, hvilken risikoklasse de "
        "har "
        "etter KI-forordningen, og hvordan mennesker har kontroll med dem.",
        "principle": "Systemene gir forslag. Det er alltid en person i kommunen som avgjør saker om deg.",
        "purpose": "Formål",
        "risk": "Risikoklasse",
        "oversight": "Menneskelig kontroll",
        "contact": "Kontakt",
        "status": "Status",
        "supplier": "Leverandør",
        "legal_basis": "Rettslig grunnlag",
        "affects": "Brukes i avgjørelser om enkeltpersoner",
        "models": "Modeller",
        "yes": "Ja",
        "no": "Nei",
        "unclassified": "Ikke klassifisert ennå",
        "none": "Ikke oppgitt",
        "empty": "Kommunen har ikke registrert noen KI-systemer i bruk.",
        "json": "Maskinlesbar versjon (JSON)",
        "updated": "Sist endret",
        "count": "Antall systemer",
        "status_pilot": "Utprøving",
        "status_i drift": "I bruk",
        "rights": "Du kan be om innsyn i hvordan en avgjørelse om deg ble tatt, og hvilke opplysninger som "
        "ble brukt "
        "(personvernforordningen art. 15 og 22).",
        "own_oversight": register.OWN_OVERSIGHT,
        "own_supplier": register.OWN_SUPPLIER,
    },
    "nynorsk": {
        "lang": "nn",
        "title": "Kunstig intelligens i {tenant}",
        "intro": "Her ser du kva KI-system {tenant} bruker, kva dei blir brukte til, kva risikoklasse dei "
        "har "
        "etter KI-forordninga, og korleis menneske har kontroll med dei.",
        "principle": "Systema gir forslag. Det er alltid ein person i kommunen som avgjer saker om deg.",
        "purpose": "Føremål",
        "risk": "Risikoklasse",
        "oversight": "Menneskeleg kontroll",
        "contact": "Kontakt",
        "status": "Status",
        "supplier": "Leverandør",
        "legal_basis": "Rettsleg grunnlag",
        "affects": "Blir brukt i avgjerder om enkeltpersonar",
        "models": "Modellar",
        "yes": "Ja",
        "no": "Nei",
        "unclassified": "Ikkje klassifisert enno",
        "none": "Ikkje oppgitt",
        "empty": "Kommunen har ikkje registrert nokon KI-system i bruk.",
        "json": "Maskinlesbar versjon (JSON)",
        "updated": "Sist endra",
        "count": "Tal på system",
        "status_pilot": "Utprøving",
        "status_i drift": "I bruk",
        "rights": "Du kan be om innsyn i korleis ei avgjerd om deg vart teken, og kva opplysningar som vart "
        "brukte "
        "(personvernforordninga art. 15 og 22).",
        "own_oversight": "Systemet gir berre forslag. Ein saksbehandlar vurderer kvart forslag og godtek, "
        "endrar "
        "eller avviser det; alle forslag og avgjerder blir logga.",
        "own_supplier": "kommuneki (open kjeldekode, EUPL-1.2), drifta av kommunen sjølv",
    },
}


def tenant_by_slug(session: Session, slug: str) -> Tenant:
    t = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if t is None:
        raise NotFound("Fant ingen kommune med dette kortnavnet.")
    return t


def legal_basis_text(sd: dict[str, Any]) -> str:
    lb = sd["legal_basis"]
    parts = [p for p in (lb.get("art6"), lb.get("art9"), lb.get("sector_law")) if p]
    return "; ".join(parts)


def public_system(sd: dict[str, Any], malform: str) -> dict[str, Any]:
    t = TEXTS[malform]
    oversight = sd["human_oversight"]
    if malform == "nynorsk" and oversight.startswith(register.OWN_OVERSIGHT):
        oversight = t["own_oversight"] + oversight[len(register.OWN_OVERSIGHT) :]
    supplier = t["own_supplier"] if sd["supplier"] == register.OWN_SUPPLIER else sd["supplier"]
    risk_label = aiact.load_rules().risk_label(sd["risk_class"], malform) if sd["risk_class"] else None
    return {
        "name": sd["name"],
        "purpose": sd["public_summary"] or sd["purpose"],
        "status": sd["status"],
        "status_label": t.get(f"status_{sd['status']}", sd["status"]),
        "risk_class": sd["risk_class"],
        "risk_label": risk_label or t["unclassified"],
        "articles": sd["articles"],
        "human_oversight": oversight,
        "contact": sd["contact"] or sd["owner_unit"] or "",
        "owner": sd["owner_unit"],
        "supplier": supplier,
        "legal_basis": legal_basis_text(sd),
        "affects_individuals": sd["affects_individuals"],
        "models": [f"{m['name']} {m['version']}" for m in sd["models"] if m.get("active", True)],
        "updated_at": sd["updated_at"],
    }


def public_register(platform, slug: str) -> dict[str, Any]:
    """The public page's data for one tenant. Reads only; lists systems in pilot or in use."""
    with platform.db.installation_session() as session:
        t = tenant_by_slug(session, slug)
        tenant = {
            "id": t.id,
            "slug": t.slug,
            "name": t.name,
            "kommunenummer": t.kommunenummer,
            "malform": t.malform if t.malform in TEXTS else "bokmal",
        }
    with platform.db.tenant_session(tenant["id"]) as session:
        rows = session.scalars(
            select(KiSystem).where(KiSystem.status.in_(PUBLIC_STATUSES)).order_by(KiSystem.name)
        )
        systems = [public_system(register.system_dict(session, s), tenant["malform"]) for s in rows]
    tenant.pop("id")
    return {"tenant": tenant, "lang": TEXTS[tenant["malform"]]["lang"], "systems": systems}


# --- machine-readable export ----------------------------------------------------------------------


def export_entry(sd: dict[str, Any]) -> dict[str, Any]:
    """One system in the CLI/JSON export shape (the fields issue 6 names, then the rest)."""
    return {
        "name": sd["name"],
        "purpose": sd["purpose"],
        "owner": {"unit": sd.get("owner_unit") or None, "person": sd.get("owner_person") or None},
        "status": sd.get("status"),
        "risk_class": sd.get("risk_class"),
        "articles": sd.get("articles", []),
        "legal_basis": sd.get("legal_basis") or {"art6": None, "art9": None, "sector_law": None},
        "human_oversight": sd.get("human_oversight"),
        "models": sd.get("models", []),
        "key": sd["key"],
        "source": sd["source"],
        "service": sd.get("service"),
        "supplier": sd.get("supplier"),
        "service_area": sd.get("service_area"),
        "contact": sd.get("contact"),
        "data_categories": sd.get("data_categories", []),
        "affects_individuals": sd.get("affects_individuals"),
        "annex_iii": sd.get("annex_iii", []),
        "automation": sd.get("automation", []),
        "dpia": sd.get("dpia_ref") or None,
        "ros": sd.get("ros_ref") or None,
        "training_legal_basis": sd.get("training_legal_basis"),
        "assessed_at": sd.get("assessed_at"),
        "revision": sd.get("revision"),
        "updated_at": sd.get("updated_at"),
    }


def export_from_registry(registry: ServiceRegistry) -> dict[str, Any]:
    """The export with no database: kommuneki's own services from the service and model registries."""
    return {
        "tenant": None,
        "source": "registry",
        "algoritmeregister_standard": ALGORITMEREGISTER_STANDARD,
        "systems": [export_entry(e) for e in register.own_service_entries(registry)],
    }


def export_tenant(
    session: Session, registry: ServiceRegistry, tenant_id: int, *, actor: str
) -> dict[str, Any]:
    from kommuneki.core import audit

    register.sync_own_services(session, registry, tenant_id, actor=actor)
    t = session.get(Tenant, tenant_id)
    systems = [export_entry(register.system_dict(session, s)) for s in register.list_systems(session)]
    audit.record(
        session, tenant_id, "governance.register_exported", actor=actor, format="json", systems=len(systems)
    )
    return {
        "tenant": {"slug": t.slug, "name": t.name, "kommunenummer": t.kommunenummer, "malform": t.malform},
        "source": "database",
        "algoritmeregister_standard": ALGORITMEREGISTER_STANDARD,
        "systems": systems,
    }


# Our fields -> the Algorithmic Transparency Standard v0.3.1 attributes (see docs/services/governance.md).
RISK_CATEGORY = {
    "minimal": "minimal risk",
    "begrenset": "limited risk",
    "hoy": "high risk",
    "forbudt": "unacceptable",
}
STATUS = {"idé": "planned", "pilot": "pilot", "i drift": "operational", "avviklet": "retired"}


def to_algoritmeregister(sd: dict[str, Any], *, organization: str, lang: str = "nb") -> dict[str, Any]:
    """One entry in the attribute names of the Dutch Algorithmic Transparency Standard v0.3.1 (only the
    attributes we can fill; the rest stay out rather than being invented)."""
    models = sd.get("models", [])
    return {
        "standard_version": ALGORITMEREGISTER_STANDARD,
        "lang": lang,
        "name": sd["name"],
        "organization": organization,
        "department": sd.get("owner_unit") or None,
        "country": "Norway",
        "contact_email": sd.get("contact") or None,
        "contact_name": sd.get("owner_person") or None,
        "description_short": (sd.get("public_summary") or sd["purpose"] or "")[:150],
        "status": STATUS.get(sd.get("status") or "", None),
        "goal": sd["purpose"],
        "impact": "affects decisions about individuals" if sd.get("affects_individuals") else None,
        "risk_category": RISK_CATEGORY.get(sd.get("risk_class") or ""),
        "lawful_basis": legal_basis_text(sd) or None,
        "DPIA_url": sd.get("dpia_ref") or None,
        "training_data": "; ".join(
            m["training_data"]["description"] for m in models if m.get("training_data")
        )
        or None,
        "methods_and_models": "; ".join(f"{m['name']} {m['version']}" for m in models) or None,
        "performance": "; ".join(
            f"{m['name']} {m['version']}: " + ", ".join(f"{k} {v}" for k, v in m["metrics"].items())
            for m in models
            if m.get("metrics")
        )
        or None,
        "human_intervention": sd.get("human_oversight"),
        "monitoring": (
            f"Override rate and confidence drift per model version; alert above "
            f"{round(sd['thresholds']['override_rate'] * 100)} % overrides or PSI "
            f"{sd['thresholds']['drift_psi']}."
        )
        if sd.get("service")
        else None,
        "codebase_url": None,
    }
