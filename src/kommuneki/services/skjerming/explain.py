"""The structured explanation of a finding, in plain Norwegian for the document page.

Every finding carries its detector's explanation (pattern, checksum results, context words, the name
model's probability, the term and the nearby name) and the engine's reason for its proposal. The page
shows both in one short sentence each, so the arkivar sees *why* before deciding; the structured form
stays in the suggestion, the API and the audit log.
"""

from __future__ import annotations

from typing import Any

from .engine import CATEGORY_LABELS

PATTERN_LABELS = {
    "kontonr_4_2_5": "skrevet som kontonummer (4.2.5)",
    "fnr_6_5": "11 siffer",
    "orgnr_3_3_3": "9 siffer (3 3 3)",
    "orgnr_9": "9 siffer",
    "intl": "telefonnummer med +47",
    "national_spaced": "telefonnummer med mellomrom",
    "national_8": "8 siffer som et mobilnummer",
    "email": "e-postadresse",
    "street_number_postal": "gatenavn, husnummer, postnummer og poststed",
    "street_number": "gatenavn og husnummer",
    "postboks": "postboksadresse",
    "postnr_POSTSTED": "postnummer og poststed",
    "gnr_bnr": "gårds- og bruksnummer",
    "gnr_bnr_slash": "gnr/bnr skrevet med skråstrek",
    "slash_with_context": "tall med skråstrek ved ord om eiendom",
    "numeric": "dato rett etter et ord om fødsel",
    "words": "dato rett etter et ord om fødsel",
}
MATCH_LABELS = {
    "word": "",
    "lemma": " (bøyd form)",
    "compound_prefix": " (i et sammensatt ord)",
    "compound_suffix": " (i et sammensatt ord)",
    "phrase": " (uttrykk)",
    "exact": "",
}
REASON_LABELS = {
    "identifier": "Identitetsnummer foreslås alltid skjermet.",
    "personal_context": "Knyttet til personlige forhold i dokumentet.",
    "public_role": "Personen er nevnt i en offentlig rolle, og det taler for åpenhet.",
    "no_person": "Ingen person er nevnt i nærheten; ikke taushetsbelagt alene.",
    "not_linked": "Ikke knyttet til personlige forhold i dokumentet.",
    "not_confidential": "Ikke taushetsbelagt i seg selv.",
    "not_tied": "Ikke knyttet til en identifiserbar privatperson i teksten (fvl. § 13 verner personer, "
    "ikke organisasjoner eller fagord).",
    "role_activity": "Det personen gjør i en offentlig rolle, er ikke personlige forhold.",
    "historical": "Gjelder personer i en historisk framstilling (hendelser før 1925).",
    "alminnelig_kjent": "Navnet er alminnelig kjent (fvl. § 13 a nr. 3), og ingen personlige forhold er "
    "knyttet til det her; det foreslås ikke skjermet. Du kan likevel skjerme det.",
    "no_membership": "Partiet, forbundet eller ordet er nevnt, men teksten sier ikke at en privatperson er "
    "medlem, stemmer eller har et politisk syn.",
    "group": "Gjelder en gruppe mennesker, ikke en identifiserbar person.",
    "role_title": "Ordet er yrkestittelen til personen som nevnes rett etter, ikke en opplysning om "
    "personlige forhold.",
}


def _pct(p: Any) -> str:
    return f"{round(float(p) * 100)} %"


def _quoted(words: list[str]) -> str:
    return ", ".join(f"«{w}»" for w in words)


def found_because(f: dict[str, Any]) -> str:
    """Why the detector found it, in one sentence."""
    e = f.get("explanation") or {}
    det = e.get("detector", "")
    if det.startswith("crf_names"):
        if e.get("same_name_as"):
            s = f"Samme navn som «{e['same_name_as']}» et annet sted i dokumentet"
            return s + (f"; {e['public_reason']}." if e.get("public_reason") else ".")
        s = f"Navnemodellen: sannsynlighet {_pct(e.get('probability', f.get('score', 0)))}"
        if e.get("role_word"):
            s += f"; rolleordet «{e['role_word']}» står ved navnet"
        if e.get("public_reason"):
            s += f"; {e['public_reason']}"
        return s + "."
    if det == "term_list":
        cat = CATEGORY_LABELS.get(f.get("category") or "", "særlige kategorier")
        term = str(e.get("term", f.get("text", ""))).strip("*")
        s = f"Ord fra listen for {cat}: «{term}»{MATCH_LABELS.get(e.get('match'), '')}"
        near = e.get("near_person")
        if near:
            s += (
                f", i samme setning som «{near['text']}»"
                if e.get("proximity") == "sentence"
                else f", {near['distance_chars']} tegn fra «{near['text']}»"
            )
        if e.get("lowered_by"):
            s += "; lavere skår fordi personen har en offentlig rolle"
        return s + "."
    parts = []
    if e.get("reason"):
        parts.append(str(e["reason"]).rstrip("."))
    elif e.get("pattern") in PATTERN_LABELS:
        parts.append(PATTERN_LABELS[e["pattern"]].capitalize())
    if e.get("note"):
        note = str(e["note"]).rstrip(".")
        parts.append(note[:1].lower() + note[1:] if parts else note)
    if e.get("context_words"):
        parts.append("ord i nærheten: " + _quoted(list(e["context_words"])))
    return "; ".join(parts) + "." if parts else ""


def proposal_because(f: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    """Why the engine proposes to withhold it or not, in one sentence."""
    s = REASON_LABELS.get(f.get("reason", ""), "")
    wanted = set(f.get("linked_to") or ())
    linked = [g for g in findings if g.get("index") in wanted]
    if linked and f.get("reason") == "personal_context":
        s = s.rstrip(".") + " (" + ", ".join(f"nr. {g['index'] + 1} «{g['text']}»" for g in linked[:3]) + ")."
    return s


def describe(f: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    """Both sentences: what was found and why it is proposed withheld or not."""
    return " ".join(x for x in (found_because(f), proposal_because(f, findings)) if x)


def value_labels() -> dict[str, dict[str, str]]:
    """How the pages show skjerming's codes (``ServiceSpec.value_labels``): the decision, the finding
    types and categories, and each hjemmel id by its title (``offl-13-fvl-13-1-1`` → «Taushetsplikt …»)."""
    from . import engine, legal

    hjemler = {h.id: h.label for h in legal.load()[1]}
    return {
        "decision": dict(engine.DECISION_LABELS),
        "verdict": dict(engine.DECISION_LABELS),
        "type": dict(engine.TYPE_LABELS),
        "category": dict(engine.CATEGORY_LABELS),
        "reason": dict(REASON_LABELS),
        **{key: hjemler for key in ("hjemmel", "hjemmel_id", "whole_document_hjemmel")},
        **{key: hjemler for key in ("internet_hjemmel", "internet_hjemmel_id")},
    }
