"""Skjerming HTTP routes: the JSON API under /api/v1/skjerming and the pages under /skjerming. Thin:
each handler authorizes, calls one service function and renders or returns the result.

Every handler is a plain ``def`` (FastAPI runs it in its thread pool; a form comes through
``web.deps.page_form``), so a long screening or redaction never stops the server answering others
(``/healthz`` included)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from ...core.errors import DomainError, InvalidInput, PayloadTooLarge
from ...core.permissions import Principal, authorize
from ...web.deps import RowId, current_principal, get_platform, page_form, page_principal
from ...web.forms import form_action
from ...web.rendering import redirect, render
from . import engine, explain, service

TYPE_CLASSES = {t: "t-" + t.lower().replace("_", "-") for t in engine.TYPE_LABELS}


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    innsyn: list[int] = Field(default_factory=list, description="Indices of findings withheld from innsyn.")
    internett: list[int] = Field(
        default_factory=list, description="Indices withheld from the internet (innsyn's are added)."
    )
    reason: str = ""
    whole_document: bool | None = Field(
        None, description="Withhold the whole document (offl. § 12 c); null: as proposed."
    )


def _download(result) -> Response:
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(result.filename)}",
        "Cache-Control": "no-store",
    }
    if result.path is None:
        return Response(result.data, media_type=result.content_type, headers=headers)
    # a rebuilt PDF on disk: streamed, never read into memory whole (opened now, so it outlives result)
    f = result.open()
    return StreamingResponse(
        iter(lambda: f.read(1 << 20), b""),
        media_type=result.content_type,
        headers=headers,
        background=BackgroundTask(f.close),
    )


def _read_upload(request: Request, file: UploadFile) -> bytes:
    """The upload's bytes, read synchronously (for plain ``def`` routes, which run in the thread pool:
    their database and CPU work never blocks the event loop)."""
    limit = get_platform(request).settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Filen er for stor (grense {limit // (1024 * 1024)} MB).")
    return data


def _no_store(response):
    """Pages showing a document's personal data are not kept in browser or proxy caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


