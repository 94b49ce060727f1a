"""Eiendomsskatt pages and API: the ratio study with plots, the flagged dwellings, one page per dwelling
an owner can read, the tax settings, and the tax list as CSV or Excel. Thin: every route calls one
service function."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from ...core import jobs, tasks
from ...core.errors import DomainError, InvalidInput
from ...core.permissions import Principal, authorize
from ...web.deps import RowId, current_principal, get_platform, page_form, page_principal, read_upload_sync
from ...web.forms import form_action
from ...web.rendering import redirect, render
from . import plots, service
from .engine import mapping_editor as editor
from .engine.mapping import Mapping, parse_mapping, read_table


def _office(p: Principal) -> None:
    authorize(p, "eiendomsskatt.office")


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _uploads(request: Request, form) -> tuple[dict, str, str]:
    """The sales and dwellings uploads of the form on /eiendomsskatt, and the mapping given as a file
    or as text (may be empty). Raises InvalidInput with a message for the page."""
    files = {}
    for key, label in (("salg", "salgsfilen"), ("boliger", "boligfilen")):
        f = form.get(key)
        if f is None or isinstance(f, str) or not f.filename:
            raise InvalidInput(f"Velg {label}.")
        files[key] = f
    mapping_text, mapping_name = str(form.get("oppsett_tekst") or ""), "oppsett.json"
    mf = form.get("oppsett")
    if mf is not None and not isinstance(mf, str) and mf.filename:
        try:
            mapping_text, mapping_name = read_upload_sync(request, mf).decode("utf-8"), mf.filename
        except UnicodeDecodeError as exc:
            raise InvalidInput("Kolonneoppsettet må være UTF-8-tekst (JSON eller YAML).") from exc
    return files, mapping_text, mapping_name


def _editor_page(
    request: Request,
    p: Principal,
    data: tuple,
    choices: editor.Choices | None = None,
    outcome: editor.Outcome | None = None,
    status_code: int = 200,
):
    """The column-by-column editor for one upload (``data`` from :func:`_editor_data`): the guessed (or
    given, or sent) choices and their errors."""
    f, sales, dwellings, columns = data
    if choices is None:
        draft = f.get("mapping")
        choices = (
            editor.from_mapping(columns, sales, Mapping.from_dict(draft))
            if draft
            else editor.guess(columns, sales)
        )
    return _no_store(
        render(
            request,
            "eiendomsskatt/mapping.html",
            p,
            status_code=status_code,
            f=f,
            m=editor.editor_context(columns, choices, outcome),
            n_sales=len(sales),
            n_dwellings=len(dwellings),
        )
    )


def _editor_data(request: Request, p: Principal, item_id: int):
    f = service.uploaded_files(get_platform(request), p.tenant_id, item_id)
    sales, dwellings = (
        read_table(f["sales"], f["sales_name"]),
        read_table(f["dwellings"], f["dwellings_name"]),
    )
    return f, sales, dwellings, editor.describe(sales, dwellings)


def _store(request: Request, p: Principal, files: dict, mapping: dict | None) -> int:
    """Store the uploaded sales and dwellings files (raw first) with the mapping; the sales item's id."""
    sales_id, _d = service.store_files(
        get_platform(request),
        p.tenant_id,
        sales=read_upload_sync(request, files["salg"]),
        sales_name=files["salg"].filename,
        dwellings=read_upload_sync(request, files["boliger"]),
        dwellings_name=files["boliger"].filename,
        actor=p.actor,
        source="upload",
        mapping=mapping,
    )
    return sales_id


