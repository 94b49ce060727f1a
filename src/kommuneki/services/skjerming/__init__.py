"""Skjerming: finds personal and confidential information in Norwegian documents, proposes what to
withhold from innsyn and from internet publication and under which hjemmel, and produces redacted
versions that really remove the text (plain text, DOCX, PDF)."""

from __future__ import annotations

from ...core.registry import (
    OWN_SERVICE_ANSWERS,
    AuditEvent,
    RegisterFacts,
    ServiceSpec,
    SuggestionKind,
    TaskSpec,
)

_HJEMMEL_REF = {"type": ["string", "null"]}
FINDING_SCHEMA = {
    "type": "object",
    "required": [
        "index",
        "type",
        "start",
        "end",
        "text",
        "score",
        "withhold",
        "hjemmel",
        "reason",
        "explanation",
    ],
    "properties": {
        "index": {"type": "integer", "minimum": 0},
        "type": {
            "enum": [
                "PERSON",
                "FODSELSNUMMER",
                "D_NUMMER",
                "H_NUMMER",
                "SYNTETISK_ID",
                "MULIG_ID",
                "ORGNR",
                "KONTONR",
                "TELEFON",
                "EPOST",
                "ADRESSE",
                "GNR_BNR",
                "FODSELSDATO",
                "SAERLIG_KATEGORI",
            ]
        },
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 0},
        "text": {"type": "string"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "category": {"type": "string"},
        "public_role": {"type": "boolean"},
        "withhold": {"type": "boolean", "description": "Proposed withheld from innsyn."},
        "hjemmel": _HJEMMEL_REF,
        "hjemmel_id": _HJEMMEL_REF,
        "internet_withhold": {"type": "boolean"},
        "internet_hjemmel": _HJEMMEL_REF,
        "internet_hjemmel_id": _HJEMMEL_REF,
        "reason": {
            "enum": [
                "identifier",
                "personal_context",
                "public_role",
                "no_person",
                "not_linked",
                "not_confidential",
                "not_tied",
                "role_activity",
                "historical",
            ]
        },
        "linked_to": {"type": "array", "items": {"type": "integer"}},
        "explanation": {
            "type": "object",
            "description": "The detector's own explanation (pattern, checksum, context words, model score).",
        },
    },
}
HJEMMEL_SCHEMA = {
    "type": "object",
    "required": ["id", "label", "sources", "valid_from"],
    "properties": {
        "id": {"type": "string"},
        "label": {"type": "string"},
        "sources": {"type": "array", "items": {"type": "string"}},
        "valid_from": {"type": "string"},
    },
}
VERDICT_EXPLANATION_SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence", "verdict", "scope", "hjemler", "hjemler_version"],
    "properties": {
        "evidence": {"type": "array", "items": FINDING_SCHEMA},
        "verdict": {"enum": ["publish", "partial", "withhold"]},
        "scope": {"enum": ["innsyn", "internett"]},
        "share_withheld_sentences": {"type": "number", "minimum": 0, "maximum": 1},
        "hjemler": {"type": "array", "items": HJEMMEL_SCHEMA},
        "hjemler_version": {"type": "string"},
        "method": {"type": "string"},
    },
}
TITLE_EXPLANATION_SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence", "masked", "mask"],
    "properties": {
        "evidence": {"type": "array", "items": FINDING_SCHEMA},
        "masked": {"type": "array", "items": {"type": "integer"}},
        "mask": {"type": "string"},
        "hjemler_version": {"type": "string"},
    },
}
SPAN_SCHEMA = {
    "type": "object",
    "required": ["start", "end", "type"],
    "properties": {
        "start": {"type": "integer"},
        "end": {"type": "integer"},
        "type": {"type": "string"},
        "hjemmel": {"type": ["string", "null"]},
    },
}
VERDICT_VALUE_SCHEMA = {
    "type": "object",
    "required": ["decision", "withheld"],
    "properties": {
        "decision": {"enum": ["publish", "partial", "withhold"]},
        "withheld": {"type": "array", "items": SPAN_SCHEMA},
        "whole_document_hjemmel": {"type": ["string", "null"]},
    },
}

AUDIT_EVENTS = [
    AuditEvent(
        "skjerming.redacted",
        "Skjermet versjon av et dokument laget og verifisert fjernet (uavhengig uttrekk av utfilen)",
        ("scope", "suggestion_id", "decided", "withheld", "output_sha256", "verified"),
    ),
]
MODELS = None  # skjerming keeps its state in core items and suggestions
DEMO = "kommuneki.services.skjerming.demo:load"


