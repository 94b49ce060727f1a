"""Bemanning pages and API: upload the aggregated history (and the minimum staffing), forecast as a
background job, all units at a glance, one page per unit with the plot, the table by day and shift and
a link to the staffing proposal the unit leader decides on. Thin: every route calls one service
function. Never per person: the pages show counts per unit only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import Response

from ...core import tasks
from ...core.errors import DomainError, InvalidInput
from ...core.permissions import Principal, authorize
from ...web.deps import current_principal, get_platform, read_upload
from ...web.pages import page_principal, redirect, render
from . import plots, service
from .engine.forecast import forecast
from .engine.history import read_history


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


async def _file(request: Request, form, key: str) -> bytes | None:
    f = form.get(key)
    if f is None or isinstance(f, str) or not f.filename:
        return None
    return await read_upload(request, f)


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/bemanning", include_in_schema=False)
    def overview(request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "bemanning.read", service="bemanning")
        platform = get_platform(request)
        units = service.latest(platform, p.tenant_id, p.units)
        return _no_store(
            render(
                request,
                "bemanning/overview.html",
                p,
                units=units,
                settings=service.get_settings(platform, p.tenant_id),
            )
        )

    @r.post("/bemanning/prognose", include_in_schema=False)
    async def upload(request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        form = await request.form()
        try:
            history = await _file(request, form, "historikk")
            if history is None:
                raise InvalidInput("Velg en fil med fraværstall (date,unit,absent[,staff]).")
            minimum = await _file(request, form, "minimum")
            ids = service.store_upload(
                platform, p.tenant_id, history, minimum, filename=form["historikk"].filename, actor=p.actor
            )
        except DomainError as exc:
            return redirect("/bemanning", ("error", exc.message), request)
        job_id = tasks.submit(
            platform,
            p.tenant_id,
            service.FORECAST_TASK,
            {"history_item_id": ids["history"], "minimum_item_id": ids["minimum"], "actor": p.actor},
            actor=p.actor,
            result_url="/bemanning",
            failure_url="/bemanning",
        )
        return redirect(f"/jobber/{job_id}")

    @r.post("/bemanning/fravaer", include_in_schema=False)
    async def upload_records(request: Request, p: Principal = Depends(page_principal)):
        """Absence records (person, unit, from, to, type): counted per unit and day in memory; only the
        counts are stored, never the file or any person (ADR 0009)."""
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        form = await request.form()
        try:
            data = await _file(request, form, "fravaer")
            if data is None:
                raise InvalidInput("Velg en fil med fraværsperioder.")
            ids = service.import_absence_records(platform, p.tenant_id, data, filename=None, actor=p.actor)
        except DomainError as exc:
            return redirect("/bemanning", ("error", exc.message), request)
        job_id = tasks.submit(
            platform,
            p.tenant_id,
            service.FORECAST_TASK,
            {"history_item_id": ids["history"], "minimum_item_id": None, "actor": p.actor},
            actor=p.actor,
            result_url="/bemanning",
            failure_url="/bemanning",
        )
        return redirect(f"/jobber/{job_id}")

    @r.post("/bemanning/turnus", include_in_schema=False)
    async def rota_repair(request: Request, p: Principal = Depends(page_principal)):
        """Who may take an extra shift under arbeidsmiljøloven, from the rota alone (nothing decided)."""
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        form = await request.form()
        try:
            data = await _file(request, form, "turnus")
            if data is None:
                raise InvalidInput("Velg en turnusfil (person,date,shift,from,to).")
            result = service.rota_repair(
                platform,
                p.tenant_id,
                data,
                day=str(form.get("dag") or ""),
                shift=str(form.get("vakt") or "").strip(),
                arrangement=str(form.get("ordning") or "turnus"),
                agreement=str(form.get("avtale") or "ingen"),
                filename=form["turnus"].filename,
                actor=p.actor,
            )
        except DomainError as exc:
            return redirect("/bemanning", ("error", exc.message), request)
        return _no_store(render(request, "bemanning/rota.html", p, result=result))

    @r.get("/bemanning/enhet/{item_id:int}", include_in_schema=False)
    def unit_page(item_id: int, request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "bemanning.read", service="bemanning")
        view = service.unit_view(get_platform(request), p.tenant_id, item_id, p.units)
        staffing = view["staffing"]["value"] if view["staffing"] else None
        svg = plots.forecast_plot(view["forecast"]["value"], staffing)
        record = service.track_record(get_platform(request), p.tenant_id, item_id)
        return _no_store(
            render(request, "bemanning/unit.html", p, view=view, svg=svg, record=record, item_id=item_id)
        )

    @r.post("/bemanning/enhet/{item_id:int}/tilbakeblikk", include_in_schema=False)
    async def run_backtest(item_id: int, request: Request, p: Principal = Depends(page_principal)):
        """The rolling-origin backtest on the history this unit's forecast came from, as a background job."""
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        source_id = service.source_of(platform, p.tenant_id, item_id, p.units)
        form = await request.form()
        try:
            origins = min(max(int(form.get("uker") or 12), 1), 52)
        except ValueError:
            origins = 12
        job_id = tasks.submit(
            platform,
            p.tenant_id,
            service.BACKTEST_TASK,
            {"history_item_id": source_id, "origins": origins, "actor": p.actor},
            actor=p.actor,
            result_url=f"/bemanning/enhet/{item_id}",
            failure_url=f"/bemanning/enhet/{item_id}",
        )
        return redirect(f"/jobber/{job_id}")

    @r.post(
        "/api/v1/bemanning/forecast",
        summary="Forecast absence per unit from an uploaded history (not stored)",
    )
    async def api_forecast(
        request: Request,
        history: UploadFile,
        horizon: int = 28,
        seed: int = 0,
        principal: Principal = Depends(current_principal),
    ):
        authorize(principal, "bemanning.read", service="bemanning")
        if not 1 <= horizon <= 56:
            raise InvalidInput("Horisonten må være mellom 1 og 56 dager.")
        data = await read_upload(request, history)
        return {"rows": forecast(read_history(data), horizon, seed=seed).rows()}

    @r.get(
        "/api/v1/bemanning/units", summary="The newest forecast and staffing proposal per unit you may see"
    )
    def api_units(request: Request, principal: Principal = Depends(current_principal)):
        authorize(principal, "bemanning.read", service="bemanning")
        return {"units": service.latest(get_platform(request), principal.tenant_id, principal.units)}

    return r
