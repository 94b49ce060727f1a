"""Postmottak orchestration: take messages in, triage them, record suggestions, act on decisions.

Two transactions per message, on purpose:

1. ``receive``: raw bytes to the blob store, the core item, and the ``postmottak_message`` row (with the
   mailbox's ``remote_id``, unique per tenant) commit together. A crash before this commit loses nothing
   — the mailbox still holds the message and the next poll takes it; after it, the message is never
   taken in again.
2. ``process``: parse, triage, suggestions, state ``triaged`` commit together (both steps are the
   platform's arrival pipeline, :mod:`kommuneki.core.arrival`). A crash before this
   commit leaves the row ``received``; ``process_pending`` picks it up. A crash after it cannot process
   it twice, because only ``received`` rows are processed.

The same bytes twice is two arrivals (never a silent drop): the second is marked duplicate by the core
and gets a proposed deletion (reason ``duplicate``) that a person must confirm.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import smtplib
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ...core import audit, exports, items, modelreg, suggestions, tasks
from ...core.arrival import Analysis, Arrivals, Incoming
from ...core.clock import OSLO, local_date, local_today, to_local
from ...core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from ...core.models import Decision, Item, ModelVersion, Suggestion, Tenant, Unit
from ...core.platform import Platform
from ...core.suggestions import Proposal
from ...ingest.email import parse_message
from . import arkivmelding, caselink, engine, forward, innsyn
from .models import PostmottakAction, PostmottakCase, PostmottakMessage
from .textmodel import TextModel

SERVICE = engine.SERVICE
# what was done, as the transparency log says it (the action rows keep their codes)
DONE_LABELS = {
    "forwarded": "videresendt",
    "deleted": "slettet",
    "journalfort": "journalført",
    "forward_refused": "videresending stanset",
    "forward_failed": "videresending feilet (venter på en person)",
}
ACTION_KINDS = (engine.KINDS["action"], engine.KINDS["forward"], engine.KINDS["delete"])


# --- settings and model ------------------------------------------------------------------------------


def tenant_settings(session: Session, tenant_id: int) -> dict[str, Any]:
    t = session.get(Tenant, tenant_id)
    return dict((t.settings or {}).get("postmottak", {})) if t else {}


def update_settings(platform: Platform, tenant_id: int, actor: str, **changes: Any) -> dict[str, Any]:
    """Change the tenant's postmottak settings (innsyn_days 1–3, domains, sender, smtp, imap,
    lawful_basis)."""
    allowed = {"innsyn_days", "domains", "sender", "smtp", "imap", "graph", "lawful_basis"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Ukjente innstillinger: {', '.join(sorted(unknown))}")
    if "innsyn_days" in changes and not 1 <= int(changes["innsyn_days"]) <= 3:
        raise InvalidInput("Fristen for innsyn må være 1–3 arbeidsdager.")
    with platform.db.installation_session(unscoped=True) as session:
        t = session.get(Tenant, tenant_id)
        settings = dict(t.settings or {})
        pm = {**settings.get("postmottak", {}), **changes}
        settings["postmottak"] = pm
        t.settings = settings
        audit.record(session, tenant_id, "postmottak.settings_changed", actor=actor, fields=sorted(changes))
    return pm


def tenant_domains(session: Session, tenant_id: int) -> list[str]:
    """The tenant's own mail domains: the setting, else the domains of its units' addresses."""
    configured = tenant_settings(session, tenant_id).get("domains")
    if configured:
        return list(configured)
    return sorted(
        {u.email.rsplit("@", 1)[-1].lower() for u in session.scalars(select(Unit)) if "@" in (u.email or "")}
    )


@lru_cache(maxsize=8)
def _load_model(path: str, sha: str | None) -> TextModel:
    data = Path(path).read_bytes()
    if sha and hashlib.sha256(data).hexdigest() != sha:
        raise Conflict("Modellfilen på disk stemmer ikke med sjekksummen i registeret.")
    return TextModel.loads(data)


def current_model(session: Session, tenant_id: int) -> TextModel:
    """The tenant's newest active postmottak model, else the shipped default."""
    mv = session.scalar(
        select(ModelVersion)
        .where(
            ModelVersion.service == SERVICE,
            ModelVersion.tenant_id == tenant_id,
            ModelVersion.active.is_(True),
            ModelVersion.artifact_path.is_not(None),
        )
        .order_by(ModelVersion.id.desc())
        .limit(1)
    )
    if mv is not None and mv.artifact_path and Path(mv.artifact_path).exists():
        return _load_model(mv.artifact_path, mv.artifact_sha256)
    return engine.default_model()


# --- arrival -------------------------------------------------------------------------------------------


def _arrivals(
    platform: Platform,
    tenant_id: int,
    *,
    actor: str,
    mailbox: str | None = None,
    remote_id: str | None = None,
) -> Arrivals:
    """The platform's arrival pipeline for messages: the ``postmottak_message`` row (with the mailbox's
    remote id) commits with the item; processing parses, triages and proposes; a message that cannot be
    read is ``failed`` on both rows."""

    def stored(session: Session, item: Item, incoming: Incoming) -> None:
        session.add(
            PostmottakMessage(
                item_id=item.id,
                mailbox=mailbox,
                remote_id=remote_id,
                message_id=None,
                received_at=incoming.received_at or item.received_at,
            )
        )
        session.flush()

    def read(data: bytes, item: Item):
        return parse_message(data, item.filename)

    def triage(session: Session, item: Item, parsed) -> Analysis:
        # the tenant's settings, model and case index: loaded once per transaction
        context = session.info.get("postmottak.context")
        if context is None:
            context = (
                tenant_settings(session, tenant_id),
                current_model(session, tenant_id),
                _case_index(session, platform, tenant_id),
            )
            session.info["postmottak.context"] = context
        pm = session.scalar(select(PostmottakMessage).where(PostmottakMessage.item_id == item.id))
        return _triage_in(session, tenant_id, pm, item, parsed, *context)

    def failed(session: Session, item: Item, exc: DomainError) -> None:
        pm = session.scalar(select(PostmottakMessage).where(PostmottakMessage.item_id == item.id))
        pm.state, pm.error = "failed", exc.message

    return Arrivals(
        platform,
        tenant_id,
        service=SERVICE,
        kind="message",
        extract=read,
        analyse=triage,
        done_state="triaged",
        actor=actor,
        content_type="message/rfc822",
        on_stored=stored,
        on_failed=failed,
    )


def _pm_of(session: Session, item_id: int) -> PostmottakMessage:
    return session.scalar(select(PostmottakMessage).where(PostmottakMessage.item_id == item_id))


