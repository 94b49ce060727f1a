"""Postmottak engine: one message in, every triage suggestion out. Pure logic — no database, no network.

Order of reasoning, each step stated in the explanation:

1. Header rules (``rules.py``) catch bounces, read receipts and auto-replies: action ``slettes``.
2. The linear text model (``textmodel.py``) proposes action, unit, dokumenttype and — for deletions —
   the reason (spam, newsletter …), each with the weighted terms found in the message.
3. Innsyn detection (``innsyn.py``): a request is always journalført, with dokumenttype INNSYNSKRAV, and
   gets its deadlines.
4. Sensitive content from the skjerming service (special categories, fødselsnummer …): flags the message
   so it is never handled automatically and is marked unntatt offentlighet.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...core.clock import local_date, local_today
from ...core.proposal import Proposal
from ...ingest.email import ParsedMessage
from ...text.language import detect_language
from ...text.pii import detect
from . import features, innsyn, rules
from .textmodel import TextModel, highlight_spans

SERVICE = "postmottak"
DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_MODEL_PATH = DATA_DIR / "default-model.joblib"
DEFAULT_CARD_PATH = DATA_DIR / "default-model.card.json"

ACTIONS = ("journalfores", "videresendes", "slettes")
ACTION_LABELS = {"journalfores": "journalføres", "videresendes": "videresendes", "slettes": "slettes"}
# Deleting these is allowed without a person (arkivlova: none of them is a case document).
AUTO_DELETABLE = ("spam", "newsletter", "auto_reply", "read_receipt", "bounce")
DELETE_REASON_LABELS = {
    "spam": "søppelpost",
    "newsletter": "nyhetsbrev/reklame",
    "auto_reply": "automatisk svar",
    "read_receipt": "lesekvittering",
    "bounce": "returmelding",
    "duplicate": "duplikat",
    "other": "annet",
}
# Dokumenttype codes from the Fiks Arkiv kodeliste (no.ks.fiks.arkiv.v1.kodelister.dokumenttype) that the
# postmottak uses, plus the tenant's own types where the kodeliste has none (tests check the first set
# against the published list).
FIKS_DOKUMENTTYPER = {
    "SØKNAD": "Søknad",
    "MELDING": "Melding",
    "KORR": "Korrespondanse",
    "KLAGE": "Klage",
    "UTTALELSE": "Uttalelse",
    "FAKTURA": "Faktura",
    "AVTALE": "Avtale",
    "RAPPORT": "Rapport",
    "VEDTAK": "Vedtak",
    "DOKUMENT": "Dokument",
    "NOTAT": "Notat",
    "INNSIGELSE": "Innsigelse",
}
TENANT_DOKUMENTTYPER = {"INNSYNSKRAV": "Innsynskrav"}
KINDS = {
    "action": "postmottak.action",
    "forward": "postmottak.forward",
    "delete": "postmottak.delete",
    "unit": "postmottak.unit",
    "dokumenttype": "postmottak.dokumenttype",
    "innsyn": "postmottak.innsyn",
    "case": "postmottak.case",
}
SENSITIVE_TYPES = ("SAERLIG_KATEGORI", "FODSELSNUMMER", "D_NUMMER", "H_NUMMER")
_PREFIX = re.compile(r"^\s*((re|sv|vs|fw|fwd|aw|ang)\s*:\s*)+", re.I)


def dokumenttype_label(code: str | None) -> str | None:
    if code is None:
        return None
    return FIKS_DOKUMENTTYPER.get(code) or TENANT_DOKUMENTTYPER.get(code) or code


@dataclass
class Triage:
    action: str
    action_confidence: float
    delete_reason: str | None
    unit: str | None
    unit_confidence: float
    dokumenttype: str | None
    dokumenttype_confidence: float
    title: str
    offentlig_tittel: str
    korrespondansepart: dict[str, Any]
    innsyn: innsyn.InnsynDetection
    deadlines: innsyn.InnsynDeadlines | None
    received: date
    sensitive: list[dict[str, Any]]
    sensitive_status: str  # checked | unavailable
    language: str
    rule: rules.RuleHit | None
    terms: dict[str, list[dict[str, Any]]]  # per task: weighted terms found
    highlights: dict[str, list[list[int]]]  # term -> spans in display_text
    alternatives: dict[str, list[tuple[str, float]]]
    model_name: str
    model_version: str
    input_hash: str
    cpu_ms: float
    defects: list[str] = field(default_factory=list)

    @property
    def automatable_delete(self) -> bool:
        return self.action == "slettes" and self.delete_reason in AUTO_DELETABLE and not self.guarded

    @property
    def guarded(self) -> bool:
        """Never automatic: an innsyn request (or a possible one), or anything sensitive."""
        return self.innsyn.detected or self.innsyn.possible or bool(self.sensitive)

    def as_json(self) -> dict[str, Any]:
        """The CLI's object (without ``path``)."""
        d = self.deadlines
        return {
            "action": {
                "value": self.action,
                "confidence": self.action_confidence,
                "delete_reason": self.delete_reason,
            },
            "unit": {"value": self.unit, "confidence": self.unit_confidence},
            "dokumenttype": {
                "value": self.dokumenttype,
                "label": dokumenttype_label(self.dokumenttype),
                "confidence": self.dokumenttype_confidence,
                "journalposttype": "I" if self.action == "journalfores" else None,
            },
            "title": self.title,
            "offentlig_tittel": self.offentlig_tittel,
            "korrespondansepart": self.korrespondansepart,
            "innsyn": {
                "detected": self.innsyn.detected,
                "possible": self.innsyn.possible,
                "via_einnsyn": self.innsyn.via_einnsyn,
                "received": self.received.isoformat(),
                "deadline": d.deadline.isoformat() if d else None,
                "deemed_refusal": d.deemed_refusal.isoformat() if d else None,
            },
            "sensitive": self.sensitive,
            "sensitive_status": self.sensitive_status,
            "language": self.language,
            "explanation": {
                "rule": None if self.rule is None else {"rule": self.rule.rule, "header": self.rule.header},
                "terms": self.terms,
                "highlights": self.highlights,
                "innsyn_evidence": self.innsyn.evidence,
                "alternatives": {k: [list(a) for a in v] for k, v in self.alternatives.items()},
            },
            "model": {"name": self.model_name, "version": self.model_version},
            "defects": self.defects,
        }


