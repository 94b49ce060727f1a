"""Governance orchestration: opens the tenant session (owns the transaction), checks who may do what,
and calls the register, AI Act, document and monitoring modules. Views and commands call only this."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kommuneki.core import audit
from kommuneki.core.errors import Forbidden, InvalidInput, NotFound
from kommuneki.core.models import Tenant
from kommuneki.core.permissions import Policy, Principal
from kommuneki.core.platform import Platform
from kommuneki.core.registry import resolve

from . import aiact, documents, dpia, fria, monitoring, register, ros
from .models import KiAssessment, KiSystem


def can(principal: Principal, action: str, policy: Policy | None = None) -> bool:
    """Whether ``principal`` may do the register action (``governance.<action>`` in the merged policy)."""
    return (policy or principal.policy).can(principal, f"governance.{action}")


def authorize(principal: Principal, action: str, policy: Policy | None = None) -> None:
    if not can(principal, action, policy):
        raise Forbidden("Du har ikke tilgang til dette i KI-registeret.")


def cli_principal(tenant_id: int) -> Principal:
    return Principal(user_id=None, tenant_id=tenant_id, via="cli")


# --- register -------------------------------------------------------------------------------------


def overview(platform: Platform, principal: Principal) -> dict[str, Any]:
    authorize(principal, "read", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        register.sync_own_services(session, platform.registry, principal.tenant_id, actor="system")
        systems = [register.system_dict(session, s) for s in register.list_systems(session)]
        alerts = monitoring.open_alerts(session)
        by_system: dict[int, int] = {}
        for a in alerts:
            by_system[a.system_id] = by_system.get(a.system_id, 0) + 1
        for s in systems:
            s["open_alerts"] = by_system.get(s["id"], 0)
    return {"systems": systems, "open_alerts": len(alerts)}


def detail(platform: Platform, principal: Principal, system_id: int) -> dict[str, Any]:
    authorize(principal, "read", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        register.sync_own_services(session, platform.registry, principal.tenant_id, actor="system")
        system = register.get_system(session, system_id)
        sd = register.system_dict(session, system)
        sd["revisions"] = [
            {
                "revision": r.revision,
                "fields": r.changed_fields,
                "actor": r.actor,
                "at": r.at.isoformat() if r.at else None,
            }
            for r in register.revisions(session, system.id)
        ]
        sd["assessments"] = [assessment_dict(a) for a in assessments(session, system.id)]
        sd["documents"] = [
            {
                "id": d.id,
                "doc_type": d.doc_type,
                "version": d.version,
                "created_by": d.created_by,
                "created_at": d.created_at.isoformat() if d.created_at else None,
                "open_parts": sum(1 for t in documents.todos(d.content) if not t["answer"]),
            }
            for d in documents.versions(session, system.id)
        ]
        sd["alerts"] = [alert_dict(a) for a in monitoring.open_alerts(session, system.id)]
    return sd


def add_external(platform: Platform, principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    authorize(principal, "manage", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        s = register.create_external(session, principal.tenant_id, fields, actor=principal.actor)
        return register.system_dict(session, s)


def update(platform: Platform, principal: Principal, system_id: int, fields: dict[str, Any]) -> list[str]:
    authorize(principal, "manage", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return register.update_system(
            session, register.get_system(session, system_id), fields, actor=principal.actor
        )


def set_training_basis(platform: Platform, principal: Principal, service: str, basis: str | None) -> None:
    authorize(principal, "training_basis", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        register.set_training_legal_basis(
            session, platform.registry, principal.tenant_id, service, basis, actor=principal.actor
        )


# --- AI Act ---------------------------------------------------------------------------------------


def assessments(session: Session, system_id: int) -> list[KiAssessment]:
    return list(
        session.scalars(
            select(KiAssessment).where(KiAssessment.system_id == system_id).order_by(KiAssessment.id.desc())
        )
    )


def assessment_dict(a: KiAssessment) -> dict[str, Any]:
    return {
        "id": a.id,
        "system_id": a.system_id,
        "risk_class": a.risk_class,
        "result": a.result,
        "answers": a.answers,
        "rules_sha256": a.rules_sha256,
        "rerun_of_id": a.rerun_of_id,
        "actor": a.actor,
        "created_at": a.created_at.isoformat() if a.created_at else None,
    }


def assess(
    session: Session, system: KiSystem, answers: dict[str, Any], *, actor: str, rerun_of: int | None = None
) -> KiAssessment:
    """Classify and store the answers and the result (kept with history; never overwritten)."""
    rules = aiact.load_rules()
    result = aiact.classify(rules, answers)
    a = KiAssessment(
        tenant_id=system.tenant_id,
        system_id=system.id,
        answers=result["answers"],
        result=result,
        risk_class=result["risk_class"],
        rules_sha256=rules.sha256,
        rerun_of_id=rerun_of,
        actor=actor,
    )
    session.add(a)
    session.flush()
    audit.record(
        session,
        system.tenant_id,
        "governance.assessment_run",
        actor=actor,
        subject=("ki_assessment", a.id),
        risk_class=a.risk_class,
        rules_sha256=rules.sha256,
        answers_sha256=audit.sha256_text(result["answers"]),
        rerun_of=rerun_of,
    )
    return a


def run_assessment(
    platform: Platform, principal: Principal, system_id: int, answers: dict[str, Any]
) -> dict[str, Any]:
    authorize(principal, "manage", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        system = register.get_system(session, system_id)
        return assessment_dict(assess(session, system, answers, actor=principal.actor))


def rerun_assessment(platform: Platform, principal: Principal, system_id: int) -> dict[str, Any]:
    """Run the latest answers again through the current rules (after the law or the rules file moved)."""
    authorize(principal, "manage", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        system = register.get_system(session, system_id)
        last = register.latest_assessment(session, system.id)
        if last is None:
            raise InvalidInput("Systemet er ikke klassifisert ennå.")
        return assessment_dict(
            assess(session, system, dict(last.answers), actor=principal.actor, rerun_of=last.id)
        )


# --- documents ------------------------------------------------------------------------------------

BUILDERS = {"dpia": dpia.build, "ros": ros.build, "fria": fria.build}


def _tenant_name(session: Session, tenant_id: int) -> str:
    t = session.get(Tenant, tenant_id)
    return t.name if t else ""


def generate_document(
    platform: Platform,
    principal: Principal,
    system_id: int,
    doc_type: str,
    answers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Prefill a new DPIA or ROS version from the register as it is now (answers carried over)."""
    authorize(principal, "manage", platform.policy)
    if doc_type not in BUILDERS:
        raise InvalidInput(f"Ukjent dokumenttype: {doc_type}")
    with platform.db.tenant_session(principal.tenant_id) as session:
        register.sync_own_services(session, platform.registry, principal.tenant_id, actor="system")
        system = register.get_system(session, system_id)
        sd = register.system_dict(session, system)
        a = register.latest_assessment(session, system.id)
        report = monitoring.monitor_service(session, system.service) if system.service else None
        content = BUILDERS[doc_type](
            sd,
            tenant_name=_tenant_name(session, principal.tenant_id),
            assessment=a.result if a else None,
            report=report,
        )
        doc = documents.store(session, system, doc_type, content, actor=principal.actor, answers=answers)
        return {"id": doc.id, "doc_type": doc.doc_type, "version": doc.version, "content": doc.content}