def receive(
    platform: Platform,
    tenant_id: int,
    raw: bytes,
    *,
    source: str,
    actor: str,
    mailbox: str | None = None,
    remote_id: str | None = None,
    received_at: datetime | None = None,
    filename: str | None = None,
    dedupe_content: bool = False,
) -> tuple[int, bool]:
    """Store a message and record its arrival (the arrival pipeline's first step). Returns (postmottak
    message id, new). A mailbox message already taken in (same mailbox and remote id) returns the
    existing row and stores nothing; so does, with ``dedupe_content``, a message whose bytes this
    tenant's postmottak already holds (a file import run again, after a kill -9 or not)."""
    pipeline = _arrivals(platform, tenant_id, actor=actor, mailbox=mailbox, remote_id=remote_id)
    if dedupe_content:
        found = pipeline.existing(raw)
        if found is not None:
            with platform.db.read_session(tenant_id) as session:
                return _pm_of(session, found[0]).id, False
    if mailbox and remote_id:
        with platform.db.read_session(tenant_id) as session:
            existing = session.scalar(
                select(PostmottakMessage.id).where(
                    PostmottakMessage.mailbox == mailbox, PostmottakMessage.remote_id == remote_id
                )
            )
        if existing is not None:
            return existing, False
    # the raw bytes are stored and committed first, always: whatever the parser makes of them
    # comes after, in a second transaction
    item_id = pipeline.store(
        Incoming(
            raw,
            filename=filename,
            source=source,
            received_at=received_at,
            meta={"mailbox": mailbox} if mailbox else None,
        )
    )
    with platform.db.read_session(tenant_id) as session:
        pm_id = _pm_of(session, item_id).id
    try:
        parsed = parse_message(raw)
    except DomainError:
        return pm_id, True  # stored anyway; processing records why it cannot be read
    with platform.db.tenant_session(tenant_id) as session:
        pm = session.get(PostmottakMessage, pm_id)
        item = session.get(Item, pm.item_id)
        item.external_id = parsed.message_id
        pm.message_id = (parsed.message_id or "")[:500] or None
        # a file or upload has no mailbox arrival time: the Date header says when it was sent
        if received_at is None and parsed.date is not None:
            item.received_at = pm.received_at = parsed.date
    return pm_id, True


def process(platform: Platform, tenant_id: int, pm_id: int, *, actor: str = "system") -> dict[str, Any]:
    """Triage one received message and record its suggestions; then carry out any that the tenant's
    automation policy accepted. Returns a summary. A message that cannot be read is marked ``failed``
    with the reason (its bytes stay stored)."""
    return process_batch(platform, tenant_id, [pm_id], actor=actor)[0]


def process_batch(
    platform: Platform, tenant_id: int, pm_ids: list[int], *, actor: str = "system"
) -> list[dict[str, Any]]:
    """Like :func:`process` for several messages in one transaction (bulk loads: fewer commits). If the
    transaction fails, every message in it stays ``received`` and is processed by the next run."""
    with platform.db.read_session(tenant_id) as session:
        rows = {
            pm_id: (item_id, state)
            for pm_id, item_id, state in session.execute(
                select(PostmottakMessage.id, PostmottakMessage.item_id, PostmottakMessage.state).where(
                    PostmottakMessage.id.in_(pm_ids)
                )
            )
        }
    if any(pm_id not in rows for pm_id in pm_ids):
        raise NotFound("Meldingen finnes ikke.")
    outcomes = _arrivals(platform, tenant_id, actor=actor).process_together(rows[i][0] for i in pm_ids)
    out: list[dict[str, Any]] = []
    automated: list[int] = []
    for pm_id, outcome in zip(pm_ids, outcomes, strict=True):
        if not outcome.processed:
            out.append({"id": pm_id, "state": rows[pm_id][1], "skipped": True})
        elif outcome.failed:
            out.append({"id": pm_id, "state": "failed", "error": outcome.error})
        else:
            out.append({**outcome.result, "suggestions": [s["id"] for s in outcome.suggestions]})
            automated += [
                s["id"]
                for s in outcome.suggestions
                if s["status"] == "accepted" and s["kind"] in ACTION_KINDS
            ]
    for sid in automated:
        result = _execute_automated(platform, tenant_id, sid, actor="system")
        for summary in out:
            if sid in summary.get("suggestions", []):
                summary.setdefault("executed", []).append(result)
    return out


def _triage_in(
    session: Session,
    tenant_id: int,
    pm: PostmottakMessage,
    item: Item,
    parsed,
    settings: dict[str, Any],
    model: TextModel,
    index: "caselink.CaseIndex",
) -> Analysis:
    t = engine.triage(
        parsed,
        model,
        received=pm.received_at,
        innsyn_days=int(settings.get("innsyn_days", 3)),
        own_domains=tuple(tenant_domains(session, tenant_id)),
    )
    item.title = t.title
    item.text = features_text(parsed)
    item.meta = {
        **item.meta,
        "subject": parsed.subject,
        "from": parsed.sender_address,
        "attachments": [a.summary() for a in parsed.attachments],
        "defects": parsed.defects,
        "language": t.language,
        "highlights": t.highlights,
    }
    if item.duplicate_of_id is not None:
        props = [_duplicate_proposal(t, item.duplicate_of_id)]
    else:
        props = engine.proposals(t)
        cases = _case_proposal(index, t, parsed)
        if cases is not None:
            props.append(cases)
    pm.state = "triaged"
    pm.action, pm.unit = props[0].value.get("action"), t.unit
    pm.sensitive = bool(t.sensitive)
    if t.deadlines and item.duplicate_of_id is None:
        pm.innsyn_deadline, pm.deemed_refusal = t.deadlines.deadline, t.deadlines.deemed_refusal
    return Analysis(
        props,
        {
            "id": pm.id,
            "item_id": item.id,
            "state": "triaged",
            "triage": t.as_json(),
            "duplicate_of": item.duplicate_of_id,
        },
    )


CASE_INDEX_CACHE = "postmottak.case_index"
CASE_INDEX_MAX_TENANTS = 64  # one index per tenant; the least recently used tenant's goes first


def _case_index(session: Session, platform: Platform, tenant_id: int) -> caselink.CaseIndex:
    """The tenant's open cases as an index, kept in the platform's cache (``core/cache.py``) and rebuilt
    only when the cases change: the version is the open cases' count, highest id and newest import."""
    version = tuple(
        session.execute(
            select(func.count(), func.max(PostmottakCase.id), func.max(PostmottakCase.imported_at)).where(
                PostmottakCase.status != "avsluttet"
            )
        ).one()
    )

    def build() -> caselink.CaseIndex:
        rows = session.scalars(select(PostmottakCase).where(PostmottakCase.status != "avsluttet")).all()
        return caselink.CaseIndex(
            [caselink.Case(r.saksnummer, r.title, r.unit, r.gnr, r.bnr, r.address, r.party) for r in rows]
        )

    cache = platform.caches.get(CASE_INDEX_CACHE, max_entries=CASE_INDEX_MAX_TENANTS)
    return cache.get_or_build(tenant_id, "open_cases", version, build)


def features_text(parsed) -> str:
    from .features import display_text

    return display_text(parsed)[:100_000]


def _duplicate_proposal(t: engine.Triage, first_item: int) -> Proposal:
    return Proposal(
        kind=engine.KINDS["action"],
        value={"action": "slettes", "delete_reason": "duplicate", "unit": None},
        confidence=1.0,
        explanation={
            "summary": f"Samme innhold er mottatt før (element {first_item}): foreslår å slette duplikatet.",
            "evidence": [{"type": "rule", "rule": "duplicate", "header": f"sha256 = element {first_item}"}],
            "guards": ["duplicate"],
        },
        model_name="postmottak-regler",
        model_version="1",
        input_hash=t.input_hash,
    )