@lru_cache(maxsize=1)
def default_model() -> TextModel:
    """The model shipped in the package, trained on the demo corpus (see its card)."""
    if not DEFAULT_MODEL_PATH.exists():
        from ...core.errors import NotFound

        raise NotFound("Standardmodellen for postmottak mangler i installasjonen.")
    return TextModel.load(DEFAULT_MODEL_PATH)


def _sensitive(text: str) -> tuple[list[dict[str, Any]], str]:
    found = detect(text, names=False)
    return [
        {
            "type": f.type,
            "category": f.category,
            "start": f.start,
            "end": f.end,
            "text": f.text,
            "score": round(float(f.score), 3),
        }
        for f in found
        if f.type in SENSITIVE_TYPES
    ], "checked"


def propose_title(m: ParsedMessage, innsyn_detected: bool) -> str:
    title = _PREFIX.sub("", m.subject or "").strip()
    if not title:
        first = next((line.strip() for line in m.body.splitlines() if len(line.strip()) > 15), "")
        title = first[:100] or "Henvendelse uten emne"
    if innsyn_detected and "innsyn" not in title.lower():
        title = f"Innsynskrav – {title}"
    return title[:250]


def public_title(title: str, sensitive: list[dict[str, Any]]) -> str:
    """offentligTittel: the title with the names and identifiers that the shared PII detectors
    (text.pii) find replaced."""
    spans = [(f.start, f.end) for f in detect(title) if f.type not in ("EPOST",)]
    out = title
    for s, e in sorted(spans, reverse=True):
        out = out[:s] + "*****" + out[e:]
    return out