def segments(text: str, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text cut into plain and found pieces, for highlighting (overlaps skipped)."""
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: (f["start"], f["end"])):
        if f["start"] < pos or f["end"] > len(text):
            continue
        if f["start"] > pos:
            out.append({"text": text[pos : f["start"]], "finding": None})
        out.append({"text": text[f["start"] : f["end"]], "finding": f})
        pos = f["end"]
    out.append({"text": text[pos:], "finding": None})
    return out


def _chosen(view: service.DocumentView, key: str) -> set[int]:
    """Indices withheld in the decided value if decided, else in the proposal."""
    s = view.innsyn if key == "innsyn" else view.internett
    if s is None:
        return set()
    value = s["value"]
    if s.get("decision") and s["decision"].get("final_value"):
        value = s["decision"]["final_value"]
    spans = {(w["start"], w["end"]) for w in value.get("withheld", [])}
    return {f["index"] for f in view.findings if (f["start"], f["end"]) in spans}


def router() -> APIRouter:
    r = APIRouter()

    # --- API -------------------------------------------------------------------------------------
    @r.post(
        "/api/v1/skjerming/documents",
        status_code=201,
        tags=["skjerming"],
        summary="Store a document, find what to withhold, and record the innsyn and internet proposals",
    )
    def api_scan(
        request: Request,
        file: UploadFile,
        title: str | None = None,
        principal: Principal = Depends(current_principal),
    ):
        authorize(principal, "item.create", service=service.SERVICE)
        data = _read_upload(request, file)
        return service.screen_document(
            get_platform(request),
            principal.tenant_id,
            data,
            filename=file.filename,
            actor=principal.actor,
            source="api",
            title=title,
        )

    @r.get(
        "/api/v1/skjerming/documents/{item_id}",
        tags=["skjerming"],
        summary="A screened document: findings and the current suggestions",
    )
    def api_document(item_id: RowId, request: Request, principal: Principal = Depends(current_principal)):
        v = service.document_view(get_platform(request), principal, item_id)
        item = {k: v.item[k] for k in ("id", "filename", "title", "state", "meta", "received_at")}
        return {
            "item": item,
            "findings": v.findings,
            "innsyn": v.innsyn,
            "internett": v.internett,
            "offentlig_tittel": v.tittel,
        }

    @r.post(
        "/api/v1/skjerming/documents/{item_id}/decision",
        tags=["skjerming"],
        summary="Settle both verdicts with the findings to withhold (the chosen set is the final value)",
    )
    def api_decide(
        item_id: RowId,
        body: DecisionBody,
        request: Request,
        principal: Principal = Depends(current_principal),
    ):
        return service.decide_findings(
            get_platform(request),
            principal,
            item_id,
            innsyn=set(body.innsyn),
            internett=set(body.internett),
            reason=body.reason,
            whole_document=body.whole_document,
        )

    @r.get(
        "/api/v1/skjerming/documents/{item_id}/redacted",
        tags=["skjerming"],
        summary="The redacted file (decided set if decided, else the proposal)",
    )
    def api_redacted(
        item_id: RowId,
        request: Request,
        scope: str = "innsyn",
        principal: Principal = Depends(current_principal),
    ):
        return _download(service.redacted_file(get_platform(request), principal, item_id, scope))

    @r.post(
        "/api/v1/skjerming/redact",
        tags=["skjerming"],
        summary="Store a document, screen it, and return the redacted file per the proposal",
    )
    def api_redact(
        request: Request,
        file: UploadFile,
        scope: str = "innsyn",
        principal: Principal = Depends(current_principal),
    ):
        authorize(principal, "item.create", service=service.SERVICE)
        data = _read_upload(request, file)
        platform = get_platform(request)
        screened = service.screen_document(
            platform, principal.tenant_id, data, filename=file.filename, actor=principal.actor, source="api"
        )
        return _download(service.redacted_file(platform, principal, screened["item_id"], scope))

    # --- pages -----------------------------------------------------------------------------------
    @r.get("/skjerming", include_in_schema=False)
    def page_list(request: Request, p: Principal = Depends(page_principal)):
        docs = service.list_documents(get_platform(request), p)
        return _no_store(
            render(
                request,
                "skjerming/list.html",
                p,
                docs=docs,
                can_upload=p.can("item.create", service=service.SERVICE),
                DECISION_LABELS=engine.DECISION_LABELS,
            )
        )

    @r.post("/skjerming", include_in_schema=False)
    def page_upload(
        request: Request, p: Principal = Depends(page_principal), form: FormData = Depends(page_form)
    ):
        authorize(p, "item.create", service=service.SERVICE)
        files = [f for f in form.getlist("fil") if not isinstance(f, str) and f.filename]
        title = str(form.get("tittel") or "").strip() or None
        if not files:
            return redirect("/skjerming", ("error", "Velg en fil å laste opp."), request)
        if len(files) > 1:  # a batch: stored now, screened on the workers, progress on the job page
            return _upload_batch(request, p, files)
        file = files[0]
        with form_action(request, "/skjerming", error_prefix=f"{file.filename}: ") as action:
            data = _read_upload(request, file)
            result = service.screen_document(
                get_platform(request),
                p.tenant_id,
                data,
                filename=file.filename,
                actor=p.actor,
                source="upload",
                title=title,
            )
            n = len(result["findings"])
            action.done(f"Dokumentet er gjennomgått: {n} funn.", to=f"/skjerming/{result['item_id']}")
        return action.response

    def _upload_batch(request: Request, p: Principal, files: list) -> Response:
        platform = get_platform(request)
        stored: list[int] = []
        refused: list[str] = []
        for file in files:  # one bad file never stops the others
            try:
                data = _read_upload(request, file)
                stored.append(
                    service.store_document(
                        platform, p.tenant_id, data, filename=file.filename, actor=p.actor, source="upload"
                    )
                )
            except DomainError as exc:
                refused.append(f"{file.filename}: {exc.message}")
        if not stored:
            return redirect("/skjerming", ("error", " ".join(refused)), request)
        job_id = service.submit_batch(platform, p.tenant_id, stored, actor=p.actor)
        said = f"{len(stored)} dokumenter er lagret og gjennomgås i bakgrunnen."
        if refused:
            said += " Ikke lagret: " + " ".join(refused)
        return redirect(f"/jobber/{job_id}", ("ok", said), request)

    @r.post(
        "/api/v1/skjerming/batches",
        status_code=202,
        tags=["skjerming"],
        summary="Store several documents and screen them in the background (a batch job)",
    )
    def api_batch(
        request: Request, files: list[UploadFile], principal: Principal = Depends(current_principal)
    ):
        authorize(principal, "item.create", service=service.SERVICE)
        platform = get_platform(request)
        stored, refused = [], []
        for file in files:
            try:
                data = _read_upload(request, file)
                stored.append(
                    service.store_document(
                        platform,
                        principal.tenant_id,
                        data,
                        filename=file.filename,
                        actor=principal.actor,
                        source="api",
                    )
                )
            except DomainError as exc:
                refused.append({"filename": file.filename, "error": exc.message})
        if not stored:
            raise InvalidInput("Ingen av filene kunne lagres.")
        job_id = service.submit_batch(platform, principal.tenant_id, stored, actor=principal.actor)
        return {"job_id": job_id, "job_url": f"/jobber/{job_id}", "item_ids": stored, "refused": refused}

    @r.get("/skjerming/{item_id}", include_in_schema=False)
    def page_document(item_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        return _document_page(request, p, item_id)

    def _document_page(request: Request, p: Principal, item_id: int, sent: dict | None = None, **extra):
        """The document page; ``sent``: the choices of a refused form, shown again as they were sent
        (with ``form_error`` beside the field), so nothing the reviewer ticked is lost."""
        v = service.document_view(get_platform(request), p, item_id)
        text = v.item["text"] or ""
        pending = any(s and s["status"] == "pending" for s in (v.innsyn, v.internett))
        spec = get_platform(request).registry.get(service.SERVICE)
        can_decide = pending and p.can("suggestion.decide", service=spec.name)
        present = sorted({f["type"] for f in v.findings}, key=list(engine.TYPE_LABELS).index)
        return _no_store(
            render(
                request,
                "skjerming/document.html",
                p,
                doc=v.item,
                view=v,
                segments=segments(text, v.findings),
                findings=v.findings,
                why={f["index"]: explain.describe(f, v.findings) for f in v.findings},
                chosen_innsyn=sent["innsyn"] if sent else _chosen(v, "innsyn"),
                chosen_internett=sent["internett"] if sent else _chosen(v, "internett"),
                sent=sent,
                **extra,
                can_decide=can_decide,
                present=present,
                background=service.redacts_in_background(get_platform(request), p, item_id),
                TYPE_LABELS=engine.TYPE_LABELS,
                TYPE_CLASSES=TYPE_CLASSES,
                CATEGORY_LABELS=engine.CATEGORY_LABELS,
                DECISION_LABELS=engine.DECISION_LABELS,
                INTERNET_LABELS=engine.INTERNET_LABELS,
            )
        )

    @r.post("/skjerming/{item_id}/avgjor", include_in_schema=False)
    def page_decide(
        item_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        try:
            innsyn = {int(x) for x in form.getlist("innsyn")}
            internett = {int(x) for x in form.getlist("internett")}
        except ValueError:
            return redirect(f"/skjerming/{item_id}", ("error", "Ugyldig valg av funn."), request)

        def show_again(exc: DomainError) -> Response:  # the form as sent, the error beside the field
            sent = {"innsyn": innsyn, "internett": internett, "reason": str(form.get("begrunnelse", ""))}
            sent["hele"] = form.get("hele") == "1"
            page = _document_page(request, p, item_id, sent=sent, form_error=exc.message)
            page.status_code = exc.http_status
            return page

        with form_action(request, f"/skjerming/{item_id}", show_again=show_again) as action:
            service.decide_findings(
                get_platform(request),
                p,
                item_id,
                innsyn=innsyn,
                internett=internett,
                reason=str(form.get("begrunnelse", "")),
                whole_document=form.get("hele") == "1",
            )
            action.done("Avgjørelsen er lagret. Du kan laste ned den skjermede versjonen.")
        return action.response

    @r.get("/skjerming/{item_id}/skjermet", include_in_schema=False)
    def page_download(
        item_id: RowId, request: Request, p: Principal = Depends(page_principal), til: str = "innsyn"
    ):
        if til not in service.SCOPES:
            raise InvalidInput("Velg innsyn eller internett.")
        platform = get_platform(request)
        if service.redacts_in_background(platform, p, item_id):  # a GET starts no job: the page's form does
            return redirect(
                f"/skjerming/{item_id}#h-last-ned",
                ("info", "Dokumentet er stort: lag den skjermede versjonen i bakgrunnen med knappen under."),
                request,
            )
        return _download(service.redacted_file(platform, p, item_id, til))

    @r.post("/skjerming/{item_id}/skjermet", include_in_schema=False)
    def page_redact_in_background(
        item_id: RowId, request: Request, p: Principal = Depends(page_principal), til: str = Form("innsyn")
    ):
        """A large document's redacted file, made and verified on a worker; the job page links to it."""
        try:
            job_id = service.submit_redaction(get_platform(request), p, item_id, til)
        except DomainError as exc:
            return redirect(f"/skjerming/{item_id}", ("error", exc.message), request)
        return redirect(f"/jobber/{job_id}")

    @r.get("/skjerming/{item_id}/skjermet/ferdig", include_in_schema=False)
    def page_download_made(
        item_id: RowId, request: Request, p: Principal = Depends(page_principal), til: str = "innsyn"
    ):
        """The file the newest finished background redaction of this document made (the job's result)."""
        platform = get_platform(request)
        # another tenant's or an unknown document is refused as such (404/403), never a redirect
        service.redacts_in_background(platform, p, item_id)
        try:
            made = service.redaction_of_job(platform, p, item_id, til)
        except DomainError as exc:
            return redirect(f"/skjerming/{item_id}#h-last-ned", ("error", exc.message), request)
        return _download(made)

    @r.post(
        "/api/v1/skjerming/documents/{item_id}/redactions",
        status_code=202,
        tags=["skjerming"],
        summary="Make the redacted file on a worker (for large documents); download it from the job's result",
    )
    def api_redact_in_background(
        item_id: RowId,
        request: Request,
        scope: str = "innsyn",
        principal: Principal = Depends(current_principal),
    ):
        job_id = service.submit_redaction(get_platform(request), principal, item_id, scope)
        return {
            "job_id": job_id,
            "job_url": f"/jobber/{job_id}",
            "download": f"/api/v1/skjerming/documents/{item_id}/redactions/latest?scope={scope}",
        }

    @r.get(
        "/api/v1/skjerming/documents/{item_id}/redactions/latest",
        tags=["skjerming"],
        summary="The redacted file the newest finished background redaction made",
    )
    def api_redaction_made(
        item_id: RowId,
        request: Request,
        scope: str = "innsyn",
        principal: Principal = Depends(current_principal),
    ):
        return _download(service.redaction_of_job(get_platform(request), principal, item_id, scope))

    return r