def _case_proposal(index: caselink.CaseIndex, t: engine.Triage, parsed) -> Proposal | None:
    if t.action == "slettes" or not index.cases:
        return None
    from .features import display_text

    cands = index.link(display_text(parsed))
    if not cands:
        return None
    best = cands[0]
    return Proposal(
        kind=engine.KINDS["case"],
        value={"saksnummer": best.saksnummer},
        confidence=round(best.score, 4),
        explanation={
            "summary": f"Hører trolig til sak {best.saksnummer}.",
            "evidence": best.reasons,
            "candidates": [c.as_dict() for c in cands],
        },
        model_name="postmottak-sakskobling",
        model_version="1",
        input_hash=t.input_hash,
    )


def process_pending(
    platform: Platform, tenant_id: int, *, actor: str = "system", limit: int | None = None
) -> int:
    """Process every message still in state ``received`` (after a crash, or after receive-only runs)."""
    with platform.db.tenant_session(tenant_id) as session:
        stmt = (
            select(PostmottakMessage.id)
            .where(PostmottakMessage.state == "received")
            .order_by(PostmottakMessage.id)
        )
        ids = list(session.scalars(stmt.limit(limit) if limit else stmt))
    for pm_id in ids:
        process(platform, tenant_id, pm_id, actor=actor)
    return len(ids)


def take_in(
    platform: Platform,
    tenant_id: int,
    raw: bytes,
    *,
    source: str,
    actor: str,
    filename: str | None = None,
    received_at: datetime | None = None,
    dedupe_content: bool = False,
) -> dict[str, Any]:
    """Receive and process one message from a file or upload. With ``dedupe_content`` (file imports),
    bytes already taken in are not stored again: the existing message is processed if it was left
    ``received`` (a run killed between storing and processing), else reported as it stands."""
    pm_id, new = receive(
        platform,
        tenant_id,
        raw,
        source=source,
        actor=actor,
        filename=filename,
        received_at=received_at,
        dedupe_content=dedupe_content,
    )
    result = process(platform, tenant_id, pm_id, actor=actor)
    return {**result, "already_taken_in": not new}


def poll(
    platform: Platform, tenant_id: int, source, *, mailbox: str, actor: str = "system"
) -> dict[str, int]:
    """Take in every new message of a mailbox source (IMAP or Graph), then process what is pending.
    Safe to stop at any moment and run again (see the module docstring)."""
    with platform.db.tenant_session(tenant_id) as session:
        known = set(
            session.scalars(select(PostmottakMessage.remote_id).where(PostmottakMessage.mailbox == mailbox))
        )
    received = 0
    for msg in source.new_messages(known):
        pm_id, new = receive(
            platform,
            tenant_id,
            msg.raw,
            source=mailbox,
            actor=actor,
            mailbox=mailbox,
            remote_id=msg.remote_id,
            received_at=msg.received,
        )
        received += new
        process(platform, tenant_id, pm_id, actor=actor)
    pending = process_pending(platform, tenant_id, actor=actor)
    # a run stopped between a message's triage and its automated forward leaves the forward to this one
    carried = carry_out_automated(platform, tenant_id, actor=actor)
    return {"received": received, "processed_pending": pending, "carried_out": len(carried)}


def mailbox_configured(platform: Platform, tenant_id: int) -> bool:
    """Whether the tenant has a mailbox set up — IMAP (``imap.host``) or Microsoft Graph
    (``graph.mailbox``): the schedule of :func:`poll_task`."""
    with platform.db.read_session(tenant_id) as session:
        pm = tenant_settings(session, tenant_id)
    return bool((pm.get("imap") or {}).get("host")) or bool((pm.get("graph") or {}).get("mailbox"))


def graph_settings(cfg: dict[str, Any]):
    """The Graph mailbox of the settings ``graph``: ``tenant_id`` (the Entra ID tenant), ``client_id``,
    ``mailbox``, the client secret from the environment variable ``client_secret_env`` (by default
    ``POSTMOTTAK_GRAPH_SECRET``; never stored in the database), and for a national cloud ``graph_url``
    and ``login_url``."""
    from .mailbox.graph import GRAPH, LOGIN, GraphSettings

    missing = [k for k in ("tenant_id", "client_id", "mailbox") if not cfg.get(k)]
    if missing:
        raise InvalidInput(
            f"Graph-postkassen mangler innstillingene {', '.join('graph.' + m for m in missing)}."
        )
    secret_env = cfg.get("client_secret_env") or "POSTMOTTAK_GRAPH_SECRET"
    secret = os.environ.get(secret_env)
    if not secret:
        raise InvalidInput(f"Klienthemmeligheten for Graph mangler (miljøvariabelen {secret_env}).")
    return GraphSettings(
        tenant_id=str(cfg["tenant_id"]),
        client_id=str(cfg["client_id"]),
        client_secret=secret,
        mailbox=str(cfg["mailbox"]),
        page_size=int(cfg.get("page_size", 50)),
        graph_url=str(cfg.get("graph_url") or GRAPH).rstrip("/"),
        login_url=str(cfg.get("login_url") or LOGIN).rstrip("/"),
    )