def triage(
    m: ParsedMessage,
    model: TextModel,
    *,
    received: date | datetime | None = None,
    innsyn_days: int = innsyn.DEFAULT_DAYS,
    check_sensitive: bool = True,
    own_domains: tuple[str, ...] = (),
) -> Triage:
    """Every suggestion for one parsed message. ``received`` is the arrival day (IMAP internal date);
    without it the Date header is used, and without that, today."""
    start = time.process_time()
    text = features.model_text(m)
    shown = features.display_text(m)
    if isinstance(received, datetime):
        received = local_date(received)  # the Norwegian calendar day, not the UTC one
    received = received or (local_date(m.date) if m.date else local_today())
    rule = rules.machine_mail(m)
    pred = model.predict(text)
    action = pred["action"].value
    action_conf = pred["action"].confidence
    delete_reason = pred["delete_reason"].value if "delete_reason" in pred and action == "slettes" else None
    if rule is not None:
        action, action_conf, delete_reason = "slettes", rule.confidence, rule.delete_reason
    found = innsyn.detect_message(m, tuple(own_domains))
    unit, unit_conf = pred["unit"].value, pred["unit"].confidence
    dtype, dtype_conf = pred["dokumenttype"].value, pred["dokumenttype"].confidence
    if found.detected and rule is None:
        # an innsyn request is journalført (offl. § 10) and handled by postmottak/arkiv
        action_conf = max(action_conf, found.score) if action == "journalfores" else found.score
        action, dtype = "journalfores", "INNSYNSKRAV"
        dtype_conf = max(found.score, dtype_conf if pred["dokumenttype"].value == "INNSYNSKRAV" else 0.0)
        if unit != "postmottak":
            unit, unit_conf = "postmottak", found.score
    if action == "slettes":
        unit, unit_conf = None, 0.0
    if action != "journalfores":
        dtype, dtype_conf = None, 0.0
    sensitive, status = _sensitive(m.full_text[:20000]) if check_sensitive else ([], "not_checked")
    title = propose_title(m, found.detected)
    lang = detect_language(m.body[:800] or m.subject)  # the opening says the language; the rest costs time
    terms = {task: p.terms for task, p in pred.items()}
    highlights = highlight_spans(shown, sorted({t["term"] for p in pred.values() for t in p.terms}))
    return Triage(
        action=action,
        action_confidence=round(action_conf, 4),
        delete_reason=delete_reason,
        unit=unit,
        unit_confidence=round(unit_conf, 4),
        dokumenttype=dtype,
        dokumenttype_confidence=round(dtype_conf, 4),
        title=title,
        offentlig_tittel=public_title(title, sensitive) if action == "journalfores" else title,
        korrespondansepart={
            "navn": m.sender or m.sender_address,
            "epost": m.sender_address,
            "korrespondanseparttype": "EA",
        },
        innsyn=found,
        deadlines=innsyn.deadlines(received, innsyn_days) if found.flagged else None,
        received=received,
        sensitive=sensitive,
        sensitive_status=status,
        language=lang.code,
        rule=rule,
        terms=terms,
        highlights=highlights,
        alternatives={task: p.alternatives for task, p in pred.items()},
        model_name=model.name,
        model_version=model.version,
        input_hash=hashlib.sha256(text.encode("utf-8", "replace")).hexdigest(),
        cpu_ms=(time.process_time() - start) * 1000,
        defects=list(m.defects),
    )


# --- proposals for the core ------------------------------------------------------------------------


def _term_evidence(
    terms: list[dict[str, Any]], highlights: dict[str, list[list[int]]]
) -> list[dict[str, Any]]:
    return [
        {
            "type": "term",
            "term": t["term"],
            "weight": t["weight"],
            "label": features.pseudo_label(t["term"]),
            "spans": highlights.get(t["term"], []),
        }
        for t in terms
    ]


def action_kind(t: Triage) -> str:
    """Which suggestion kind carries the action. Only ``postmottak.forward`` and ``postmottak.delete``
    may be automated by a tenant policy; everything that may be a case document, an innsyn request or
    sensitive goes as ``postmottak.action``, which never is."""
    if t.guarded:
        return KINDS["action"]
    if t.action == "videresendes" and t.unit:
        return KINDS["forward"]
    if t.automatable_delete:
        return KINDS["delete"]
    return KINDS["action"]


