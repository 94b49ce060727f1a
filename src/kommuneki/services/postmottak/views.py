"""Postmottak routes: the inbox page, one message with its suggestions, highlighted words, innsyn
countdown and transparency log (exportable), and a small JSON API. Thin: each calls one service function."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from ...core.clock import local_today
from ...core.errors import Conflict, DomainError, InvalidInput
from ...core.permissions import Principal, authorize
from ...web.deps import RowId, current_principal, page_form, read_upload, read_upload_sync
from . import engine, service
from .engine import SERVICE

STATE_LABELS = {
    "received": "Mottatt",
    "triaged": "Til behandling",
    "failed": "Kunne ikke leses",
    "forwarded": "Videresendt",
    "journalfort": "Journalført",
    "deleted": "Slettet",
}
ACTION_LABELS = {"journalfores": "Journalføres", "videresendes": "Videresendes", "slettes": "Slettes"}


def segments(text: str, highlights: dict[str, list[list[int]]]) -> list[tuple[str, str | None]]:
    """Split ``text`` into (piece, term-or-None) so the template can mark the words that drove the
    suggestions without any markup in the data (autoescaped)."""
    spans = sorted(
        (s, e, term) for term, lst in highlights.items() for s, e in lst if 0 <= s < e <= len(text)
    )
    out, pos = [], 0
    for s, e, term in spans:
        if s < pos:
            continue
        if s > pos:
            out.append((text[pos:s], None))
        out.append((text[s:e], term))
        pos = e
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def list_query(state: str, page: int) -> str:
    """The inbox's query string (state filter and page) a message page carries, so "Tilbake" returns
    to the list the clerk came from and "Neste melding" stays in it."""
    return urlencode({k: v for k, v in (("tilstand", state), ("side", page if page > 1 else "")) if v})


def _message_url(pm_id: int, state: str, page: int) -> str:
    qs = list_query(state if state in STATE_LABELS else "", page)
    return f"/postmottak/{pm_id}" + (f"?{qs}" if qs else "")


def router() -> APIRouter:
    from ...web.deps import page_principal
    from ...web.rendering import redirect, render

    r = APIRouter()

    @r.get("/postmottak", include_in_schema=False)
    def inbox_page(
        request: Request, tilstand: str = "", side: int = 1, principal: Principal = Depends(page_principal)
    ):
        authorize(
            principal,
            "item.read",
            service=SERVICE,
        )
        if tilstand and tilstand not in STATE_LABELS:
            raise InvalidInput("Ukjent tilstand.")
        side = max(1, side)
        rows, total = service.inbox(
            request.app.state.platform,
            principal.tenant_id,
            state=tilstand or None,
            limit=50,
            offset=(side - 1) * 50,
        )
        return render(
            request,
            "postmottak/inbox.html",
            principal,
            rows=rows,
            total=total,
            state=tilstand,
            page=side,
            pages=max(1, (total + 49) // 50),
            list_qs=list_query(tilstand, side),
            STATE=STATE_LABELS,
            ACTION=ACTION_LABELS,
            DTYPE=engine.dokumenttype_label,
            can_import=principal.can("item.create", service=SERVICE),
            can_train=principal.can("models.manage"),
        )

    @r.post("/postmottak/import", include_in_schema=False)
    def import_page(
        request: Request, principal: Principal = Depends(page_principal), form: FormData = Depends(page_form)
    ):
        """Message files in: stored at once (nothing is lost if the server stops), sorted on the workers;
        the browser goes to the job's progress page."""
        authorize(principal, "item.create", service=SERVICE)
        files = _files(form, "filer")
        if not files:
            return redirect("/postmottak", ("error", "Velg minst én fil med e-post."), request)
        platform = request.app.state.platform
        try:
            for name, _data in files:
                if not name.lower().endswith(service.MESSAGE_SUFFIXES):
                    raise InvalidInput(f"{name}: bare .eml, .msg og .mbox kan tas inn.")
            pm_ids = service.store_messages(
                platform,
                principal.tenant_id,
                [(name, data) for name, data in _read(request, files)],
                source="upload",
                actor=principal.actor,
            )
            job_id = service.submit_import(platform, principal.tenant_id, pm_ids, actor=principal.actor)
        except DomainError as exc:
            return redirect("/postmottak", ("error", exc.message), request)
        said = f"{len(pm_ids)} meldinger er lagret og sorteres i bakgrunnen."
        return redirect(f"/jobber/{job_id}", ("ok", said), request)

    @r.get("/postmottak/trening", include_in_schema=False)
    def training_page(request: Request, principal: Principal = Depends(page_principal)):
        authorize(principal, "models.manage")
        return render(
            request,
            "postmottak/training.html",
            principal,
            models=service.tenant_models(request.app.state.platform, principal.tenant_id),
        )

    @r.post("/postmottak/trening", include_in_schema=False)
    def training_submit(
        request: Request, principal: Principal = Depends(page_principal), form: FormData = Depends(page_form)
    ):
        """History files in (stored as the tenant's items); the training runs on a worker."""
        authorize(principal, "models.manage")
        files = _files(form, "historikk")
        if not files:
            return redirect("/postmottak/trening", ("error", "Velg minst én fil med historikk."), request)
        try:
            job_id = _start_training(request, principal, list(_read(request, files)), source="upload")
        except DomainError as exc:
            return redirect("/postmottak/trening", ("error", exc.message), request)
        return redirect(
            f"/jobber/{job_id}", ("ok", "Historikken er lagret. Treningen kjører i bakgrunnen."), request
        )

    @r.get("/postmottak/{pm_id}", include_in_schema=False)
    def message_page(
        request: Request,
        pm_id: RowId,
        tilstand: str = "",
        side: int = 1,
        principal: Principal = Depends(page_principal),
    ):
        authorize(
            principal,
            "item.read",
            service=SERVICE,
        )
        platform = request.app.state.platform
        m = service.message_detail(platform, principal.tenant_id, pm_id)
        state = tilstand if tilstand in STATE_LABELS else ""
        list_qs = list_query(state, side)
        next_id = service.next_message(platform, principal.tenant_id, pm_id, state=state or None)
        here = f"/postmottak/{pm_id}" + (f"?{list_qs}" if list_qs else "")
        return render(
            request,
            "postmottak/message.html",
            principal,
            m=m,
            parts=segments(m["text"], m["highlights"]),
            STATE=STATE_LABELS,
            ACTION=ACTION_LABELS,
            DTYPE=engine.dokumenttype_label,
            list_url="/postmottak" + (f"?{list_qs}" if list_qs else ""),
            list_qs=list_qs,
            next_url=f"/postmottak/{next_id}" + (f"?{list_qs}" if list_qs else "") if next_id else None,
            back_qs=urlencode({"tilbake": here}),
            can_journalfore=principal.can("suggestion.decide", service=SERVICE),
        )

    @r.post("/postmottak/{pm_id}/utfor/{suggestion_id}", include_in_schema=False)
    def execute_page(
        request: Request,
        pm_id: RowId,
        suggestion_id: RowId,
        tilstand: str = "",
        side: int = 1,
        principal: Principal = Depends(page_principal),
    ):
        authorize(principal, "suggestion.decide", service=SERVICE)
        res = service.execute(
            request.app.state.platform, principal.tenant_id, suggestion_id, actor=principal.actor
        )
        text = {
            "forwarded": f"Videresendt til {res.get('to')}.",
            "deleted": "Meldingen er markert som slettet.",
            "refused": "Videresending avvist: adressen er utenfor organisasjonens domener eller mangler.",
            "already": "Dette er allerede utført.",
        }.get(res["done"], "Ingenting å utføre.")
        return redirect(
            _message_url(pm_id, tilstand, side),
            ("ok" if res["done"] != "refused" else "error", text),
            request,
        )

    @r.post("/postmottak/{pm_id}/journalfor", include_in_schema=False)
    def journalfor_page(
        request: Request,
        pm_id: RowId,
        tilstand: str = "",
        side: int = 1,
        principal: Principal = Depends(page_principal),
    ):
        """Journalføre the message (an explicit act; the arkivmelding download only reads)."""
        authorize(principal, "suggestion.decide", service=SERVICE)
        try:
            res = service.journalfor(
                request.app.state.platform, principal.tenant_id, pm_id, actor=principal.actor
            )
        except Conflict as exc:
            return redirect(_message_url(pm_id, tilstand, side), ("error", exc.message), request)
        text = (
            "Meldingen er allerede journalført."
            if res["done"] == "already"
            else "Meldingen er journalført. Last ned arkivmeldingen til arkivsystemet."
        )
        return redirect(_message_url(pm_id, tilstand, side), ("ok", text), request)

    @r.get("/postmottak/{pm_id}/logg.{fmt}", include_in_schema=False)
    def log_export(request: Request, pm_id: RowId, fmt: str, principal: Principal = Depends(page_principal)):
        # the log holds the message's title, the suggested values and the decisions' reasons: also a
        # reader of postmottak's items (the personvernombud exports the audit log, not the inbox)
        authorize(principal, "audit.export")
        authorize(principal, "item.read", service=SERVICE)
        if fmt not in ("json", "csv"):
            raise InvalidInput("Format må være json eller csv.")
        body, ctype = service.export_log(
            request.app.state.platform, principal.tenant_id, pm_id, actor=principal.actor, fmt=fmt
        )
        return Response(
            body,
            media_type=ctype,
            headers={"Content-Disposition": f'attachment; filename="postmottak-{pm_id}-logg.{fmt}"'},
        )

    @r.get("/postmottak/{pm_id}/arkivmelding.xml", include_in_schema=False)
    def arkivmelding_export(request: Request, pm_id: RowId, principal: Principal = Depends(page_principal)):
        """The arkivmelding as it stands: reading only, no state changes (journalføring is the POST)."""
        authorize(principal, "item.read", service=SERVICE)
        xml = service.arkivmelding_xml(request.app.state.platform, principal.tenant_id, pm_id)
        return Response(
            xml,
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="arkivmelding-{pm_id}.xml"'},
        )

    # --- JSON API --------------------------------------------------------------------------------
    @r.post(
        "/api/v1/postmottak/messages",
        status_code=201,
        tags=["postmottak"],
        summary="Store an e-mail (.eml/.msg) and triage it",
    )
    async def api_take_in(
        request: Request, file: UploadFile, principal: Principal = Depends(current_principal)
    ):
        authorize(principal, "item.create", service=SERVICE)
        data = await read_upload(request, file)
        return await run_in_threadpool(  # storing and triage off the event loop
            partial(
                service.take_in,
                request.app.state.platform,
                principal.tenant_id,
                data,
                source="api",
                actor=principal.actor,
                filename=file.filename,
            )
        )

    @r.get("/api/v1/postmottak/messages", tags=["postmottak"], summary="The inbox with suggestions")
    def api_inbox(
        request: Request,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
        principal: Principal = Depends(current_principal),
    ):
        authorize(principal, "item.read", service=SERVICE)
        if not 1 <= limit <= 500 or offset < 0:
            raise InvalidInput("limit må være 1–500 og offset ikke negativ.")
        rows, total = service.inbox(
            request.app.state.platform, principal.tenant_id, state=state, limit=limit, offset=offset
        )
        return {"total": total, "items": rows}

    @r.get("/api/v1/postmottak/messages/{pm_id}", tags=["postmottak"], summary="One message with its log")
    def api_message(request: Request, pm_id: RowId, principal: Principal = Depends(current_principal)):
        authorize(principal, "item.read", service=SERVICE)
        return service.message_detail(
            request.app.state.platform, principal.tenant_id, pm_id, today=local_today()
        )

    @r.post(
        "/api/v1/postmottak/messages/{pm_id}/journalforing",
        tags=["postmottak"],
        summary="Journalføre a message (after its dokumenttype is decided); returns the arkivmelding's hash",
    )
    def api_journalfor(request: Request, pm_id: RowId, principal: Principal = Depends(current_principal)):
        authorize(principal, "suggestion.decide", service=SERVICE)
        return service.journalfor(
            request.app.state.platform, principal.tenant_id, pm_id, actor=principal.actor
        )

    @r.post(
        "/api/v1/postmottak/imports",
        status_code=202,
        tags=["postmottak"],
        summary="Store message files (.eml/.msg/.mbox) and triage them on the workers (a batch job)",
    )
    def api_import(
        request: Request, files: list[UploadFile], principal: Principal = Depends(current_principal)
    ):
        authorize(principal, "item.create", service=SERVICE)
        platform = request.app.state.platform
        sent = [(f.filename or "melding.eml", f) for f in files]
        for name, _f in sent:
            if not name.lower().endswith(service.MESSAGE_SUFFIXES):
                raise InvalidInput(f"{name}: bare .eml, .msg og .mbox kan tas inn.")
        pm_ids = service.store_messages(
            platform, principal.tenant_id, list(_read(request, sent)), source="api", actor=principal.actor
        )
        job_id = service.submit_import(platform, principal.tenant_id, pm_ids, actor=principal.actor)
        return {"job_id": job_id, "job_url": f"/jobber/{job_id}", "message_ids": pm_ids}

    @r.post(
        "/api/v1/postmottak/trainings",
        status_code=202,
        tags=["postmottak"],
        summary="Store history files (.csv, Noark 5 .xml, .zip) and train the tenant's model on a worker",
    )
    def api_train(
        request: Request, files: list[UploadFile], principal: Principal = Depends(current_principal)
    ):
        authorize(principal, "models.manage")
        sent = [(f.filename or "historikk.csv", f) for f in files]
        job_id = _start_training(request, principal, list(_read(request, sent)), source="api")
        return {"job_id": job_id, "job_url": f"/jobber/{job_id}"}

    return r


def _files(form: FormData, key: str) -> list[tuple[str, UploadFile]]:
    return [(f.filename, f) for f in form.getlist(key) if not isinstance(f, str) and f.filename]


def _read(request: Request, files: list[tuple[str, UploadFile]]):
    for name, f in files:
        yield name, read_upload_sync(request, f)


def _start_training(
    request: Request, principal: Principal, files: list[tuple[str, bytes]], *, source: str
) -> int:
    platform = request.app.state.platform
    service.require_training_basis(platform, principal.tenant_id)  # before anything is stored
    item_ids = service.store_history(
        platform, principal.tenant_id, files, source=source, actor=principal.actor
    )
    return service.submit_training(platform, principal.tenant_id, item_ids, actor=principal.actor)
