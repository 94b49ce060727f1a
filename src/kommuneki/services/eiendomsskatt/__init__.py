"""Eiendomsskatt: mass valuation of dwellings from sales, with intervals, explanations in kroner,
comparable sales, the IAAO ratio study, review of uncertain values, and the tax list."""

from __future__ import annotations

from ...core.registry import (
    OWN_SERVICE_ANSWERS,
    AuditEvent,
    RegisterFacts,
    RoleSpec,
    ServiceSpec,
    SuggestionKind,
    TaskSpec,
)

KIND = "eiendomsskatt.verdi"

EXPLANATION_SCHEMA = {
    "type": "object",
    "required": [
        "summary",
        "estimate",
        "base_value",
        "interval",
        "evidence",
        "comparables",
        "flag_reasons",
        "method",
    ],
    "properties": {
        "estimate": {"type": "integer", "minimum": 0},
        "base_value": {"type": "integer", "description": "Typical sold dwelling at the valuation date (kr)."},
        "interval": {
            "type": "object",
            "required": ["lower", "upper"],
            "properties": {"lower": {"type": "integer"}, "upper": {"type": "integer"}},
        },
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "feature", "kroner"],
                "properties": {
                    "type": {"const": "feature_contribution"},
                    "feature": {"type": "string"},
                    "kroner": {"type": "integer"},
                },
            },
        },
        "comparables": {
            "type": "array",
            "maxItems": 5,
            "items": {
                "type": "object",
                "required": ["sale_date", "price", "adjusted_price", "living_area", "distance_m"],
                "properties": {
                    "sale_date": {"type": "string"},
                    "price": {"type": "integer"},
                    "adjusted_price": {"type": "integer"},
                    "living_area": {"type": "number"},
                    "distance_m": {"type": "integer"},
                    "building_type": {"type": "string"},
                    "area_code": {"type": "string"},
                    "year_built": {"type": ["integer", "null"]},
                },
            },
        },
        "flag_reasons": {"type": "array", "items": {"type": "string"}},
        "method": {"type": "string"},
        "unit_id": {"type": "string"},
        "valuation_date": {"type": "string"},
    },
}

VALUE_SCHEMA = {
    "type": "object",
    "required": ["value"],
    "properties": {"value": {"type": "number", "minimum": 0}, "unit_id": {"type": "string"}},
}

AUDIT_EVENTS = [
    AuditEvent(
        "eiendomsskatt.run_completed",
        "Boliger verdsatt (kjøring)",
        ("run_id", "model_id", "dwellings", "flagged", "rejected_sales", "sales_sha256", "dwellings_sha256"),
    ),
    AuditEvent(
        "eiendomsskatt.settings_changed", "Innstillinger for eiendomsskatt endret", ("settings_sha256",)
    ),
    AuditEvent(
        "eiendomsskatt.taxlist_exported", "Skatteliste eksportert", ("run_id", "rows", "format", "sha256")
    ),
    AuditEvent(
        "eiendomsskatt.run_approved",
        "Verdsetting godkjent av en person (skattelisten lages fra den)",
        ("run_id", "replaced_run_ids", "pending_reviews"),
    ),
]
MODELS = "kommuneki.services.eiendomsskatt.models"
DEMO = "kommuneki.services.eiendomsskatt.demo:load"
ROLE = "eiendomsskatt"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="eiendomsskatt",
        title="Eiendomsskatt",
        description="Verdsetter boliger ut fra salg, med intervall, forklaring i kroner, sammenlignbare salg "
        "og salgsforholdsstudie; usikre verdier går til kontroll.",
        kinds=[
            SuggestionKind(
                name=KIND,
                title="Boligverdi til kontroll",
                explanation_schema=EXPLANATION_SCHEMA,
                automatable=False,
                value_schema=VALUE_SCHEMA,
                explanation_template="eiendomsskatt/_explanation.html",
            )
        ],
        reviewer_roles=frozenset({ROLE}),
        router="kommuneki.services.eiendomsskatt.views:router",
        cli="kommuneki.services.eiendomsskatt.cli:group",
        models=MODELS,
        demo=DEMO,
        cards="kommuneki.services.eiendomsskatt.engine_card:model_cards",
        audit_events=AUDIT_EVENTS,
        roles=[
            RoleSpec(
                ROLE,
                "Eiendomsskatt",
                grants=frozenset({"queue.read", "suggestion.decide", "item.read", "item.create"}),
            )
        ],
        # the eiendomsskattekontor's own work: valuation runs, settings, the tax list
        rights={"eiendomsskatt.office": frozenset({ROLE, "admin"})},
        tasks=[
            TaskSpec(
                "eiendomsskatt.value",
                "kommuneki.services.eiendomsskatt.service:value_task",
                "Verdsetting av boliger",
            )
        ],
        explanation_labels={
            "base_value": "Grunnverdi",
            "comparables": "Sammenlignbare salg",
            "flag_reasons": "Hvorfor kontrollere",
            "sale_date": "Salgsdato",
            "price": "Pris",
            "adjusted_price": "Justert pris",
            "living_area": "Boareal (m²)",
            "building_type": "Bygningstype",
            "area_code": "Områdekode",
            "distance_m": "Avstand (m)",
            "year_built": "Byggeår",
            "valuation_date": "Verdsatt per",
            "kroner": "Kroner",
            "unit_id": "Eiendom",
        },
        register=RegisterFacts(
            # valuation per dwelling is about each owner, but tax is not annex III point 5a
            aiact_answers={
                **OWN_SERVICE_ANSWERS,
                "area": "skatt",
                "individual": "enkeltpersoner",
                "narrow_task": "nei",
            },
            summary_nb="Foreslår takst for boliger til eiendomsskatt ut fra salg av lignende boliger. En "
            "takstmann kontrollerer usikre verdier.",
            summary_nn="Foreslår takst for bustader til eigedomsskatt ut frå sal av liknande bustader.",
            affects_individuals=True,
        ),
    )
