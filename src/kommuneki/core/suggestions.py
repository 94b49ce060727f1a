"""Suggestions and decisions — the decision-support contract.

A service calls :func:`suggest` with its proposal; the core validates the explanation against the kind's
schema, records it and its audit entry in the caller's transaction, supersedes an older pending
suggestion for the same item and kind (saying so), and applies the tenant's automation policy. A person
settles a suggestion with :func:`decide`. Services own their transaction: nothing here commits.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import fastjsonschema
import jsonschema
from sqlalchemy import Select, Text, cast, func, insert, or_, select, update
from sqlalchemy.orm import Session

from . import audit
from .db import utcnow
from .errors import Conflict, InvalidInput, NotFound
from .models import AutomationPolicy, Decision, Item, Outcome, Suggestion, SuggestionStatus, Unit
from .permissions import Principal, authorize
from .proposal import Proposal
from .registry import ServiceRegistry

# Every explanation has at least this shape; a kind's own schema adds to it.
EXPLANATION_BASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["summary"],
    "properties": {
        "summary": {"type": "string", "description": "One Norwegian sentence a reviewer reads first."},
        "evidence": {
            "type": "array",
            "description": "Spans, terms, rules or features that support it.",
            "items": {"type": "object"},
        },
    },
}


class CpuMeter:
    """Measures the CPU time of a batch and apportions it over the batch's proposals, so that energy
    use per service can be reported even when work is done in bulk (valuing 100,000 dwellings).

        with CpuMeter() as meter:
            proposals = engine.value_all(rows)
        meter.apportion(proposals)            # equal shares, or pass weights (e.g. text lengths)
    """

    def __enter__(self) -> "CpuMeter":
        self.start = time.process_time()
        self.ms = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.ms = (time.process_time() - self.start) * 1000

    def apportion(self, proposals: list["Proposal"], weights: list[float] | None = None) -> None:
        if not proposals:
            return
        weights = weights or [1.0] * len(proposals)
        total = sum(weights) or 1.0
        for p, w in zip(proposals, weights, strict=True):
            p.cpu_ms += self.ms * w / total


_VALIDATORS: dict[str, Any] = {}


def _validator(schema: dict[str, Any]):
    """A compiled validator per schema; checking the schema itself each time cost ~7 ms a suggestion."""
    key = json.dumps(schema, sort_keys=True)
    v = _VALIDATORS.get(key)
    if v is None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        v = _VALIDATORS[key] = cls(schema)
    return v


_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}


def _is_valid(schema: dict[str, Any], value: Any) -> bool:
    """The fast path of every check: the schema compiled to Python by fastjsonschema (a valuation's
    explanation took ~1.5 ms with jsonschema's validator, ~40 µs compiled); jsonschema itself where the
    schema is beyond fastjsonschema's drafts. jsonschema still words the error when a value is invalid."""
    entry = _COMPILED.get(id(schema))
    if entry is None or entry[0] is not schema:
        try:
            compiled = fastjsonschema.compile(schema)
        except Exception:  # noqa: BLE001 - an unsupported keyword: validate with jsonschema instead
            compiled = None
        entry = _COMPILED[id(schema)] = (schema, compiled)
    compiled = entry[1]
    if compiled is None:
        return _validator(schema).is_valid(value)
    try:
        compiled(value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def check_value(kind: Any, value: Any, what: str = "Verdien") -> None:
    """Refuse a value that does not match the kind's ``value_schema`` (an empty schema allows any object)."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} må være et objekt.")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:  # NaN, infinity or something that is not JSON at all
        raise InvalidInput(f"{what} må være gyldig JSON (ikke NaN eller uendelig).") from exc
    if kind.value_schema and not _is_valid(kind.value_schema, value):
        error = jsonschema.exceptions.best_match(_validator(kind.value_schema).iter_errors(value))
        if error is not None:
            where = "/".join(str(x) for x in error.absolute_path)
            raise InvalidInput(
                f"{what} følger ikke skjemaet for {kind.name}: {error.message}"
                + (f" (felt {where})" if where else ""),
                details=[{"field": where}] if where else None,
            )


def _check_proposal(kind: Any, proposal: Proposal) -> None:
    if not 0.0 <= proposal.confidence <= 1.0:
        raise InvalidInput("Sikkerheten må være mellom 0 og 1.")
    for schema in (EXPLANATION_BASE_SCHEMA, kind.explanation_schema):
        if _is_valid(schema, proposal.explanation):  # the common case, without collecting errors
            continue
        error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(proposal.explanation))
        if error is None:  # the two validators disagree: jsonschema, the reference, decides
            continue
        raise InvalidInput(f"Forklaringen følger ikke skjemaet for {proposal.kind}: {error.message}")
    check_value(kind, proposal.value, "Den foreslåtte verdien")


def suggest_many(
    session: Session,
    registry: ServiceRegistry,
    tenant_id: int,
    service: str,
    proposals: list[tuple[Proposal, int | None]],
    *,
    actor: str = "system",
) -> list[int]:
    """Record many suggestions of one service at once (bulk work: a valuation's review queue): the same
    rows, supersessions and audit entries as :func:`suggest` one by one, in a few statements. Each
    proposal is checked as :func:`suggest` checks it. A kind the tenant automates falls back to
    :func:`suggest` one by one (its decisions need the full path). Returns the ids, in order."""
    if session.info.get("tenant_id") != tenant_id:
        raise ValueError("suggest_many needs a session of the same tenant")
    spec = registry.get(service)
    if spec is None:
        raise InvalidInput(f"Ukjent tjeneste: {service}")
    if not proposals:
        return []
    kinds = {}
    for proposal, _item_id in proposals:
        kind = kinds.get(proposal.kind) or spec.kind(proposal.kind)
        if kind is None:
            raise InvalidInput(f"Tjenesten {service} kjenner ikke forslagstypen {proposal.kind}")
        kinds[proposal.kind] = kind
        _check_proposal(kind, proposal)
    automated = {
        name
        for name, kind in kinds.items()
        if kind.automatable
        and session.scalar(
            select(AutomationPolicy.id).where(
                AutomationPolicy.service == service,
                AutomationPolicy.kind == name,
                AutomationPolicy.enabled.is_(True),
            )
        )
        is not None
    }
    if automated:
        return [
            suggest(session, registry, tenant_id, service, proposal, item_id=item_id, actor=actor).id
            for proposal, item_id in proposals
        ]
    session.flush()
    item_ids = sorted({item_id for _p, item_id in proposals if item_id is not None})
    older: dict[tuple[int, str], list[int]] = {}
    for start in range(0, len(item_ids), 500):
        part = item_ids[start : start + 500]
        for sid, item_id, kind_name in session.execute(
            select(Suggestion.id, Suggestion.item_id, Suggestion.kind).where(
                Suggestion.item_id.in_(part),
                Suggestion.service == service,
                Suggestion.status == SuggestionStatus.PENDING.value,
            )
        ):
            older.setdefault((item_id, kind_name), []).append(sid)
    rows = [
        {
            "tenant_id": tenant_id,
            "item_id": item_id,
            "service": service,
            "kind": proposal.kind,
            "value": proposal.value,
            "confidence": float(proposal.confidence),
            "explanation": proposal.explanation,
            "model_name": proposal.model_name,
            "model_version": proposal.model_version,
            "input_hash": proposal.input_hash,
            "cpu_ms": proposal.cpu_ms,
        }
        for proposal, item_id in proposals
    ]
    ids: list[int] = []
    for start in range(0, len(rows), 1000):
        ids += session.scalars(
            insert(Suggestion).returning(Suggestion.id, sort_by_parameter_order=True),
            rows[start : start + 1000],
        ).all()
    entries = []
    superseded = []
    latest: dict[tuple[int, str], int] = {}
    for sid, (proposal, item_id) in zip(ids, proposals, strict=True):
        entries.append(
            {
                "event": "suggestion.created",
                "actor": actor,
                "subject": ("suggestion", sid),
                "item_id": item_id,
                "service": service,
                "kind": proposal.kind,
                "model": proposal.model_name,
                "model_version": proposal.model_version,
                "input_hash": proposal.input_hash,
                "confidence": round(float(proposal.confidence), 6),
                "value_sha256": audit.sha256_text(proposal.value),
                "explanation_sha256": audit.sha256_text(proposal.explanation),
                "cpu_ms": round(proposal.cpu_ms, 3),
            }
        )
        if item_id is None:
            continue
        key = (item_id, proposal.kind)
        previous = older.pop(key, [])
        if key in latest:  # the same item twice in the batch: the later one supersedes the earlier
            previous.append(latest[key])
        latest[key] = sid
        for old_id in previous:
            superseded.append(
                {"id": old_id, "status": SuggestionStatus.SUPERSEDED.value, "superseded_by_id": sid}
            )
            entries.append(
                {
                    "event": "suggestion.superseded",
                    "actor": actor,
                    "subject": ("suggestion", old_id),
                    "item_id": item_id,
                    "by": sid,
                }
            )
    if superseded:
        session.execute(update(Suggestion), superseded)
    audit.record_many(session, tenant_id, entries)
    return ids


# A value-schema property may say where its allowed values come from, beyond a fixed ``enum``:
# ``{"type": "string", "x-kommuneki-choices": "units"}`` — the code of one of the tenant's active units
# (``Unit.code``). The decision page shows such a field as a list to choose from, and a changed value
# outside the list is refused (a unit typed as free text, such as "finnesikke", is never stored).
CHOICES_KEY = "x-kommuneki-choices"


def choice_fields(kind: Any) -> dict[str, str]:
    """``{field: source}`` for the kind's value fields whose values come from a list (``"units"``)."""
    props = (getattr(kind, "value_schema", None) or {}).get("properties", {})
    return {k: p[CHOICES_KEY] for k, p in props.items() if isinstance(p, dict) and CHOICES_KEY in p}


def choices(session: Session, source: str) -> list[tuple[str, str]]:
    """The allowed (value, Norwegian label) pairs of a choice source, in the session's tenant."""
    if source == "units":
        return [
            (code, f"{name} ({code})")
            for code, name in session.execute(
                select(Unit.code, Unit.name).where(Unit.active.is_(True)).order_by(Unit.name)
            )
        ]
    raise ValueError(f"unknown choice source {source!r}")


def check_choices(session: Session, kind: Any, value: dict[str, Any]) -> None:
    """Refuse a value whose choice field (a unit) is not one of the tenant's allowed values. ``None``
    passes where the schema allows null (an action without a unit)."""
    for key, source in choice_fields(kind).items():
        v = value.get(key)
        if v is None:
            continue
        allowed = {code for code, _label in choices(session, source)}
        if v not in allowed:
            what = "enhet" if source == "units" else "verdi"
            raise InvalidInput(
                f"«{v}» er ikke en {what} i organisasjonen. Velg en av dem i listen.",
                details=[{"field": key}],
            )


def suggest(
    session: Session,
    registry: ServiceRegistry,
    tenant_id: int,
    service: str,
    proposal: Proposal,
    *,
    item_id: int | None = None,
    actor: str = "system",
) -> Suggestion:
    """Record a suggestion, supersede an older pending one, and apply automation if the tenant has
    switched it on for this kind. Refuses an unknown service or kind, a confidence outside 0–1, or an
    explanation that does not match the kind's schema."""
    spec = registry.get(service)
    if spec is None:
        raise InvalidInput(f"Ukjent tjeneste: {service}")
    kind = spec.kind(proposal.kind)
    if kind is None:
        raise InvalidInput(f"Tjenesten {service} kjenner ikke forslagstypen {proposal.kind}")
    if not 0.0 <= proposal.confidence <= 1.0:
        raise InvalidInput("Sikkerheten må være mellom 0 og 1.")
    _check_proposal(kind, proposal)
    s = Suggestion(
        tenant_id=tenant_id,
        item_id=item_id,
        service=service,
        kind=proposal.kind,
        value=proposal.value,
        confidence=float(proposal.confidence),
        explanation=proposal.explanation,
        model_name=proposal.model_name,
        model_version=proposal.model_version,
        input_hash=proposal.input_hash,
        cpu_ms=proposal.cpu_ms,
    )
    session.add(s)
    session.flush()
    audit.record(
        session,
        tenant_id,
        "suggestion.created",
        actor=actor,
        subject=("suggestion", s.id),
        item_id=item_id,
        service=service,
        kind=proposal.kind,
        model=proposal.model_name,
        model_version=proposal.model_version,
        input_hash=proposal.input_hash,
        confidence=round(float(proposal.confidence), 6),
        value_sha256=audit.sha256_text(proposal.value),
        explanation_sha256=audit.sha256_text(proposal.explanation),
        cpu_ms=round(proposal.cpu_ms, 3),
    )
    if item_id is not None:
        older = session.scalars(
            select(Suggestion).where(
                Suggestion.item_id == item_id,
                Suggestion.service == service,
                Suggestion.kind == proposal.kind,
                Suggestion.status == SuggestionStatus.PENDING.value,
                Suggestion.id != s.id,
            )
        ).all()
        for o in older:
            o.status = SuggestionStatus.SUPERSEDED.value
            o.superseded_by_id = s.id
            audit.record(
                session,
                tenant_id,
                "suggestion.superseded",
                actor=actor,
                subject=("suggestion", o.id),
                item_id=item_id,
                by=s.id,
            )
    if kind.automatable:
        policy = session.scalar(
            select(AutomationPolicy).where(
                AutomationPolicy.service == service, AutomationPolicy.kind == proposal.kind
            )
        )
        if policy is not None and policy.enabled and s.confidence >= policy.threshold:
            _settle(
                session,
                s,
                outcome=Outcome.ACCEPTED,
                final_value=s.value,
                reason=f"Automatisk: sikkerhet {s.confidence:.2f} ≥ terskel {policy.threshold:.2f}",
                actor=f"policy:{policy.id}",
                user_id=None,
                policy_id=policy.id,
            )
    return s


def decide(
    session: Session,
    registry: ServiceRegistry,
    principal: Principal,
    suggestion_id: int,
    *,
    outcome: str,
    final_value: dict[str, Any] | None = None,
    reason: str = "",
) -> Decision:
    """A person settles a pending suggestion: accepted (the value as proposed), changed (a new value,
    with a reason) or rejected (with a reason)."""
    s = get_suggestion(session, suggestion_id, for_update=True)
    spec = registry.get(s.service)
    authorize(principal, "suggestion.decide", service=spec.name if spec else None, policy=registry.policy)
    try:
        out = Outcome(outcome)
    except ValueError as exc:
        raise InvalidInput("Utfallet må være accepted, changed eller rejected.") from exc
    if s.status != SuggestionStatus.PENDING.value:
        raise Conflict("Forslaget er allerede avgjort eller erstattet av et nyere forslag.")
    reason = (reason or "").strip()
    if out is Outcome.CHANGED:
        if not isinstance(final_value, dict) or not final_value:
            raise InvalidInput("Oppgi den endrede verdien.")
        if not reason:
            raise InvalidInput("Oppgi en begrunnelse for endringen.")
        kind = spec.kind(s.kind) if spec else None
        if kind is not None:
            check_value(kind, final_value, "Den endrede verdien")
            check_choices(session, kind, final_value)
    if out is Outcome.REJECTED and not reason:
        raise InvalidInput("Oppgi en begrunnelse for avvisningen.")
    value = s.value if out is Outcome.ACCEPTED else (final_value if out is Outcome.CHANGED else None)
    return _settle(
        session,
        s,
        outcome=out,
        final_value=value,
        reason=reason,
        actor=principal.actor,
        user_id=principal.user_id,
        policy_id=None,
    )


def _settle(
    session: Session,
    s: Suggestion,
    *,
    outcome: Outcome,
    final_value: dict[str, Any] | None,
    reason: str,
    actor: str,
    user_id: int | None,
    policy_id: int | None,
) -> Decision:
    d = Decision(
        tenant_id=s.tenant_id,
        suggestion_id=s.id,
        actor_user_id=user_id,
        actor_policy_id=policy_id,
        outcome=outcome.value,
        final_value=final_value,
        reason=reason,
    )
    s.status = outcome.value
    session.add(d)
    session.flush()
    audit.record(
        session,
        s.tenant_id,
        "decision.made",
        actor=actor,
        subject=("decision", d.id),
        item_id=s.item_id,
        suggestion_id=s.id,
        outcome=outcome.value,
        final_value_sha256=audit.sha256_text(final_value),
        reason_sha256=audit.sha256_text(reason),
        automated=policy_id is not None,
        policy_id=policy_id,
    )
    return d


def get_suggestion(session: Session, suggestion_id: int, *, for_update: bool = False) -> Suggestion:
    """``for_update``: lock the row until the transaction ends (PostgreSQL), so that two people deciding
    the same suggestion at once are settled one after the other: the second sees it decided (409)."""
    if for_update:  # SELECT ... FOR UPDATE, read afresh even when the row is in the identity map
        s = session.get(Suggestion, suggestion_id, with_for_update=True, populate_existing=True)
    else:
        s = session.get(Suggestion, suggestion_id)
    # session.get may return an identity-map hit without the tenant filter: check explicitly
    if s is None or s.tenant_id != session.info.get("tenant_id", s.tenant_id):
        raise NotFound("Forslaget finnes ikke.")
    return s


MAX_FILTER_HOURS = 100 * 366 * 24  # a century


@dataclass
class QueueFilter:
    service: str | None = None
    kind: str | None = None
    status: str | None = SuggestionStatus.PENDING.value
    min_confidence: float | None = None
    max_confidence: float | None = None
    older_than_hours: float | None = None
    newer_than_hours: float | None = None
    limit: int = 50
    offset: int = 0

    def validate(self) -> None:
        if self.status and self.status not in {s.value for s in SuggestionStatus} | {"all"}:
            raise InvalidInput(f"Ukjent status: {self.status}")
        for v in (self.min_confidence, self.max_confidence):
            if v is not None and not 0 <= v <= 1:
                raise InvalidInput("Sikkerhet må være mellom 0 og 1.")
        if not 1 <= self.limit <= 500:
            raise InvalidInput("limit må være mellom 1 og 500.")
        if self.offset < 0:
            raise InvalidInput("offset kan ikke være negativ.")


def _filtered(stmt: Select, f: QueueFilter, now: datetime) -> Select:
    if f.service:
        stmt = stmt.where(Suggestion.service == f.service)
    if f.kind:
        stmt = stmt.where(Suggestion.kind == f.kind)
    if f.status and f.status != "all":
        stmt = stmt.where(Suggestion.status == f.status)
    if f.min_confidence is not None:
        stmt = stmt.where(Suggestion.confidence >= f.min_confidence)
    if f.max_confidence is not None:
        stmt = stmt.where(Suggestion.confidence <= f.max_confidence)
    # an age beyond a century reaches every suggestion there is; clamped, so that a huge filter (or
    # infinity) is not a date arithmetic overflow
    if f.older_than_hours is not None:
        stmt = stmt.where(
            Suggestion.created_at <= now - timedelta(hours=min(f.older_than_hours, MAX_FILTER_HOURS))
        )
    if f.newer_than_hours is not None:
        stmt = stmt.where(
            Suggestion.created_at >= now - timedelta(hours=min(f.newer_than_hours, MAX_FILTER_HOURS))
        )
    return stmt


def _queue_statement(
    f: QueueFilter,
    services: list[str] | None,
    excluded_kinds: list[str] | None,
    units: frozenset[str] | None,
) -> Select:
    f.validate()
    base = _filtered(select(Suggestion), f, utcnow())
    if services is not None:
        base = base.where(Suggestion.service.in_(services))
    if excluded_kinds:
        base = base.where(Suggestion.kind.not_in(excluded_kinds))
    if units is not None:
        restricted = select(Item.id).where(Item.unit_code.is_not(None), Item.unit_code.not_in(sorted(units)))
        base = base.where(or_(Suggestion.item_id.is_(None), Suggestion.item_id.not_in(restricted)))
    return base


def _queue_total(session: Session, base: Select) -> int:
    # count the filtered rows' ids, not a subquery of every column: the database answers it from
    # ix_suggestion_queue_scope without reading the table (it was 11 of 13 ms with 10,000 pending)
    return int(session.scalar(base.with_only_columns(func.count(Suggestion.id)).order_by(None)) or 0)


def list_queue(
    session: Session,
    f: QueueFilter,
    *,
    services: list[str] | None = None,
    excluded_kinds: list[str] | None = None,
    units: frozenset[str] | None = None,
) -> tuple[list[Suggestion], int]:
    """The review queue, oldest first (first in, first out), with the total count for paging.
    ``services`` limits the result to the services the principal may review; ``excluded_kinds`` are
    recorded suggestions that never enter the queue (a search answer, a forecast); ``units``: the
    principal's units (None: the whole tenant) — an item restricted to another unit stays out."""
    base = _queue_statement(f, services, excluded_kinds, units)
    rows = session.scalars(
        base.order_by(Suggestion.created_at, Suggestion.id).limit(f.limit).offset(f.offset)
    ).all()
    return list(rows), _queue_total(session, base)


# the columns of a queue row (``suggestion_dict(..., with_decision=False)`` without loading entities)
_LISTED_COLUMNS = (
    Suggestion.id,
    Suggestion.item_id,
    Suggestion.service,
    Suggestion.kind,
    Suggestion.value,
    Suggestion.confidence,
    Suggestion.explanation,
    Suggestion.model_name,
    Suggestion.model_version,
    Suggestion.input_hash,
    Suggestion.status,
    Suggestion.cpu_ms,
    Suggestion.created_at,
    Suggestion.superseded_by_id,
)


def queue_listing(
    session: Session,
    f: QueueFilter,
    *,
    services: list[str] | None = None,
    excluded_kinds: list[str] | None = None,
    units: frozenset[str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """:func:`list_queue` as plain rows, each shaped like ``suggestion_dict(s, with_decision=False)``:
    the listed columns are read as tuples, no ORM entities are built (a listing reads, never writes).
    Same filters, order and tenant scope."""
    base = _queue_statement(f, services, excluded_kinds, units)
    rows = session.execute(
        base.with_only_columns(*_LISTED_COLUMNS)
        .order_by(Suggestion.created_at, Suggestion.id)
        .limit(f.limit)
        .offset(f.offset)
    ).all()
    names = [c.key for c in _LISTED_COLUMNS]
    out = []
    for row in rows:
        d = dict(zip(names, row, strict=True))
        d["created_at"] = d["created_at"].isoformat() if d["created_at"] else None
        out.append(d)
    return out, _queue_total(session, base)


# the queue row's scalar columns; ``value`` and ``explanation`` are read as their stored JSON text
_SCALAR_COLUMNS = tuple(c for c in _LISTED_COLUMNS if c.key not in ("value", "explanation"))
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def queue_listing_body(
    session: Session,
    f: QueueFilter,
    *,
    services: list[str] | None = None,
    excluded_kinds: list[str] | None = None,
    units: frozenset[str] | None = None,
) -> bytes:
    """The API's queue answer ``{"total", "limit", "offset", "items"}`` as JSON bytes, its items equal to
    :func:`queue_listing`'s rows. ``value`` and ``explanation`` are spliced in as the JSON text the
    database holds (``CAST(... AS TEXT)``): 50 explanations are neither parsed into Python objects nor
    encoded again. Same filters, order, count and tenant scope as :func:`queue_listing`."""
    base = _queue_statement(f, services, excluded_kinds, units)
    rows = session.execute(
        base.with_only_columns(
            *_SCALAR_COLUMNS, cast(Suggestion.value, Text), cast(Suggestion.explanation, Text)
        )
        .order_by(Suggestion.created_at, Suggestion.id)
        .limit(f.limit)
        .offset(f.offset)
    ).all()
    names = [c.key for c in _SCALAR_COLUMNS]
    created = names.index("created_at")
    items = []
    for row in rows:
        scalars = list(row[: len(names)])
        if scalars[created] is not None:
            scalars[created] = scalars[created].isoformat()
        head = _encode(dict(zip(names, scalars, strict=True)))
        value, explanation = row[len(names)], row[len(names) + 1]
        items.append(f'{head[:-1]},"value":{value or "null"},"explanation":{explanation or "null"}}}')
    total = _queue_total(session, base)
    return f'{{"total":{total},"limit":{f.limit},"offset":{f.offset},"items":[{",".join(items)}]}}'.encode()


def suggestion_dict(s: Suggestion, *, with_decision: bool = True) -> dict[str, Any]:
    out = {
        "id": s.id,
        "item_id": s.item_id,
        "service": s.service,
        "kind": s.kind,
        "value": s.value,
        "confidence": s.confidence,
        "explanation": s.explanation,
        "model_name": s.model_name,
        "model_version": s.model_version,
        "input_hash": s.input_hash,
        "status": s.status,
        "cpu_ms": s.cpu_ms,
        "created_at": s.created_at.isoformat() if s.created_at else None,
        "superseded_by_id": s.superseded_by_id,
    }
    if with_decision:
        d = s.decision
        out["decision"] = (
            None
            if d is None
            else {
                "id": d.id,
                "outcome": d.outcome,
                "final_value": d.final_value,
                "reason": d.reason,
                "actor": (f"policy:{d.actor_policy_id}" if d.actor_policy_id else f"user:{d.actor_user_id}"),
                "decided_at": d.decided_at.isoformat() if d.decided_at else None,
            }
        )
    return out
