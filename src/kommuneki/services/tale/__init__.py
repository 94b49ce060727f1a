"""Tale: speech to text for documentation in health and care (issue 16).

A nurse records (or uploads) a dictation; it is stored as an item (raw bytes first), transcribed on the
kommune's own machine in a background task, structured into the tenant's note template, and shown to the
person who recorded it — who corrects and approves it before it is pasted into the EPJ. The note is a
suggestion that person settles (decision support): never written to a journal by the service.

Privacy (helsepersonelloven § 21, tjenstlig behov): a recording, its transcript and its note are read
only by the person who recorded it and one named colleague — not by leder, admin or personvernombud, and
not through the generic item, queue or suggestion routes (:func:`item_read_rule`).
"""

from __future__ import annotations

from ...core.registry import (
    OWN_SERVICE_ANSWERS,
    AuditEvent,
    HeaderRelaxation,
    RegisterFacts,
    RoleSpec,
    ServiceSpec,
    SuggestionKind,
    TaskSpec,
)

ROLE = "helsepersonell"
KIND = "tale.note"
TRANSCRIBE_TASK = "tale.transcribe"
RETENTION_TASK = "tale.retention"

NOTE_VALUE_SCHEMA = {
    "type": "object",
    "required": ["sections"],
    "properties": {
        "template": {"type": "string"},
        "sections": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "text"],
                "properties": {"name": {"type": "string"}, "text": {"type": "string"}},
            },
        },
        "fields": {"type": "array", "items": {"type": "object"}},
    },
}
NOTE_EXPLANATION_SCHEMA = {
    "type": "object",
    "required": ["summary", "evidence"],
    "properties": {
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"enum": ["segment", "field", "rule"]},
                    "start": {"type": "number"},
                    "end": {"type": "number"},
                    "flags": {"type": "array", "items": {"type": "string"}},
                    "rule": {"type": "string"},
                },
            },
        },
        "model": {"type": "object"},
        "low_confidence_words": {"type": "integer"},
        "flagged_segments": {"type": "integer"},
    },
}

AUDIT_EVENTS = [
    AuditEvent(
        "tale.recorded",
        "Lydopptak lagret til transkribering (grunnlag og samtykke registrert)",
        ("recording", "basis", "consent", "language", "template"),
    ),
    AuditEvent(
        "tale.transcribed",
        "Lydopptak transkribert (modell, sjekksum av modell og av teksten)",
        ("recording", "model", "model_sha256", "transcript_sha256", "segments", "flagged", "duration_s"),
    ),
    AuditEvent(
        "tale.transcription_failed", "Transkribering feilet (kode, ingen tekst)", ("recording", "code")
    ),
    AuditEvent(
        "tale.approved",
        "Notat godkjent av den som tok opp (ordfeilrate mellom utkast og godkjent notat)",
        ("recording", "suggestion", "model", "wer", "note_sha256"),
    ),
    AuditEvent("tale.exported", "Godkjent notat eksportert", ("recording", "format", "note_sha256")),
    AuditEvent(
        "tale.deleted",
        "Opptak, transkripsjon eller notat slettet (bare sjekksummer)",
        ("recording", "what", "reason", "sha256"),
    ),
    AuditEvent("tale.settings_changed", "Innstillinger for tale endret (navn på feltene)", ("fields",)),
    AuditEvent(
        "tale.colleague_set", "Kollega med lesetilgang satt for et opptak", ("recording", "colleague")
    ),
]


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="tale",
        title="Tale til tekst",
        description="Skriver ut diktat fra helse og omsorg på kommunens egen maskin, sorterer teksten i "
        "notatmalen og lar den som tok opp rette og godkjenne før notatet limes inn i journalen.",
        kinds=[
            SuggestionKind(
                name=KIND,
                title="Notat fra diktat",
                explanation_schema=NOTE_EXPLANATION_SCHEMA,
                automatable=False,
                value_schema=NOTE_VALUE_SCHEMA,
                in_review_queue=False,  # reviewed on the recorder's own page, never in the shared queue
            )
        ],
        roles=[
            RoleSpec(
                ROLE,
                "Helsepersonell (diktat)",
                grants=frozenset({"queue.read", "item.create", "item.read", "suggestion.decide"}),
            )
        ],
        reviewer_roles=frozenset({ROLE}),
        item_read_rule="kommuneki.services.tale.service:may_read",
        router="kommuneki.services.tale.views:router",
        cli="kommuneki.services.tale.cli:group",
        cards="kommuneki.services.tale.engine.card:model_cards",
        audit_events=AUDIT_EVENTS,
        tasks=[
            TaskSpec(TRANSCRIBE_TASK, "kommuneki.services.tale.service:transcribe_task", "Transkribering"),
            # hourly deletion per the tenant's rules, scheduled by the workers (core/schedule.py);
            # `kommuneki tale retention` runs it by hand (docs/services/tale.md)
            TaskSpec(
                RETENTION_TASK,
                "kommuneki.services.tale.service:retention_task",
                "Sletting av diktat etter reglene",
                every_s=3600,
            ),
        ],
        explanation_labels={
            "low_confidence_words": "Usikre ord",
            "flagged_segments": "Avsnitt til kontroll",
            "flags": "Merknader",
            "model": "Modell",
        },
        header_relaxations=[
            # the recording page only: the microphone, and the recorded audio played back from memory
            HeaderRelaxation(
                "/tale/opptak/ny",
                permissions_policy={"microphone": "(self)"},
                csp={"media-src": "'self' blob:"},
            ),
        ],
        settings="kommuneki.services.tale.settings:TaleSettings",
        metrics="kommuneki.services.tale.service:metrics",
        register=RegisterFacts(
            aiact_answers={
                **OWN_SERVICE_ANSWERS,
                # a preparatory writing task: a person reads, corrects and approves every note
                "area": "intern",
                "individual": "aggregert",
            },
            summary_nb="Skriver ut diktat fra ansatte i helse og omsorg til tekst på kommunens egen maskin. "
            "Den som tok opp leser, retter og godkjenner notatet før det føres i journalen.",
            summary_nn="Skriv ut diktat frå tilsette i helse og omsorg til tekst på maskina til kommunen. "
            "Den som tok opp les, rettar og godkjenner notatet før det blir ført i journalen.",
            affects_individuals=True,
        ),
        extra="tale",
        requires=("faster_whisper", "av"),
    )
