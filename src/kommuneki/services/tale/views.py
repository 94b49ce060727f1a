"""Tale pages and API: the recorder's own list, upload (works without JavaScript), recording in the
browser, the review page (transcript with uncertain words marked, audio by segment, the note to correct
and approve), and the exports. Thin: every route calls one service function. No GET changes state."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.datastructures import FormData

from ...core.errors import NotFound
from ...core.permissions import Principal
from ...web.deps import RowId, current_principal, get_platform, page_form, page_principal, read_upload_sync
from ...web.forms import form_action
from ...web.rendering import redirect, render
from . import service, texts

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"record.js": "text/javascript", "review.js": "text/javascript", "tale.css": "text/css"}


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _user(p: Principal) -> None:
    service.authorize_use(p)


def _words(request: Request, p: Principal) -> dict:
    """The page text and the recording bases in the tenant's målform."""
    m = service.malform(get_platform(request), p.tenant_id)
    return {"t": texts.texts(m), "bases": texts.bases(m, service.BASES)}


def _upload(request: Request, p: Principal, file, basis: str, source: str) -> int:
    data = read_upload_sync(request, file)
    return service.store_recording(
        get_platform(request),
        p,
        data,
        filename=file.filename,
        content_type=file.content_type or "",
        basis=basis,
        source=source,
    )


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/tale/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in STATIC_FILES:
            raise NotFound("Fant ikke filen.")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name])

    @r.get("/tale", include_in_schema=False)
    def home(request: Request, p: Principal = Depends(page_principal)):
        _user(p)
        platform = get_platform(request)
        return _no_store(
            render(
                request,
                "tale/home.html",
                p,
                recordings=service.my_recordings(platform, p),
                **_words(request, p),
            )
        )

    @r.get("/tale/opptak/ny", include_in_schema=False)
    def record_page(request: Request, p: Principal = Depends(page_principal)):
        _user(p)
        return _no_store(render(request, "tale/record.html", p, **_words(request, p)))

    @r.post("/tale/opptak", include_in_schema=False)
    def upload(request: Request, p: Principal = Depends(page_principal), form: FormData = Depends(page_form)):
        """Upload (a form post; works without JavaScript) or the recorder's upload from the browser."""
        _user(p)
        file = form.get("lyd")
        if file is None or isinstance(file, str) or not file.filename:
            return redirect("/tale", ("error", _words(request, p)["t"]["flash_choose_file"]), request)
        with form_action(request, "/tale") as action:
            item_id = _upload(
                request,
                p,
                file,
                str(form.get("grunnlag") or "dokumentasjonsplikt"),
                "browser" if form.get("kilde") == "nettleser" else "upload",
            )
            job_id = service.start_transcription(get_platform(request), p, item_id)
            if request.headers.get("accept", "").startswith("application/json"):
                return {"item_id": item_id, "job_id": job_id, "job_url": f"/jobber/{job_id}"}
            action.done(None, to=f"/jobber/{job_id}")
        return action.response

    @r.get("/tale/opptak/{item_id}", include_in_schema=False)
    def review(item_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        _user(p)
        rec = service.recording(get_platform(request), p, item_id)
        text = service.note_text(rec["approved"]["sections"]) if rec.get("approved") else ""
        return _no_store(
            render(request, "tale/review.html", p, rec=rec, export_text=text, **_words(request, p))
        )

    @r.get("/tale/opptak/{item_id}/lyd", include_in_schema=False)
    def audio(item_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        _user(p)
        data, media = service.audio(get_platform(request), p, item_id)
        return _no_store(Response(data, media_type=media or "application/octet-stream"))

    @r.post("/tale/opptak/{item_id}/godkjenn", include_in_schema=False)
    def approve(
        item_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        _user(p)
        texts = {str(k)[len("seksjon:") :]: str(v) for k, v in form.items() if str(k).startswith("seksjon:")}
        with form_action(request, f"/tale/opptak/{item_id}") as action:
            service.approve(get_platform(request), p, item_id, texts)
            action.done(_words(request, p)["t"]["flash_approved"])
        return action.response

    @r.post("/tale/opptak/{item_id}/kollega", include_in_schema=False)
    def colleague(
        item_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.authorize_use(p)
        with form_action(request, f"/tale/opptak/{item_id}") as action:
            service.set_colleague_by_username(
                get_platform(request), p, item_id, str(form.get("brukernavn") or "")
            )
            action.done(_words(request, p)["t"]["flash_colleague"])
        return action.response

    @r.post("/tale/opptak/{item_id}/eksport", include_in_schema=False)
    def export(
        item_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        _user(p)
        with form_action(request, f"/tale/opptak/{item_id}") as action:
            body, media, name = service.export(get_platform(request), p, item_id, str(form.get("format")))
            return _no_store(
                Response(
                    body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
                )
            )
        return action.response

    # --- API --------------------------------------------------------------------------------------

    @r.post(
        "/api/v1/tale/recordings",
        status_code=202,
        tags=["tale"],
        summary="Store a recording and start its transcription (a background job)",
    )
    def api_upload(
        request: Request,
        file: UploadFile,
        basis: str = "dokumentasjonsplikt",
        principal: Principal = Depends(current_principal),
    ):
        _user(principal)
        item_id = _upload(request, principal, file, basis, "api")
        job_id = service.start_transcription(get_platform(request), principal, item_id)
        return {"item_id": item_id, "job_id": job_id, "job": f"/api/v1/jobs/{job_id}"}

    @r.get(
        "/api/v1/tale/recordings/{item_id}",
        tags=["tale"],
        summary="A recording's transcript and note (the recorder and the named colleague only)",
    )
    def api_get(item_id: RowId, request: Request, principal: Principal = Depends(current_principal)):
        _user(principal)
        rec = service.recording(get_platform(request), principal, item_id)
        return {k: v for k, v in rec.items() if k != "received_at"} | {"received_at": str(rec["received_at"])}

    return r
