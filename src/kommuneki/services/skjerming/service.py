"""Skjerming orchestration: store the document, extract its text, detect, propose, record suggestions;
record a person's choice of findings; produce the redacted file.

Transactions: the arrival (raw bytes + item row + audit entry) commits first, on its own, so a file that
cannot be read is still kept, marked ``failed`` with the reason, and nothing that arrived is lost. The
screening (text, findings, suggestions) commits in a second transaction as one unit. A decision on both
verdicts commits together with its audit entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from kommuneki.text.pii import detect

from ...core import audit, items, suggestions, tasks
from ...core.arrival import Analysis, Arrivals, Incoming
from ...core.errors import Conflict, DomainError, InvalidInput, NotFound
from ...core.models import AuditEntry, Item, Suggestion, SuggestionStatus
from ...core.permissions import Principal, authorize
from ...core.platform import Platform
from ...ingest import Extracted, extract
from . import engine
from .redact import Redacted, redact

SERVICE = engine.SERVICE
SCOPES = {"innsyn": engine.KIND_INNSYN, "internett": engine.KIND_INTERNETT}


def analyse_text(text: str, *, names: bool = True) -> engine.Assessment:
    """Detection + proposal for a text (no database)."""
    return engine.assess(text, detect(text, names=names))


def arrivals(platform: Platform, tenant_id: int, *, actor: str, title: str | None = None) -> Arrivals:
    """The platform's arrival pipeline with skjerming's extraction (the upload and DOCX limits of the
    installation) and screening. ``title``: a journal title to propose a public title for."""

    def read(data: bytes, item: Item) -> Extracted:
        return extract(
            data,
            item.filename,
            max_bytes=platform.settings.max_upload_bytes,
            docx_max_unpacked=platform.settings.docx_max_unpacked_bytes,
        )

    def screen(session, item: Item, extracted: Extracted) -> Analysis:
        text = extracted.text
        assessment = analyse_text(text)
        item.text, item.title = text, title or item.title or item.filename
        item.meta = {
            **item.meta,
            **{k: v for k, v in extracted.meta.items() if k != "title"},
            "skjerming": {
                "decision": assessment.decision,
                "internet": assessment.internet,
                "findings": len(assessment.findings),
            },
        }
        proposals = list(engine.proposals(text, assessment))
        if title:
            proposals.append(engine.propose_title(title, detect(title)))
        return Analysis(
            proposals, engine.scan_record(item.filename or f"element {item.id}", text, assessment)
        )

    return Arrivals(
        platform,
        tenant_id,
        service=SERVICE,
        kind="document",
        extract=read,
        analyse=screen,
        done_state="screened",
        actor=actor,
    )


def screen_document(
    platform: Platform,
    tenant_id: int,
    data: bytes,
    *,
    filename: str | None,
    actor: str,
    source: str = "upload",
    title: str | None = None,
    dedupe_content: bool = False,
) -> dict[str, Any]:
    """Store, screen and propose. Returns the item id, both verdicts, the findings and the suggestions.
    Raises the extraction error after recording it on the stored item.

    With ``dedupe_content`` (CLI batches, which may be run again after a kill -9), bytes this tenant's
    skjerming already holds are not stored again: an item left ``received`` is screened now; one
    already screened is reported as it stands (``already_taken_in``), with nothing recorded twice."""
    outcome = arrivals(platform, tenant_id, actor=actor, title=title).take_in(
        Incoming(data, filename=filename, source=source), dedupe_content=dedupe_content
    )
    outcome.raise_if_failed()
    if not outcome.processed:  # screened before: reported as it stands, nothing recorded
        with platform.db.read_session(tenant_id) as session:
            text = session.get(Item, outcome.item_id).text or ""
        return {
            "item_id": outcome.item_id,
            **engine.scan_record(filename or f"element {outcome.item_id}", text, analyse_text(text)),
            "suggestions": {},
            "already_taken_in": True,
        }
    return {
        "item_id": outcome.item_id,
        **outcome.result,
        "suggestions": {s["kind"]: s for s in outcome.suggestions},
    }


def screen_pending(platform: Platform, tenant_id: int, *, actor: str) -> int:
    """Screen every document left ``received`` (a run killed between storing and screening); one that
    cannot be read is recorded on its item as failed."""
    return len(arrivals(platform, tenant_id, actor=actor).process_pending())


BATCH_TASK = "skjerming.screen_batch"
BATCH_CHUNK = 10  # documents per queue task: a worker's death costs at most this many screenings


def store_document(
    platform: Platform,
    tenant_id: int,
    data: bytes,
    *,
    filename: str | None,
    actor: str,
    source: str = "batch",
) -> int:
    """Store a document of a batch (raw bytes, item ``received``, audit entry; committed) without screening
    it: a worker screens it (:func:`screen_batch_task`). Returns the item id."""
    return arrivals(platform, tenant_id, actor=actor).store(Incoming(data, filename=filename, source=source))


def submit_batch(platform: Platform, tenant_id: int, item_ids: list[int], *, actor: str) -> int:
    """Screen stored documents on the workers, :data:`BATCH_CHUNK` per queue task; the batch job's id."""
    return tasks.submit_chunks(
        platform,
        tenant_id,
        BATCH_TASK,
        tasks.chunked(item_ids, size=BATCH_CHUNK, actor=actor),
        actor=actor,
        result_url="/skjerming",
        failure_url="/skjerming",
    )


