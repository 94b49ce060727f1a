"""Governance: the kommune's register of AI systems (KI-register), AI Act classification, DPIA and ROS
documents, monitoring from real decisions, and the public transparency page.

Governance makes no suggestions of its own; it is mounted through the same service registry as the
services (a spec with no kinds) so that its routes, commands and audit events are declared in one place.
"""

from __future__ import annotations

from kommuneki.core.registry import AuditEvent, ServiceSpec

NAME = "governance"

AUDIT_EVENTS: list[AuditEvent] = [
    AuditEvent("governance.system_created", "KI-system lagt til i registeret", ("source", "revision")),
    AuditEvent(
        "governance.system_updated",
        "Oppføring i KI-registeret endret (bare navnene på feltene)",
        ("fields", "revision"),
    ),
    AuditEvent(
        "governance.models_changed",
        "Modellene bak en oppføring endret (trent på nytt eller importert)",
        ("revision", "models_sha256", "count"),
    ),
    AuditEvent(
        "governance.training_basis_set",
        "Rettslig grunnlag for trening på personopplysninger registrert",
        ("service", "basis_sha256"),
    ),
    AuditEvent(
        "governance.assessment_run",
        "Spørreskjema etter KI-forordningen fylt ut for et system",
        ("risk_class", "rules_sha256", "answers_sha256", "rerun_of"),
    ),
    AuditEvent(
        "governance.document_generated",
        "DPIA, ROS eller FRIA laget eller endret",
        ("doc_type", "version", "content_sha256"),
    ),
    AuditEvent(
        "governance.document_exported",
        "DPIA, ROS eller FRIA eksportert",
        ("doc_type", "version", "format", "file_sha256"),
    ),
    AuditEvent(
        "governance.thresholds_changed", "Varslingsterskler for overvåking endret", ("override", "drift")
    ),
    AuditEvent(
        "governance.alert_raised",
        "Overvåking: en terskel er passert",
        ("metric", "model_version", "value", "threshold", "volume"),
    ),
    AuditEvent("governance.alert_resolved", "Overvåkingsvarsel merket som behandlet", ("metric",)),
    AuditEvent("governance.register_exported", "KI-registeret eksportert", ("format", "systems")),
]

MANAGE_ROLES = frozenset({"ki-ansvarlig", "admin", "personvernombud"})
READ_ROLES = frozenset({"*"})  # everyone in the tenant, in any role of the core or of a service
MODELS = "kommuneki.services.governance.models"
DEMO = "kommuneki.services.governance.demo:load_demo"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="KI-register",
        description="Kommunens register over KI-systemer: klassifisering etter KI-forordningen, "
        "DPIA og ROS, overvåking og åpenhetsside.",
        kinds=[],
        # addresses published before services were plugins
        cli_name="register",
        url_prefix="/ki-register",
        api_prefix="/api/v1/governance",
        router="kommuneki.services.governance.views:router",
        cli="kommuneki.services.governance.cli:group",
        models=MODELS,
        demo=DEMO,
        demo_order=90,
        capabilities={
            "register.legal_basis_for_training": (
                "kommuneki.services.governance.register:legal_basis_for_training"
            )
        },
        rights={
            "governance.read": READ_ROLES,
            "governance.manage": MANAGE_ROLES,
            "governance.training_basis": MANAGE_ROLES,
        },
        # installation IT keeps the register of every tenant it runs
        operator_actions=frozenset({"governance.read", "governance.manage", "governance.training_basis"}),
        audit_events=AUDIT_EVENTS,
    )
