"""Saksinnsikt's tenant settings (``tenant.settings["saksinnsikt"]``), with defaults and Norwegian labels.

Generated answers are off unless the tenant names its own OpenAI-compatible server (vLLM, llama.cpp,
Ollama). The key, if the server wants one, is never stored here: the setting names an environment
variable of the installation that holds it.
"""

from __future__ import annotations

import os
import re

from pydantic import BaseModel, Field, field_validator

from .engine.generative import ServerConfig

#: Where the server is, which key it gets and how long a search may wait are the operator's: a tenant
#: admin who could set them could send the server's own secrets (any environment variable) or requests into
#: the server's network to an address of her choosing (an attacker review found it).
OPERATOR = {"x-kommuneki-operator": True}
#: The key's environment variable must be one made for it, never e.g. the database URL or the secret key.
KEY_ENV_PREFIX = "KOMMUNEKI_LLM_KEY"


class SaksinnsiktSettings(BaseModel):
    llm_url: str | None = Field(
        None,
        title="Adresse til kommunens egen språkmodell (OpenAI-kompatibel, slutter på /v1); tom: av",
        json_schema_extra=OPERATOR,
    )
    llm_model: str = Field("", title="Modellnavn på tjeneren")
    llm_timeout_s: float = Field(
        20.0, ge=1.0, le=60.0, title="Vent høyst så mange sekunder på svar", json_schema_extra=OPERATOR
    )
    llm_passages: int = Field(5, ge=1, le=10, title="Antall avsnitt modellen får se")
    llm_api_key_env: str | None = Field(
        None,
        title=f"Miljøvariabel på serveren som holder nøkkelen ({KEY_ENV_PREFIX}…; nøkkelen lagres ikke her)",
        json_schema_extra=OPERATOR,
    )
    llm_allow_public: bool = Field(
        False,
        title="Tillat en tjener med offentlig adresse (standard: bare kommunens eget nett)",
        json_schema_extra=OPERATOR,
    )

    @field_validator("llm_api_key_env")
    @classmethod
    def _key_env(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not re.fullmatch(KEY_ENV_PREFIX + r"[A-Z0-9_]*", value):
            raise ValueError(f"Navnet må begynne med {KEY_ENV_PREFIX} (store bokstaver, sifre og _).")
        return value

    @field_validator("llm_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("Adressen må begynne med http:// eller https://")
        return value

    def server(self) -> ServerConfig | None:
        """The server to ask, or None when generated answers are off."""
        if not self.llm_url:
            return None
        key = os.environ.get(self.llm_api_key_env) if self.llm_api_key_env else None
        return ServerConfig(
            url=self.llm_url,
            model=self.llm_model or "default",
            timeout_s=self.llm_timeout_s,
            api_key=key or None,
            allow_public=self.llm_allow_public,
            passages=self.llm_passages,
        )
