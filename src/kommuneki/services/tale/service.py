"""Tale orchestration: store a recording (raw first), transcribe it in a background task, structure the
note, let the recorder approve it, export it, and delete what the rules say when they say it.

Privacy: a recording, its transcript and its note are read only by the person who recorded it and one
named colleague (:func:`may_read`, the item-read rule every generic route applies). Audit entries carry
ids, codes and SHA-256 hashes — never transcript text.
"""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select

from ...core import audit, items, suggestions
from ...core.arrival import Analysis, Arrivals, Incoming
from ...core.db import utcnow
from ...core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ...core.models import Blob, Item, Suggestion, Tenant
from ...core.permissions import Principal, authorize
from ...core.platform import Platform
from ...core.proposal import Proposal
from . import KIND, TRANSCRIBE_TASK
from .engine import note as note_engine
from .engine.audio import MAX_AUDIO_S, AudioError  # MAX_AUDIO_S: longer ones are refused
from .engine.model import ModelMissing, locate
from .engine.transcribe import Transcriber
from .engine.wer import word_error_rate
from .settings import TaleSettings
from .texts import audio_error, error, model_error

SERVICE = "tale"
BASES = {
    "dokumentasjonsplikt": "Dokumentasjonsplikten (helsepersonelloven §§ 39–40, "
    "personvernforordningen art. 9 "
    "nr. 2 bokstav h)",
    "samtykke": "Samtykke fra pasienten (pasientens egen stemme er med i opptaket)",
}
_model_lock = threading.Lock()


# --- who may read ------------------------------------------------------------------------------


def may_read(principal: Principal, item: Item) -> bool:
    """The item-read rule (helsepersonelloven § 21): the recorder and the one named colleague only."""
    if principal.user_id is None:
        return False
    colleague = (item.meta or {}).get("colleague_user_id")
    return principal.user_id in (item.owner_user_id, colleague)