def _start_valuation(request: Request, p: Principal, sales_item_id: int, mapping: dict):
    """Value the stored upload in a background job (``core/jobs.py``) and send the user to its page. The
    job's page links to the overview when done, and back to the editor of this upload when it fails.
    While another valuation runs for the tenant, none is started: the user comes back to this upload's
    editor (the files stay stored) with a message, and values it when the running one is done."""
    platform = get_platform(request)
    tenant_id, actor = p.tenant_id, p.actor
    if jobs.running(platform, tenant_id, service.SERVICE) is not None:
        return redirect(
            f"/eiendomsskatt/oppsett/{sales_item_id}",
            (
                "info",
                "En verdsetting pågår allerede. Filene dine er lagret: trykk «Verdsett boligene» "
                "igjen når den er ferdig.",
            ),
            request,
        )

    job_id = tasks.submit(
        platform,
        tenant_id,
        service.VALUATION_TASK,
        {"sales_item_id": sales_item_id, "mapping": mapping, "actor": actor},
        actor=actor,
        result_url="/eiendomsskatt",
        failure_url=f"/eiendomsskatt/oppsett/{sales_item_id}",
    )
    return redirect(f"/jobber/{job_id}")


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/eiendomsskatt", include_in_schema=False)
    def overview(
        request: Request, p: Principal = Depends(page_principal), kjoring: int | None = None, side: int = 1
    ):
        _office(p)
        platform = get_platform(request)
        try:
            run = service.run_summary(platform, p.tenant_id, kjoring, page=side)
        except DomainError:
            if kjoring is not None:
                raise
            run = None
        svg_scatter = svg_bands = ""
        if run:
            study = run["summary"]["study"]
            pts = np.array(study.get("points") or [[1, 1]], dtype=float)
            svg_scatter = plots.ratio_vs_price(pts[:, 0], pts[:, 1] / pts[:, 0])
            svg_bands = plots.ratio_by_band(study["groups"].get("price_band", []))
        settings = service.get_settings(platform, p.tenant_id)
        return _no_store(
            render(
                request,
                "eiendomsskatt/overview.html",
                p,
                run=run,
                svg_scatter=svg_scatter,
                svg_bands=svg_bands,
                settings=settings.as_dict(),
            )
        )

    @r.post("/eiendomsskatt/kjoring/{run_id:int}/godkjenn", include_in_schema=False)
    def approve(run_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        """A person approves a draft run: the tax list comes from it from now on."""
        _office(p)
        authorize(p, "suggestion.decide", service="eiendomsskatt")
        with form_action(request, f"/eiendomsskatt?kjoring={run_id}") as action:
            res = service.approve_run(get_platform(request), p.tenant_id, run_id, actor=p.actor)
            action.done(
                "Verdsettingen var allerede godkjent."
                if res["done"] == "already"
                else "Verdsettingen er godkjent. Skattelisten lages nå fra den."
            )
        return action.response

    @r.post("/eiendomsskatt/kontroll/{valuation_id:int}", include_in_schema=False)
    def queue_for_review(valuation_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        """Open a flagged dwelling that is not yet in the review queue: queued now, then its suggestion."""
        _office(p)
        authorize(p, "suggestion.decide", service="eiendomsskatt")
        with form_action(request, "/eiendomsskatt") as action:
            sid = service.queue_dwelling(get_platform(request), p.tenant_id, valuation_id, actor=p.actor)
            action.done(None, to=f"/forslag/{sid}?{urlencode({'tilbake': '/eiendomsskatt'})}")
        return action.response

    @r.post("/eiendomsskatt/innstillinger", include_in_schema=False)
    def save_settings(
        request: Request,
        p: Principal = Depends(page_principal),
        promille: str = Form(""),
        bunnfradrag: str = Form(""),
        valuation_date: str = Form(""),
    ):
        _office(p)
        platform = get_platform(request)
        current = service.get_settings(platform, p.tenant_id).as_dict()
        raw = {
            **current,
            "promille": promille.replace(",", "."),
            "bunnfradrag": bunnfradrag.replace(" ", "") or 0,
            "valuation_date": valuation_date or current["valuation_date"],
        }
        with form_action(request, "/eiendomsskatt") as action:
            service.set_settings(platform, p.tenant_id, raw, actor=p.actor)
            action.done("Innstillingene er lagret.")
        return action.response

    @r.post("/eiendomsskatt/verdsett", include_in_schema=False)
    def upload_and_value(
        request: Request, p: Principal = Depends(page_principal), form: FormData = Depends(page_form)
    ):
        """Sales, dwellings and a mapping (file or text) in: the mapping is checked and the files stored
        at once; the valuation runs as a background job, and the browser goes to its progress page."""
        _office(p)
        authorize(p, "item.create", service="eiendomsskatt")
        with form_action(request, "/eiendomsskatt") as action:
            files, mapping_text, mapping_name = _uploads(request, form)
            mapping = parse_mapping(mapping_text, mapping_name).to_dict()
            sales_id = _store(request, p, files, mapping)
        if action.failed:
            return action.response
        return _start_valuation(request, p, sales_id, mapping)

    @r.post("/eiendomsskatt/oppsett", include_in_schema=False)
    def upload_for_editor(
        request: Request, p: Principal = Depends(page_principal), form: FormData = Depends(page_form)
    ):
        """The same upload, stored first; then the column-by-column editor (prefilled from the mapping
        file or text when one was given, else guessed from the column names)."""
        _office(p)
        authorize(p, "item.create", service="eiendomsskatt")
        with form_action(request, "/eiendomsskatt") as action:
            files, mapping_text, mapping_name = _uploads(request, form)
            draft = parse_mapping(mapping_text, mapping_name).to_dict() if mapping_text.strip() else None
            sales_id = _store(request, p, files, draft)
            action.done(None, to=f"/eiendomsskatt/oppsett/{sales_id}")
        return action.response

    @r.get("/eiendomsskatt/oppsett/{item_id:int}", include_in_schema=False)
    def mapping_editor(item_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        _office(p)
        try:
            return _editor_page(request, p, _editor_data(request, p, item_id))
        except InvalidInput as exc:  # a file that cannot be read as a table
            return redirect("/eiendomsskatt", ("error", exc.message), request)

    @r.post("/eiendomsskatt/oppsett/{item_id:int}", include_in_schema=False)
    def mapping_editor_submit(
        item_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        sent: FormData = Depends(page_form),
    ):
        """Check the choices; then value with them, or send the mapping as a JSON or YAML file."""
        _office(p)
        authorize(p, "item.create", service="eiendomsskatt")
        form = {k: v for k, v in sent.items() if isinstance(v, str)}
        try:
            data = _editor_data(request, p, item_id)
        except InvalidInput as exc:
            return redirect("/eiendomsskatt", ("error", exc.message), request)
        _f, sales, dwellings, columns = data
        choices = editor.from_form(columns, form)
        outcome = editor.build(columns, choices, sales, dwellings)
        if outcome.mapping is None:
            return _editor_page(request, p, data, choices, outcome, status_code=422)
        action = form.get("handling", "verdsett")
        if action in ("json", "yaml"):
            media = "application/json" if action == "json" else "application/yaml"
            return _no_store(
                Response(
                    editor.dump(outcome.mapping, action),
                    media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="kolonneoppsett.{action}"'},
                )
            )
        # the checks above are quick; the valuation runs as a job (a refusal there links back here)
        return _start_valuation(request, p, item_id, outcome.mapping)

    @r.get("/eiendomsskatt/kolonneoppsett.{fmt}", include_in_schema=False)
    def latest_mapping(fmt: str, request: Request, p: Principal = Depends(page_principal)):
        """The mapping the latest run used, as a file for `--mapping` or for the upload form."""
        _office(p)
        data = editor.dump(service.latest_mapping(get_platform(request), p.tenant_id), fmt)
        media = "application/json" if fmt == "json" else "application/yaml"
        return _no_store(
            Response(
                data,
                media_type=f"{media}; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="kolonneoppsett.{fmt}"'},
            )
        )

    @r.get("/eiendomsskatt/skatteliste.{fmt}", include_in_schema=False)
    def tax_list(fmt: str, request: Request, p: Principal = Depends(page_principal)):
        _office(p)
        data = service.export_tax_list(get_platform(request), p.tenant_id, fmt, actor=p.actor)
        media = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return _no_store(
            Response(
                data,
                media_type=media,
                headers={"Content-Disposition": f'attachment; filename="skatteliste.{fmt}"'},
            )
        )

    @r.get("/eiendomsskatt/bolig/{unit_id:path}", include_in_schema=False)
    def dwelling_page(
        unit_id: str, request: Request, p: Principal = Depends(page_principal), kjoring: int | None = None
    ):
        _office(p)
        d = service.dwelling(get_platform(request), p.tenant_id, unit_id, kjoring)
        return _no_store(render(request, "eiendomsskatt/dwelling.html", p, d=d))

    @r.get(
        "/api/v1/eiendomsskatt/dwellings/{unit_id:path}",
        tags=["eiendomsskatt"],
        summary="One taxable unit's valuation, explanation and tax",
    )
    def api_dwelling(unit_id: str, request: Request, principal: Principal = Depends(current_principal)):
        _office(principal)
        return service.dwelling(get_platform(request), principal.tenant_id, unit_id)

    @r.get(
        "/api/v1/eiendomsskatt/runs/latest",
        tags=["eiendomsskatt"],
        summary="The latest run (draft or approved) and its ratio study",
    )
    def api_run(request: Request, principal: Principal = Depends(current_principal)):
        _office(principal)
        return service.run_summary(get_platform(request), principal.tenant_id)

    return r
