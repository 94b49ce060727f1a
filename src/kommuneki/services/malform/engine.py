"""Målform service engine: which written standard (bokmål, nynorsk) or language a document is in.

Why a service: a kommune must answer in the citizen's målform, and public documents must follow the
tenant's målform (mållova § 8, § 10 — check). Pure logic: text in, proposal out.
"""

from __future__ import annotations

import hashlib
import time

from ...core.proposal import Proposal
from ...text.language import LABELS, detect_language

MODEL_NAME = "malform-simplemma"
MODEL_VERSION = "1"
KIND = "malform"


def suggest_malform(text: str) -> Proposal:
    """Propose the language of ``text`` with the per-language scores as explanation."""
    start = time.process_time()
    guess = detect_language(text)
    ranked = sorted(guess.scores.items(), key=lambda kv: -kv[1])
    explanation = {
        "summary": f"Teksten ser ut til å være skrevet på {LABELS.get(guess.code, guess.code)}.",
        "evidence": [{"type": "language_score", "language": code, "score": score} for code, score in ranked],
        "method": "Andel ord som finnes i ordlistene til hvert språk (simplemma).",
    }
    return Proposal(
        kind=KIND,
        value={"language": guess.code},
        confidence=guess.confidence,
        explanation=explanation,
        model_name=MODEL_NAME,
        model_version=MODEL_VERSION,
        input_hash=hashlib.sha256(text.encode()).hexdigest(),
        cpu_ms=(time.process_time() - start) * 1000,
    )


def model_cards() -> list[dict]:
    return [model_card()]


def model_card() -> dict:
    return {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "service": "malform",
        "intended_use": "Foreslå om et dokument er på bokmål, nynorsk eller engelsk, så svaret kan gis på "
        "riktig målform.",
        "training_data": {
            "description": "Ingen trening: ordlister fra simplemma (Wiktionary-baserte).",
            "rows": 0,
            "period": None,
            "sha256": None,
            "personal_data": False,
        },
        "metrics": {"note": "Ikke målt på kommunale data ennå."},
        "limitations": [
            "Korte tekster (under ti ord) gir usikre svar.",
            "Bokmål og nynorsk deler mange ord; radikalt bokmål kan forveksles med nynorsk.",
        ],
    }
