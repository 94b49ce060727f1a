"""The tenant's settings page (``/admin/innstillinger``): every registered service's settings, one form
per service, generated from its pydantic model (``ServiceSpec.settings``). A refused value is shown
beside its field, with the form as it was sent; a saved change is audited (``core/tenant_settings.py``).
"""

from __future__ import annotations

import json
import types
from typing import Any, Literal, Union, get_args, get_origin

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ...core import tenant_settings
from ...core.errors import DomainError, InvalidInput
from ...core.permissions import Principal, authorize
from ..deps import get_platform, page_principal
from ..forms import form_action
from ..rendering import redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/admin/innstillinger"


def _widget(annotation: Any) -> tuple[str, bool, list[str]]:
    """(widget, nullable, choices) for a field's type: ``checkbox``, ``select``, ``int``, ``float``,
    ``lines`` (a list of texts, one per line), ``text``, or ``json`` for anything else."""
    nullable = False
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
        origin = get_origin(annotation)
    if annotation is bool:
        return "checkbox", nullable, []
    if origin is Literal:
        return "select", nullable, [str(a) for a in get_args(annotation)]
    if annotation is int:
        return "int", nullable, []
    if annotation is float:
        return "float", nullable, []
    if origin in (list, tuple, set) and get_args(annotation)[:1] == (str,):
        return "lines", nullable, []
    if annotation is str:
        return "text", nullable, []
    return "json", nullable, []


def _shown(value: Any, widget: str) -> str:
    """A value as the form shows it: decimal comma, one line per list entry."""
    if value is None:
        return ""
    if widget == "float":
        return f"{value:g}".replace(".", ",")
    if widget == "lines":
        return "\n".join(str(v) for v in value)
    if widget == "json":
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _limits(field: FieldInfo) -> str:
    """The allowed range as a hint (``fra 7 til 56``), from the field's own constraints."""
    low = high = None
    for rule in field.metadata:
        for name in ("ge", "gt"):
            if getattr(rule, name, None) is not None:
                low = (name, getattr(rule, name))
        for name in ("le", "lt"):
            if getattr(rule, name, None) is not None:
                high = (name, getattr(rule, name))

    def num(value: Any) -> str:
        return str(value).replace(".", ",")

    parts = []
    if low:
        parts.append(("minst " if low[0] == "ge" else "over ") + num(low[1]))
    if high:
        parts.append(("høyst " if high[0] == "le" else "under ") + num(high[1]))
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def settings_form(
    model: type[BaseModel],
    values: BaseModel,
    *,
    is_operator: bool,
    sent: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The form's fields in the model's order: name, Norwegian label, widget, shown text, choices, the
    allowed range, whether only the operator may change it, and the error beside it."""
    locked = tenant_settings.operator_only(model)
    current = values.model_dump(mode="json")
    out = []
    for name, field in model.model_fields.items():
        widget, nullable, choices = _widget(field.annotation)
        text = _shown(current.get(name), widget)
        if sent is not None and name not in locked:
            text = sent.get(name, text) if widget != "checkbox" else ("on" if sent.get(name) else "")
        out.append(
            {
                "name": name,
                "label": field.title or name.replace("_", " ").capitalize(),
                "description": field.description or "",
                "widget": widget,
                "nullable": nullable,
                "choices": choices,
                "text": text,
                "checked": bool(current.get(name)) if sent is None else bool(sent.get(name)),
                "limits": _limits(field) if widget in ("int", "float") else "",
                "locked": name in locked and not is_operator,
                "error": (errors or {}).get(name, ""),
            }
        )
    return out


def parse_form(model: type[BaseModel], form: Any, *, is_operator: bool) -> tuple[dict, dict[str, str]]:
    """(changes for :func:`tenant_settings.change`, the texts as sent) from a posted form: a decimal
    comma is a decimal point, spaces in numbers are dropped, a list has one entry per line, an empty
    optional field is None, an unchecked box is False, a field not sent stays as it is. Operator-only
    fields are left out for others."""
    locked = set() if is_operator else tenant_settings.operator_only(model)
    changes: dict[str, Any] = {}
    sent: dict[str, str] = {}
    for name, field in model.model_fields.items():
        if name in locked:
            continue
        widget, nullable, _choices = _widget(field.annotation)
        if widget != "checkbox" and name not in form:
            continue  # not sent: unchanged (an unchecked box is sent as nothing, so it means False)
        raw = str(form.get(name, ""))
        sent[name] = raw
        if widget == "checkbox":
            changes[name] = name in form
        elif nullable and not raw.strip():
            changes[name] = None
        elif widget in ("int", "float"):
            number = raw.replace("\u00a0", "").replace(" ", "").strip()
            changes[name] = number.replace(",", ".") if widget == "float" else number
        elif widget == "lines":
            changes[name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif widget == "json":
            try:
                changes[name] = json.loads(raw)
            except ValueError:
                changes[name] = raw  # refused by the model, with its message beside the field
        else:
            changes[name] = raw.strip()
    return changes, sent


def _page(request: Request, principal: Principal, *, failed: dict | None = None, status_code: int = 200):
    platform = get_platform(request)
    with platform.db.read_session(principal.tenant_id) as session:
        services = tenant_settings.read_all(session, platform.registry, principal.tenant_id)
    forms = []
    for entry in services:
        mine = failed if failed and failed["service"] == entry.spec.name else None
        forms.append(
            {
                "service": entry.spec.name,
                "title": entry.spec.title,
                "fields": settings_form(
                    entry.model,
                    entry.values,
                    is_operator=principal.is_operator,
                    sent=mine["sent"] if mine else None,
                    errors=mine["errors"] if mine else None,
                ),
                "error": mine["message"] if mine else "",
            }
        )
    return render(request, "admin_settings.html", principal, status_code=status_code, forms=forms)


@router.get(PAGE)
def settings_page(request: Request, principal: Principal = Depends(page_principal)):
    authorize(principal, "tenant.manage")
    return _page(request, principal)


@router.post(PAGE + "/{service}")
async def settings_save(service: str, request: Request, principal: Principal = Depends(page_principal)):
    authorize(principal, "tenant.manage")
    platform = get_platform(request)
    spec = platform.registry.get(service)
    model = tenant_settings.model_of(spec) if spec else None
    if spec is None or model is None:
        return redirect(PAGE, ("error", "Tjenesten har ingen innstillinger."), request)
    form = await request.form()
    changes, sent = parse_form(model, form, is_operator=principal.is_operator)

    def show_again(exc: DomainError):  # the form as sent, each refusal beside its field
        errors = {d["field"]: d["message"] for d in exc.details if d.get("field")}
        failed = {"service": service, "sent": sent, "errors": errors, "message": exc.message}
        return _page(request, principal, failed=failed, status_code=exc.http_status)

    with form_action(request, PAGE, show_again=show_again, catch=InvalidInput) as action:
        with platform.db.tenant_session(principal.tenant_id) as session:
            _values, changed = tenant_settings.change(session, platform.registry, principal, service, changes)
        said = "Innstillingene for {} er lagret." if changed else "Ingen endringer for {}."
        action.done(said.format(spec.title), to=f"{PAGE}#{service}")
    return action.response
