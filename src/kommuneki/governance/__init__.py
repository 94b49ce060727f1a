"""Governance: the kommune's register of AI systems (KI-register), AI Act classification, DPIA and ROS
documents, monitoring from real decisions, and the public transparency page.

Governance makes no suggestions of its own; it is mounted through the same service registry as the
services (a spec with no kinds) so that its routes, commands and audit events are declared in one place.
"""

from __future__ import annotations

from ..core.registry import ServiceSpec

NAME = "governance"

AUDIT_EVENTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("governance.system_created", "An AI system was added to the register.", ("source", "revision")),
    (
        "governance.system_updated",
        "A register entry changed (names of the changed fields only).",
        ("fields", "revision"),
    ),
    (
        "governance.models_changed",
        "The models behind a register entry changed (retrained or imported).",
        ("revision", "models_sha256", "count"),
    ),
    (
        "governance.training_basis_set",
        "The legal basis for training on personal data was recorded.",
        ("service", "basis_sha256"),
    ),
    (
        "governance.assessment_run",
        "The AI Act questionnaire was run for a system.",
        ("risk_class", "rules_sha256", "answers_sha256", "rerun_of"),
    ),
    (
        "governance.document_generated",
        "A DPIA or ROS document version was generated or edited.",
        ("doc_type", "version", "content_sha256"),
    ),
    (
        "governance.document_exported",
        "A DPIA or ROS document version was exported.",
        ("doc_type", "version", "format", "file_sha256"),
    ),
    ("governance.thresholds_changed", "Monitoring alert thresholds changed.", ("override", "drift")),
    (
        "governance.alert_raised",
        "A monitoring threshold was passed.",
        ("metric", "model_version", "value", "threshold", "volume"),
    ),
    ("governance.alert_resolved", "A monitoring alert was marked as handled.", ("metric",)),
    ("governance.register_exported", "The register was exported.", ("format", "systems")),
]


def spec() -> ServiceSpec:
    from .cli import group

    def router():
        # views (and what they import) load only when a web app is built, so commands start fast
        from .views import router as make_router

        return make_router()

    return ServiceSpec(
        name=NAME,
        title="KI-register",
        home_url="/ki-register",
        description="Kommunens register over KI-systemer: klassifisering etter KI-forordningen, "
        "DPIA og ROS, overvåking og åpenhetsside.",
        kinds=[],
        router_factory=router,
        cli_group=group,
        audit_events=AUDIT_EVENTS,
    )
