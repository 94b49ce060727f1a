"""The model registry: every model version with its card, exportable as one package.

A card (``MODEL_CARD_SCHEMA``) says what the model was trained on (counts, period, data hash), its
metrics on held-out data, intended use and known limits. A package is a zip holding ``card.json``,
``artifact.bin`` and ``manifest.json`` (sha256 of both and of the installation that made it). Importing
verifies the checksums and records where the model came from. Exporting a model trained on personal data
requires a recorded lawful basis (a text model keeps names and numbers in its vocabulary).
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .models import ModelVersion

MODEL_CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "version", "service", "intended_use", "training_data", "metrics", "limitations"],
    "properties": {
        "name": {"type": "string"},
        "version": {"type": "string"},
        "service": {"type": "string"},
        "intended_use": {"type": "string"},
        "training_data": {
            "type": "object",
            "required": ["description", "rows"],
            "properties": {
                "description": {"type": "string"},
                "rows": {"type": "integer", "minimum": 0},
                "period": {"type": ["string", "null"]},
                "sha256": {"type": ["string", "null"]},
                "personal_data": {"type": "boolean"},
            },
        },
        "metrics": {"type": "object", "description": "Figures on held-out data, with the split named."},
        "limitations": {"type": "array", "items": {"type": "string"}},
        "training_time_s": {"type": ["number", "null"]},
        "lawful_basis": {"type": ["string", "null"]},
    },
}


def validate_card(card: dict[str, Any]) -> None:
    try:
        jsonschema.validate(card, MODEL_CARD_SCHEMA)
    except jsonschema.ValidationError as exc:
        raise InvalidInput(f"Modellkortet er ufullstendig: {exc.message}") from exc


def register(
    session: Session,
    *,
    tenant_id: int | None,
    card: dict[str, Any],
    artifact: bytes | None,
    artifact_dir: Path | None,
    created_by: str,
    origin: dict[str, Any] | None = None,
) -> ModelVersion:
    """Register a model version (and store its artifact under ``artifact_dir``)."""
    validate_card(card)
    existing = session.scalar(
        select(ModelVersion).where(
            ModelVersion.tenant_id.is_(None) if tenant_id is None else ModelVersion.tenant_id == tenant_id,
            ModelVersion.name == card["name"],
            ModelVersion.version == card["version"],
        )
    )
    if existing is not None:
        raise Conflict(f"Modellen {card['name']} {card['version']} er allerede registrert.")
    sha = hashlib.sha256(artifact).hexdigest() if artifact is not None else None
    path = None
    if artifact is not None and artifact_dir is not None:
        artifact_dir.mkdir(parents=True, exist_ok=True)
        p = artifact_dir / f"{sha}.bin"
        if not p.exists():
            p.write_bytes(artifact)
        path = str(p)
    mv = ModelVersion(
        tenant_id=tenant_id,
        uid=uuid.uuid4().hex,
        service=card["service"],
        name=card["name"],
        version=card["version"],
        card=card,
        artifact_sha256=sha,
        artifact_path=path,
        trained_on_personal_data=bool(card["training_data"].get("personal_data")),
        origin=origin or {},
        created_by=created_by,
    )
    session.add(mv)
    session.flush()
    audit.record(
        session,
        tenant_id,
        "model.registered",
        actor=created_by,
        subject=("model", mv.id),
        service=mv.service,
        name=mv.name,
        version=mv.version,
        artifact_sha256=sha,
    )
    return mv


def list_models(session: Session, tenant_id: int | None) -> list[ModelVersion]:
    stmt = select(ModelVersion).where(
        (ModelVersion.tenant_id == tenant_id) | ModelVersion.tenant_id.is_(None)
    )
    return list(session.scalars(stmt.order_by(ModelVersion.service, ModelVersion.name, ModelVersion.id)))


def get_model(session: Session, tenant_id: int | None, model_id: int) -> ModelVersion:
    mv = session.get(ModelVersion, model_id)
    if mv is None or (mv.tenant_id is not None and mv.tenant_id != tenant_id):
        raise NotFound("Modellen finnes ikke.")
    return mv


def export_package(
    session: Session,
    mv: ModelVersion,
    *,
    tenant_id: int | None,
    actor: str,
    installation_id: str,
    lawful_basis: str | None = None,
) -> bytes:
    """Pack card + artifact + manifest. Refuses a model trained on personal data unless an operator
    records why sharing it is lawful (``lawful_basis``), which is written into the exported card."""
    card = dict(mv.card)
    if mv.trained_on_personal_data:
        if not lawful_basis or len(lawful_basis.strip()) < 10:
            raise Forbidden(
                "Modellen er trent på personopplysninger. Oppgi det rettslige grunnlaget for å "
                "dele den (minst ti tegn) før den kan eksporteres."
            )
        card["lawful_basis"] = lawful_basis.strip()
    artifact = Path(mv.artifact_path).read_bytes() if mv.artifact_path else b""
    if mv.artifact_sha256 and hashlib.sha256(artifact).hexdigest() != mv.artifact_sha256:
        raise Conflict("Modellfilen på disk stemmer ikke med sjekksummen i registeret.")
    card_bytes = json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True).encode()
    manifest = {
        "format": "kommuneki-model/1",
        "uid": mv.uid,
        "name": mv.name,
        "version": mv.version,
        "service": mv.service,
        "card_sha256": hashlib.sha256(card_bytes).hexdigest(),
        "artifact_sha256": hashlib.sha256(artifact).hexdigest(),
        "installation": installation_id,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        z.writestr("card.json", card_bytes)
        z.writestr("artifact.bin", artifact)
    data = buf.getvalue()
    audit.record(
        session,
        tenant_id,
        "model.exported",
        actor=actor,
        subject=("model", mv.id),
        name=mv.name,
        version=mv.version,
        package_sha256=hashlib.sha256(data).hexdigest(),
        lawful_basis_sha256=audit.sha256_text(lawful_basis) if lawful_basis else None,
    )
    return data


def import_package(
    session: Session, data: bytes, *, tenant_id: int | None, artifact_dir: Path, actor: str
) -> ModelVersion:
    """Verify a package's checksums and register it, recording its origin."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            manifest = json.loads(z.read("manifest.json"))
            card_bytes = z.read("card.json")
            artifact = z.read("artifact.bin")
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InvalidInput("Filen er ikke en gyldig kommuneki-modellpakke.") from exc
    if manifest.get("format") != "kommuneki-model/1":
        raise InvalidInput("Ukjent pakkeformat.")
    if hashlib.sha256(card_bytes).hexdigest() != manifest.get("card_sha256") or hashlib.sha256(
        artifact
    ).hexdigest() != manifest.get("artifact_sha256"):
        raise InvalidInput("Sjekksummen stemmer ikke: pakken er endret eller skadet.")
    card = json.loads(card_bytes)
    if card.get("training_data", {}).get("personal_data") and not card.get("lawful_basis"):
        raise InvalidInput(
            "Pakken inneholder en modell trent på personopplysninger uten registrert grunnlag."
        )
    origin = {
        "installation": manifest.get("installation"),
        "uid": manifest.get("uid"),
        "package_sha256": hashlib.sha256(data).hexdigest(),
    }
    mv = register(
        session,
        tenant_id=tenant_id,
        card=card,
        artifact=artifact or None,
        artifact_dir=artifact_dir,
        created_by=actor,
        origin=origin,
    )
    audit.record(
        session,
        tenant_id,
        "model.imported",
        actor=actor,
        subject=("model", mv.id),
        name=mv.name,
        version=mv.version,
        package_sha256=origin["package_sha256"],
        origin_installation=origin["installation"],
    )
    return mv


def model_dict(mv: ModelVersion) -> dict[str, Any]:
    return {
        "id": mv.id,
        "uid": mv.uid,
        "service": mv.service,
        "name": mv.name,
        "version": mv.version,
        "card": mv.card,
        "artifact_sha256": mv.artifact_sha256,
        "origin": mv.origin,
        "trained_on_personal_data": mv.trained_on_personal_data,
        "created_by": mv.created_by,
        "created_at": mv.created_at.isoformat() if mv.created_at else None,
        "tenant_id": mv.tenant_id,
        "active": mv.active,
    }
