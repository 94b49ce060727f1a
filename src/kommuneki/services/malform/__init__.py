"""Målform: suggests the written standard of a document (a small, real service that also serves as the
worked example of the service contract)."""

from __future__ import annotations

from ...core.registry import ServiceSpec, SuggestionKind
from . import engine

EXPLANATION_SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence"],
    "properties": {
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "language", "score"],
                "properties": {
                    "type": {"const": "language_score"},
                    "language": {"type": "string"},
                    "score": {"type": "number"},
                },
            },
        },
        "method": {"type": "string"},
    },
}


def spec() -> ServiceSpec:
    from .cli import group

    def router():
        # views (and what they import) load only when a web app is built, so commands start fast
        from .views import router as make_router

        return make_router()

    return ServiceSpec(
        name="malform",
        title="Målform",
        description="Foreslår om et dokument er skrevet på bokmål, nynorsk eller engelsk.",
        kinds=[
            SuggestionKind(
                name=engine.KIND,
                title="Målform",
                explanation_schema=EXPLANATION_SCHEMA,
                automatable=True,
                value_schema={
                    "type": "object",
                    "required": ["language"],
                    "properties": {"language": {"enum": ["nb", "nn", "en", "other"]}},
                },
            )
        ],
        router_factory=router,
        cli_group=group,
        model_cards=lambda: [engine.model_card()],
    )
