"""The approved note out: plain text to paste into the EPJ (Gerica, CosDoc, Profil, Helseplattformen),
one block per section; JSON; and a FHIR R4 DocumentReference — an open format for a later integration,
not a claim that these systems import it."""

from __future__ import annotations

import base64
import json
from typing import Any


def as_text(sections: list[dict[str, Any]]) -> str:
    blocks = [f"{s['name']}:\n{s['text'].strip()}" for s in sections if s.get("text", "").strip()]
    return "\n\n".join(blocks) + "\n"


def as_json(item_id: int, meta: dict[str, Any], sections: list[dict[str, Any]]) -> str:
    transcript = meta.get("transcript") or {}
    note = meta.get("note") or {}
    return json.dumps(
        {
            "recording": item_id,
            "template": note.get("template"),
            "sections": [{"name": s["name"], "text": s["text"]} for s in sections],
            "fields": note.get("fields", []),
            "approved_at": (meta.get("approved") or {}).get("at"),
            "model": transcript.get("model"),
            "language": transcript.get("language"),
        },
        ensure_ascii=False,
        indent=2,
    )


def as_fhir(item_id: int, meta: dict[str, Any], sections: list[dict[str, Any]]) -> str:
    """A FHIR R4 DocumentReference (status current, docStatus final) carrying the note as text/plain."""
    text = as_text(sections)
    approved_at = (meta.get("approved") or {}).get("at")
    resource = {
        "resourceType": "DocumentReference",
        "id": f"kommuneki-tale-{item_id}",
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [{"system": "http://loinc.org", "code": "34746-8", "display": "Nurse Note"}],
            "text": "Sykepleienotat fra diktat",
        },
        "date": approved_at,
        "description": "Notat fra diktat, lest, rettet og godkjent av den som tok opp (kommuneki tale).",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "language": "nb" if (meta.get("transcript") or {}).get("language") != "nn" else "nn",
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                    "title": "Notat",
                    "creation": approved_at,
                }
            }
        ],
    }
    return json.dumps(resource, ensure_ascii=False, indent=2)