def document(platform: Platform, principal: Principal, doc_id: int) -> dict[str, Any]:
    authorize(principal, "read", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        d = documents.get_document(session, doc_id)
        return {
            "id": d.id,
            "system_id": d.system_id,
            "doc_type": d.doc_type,
            "version": d.version,
            "content": d.content,
            "todos": documents.todos(d.content),
            "created_by": d.created_by,
            "created_at": d.created_at.isoformat() if d.created_at else None,
        }


def export_document(
    platform: Platform, principal: Principal, doc_id: int, fmt: str
) -> tuple[bytes, str, str]:
    authorize(principal, "read", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return documents.export(session, documents.get_document(session, doc_id), fmt, actor=principal.actor)


# --- monitoring -----------------------------------------------------------------------------------


def alert_dict(a) -> dict[str, Any]:
    return {
        "id": a.id,
        "system_id": a.system_id,
        "model_version": a.model_version,
        "metric": a.metric,
        "value": a.value,
        "threshold": a.threshold,
        "volume": a.volume,
        "created_at": a.created_at.isoformat() if a.created_at else None,
        "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
    }


def monitoring_report(
    platform: Platform, principal: Principal, system_id: int, *, days: int = 180
) -> dict[str, Any]:
    authorize(principal, "read", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        system = register.get_system(session, system_id)
        if not system.service:
            raise NotFound("Overvåking finnes bare for kommunekis egne tjenester.")
        report = monitoring.monitor_service(session, system.service, days=days)
        report["system"] = {
            "id": system.id,
            "name": system.name,
            "thresholds": {
                "override_rate": system.override_alert_threshold,
                "drift_psi": system.drift_alert_threshold,
            },
        }
        report["alerts"] = [alert_dict(a) for a in monitoring.open_alerts(session, system.id)]
        report["service_metrics"] = service_metrics(platform, session, system.service, principal.tenant_id)
    return report


def service_metrics(platform: Platform, session, service_name: str, tenant_id: int) -> list[dict[str, Any]]:
    """The monitoring figures a service computes from its own tables (``ServiceSpec.metrics``, e.g.
    tale's correction rate), shown beside the decision-based ones. Each is ``{"name", "value"}`` with
    optional ``"model"`` and ``"count"``; a service without any gives an empty list."""
    spec = platform.registry.get(service_name)
    if spec is None or not spec.metrics:
        return []
    rows = resolve(spec.metrics)(session, tenant_id)
    return [
        {
            "name": str(row["name"]),
            "value": row["value"],
            "model": row.get("model"),
            "count": row.get("count"),
        }
        for row in rows
    ]


def check_alerts(platform: Platform, principal: Principal) -> list[dict[str, Any]]:
    authorize(principal, "read", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        return [
            alert_dict(a)
            for a in monitoring.check_alerts(
                session, platform.registry, principal.tenant_id, actor=principal.actor
            )
        ]


def set_thresholds(
    platform: Platform, principal: Principal, system_id: int, *, override: float, drift: float
) -> None:
    authorize(principal, "manage", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        monitoring.set_thresholds(
            session,
            register.get_system(session, system_id),
            override=override,
            drift=drift,
            actor=principal.actor,
        )


def resolve_alert(platform: Platform, principal: Principal, alert_id: int) -> None:
    authorize(principal, "manage", platform.policy)
    with platform.db.tenant_session(principal.tenant_id) as session:
        monitoring.resolve_alert(session, alert_id, actor=principal.actor)
