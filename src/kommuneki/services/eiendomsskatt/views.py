"""Eiendomsskatt pages and API: the ratio study with plots, the flagged dwellings, one page per dwelling
an owner can read, the tax settings, and the tax list as CSV or Excel. Thin: every route calls one
service function."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ...core.errors import DomainError, Forbidden
from ...core.permissions import Principal, authorize
from ...web.deps import current_principal, get_platform, read_upload
from ...web.pages import page_principal, redirect, render
from . import plots, service

OFFICE_ROLES = {"eiendomsskatt", "admin"}


def _office(p: Principal) -> None:
    if not (OFFICE_ROLES & set(p.roles)) and not (p.via == "cli" and p.user_id is None):
        raise Forbidden("Bare eiendomsskattekontoret har tilgang til dette.")


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/eiendomsskatt", include_in_schema=False)
    def overview(request: Request, p: Principal = Depends(page_principal)):
        _office(p)
        platform = get_platform(request)
        try:
            run = service.run_summary(platform, p.tenant_id)
        except DomainError:
            run = None
        svg_scatter = svg_bands = ""
        if run:
            study = run["summary"]["study"]
            pts = np.array(study.get("points") or [[1, 1]], dtype=float)
            svg_scatter = plots.ratio_vs_price(pts[:, 0], pts[:, 1] / pts[:, 0])
            svg_bands = plots.ratio_by_band(study["groups"].get("price_band", []))
        settings = service.get_settings(platform, p.tenant_id)
        return _no_store(render(request, "eiendomsskatt/overview.html", p, run=run, svg_scatter=svg_scatter,
                                svg_bands=svg_bands, settings=settings.as_dict()))

    @r.post("/eiendomsskatt/innstillinger", include_in_schema=False)
    async def save_settings(request: Request, p: Principal = Depends(page_principal), promille: str = Form(""),
                            bunnfradrag: str = Form(""), valuation_date: str = Form("")):
        _office(p)
        platform = get_platform(request)
        current = service.get_settings(platform, p.tenant_id).as_dict()
        raw = {**current, "promille": promille.replace(",", "."), "bunnfradrag": bunnfradrag.replace(" ", "") or 0,
               "valuation_date": valuation_date or current["valuation_date"]}
        try:
            service.set_settings(platform, p.tenant_id, raw, actor=p.actor)
        except DomainError as exc:
            return redirect("/eiendomsskatt", ("error", exc.message), request)
        return redirect("/eiendomsskatt", ("ok", "Innstillingene er lagret."), request)

    @r.post("/eiendomsskatt/verdsett", include_in_schema=False)
    async def upload_and_value(request: Request, p: Principal = Depends(page_principal)):
        """Sales, dwellings and a mapping (file or text) in; one valuation run (synchronous: fine for a
        small kommune; a large one runs `kommuneki eiendomsskatt value --tenant` in the background)."""
        _office(p)
        authorize(p, "item.create")
        form = await request.form()
        files = {}
        for key, label in (("salg", "salgsfilen"), ("boliger", "boligfilen")):
            f = form.get(key)
            if f is None or isinstance(f, str) or not f.filename:
                return redirect("/eiendomsskatt", ("error", f"Velg {label}."), request)
            files[key] = f
        mapping_text, mapping_name = str(form.get("oppsett_tekst") or ""), "oppsett.json"
        mf = form.get("oppsett")
        try:
            if mf is not None and not isinstance(mf, str) and mf.filename:
                mapping_text, mapping_name = (await read_upload(request, mf)).decode("utf-8"), mf.filename
            res = service.value_from_files(
                get_platform(request), p.tenant_id, sales=await read_upload(request, files["salg"]),
                sales_name=files["salg"].filename, dwellings=await read_upload(request, files["boliger"]),
                dwellings_name=files["boliger"].filename, mapping_text=mapping_text, mapping_name=mapping_name,
                actor=p.actor, source="upload")
        except UnicodeDecodeError:
            return redirect("/eiendomsskatt", ("error", "Kolonneoppsettet må være UTF-8-tekst (JSON eller YAML)."),
                            request)
        except DomainError as exc:
            return redirect("/eiendomsskatt", ("error", exc.message), request)
        return redirect("/eiendomsskatt", ("ok", f"{res['dwellings']} boliger er verdsatt; {res['flagged']} er "
                                                  f"flagget for kontroll og {res['sales_rejected']} salg utelatt "
                                                  "med grunn."), request)

    @r.get("/eiendomsskatt/skatteliste.{fmt}", include_in_schema=False)
    def tax_list(fmt: str, request: Request, p: Principal = Depends(page_principal)):
        _office(p)
        data = service.export_tax_list(get_platform(request), p.tenant_id, fmt, actor=p.actor)
        media = "text/csv; charset=utf-8" if fmt == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return _no_store(Response(data, media_type=media,
                                  headers={"Content-Disposition": f'attachment; filename="skatteliste.{fmt}"'}))

    @r.get("/eiendomsskatt/bolig/{unit_id:path}", include_in_schema=False)
    def dwelling_page(unit_id: str, request: Request, p: Principal = Depends(page_principal)):
        _office(p)
        d = service.dwelling(get_platform(request), p.tenant_id, unit_id)
        return _no_store(render(request, "eiendomsskatt/dwelling.html", p, d=d))

    @r.get("/api/v1/eiendomsskatt/dwellings/{unit_id:path}", tags=["eiendomsskatt"],
           summary="One taxable unit's valuation, explanation and tax")
    def api_dwelling(unit_id: str, request: Request, principal: Principal = Depends(current_principal)):
        _office(principal)
        return service.dwelling(get_platform(request), principal.tenant_id, unit_id)

    @r.get("/api/v1/eiendomsskatt/runs/latest", tags=["eiendomsskatt"], summary="The latest run and its ratio study")
    def api_run(request: Request, principal: Principal = Depends(current_principal)):
        _office(principal)
        return service.run_summary(get_platform(request), principal.tenant_id)

    return r
