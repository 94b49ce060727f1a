"""Postmottak: triage of the kommune's shared inbox — journalføre, videresende or slette, route to the
right unit, link to the right case, and catch innsyn requests before their deadline (issue 4).

Kinds and automation: only ``postmottak.forward`` (forward a non-sensitive, non-innsyn message to a unit)
and ``postmottak.delete`` (delete spam, newsletters, auto-replies, read receipts and bounces) may be
automated by a tenant policy. Everything else — journalføring, deleting anything that may be a case
document, innsyn requests, sensitive mail — is ``postmottak.action`` and always goes to a person.
"""

from __future__ import annotations

from ...core.registry import (
    OWN_SERVICE_ANSWERS,
    AuditEvent,
    RegisterFacts,
    ServiceSpec,
    SuggestionKind,
    TaskSpec,
)

TERM = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": ["term", "rule", "pattern", "reference", "similarity"]},
        "term": {"type": "string"},
        "weight": {"type": "number"},
        "label": {"type": ["string", "null"]},
        "spans": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        },
        "rule": {"type": "string"},
        "header": {"type": "string"},
    },
}
ACTION_SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence"],
    "properties": {
        "evidence": {"type": "array", "items": TERM},
        "guards": {
            "type": "array",
            "items": {"enum": ["innsyn", "sensitive", "duplicate", "outside_domain"]},
        },
        "alternatives": {"type": "array"},
    },
}
SIMPLE_SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence"],
    "properties": {"evidence": {"type": "array", "items": TERM}, "alternatives": {"type": "array"}},
}
INNSYN_SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence"],
    "properties": {
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "rule"],
                "properties": {
                    "type": {"const": "pattern"},
                    "rule": {"type": "string"},
                    "start": {"type": "integer"},
                    "end": {"type": "integer"},
                    "text": {"type": "string"},
                },
            },
        }
    },
}
CASE_SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence", "candidates"],
    "properties": {
        "evidence": {"type": "array", "items": TERM},
        "candidates": {
            "type": "array",
            "items": {"type": "object", "required": ["saksnummer", "score", "reasons"]},
        },
    },
}
# A unit is one of the tenant's units (core: ``x-kommuneki-choices``): the decision page offers them as a
# list and a changed value naming no unit of the tenant is refused.
UNIT_CHOICE = {"type": ["string", "null"], "x-kommuneki-choices": "units"}
ACTION_VALUE = {
    "type": "object",
    "required": ["action"],
    "properties": {"action": {"enum": ["journalfores", "videresendes", "slettes"]}, "unit": UNIT_CHOICE},
}
UNIT_VALUE = {
    "type": "object",
    "required": ["unit"],
    "properties": {"unit": {"type": "string", "x-kommuneki-choices": "units"}},
}

MODELS = "kommuneki.services.postmottak.models"
DEMO = "kommuneki.services.postmottak.demo:load_demo"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="postmottak",
        title="Postmottak",
        description="Sorterer e-post til postmottaket: journalføres, videresendes eller slettes, til riktig "
        "enhet og sak, og fanger innsynskrav før fristen.",
        kinds=[
            SuggestionKind(
                "postmottak.action",
                "Handling (journalføres/videresendes/slettes)",
                ACTION_SCHEMA,
                automatable=False,
                value_schema=ACTION_VALUE,
            ),
            SuggestionKind(
                "postmottak.forward",
                "Videresending til enhet",
                ACTION_SCHEMA,
                automatable=True,
                value_schema=ACTION_VALUE,
            ),
            SuggestionKind(
                "postmottak.delete",
                "Sletting av søppelpost, nyhetsbrev, autosvar, kvitteringer",
                ACTION_SCHEMA,
                automatable=True,
                value_schema=ACTION_VALUE,
            ),
            SuggestionKind("postmottak.unit", "Enhet", SIMPLE_SCHEMA, value_schema=UNIT_VALUE),
            SuggestionKind(
                "postmottak.dokumenttype", "Dokumenttype og tittel for journalføring", SIMPLE_SCHEMA
            ),
            SuggestionKind("postmottak.innsyn", "Innsynskrav og frister", INNSYN_SCHEMA),
            SuggestionKind("postmottak.case", "Saksmappe", CASE_SCHEMA),
        ],
        reviewer_roles=frozenset({"arkivar", "saksbehandler", "admin"}),
        router="kommuneki.services.postmottak.views:router",
        cli="kommuneki.services.postmottak.cli:group",
        models=MODELS,
        demo=DEMO,
        capabilities={
            "archive.journalforte_meldinger": "kommuneki.services.postmottak.service:journalforte_meldinger"
        },
        cards="kommuneki.services.postmottak:model_cards",
        audit_events=[
            AuditEvent(
                "postmottak.forwarded",
                "Melding videresendt til enhet (SMTP eller Graph)",
                ("message", "unit", "recipient_sha256", "original_sha256", "automated"),
            ),
            AuditEvent(
                "postmottak.forward_refused",
                "Videresending stanset (adresse utenfor kommunens domener uten at en person har avgjort, "
                "eller ingen adresse)",
                ("message", "reason"),
            ),
            AuditEvent(
                "postmottak.deleted",
                "Melding merket slettet (beholdes til slettereglen fjerner den)",
                ("message", "reason", "automated"),
            ),
            AuditEvent(
                "postmottak.journalfort",
                "Melding journalført av en person (arkivmelding laget)",
                ("message", "arkivmelding_sha256"),
            ),
            AuditEvent(
                "postmottak.cases_imported", "Åpne saker importert for sakskobling", ("count", "sha256")
            ),
            AuditEvent("postmottak.log_exported", "Åpenhetslogg for en melding eksportert", ("message",)),
            AuditEvent("postmottak.settings_changed", "Innstillinger for postmottak endret", ("fields",)),
        ],
        explanation_labels={
            "guards": "Kontroller",
            "delete_reason": "Slettegrunn",
            "header": "Meldingshode",
            "saksnummer": "Saksnummer",
            "candidates": "Kandidater",
            "reasons": "Begrunnelser",
        },
        register=RegisterFacts(
            aiact_answers={**OWN_SERVICE_ANSWERS, "area": "saksbehandling_arkiv", "individual": "aggregert"},
            summary_nb="Foreslår om innkommet post skal journalføres, sendes videre til riktig enhet eller "
            "slettes.",
            summary_nn="Foreslår om innkomen post skal journalførast, sendast vidare til rett eining eller "
            "slettast.",
        ),
        slots=["postmottak.message.side"],
        tasks=[
            # the mailbox, polled every minute by the workers for each tenant with one set up
            TaskSpec(
                "postmottak.poll",
                "kommuneki.services.postmottak.service:poll_task",
                "Henting av e-post fra postkassen",
                every_s=60,
                schedule_if="kommuneki.services.postmottak.service:mailbox_configured",
            ),
            # an import of message files: stored at once, triaged on the workers, a chunk per queue task
            TaskSpec(
                "postmottak.import",
                "kommuneki.services.postmottak.service:import_task",
                "Import av e-post til postmottaket",
                merge="kommuneki.services.postmottak.service:merge_import",
            ),
            # training the tenant's model on its handled mail (stored history items)
            TaskSpec(
                "postmottak.train",
                "kommuneki.services.postmottak.service:train_task",
                "Trening av postmottakets modell på egen historikk",
            ),
        ],
    )


def model_cards() -> list[dict]:
    import json

    from .engine import DEFAULT_CARD_PATH

    return [json.loads(DEFAULT_CARD_PATH.read_text())] if DEFAULT_CARD_PATH.exists() else []
