"""Saksinnsikt: answers from the kommune's own documents, always with citations, and how similar earlier
cases were decided — extractive (never invented), honouring tilgangsrestriksjon at query time."""

from __future__ import annotations

from ...core.registry import (
    OWN_SERVICE_ANSWERS,
    AuditEvent,
    PanelSpec,
    RegisterFacts,
    ServiceSpec,
    SuggestionKind,
    TaskSpec,
)

ANSWER_KIND = "saksinnsikt.answer"
OUTCOME_KIND = "saksinnsikt.outcome"
SIMILAR_KIND = "saksinnsikt.similar"

_CITATION = {
    "type": "object",
    "required": ["type", "document_id", "passage_id", "score"],
    "properties": {
        "type": {"const": "citation"},
        "document_id": {"type": "integer"},
        "passage_id": {"type": "integer"},
        "score": {"type": "number"},
        "page": {"type": "integer"},
    },
}

ANSWER_EXPLANATION = {
    "type": "object",
    "required": ["summary", "evidence", "query_sha256"],
    "properties": {
        "evidence": {"type": "array", "items": _CITATION},
        "query_sha256": {"type": "string"},
        "method": {"type": "string"},
        "answered": {"type": "boolean"},
    },
}

OUTCOME_EXPLANATION = {
    "type": "object",
    "required": ["summary", "evidence"],
    "properties": {
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "start", "end"],
                "properties": {
                    "type": {"const": "span"},
                    "start": {"type": "integer"},
                    "end": {"type": "integer"},
                    "rule": {"type": "string"},
                },
            },
        },
        "hjemmel": {"type": ["string", "null"]},
    },
}


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="saksinnsikt",
        title="Saksinnsikt",
        description="Svar fra kommunens egne dokumenter med kildehenvisninger, og hvordan like saker ble "
        "avgjort før. Viser bare det brukeren har tilgang til.",
        kinds=[
            SuggestionKind(
                name=ANSWER_KIND,
                title="Svar med kildehenvisninger",
                explanation_schema=ANSWER_EXPLANATION,
                in_review_queue=False,
                value_schema={
                    "type": "object",
                    "required": ["ai_generated", "document_ids"],
                    "properties": {
                        "ai_generated": {"type": "boolean"},
                        "document_ids": {"type": "array", "items": {"type": "integer"}},
                    },
                },
            ),
            SuggestionKind(
                name=SIMILAR_KIND,
                title="Like saker",
                explanation_schema=ANSWER_EXPLANATION,
                in_review_queue=False,
                value_schema={
                    "type": "object",
                    "required": ["ai_generated", "document_ids"],
                    "properties": {
                        "ai_generated": {"type": "boolean"},
                        "document_ids": {"type": "array", "items": {"type": "integer"}},
                    },
                },
            ),
            SuggestionKind(
                name=OUTCOME_KIND,
                title="Utfall av vedtak",
                explanation_schema=OUTCOME_EXPLANATION,
                in_review_queue=False,
                value_schema={
                    "type": "object",
                    "required": ["outcome"],
                    "properties": {
                        "outcome": {"enum": ["innvilget", "delvis_innvilget", "avslatt", "avvist"]}
                    },
                },
            ),
        ],
        models="kommuneki.services.saksinnsikt.models",
        item_read_rule="kommuneki.services.saksinnsikt.service:may_read_item",
        router="kommuneki.services.saksinnsikt.views:router",
        cli="kommuneki.services.saksinnsikt.cli:group",
        cards="kommuneki.services.saksinnsikt.service:model_cards",
        audit_events=[
            AuditEvent(
                "saksinnsikt.indexed",
                "Dokument lagt inn i søkeindeksen",
                ("document_id", "passages", "variant_passages", "changed"),
            ),
            AuditEvent(
                "saksinnsikt.searched",
                "Søk i dokumentene (spørsmålet lagres bare som hash)",
                ("query_sha256", "document_ids", "scores", "method"),
            ),
            AuditEvent("saksinnsikt.granted", "Tilgang til skjermede dokumenter gitt", ("user_id", "code")),
            AuditEvent(
                "saksinnsikt.revoked", "Tilgang til skjermede dokumenter fjernet", ("user_id", "code")
            ),
            AuditEvent(
                "saksinnsikt.settings_changed",
                "Innstillinger for saksinnsikt endret (navn på feltene)",
                ("fields",),
            ),
        ],
        explanation_labels={
            "query_sha256": "Spørsmålets hash",
            "answered": "Besvart",
            "hjemmel": "Hjemmel",
            "document_id": "Dokument",
            "passage_id": "Avsnitt",
            "rule": "Regel",
        },
        panels=[
            PanelSpec(
                slot="postmottak.message.side",
                render="kommuneki.services.saksinnsikt.views:similar_panel",
                title="Like saker (saksinnsikt)",
            )
        ],
        tasks=[
            TaskSpec(
                name="saksinnsikt.embed",
                target="kommuneki.services.saksinnsikt.service:embed_task",
                title="Saksinnsikt: beregner vektorer for søk på betydning",
            ),
            # journalførte messages through the capability postmottak declares: checked every minute, a job
            # only where one is new
            TaskSpec(
                name="saksinnsikt.journalforte",
                target="kommuneki.services.saksinnsikt.service:journal_task",
                title="Saksinnsikt: legger journalførte meldinger inn i søket",
                every_s=60,
                schedule_if="kommuneki.services.saksinnsikt.service:journal_pending",
            ),
        ],
        settings="kommuneki.services.saksinnsikt.settings:SaksinnsiktSettings",
        extra="saksinnsikt",
        requires=("bm25s", "Stemmer"),
        register=RegisterFacts(
            aiact_answers={**OWN_SERVICE_ANSWERS, "area": "saksbehandling_arkiv", "individual": "aggregert"},
            summary_nb="Finner avsnitt i kommunens egne dokumenter som svarer på saksbehandlerens spørsmål, "
            "med kildehenvisning til avsnittet, og viser hvordan like saker ble avgjort før. Svarene er "
            "utdrag fra dokumentene. Bare der kommunen har satt opp sin egen språkmodell, kommer også et "
            "KI-generert svar, merket som det, der hver setning er kontrollert mot avsnittet den viser til.",
            summary_nn="Finn avsnitt i kommunen sine eigne dokument som svarar på spørsmålet til "
            "saksbehandlaren, med kjeldetilvising til avsnittet, og viser korleis like saker vart avgjorde "
            "før. Svara er utdrag frå dokumenta. Berre der kommunen har sett opp sin eigen språkmodell, kjem "
            "det òg eit KI-generert svar, merkt som det, der kvar setning er kontrollert mot avsnittet ho "
            "viser til.",
        ),
    )
