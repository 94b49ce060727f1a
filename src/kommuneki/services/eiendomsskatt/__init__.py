"""Eiendomsskatt: mass valuation of dwellings from sales, with intervals, explanations in kroner,
comparable sales, the IAAO ratio study, review of uncertain values, and the tax list."""

from __future__ import annotations

from ...core.registry import ServiceSpec, SuggestionKind

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
    (
        "eiendomsskatt.run_completed",
        "Boliger verdsatt (kjøring)",
        ("run_id", "model_id", "dwellings", "flagged", "rejected_sales", "sales_sha256", "dwellings_sha256"),
    ),
    ("eiendomsskatt.settings_changed", "Innstillinger for eiendomsskatt endret", ("settings_sha256",)),
    ("eiendomsskatt.taxlist_exported", "Skatteliste eksportert", ("run_id", "rows", "format", "sha256")),
]


def spec() -> ServiceSpec:
    from . import engine_card
    from .cli import group

    def router():
        # views (and what they import) load only when a web app is built, so commands start fast
        from .views import router as make_router

        return make_router()

    return ServiceSpec(
        name="eiendomsskatt",
        title="Eiendomsskatt",
        home_url="/eiendomsskatt",
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
        reviewer_roles=frozenset({"eiendomsskatt"}),
        router_factory=router,
        cli_group=group,
        model_cards=lambda: [engine_card.shipped_card()],
        audit_events=AUDIT_EVENTS,
    )
