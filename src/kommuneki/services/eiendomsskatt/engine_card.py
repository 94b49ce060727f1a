"""The model card of the valuation pipeline (the model itself is trained per tenant on its own sales)."""

from __future__ import annotations

from typing import Any

MODEL_NAME = "eiendomsskatt-lgbm"
MODEL_VERSION = "1"

LIMITATIONS = [
    "Trær kan ikke fremskrive tid: verdien på verdsettelsesdatoen bygger på en prisindeks fra salgene, "
    "fremskrevet langs trenden de siste tolv månedene. Brå prisfall eller -hopp etter siste salg fanges "
    "ikke.",
    "Boliger som er uvanlige i salgene (størrelse, type, område, avstand til salg) er flagget for kontroll.",
    "Forhold som ikke står i dataene (standard innvendig, utsikt, støy) kjenner modellen bare gjennom "
    "prisene på salg i nærheten.",
]


def model_cards() -> list[dict[str, Any]]:
    return [shipped_card()]


def shipped_card() -> dict[str, Any]:
    return {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "service": "eiendomsskatt",
        "intended_use": "Foreslå markedsverdi for boliger til eiendomsskatt; usikre verdier kontrolleres av "
        "eiendomsskattekontoret, og eieren kan klage.",
        "training_data": {
            "description": "Trenes per kommune på kommunens egne boligsalg (ingen ferdig modell følger med).",
            "rows": 0,
            "period": None,
            "sha256": None,
            "personal_data": False,
        },
        "metrics": {
            "note": "Se docs/services/eiendomsskatt.md: målt på King County-salg (siste 20 % holdt ute)."
        },
        "limitations": LIMITATIONS,
    }


def trained_card(
    version: str, training: dict[str, Any], study: dict[str, Any], rejected: dict[str, int], seconds: float
) -> dict[str, Any]:
    o = study["overall"]
    metrics = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in o.items()}
    return {
        "name": MODEL_NAME,
        "version": version,
        "service": "eiendomsskatt",
        "intended_use": shipped_card()["intended_use"],
        "training_data": {
            "description": f"Boligsalg i kommunen, {training['rows']} gyldige salg "
            f"({sum(rejected.values())} utelatt med grunn).",
            "rows": int(training["rows"]),
            "period": " – ".join(training["period"]),
            "sha256": training["sha256"],
            "personal_data": True,
        },
        "metrics": {
            "split": f"siste {training['calibration_rows']} salg etter dato holdt ute (tidsordnet), "
            "verdsatt på egen salgsdato av en modell trent på de tidligere",
            **metrics,
            "warning": study.get("warning"),
        },
        # the full study (groups by type, area, price band) beside the headline metrics
        "ratio_study": {k: v for k, v in study.items() if k != "points"},
        "limitations": LIMITATIONS,
        "training_time_s": round(seconds, 2),
    }
