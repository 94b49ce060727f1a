"""Tale's tenant settings (``tenant.settings["tale"]``), with defaults and Norwegian labels."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TaleSettings(BaseModel):
    language: Literal["no", "nn"] = Field("no", title="Språk i diktat (no: bokmål, nn: nynorsk)")
    template: Literal["hjemmetjenesten", "fritekst"] = Field("hjemmetjenesten", title="Notatmal")
    vocabulary: list[str] = Field(
        default_factory=list, title="Ordliste (legemidler, stedsnavn, enheter) som hjelper modellen"
    )
    model_dir: str | None = Field(
        None,
        title="Modellmappe (CTranslate2) satt av driftsansvarlig; tom: Whisper base",
        json_schema_extra={"x-kommuneki-operator": True},  # a folder on the server: the operator's
    )
    delete_after_export_days: int = Field(2, ge=0, le=30, title="Slett tekst og notat dager etter eksport")
    retention_days: int = Field(7, ge=1, le=90, title="Slett alt etter så mange dager")
    low_word_probability: float = Field(0.5, ge=0.0, le=1.0, title="Marker ord med sannsynlighet under")
