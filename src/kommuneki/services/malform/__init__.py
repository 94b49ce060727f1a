"""Målform: suggests the written standard of a document (a small, real service that also serves as the
worked example of the service contract)."""

from __future__ import annotations

from ...core.registry import OWN_SERVICE_ANSWERS, RegisterFacts, ServiceSpec, SuggestionKind, TaskSpec
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
        router="kommuneki.services.malform.views:router",
        cli="kommuneki.services.malform.cli:group",
        cards="kommuneki.services.malform.engine:model_cards",
        demo="kommuneki.services.malform.demo:load",
        has_pages=False,
        # a batch of stored documents, analysed by a worker (the worked example of a queued task)
        tasks=[
            TaskSpec(
                "malform.analyse_batch",
                "kommuneki.services.malform.service:analyse_batch_task",
                "Målform for en bunke dokumenter",
            )
        ],
        register=RegisterFacts(
            aiact_answers={**OWN_SERVICE_ANSWERS, "area": "saksbehandling_arkiv", "individual": "aggregert"},
            summary_nb="Foreslår om et dokument er skrevet på bokmål, nynorsk eller engelsk, så vi kan svare "
            "på riktig målform.",
            summary_nn="Foreslår om eit dokument er skrive på bokmål, nynorsk eller engelsk, så vi kan "
            "svare på rett målform.",
        ),
    )
