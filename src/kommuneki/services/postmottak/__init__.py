"""Postmottak: triage of the kommune's shared inbox — journalføre, videresende or slette, route to the
right unit, link to the right case, and catch innsyn requests before their deadline (issue 4).

Kinds and automation: only ``postmottak.forward`` (forward a non-sensitive, non-innsyn message to a unit)
and ``postmottak.delete`` (delete spam, newsletters, auto-replies, read receipts and bounces) may be
automated by a tenant policy. Everything else — journalføring, deleting anything that may be a case
document, innsyn requests, sensitive mail — is ``postmottak.action`` and always goes to a person.
"""

from __future__ import annotations

from ...core.registry import ServiceSpec, SuggestionKind

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
ACTION_VALUE = {
    "type": "object",
    "required": ["action"],
    "properties": {"action": {"enum": ["journalfores", "videresendes", "slettes"]}},
}


def spec() -> ServiceSpec:
    from .cli import group

    def router():
        # views (and what they import) load only when a web app is built, so commands start fast
        from .views import router as make_router

        return make_router()

    return ServiceSpec(
        name="postmottak",
        title="Postmottak",
        home_url="/postmottak",
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
            SuggestionKind("postmottak.unit", "Enhet", SIMPLE_SCHEMA),
            SuggestionKind(
                "postmottak.dokumenttype", "Dokumenttype og tittel for journalføring", SIMPLE_SCHEMA
            ),
            SuggestionKind("postmottak.innsyn", "Innsynskrav og frister", INNSYN_SCHEMA),
            SuggestionKind("postmottak.case", "Saksmappe", CASE_SCHEMA),
        ],
        reviewer_roles=frozenset({"arkivar", "saksbehandler", "admin"}),
        router_factory=router,
        cli_group=group,
        model_cards=_cards,
        audit_events=[
            (
                "postmottak.forwarded",
                "A message was forwarded to a unit by SMTP or Graph.",
                ("message", "unit", "recipient_sha256", "original_sha256", "automated"),
            ),
            (
                "postmottak.forward_refused",
                "A forward was refused (address outside the tenant's domains "
                "without a person deciding, or no address).",
                ("message", "reason"),
            ),
            (
                "postmottak.deleted",
                "A message was marked deleted (kept until the retention rule removes it).",
                ("message", "reason", "automated"),
            ),
            (
                "postmottak.journalfort",
                "An arkivmelding was made for a message.",
                ("message", "arkivmelding_sha256"),
            ),
            ("postmottak.cases_imported", "Open cases were imported for case linking.", ("count", "sha256")),
            ("postmottak.log_exported", "A message's transparency log was exported.", ("message",)),
            ("postmottak.settings_changed", "Postmottak settings of the tenant changed.", ("fields",)),
        ],
    )


def _cards() -> list[dict]:
    import json

    from .engine import DEFAULT_CARD_PATH

    return [json.loads(DEFAULT_CARD_PATH.read_text())] if DEFAULT_CARD_PATH.exists() else []
