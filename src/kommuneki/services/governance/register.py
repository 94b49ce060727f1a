"""The register of AI systems: entries, their history, and the link to the service and model registries.

kommuneki's own services are entered by :func:`sync_own_services` from the service registry (every spec
that declares suggestion kinds) and the model registry (``ModelVersion`` rows and the cards a service
ships); a new model version changes the entry, which gets a new revision and an audit entry. External
systems (Copilot, a vendor's chatbot) are added by hand. Every change writes a full snapshot to
``ki_system_revision`` and an audit entry holding only ids, field names and hashes.

Helpers here never commit: the caller owns the transaction.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kommuneki.core import audit
from kommuneki.core.db import utcnow
from kommuneki.core.errors import Conflict, InvalidInput, NotFound
from kommuneki.core.models import AutomationPolicy, ModelVersion, Suggestion
from kommuneki.core.registry import ServiceRegistry, ServiceSpec

from .models import STATUSES, KiAssessment, KiSystem, KiSystemRevision

OWN_SUPPLIER = "kommuneki (åpen kildekode, EUPL-1.2), driftet av kommunen selv"
OWN_OVERSIGHT = (
    "Systemet gir bare forslag. En saksbehandler vurderer hvert forslag og godtar, endrer eller "
    "avviser det; alle forslag og avgjørelser logges."
)

# Fields a person may edit, with their kind (text, bool, list).
EDITABLE: dict[str, str] = {
    "name": "text",
    "purpose": "text",
    "public_summary": "text",
    "owner_unit": "text",
    "owner_person": "text",
    "contact": "text",
    "supplier": "text",
    "service_area": "text",
    "legal_basis_art6": "text",
    "legal_basis_art9": "text",
    "sector_law": "text",
    "data_categories": "list",
    "affects_individuals": "bool",
    "human_oversight": "text",
    "status": "text",
    "dpia_ref": "text",
    "ros_ref": "text",
}
MAX_LEN = {
    "name": 200,
    "owner_unit": 200,
    "owner_person": 200,
    "contact": 320,
    "supplier": 200,
    "service_area": 200,
    "status": 20,
    "dpia_ref": 500,
    "ros_ref": 500,
}
SNAPSHOT_FIELDS = (
    "key",
    "source",
    "service",
    *EDITABLE,
    "training_legal_basis",
    "models",
    "override_alert_threshold",
    "drift_alert_threshold",
)


def own_specs(registry: ServiceRegistry) -> list[ServiceSpec]:
    """The services that make suggestions (governance itself declares no kinds and is left out)."""
    return [s for s in registry if s.kinds]


def _model_entry_from_card(
    card: dict[str, Any], origin: str, mv: ModelVersion | None = None
) -> dict[str, Any]:
    td = card.get("training_data") or {}
    return {
        "name": card.get("name"),
        "version": str(card.get("version")),
        "origin": origin,
        "model_id": mv.id if mv else None,
        "uid": mv.uid if mv else None,
        "registered_at": mv.created_at.isoformat() if mv and mv.created_at else None,
        "active": mv.active if mv else True,
        "intended_use": card.get("intended_use", ""),
        "training_data": {
            "description": td.get("description", ""),
            "rows": td.get("rows"),
            "period": td.get("period"),
            "personal_data": bool(td.get("personal_data")),
        },
        "metrics": card.get("metrics") or {},
        "limitations": list(card.get("limitations") or []),
        "artifact_sha256": mv.artifact_sha256 if mv else None,
    }


def service_models(spec: ServiceSpec, registered: list[ModelVersion] | None = None) -> list[dict[str, Any]]:
    """A service's models: the versions registered in the model registry (trained here or imported),
    and the cards it ships. A shipped card that is also registered appears once."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for mv in registered or []:
        origin = "importert" if (mv.origin or {}).get("installation") else "trent her"
        if mv.tenant_id is None:
            origin = "installert"
        out.append(_model_entry_from_card(mv.card, origin, mv))
        seen.add((mv.name, str(mv.version)))
    for card in spec.model_cards():
        if (card.get("name"), str(card.get("version"))) not in seen:
            out.append(_model_entry_from_card(card, "levert med kommuneki"))
    return out