def poll_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The scheduled task ``postmottak.poll`` (what ``kommuneki postmottak watch --once`` does): take in
    the tenant's mailboxes and process what is pending — IMAP (settings ``imap``; the password, or an
    XOAUTH2 token, from the environment variable the settings name, by default
    ``POSTMOTTAK_IMAP_PASSWORD``) and Microsoft Graph (settings ``graph``: :func:`graph_settings`)."""
    from .mailbox.graph import GraphSource
    from .mailbox.imap import ImapSettings, ImapSource

    with platform.db.read_session(tenant_id) as session:
        pm = tenant_settings(session, tenant_id)
    cfg, graph = pm.get("imap") or {}, pm.get("graph") or {}
    if not cfg.get("host") and not graph.get("mailbox"):
        raise InvalidInput("Ingen postkasse er satt opp (innstillingen imap.host eller graph.mailbox).")
    results = []
    if cfg.get("host"):
        token_env = cfg.get("oauth2_token_env")
        settings = ImapSettings(
            host=cfg["host"],
            port=int(cfg.get("port", 993)),
            username=cfg.get("username", ""),
            folder=cfg.get("folder", "INBOX"),
            ssl=bool(cfg.get("ssl", True)),
            password=os.environ.get(cfg.get("password_env") or "POSTMOTTAK_IMAP_PASSWORD"),
            oauth2_token=os.environ.get(token_env) if token_env else None,
        )
        report(0.05, "Henter nye meldinger fra postkassen")
        with ImapSource(settings) as source:
            results.append(poll(platform, tenant_id, source, mailbox=settings.mailbox_name, actor="system"))
    if graph.get("mailbox"):
        gs = graph_settings(graph)
        report(0.5 if results else 0.05, "Henter nye meldinger fra Microsoft 365 (Graph)")
        source = GraphSource(gs)
        try:
            results.append(poll(platform, tenant_id, source, mailbox=gs.mailbox_name, actor="system"))
        finally:
            source.close()
    result = {k: sum(r.get(k, 0) for r in results) for k in ("received", "processed_pending", "carried_out")}
    return {
        "message": f"{result['received']} nye meldinger, {result['processed_pending']} ventende behandlet.",
        **result,
    }


# --- acting on decisions ------------------------------------------------------------------------------


def _decision_for(session: Session, s: Suggestion) -> Decision:
    d = session.scalar(select(Decision).where(Decision.suggestion_id == s.id))
    if d is None or d.outcome == "rejected":
        raise Conflict("Forslaget er ikke godtatt; ingenting å utføre.")
    return d


def execute(
    platform: Platform,
    tenant_id: int,
    suggestion_id: int,
    *,
    actor: str,
    smtp: forward.SmtpSettings | None = None,
) -> dict[str, Any]:
    """Carry out a decided action suggestion: forward by SMTP, or mark deleted. Journalføring is done
    through :func:`journalfor` (after the dokumenttype is decided)."""
    with platform.db.tenant_session(tenant_id) as session:
        s = suggestions.get_suggestion(session, suggestion_id)
        if s.service != SERVICE or s.kind not in ACTION_KINDS:
            raise InvalidInput("Forslaget er ikke en handling i postmottaket.")
        d = _decision_for(session, s)
        value = d.final_value or s.value
        pm = session.scalar(select(PostmottakMessage).where(PostmottakMessage.item_id == s.item_id))
        if pm is None:
            raise NotFound("Meldingen finnes ikke.")
        if session.scalar(
            select(PostmottakAction.id).where(
                PostmottakAction.suggestion_id == s.id, PostmottakAction.action.in_(("forwarded", "deleted"))
            )
        ):
            return {"message": pm.id, "done": "already"}
        automated = d.actor_policy_id is not None
        if value.get("action") == "slettes":
            pm.state = pm.item.state = "deleted"
            session.add(
                PostmottakAction(
                    message_id=pm.id,
                    suggestion_id=s.id,
                    action="deleted",
                    actor=actor if not automated else f"policy:{d.actor_policy_id}",
                    automated=automated,
                    detail={"reason": value.get("delete_reason")},
                )
            )
            audit.record(
                session,
                tenant_id,
                "postmottak.deleted",
                actor=actor,
                subject=("postmottak_message", pm.id),
                item_id=pm.item_id,
                message=pm.id,
                reason=value.get("delete_reason") or "other",
                automated=automated,
            )
            return {"message": pm.id, "done": "deleted"}
        if value.get("action") != "videresendes":
            return {"message": pm.id, "done": "nothing", "note": "journalføring skjer med arkivmelding"}
        unit_code = value.get("unit")
        unit = session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
        to = value.get("address") or (unit.email if unit else None)
        settings = tenant_settings(session, tenant_id)
        domains = tenant_domains(session, tenant_id)
        if not to:
            reason = "no_address"
        elif not forward.inside_domains(to, domains) and (automated or d.actor_user_id is None):
            reason = "outside_domain"
        else:
            reason = None
        if reason:
            session.add(
                PostmottakAction(
                    message_id=pm.id,
                    suggestion_id=s.id,
                    action="forward_refused",
                    target=to,
                    actor=actor,
                    automated=automated,
                    detail={"reason": reason},
                )
            )
            audit.record(
                session,
                tenant_id,
                "postmottak.forward_refused",
                actor=actor,
                subject=("postmottak_message", pm.id),
                item_id=pm.item_id,
                message=pm.id,
                reason=reason,
            )
            return {"message": pm.id, "done": "refused", "reason": reason}
        raw = items.read_content(session, platform.blobs, pm.item)
        smtp = smtp or smtp_settings(settings)
        sender = settings.get("sender") or (f"postmottak@{domains[0]}" if domains else "postmottak@localhost")
        msg = forward.build_forward(
            raw,
            sender=sender,
            to=to,
            # one Message-ID per forward decision: a resend after a worker died between the SMTP
            # server's acceptance and this commit is the same mail to the receiving system
            message_id=forward.forward_message_id(tenant_id, pm.id, s.id, sender),
            subject=pm.item.meta.get("subject", ""),
            note=f"Videresendt fra postmottaket (sak i kommuneki: melding {pm.id}).\n"
            "Originalen ligger ved uendret (original.eml).",
        )
        try:
            forward.send(smtp, msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise Conflict(f"Videresending feilet: {exc}") from exc
        pm.state = pm.item.state = "forwarded"
        session.add(
            PostmottakAction(
                message_id=pm.id,
                suggestion_id=s.id,
                action="forwarded",
                target=to,
                actor=actor if not automated else f"policy:{d.actor_policy_id}",
                automated=automated,
                detail={"unit": unit_code, "sha256": pm.item.sha256},
            )
        )
        audit.record(
            session,
            tenant_id,
            "postmottak.forwarded",
            actor=actor,
            subject=("postmottak_message", pm.id),
            item_id=pm.item_id,
            message=pm.id,
            unit=unit_code,
            recipient_sha256=audit.sha256_text(to),
            original_sha256=pm.item.sha256,
            automated=automated,
        )
        return {"message": pm.id, "done": "forwarded", "to": to}


def smtp_settings(settings: dict[str, Any]) -> forward.SmtpSettings:
    cfg = settings.get("smtp") or {}
    if not cfg.get("host"):
        raise InvalidInput("SMTP er ikke satt opp for postmottaket (innstilling smtp.host).")
    password = os.environ.get(cfg["password_env"]) if cfg.get("password_env") else None
    return forward.SmtpSettings(
        host=cfg["host"],
        port=int(cfg.get("port", 587)),
        sender=settings.get("sender", "postmottak@localhost"),
        starttls=bool(cfg.get("starttls", True)),
        username=cfg.get("username"),
        password=password,
    )


def journalpost_for(session: Session, platform: Platform, pm: PostmottakMessage) -> arkivmelding.Journalpost:
    s = session.scalar(
        select(Suggestion)
        .where(Suggestion.item_id == pm.item_id, Suggestion.kind == engine.KINDS["dokumenttype"])
        .order_by(Suggestion.id.desc())
        .limit(1)
    )
    if s is None:
        raise Conflict("Meldingen har ikke forslag om journalføring.")
    value = s.decision.final_value if s.decision and s.decision.final_value else s.value
    case = session.scalar(
        select(Suggestion)
        .where(
            Suggestion.item_id == pm.item_id,
            Suggestion.kind == engine.KINDS["case"],
            Suggestion.status.in_(("accepted", "changed")),
        )
        .limit(1)
    )
    raw = items.read_content(session, platform.blobs, pm.item)
    parsed = parse_message(raw)
    docs = [
        arkivmelding.Dokument(
            value.get("tittel", pm.item.title or ""), "melding.eml", raw, "message/rfc822", True
        )
    ]
    docs += [
        arkivmelding.Dokument(a.filename, a.filename, a.data, a.content_type) for a in parsed.attachments
    ]
    kp = value.get("korrespondansepart") or {}
    return arkivmelding.Journalpost(
        tittel=value.get("tittel") or pm.item.title or "Uten tittel",
        offentlig_tittel=value.get("offentlig_tittel") or value.get("tittel") or "Uten tittel",
        dokumenttype=value["dokumenttype"],
        dokumenttype_beskrivelse=engine.dokumenttype_label(value["dokumenttype"]),
        mottatt=pm.received_at if pm.received_at.tzinfo else pm.received_at.replace(tzinfo=timezone.utc),
        avsender_navn=kp.get("navn", ""),
        avsender_epost=kp.get("epost", ""),
        dokumenter=docs,
        saksnummer=(case.decision.final_value or case.value)["saksnummer"]
        if case and case.decision
        else None,
        skjermet=bool(value.get("skjerming")) or pm.sensitive,
        ekstern_noekkel=f"kommuneki-postmottak-{pm.id}",
    )


def _message(session: Session, tenant_id: int, pm_id: int) -> PostmottakMessage:
    pm = session.get(PostmottakMessage, pm_id)
    if pm is None or pm.tenant_id != tenant_id:
        raise NotFound("Meldingen finnes ikke.")
    return pm


def arkivmelding_xml(platform: Platform, tenant_id: int, pm_id: int) -> bytes:
    """The Fiks Arkiv arkivmelding for a message, as it stands now. Reading only: it changes no state and
    records nothing (journalføring is :func:`journalfor`, an explicit act of a person)."""
    with platform.db.read_session(tenant_id) as session:
        return arkivmelding.build(journalpost_for(session, platform, _message(session, tenant_id, pm_id)))


def journalfor(platform: Platform, tenant_id: int, pm_id: int, *, actor: str) -> dict[str, Any]:
    """Journalføre a message: a person has decided its dokumenttype and title (the suggestion is
    accepted or changed), and the message is neither deleted nor forwarded. Builds the arkivmelding,
    marks the message journalført and records the arkivmelding's hash in the log. Done once: a second
    call answers ``already``."""
    with platform.db.tenant_session(tenant_id) as session:
        pm = _message(session, tenant_id, pm_id)
        if pm.state == "journalfort":
            return {"message": pm.id, "done": "already"}
        if pm.state in ("deleted", "forwarded", "failed", "received"):
            raise Conflict(
                {
                    "deleted": "Meldingen er slettet og kan ikke journalføres.",
                    "forwarded": "Meldingen er videresendt og kan ikke journalføres her.",
                }.get(pm.state, "Meldingen er ikke ferdig lest inn og kan ikke journalføres ennå.")
            )
        s = session.scalar(
            select(Suggestion)
            .where(
                Suggestion.item_id == pm.item_id,
                Suggestion.kind == engine.KINDS["dokumenttype"],
                Suggestion.status != "superseded",
            )
            .order_by(Suggestion.id.desc())
            .limit(1)
        )
        if s is None:
            raise Conflict("Meldingen har ikke forslag om journalføring.")
        if s.status == "pending":
            raise Conflict(
                "Avgjør forslaget om dokumenttype og tittel før meldingen journalføres.",
                details=[{"field": "dokumenttype", "suggestion_id": s.id}],
            )
        if s.status == "rejected":
            raise Conflict(
                "Forslaget om dokumenttype og tittel er avvist. Endre det (velg «Endre») før meldingen "
                "journalføres."
            )
        xml = arkivmelding.build(journalpost_for(session, platform, pm))
        sha = hashlib.sha256(xml).hexdigest()
        pm.state = pm.item.state = "journalfort"
        session.add(
            PostmottakAction(
                message_id=pm.id,
                suggestion_id=s.id,
                action="journalfort",
                target="arkivmelding",
                actor=actor,
                detail={"arkivmelding_sha256": sha},
            )
        )
        audit.record(
            session,
            tenant_id,
            "postmottak.journalfort",
            actor=actor,
            subject=("postmottak_message", pm.id),
            item_id=pm.item_id,
            message=pm.id,
            arkivmelding_sha256=sha,
        )
        return {"message": pm.id, "done": "journalfort", "arkivmelding_sha256": sha}


def journalforte_meldinger(
    session: Session, platform: Platform, tenant_id: int, *, after_id: int = 0, limit: int = 200
) -> list[dict[str, Any]]:
    """The capability ``archive.journalforte_meldinger``: messages journalført here, in the order they
    were journalført (``seq``, the journalføring's own id, greater than ``after_id``; at most ``limit``),
    each with its item (the stored original and its text) and the journalpost's metadata as decided. A
    message whose content was erased is left out."""
    rows = session.execute(
        select(PostmottakMessage, PostmottakAction.id)
        .join(PostmottakAction, PostmottakAction.message_id == PostmottakMessage.id)
        .where(
            PostmottakAction.action == "journalfort",
            PostmottakAction.id > after_id,
            PostmottakMessage.state == "journalfort",
        )
        .order_by(PostmottakAction.id)
        .limit(limit)
    ).all()
    out = []
    for pm, seq in rows:
        if pm.item.content_removed_at is not None or not pm.item.text:
            continue
        jp = journalpost_for(session, platform, pm)
        out.append(
            {
                "seq": seq,
                "id": pm.id,
                "item_id": pm.item_id,
                "text": pm.item.text,
                "tittel": jp.tittel,
                "offentlig_tittel": jp.offentlig_tittel,
                "dokumenttype": jp.dokumenttype_beskrivelse,
                "saksnummer": jp.saksnummer,
                "journaldato": jp.mottatt.date().isoformat(),
                "avsender": jp.avsender_navn or None,
                "skjermet": jp.skjermet,
                "unit": pm.unit,
            }
        )
    return out


def journal_csv(platform: Platform, tenant_id: int, pm_ids: list[int]) -> str:
    with platform.db.tenant_session(tenant_id) as session:
        jps = []
        for pm_id in pm_ids:
            pm = session.get(PostmottakMessage, pm_id)
            if pm is None or pm.tenant_id != tenant_id:
                raise NotFound(f"Meldingen {pm_id} finnes ikke.")
            jps.append(journalpost_for(session, platform, pm))
        return arkivmelding.csv_rows(jps)


# --- cases -----------------------------------------------------------------------------------------------

CASE_COLUMNS = ("saksnummer", "tittel", "enhet", "gnr", "bnr", "adresse", "part", "status")


def import_cases(platform: Platform, tenant_id: int, data: bytes, *, actor: str) -> int:
    """Import open cases from CSV (columns: saksnummer;tittel;enhet;gnr;bnr;adresse;part;status — comma or
    semicolon). Existing saksnummer are updated. Returns the number of rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    dialect = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect)
    if not reader.fieldnames or "saksnummer" not in reader.fieldnames or "tittel" not in reader.fieldnames:
        raise InvalidInput(
            "CSV-filen må ha kolonnene saksnummer og tittel (og gjerne enhet, gnr, bnr, adresse, part, "
            "status)."
        )
    n = 0
    with platform.db.tenant_session(tenant_id) as session:
        existing = {c.saksnummer: c for c in session.scalars(select(PostmottakCase))}
        for line, row in enumerate(reader, 2):
            sn = (row.get("saksnummer") or "").strip()
            if not caselink.SAKSNR.fullmatch(sn):
                raise InvalidInput(f"Linje {line}: ugyldig saksnummer «{sn}» (forventet f.eks. 2025/1234).")

            def _int(v):
                v = (v or "").strip()
                return int(v) if v.isdigit() else None

            c = existing.get(sn) or PostmottakCase(saksnummer=sn)
            c.title = (row.get("tittel") or "").strip()[:500]
            c.unit = (row.get("enhet") or "").strip() or None
            c.gnr, c.bnr = _int(row.get("gnr")), _int(row.get("bnr"))
            c.address = (row.get("adresse") or "").strip() or None
            c.party = (row.get("part") or "").strip() or None
            c.status = (row.get("status") or "under behandling").strip()
            session.add(c)
            n += 1
        audit.record(
            session,
            tenant_id,
            "postmottak.cases_imported",
            actor=actor,
            count=n,
            sha256=hashlib.sha256(data).hexdigest(),
        )
    return n


