"""The web UI in Norwegian bokmål: server-rendered pages, plain forms, no JavaScript needed.

Each handler authorizes, calls one core function in a tenant session and renders a template. Forms carry
the session's CSRF token; a successful POST redirects (post/redirect/get) with a flash message.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from ..core import accounts, audit, items, jobs, modelreg, suggestions
from ..core.clock import to_local
from ..core.db import MAX_ROW_ID
from ..core.errors import Conflict, DomainError, InvalidInput, NotAuthenticated
from ..core.models import Item, Role, SuggestionStatus, Tenant, User
from ..core.permissions import Principal, authorize
from .api import audit_dict, queue_scope
from .auth import end_session, password_login, switch_tenant
from .deps import RowId, check_csrf, csrf_token, get_platform, session_principal

STATUS_LABELS = {
    "pending": "Venter",
    "accepted": "Godtatt",
    "changed": "Endret",
    "rejected": "Avvist",
    "superseded": "Erstattet",
    "all": "Alle",
}
OUTCOME_LABELS = {"accepted": "Godtatt", "changed": "Endret", "rejected": "Avvist"}
ROLE_LABELS = {
    "saksbehandler": "Saksbehandler",
    "arkivar": "Arkivar",
    "leder": "Leder",
    "eiendomsskatt": "Eiendomsskatt",
    "personvernombud": "Personvernombud",
    "ki-ansvarlig": "KI-ansvarlig",
    "admin": "Administrator",
}
# Norwegian names of the core audit events; a service's own events show their (English) description.
EVENT_LABELS_NB = {
    "auth.login": "Innlogging",
    "auth.login_failed": "Mislykket innlogging",
    "auth.logout": "Utlogging",
    "tenant.created": "Organisasjon opprettet",
    "tenant.updated": "Organisasjon endret",
    "user.added": "Bruker opprettet",
    "user.updated": "Bruker endret",
    "role.granted": "Rolle gitt",
    "role.revoked": "Rolle fjernet",
    "unit.created": "Enhet opprettet",
    "unit.updated": "Enhet endret",
    "token.created": "API-nøkkel laget",
    "token.revoked": "API-nøkkel trukket tilbake",
    "policy.changed": "Automatisering endret",
    "item.received": "Element mottatt og lagret",
    "item.content_removed": "Innhold fjernet",
    "suggestion.created": "Forslag laget",
    "suggestion.superseded": "Forslag erstattet",
    "decision.made": "Avgjørelse tatt",
    "model.registered": "Modell registrert",
    "model.exported": "Modell eksportert",
    "model.imported": "Modell importert",
    "audit.exported": "Revisjonslogg eksportert",
    "data.exported": "Data eksportert",
    "job.started": "Jobb startet",
    "job.finished": "Jobb avsluttet",
    "job.retried": "Jobb satt i kø igjen",
    "job.cancelled": "Jobb bedt stoppet",
}
EVENT_LABELS = {name: e.description for name, e in audit.EVENTS.items()}
AGE_CHOICES = {
    "": "Alle",
    "1": "Siste time",
    "24": "Siste døgn",
    "168": "Siste uke",
    "old24": "Eldre enn ett døgn",
    "old168": "Eldre enn en uke",
}


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


# Norwegian labels for the keys that explanations and values commonly use. Unknown keys are shown as
# they are (with underscores as spaces); a service that wants more can give its kind an
# ``explanation_template`` (see docs/architecture-ui.md).
FIELD_LABELS = {
    "type": "Type",
    "language": "Språk",
    "score": "Poeng",
    "term": "Ord",
    "terms": "Ord",
    "weight": "Vekt",
    "feature": "Egenskap",
    "features": "Egenskaper",
    "contribution": "Bidrag",
    "rule": "Regel",
    "pattern": "Mønster",
    "text": "Tekst",
    "span": "Utdrag",
    "start": "Fra tegn",
    "end": "Til tegn",
    "label": "Kategori",
    "category": "Kategori",
    "entity": "Opplysning",
    "checksum": "Kontrollsiffer",
    "valid": "Gyldig",
    "source": "Kilde",
    "passage": "Avsnitt",
    "quote": "Sitat",
    "value": "Verdi",
    "method": "Metode",
    "unit": "Enhet",
    "confidence": "Sikkerhet",
    "reason": "Begrunnelse",
    "count": "Antall",
    "context": "Sammenheng",
    "page": "Side",
    "document": "Dokument",
    "law": "Lov",
    "hjemmel": "Hjemmel",
    "paragraph": "Paragraf",
    "probability": "Sannsynlighet",
    "note": "Merknad",
    "model": "Modell",
    "threshold": "Terskel",
    "alternatives": "Alternativer",
    "title": "Tittel",
    "date": "Dato",
    "amount": "Beløp",
    "basis": "Grunnlag",
    "field": "Felt",
    "match": "Treff",
    "matched": "Treff",
    "name": "Navn",
    "description": "Beskrivelse",
    "action": "Handling",
    "target": "Mottaker",
    "recipient": "Mottaker",
    "period": "Periode",
    "estimate": "Anslag",
    "baseline": "Sammenligning",
    "lower": "Nedre",
    "upper": "Øvre",
    "interval": "Intervall",
    "base_value": "Grunnverdi",
    "comparables": "Sammenlignbare salg",
    "flag_reasons": "Hvorfor kontrollere",
    "sale_date": "Salgsdato",
    "price": "Pris",
    "adjusted_price": "Justert pris",
    "living_area": "Boareal (m²)",
    "building_type": "Bygningstype",
    "area_code": "Områdekode",
    "distance_m": "Avstand (m)",
    "year_built": "Byggeår",
    "valuation_date": "Verdsatt per",
    "kroner": "Kroner",
    "guards": "Kontroller",
    "spans": "Plassering",
    "delete_reason": "Slettegrunn",
    "verdict": "Utfall",
    "scope": "Omfang",
    "withhold": "Skjermes",
    "internet_withhold": "Skjermes på nett",
    "linked_to": "Knyttet til",
    "hjemler": "Hjemler",
    "hjemmel_id": "Hjemmel",
    "index": "Nr.",
    "detector": "Detektor",
    "explanation": "Forklaring",
    "decision": "Avgjørelse",
    "whole_document_hjemmel": "Hjemmel for hele dokumentet",
    "share_withheld_sentences": "Andel skjermede setninger",
    "hjemler_version": "Hjemmelversjon",
    "alternatives_scores": "Andre utfall",
}
VALUE_LABELS = {
    "language": {
        "nb": "bokmål",
        "nn": "nynorsk",
        "en": "engelsk",
        "da": "dansk",
        "sv": "svensk",
        "se": "nordsamisk",
        "other": "annet",
    },
    "type": {
        "language_score": "språkpoeng",
        "term": "ord",
        "feature": "egenskap",
        "rule": "regel",
        "passage": "avsnitt",
        "span": "utdrag",
    },
}
# Evidence keys whose numbers (0–1) are drawn as a bar beside the figure.
SCORE_KEYS = {"score", "weight", "probability", "confidence", "similarity", "share"}
CONFIDENCE_LEVELS = ((0.85, "high", "høy"), (0.6, "medium", "middels"), (0.0, "low", "lav"))


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


class _EventLabels:
    """Norwegian label of an audit event: the core's from EVENT_LABELS_NB, a service's from the platform's
    event catalogue (``registry.audit_events``)."""

    def __init__(self, events) -> None:
        self.events = events

    def get(self, name: str, default: str = "") -> str:
        if name in EVENT_LABELS_NB:
            return EVENT_LABELS_NB[name]
        event = self.events.get(name)
        return event.description if event else default


def _label(key: Any, service_labels: dict[str, str] | None = None) -> str:
    """The Norwegian label of a field: a service's own (``ServiceSpec.explanation_labels``), the core's,
    else the key made readable."""
    k = str(key)
    if service_labels and k in service_labels:
        return service_labels[k]
    return FIELD_LABELS.get(k, k.replace("_", " ").capitalize())


def _vlabel(value: Any, key: Any = None) -> Any:
    """A known code shown in Norwegian (``nb`` under ``language`` → ``bokmål``), else the value."""
    if isinstance(value, str):
        return VALUE_LABELS.get(str(key), {}).get(value, value)
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
    env.filters.update(
        age=_age,
        dt=_dt,
        pct=_pct,
        jsonpretty=_jsonpretty,
        label=lambda key: _label(key, service_labels),
        vlabel=_vlabel,
        num=_num,
        confidence=_confidence,
        waited_hours=_waited_hours,
    )
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        OUTCOME_LABELS=OUTCOME_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        EVENT_LABELS=_EventLabels(platform.registry.audit_events),
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


async def page_principal(request: Request) -> Principal:
    """Like current_principal, but pages only use the session cookie."""
    p = session_principal(request)
    if p is None:
        raise NotAuthenticated("Du må logge inn.")
    if request.method == "POST":
        await check_csrf(request)
    return p


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    # --- sign-in ---------------------------------------------------------------------------------
    @r.get("/logg-inn")
    def login_form(request: Request, neste: str = "/"):
        return render(
            request, "login.html", next=neste if neste.startswith("/") and not neste.startswith("//") else "/"
        )

    @r.post("/logg-inn")
    async def login(
        request: Request, username: str = Form(""), password: str = Form(""), neste: str = Form("/")
    ):
        await check_csrf(request)
        try:
            password_login(request, username, password)
        except DomainError as exc:
            return render(
                request,
                "login.html",
                status_code=exc.http_status,
                error=exc.message,
                username=username,
                next=neste,
            )
        target = neste if neste.startswith("/") and not neste.startswith("//") else "/"
        return redirect(target)

    @r.post("/logg-ut")
    async def logout(request: Request, p: Principal = Depends(page_principal)):
        platform = get_platform(request)
        with platform.db.tenant_session(p.tenant_id) as session:
            audit.record(session, p.tenant_id, "auth.logout", actor=p.actor, subject=("user", p.user_id))
        end_session(request)
        return redirect("/logg-inn", ("info", "Du er logget ut."), request)

    @r.post("/bytt-organisasjon")
    async def change_tenant(
        request: Request,
        tenant_id: int = Form(..., ge=1, le=MAX_ROW_ID),
        p: Principal = Depends(page_principal),
    ):
        switch_tenant(request, tenant_id)
        return redirect("/", ("info", "Du har byttet organisasjon."), request)

    # --- queue -----------------------------------------------------------------------------------
    @r.get("/")
    def queue(
        request: Request,
        p: Principal = Depends(page_principal),
        tjeneste: str = "",
        type: str = "",
        status: str = "pending",
        min_sikkerhet: str = "",
        maks_sikkerhet: str = "",
        alder: str = "",
        side: int = Query(1, ge=1, le=MAX_ROW_ID // 50),
    ):
        authorize(p, "queue.read")
        platform = get_platform(request)
        try:
            f = suggestions.QueueFilter(
                service=tjeneste or None,
                kind=type or None,
                status=status or "pending",
                min_confidence=_percent(min_sikkerhet),
                max_confidence=_percent(maks_sikkerhet),
                limit=50,
                offset=max(0, side - 1) * 50,
            )
        except ValueError:
            raise InvalidInput("Sikkerhet må oppgis som et tall fra 0 til 100.") from None
        try:
            if alder.startswith("old"):
                f.older_than_hours = float(alder[3:])
            elif alder:
                f.newer_than_hours = float(alder) if alder.replace(".", "").isdigit() else None
        except ValueError:
            raise InvalidInput("Alderen må oppgis som et antall timer.") from None
        for hours in (f.older_than_hours, f.newer_than_hours):
            if hours is not None and not 0 <= hours <= suggestions.MAX_FILTER_HOURS:
                raise InvalidInput("Alderen må være et antall timer fra 0 til hundre år.")
        with platform.db.read_session(p.tenant_id) as session:
            rows, total = suggestions.queue_listing(session, f, **queue_scope(platform, p))
            item_ids = {r["item_id"] for r in rows if r["item_id"]}
            titles = (
                {
                    i: t or fn
                    for i, t, fn in session.execute(
                        select(Item.id, Item.title, Item.filename).where(Item.id.in_(item_ids))
                    )
                }
                if item_ids
                else {}
            )
            for r in rows:
                r["item_title"] = titles.get(r["item_id"])
        filters = {
            "tjeneste": tjeneste,
            "type": type,
            "status": status,
            "min_sikkerhet": min_sikkerhet,
            "maks_sikkerhet": maks_sikkerhet,
            "alder": alder,
        }
        pages = max(1, (total + 49) // 50)
        qs = lambda n: urlencode({**{k: v for k, v in filters.items() if v}, "side": n})  # noqa: E731
        return render(
            request,
            "queue.html",
            p,
            rows=rows,
            total=total,
            filters=filters,
            page=side,
            pages=pages,
            page_qs=qs,
            age_choices=AGE_CHOICES,
        )

    @r.get("/forslag/{suggestion_id}")
    def suggestion_page(
        suggestion_id: RowId, request: Request, p: Principal = Depends(page_principal), tilbake: str = ""
    ):
        return _suggestion_view(request, p, suggestion_id, back=tilbake)

    @r.post("/forslag/{suggestion_id}/avgjor")
    async def decide(suggestion_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        platform = get_platform(request)
        form = await request.form()
        outcome = str(form.get("outcome", ""))
        reason = str(form.get("reason", ""))
        back = local_path(str(form.get("tilbake", "")))
        final_value = None
        try:
            if outcome == "changed":
                final_value = _changed_value(form)
            with platform.db.tenant_session(p.tenant_id) as session:
                suggestions.decide(
                    session,
                    platform.registry,
                    p,
                    suggestion_id,
                    outcome=outcome,
                    final_value=final_value,
                    reason=reason,
                )
        except DomainError as exc:
            # show the form again as it was sent, with the error beside it: a redirect would reset the
            # chosen outcome to "accept", and the next click could accept by mistake
            sent = {
                "outcome": outcome,
                "reason": reason,
                "values": {k[3:]: str(v) for k, v in form.multi_items() if k.startswith("v__")},
            }
            return _suggestion_view(
                request,
                p,
                suggestion_id,
                sent=sent,
                error=exc.message,
                status_code=exc.http_status,
                back=back,
            )
        label = OUTCOME_LABELS.get(outcome, outcome).lower()
        target = f"/forslag/{suggestion_id}" + (f"?{urlencode({'tilbake': back})}" if back else "")
        return redirect(target, ("ok", f"Forslaget er {label}."), request)

    # --- audit -----------------------------------------------------------------------------------
    @r.get("/revisjonslogg")
    def audit_page(
        request: Request,
        p: Principal = Depends(page_principal),
        hendelse: str = "",
        aktor: str = "",
        element: str = "",
        fra: str = "",
        til: str = "",
        side: int = 1,
        kontroller: str = "",
    ):
        authorize(p, "audit.read")
        platform = get_platform(request)
        try:
            since = datetime.fromisoformat(fra) if fra else None
            until = datetime.fromisoformat(til) if til else None
            item_id = int(element) if element else None
        except ValueError:
            raise InvalidInput("Ugyldig dato eller elementnummer.") from None
        with platform.db.read_session(p.tenant_id) as session:
            rows = [
                audit_dict(e)
                for e in audit.query(
                    session,
                    p.tenant_id,
                    since=since,
                    until=until,
                    item_id=item_id,
                    event=hendelse or None,
                    actor=aktor or None,
                    limit=101,
                    offset=(max(1, side) - 1) * 100,
                    newest_first=True,
                )
            ]
            # verifying reads the whole chain (O(entries)): only when asked, not on every page view
            verified = (
                audit.verify_chain(session, audit.chain_for(p.tenant_id), platform.settings.checkpoint_dir)
                if kontroller
                else None
            )
            user_ids = {
                int(r["actor"][5:])
                for r in rows
                if r["actor"].startswith("user:") and r["actor"][5:].isdigit()
            }
            names = (
                {
                    uid: full or uname
                    for uid, full, uname in session.execute(
                        select(User.id, User.full_name, User.username).where(User.id.in_(user_ids))
                    )
                }
                if user_ids
                else {}
            )
        filters = {"hendelse": hendelse, "aktor": aktor, "element": element, "fra": fra, "til": til}
        export_qs = urlencode(
            {k: v for k, v in {"item_id": element, "since": fra, "until": til}.items() if v}
        )
        return render(
            request,
            "audit.html",
            p,
            rows=rows[:100],
            more=len(rows) > 100,
            page=side,
            filters=filters,
            verified=verified,
            export_qs=export_qs,
            event_names=sorted(get_platform(request).registry.audit_events),
            actor_names=names,
            can_export=p.can("audit.export"),
            next_qs=urlencode({**{k: v for k, v in filters.items() if v}, "side": side + 1}),
            verify_qs=urlencode({**{k: v for k, v in filters.items() if v}, "kontroller": "1"}),
        )

    # --- background jobs -------------------------------------------------------------------------
    @r.get("/jobber/{job_id:int}")
    def job_page(job_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        """A long job's progress: works without JavaScript (the "Oppdater" link); static/jobs.js polls
        the API while it runs and updates the bar and the status line."""
        platform = get_platform(request)
        job = jobs.get(platform, p.tenant_id, job_id)
        jobs.authorize_job(platform, p, job)
        spec = platform.registry.get(job["service"])
        back = job["result_url"] or (spec.home_url if spec and spec.home_url else "/")
        resp = render(
            request,
            "job.html",
            p,
            job=job,
            percent=round(job["progress"] * 100),
            back=back,
            # a service without pages of its own (målform) sends the user back to the overview
            service_title=spec.title if spec and spec.home_url else "oversikten",
        )
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @r.post("/jobber/{job_id:int}/avbryt")
    def job_cancel(job_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        """Stop a queued or running job (a running one stops at its next step; its work is rolled back)."""
        job = jobs.cancel(get_platform(request), p, job_id)
        said = (
            "Jobben er stoppet."
            if job["state"] == jobs.CANCELLED
            else "Jobben stopper ved neste steg."
            if job["active"]
            else "Jobben var allerede avsluttet."
        )
        return redirect(f"/jobber/{job_id}", ("info", said), request)

    @r.get("/jobber/{job_id:int}/resultat")
    def job_result(job_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        """To the finished job's result, with its summary (``result["message"]``) as the page's message."""
        platform = get_platform(request)
        job = jobs.get(platform, p.tenant_id, job_id)
        jobs.authorize_job(platform, p, job)
        if job["state"] != jobs.DONE or not job["result_url"]:
            return redirect(f"/jobber/{job_id}")
        message = job["result"].get("message") if isinstance(job["result"], dict) else None
        return redirect(job["result_url"], ("ok", message) if message else None, request)

    # --- administration --------------------------------------------------------------------------
    @r.get("/admin/brukere")
    def users_page(request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "users.manage")
        platform = get_platform(request)
        with platform.db.read_session(p.tenant_id) as session:
            users = [
                (u.id, u.username, u.full_name, u.email, roles) for u, roles in accounts.tenant_users(session)
            ]
        return render(request, "admin_users.html", p, users=users, all_roles=[r.value for r in Role])

    @r.post("/admin/brukere")
    async def users_create(
        request: Request,
        p: Principal = Depends(page_principal),
        username: str = Form(""),
        full_name: str = Form(""),
        email: str = Form(""),
        password: str = Form(""),
        role: str = Form("saksbehandler"),
    ):
        authorize(p, "users.manage")
        platform = get_platform(request)
        try:
            with platform.db.tenant_session(p.tenant_id) as session:
                existing = session.scalar(select(User).where(User.username == username.strip().lower()))
                if existing is not None and not (p.is_operator or accounts.roles_of(session, existing.id)):
                    # users are installation-wide: a tenant admin reaches only the own tenant's users,
                    # never another tenant's by name (whose name and e-mail the list would then show)
                    raise Conflict(
                        f"Brukernavnet {existing.username} er opptatt. Velg et annet, eller be "
                        "driftsansvarlig gi en bruker fra en annen organisasjon rolle her."
                    )
                u = existing or accounts.create_user(
                    session,
                    username=username,
                    password=password or None,
                    full_name=full_name,
                    email=email or None,
                    actor=p.actor,
                    via="ui",
                )
                accounts.grant_role(
                    session, p.tenant_id, u, role, actor=p.actor, known_roles=platform.policy.roles()
                )
        except DomainError as exc:
            return redirect("/admin/brukere", ("error", exc.message), request)
        return redirect(
            "/admin/brukere",
            ("ok", f"Brukeren {username} har fått rollen {ROLE_LABELS.get(role, role)}."),
            request,
        )

    @r.post("/admin/brukere/{user_id}/roller")
    async def users_grant(
        user_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        role: str = Form(...),
        action: str = Form("grant"),
    ):
        authorize(p, "users.manage")
        platform = get_platform(request)
        try:
            with platform.db.tenant_session(p.tenant_id) as session:
                if action == "revoke":
                    accounts.revoke_role(session, p.tenant_id, user_id, role, actor=p.actor)
                else:
                    u = accounts.get_tenant_user(session, user_id, is_operator=p.is_operator)
                    accounts.grant_role(
                        session, p.tenant_id, u, role, actor=p.actor, known_roles=platform.policy.roles()
                    )
        except DomainError as exc:
            return redirect("/admin/brukere", ("error", exc.message), request)
        return redirect("/admin/brukere", ("ok", "Rollene er oppdatert."), request)

    @r.get("/admin/enheter")
    def units_page(request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "units.read")
        platform = get_platform(request)
        with platform.db.read_session(p.tenant_id) as session:
            units = [
                {
                    "id": u.id,
                    "code": u.code,
                    "name": u.name,
                    "email": u.email,
                    "active": u.active,
                    "description": u.description,
                }
                for u in accounts.list_units(session)
            ]
        return render(request, "admin_units.html", p, units=units, can_manage=p.can("units.manage"))

    @r.post("/admin/enheter")
    async def units_create(
        request: Request,
        p: Principal = Depends(page_principal),
        code: str = Form(""),
        name: str = Form(""),
        email: str = Form(""),
        description: str = Form(""),
    ):
        authorize(p, "units.manage")
        platform = get_platform(request)
        try:
            with platform.db.tenant_session(p.tenant_id) as session:
                accounts.create_unit(
                    session,
                    p.tenant_id,
                    code=code.strip(),
                    name=name,
                    email=email.strip(),
                    description=description,
                    actor=p.actor,
                )
        except DomainError as exc:
            return redirect("/admin/enheter", ("error", exc.message), request)
        return redirect("/admin/enheter", ("ok", f"Enheten {name} er opprettet."), request)

    @r.post("/admin/enheter/{unit_id}")
    async def units_update(
        unit_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        name: str = Form(""),
        email: str = Form(""),
        active: str = Form(""),
    ):
        authorize(p, "units.manage")
        platform = get_platform(request)
        try:
            with platform.db.tenant_session(p.tenant_id) as session:
                accounts.update_unit(
                    session,
                    p.tenant_id,
                    unit_id,
                    actor=p.actor,
                    name=name,
                    email=email.strip(),
                    active=active == "on",
                )
        except DomainError as exc:
            return redirect("/admin/enheter", ("error", exc.message), request)
        return redirect("/admin/enheter", ("ok", "Enheten er oppdatert."), request)

    @r.get("/admin/automatisering")
    def policies_page(request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "policies.read")
        platform = get_platform(request)
        with platform.db.read_session(p.tenant_id) as session:
            policies = accounts.list_policies(session, platform.registry)
        return render(
            request, "admin_policies.html", p, policies=policies, can_manage=p.can("policies.manage")
        )

    @r.post("/admin/automatisering")
    async def policies_update(
        request: Request,
        p: Principal = Depends(page_principal),
        service: str = Form(...),
        kind: str = Form(...),
        enabled: str = Form(""),
        threshold: str = Form("95"),
    ):
        authorize(p, "policies.manage")
        platform = get_platform(request)
        try:
            t = _percent(threshold)
            with platform.db.tenant_session(p.tenant_id) as session:
                accounts.set_policy(
                    session,
                    platform.registry,
                    p.tenant_id,
                    service=service,
                    kind=kind,
                    enabled=enabled == "on",
                    threshold=t if t is not None else 0.95,
                    principal=p,
                )
        except ValueError:
            return redirect(
                "/admin/automatisering", ("error", "Terskelen må være et tall fra 50 til 100."), request
            )
        except DomainError as exc:
            return redirect("/admin/automatisering", ("error", exc.message), request)
        return redirect("/admin/automatisering", ("ok", "Automatiseringen er oppdatert."), request)

    @r.get("/modeller")
    def models_page(request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "models.read")
        platform = get_platform(request)
        with platform.db.read_session(p.tenant_id) as session:
            models = [modelreg.model_dict(m) for m in modelreg.list_models(session, p.tenant_id)]
        shipped = [card for spec in platform.registry for card in spec.model_cards()]
        return render(request, "models.html", p, models=models, shipped=shipped)

    return r


def local_path(url: str) -> str:
    """``url`` if it is a path on this site (``/postmottak/12?liste=…``), else "" (never another host:
    ``//evil.example`` and ``/\\evil`` are refused, so a "Tilbake" link cannot lead away)."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith(("//", "/\\")) or any(c in url for c in "\r\n\\"):
        return ""
    return url[:1000]


def _percent(value: str) -> float | None:
    """'85' or '85 %' or '0,85' → 0.85. Raises ValueError on nonsense."""
    v = (value or "").replace("%", "").replace(",", ".").strip()
    if not v:
        return None
    x = float(v)
    x = x / 100 if x > 1 else x
    if not 0 <= x <= 1:
        raise ValueError(value)
    return x


def _suggestion_view(
    request: Request,
    p: Principal,
    suggestion_id: int,
    *,
    sent: dict | None = None,
    error: str | None = None,
    status_code: int = 200,
    back: str = "",
):
    platform = get_platform(request)
    with platform.db.read_session(p.tenant_id) as session:
        s = suggestions.get_suggestion(session, suggestion_id)
        spec = platform.registry.get(s.service)
        authorize(p, "queue.read", service=s.service)
        sd = suggestions.suggestion_dict(s)
        item = None
        if s.item is not None:
            items.authorize_read(p, s.item, platform.registry)
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
            [audit_dict(e) for e in audit.query(session, p.tenant_id, item_id=s.item_id)] if s.item_id else []
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
    can_decide = sd["status"] == SuggestionStatus.PENDING.value and p.can(
        "suggestion.decide", service=spec.name if spec else None
    )
    editable = _editable_fields(sd["value"], kind.value_schema if kind else {}, choice_lists)
    if sent:
        for f in editable:
            f["text"] = sent["values"].get(f["key"], f["text"])
    return render(
        request,
        "suggestion.html",
        p,
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
            [(str(o), str(_vlabel(o, k))) for o in enum]
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
