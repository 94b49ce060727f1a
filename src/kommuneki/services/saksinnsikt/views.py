"""Saksinnsikt routes: the question page (POST: a search is recorded, so it never runs on a GET), the
document view with the cited passage highlighted, the original as a download, the useful/not useful
mark, and the JSON API. Thin: each authorizes, then calls one service function."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData

from ...core.errors import InvalidInput
from ...core.permissions import Principal, authorize
from ...web.deps import RowId, current_principal, page_form
from . import service
from .engine.search import METHODS

SERVICE = "saksinnsikt"
OUTCOME_LABELS = {
    "innvilget": "Innvilget",
    "delvis_innvilget": "Delvis innvilget",
    "avslatt": "Avslått",
    "avvist": "Avvist",
}


def highlight(text: str, start: int | None, end: int | None) -> list[tuple[str, bool]]:
    """(piece, marked) so the template marks the cited span without markup in the data (autoescaped)."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return [(text, False)]
    return [(text[:start], False), (text[start:end], True), (text[end:], False)]


def similar_panel(request: Request, principal: Principal, context: dict) -> str | None:
    """The «like saker» panel on a postmottak message page (a GET: nothing is recorded)."""
    from ...core import items as core_items
    from ...core.errors import DomainError

    platform = request.app.state.platform
    if not principal.can("item.read", service=SERVICE) or not context.get("item_id"):
        return None
    with platform.db.tenant_session(principal.tenant_id) as session:
        item = session.get(core_items.Item, context["item_id"])
        if item is None or not item.text:
            return None
        try:
            core_items.authorize_read(principal, item, platform.registry)
        except DomainError:
            return None
        text = item.text
    found = service.similar_cases(platform, principal, text=text, k=12)
    if not found["cases"]:
        return None
    template = request.app.state.templates.get_template("saksinnsikt/_similar.html")
    return template.render(similar=found, OUTCOME=OUTCOME_LABELS)


class SimilarRequest(BaseModel):
    text: str | None = Field(default=None, description="Teksten i den nye saken (søknad, melding)")
    document_id: int | None = None
    k: int = 12


class SearchRequest(BaseModel):
    query: str = Field(description="Spørsmålet eller søkeordene (høyst 2000 tegn)")
    k: int = 10
    method: str = "hybrid"
    answer: bool = True
    saksnummer: str | None = None
    dokumenttype: str | None = None
    outcome: str | None = None
    date_from: str | None = None
    date_to: str | None = None


def _filters(sak: str, dokumenttype: str, utfall: str, fra: str, til: str) -> service.Filters:
    if utfall and utfall not in OUTCOME_LABELS:
        raise InvalidInput("Ukjent utfall.")
    return service.Filters(
        saksnummer=sak.strip() or None,
        dokumenttype=dokumenttype.strip() or None,
        outcome=utfall or None,
        date_from=fra or None,
        date_to=til or None,
    )


def router() -> APIRouter:
    from ...web.deps import page_principal
    from ...web.rendering import redirect, render

    r = APIRouter()

    @r.get("/saksinnsikt", include_in_schema=False)
    def search_page(request: Request, principal: Principal = Depends(page_principal)):
        authorize(principal, "item.read", service=SERVICE)
        return render(
            request, "saksinnsikt/search.html", principal, form={}, res=None, OUTCOME=OUTCOME_LABELS
        )

    @r.post("/saksinnsikt", include_in_schema=False)
    def search_post(
        request: Request, principal: Principal = Depends(page_principal), sent: FormData = Depends(page_form)
    ):
        authorize(principal, "item.read", service=SERVICE)
        form = {k: str(v) for k, v in sent.items() if k != "csrf_token"}
        method = form.get("metode", "hybrid")
        if method not in METHODS:
            raise InvalidInput("Ukjent metode.")
        res = service.search(
            request.app.state.platform,
            principal,
            form.get("q", ""),
            k=10,
            method=method,
            answer=True,
            filters=_filters(
                form.get("sak", ""),
                form.get("dokumenttype", ""),
                form.get("utfall", ""),
                form.get("fra", ""),
                form.get("til", ""),
            ),
        )
        return render(
            request, "saksinnsikt/search.html", principal, form=form, res=res, OUTCOME=OUTCOME_LABELS
        )

    @r.post("/saksinnsikt/svar/{suggestion_id}/vurdering", include_in_schema=False)
    def mark_page(
        request: Request,
        suggestion_id: RowId,
        principal: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.mark_useful(request.app.state.platform, principal, suggestion_id, form.get("nyttig") == "ja")
        return redirect("/saksinnsikt", ("ok", "Takk! Vurderingen er lagret."), request)

    @r.get("/saksinnsikt/sak", include_in_schema=False)
    def case_page(request: Request, dokument: int, principal: Principal = Depends(page_principal)):
        """A stored document's case and the earlier cases most like it (nothing recorded on a GET)."""
        authorize(principal, "item.read", service=SERVICE)
        platform = request.app.state.platform
        view = service.document_view(platform, principal, dokument, None)
        found = service.similar_cases(platform, principal, document_id=dokument)
        return render(
            request, "saksinnsikt/case.html", principal, v=view, similar=found, OUTCOME=OUTCOME_LABELS
        )

    @r.get("/saksinnsikt/dokument/{document_id}", include_in_schema=False)
    def document_page(
        request: Request,
        document_id: RowId,
        passasje: int | None = None,
        fra: int | None = None,
        til: int | None = None,
        principal: Principal = Depends(page_principal),
    ):
        authorize(principal, "item.read", service=SERVICE)
        view = service.document_view(request.app.state.platform, principal, document_id, passasje)
        p = view["passage"]
        start, end = (p["start"], p["end"]) if p else (None, None)
        if p and fra is not None and til is not None and p["start"] <= fra < til <= p["end"]:
            start, end = fra, til  # the answer's sentence inside the cited passage
        return render(
            request,
            "saksinnsikt/document.html",
            principal,
            v=view,
            parts=highlight(view["text"], start, end),
            OUTCOME=OUTCOME_LABELS,
        )

    @r.get("/saksinnsikt/dokument/{document_id}/original", include_in_schema=False)
    def original_download(
        request: Request, document_id: RowId, principal: Principal = Depends(page_principal)
    ):
        authorize(principal, "item.read", service=SERVICE)
        data, filename = service.original(request.app.state.platform, principal, document_id)
        safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{safe}"'},
        )

    @r.post(
        "/api/v1/saksinnsikt/search",
        summary="Search the tenant's documents; extractive answer with citations",
    )
    def api_search(body: SearchRequest, request: Request, principal: Principal = Depends(current_principal)):
        authorize(principal, "item.read", service=SERVICE)
        if body.method not in METHODS:
            raise InvalidInput("Ukjent metode (bruk hybrid, bm25 eller dense).")
        return service.search(
            request.app.state.platform,
            principal,
            body.query,
            k=body.k,
            method=body.method,
            answer=body.answer,
            filters=service.Filters(
                saksnummer=body.saksnummer,
                dokumenttype=body.dokumenttype,
                outcome=body.outcome,
                date_from=body.date_from,
                date_to=body.date_to,
            ),
        )

    @r.get(
        "/api/v1/saksinnsikt/documents/{document_id}", summary="A document's text as the caller may read it"
    )
    def api_document(
        document_id: RowId,
        request: Request,
        passage: int | None = None,
        principal: Principal = Depends(current_principal),
    ):
        authorize(principal, "item.read", service=SERVICE)
        return service.document_view(request.app.state.platform, principal, document_id, passage)

    return r
