"""Hello: a tiny service from outside the kommuneki tree, plugged in through one entry point."""

from __future__ import annotations

from kommuneki.core.registry import AuditEvent, ServiceSpec, SuggestionKind

EXPLANATION = {
    "type": "object",
    "required": ["summary", "evidence"],
    "properties": {"evidence": {"type": "array"}},
}


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="hello",
        title="Hei-tjenesten",
        description="En liten tjeneste utenfor kommuneki, installert som egen pakke.",
        kinds=[SuggestionKind("hello.greeting", "Hilsen", EXPLANATION)],
        router="kommuneki_hello.views:router",
        cli="kommuneki_hello.cli:group",
        audit_events=[AuditEvent("hello.greeted", "Noen ble hilst på", ("name_sha256",))],
        explanation_labels={"greeting": "Hilsen"},
    )