def _own_item(session, principal: Principal, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None or item.service != SERVICE:
        raise NotFound(error(_malform_in(session, principal.tenant_id), "not_found"))
    if not may_read(principal, item):
        raise Forbidden(error(_malform_in(session, principal.tenant_id), "not_yours"))
    return item


def _malform_in(session, tenant_id: int) -> str:
    """The tenant's målform read in an open session (for a message in it)."""
    t = session.get(Tenant, tenant_id)
    return (t.malform if t is not None else None) or "bokmal"


def authorize_use(principal: Principal) -> None:
    """Who may record and review dictations: the roles that may read this service's queue (its reviewer
    roles, ``helsepersonell``; admin always) and create items. What each may *read* is then only their own
    (:func:`may_read`)."""
    authorize(principal, "queue.read", service=SERVICE)
    authorize(principal, "item.create", service=SERVICE)


# --- settings ----------------------------------------------------------------------------------


def get_settings(platform: Platform, tenant_id: int) -> TaleSettings:
    with platform.db.read_session(tenant_id) as session:
        t = session.get(Tenant, tenant_id)
        return TaleSettings.model_validate((t.settings or {}).get(SERVICE) or {})


def malform(platform: Platform, tenant_id: int) -> str:
    """The tenant's målform (``bokmal`` or ``nynorsk``): the tale pages' text follows it."""
    with platform.db.read_session(tenant_id) as session:
        t = session.get(Tenant, tenant_id)
        return (t.malform if t is not None else None) or "bokmal"


def set_settings(
    platform: Platform, tenant_id: int, raw: dict[str, Any], *, actor: str = "system"
) -> TaleSettings:
    """Validate and store the tenant's settings; audited with the names of the fields that changed."""
    s = TaleSettings.model_validate(raw)
    with platform.db.tenant_session(tenant_id) as session:
        t = session.get(Tenant, tenant_id)
        before = TaleSettings.model_validate((t.settings or {}).get(SERVICE) or {}).model_dump()
        t.settings = {**(t.settings or {}), SERVICE: s.model_dump()}
        changed = sorted(k for k, v in s.model_dump().items() if before.get(k) != v)
        audit.record(session, tenant_id, "tale.settings_changed", actor=actor, fields=changed)
    return s


# --- the model ---------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _transcriber(path: str, sha256: str, name: str) -> Transcriber:
    from pathlib import Path

    from .engine.model import ModelInfo

    return Transcriber(ModelInfo(name, Path(path), sha256))


def transcriber(platform: Platform, settings: TaleSettings, tenant_id: int | None = None) -> Transcriber:
    """The loaded model for a tenant (loaded once per process and model; hash checked at every load).
    ``tenant_id``: whose målform a missing model is reported in."""
    from pathlib import Path

    try:
        info = locate(
            Path(settings.model_dir) if settings.model_dir else None,
            platform.settings.data_dir / "tale-models",
        )
    except ModelMissing as exc:
        m = malform(platform, tenant_id) if tenant_id is not None else "bokmal"
        raise InvalidInput(model_error(m, exc.code)) from exc
    with _model_lock:
        return _transcriber(str(info.path), info.sha256, info.name)


# --- recordings --------------------------------------------------------------------------------


def store_recording(
    platform: Platform,
    principal: Principal,
    data: bytes,
    *,
    filename: str | None,
    content_type: str = "application/octet-stream",
    basis: str = "dokumentasjonsplikt",
    source: str = "upload",
) -> int:
    """Store the recording as an item owned by the recorder (raw bytes first); returns its id."""
    authorize_use(principal)
    if principal.user_id is None or basis not in BASES or not data:
        m = malform(platform, principal.tenant_id)
        if principal.user_id is None:
            raise Forbidden(error(m, "login_needed"))
        raise InvalidInput(error(m, "choose_basis" if basis not in BASES else "empty"))
    settings = get_settings(platform, principal.tenant_id)

    def recorded(session, item: Item, _incoming: Incoming) -> None:  # in the arrival's transaction
        item.owner_user_id = principal.user_id
        item.title = "Diktat"
        audit.record(
            session,
            principal.tenant_id,
            "tale.recorded",
            actor=principal.actor,
            subject=("item", item.id),
            item_id=item.id,
            recording=item.id,
            basis=basis,
            consent=basis == "samtykke",
            language=settings.language,
            template=settings.template,
        )

    return recordings(platform, principal.tenant_id, actor=principal.actor, on_stored=recorded).store(
        Incoming(
            data,
            filename=filename or "opptak",
            source=source,
            content_type=content_type or "application/octet-stream",
            meta={"basis": basis, "language": settings.language, "template": settings.template},
        )
    )


class UnreadableAudio(InvalidInput):
    """A recording the transcriber cannot read: the message in the tenant's målform, and the audio
    reader's own stable code (``unreadable``, ``too_long``) kept on the failed item."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def recordings(
    platform: Platform,
    tenant_id: int,
    *,
    actor: str = "system",
    on_stored=None,
    model: Transcriber | None = None,
    settings: TaleSettings | None = None,
    report=None,
) -> Arrivals:
    """Tale's arrival pipeline (``core/arrival.py``): a recording is stored as an ``audio`` item; with the
    loaded ``model`` it is transcribed before the processing transaction (``extract_first``: minutes of
    audio hold no lock), then the note is structured and its suggestion recorded, or the item marked
    ``failed`` with the reader's code. ``actor`` is who the failure is audited as; ``report`` hears the
    progress (the task's)."""
    m = malform(platform, tenant_id) if model is not None else "bokmal"

    def say(fraction: float, message: str) -> None:
        if report is not None:
            report(fraction, message)

    def transcribe(data: bytes, item: Item):
        def progress(done: float, total: float) -> None:
            if total > MAX_AUDIO_S:
                raise AudioError(error(m, "too_long"), "too_long")
            if total:
                minutes = int(done // 60)
                say(
                    0.05 + 0.9 * min(done / total, 1.0),
                    error(m, "progress_minutes", done=minutes, total=int(total // 60) + 1),
                )

        say(0.05, error(m, "progress_transcribing"))
        try:
            return model.transcribe(
                io.BytesIO(data),
                language=(item.meta or {}).get("language", settings.language),
                vocabulary=settings.vocabulary,
                progress=progress,
            )
        except AudioError as exc:
            raise UnreadableAudio(audio_error(m, exc.message), exc.code) from exc

    def structure(session, item: Item, transcript) -> Analysis:
        say(0.96, error(m, "progress_note"))
        template = (item.meta or {}).get("template", settings.template)
        note = note_engine.structure(transcript.text, template, settings.vocabulary)
        flagged = [s for s in transcript.segments if s.flags]
        low_words = [w for w in transcript.words if w.probability < settings.low_word_probability]
        item.text = transcript.text
        item.meta = {
            **item.meta,
            "transcript": transcript.as_dict(),
            "note": note,
            "decoding": transcript.settings,
            "transcribed_at": utcnow().isoformat(),
        }
        audit.record(
            session,
            tenant_id,
            "tale.transcribed",
            actor="system",
            subject=("item", item.id),
            item_id=item.id,
            recording=item.id,
            model=transcript.model.name,
            model_sha256=transcript.model.sha256,
            transcript_sha256=audit.sha256_text(transcript.text),
            segments=len(transcript.segments),
            flagged=len(flagged),
            duration_s=transcript.duration,
        )
        proposal = Proposal(
            kind=KIND,
            value={
                "template": template,
                "sections": [{"name": s["name"], "text": s["text"]} for s in note["sections"]],
                "fields": note["fields"],
            },
            confidence=_confidence(transcript),
            explanation={
                "summary": error(m, "summary")
                + (error(m, "summary_words", n=len(low_words)) if low_words else "")
                + (error(m, "summary_segments", n=len(flagged)) if flagged else ""),
                "evidence": [
                    {"type": "segment", "start": s.start, "end": s.end, "flags": s.flags} for s in flagged
                ],
                "model": transcript.model.as_dict(),
                "low_confidence_words": len(low_words),
                "flagged_segments": len(flagged),
            },
            model_name=transcript.model.name,
            model_version=transcript.model.sha256[:12],
            input_hash=item.sha256,
        )
        return Analysis([proposal])

    def failed(session, item: Item, exc) -> None:
        audit.record(
            session,
            tenant_id,
            "tale.transcription_failed",
            actor=actor,
            subject=("item", item.id),
            item_id=item.id,
            recording=item.id,
            code=exc.code,
        )

    return Arrivals(
        platform,
        tenant_id,
        service=SERVICE,
        kind="audio",
        extract=transcribe if model is not None else None,
        analyse=structure if model is not None else None,
        done_state="transcribed",
        actor="system" if model is not None else actor,
        on_stored=on_stored,
        on_failed=failed,
        extract_first=True,
    )


def start_transcription(platform: Platform, principal: Principal, item_id: int) -> int:
    """Submit the transcription as a background task (``core.tasks.submit``); the job's id."""
    from ...core import tasks

    with platform.db.read_session(principal.tenant_id) as session:
        _own_item(session, principal, item_id)
    return tasks.submit(
        platform,
        principal.tenant_id,
        TRANSCRIBE_TASK,
        {"item_id": item_id, "actor": principal.actor},
        actor=principal.actor,
        result_url=f"/tale/opptak/{item_id}",
        failure_url="/tale",
    )


def transcribe_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The background task: transcribe the stored recording, structure the note, record the suggestion."""
    item_id, actor = int(payload["item_id"]), str(payload.get("actor") or "system")
    settings = get_settings(platform, tenant_id)
    m = malform(platform, tenant_id)
    report(0.02, error(m, "progress_loading"))
    model = transcriber(platform, settings, tenant_id)  # a missing model fails the job, not the recording
    pipeline = recordings(platform, tenant_id, actor=actor, model=model, settings=settings, report=report)
    outcome = pipeline.process(item_id)
    if outcome.item_id is None:
        raise NotFound(error(m, "not_found"))
    outcome.raise_if_failed()  # the job fails with the reader's message in the tenant's målform
    with platform.db.read_session(tenant_id) as session:  # this run's suggestion, or an earlier run's
        suggestion_id = session.scalar(
            select(Suggestion.id).where(Suggestion.item_id == item_id).order_by(Suggestion.id.desc()).limit(1)
        )
    return {
        "message": error(m, "done"),
        "item_id": item_id,
        "suggestion_id": suggestion_id,
    }


def _confidence(transcript) -> float:
    words = transcript.words
    if not words:
        return 0.0
    return round(sum(w.probability for w in words) / len(words), 4)


# --- reading -----------------------------------------------------------------------------------


def my_recordings(platform: Platform, principal: Principal) -> list[dict[str, Any]]:
    """The recordings this person may read (their own and those they are the named colleague of)."""
    if principal.user_id is None:
        return []
    with platform.db.read_session(principal.tenant_id) as session:
        rows = session.scalars(
            select(Item)
            .where(
                Item.service == SERVICE,
                or_(
                    Item.owner_user_id == principal.user_id,
                    Item.meta["colleague_user_id"].as_integer() == principal.user_id,
                ),
            )
            .order_by(Item.id.desc())
            .limit(200)
        ).all()
        return [
            {
                "id": i.id,
                "state": i.state,
                "received_at": i.received_at,
                "filename": i.filename,
                "own": i.owner_user_id == principal.user_id,
                "removed": i.content_removed_at is not None,
                "error": (i.meta or {}).get("error"),
            }
            for i in rows
            if may_read(principal, i)
        ]


def _pending(session, item_id: int) -> Suggestion | None:
    return session.scalar(
        select(Suggestion)
        .where(Suggestion.item_id == item_id, Suggestion.kind == KIND)
        .order_by(Suggestion.id.desc())
        .limit(1)
    )


def recording(platform: Platform, principal: Principal, item_id: int) -> dict[str, Any]:
    """Everything the review page shows, for the recorder or the named colleague only."""
    settings = get_settings(platform, principal.tenant_id)
    with platform.db.read_session(principal.tenant_id) as session:
        item = _own_item(session, principal, item_id)
        s = _pending(session, item_id)
        meta = item.meta or {}
        approved = meta.get("approved")
        if approved:
            to_check = identifiers_to_check(note_text(approved["sections"]))
        elif s is not None and s.status == "pending":
            to_check = identifiers_to_check(note_text(s.value.get("sections", [])))
        else:
            to_check = []
        return {
            "to_check": to_check,
            "id": item.id,
            "state": item.state,
            "received_at": item.received_at,
            "own": item.owner_user_id == principal.user_id,
            "removed": item.content_removed_at is not None,
            "audio": not meta.get("audio_deleted") and item.content_removed_at is None,
            "transcript": meta.get("transcript"),
            "note": meta.get("note"),
            "approved": meta.get("approved"),
            "error": meta.get("error"),
            "basis": BASES.get(meta.get("basis", ""), ""),
            "basis_key": meta.get("basis", ""),
            "suggestion": suggestions.suggestion_dict(s) if s else None,
            "low_word_probability": settings.low_word_probability,
            "exported_at": meta.get("exported_at"),
        }


PII_LABELS = {
    "FODSELSNUMMER": "fødselsnummer",
    "D_NUMMER": "D-nummer",
    "H_NUMMER": "H-nummer",
    "TELEFON": "telefonnummer",
    "EPOST": "e-postadresse",
    "ADRESSE": "adresse",
    "KONTONR": "kontonummer",
    "PERSON": "navn",
    "FODSELSDATO": "fødselsdato",
    "MULIG_ID": "mulig identifikator",
}


def identifiers_to_check(text: str) -> list[dict[str, Any]]:
    """What skjerming's detectors (``text.pii``) find in a note before export: names, fødselsnummer,
    phone numbers, addresses — a third party's must not go into the patient's journal unchecked.
    Shown to the recorder only; never logged."""
    from ...text.pii import detect

    if not text.strip():
        return []
    found = detect(text, names=True, categories=False)
    return [{"type": PII_LABELS.get(f.type, f.type.lower()), "text": text[f.start : f.end]} for f in found]


def audio(platform: Platform, principal: Principal, item_id: int) -> tuple[bytes, str]:
    with platform.db.read_session(principal.tenant_id) as session:
        item = _own_item(session, principal, item_id)
        if (item.meta or {}).get("audio_deleted") or item.content_removed_at is not None:
            raise NotFound(error(_malform_in(session, principal.tenant_id), "audio_deleted"))
        blob = session.get(Blob, item.blob_id)
        return items.read_content(session, platform.blobs, item), blob.content_type if blob else "audio/*"


# --- approval, export, deletion -----------------------------------------------------------------


def note_text(sections: list[dict[str, Any]]) -> str:
    return "\n\n".join(f"{s['name']}:\n{s['text']}" for s in sections if s.get("text", "").strip())


def approve(platform: Platform, principal: Principal, item_id: int, texts: dict[str, str]) -> dict[str, Any]:
    """The recorder approves the note as corrected. The word error rate between draft and approved note
    is recorded (per model), the audio is deleted. Only the recorder approves (not the colleague)."""
    with platform.db.tenant_session(principal.tenant_id) as session:
        item = _own_item(session, principal, item_id)
        if item.owner_user_id != principal.user_id:
            raise Forbidden(error(_malform_in(session, principal.tenant_id), "approve_own"))
        s = _pending(session, item_id)
        if s is None or s.status != "pending":
            raise Conflict(error(_malform_in(session, principal.tenant_id), "not_pending"))
        draft = s.value["sections"]
        final = [
            {"name": d["name"], "text": (texts.get(d["name"], d["text"]) or "").replace("\r\n", "\n").strip()}
            for d in draft
        ]
        if not any(f["text"] for f in final):
            raise InvalidInput(error(_malform_in(session, principal.tenant_id), "empty_note"))
        draft_text, final_text = note_text(draft), note_text(final)
        wer = word_error_rate(draft_text, final_text)
        changed = draft_text != final_text
        suggestions.decide(
            session,
            platform.registry,
            principal,
            s.id,
            outcome="changed" if changed else "accepted",
            final_value={**s.value, "sections": final} if changed else None,
            reason="Rettet av den som tok opp" if changed else "",
        )
        item.state = "approved"
        item.meta = {
            **item.meta,
            "approved": {"sections": final, "at": utcnow().isoformat(), "wer": wer, "model": s.model_name},
        }
        audit.record(
            session,
            principal.tenant_id,
            "tale.approved",
            actor=principal.actor,
            subject=("item", item_id),
            item_id=item_id,
            recording=item_id,
            suggestion=s.id,
            model=s.model_name,
            wer=wer,
            note_sha256=audit.sha256_text(final_text),
        )
        _delete_audio(session, platform, item, reason="approved", actor=principal.actor)
        return {"wer": wer, "changed": changed}


def _delete_audio(session, platform: Platform, item: Item, *, reason: str, actor: str) -> None:
    if (item.meta or {}).get("audio_deleted") or item.blob_id is None:
        return
    blob = session.get(Blob, item.blob_id)
    others = session.scalars(
        select(Item).where(
            Item.blob_id == item.blob_id, Item.id != item.id, Item.content_removed_at.is_(None)
        )
    ).all()
    if not any(not (o.meta or {}).get("audio_deleted") for o in others):
        platform.blobs.delete(item.tenant_id, blob.sha256)
        blob.removed_at = utcnow()
    item.meta = {**item.meta, "audio_deleted": utcnow().isoformat()}
    audit.record(
        session,
        item.tenant_id,
        "tale.deleted",
        actor=actor,
        subject=("item", item.id),
        item_id=item.id,
        recording=item.id,
        what="audio",
        reason=reason,
        sha256=item.sha256,
    )


def export(platform: Platform, principal: Principal, item_id: int, fmt: str) -> tuple[str, str, str]:
    """The approved note as plain text (one block per section), JSON or a FHIR R4 DocumentReference:
    (body, media type, file name). Starts the after-export deletion clock."""
    from .engine.export import as_fhir, as_json, as_text

    if fmt not in ("txt", "json", "fhir"):
        raise InvalidInput(error(malform(platform, principal.tenant_id), "unknown_format"))
    with platform.db.tenant_session(principal.tenant_id) as session:
        item = _own_item(session, principal, item_id)
        approved = (item.meta or {}).get("approved")
        if not approved:
            raise Conflict(error(_malform_in(session, principal.tenant_id), "approve_first"))
        sections = approved["sections"]
        body, media, name = {
            "txt": lambda: (as_text(sections), "text/plain; charset=utf-8", f"notat-{item_id}.txt"),
            "json": lambda: (
                as_json(item_id, item.meta, sections),
                "application/json",
                f"notat-{item_id}.json",
            ),
            "fhir": lambda: (
                as_fhir(item_id, item.meta, sections),
                "application/fhir+json",
                f"notat-{item_id}-fhir.json",
            ),
        }[fmt]()
        if not item.meta.get("exported_at"):
            item.meta = {**item.meta, "exported_at": utcnow().isoformat()}
        audit.record(
            session,
            principal.tenant_id,
            "tale.exported",
            actor=principal.actor,
            subject=("item", item_id),
            item_id=item_id,
            recording=item_id,
            format=fmt,
            note_sha256=audit.sha256_text(note_text(sections)),
        )
        return body, media, name


def set_colleague(
    platform: Platform, principal: Principal, item_id: int, colleague_user_id: int | None
) -> None:
    with platform.db.tenant_session(principal.tenant_id) as session:
        item = _own_item(session, principal, item_id)
        if item.owner_user_id != principal.user_id:
            raise Forbidden(error(_malform_in(session, principal.tenant_id), "colleague_own"))
        item.meta = {**item.meta, "colleague_user_id": colleague_user_id}
        audit.record(
            session,
            principal.tenant_id,
            "tale.colleague_set",
            actor=principal.actor,
            subject=("item", item_id),
            item_id=item_id,
            recording=item_id,
            colleague=colleague_user_id,
        )


def set_colleague_by_username(platform: Platform, principal: Principal, item_id: int, username: str) -> None:
    """Name the one colleague who may read this recording: a user of this tenant who may use the service
    (its reviewer role). An empty name removes the colleague."""
    from ...core.models import Membership, User

    username = (username or "").strip().lower()
    if not username:
        set_colleague(platform, principal, item_id, None)
        return
    with platform.db.read_session(principal.tenant_id) as session:
        rows = session.execute(
            select(User.id, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(User.username == username)
        ).all()
    allowed = platform.policy.allowed_roles("queue.read", SERVICE)
    ids = {uid for uid, role in rows if role in allowed}
    if not ids:
        raise InvalidInput(error(malform(platform, principal.tenant_id), "no_colleague"))
    colleague = ids.pop()
    if colleague == principal.user_id:
        raise InvalidInput(error(malform(platform, principal.tenant_id), "self_colleague"))
    set_colleague(platform, principal, item_id, colleague)


def apply_retention(platform: Platform, tenant_id: int, now=None) -> dict[str, int]:
    """Delete per the tenant's rules: transcript and note ``delete_after_export_days`` after export,
    everything after ``retention_days``. Every deletion is audited with hashes only."""
    settings = get_settings(platform, tenant_id)
    now = now or utcnow()
    counts = {"after_export": 0, "retention": 0}
    with platform.db.tenant_session(tenant_id) as session:
        rows = session.scalars(
            select(Item).where(Item.service == SERVICE, Item.content_removed_at.is_(None))
        ).all()
        for item in rows:
            exported = (item.meta or {}).get("exported_at")
            received = item.received_at
            if received.tzinfo is None and now.tzinfo is not None:
                received = received.replace(tzinfo=now.tzinfo)
            old = now - received >= timedelta(days=settings.retention_days)
            after_export = False
            if exported:
                from datetime import datetime

                at = datetime.fromisoformat(exported)
                if at.tzinfo is None and now.tzinfo is not None:
                    at = at.replace(tzinfo=now.tzinfo)
                after_export = now - at >= timedelta(days=settings.delete_after_export_days)
            if old or after_export:
                sha = item.sha256
                _delete_audio(session, platform, item, reason="retention", actor="system")
                items.remove_content(session, platform.blobs, item, reason="retention", actor="system")
                audit.record(
                    session,
                    tenant_id,
                    "tale.deleted",
                    actor="system",
                    subject=("item", item.id),
                    item_id=item.id,
                    recording=item.id,
                    what="all",
                    reason="after_export" if after_export and not old else "retention",
                    sha256=sha,
                )
                counts["retention" if old else "after_export"] += 1
    return counts


def retention_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    report(0.1, "Sletter etter reglene")
    counts = apply_retention(platform, tenant_id)
    return {"message": f"Slettet {counts['after_export'] + counts['retention']} opptak.", **counts}


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def metrics(session, tenant_id: int) -> list[dict[str, Any]]:
    """Monitoring for the KI-register: per model, how much people corrected the drafts (the mean word
    error rate between draft and approved note, from the audit log — it outlives the notes)."""
    from ...core.models import AuditEntry

    rows = session.scalars(
        select(AuditEntry).where(
            AuditEntry.chain == audit.chain_for(tenant_id), AuditEntry.event == "tale.approved"
        )
    ).all()
    per_model: dict[str, list[float]] = {}
    for entry in rows:
        data = json.loads(entry.data)
        per_model.setdefault(str(data.get("model")), []).append(float(data.get("wer") or 0.0))
    return [
        {
            "name": "Retting av utkast (ordfeilrate utkast → godkjent notat)",
            "model": model,
            "value": round(sum(values) / len(values), 4),
            "count": len(values),
        }
        for model, values in sorted(per_model.items())
    ]