def own_service_entries(registry: ServiceRegistry) -> list[dict[str, Any]]:
    """Register entries for kommuneki's own services from the registries alone (no database)."""
    return [
        {
            "key": f"service:{s.name}",
            "source": "kommuneki",
            "service": s.name,
            "name": s.title,
            "purpose": s.description,
            "supplier": OWN_SUPPLIER,
            "status": None,
            "human_oversight": OWN_OVERSIGHT,
            "automatable_kinds": [k.name for k in s.kinds if k.automatable],
            "models": service_models(s),
        }
        for s in own_specs(registry)
    ]


def snapshot(system: KiSystem) -> dict[str, Any]:
    return {f: getattr(system, f) for f in SNAPSHOT_FIELDS}


def _revise(session: Session, system: KiSystem, changed: list[str], actor: str) -> None:
    system.revision = (system.revision or 0) + 1
    system.updated_at = utcnow()
    session.add(
        KiSystemRevision(
            tenant_id=system.tenant_id,
            system_id=system.id,
            revision=system.revision,
            snapshot=snapshot(system),
            changed_fields=changed,
            actor=actor,
        )
    )


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Ukjente felt: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        kind = EDITABLE[name]
        if kind == "bool":
            out[name] = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "ja", "on")
        elif kind == "list":
            items = value if isinstance(value, list) else re.split(r"[,\n;]", str(value or ""))
            out[name] = [str(x).strip() for x in items if str(x).strip()]
        else:
            text = str(value or "").strip()
            if len(text) > MAX_LEN.get(name, 10_000):
                raise InvalidInput(f"Feltet {name} er for langt (høyst {MAX_LEN.get(name, 10_000)} tegn).")
            out[name] = text
    if "status" in out and out["status"] not in STATUSES:
        raise InvalidInput(f"Status må være en av: {', '.join(STATUSES)}.")
    if "name" in out and not out["name"]:
        raise InvalidInput("Systemet må ha et navn.")
    return out


def _slug(name: str) -> str:
    s = unicodedata.normalize("NFKD", name.lower().replace("ø", "o").replace("æ", "ae").replace("å", "a"))
    s = re.sub(r"[^a-z0-9]+", "-", s.encode("ascii", "ignore").decode()).strip("-")
    return s[:80] or "system"


def create_external(session: Session, tenant_id: int, fields: dict[str, Any], *, actor: str) -> KiSystem:
    """Add an AI system used from elsewhere (Copilot, a vendor's chatbot). Refuses a duplicate name."""
    data = _clean(fields)
    if not data.get("name"):
        raise InvalidInput("Systemet må ha et navn.")
    key = f"ext:{_slug(data['name'])}"
    if session.scalar(select(KiSystem.id).where(KiSystem.key == key)) is not None:
        raise Conflict(f"Registeret har allerede et system som heter {data['name']}.")
    system = KiSystem(
        tenant_id=tenant_id, key=key, source="external", service=None, revision=0, **{"status": "idé", **data}
    )
    session.add(system)
    session.flush()
    _revise(session, system, sorted(data), actor)
    audit.record(
        session,
        tenant_id,
        "governance.system_created",
        actor=actor,
        subject=("ki_system", system.id),
        source="external",
        revision=system.revision,
    )
    return system


def update_system(session: Session, system: KiSystem, fields: dict[str, Any], *, actor: str) -> list[str]:
    """Change register fields; returns the names of the fields that changed (none: nothing recorded)."""
    data = _clean(fields)
    changed = sorted(k for k, v in data.items() if getattr(system, k) != v)
    if not changed:
        return []
    for k in changed:
        setattr(system, k, data[k])
    _revise(session, system, changed, actor)
    audit.record(
        session,
        system.tenant_id,
        "governance.system_updated",
        actor=actor,
        subject=("ki_system", system.id),
        fields=changed,
        revision=system.revision,
    )
    return changed


