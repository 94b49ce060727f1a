"""Norwegian labels the pages show: statuses, roles, audit events, and the keys and codes that
explanations and values use. Data only; ``web/rendering.py`` puts them into the templates."""

from __future__ import annotations

from typing import Any

from ..core import audit

STATUS_LABELS = {
    "pending": "Venter",
    "accepted": "Godtatt",
    "changed": "Endret",
    "rejected": "Avvist",
    "superseded": "Erstattet",
    "all": "Alle",
}
OUTCOME_LABELS = {"accepted": "Godtatt", "changed": "Endret", "rejected": "Avvist"}
ROLE_LABELS = {
    "saksbehandler": "Saksbehandler",
    "arkivar": "Arkivar",
    "leder": "Leder",
    "eiendomsskatt": "Eiendomsskatt",
    "personvernombud": "Personvernombud",
    "ki-ansvarlig": "KI-ansvarlig",
    "admin": "Administrator",
}
# Norwegian names of the core audit events; a service's own events show their (English) description.
EVENT_LABELS_NB = {
    "auth.login": "Innlogging",
    "auth.login_failed": "Mislykket innlogging",
    "auth.logout": "Utlogging",
    "tenant.created": "Organisasjon opprettet",
    "tenant.updated": "Organisasjon endret",
    "user.added": "Bruker opprettet",
    "user.updated": "Bruker endret",
    "role.granted": "Rolle gitt",
    "role.revoked": "Rolle fjernet",
    "unit.created": "Enhet opprettet",
    "unit.updated": "Enhet endret",
    "token.created": "API-nøkkel laget",
    "token.revoked": "API-nøkkel trukket tilbake",
    "policy.changed": "Automatisering endret",
    "item.received": "Element mottatt og lagret",
    "item.content_removed": "Innhold fjernet",
    "suggestion.created": "Forslag laget",
    "suggestion.superseded": "Forslag erstattet",
    "decision.made": "Avgjørelse tatt",
    "model.registered": "Modell registrert",
    "model.exported": "Modell eksportert",
    "model.imported": "Modell importert",
    "audit.exported": "Revisjonslogg eksportert",
    "data.exported": "Data eksportert",
    "job.started": "Jobb startet",
    "job.finished": "Jobb avsluttet",
    "job.retried": "Jobb satt i kø igjen",
    "job.cancelled": "Jobb bedt stoppet",
}

# Norwegian labels for the keys that explanations and values commonly use. Unknown keys are shown as
# they are (with underscores as spaces); a service that wants more can give its kind an
# ``explanation_template`` (see docs/architecture-ui.md).
FIELD_LABELS = {
    "type": "Type",
    "language": "Språk",
    "score": "Poeng",
    "term": "Ord",
    "terms": "Ord",
    "weight": "Vekt",
    "feature": "Egenskap",
    "features": "Egenskaper",
    "contribution": "Bidrag",
    "rule": "Regel",
    "pattern": "Mønster",
    "text": "Tekst",
    "span": "Utdrag",
    "start": "Fra tegn",
    "end": "Til tegn",
    "label": "Kategori",
    "category": "Kategori",
    "entity": "Opplysning",
    "checksum": "Kontrollsiffer",
    "valid": "Gyldig",
    "source": "Kilde",
    "passage": "Avsnitt",
    "quote": "Sitat",
    "value": "Verdi",
    "method": "Metode",
    "unit": "Enhet",
    "confidence": "Sikkerhet",
    "reason": "Begrunnelse",
    "count": "Antall",
    "context": "Sammenheng",
    "page": "Side",
    "document": "Dokument",
    "law": "Lov",
    "hjemmel": "Hjemmel",
    "paragraph": "Paragraf",
    "probability": "Sannsynlighet",
    "note": "Merknad",
    "model": "Modell",
    "threshold": "Terskel",
    "alternatives": "Alternativer",
    "title": "Tittel",
    "date": "Dato",
    "amount": "Beløp",
    "basis": "Grunnlag",
    "field": "Felt",
    "match": "Treff",
    "matched": "Treff",
    "name": "Navn",
    "description": "Beskrivelse",
    "action": "Handling",
    "target": "Mottaker",
    "recipient": "Mottaker",
    "period": "Periode",
    "estimate": "Anslag",
    "baseline": "Sammenligning",
    "lower": "Nedre",
    "upper": "Øvre",
    "interval": "Intervall",
    "base_value": "Grunnverdi",
    "comparables": "Sammenlignbare salg",
    "flag_reasons": "Hvorfor kontrollere",
    "sale_date": "Salgsdato",
    "price": "Pris",
    "adjusted_price": "Justert pris",
    "living_area": "Boareal (m²)",
    "building_type": "Bygningstype",
    "area_code": "Områdekode",
    "distance_m": "Avstand (m)",
    "year_built": "Byggeår",
    "valuation_date": "Verdsatt per",
    "kroner": "Kroner",
    "guards": "Kontroller",
    "spans": "Plassering",
    "delete_reason": "Slettegrunn",
    "verdict": "Utfall",
    "scope": "Omfang",
    "withhold": "Skjermes",
    "internet_withhold": "Skjermes på nett",
    "linked_to": "Knyttet til",
    "hjemler": "Hjemler",
    "hjemmel_id": "Hjemmel",
    "index": "Nr.",
    "detector": "Detektor",
    "explanation": "Forklaring",
    "decision": "Avgjørelse",
    "whole_document_hjemmel": "Hjemmel for hele dokumentet",
    "share_withheld_sentences": "Andel skjermede setninger",
    "hjemler_version": "Hjemmelversjon",
    "alternatives_scores": "Andre utfall",
}
VALUE_LABELS = {
    "language": {
        "nb": "bokmål",
        "nn": "nynorsk",
        "en": "engelsk",
        "da": "dansk",
        "sv": "svensk",
        "se": "nordsamisk",
        "other": "annet",
    },
    "type": {
        "language_score": "språkpoeng",
        "term": "ord",
        "feature": "egenskap",
        "rule": "regel",
        "passage": "avsnitt",
        "span": "utdrag",
    },
}
# Evidence keys whose numbers (0–1) are drawn as a bar beside the figure.
SCORE_KEYS = {"score", "weight", "probability", "confidence", "similarity", "share"}
CONFIDENCE_LEVELS = ((0.85, "high", "høy"), (0.6, "medium", "middels"), (0.0, "low", "lav"))


class EventLabels:
    """Norwegian label of an audit event: the core's from EVENT_LABELS_NB, a service's from the platform's
    event catalogue (``registry.audit_events``)."""

    def __init__(self, events: Any = None) -> None:
        self.events = events if events is not None else audit.CORE_EVENTS

    def get(self, name: str, default: str = "") -> str:
        if name in EVENT_LABELS_NB:
            return EVENT_LABELS_NB[name]
        event = self.events.get(name)
        return event.description if event else default
