"""The model card of the bemanning forecast (a per-tenant model: each tenant trains on its own history;
this card describes the method and where its figures come from)."""

from __future__ import annotations

from .forecast import CONFIG, MODEL_NAME, MODEL_VERSION
from .generator import GENERATOR_VERSION


def model_cards() -> list[dict]:
    return [model_card()]


def model_card() -> dict:
    return {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "service": "bemanning",
        "intended_use": "Prognose for uplanlagt fravær (egenmeldt, legemeldt, sykt barn) per enhet og dag "
        "1–8 uker fram, og forslag til ekstravakter. Aldri om enkeltpersoner.",
        "training_data": {
            "description": "Trenes på hver organisasjons egne fraværstall per enhet og dag (antall, ikke "
            "personer). Metoden er utviklet og målt på genererte data (generator versjon "
            f"{GENERATOR_VERSION}), ikke på virkelige fraværstall.",
            "rows": 0,
            "period": None,
            "sha256": None,
            "personal_data": False,
        },
        "metrics": {
            "note": "Målt på genererte data, ikke virkelige tall: se docs/services/bemanning.md og "
            "bench/bemanning_accuracy.py. Hver organisasjon ser modellens treffsikkerhet på egne data i "
            "tilbakeblikket.",
            "model": "Lineær modell per horisont, felles for kommunens enheter; kvantiler fra modellens egne "
            "restfeil (konform)"
            if CONFIG.model == "direct"
            else "ETS",
        },
        "limitations": [
            "Små enheter (under minste gruppestørrelse) gir brede intervaller og vises med en advarsel.",
            "Influensaraten (ECDC) kommer med en ukes forsinkelse og har hull; uten den faller den bort.",
            "Ferie og permisjon er planlagt fravær og er ikke med i prognosen.",
        ],
    }
