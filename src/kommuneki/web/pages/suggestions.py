"""One suggestion: its input, explanation, history and the decision form (accept, change, reject)."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ...core import audit, items, suggestions
from ...core.errors import DomainError, InvalidInput
from ...core.models import SuggestionStatus, User
from ...core.permissions import Principal, authorize
from ..deps import RowId, get_platform, page_principal
from ..forms import form_action, local_path
from ..labels import OUTCOME_LABELS
from ..rendering import render, value_label
from ..shapes import audit_dict

router = APIRouter(include_in_schema=False)


@router.get("/forslag/{suggestion_id}")
def suggestion_page(
    suggestion_id: RowId, request: Request, principal: Principal = Depends(page_principal), tilbake: str = ""
):
    return _suggestion_view(request, principal, suggestion_id, back=tilbake)


@router.post("/forslag/{suggestion_id}/avgjor")
async def decide(suggestion_id: RowId, request: Request, principal: Principal = Depends(page_principal)):
    platform = get_platform(request)
    form = await request.form()
    outcome = str(form.get("outcome", ""))
    reason = str(form.get("reason", ""))
    back = local_path(str(form.get("tilbake", "")))
    final_value = None

    def show_again(exc: DomainError):
        # the form again as it was sent, with the error beside it: a redirect would reset the
        # chosen outcome to "accept", and the next click could accept by mistake
        sent = {
            "outcome": outcome,
            "reason": reason,
            "values": {k[3:]: str(v) for k, v in form.multi_items() if k.startswith("v__")},
        }
        return _suggestion_view(
            request,
            principal,
            suggestion_id,
            sent=sent,
            error=exc.message,
            status_code=exc.http_status,
            back=back,
        )

    target = f"/forslag/{suggestion_id}" + (f"?{urlencode({'tilbake': back})}" if back else "")
    with form_action(request, target, show_again=show_again) as action:
        if outcome == "changed":
            final_value = _changed_value(form)

        def decide_in_database() -> None:
            with platform.db.tenant_session(principal.tenant_id) as session:
                suggestions.decide(
                    session,
                    platform.registry,
                    principal,
                    suggestion_id,
                    outcome=outcome,
                    final_value=final_value,
                    reason=reason,
                )

        await run_in_threadpool(decide_in_database)  # off the event loop
        action.done(f"Forslaget er {OUTCOME_LABELS.get(outcome, outcome).lower()}.")
    return action.response


def _suggestion_view(
    request: Request,
    principal: Principal,
    suggestion_id: int,
    *,
    sent: dict | None = None,
    error: str | None = None,
    status_code: int = 200,
    back: str = "",
):
    platform = get_platform(request)
    with platform.db.read_session(principal.tenant_id) as session:
        s = suggestions.get_suggestion(session, suggestion_id)
        spec = platform.registry.get(s.service)
        authorize(principal, "queue.read", service=s.service)
        sd = suggestions.suggestion_dict(s)
        item = None
        if s.item is not None:
            items.authorize_read(principal, s.item, platform.registry)
            item = {
                "id": s.item.id,
                "title": s.item.title or s.item.filename,
                "text": s.item.text,
                "received_at": s.item.received_at,
                "source": s.item.source,
                "state": s.item.state,
                "removed": s.item.content_removed_reason,
                "duplicate_of_id": s.item.duplicate_of_id,
            }
        decider = None
        if s.decision and s.decision.actor_user:
            decider = s.decision.actor_user.full_name or s.decision.actor_user.username
        history = (
            [audit_dict(e) for e in audit.query(session, principal.tenant_id, item_id=s.item_id)]
            if s.item_id
            else []
        )
        user_ids = {
            int(e["actor"][5:])
            for e in history
            if e["actor"].startswith("user:") and e["actor"][5:].isdigit()
        }
        names = (
            {
                f"user:{uid}": full or uname
                for uid, full, uname in session.execute(
                    select(User.id, User.full_name, User.username).where(User.id.in_(user_ids))
                )
            }
            if user_ids
            else {}
        )
        for e in history:
            e["actor_name"] = names.get(e["actor"]) or (
                "automatiseringsregel" if e["actor"].startswith("policy:") else e["actor"]
            )
        kind = spec.kind(s.kind) if spec else None
        choice_lists = {
            key: suggestions.choices(session, source)
            for key, source in (suggestions.choice_fields(kind) if kind else {}).items()
        }
    can_decide = sd["status"] == SuggestionStatus.PENDING.value and principal.can(
        "suggestion.decide", service=spec.name if spec else None
    )
    editable = _editable_fields(
        sd["value"], kind.value_schema if kind else {}, choice_lists, platform.registry.value_labels()
    )
    if sent:
        for f in editable:
            f["text"] = sent["values"].get(f["key"], f["text"])
    return render(
        request,
        "suggestion.html",
        principal,
        status_code=status_code,
        s=sd,
        item=item,
        spec=spec,
        kind=kind,
        decider=decider,
        can_decide=can_decide,
        history=history,
        editable=editable,
        sent=sent or {"outcome": "accepted", "reason": ""},
        form_error=error,
        back=local_path(back),
    )


def _editable_fields(
    value: dict[str, Any],
    value_schema: dict[str, Any] | None = None,
    choice_lists: dict[str, list[tuple[str, str]]] | None = None,
    value_labels: dict[str, dict[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """The change form's fields: key, current value as text, whether it is JSON, its type name, and the
    allowed choices where the kind's value schema lists them (``enum``) or names a list of the tenant's
    (``x-kommuneki-choices``: ``choice_lists`` holds those, read by the caller)."""
    props = (value_schema or {}).get("properties", {})
    choice_lists = choice_lists or {}
    out = []
    for k, v in (value or {}).items():
        enum = props.get(k, {}).get("enum")
        options = (
            [(str(o), str(value_label(o, k, value_labels))) for o in enum]
            if enum and all(isinstance(o, str) for o in enum)
            else None
        )
        if k in choice_lists:
            options = list(choice_lists[k])
            if v is not None and all(code != v for code, _l in options):
                options.insert(0, (str(v), f"{v} (finnes ikke lenger)"))
            nullable = "null" in (props.get(k, {}).get("type") or [])
            if nullable:
                options.insert(0, ("", "Ingen"))
            f = {"key": k, "text": "" if v is None else str(v), "is_json": False}
            f["type"] = "str_or_none" if nullable else "str"
            f["options"] = options
            out.append(f)
            continue
        if isinstance(v, bool):
            f = {"key": k, "text": "true" if v else "false", "is_json": False, "type": "bool"}
        elif isinstance(v, (int, float)):
            f = {"key": k, "text": str(v), "is_json": False, "type": type(v).__name__}
        elif isinstance(v, str) or v is None:
            f = {"key": k, "text": v or "", "is_json": False, "type": "str"}
        else:
            f = {"key": k, "text": json.dumps(v, ensure_ascii=False), "is_json": True, "type": "json"}
        f["options"] = options
        out.append(f)
    return out


def _changed_value(form) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, raw in form.multi_items():
        if not key.startswith("v__"):
            continue
        name = key[3:]
        raw = str(raw)
        if form.get(f"j__{name}"):
            try:
                value[name] = json.loads(raw)
            except ValueError as exc:
                raise InvalidInput(f"Feltet {name} må være gyldig JSON.") from exc
        else:
            value[name] = _coerce(raw, form.get(f"t__{name}", "str"))
    return value


def _coerce(raw: str, type_name: str) -> Any:
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            x = float(raw.replace(",", "."))
            if not math.isfinite(x):  # "nan", "inf": no JSON number, and PostgreSQL's JSON refuses them
                raise ValueError(raw)
            return x
        if type_name == "bool":
            return raw.lower() in ("1", "true", "ja", "on")
        if type_name == "str_or_none":
            return raw or None
    except ValueError as exc:
        raise InvalidInput(f"«{raw}» er ikke et gyldig tall.") from exc
    return raw
