"""Rendering for the web UI: the template environment (loaders, filters, globals), ``render`` and
``redirect``. Labels are in ``web/labels.py``; page forms (``form_action``) in ``web/forms.py``.

Services render their pages with these too (``from kommuneki.web.rendering import render, redirect``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from ..core import accounts
from ..core.clock import to_local
from ..core.models import Tenant, User
from ..core.permissions import Principal
from .deps import csrf_token, get_platform
from .labels import (
    CONFIDENCE_LEVELS,
    FIELD_LABELS,
    OUTCOME_LABELS,
    ROLE_LABELS,
    SCORE_KEYS,
    STATUS_LABELS,
    VALUE_LABELS,
    EventLabels,
)


def _age(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    secs = (datetime.now(timezone.utc) - value).total_seconds()
    if secs < 90:
        return "nå nettopp"
    if secs < 5400:
        return f"for {int(secs // 60)} min siden"
    if secs < 36 * 3600:
        return f"for {int(secs // 3600)} t siden"
    return f"for {int(secs // 86400)} d siden"


def _dt(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return to_local(value).strftime("%d.%m.%Y %H:%M")  # stored in UTC, read in Norwegian time


def _pct(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100):d} %"


def _jsonpretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


_CODE_KEY = re.compile(r"(^|_)(id|code|kode|nr|no|number|nummer|year|ar|aar|index|seq)$|year|_at$")


def _num(value: Any, key: Any = None) -> str:
    """A number the Norwegian way: decimal comma, thin groups of thousands from 10 000 (not for
    identifiers, codes or years: ``area_code``, ``year_built``), three significant digits for fractions."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        value = int(value)
    if isinstance(value, int):
        if abs(value) < 10000 or (key is not None and _CODE_KEY.search(str(key).lower())):
            return str(value)
        return f"{value:,}".replace(",", "\u00a0")
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", "\u00a0")
    return f"{value:.3g}".replace(".", ",")


def _label(key: Any, service_labels: dict[str, str] | None = None) -> str:
    """The Norwegian label of a field: a service's own (``ServiceSpec.explanation_labels``), the core's,
    else the key made readable."""
    k = str(key)
    if service_labels and k in service_labels:
        return service_labels[k]
    return FIELD_LABELS.get(k, k.replace("_", " ").capitalize())


def value_label(value: Any, key: Any = None, service_labels: dict[str, dict[str, str]] | None = None) -> Any:
    """A known code shown in Norwegian (``nb`` under ``language`` → ``bokmål``; a service's own codes from
    ``ServiceSpec.value_labels``: ``partial`` under ``decision`` → ``delvis unntatt``), else the value."""
    if isinstance(value, str):
        own = (service_labels or {}).get(str(key), {})
        return own.get(value) or VALUE_LABELS.get(str(key), {}).get(value, value)
    return value


def _confidence(value: float | None) -> dict[str, str]:
    """CSS class and Norwegian word for a confidence (high ≥ 85 %, medium ≥ 60 %, else low)."""
    v = value or 0.0
    for floor, css, word in CONFIDENCE_LEVELS:
        if v >= floor:
            return {"css": css, "word": word}
    return {"css": "low", "word": "lav"}


def _waited_hours(value: datetime | str | None) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - value).total_seconds() / 3600


def _evidence_table(evidence: list[Any]) -> dict[str, Any]:
    """Columns for an evidence list: keys in first-seen order; a key with the same value in every row
    (e.g. ``type``) is lifted out as a common note instead of a column."""
    rows = [e for e in evidence if isinstance(e, dict)]
    keys: list[str] = []
    for e in rows:
        keys.extend(k for k in e if k not in keys)
    common = {}
    if len(rows) > 1:
        for k in list(keys):
            values = [json.dumps(e.get(k), sort_keys=True, default=str) for e in rows]
            if len(set(values)) == 1 and all(k in e for e in rows):
                common[k] = rows[0][k]
                keys.remove(k)
    return {
        "rows": rows,
        "columns": keys,
        "common": common,
        "other": [e for e in evidence if not isinstance(e, dict)],
    }