def proposals(t: Triage) -> list[Proposal]:
    """The core proposals for one triage: action (in its kind), unit, dokumenttype, innsyn."""
    common = {"model_name": t.model_name, "model_version": t.model_version, "input_hash": t.input_hash}
    cpu = t.cpu_ms
    out = []
    if t.rule is not None:
        evidence = [{"type": "rule", "rule": t.rule.rule, "header": t.rule.header}]
        summary = f"Maskinlaget e-post ({DELETE_REASON_LABELS[t.rule.delete_reason]}): {t.rule.header}."
    else:
        evidence = _term_evidence(t.terms.get("action", []), t.highlights)
        if t.action == "slettes" and t.terms.get("delete_reason"):
            evidence += _term_evidence(t.terms["delete_reason"][:4], t.highlights)
        summary = (
            f"Foreslår at meldingen {ACTION_LABELS[t.action]}"
            + (
                f" ({DELETE_REASON_LABELS.get(t.delete_reason or 'other', t.delete_reason)})"
                if t.action == "slettes"
                else ""
            )
            + (" og sendes til " + t.unit if t.action == "videresendes" and t.unit else "")
            + "."
        )
    guards = []
    if t.innsyn.detected:
        guards.append("innsyn")
        summary += " Innsynskrav journalføres alltid."
    elif t.innsyn.possible:
        guards.append("innsyn")
        summary += " Kan være et innsynskrav: en person avgjør."
    if t.sensitive:
        guards.append("sensitive")
        summary += " Meldingen har sensitivt innhold og behandles ikke automatisk."
    value = {"action": t.action, "delete_reason": t.delete_reason, "unit": t.unit}
    out.append(
        Proposal(
            kind=action_kind(t),
            value=value,
            confidence=t.action_confidence,
            explanation={
                "summary": summary,
                "evidence": evidence,
                "guards": guards,
                "alternatives": [list(a) for a in t.alternatives.get("action", [])],
            },
            cpu_ms=cpu,
            **common,
        )
    )
    if t.unit:
        out.append(
            Proposal(
                kind=KINDS["unit"],
                value={"unit": t.unit},
                confidence=t.unit_confidence,
                explanation={
                    "summary": f"Foreslått enhet: {t.unit}.",
                    "evidence": _term_evidence(t.terms.get("unit", []), t.highlights),
                    "alternatives": [list(a) for a in t.alternatives.get("unit", [])],
                },
                **common,
            )
        )
    if t.dokumenttype:
        out.append(
            Proposal(
                kind=KINDS["dokumenttype"],
                value={
                    "dokumenttype": t.dokumenttype,
                    "label": dokumenttype_label(t.dokumenttype),
                    "journalposttype": "I",
                    "tittel": t.title,
                    "offentlig_tittel": t.offentlig_tittel,
                    "korrespondansepart": t.korrespondansepart,
                    "skjerming": bool(t.sensitive),
                },
                confidence=t.dokumenttype_confidence,
                explanation={
                    "summary": f"Journalføres som inngående {dokumenttype_label(t.dokumenttype).lower()}.",
                    "evidence": _term_evidence(t.terms.get("dokumenttype", []), t.highlights)
                    + (
                        [{"type": "rule", "rule": "innsyn", "header": "innsynskrav"}]
                        if t.dokumenttype == "INNSYNSKRAV"
                        else []
                    ),
                    "alternatives": [list(a) for a in t.alternatives.get("dokumenttype", [])],
                },
                **common,
            )
        )
    if t.innsyn.flagged and t.deadlines:
        d = t.deadlines
        head = (
            f"Innsynskrav mottatt {d.received:%d.%m.%Y}"
            if t.innsyn.detected
            else f"Mulig innsynskrav mottatt {d.received:%d.%m.%Y} (under terskelen for sikker gjenkjenning; "
            "en person avgjør om det er et krav)"
        )
        out.append(
            Proposal(
                kind=KINDS["innsyn"],
                value={
                    "detected": t.innsyn.detected,
                    "possible": t.innsyn.possible,
                    "via_einnsyn": t.innsyn.via_einnsyn,
                    "received": d.received.isoformat(),
                    "deadline": d.deadline.isoformat(),
                    "deemed_refusal": d.deemed_refusal.isoformat(),
                },
                confidence=round(t.innsyn.score, 4),
                explanation={
                    "summary": f"{head}: avgjøres innen "
                    f"{d.deadline:%d.%m.%Y}; uten svar innen {d.deemed_refusal:%d.%m.%Y} regnes "
                    "det som avslag (offl. § 32).",
                    "evidence": [{"type": "pattern", **e} for e in t.innsyn.evidence],
                },
                **common,
            )
        )
    return out