def sync_own_services(
    session: Session, registry: ServiceRegistry, tenant_id: int, *, actor: str = "system"
) -> list[KiSystem]:
    """Bring the entries of kommuneki's own services in step with the service and model registries.

    Creates a missing entry — status «pilot» when the service has made suggestions in this tenant, else
    «idé»; an entry still at «idé» that no person has given a status moves to «pilot» once the service
    is used — and records a new revision when the set of models changed (a model retrained, imported or
    retired). Idempotent: nothing is written when nothing changed."""
    existing = {s.key: s for s in session.scalars(select(KiSystem).where(KiSystem.source == "kommuneki"))}
    registered = list(
        session.scalars(
            select(ModelVersion)
            .where((ModelVersion.tenant_id == tenant_id) | ModelVersion.tenant_id.is_(None))
            .order_by(ModelVersion.id)
        )
    )
    used = set(session.scalars(select(Suggestion.service).distinct()))
    out = []
    for spec in own_specs(registry):
        models = service_models(spec, [m for m in registered if m.service == spec.name])
        key = f"service:{spec.name}"
        system = existing.get(key)
        if system is None:
            system = KiSystem(
                tenant_id=tenant_id,
                key=key,
                source="kommuneki",
                service=spec.name,
                name=spec.title,
                purpose=spec.description,
                supplier=OWN_SUPPLIER,
                human_oversight=OWN_OVERSIGHT,
                status="pilot" if spec.name in used else "idé",
                models=models,
                revision=0,
                data_categories=[],
            )
            session.add(system)
            session.flush()
            _revise(session, system, ["created"], actor)
            audit.record(
                session,
                tenant_id,
                "governance.system_created",
                actor=actor,
                subject=("ki_system", system.id),
                source="kommuneki",
                revision=system.revision,
            )
        if system.status == "idé" and spec.name in used and not _status_set_by_person(session, system):
            system.status = "pilot"
            _revise(session, system, ["status"], actor)
            audit.record(
                session,
                tenant_id,
                "governance.system_updated",
                actor=actor,
                subject=("ki_system", system.id),
                fields=["status"],
                revision=system.revision,
            )
        if _model_keys(system.models) != _model_keys(models):
            system.models = models
            _revise(session, system, ["models"], actor)
            audit.record(
                session,
                tenant_id,
                "governance.models_changed",
                actor=actor,
                subject=("ki_system", system.id),
                revision=system.revision,
                models_sha256=audit.sha256_text(_model_keys(models)),
                count=len(models),
            )
        out.append(system)
    return out


def _status_set_by_person(session: Session, system: KiSystem) -> bool:
    rows = session.scalars(
        select(KiSystemRevision.changed_fields).where(KiSystemRevision.system_id == system.id)
    )
    return any("status" in (fields or []) for fields in rows)


def _model_keys(models: list[dict[str, Any]] | None) -> list[tuple]:
    return sorted(
        (m.get("name"), m.get("version"), m.get("model_id"), bool(m.get("active", True)))
        for m in models or []
    )


def list_systems(session: Session) -> list[KiSystem]:
    return list(session.scalars(select(KiSystem).order_by(KiSystem.source.desc(), KiSystem.name)))


def get_system(session: Session, system_id: int) -> KiSystem:
    s = session.get(KiSystem, system_id)
    if s is None or s.tenant_id != session.info.get("tenant_id", s.tenant_id):
        raise NotFound("Systemet finnes ikke i registeret.")
    return s


def revisions(session: Session, system_id: int) -> list[KiSystemRevision]:
    return list(
        session.scalars(
            select(KiSystemRevision)
            .where(KiSystemRevision.system_id == system_id)
            .order_by(KiSystemRevision.revision.desc())
        )
    )


def latest_assessment(session: Session, system_id: int) -> KiAssessment | None:
    return session.scalar(
        select(KiAssessment)
        .where(KiAssessment.system_id == system_id)
        .order_by(KiAssessment.id.desc())
        .limit(1)
    )


def automation_summary(session: Session, service: str | None) -> list[dict[str, Any]]:
    """The automation policies switched on for a service (decisions made without a person)."""
    if not service:
        return []
    rows = session.scalars(
        select(AutomationPolicy).where(
            AutomationPolicy.service == service, AutomationPolicy.enabled.is_(True)
        )
    )
    return [{"kind": p.kind, "threshold": p.threshold} for p in rows]