def _package_template(name: str):
    """Jinja loader for ``package.module:path/in/package.html`` — how a service ships its own
    explanation partial (``SuggestionKind.explanation_template``)."""
    if ":" not in name:
        return None
    package, _, path = name.partition(":")
    from importlib import resources

    try:
        ref = resources.files(package).joinpath(path)
        return ref.read_text(encoding="utf-8") if ref.is_file() else None
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def slot_panels(platform, request: Request, principal: Principal, slot: str, context: dict) -> list[dict]:
    """The panels other services offer to ``slot`` on a host page (``ServiceSpec.panels``), rendered by
    their own functions; a panel whose service the principal may not read, or that has nothing to show
    (None), is left out."""
    from markupsafe import Markup

    from ..core.registry import resolve

    shown = []
    for spec in platform.registry:
        for panel in spec.panels:
            if panel.slot != slot or not principal.can("queue.read", service=spec.name):
                continue
            html = resolve(panel.render)(request, principal, context)
            if html is not None:
                shown.append({"service": spec.name, "title": panel.title, "html": Markup(html)})
    return shown


def configure_templates(templates: Jinja2Templates, platform) -> None:
    from jinja2 import ChoiceLoader, FileSystemLoader, FunctionLoader

    from ..core.platform import service_folder

    env = templates.env
    # each service's own templates/ folder (templates/<name>/...), then package-named partials
    service_loaders = []
    for spec in platform.registry:
        folder = service_folder(spec, "templates")
        if folder is not None:
            service_loaders.append(FileSystemLoader(str(folder)))
    env.loader = ChoiceLoader([env.loader, *service_loaders, FunctionLoader(_package_template)])
    env.tests["is_records"] = lambda v: (
        isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)
    )
    service_labels = platform.registry.explanation_labels()
    service_values = platform.registry.value_labels()
    env.filters.update(
        age=_age,
        dt=_dt,
        pct=_pct,
        jsonpretty=_jsonpretty,
        label=lambda key: _label(key, service_labels),
        vlabel=lambda value, key=None: value_label(value, key, service_values),
        num=_num,
        confidence=_confidence,
        waited_hours=_waited_hours,
    )
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        OUTCOME_LABELS=OUTCOME_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        EVENT_LABELS=EventLabels(platform.registry.audit_events),
        registry=platform.registry,
        oidc_enabled=bool(platform.settings.oidc_issuer),
        oidc_label=platform.settings.oidc_label,
        evidence_table=_evidence_table,
        SCORE_KEYS=SCORE_KEYS,
        slot_panels=lambda request, principal, slot, context: slot_panels(
            platform, request, principal, slot, context
        ),
    )


def render(
    request: Request, template: str, principal: Principal | None = None, status_code: int = 200, **ctx
):
    platform = get_platform(request)
    tenants, tenant = [], None
    if principal is not None:
        with platform.db.read_session(unscoped=True) as session:
            tenant = session.get(Tenant, principal.tenant_id)
            user = session.get(User, principal.user_id) if principal.user_id else None
            tenants = [(t.id, t.name) for t in accounts.user_tenants(session, user)] if user else []
            tenant = {"id": tenant.id, "name": tenant.name, "slug": tenant.slug}
    flash = request.session.pop("flash", None)
    return request.app.state.templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "tenant": tenant,
            "tenants": tenants,
            "flash": flash,
            "csrf_token": csrf_token(request),
            **ctx,
        },
        status_code=status_code,
    )


def redirect(
    url: str, flash: tuple[str, str] | None = None, request: Request | None = None
) -> RedirectResponse:
    if flash and request is not None:
        request.session["flash"] = {"kind": flash[0], "text": flash[1]}
    return RedirectResponse(url, status_code=303)