# --- reading: inbox and transparency log -------------------------------------------------------------------


def inbox(
    platform: Platform,
    tenant_id: int,
    *,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Messages, newest first, with their pending suggestions and innsyn countdown. Overdue innsyn
    requests come first whatever their age."""
    today = today or local_today()
    with platform.db.read_session(tenant_id) as session:
        stmt = select(PostmottakMessage)
        if state:
            stmt = stmt.where(PostmottakMessage.state == state)
        total = session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = session.scalars(
            stmt.order_by(
                PostmottakMessage.innsyn_deadline.is_(None),
                PostmottakMessage.innsyn_deadline,
                PostmottakMessage.id.desc(),
            )
            .limit(limit)
            .offset(offset)
        ).all()
        out = []
        for pm in rows:
            sugg = session.scalars(
                select(Suggestion).where(Suggestion.item_id == pm.item_id).order_by(Suggestion.id)
            ).all()
            out.append(_message_dict(pm, sugg, today))
        return out, int(total or 0)


def next_message(platform: Platform, tenant_id: int, pm_id: int, *, state: str | None = None) -> int | None:
    """The message after ``pm_id`` in the inbox's order (innsyn deadlines first, then newest first),
    among those in ``state`` when given: the "next message" of the message page. Works from the
    message's place in the order, so a message that has just left the filtered list still has one."""
    with platform.db.read_session(tenant_id) as session:
        cur = _message(session, tenant_id, pm_id)
        pm = PostmottakMessage
        stmt = select(pm.id)
        if state:
            stmt = stmt.where(pm.state == state)
        if cur.innsyn_deadline is None:
            stmt = stmt.where(pm.innsyn_deadline.is_(None), pm.id < cur.id)
        else:
            d = cur.innsyn_deadline
            stmt = stmt.where(
                or_(
                    pm.innsyn_deadline.is_(None),
                    pm.innsyn_deadline > d,
                    and_(pm.innsyn_deadline == d, pm.id < cur.id),
                )
            )
        return session.scalar(
            stmt.order_by(pm.innsyn_deadline.is_(None), pm.innsyn_deadline, pm.id.desc()).limit(1)
        )


def _message_dict(pm: PostmottakMessage, sugg: list[Suggestion], today: date) -> dict[str, Any]:
    item = pm.item
    countdown = None
    if pm.innsyn_deadline:
        dl = innsyn.InnsynDeadlines(local_date(pm.received_at), pm.innsyn_deadline, pm.deemed_refusal)
        countdown = dl.status(today) | {
            "deadline": pm.innsyn_deadline.isoformat(),
            "deemed_refusal": pm.deemed_refusal.isoformat(),
        }
    return {
        "id": pm.id,
        "item_id": pm.item_id,
        "state": pm.state,
        "error": pm.error,
        "title": item.title,
        "subject": item.meta.get("subject"),
        "from": item.meta.get("from"),
        "received_at": pm.received_at,
        "action": pm.action,
        "unit": pm.unit,
        "sensitive": pm.sensitive,
        "innsyn": countdown,
        "duplicate_of": item.duplicate_of_id,
        "defects": item.meta.get("defects", []),
        "suggestions": [suggestions.suggestion_dict(s) for s in sugg if s.status != "superseded"],
    }


def message_detail(
    platform: Platform, tenant_id: int, pm_id: int, today: date | None = None
) -> dict[str, Any]:
    with platform.db.read_session(tenant_id) as session:
        pm = session.get(PostmottakMessage, pm_id)
        if pm is None or pm.tenant_id != tenant_id:
            raise NotFound("Meldingen finnes ikke.")
        sugg = session.scalars(
            select(Suggestion).where(Suggestion.item_id == pm.item_id).order_by(Suggestion.id)
        ).all()
        d = _message_dict(pm, sugg, today or local_today())
        d["text"] = pm.item.text or ""
        d["highlights"] = pm.item.meta.get("highlights", {})
        d["attachments"] = pm.item.meta.get("attachments", [])
        d["log"] = _log(session, pm, sugg)
        return d


def _log(session: Session, pm: PostmottakMessage, sugg: list[Suggestion]) -> list[dict[str, Any]]:
    """The transparency log: arrival, each suggestion (what, why), each decision (who), each action."""
    events = [
        {
            "at": pm.created_at,
            "what": "mottatt",
            "detail": {
                "kilde": pm.item.source,
                "sha256": pm.item.sha256,
                "duplikat_av": pm.item.duplicate_of_id,
            },
        }
    ]
    for s in sugg:
        events.append(
            {
                "at": s.created_at,
                "what": "forslag",
                "detail": {
                    "type": s.kind,
                    "verdi": _readable_value(s.value),
                    "sikkerhet": s.confidence,
                    "hvorfor": s.explanation.get("summary"),
                    "modell": f"{s.model_name} {s.model_version}",
                    "status": s.status,
                },
            }
        )
        d = s.decision
        if d is not None:
            who = (
                f"automatisering (regel {d.actor_policy_id})"
                if d.actor_policy_id
                else (
                    d.actor_user.full_name or d.actor_user.username
                    if d.actor_user
                    else f"bruker {d.actor_user_id}"
                )
            )
            events.append(
                {
                    "at": d.decided_at,
                    "what": "avgjørelse",
                    "detail": {
                        "type": s.kind,
                        "utfall": d.outcome,
                        "hvem": who,
                        "endelig_verdi": d.final_value,
                        "begrunnelse": d.reason,
                    },
                }
            )
    for a in session.scalars(
        select(PostmottakAction).where(PostmottakAction.message_id == pm.id).order_by(PostmottakAction.id)
    ):
        events.append(
            {
                "at": a.at,
                "what": "utført",
                "detail": {
                    "handling": DONE_LABELS.get(a.action, a.action),
                    "til": a.target,
                    "hvem": a.actor,
                    "automatisk": a.automated,
                    **a.detail,
                },
            }
        )
    return sorted(
        events, key=lambda e: e["at"].replace(tzinfo=timezone.utc) if e["at"].tzinfo is None else e["at"]
    )


def _readable_value(value: Any) -> Any:
    """A suggestion's value as a person reads it in the log: the action's Norwegian label
    ("journalføres", not the code "journalfores")."""
    if isinstance(value, dict) and value.get("action") in engine.ACTION_LABELS:
        return {**value, "action": engine.ACTION_LABELS[value["action"]]}
    return value


def export_log(
    platform: Platform, tenant_id: int, pm_id: int, *, actor: str, fmt: str = "json"
) -> tuple[bytes, str]:
    """The transparency log of one message as JSON or CSV, recorded in the audit log."""
    detail = message_detail(platform, tenant_id, pm_id)
    with platform.db.tenant_session(tenant_id) as session:
        audit.record(
            session,
            tenant_id,
            "postmottak.log_exported",
            actor=actor,
            subject=("postmottak_message", pm_id),
            item_id=detail["item_id"],
            message=pm_id,
        )
    # times as a person reads them: Norwegian local time with its UTC offset, and the zone named
    log = [{**e, "at": to_local(e["at"]).isoformat(timespec="seconds")} for e in detail["log"]]
    if fmt == "csv":
        buf = io.StringIO()
        w = exports.csv_writer(buf, delimiter=";")  # no cell can be a formula
        w.writerow([f"tidspunkt ({OSLO.key})", "hendelse", "detaljer"])
        for e in log:
            w.writerow([e["at"], e["what"], json.dumps(e["detail"], ensure_ascii=False, default=str)])
        return buf.getvalue().encode("utf-8"), "text/csv; charset=utf-8"
    body = {"melding": pm_id, "tittel": detail["title"], "tidssone": OSLO.key, "logg": log}
    return json.dumps(body, ensure_ascii=False, indent=2, default=str).encode("utf-8"), "application/json"


# --- training on the tenant's own history ------------------------------------------------------------------


def _legal_basis(platform: Platform, session: Session, tenant_id: int) -> str | None:
    """The KI-register's recorded legal basis for training this service (asked of the registry: None when
    no register is installed), else the postmottak setting."""
    basis = platform.registry.legal_basis_for_training(session, tenant_id, SERVICE)
    return basis or tenant_settings(session, tenant_id).get("lawful_basis")


NO_BASIS = (
    "Trening på kommunens egen e-post er behandling av personopplysninger. Registrer det rettslige "
    "grunnlaget for trening i KI-registeret (eller med kommuneki postmottak settings --lawful-basis …) "
    "først."
)


def model_name(tenant_id: int) -> str:
    return f"postmottak-tekst-t{tenant_id}"


def new_model_version() -> str:
    # microseconds: two trainings within one second (a script, the tests) are two versions, not a conflict
    return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")


def train_tenant(
    platform: Platform,
    tenant_id: int,
    raws: list[bytes],
    labels: list[dict[str, Any]],
    *,
    actor: str,
    description: str,
    version: str | None = None,
) -> dict[str, Any]:
    """Train on the tenant's handled mail (personal data): refuses unless the tenant has recorded its
    lawful basis. Holds out every fifth message for the card's metrics; registers the model. The
    history comes from ``history.load_all`` (folder, CSV or Noark 5 journal export) or any other list.
    ``version``: chosen by whoever submitted the training (the task :func:`train_task`), so a run again
    after its worker died finds the model an earlier run registered and registers nothing twice."""
    from . import training

    name = model_name(tenant_id)
    if version is not None:
        with platform.db.read_session(tenant_id) as session:
            done = session.scalar(
                select(ModelVersion).where(
                    ModelVersion.tenant_id == tenant_id,
                    ModelVersion.name == name,
                    ModelVersion.version == version,
                )
            )
            if done is not None:
                return {**modelreg.model_dict(done), "already": True}
    with platform.db.tenant_session(tenant_id) as session:
        basis = _legal_basis(platform, session, tenant_id)
    if not basis or len(str(basis).strip()) < 10:
        raise Forbidden(NO_BASIS)
    if len(raws) < 50:
        raise InvalidInput("For lite historikk: minst 50 behandlede meldinger trengs for å trene.")
    train_idx = [i for i in range(len(raws)) if i % 5 != 4]
    held_idx = [i for i in range(len(raws)) if i % 5 == 4]
    version = version or new_model_version()
    # heads the history cannot train (one class only: a journal export is all journalføres) are kept
    # from the shipped default model and named in the card
    model = training.train_on(
        [raws[i] for i in train_idx],
        [labels[i] for i in train_idx],
        version=version,
        name=name,
        base=engine.default_model(),
    )
    metrics = training.evaluate(model, [raws[i] for i in held_idx], [labels[i] for i in held_idx])
    card = training.model_card(
        model,
        metrics,
        training_time_s=model.meta.get("training_time_s"),
        personal_data=True,
        description=description,
        lawful_basis=str(basis),
    )
    card["metrics"]["split"] = "hver femte melding holdt utenfor treningen"
    with platform.db.tenant_session(tenant_id) as session:
        mv = modelreg.register(
            session,
            tenant_id=tenant_id,
            card=card,
            artifact=model.dumps(),
            artifact_dir=platform.model_dir,
            created_by=actor,
        )
        return modelreg.model_dict(mv)


# --- long work on the workers: imports and training (core.tasks) ----------------------------------------

IMPORT_TASK = "postmottak.import"
TRAIN_TASK = "postmottak.train"
IMPORT_CHUNK = 25  # messages per queue task of an import
HISTORY_KIND = "history"
HISTORY_SUFFIXES = (".csv", ".xml", ".zip")
MESSAGE_SUFFIXES = (".eml", ".msg", ".mbox")


def store_messages(
    platform: Platform, tenant_id: int, files: list[tuple[str, bytes]], *, source: str, actor: str
) -> list[int]:
    """Store every message of the files (an .mbox split into its messages) as ``received`` — the arrival
    pipeline's first transaction, quick — for an import on the workers (:func:`submit_import`). Bytes
    this tenant's postmottak already holds are not stored again (the existing message's id is returned):
    an import run again stores nothing twice."""
    from ...ingest.email import split_mbox

    ids: list[int] = []
    for name, data in files:
        raws = split_mbox(data) if name.lower().endswith(".mbox") else [data]
        for raw in raws:
            pm_id, _new = receive(
                platform,
                tenant_id,
                raw,
                source=source,
                actor=actor,
                filename=Path(name).name,
                dedupe_content=True,
            )
            ids.append(pm_id)
    return list(dict.fromkeys(ids))


def submit_import(platform: Platform, tenant_id: int, pm_ids: list[int], *, actor: str) -> int:
    """Triage stored messages on the workers, :data:`IMPORT_CHUNK` per queue task (``/jobber/{id}`` shows
    the share done); the batch job's id."""
    return tasks.submit_chunks(
        platform,
        tenant_id,
        IMPORT_TASK,
        tasks.chunked(pm_ids, key="message_ids", size=IMPORT_CHUNK, actor=actor),
        actor=actor,
        result_url="/postmottak",
        failure_url="/postmottak",
    )


def import_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """One chunk of an import (``postmottak.import``): process each of its messages still ``received``,
    one transaction each (a chunk run again after its worker died does only what is left: no message
    gets its suggestions twice), then carry out the automated actions of its messages that an earlier
    run decided but did not get to (:func:`carry_out_automated`)."""
    pm_ids = [int(i) for i in payload.get("message_ids", [])]
    actor = str(payload.get("actor") or "system")
    counts = {"triaged": 0, "failed": 0, "skipped": 0}
    for n, pm_id in enumerate(pm_ids, start=1):
        try:
            result = process(platform, tenant_id, pm_id, actor=actor)
        except NotFound:  # erased since it was stored
            counts["skipped"] += 1
        else:
            key = (
                "skipped" if result.get("skipped") else "failed" if result["state"] == "failed" else "triaged"
            )
            counts[key] += 1
        report(n / max(1, len(pm_ids)), f"Melding {n} av {len(pm_ids)}")
    counts["executed"] = len(carry_out_automated(platform, tenant_id, message_ids=pm_ids, actor=actor))
    return counts


def merge_import(platform: Platform, tenant_id: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    """An import's result, from its chunks'."""
    total = {
        k: sum(int((r or {}).get(k) or 0) for r in results)
        for k in ("triaged", "failed", "skipped", "executed")
    }
    return {
        **total,
        "chunks": len(results),
        "message": (
            f"{total['triaged']} meldinger sortert, {total['failed']} kunne ikke leses, "
            f"{total['skipped']} var sortert fra før."
        ),
    }


def carry_out_automated(
    platform: Platform, tenant_id: int, *, message_ids: list[int] | None = None, actor: str = "system"
) -> list[dict[str, Any]]:
    """Carry out the action suggestions an automation policy accepted that have no action recorded yet:
    a run stopped (its worker killed) between committing a message's triage and forwarding or deleting
    it leaves such a suggestion, and the next run forwards it — once: :func:`execute` records the action
    with the forward. A forward that failed (SMTP down) is recorded as ``forward_failed`` and waits for
    a person, not for the next poll. ``message_ids``: only these messages (an import chunk)."""
    from .models import PostmottakAction as Action

    with platform.db.read_session(tenant_id) as session:
        stmt = (
            select(Suggestion.id)
            .join(Decision, Decision.suggestion_id == Suggestion.id)
            .join(PostmottakMessage, PostmottakMessage.item_id == Suggestion.item_id)
            .where(
                Suggestion.service == SERVICE,
                Suggestion.kind.in_(ACTION_KINDS),
                Suggestion.status == "accepted",
                Decision.actor_policy_id.is_not(None),
                PostmottakMessage.state == "triaged",
                ~select(Action.id).where(Action.suggestion_id == Suggestion.id).exists(),
            )
            .order_by(Suggestion.id)
        )
        if message_ids is not None:
            stmt = stmt.where(PostmottakMessage.id.in_(message_ids))
        pending = list(session.scalars(stmt))
    return [_execute_automated(platform, tenant_id, sid, actor=actor) for sid in pending]


def _execute_automated(platform: Platform, tenant_id: int, sid: int, *, actor: str) -> dict[str, Any]:
    try:
        return execute(platform, tenant_id, sid, actor=actor)
    except DomainError as exc:  # e.g. SMTP down: the decision stands, the action waits for a person
        _record_failed_forward(platform, tenant_id, sid, exc.message, actor=actor)
        return {"done": "failed", "error": exc.message, "suggestion": sid}


def _record_failed_forward(platform: Platform, tenant_id: int, sid: int, error: str, *, actor: str) -> None:
    with platform.db.tenant_session(tenant_id) as session:
        s = session.get(Suggestion, sid)
        pm = session.scalar(select(PostmottakMessage).where(PostmottakMessage.item_id == s.item_id))
        if pm is None:
            return
        session.add(
            PostmottakAction(
                message_id=pm.id,
                suggestion_id=sid,
                action="forward_failed",
                actor=actor,
                automated=True,
                detail={"error": error[:500]},
            )
        )


def store_history(
    platform: Platform, tenant_id: int, files: list[tuple[str, bytes]], *, source: str, actor: str
) -> list[int]:
    """Store history sources (.csv, Noark 5 .xml, or a .zip of a folder or an extract with its documents:
    ``history.pack``) as items of this service, for a training on the workers (:func:`submit_training`).
    The history is personal data: it stays in the tenant's blob store, under its retention and erasure."""
    for name, _data in files:
        if not name.lower().endswith(HISTORY_SUFFIXES):
            raise InvalidInput(
                f"{name}: historikk må være en CSV-fil (.csv), et Noark 5-arkivuttrekk (.xml) eller en .zip "
                "med en mappe eller et uttrekk."
            )
    ids = []
    with platform.db.tenant_session(tenant_id) as session:
        for name, data in files:
            arrival = items.ingest(
                session,
                platform.blobs,
                tenant_id,
                service=SERVICE,
                kind=HISTORY_KIND,
                data=data,
                filename=Path(name).name,
                source=source,
                actor=actor,
                content_type="application/zip" if name.lower().endswith(".zip") else "text/plain",
            )
            arrival.item.state = "stored"
            ids.append(arrival.item.id)
    return ids


def tenant_models(platform: Platform, tenant_id: int) -> list[dict[str, Any]]:
    """The postmottak models trained for this tenant, newest first."""
    with platform.db.read_session(tenant_id) as session:
        rows = session.scalars(
            select(ModelVersion)
            .where(ModelVersion.service == SERVICE, ModelVersion.tenant_id == tenant_id)
            .order_by(ModelVersion.id.desc())
            .limit(20)
        ).all()
        return [modelreg.model_dict(mv) for mv in rows]


def require_training_basis(platform: Platform, tenant_id: int) -> None:
    """Refuse before anything is stored or started when the tenant has recorded no lawful basis."""
    with platform.db.read_session(tenant_id) as session:
        basis = _legal_basis(platform, session, tenant_id)
    if not basis or len(str(basis).strip()) < 10:
        raise Forbidden(NO_BASIS)


def submit_training(platform: Platform, tenant_id: int, item_ids: list[int], *, actor: str) -> int:
    """Train the tenant's model on stored history items on a worker (``postmottak.train``); the job's id.
    The model's version is chosen here, so the task is idempotent (:func:`train_tenant`)."""
    require_training_basis(platform, tenant_id)
    return tasks.submit(
        platform,
        tenant_id,
        TRAIN_TASK,
        {"item_ids": [int(i) for i in item_ids], "version": new_model_version(), "actor": actor},
        actor=actor,
        result_url="/postmottak/trening",
        failure_url="/postmottak/trening",
    )


def train_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The task ``postmottak.train``: read the stored history items (``history.load``; unit names mapped
    to the tenant's unit codes), train and register the model (:func:`train_tenant`, with the version
    the submitter chose: a run again after a worker died registers nothing twice)."""
    import tempfile

    from .history import load_all, map_units

    actor = str(payload.get("actor") or "system")
    report(0.02, "Leser historikken")
    with platform.db.read_session(tenant_id) as session:
        rows = [session.get(Item, int(i)) for i in payload.get("item_ids", [])]
        if any(r is None or r.service != SERVICE or r.kind != HISTORY_KIND for r in rows):
            raise NotFound("Historikken finnes ikke lenger.")
        sources = [
            (r.filename or f"historikk-{r.id}.csv", items.read_content(session, platform.blobs, r))
            for r in rows
        ]
        units = [(u.code, u.name) for u in session.scalars(select(Unit))]
    with tempfile.TemporaryDirectory(prefix="kommuneki-postmottak-") as tmp:
        paths = []
        for n, (name, data) in enumerate(sources):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            path = folder / Path(name).name
            path.write_bytes(data)
            paths.append(path)
        hist = load_all(paths)
    map_units(hist, units)
    report(0.3, f"Trener modellen på {len(hist.raws)} meldinger")
    description = f"Behandlet e-post fra {', '.join(hist.sources)}; {len(hist.raws)} meldinger" + (
        f", {len(hist.problems)} rader utelatt." if hist.problems else "."
    )
    mv = train_tenant(
        platform,
        tenant_id,
        hist.raws,
        hist.labels,
        actor=actor,
        description=description,
        version=str(payload.get("version") or new_model_version()),
    )
    report(0.98, "Modellen er registrert")
    accuracy = (mv.get("card") or {}).get("metrics", {}).get("accuracy", {})
    return {
        "message": f"Registrert {mv['name']} {mv['version']} (trent på {len(hist.raws)} meldinger)."
        + (f" {len(hist.problems)} rader utelatt." if hist.problems else ""),
        "model_id": mv.get("id"),
        "name": mv["name"],
        "version": mv["version"],
        "messages": len(hist.raws),
        "left_out": len(hist.problems),
        "problems": hist.problems[:50],
        "accuracy": accuracy,
        "already": bool(mv.get("already")),
    }