def oversight_text(system: KiSystem, automation: list[dict[str, Any]]) -> str:
    text = system.human_oversight or ""
    if automation:
        parts = ", ".join(
            f"{a['kind']} ved sikkerhet minst {round(a['threshold'] * 100)} %" for a in automation
        )
        text = (
            text + " " if text else ""
        ) + f"Automatisk godkjenning er slått på for: {parts}; slike avgjørelser logges som automatiske."
    return text


def system_dict(session: Session, system: KiSystem) -> dict[str, Any]:
    """Everything about an entry, with its latest AI Act classification and live automation settings."""
    a = latest_assessment(session, system.id)
    automation = automation_summary(session, system.service)
    return {
        "id": system.id,
        "key": system.key,
        "source": system.source,
        "service": system.service,
        "name": system.name,
        "purpose": system.purpose,
        "public_summary": system.public_summary,
        "owner_unit": system.owner_unit,
        "owner_person": system.owner_person,
        "contact": system.contact,
        "supplier": system.supplier,
        "service_area": system.service_area,
        "legal_basis": {
            "art6": system.legal_basis_art6,
            "art9": system.legal_basis_art9,
            "sector_law": system.sector_law,
        },
        "training_legal_basis": system.training_legal_basis,
        "data_categories": list(system.data_categories or []),
        "affects_individuals": system.affects_individuals,
        "human_oversight": oversight_text(system, automation),
        "human_oversight_raw": system.human_oversight,
        "automation": automation,
        "status": system.status,
        "dpia_ref": system.dpia_ref,
        "ros_ref": system.ros_ref,
        "models": list(system.models or []),
        "risk_class": a.risk_class if a else None,
        "risk_label": a.result.get("risk_label") if a else None,
        "articles": [x["article"] for x in a.result.get("articles", [])] if a else [],
        "annex_iii": [p["point"] for p in a.result.get("annex_iii", [])] if a else [],
        "assessment_id": a.id if a else None,
        "assessed_at": a.created_at.isoformat() if a and a.created_at else None,
        "thresholds": {
            "override_rate": system.override_alert_threshold,
            "drift_psi": system.drift_alert_threshold,
        },
        "revision": system.revision,
        "updated_at": system.updated_at.isoformat() if system.updated_at else None,
    }


# --- legal basis for training on personal data ----------------------------------------------------


def set_training_legal_basis(
    session: Session,
    registry: ServiceRegistry,
    tenant_id: int,
    service: str,
    basis: str | None,
    *,
    actor: str,
) -> KiSystem:
    """Record (or, with None/empty, withdraw) the legal basis for training ``service``'s models on
    personal data. Refuses an unknown service or a basis shorter than ten characters."""
    if registry.get(service) is None or not registry.get(service).kinds:
        raise InvalidInput(f"Ukjent tjeneste: {service}")
    text = (basis or "").strip()
    if text and len(text) < 10:
        raise InvalidInput(
            "Beskriv det rettslige grunnlaget (minst ti tegn), f.eks. lovhjemmel og vurdering."
        )
    sync_own_services(session, registry, tenant_id, actor=actor)
    system = session.scalar(select(KiSystem).where(KiSystem.key == f"service:{service}"))
    value = text or None
    if system.training_legal_basis != value:
        system.training_legal_basis = value
        _revise(session, system, ["training_legal_basis"], actor)
        audit.record(
            session,
            tenant_id,
            "governance.training_basis_set",
            actor=actor,
            subject=("ki_system", system.id),
            service=service,
            basis_sha256=audit.sha256_text(value) if value else None,
        )
    return system


def legal_basis_for_training(session: Session, tenant_id: int, service: str) -> str | None:
    """The legal basis the tenant recorded for training ``service``'s models on personal data, or None
    (then the service must not train on personal data: Datatilsynet's sandbox found continued training
    on personal data legally uncertain)."""
    stmt = select(KiSystem.training_legal_basis).where(
        KiSystem.key == f"service:{service}", KiSystem.tenant_id == tenant_id
    )
    value = session.scalar(stmt)
    return value or None