def spec() -> ServiceSpec:
    from . import engine

    return ServiceSpec(
        name=engine.SERVICE,
        title="Skjerming",
        description="Finner personopplysninger og taushetsbelagte opplysninger, foreslår hva som skal "
        "skjermes ved innsyn og på internett med hjemmel, og lager skjermede versjoner.",
        kinds=[
            SuggestionKind(
                name=engine.KIND_INNSYN,
                title="Skjerming ved innsyn",
                explanation_schema=VERDICT_EXPLANATION_SCHEMA,
                value_schema=VERDICT_VALUE_SCHEMA,
            ),
            SuggestionKind(
                name=engine.KIND_INTERNETT,
                title="Skjerming ved publisering på internett",
                explanation_schema=VERDICT_EXPLANATION_SCHEMA,
                value_schema=VERDICT_VALUE_SCHEMA,
            ),
            SuggestionKind(
                name=engine.KIND_TITTEL,
                title="Offentlig tittel",
                explanation_schema=TITLE_EXPLANATION_SCHEMA,
                value_schema={
                    "type": "object",
                    "required": ["offentlig_tittel"],
                    "properties": {"offentlig_tittel": {"type": "string"}},
                },
            ),
        ],
        reviewer_roles=frozenset({"arkivar", "saksbehandler", "leder", "admin"}),
        router="kommuneki.services.skjerming.views:router",
        cli="kommuneki.services.skjerming.cli:group",
        demo=DEMO,
        cards="kommuneki.services.skjerming:model_cards",
        audit_events=AUDIT_EVENTS,
        value_labels="kommuneki.services.skjerming.explain:value_labels",
        explanation_labels={
            "verdict": "Utfall",
            "scope": "Omfang",
            "withhold": "Skjermes",
            "internet_withhold": "Skjermes på nett",
            "linked_to": "Knyttet til",
            "hjemler": "Hjemler",
            "hjemmel_id": "Hjemmel",
            "detector": "Detektor",
            "whole_document_hjemmel": "Hjemmel for hele dokumentet",
            "share_withheld_sentences": "Andel skjermede setninger",
            "hjemler_version": "Hjemmelversjon",
            "masked": "Maskert",
            "mask": "Maske",
            "id": "Id",
            "internet_hjemmel": "Hjemmel på nett",
            "internet_hjemmel_id": "Hjemmel på nett",
            "public_role": "Offentlig rolle",
            "sources": "Kilder",
            "valid_from": "Gjelder fra",
            "withheld": "Skjermes",
        },
        register=RegisterFacts(
            aiact_answers={**OWN_SERVICE_ANSWERS, "area": "saksbehandling_arkiv", "individual": "aggregert"},
            summary_nb="Finner personopplysninger og taushetsbelagte opplysninger og foreslår hva som skal "
            "skjermes før dokumenter gis ut eller publiseres. En saksbehandler avgjør.",
            summary_nn="Finn personopplysningar og teiepliktige opplysningar og foreslår kva som skal "
            "skjermast "
            "før dokument blir gitt ut eller publiserte. Ein saksbehandlar avgjer.",
        ),
        capabilities={"pii.detect": "kommuneki.text.pii:detect"},
        # a batch of stored documents, screened on the workers in chunks (core.tasks.submit_chunks)
        tasks=[
            TaskSpec(
                "skjerming.screen_batch",
                "kommuneki.services.skjerming.service:screen_batch_task",
                "Skjerming av en bunke dokumenter",
                merge="kommuneki.services.skjerming.service:merge_batch",
            ),
            # a large document's redacted file, made and verified on a worker (service.BACKGROUND_BYTES)
            TaskSpec(
                "skjerming.redact",
                "kommuneki.services.skjerming.service:redact_task",
                "Skjermet versjon av et stort dokument",  # service.REDACT_TITLE
            ),
            # hourly: those redacted files deleted once their document is erased, or after a day
            TaskSpec(
                "skjerming.sweep_redacted",
                "kommuneki.services.skjerming.service:sweep_redacted_task",
                "Sletting av skjermede filer som ikke trengs lenger",
                every_s=3600,
            ),
        ],
    )


def model_cards() -> list[dict]:
    from ...text.pii import model_card

    try:
        return [model_card()]
    except (FileNotFoundError, OSError, ValueError):  # the name model is not built yet
        return []