def screen_batch_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """One chunk of a screening batch (``core.tasks.submit_chunks``): screen each of its stored items that
    is still ``received``, one transaction per item, so a chunk run again after its worker died only does
    what is left — no document gets its suggestions twice. A document that cannot be read is marked
    ``failed`` with the reason and the chunk goes on."""
    item_ids = [int(i) for i in payload.get("item_ids", [])]
    pipeline = arrivals(platform, tenant_id, actor=str(payload.get("actor") or "system"))
    screened = failed = skipped = found = 0
    for n, item_id in enumerate(item_ids, start=1):
        try:
            outcome = pipeline.process(item_id)
        except DomainError:  # its content is gone: this one is not screened, the rest are
            failed += 1
        else:
            if not outcome.processed:
                skipped += 1  # screened (or failed) by an earlier run, or not skjerming's
            elif outcome.failed:
                failed += 1  # recorded on the item
            else:
                screened += 1
                found += len(outcome.result.get("findings") or [])
        report(n / len(item_ids), f"Dokument {n} av {len(item_ids)}")
    return {"screened": screened, "failed": failed, "skipped": skipped, "findings": found}


def merge_batch(platform: Platform, tenant_id: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    """A screening batch's result, from its chunks'."""
    total = {
        k: sum(int((r or {}).get(k) or 0) for r in results)
        for k in ("screened", "failed", "skipped", "findings")
    }
    return {
        **total,
        "chunks": len(results),
        "message": (
            f"{total['screened']} dokumenter gjennomgått ({total['findings']} funn), "
            f"{total['failed']} kunne ikke leses, {total['skipped']} var gjort fra før."
        ),
    }


@dataclass
class DocumentView:
    """What the review page shows: the item, its findings, and the two suggestions."""

    item: dict[str, Any]
    findings: list[dict[str, Any]]
    innsyn: dict[str, Any] | None
    internett: dict[str, Any] | None
    tittel: dict[str, Any] | None
    #: per scope, the last redacted file handed out (only ever after its verification): when, how many
    verified: dict[str, dict[str, Any]] = field(default_factory=dict)


def _latest(session, item_id: int, kind: str) -> Suggestion | None:
    return session.scalar(
        select(Suggestion)
        .where(
            Suggestion.item_id == item_id,
            Suggestion.service == SERVICE,
            Suggestion.kind == kind,
            Suggestion.status != SuggestionStatus.SUPERSEDED.value,
        )
        .order_by(Suggestion.id.desc())
        .limit(1)
    )


def _item(session, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if (
        item is None
        or item.service != SERVICE
        or item.tenant_id != session.info.get("tenant_id", item.tenant_id)
    ):
        raise NotFound("Dokumentet finnes ikke.")
    return item


def document_view(platform: Platform, principal: Principal, item_id: int) -> DocumentView:
    authorize(principal, "item.read", service=SERVICE, policy=platform.policy)
    with platform.db.read_session(principal.tenant_id) as session:
        item = _item(session, item_id)
        out = {}
        for key, kind in (
            ("innsyn", engine.KIND_INNSYN),
            ("internett", engine.KIND_INTERNETT),
            ("tittel", engine.KIND_TITTEL),
        ):
            s = _latest(session, item.id, kind)
            out[key] = suggestions.suggestion_dict(s) if s else None
        findings = (out["innsyn"] or {}).get("explanation", {}).get("evidence", [])
        info = {
            "id": item.id,
            "filename": item.filename,
            "title": item.title,
            "text": item.text,
            "state": item.state,
            "meta": item.meta,
            "received_at": item.received_at,
            "removed": item.content_removed_reason,
        }
        verified = _verified(session, principal.tenant_id, item.id)
    return DocumentView(info, findings, out["innsyn"], out["internett"], out["tittel"], verified)


def _verified(session, tenant_id: int, item_id: int) -> dict[str, dict[str, Any]]:
    """The latest verified redaction per scope, from the audit log (read only)."""
    import json

    rows = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.chain == audit.chain_for(tenant_id),
            AuditEntry.item_id == item_id,
            AuditEntry.event == "skjerming.redacted",
        )
        .order_by(AuditEntry.seq.desc())
        .limit(50)
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        data = json.loads(row.data)
        if data.get("verified") and data.get("scope") not in out:
            out[data["scope"]] = {"at": row.at, "withheld": data.get("withheld", 0)}
    return out


def list_documents(platform: Platform, principal: Principal, limit: int = 50) -> list[dict[str, Any]]:
    authorize(principal, "item.read", service=SERVICE, policy=platform.policy)
    with platform.db.read_session(principal.tenant_id) as session:
        rows = session.scalars(
            select(Item).where(Item.service == SERVICE).order_by(Item.id.desc()).limit(limit)
        )
        return [
            {
                "id": i.id,
                "filename": i.filename,
                "title": i.title,
                "state": i.state,
                "received_at": i.received_at,
                "skjerming": (i.meta or {}).get("skjerming"),
                "error": (i.meta or {}).get("error"),
            }
            for i in rows
        ]


def _final(
    findings: list[dict[str, Any]], chosen: set[int], scope: str, verdict_if_any: str
) -> dict[str, Any]:
    key = "hjemmel_id" if scope == "innsyn" else "internet_hjemmel_id"
    withheld = [
        {"start": f["start"], "end": f["end"], "type": f["type"], "hjemmel": f.get(key)}
        for f in findings
        if f["index"] in chosen
    ]
    return {"decision": verdict_if_any if withheld else "publish", "withheld": withheld}


def decide_findings(
    platform: Platform,
    principal: Principal,
    item_id: int,
    *,
    innsyn: set[int],
    internett: set[int],
    reason: str = "",
    whole_document: bool | None = None,
) -> dict[str, Any]:
    """Settle the pending verdicts (innsyn and internett) from the findings a person chose to withhold (by
    finding index). The chosen set is the final value: accepted where it equals the proposal, else
    changed (a reason is then required). A verdict already settled elsewhere (the generic suggestion
    page) is left as it is. The decisions and their audit entries commit together."""
    with platform.db.tenant_session(principal.tenant_id) as session:
        item = _item(session, item_id)
        result = {}
        latest = {scope: _latest(session, item.id, kind) for scope, kind in SCOPES.items()}
        pending = {
            scope: s
            for scope, s in latest.items()
            if s is not None and s.status == SuggestionStatus.PENDING.value
        }
        if not pending:
            raise Conflict("Dokumentet har ingen ventende forslag å avgjøre (allerede avgjort?).")
        source = latest["innsyn"] or latest["internett"]
        findings = source.explanation.get("evidence", [])
        if whole_document is None:  # as proposed
            whole_document = bool(latest["innsyn"]) and latest["innsyn"].value.get("decision") == "withhold"
        valid = {f["index"] for f in findings}
        if not (innsyn | internett) <= valid:
            raise InvalidInput("Ukjent funn i avgjørelsen.")
        if "innsyn" in pending:
            internett = internett | innsyn  # what is withheld from innsyn never goes on the internet
        for scope, chosen in (("innsyn", innsyn), ("internett", internett)):
            s = pending.get(scope)
            if s is None:
                continue
            proposed = s.value
            final = _final(findings, chosen, scope, "withhold" if whole_document else "partial")
            if scope == "innsyn":
                final["whole_document_hjemmel"] = "offl12_c" if whole_document and final["withheld"] else None
            same = _spans(final) == _spans(proposed) and final["decision"] == proposed.get("decision")
            d = suggestions.decide(
                session,
                platform.registry,
                principal,
                s.id,
                outcome="accepted" if same else "changed",
                final_value=None if same else final,
                reason=reason,
            )
            result[scope] = {
                "suggestion_id": s.id,
                "outcome": d.outcome,
                "withheld": len(final["withheld"]),
                "decision": final["decision"],
            }
        if len(result) == len(pending) and all(
            s is None or s.status != SuggestionStatus.PENDING.value for s in latest.values()
        ):
            item.state = "decided"
        return result


def _spans(value: dict[str, Any]) -> set[tuple[int, int]]:
    return {(w["start"], w["end"]) for w in value.get("withheld", [])}


def redacted_file(
    platform: Platform, principal: Principal, item_id: int, scope: str = "innsyn", *, text_layer: bool = True
) -> Redacted:
    """The redacted version of a stored document: the decided set of findings if decided, else the
    proposal. Recorded in the audit log by hash."""
    if scope not in SCOPES:
        raise InvalidInput("Velg innsyn eller internett.")
    authorize(principal, "item.read", service=SERVICE, policy=platform.policy)
    return _redact(platform, principal.tenant_id, principal.actor, item_id, scope, text_layer=text_layer)


def _redact(
    platform: Platform, tenant_id: int, actor: str, item_id: int, scope: str, *, text_layer: bool = True
) -> Redacted:
    """The work of :func:`redacted_file`, for a caller already authorized (the request, or the task
    :func:`redact_task` that a request submitted): redaction, its independent verification (inside
    ``redact``: a file that still holds a withheld value is never produced) and the audit entry."""
    # read, then redact outside any transaction (a large PDF takes long: no write lock held meanwhile),
    # then record the audit entry in a short one
    with platform.db.read_session(tenant_id) as session:
        item = _item(session, item_id)
        if item.text is None:
            raise InvalidInput("Dokumentet kunne ikke leses, så det finnes ingen skjermet versjon.")
        s = _latest(session, item.id, SCOPES[scope])
        if s is None:
            raise NotFound("Dokumentet har ingen skjermingsforslag.")
        value = s.value
        decided = s.decision is not None and s.decision.final_value is not None
        if decided:
            value = s.decision.final_value
        data = items.read_content(session, platform.blobs, item)
        filename, text, suggestion_id = item.filename, item.text, s.id
    spans = sorted(_spans(value))
    result = redact(
        data,
        filename,
        text,
        spans,
        text_layer=text_layer,
        max_unpacked=platform.settings.docx_max_unpacked_bytes,
    )
    with platform.db.tenant_session(tenant_id) as session:
        audit.record(
            session,
            tenant_id,
            "skjerming.redacted",
            actor=actor,
            subject=("item", item_id),
            item_id=item_id,
            scope=scope,
            suggestion_id=suggestion_id,
            decided=decided,
            withheld=len(spans),
            output_sha256=result.sha256(),
            verified=bool(result.report.get("verified")),
        )
    result.report = {**result.report, "decided": decided, "withheld": len(spans)}
    return result


# --- a large document's redaction on the workers (core.tasks) --------------------------------------------

REDACT_TASK = "skjerming.redact"
REDACT_TITLE = "Skjermet versjon av et stort dokument"
#: A document is redacted on a worker (a job, the file downloaded from the finished job) when it is larger
#: than :data:`BACKGROUND_BYTES` or is a PDF of more than :data:`BACKGROUND_PAGES` pages; else in the
#: request. The cost is per page for a PDF (every page is rebuilt, then read back for the verification:
#: 0.5 s a page image only, 5.9 s with the Tesseract text layer, bench/skjerming_redact.py on the loaded
#: development machine), and tiny for text and Word (0.3 and 43 ms a page). So a short document is done
#: in about a second — a job's round trip (queue, progress page, a second request) would only make the
#: user wait longer — while a long PDF takes minutes, past what a proxy waits, holding one of the web
#: process's few threads all the while.
BACKGROUND_BYTES = 2 * 1024 * 1024
BACKGROUND_PAGES = 2


def redacts_in_background(platform: Platform, principal: Principal, item_id: int) -> bool:
    """Whether this document's redacted file is made by a worker (see :data:`BACKGROUND_BYTES`)."""
    authorize(principal, "item.read", service=SERVICE, policy=platform.policy)
    with platform.db.read_session(principal.tenant_id) as session:
        item = _item(session, item_id)
        size = int(item.blob.size or 0) if item.blob is not None else 0
        pages = int((item.meta or {}).get("pages") or 0)
    return size > BACKGROUND_BYTES or pages > BACKGROUND_PAGES


def submit_redaction(platform: Platform, principal: Principal, item_id: int, scope: str) -> int:
    """Make the redacted file on a worker; the job's id. Its result page is the download
    (:func:`redaction_of_job`). Authorized here, as the request would be."""
    if scope not in SCOPES:
        raise InvalidInput("Velg innsyn eller internett.")
    authorize(principal, "item.read", service=SERVICE, policy=platform.policy)
    with platform.db.read_session(principal.tenant_id) as session:
        item = _item(session, item_id)
        if item.text is None:
            raise InvalidInput("Dokumentet kunne ikke leses, så det finnes ingen skjermet versjon.")
    return tasks.submit(
        platform,
        principal.tenant_id,
        REDACT_TASK,
        {"item_id": item_id, "scope": scope, "actor": principal.actor},
        actor=principal.actor,
        result_url=f"/skjerming/{item_id}/skjermet/ferdig?til={scope}",
        failure_url=f"/skjerming/{item_id}",
    )


def redact_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The task ``skjerming.redact``: make and verify the redacted file (as the request would) and keep
    it in the tenant's blob store by its hash, for the download from the finished job. Run again after a
    worker died, it makes the same file again (same bytes, same hash): nothing is doubled but the audit
    entry of each run that made one."""
    item_id, scope = int(payload["item_id"]), str(payload["scope"])
    report(0.05, "Lager den skjermede versjonen")
    result = _redact(platform, tenant_id, str(payload.get("actor") or "system"), item_id, scope)
    report(0.9, "Kontrollert; lagrer filen")
    sha = result.sha256()
    target = platform.blobs.path(tenant_id, sha)
    if not target.exists():
        result.save_as(target)
    return {
        "message": f"Den skjermede versjonen for {scope} er klar ({result.report.get('withheld', 0)} "
        "opplysninger skjermet, kontrollert).",
        "task": REDACT_TASK,
        "item_id": item_id,
        "scope": scope,
        "sha256": sha,
        "filename": result.filename,
        "content_type": result.content_type,
        "decided": bool(result.report.get("decided")),
        "withheld": int(result.report.get("withheld") or 0),
        "verified": bool(result.report.get("verified")),
        "suggestion_id": _latest_id(platform, tenant_id, item_id, scope),
    }


#: how long a redacted file made on a worker is kept for its download (it can be made again)
KEEP_REDACTED_HOURS = 24
SWEEP_TASK = "skjerming.sweep_redacted"


def sweep_redacted_task(
    platform: Platform, tenant_id: int, payload: dict[str, Any], report
) -> dict[str, Any]:
    """The hourly task ``skjerming.sweep_redacted``: delete the redacted files that workers keep for
    download (:func:`redact_task`) once their document's content is removed (GDPR erasure, retention,
    kassasjon) or after :data:`KEEP_REDACTED_HOURS` — they are copies of the document and must not
    outlive it. A file whose hash is also a live item's stored bytes is left to that item. The job's
    result then says the file is gone (the download asks for a new one). Idempotent."""
    from datetime import timedelta

    from sqlalchemy import func

    from ...core.db import utcnow
    from ...core.models import Blob, Job

    cutoff = utcnow() - timedelta(hours=float(payload.get("keep_hours", KEEP_REDACTED_HOURS)))
    removed = 0
    with platform.db.tenant_session(tenant_id) as session:
        done = session.scalars(
            select(Job).where(Job.service == SERVICE, Job.title == REDACT_TITLE, Job.state == "done")
        ).all()
        for job in done:
            res = job.result
            if not (isinstance(res, dict) and res.get("task") == REDACT_TASK and res.get("sha256")):
                continue
            item = session.get(Item, int(res.get("item_id") or 0))
            finished = _naive(job.finished_at) if job.finished_at else None
            if (
                item is not None
                and item.content_removed_at is None
                and (finished is None or finished > _naive(cutoff))
            ):
                continue
            shared = session.scalar(
                select(func.count())
                .select_from(Blob)
                .where(Blob.sha256 == res["sha256"], Blob.removed_at.is_(None))
            )
            if not shared:
                platform.blobs.delete(tenant_id, res["sha256"])
            why = "document removed" if item is None or item.content_removed_at is not None else "expired"
            job.result = {**res, "sha256": None, "file_removed": why}
            removed += 1
    return {"message": f"{removed} skjermede filer er slettet.", "removed": removed}


def _latest_id(platform: Platform, tenant_id: int, item_id: int, scope: str) -> int | None:
    with platform.db.read_session(tenant_id) as session:
        s = _latest(session, item_id, SCOPES[scope])
        return s.id if s is not None else None


def _naive(value):
    return value.replace(tzinfo=None) if value is not None and value.tzinfo is not None else value


def redaction_of_job(platform: Platform, principal: Principal, item_id: int, scope: str) -> Redacted:
    """The redacted file the newest finished ``skjerming.redact`` job of this document and scope made —
    the download of that job's result — if the suggestion it followed is still the latest and undecided
    or decided as then; else :class:`Conflict` (make it again). Read again from the blob store and
    checked against its hash."""
    from ...core.models import Job

    if scope not in SCOPES:
        raise InvalidInput("Velg innsyn eller internett.")
    authorize(principal, "item.read", service=SERVICE, policy=platform.policy)
    with platform.db.read_session(principal.tenant_id) as session:
        item = _item(session, item_id)
        if item.content_removed_at is not None:
            raise NotFound("Dokumentet er slettet.")
        # (the job row's task name is set on a queue only; the title and the result say it on both runners)
        jobs_done = session.scalars(
            select(Job)
            .where(Job.service == SERVICE, Job.title == REDACT_TITLE, Job.state == "done")
            .order_by(Job.id.desc())
            .limit(200)
        ).all()
        job = next(
            (
                j
                for j in jobs_done
                if isinstance(j.result, dict)
                and j.result.get("task") == REDACT_TASK
                and j.result.get("item_id") == item_id
                and j.result.get("scope") == scope
            ),
            None,
        )
        if job is None:
            raise NotFound("Ingen skjermet versjon er laget i bakgrunnen for dette dokumentet.")
        latest = _latest(session, item_id, SCOPES[scope])
        decided_at = _naive(latest.decision.decided_at) if latest and latest.decision else None
        res = job.result
        stale = (latest.id if latest else None) != res.get("suggestion_id") or (
            decided_at is not None and job.started_at is not None and decided_at > _naive(job.started_at)
        )
    if stale:
        raise Conflict("Avgjørelsen er endret etter at den skjermede filen ble laget. Lag den på nytt.")
    if not res.get("sha256"):
        raise NotFound("Den skjermede filen er slettet. Lag den på nytt.")
    path = platform.blobs.path(principal.tenant_id, res["sha256"])
    if not path.exists():
        raise NotFound("Den skjermede filen finnes ikke lenger. Lag den på nytt.")
    out = Redacted(None, res["filename"], res["content_type"], dict(res), path=None)
    out.path = str(path)  # read from the store; not a temporary file (never unlinked)
    if out.sha256() != res["sha256"]:
        raise Conflict("Den lagrede skjermede filen er endret. Lag den på nytt.")
    return out
