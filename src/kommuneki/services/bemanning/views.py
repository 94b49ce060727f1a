"""Bemanning pages and API: upload the aggregated history (and the minimum staffing), forecast as a
background job, all units at a glance, one page per unit with the plot, the table by day and shift and
a link to the staffing proposal the unit leader decides on. Thin: every route calls one service
function. Never per person: the pages show counts per unit only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import Response
from starlette.datastructures import FormData

from ...core import tasks
from ...core.errors import DomainError, InvalidInput
from ...core.permissions import Principal, authorize
from ...web.deps import RowId, current_principal, get_platform, page_form, page_principal, read_upload_sync
from ...web.forms import form_action
from ...web.rendering import redirect, render
from . import plots, service
from .engine import columns
from .engine.forecast import forecast
from .engine.history import parse_mapping, read_history

# The shared column editor's switches (web/templates/macros/column_mapping.html) for the two uploads.
HISTORY_EDITOR = {"what": "filen", "date_label": "Datoformat for datoene"}
RECORDS_EDITOR = {
    "what": "fraværsfilen",
    "samples": False,  # a column may hold persons: no values from the file on the page
    "value_legend": "Fraværstyper i kolonnen «{name}»",
    "value_hint": "Velg hva hver fraværstype i filen er. Planlagt fravær (ferie, permisjon) telles ikke.",
    "value_label": "Fraværstype for «{value}»",
    "date_label": "Datoformat for fra- og til-datoene",
}


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _file(request: Request, form, key: str) -> bytes | None:
    f = form.get(key)
    if f is None or isinstance(f, str) or not f.filename:
        return None
    return read_upload_sync(request, f)


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

    def start_forecast(
        request: Request, p: Principal, history_id: int, minimum_id: int | None, rota_id: int | None = None
    ):
        job_id = tasks.submit(
            get_platform(request),
            p.tenant_id,
            service.FORECAST_TASK,
            {
                "history_item_id": history_id,
                "minimum_item_id": minimum_id,
                "rota_item_id": rota_id,
                "actor": p.actor,
            },
            actor=p.actor,
            result_url="/bemanning",
            failure_url="/bemanning",
        )
        return redirect(f"/jobber/{job_id}")

    @r.post("/bemanning/prognose", include_in_schema=False)
    def upload(
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        """The aggregated history (and the minimum staffing), stored first; then the forecast job, or
        with «Sett opp kolonnene» the column editor for the stored file."""
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        editor_first = form.get("handling") == "oppsett"
        with form_action(request, "/bemanning") as action:
            history = _file(request, form, "historikk")
            if history is None:
                raise InvalidInput("Velg en fil med fraværstall (date,unit,absent[,staff]).")
            minimum = _file(request, form, "minimum")
            rota = _file(request, form, "turnus")
            ids = service.store_upload(
                platform,
                p.tenant_id,
                history,
                minimum,
                filename=form["historikk"].filename,
                actor=p.actor,
                check=not editor_first,
                rota=rota,
                rota_filename=form["turnus"].filename if rota is not None else None,
            )
        if action.failed:
            return action.response
        if editor_first:
            query = "&".join(
                f"{key}={ids[name]}"
                for key, name in (("minimum", "minimum"), ("turnus", "rota"))
                if ids[name]
            )
            return redirect(f"/bemanning/oppsett/{ids['history']}" + (f"?{query}" if query else ""))
        return start_forecast(request, p, ids["history"], ids["minimum"], ids["rota"])

    def history_page(
        request: Request, p: Principal, upload: dict, editor, minimum: str, status_code=200, rota: str = ""
    ):
        return _no_store(
            render(
                request,
                "bemanning/mapping.html",
                p,
                status_code=status_code,
                m=editor.context(**HISTORY_EDITOR),
                rows=editor.rows,
                filename=upload["filename"],
                action=f"/bemanning/oppsett/{upload['item_id']}",
                records=False,
                minimum=minimum,
                rota=rota,
                signature=editor.signature,
            )
        )

    @r.get("/bemanning/oppsett/{item_id:int}", include_in_schema=False)
    def history_editor(item_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        """The column editor for a stored history upload (guessed, or the mapping saved with it)."""
        authorize(p, "bemanning.plan", service="bemanning")
        upload = service.uploaded_history(get_platform(request), p.tenant_id, item_id)
        editor = columns.history_editor(upload["data"], upload["filename"], mapping=upload["mapping"])
        minimum = request.query_params.get("minimum", "")
        rota = request.query_params.get("turnus", "")
        return history_page(
            request,
            p,
            upload,
            editor,
            minimum if minimum.isdigit() else "",
            rota=rota if rota.isdigit() else "",
        )

    @r.post("/bemanning/oppsett/{item_id:int}", include_in_schema=False)
    def history_editor_submit(
        item_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        """Check the choices; save them with the upload and forecast, or show the errors beside them."""
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        upload = service.uploaded_history(platform, p.tenant_id, item_id)
        editor = columns.history_editor(upload["data"], upload["filename"], form=form)
        minimum = str(form.get("minimum") or "")
        minimum = minimum if minimum.isdigit() else ""
        rota = str(form.get("turnus") or "")
        rota = rota if rota.isdigit() else ""
        if editor.mapping is None:
            return history_page(request, p, upload, editor, minimum, status_code=422, rota=rota)

        def show_again(exc: DomainError) -> Response:  # the choices as sent, the refusal above them
            editor.outcome.errors[""] = exc.message
            editor.outcome.mapping = None
            return history_page(request, p, upload, editor, minimum, status_code=422, rota=rota)

        with form_action(request, f"/bemanning/oppsett/{item_id}", show_again=show_again) as action:
            service.set_history_mapping(platform, p.tenant_id, item_id, editor.mapping, actor=p.actor)
        if action.failed:
            return action.response
        return start_forecast(
            request, p, item_id, int(minimum) if minimum else None, int(rota) if rota else None
        )

    @r.post("/bemanning/fravaer", include_in_schema=False)
    def upload_records(
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        """Absence records (person, unit, from, to, type): counted per unit and day in memory; only the
        counts are stored, never the file or any person (ADR 0009). The columns are found by their
        usual names; when that fails, or with «Sett opp kolonnene», the column editor is shown for this
        file (no values from it except the absence types) and the file must be chosen again: it was
        not kept."""
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        upload = form.get("fravaer")
        filename = upload.filename if upload is not None and not isinstance(upload, str) else None
        with form_action(request, "/bemanning") as action:
            data = _file(request, form, "fravaer")
            if data is None:
                raise InvalidInput("Velg en fil med fraværsperioder.")
            sent_again = "kolonner" in form
            editor = columns.records_editor(data, filename or "fravaer.csv", form if sent_again else None)
            other_layout = sent_again and form.get("kolonner") != editor.signature
            if (
                editor.mapping is None
                or other_layout
                or (form.get("handling") == "oppsett" and not sent_again)
            ):
                del data
                return _no_store(
                    render(
                        request,
                        "bemanning/mapping.html",
                        p,
                        status_code=422 if editor.mapping is None else 200,
                        m=editor.context(**RECORDS_EDITOR),
                        rows=editor.rows,
                        filename=filename,
                        action="/bemanning/fravaer",
                        records=True,
                        minimum="",
                        signature=editor.signature,
                        notice=(
                            "Denne filen har andre kolonner enn den forrige. "
                            "Kontroller oppsettet og velg filen igjen."
                            if other_layout
                            else ""
                        ),
                    )
                )
            ids = service.import_absence_records(
                platform, p.tenant_id, data, filename=filename, actor=p.actor, mapping=editor.mapping
            )
            del data
        if action.failed:
            return action.response
        return start_forecast(request, p, ids["history"], None)

    @r.post("/bemanning/turnus", include_in_schema=False)
    def rota_repair(
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        """Who may take an extra shift under arbeidsmiljøloven, from the rota alone (nothing decided)."""
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        with form_action(request, "/bemanning") as action:
            data = _file(request, form, "turnus")
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
        if action.failed:
            return action.response
        return _no_store(render(request, "bemanning/rota.html", p, result=result))

    @r.get("/bemanning/enhet/{item_id:int}", include_in_schema=False)
    def unit_page(item_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        authorize(p, "bemanning.read", service="bemanning")
        view = service.unit_view(get_platform(request), p.tenant_id, item_id, p.units)
        staffing = view["staffing"]["value"] if view["staffing"] else None
        svg = plots.forecast_plot(view["forecast"]["value"], staffing)
        record = service.track_record(get_platform(request), p.tenant_id, item_id)
        return _no_store(
            render(request, "bemanning/unit.html", p, view=view, svg=svg, record=record, item_id=item_id)
        )

    def _csv(data: str, name: str) -> Response:
        return _no_store(
            Response(
                data.encode("utf-8"),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        )

    @r.get("/bemanning/ekstravakter.csv", include_in_schema=False)
    def export_all(request: Request, p: Principal = Depends(page_principal)):
        """The decided staffing proposals of every unit the principal may see, as CSV (formula-safe)."""
        authorize(p, "bemanning.read", service="bemanning")
        return _csv(
            service.decided_proposals_csv(get_platform(request), p.tenant_id, p.units), "ekstravakter.csv"
        )

    @r.get("/bemanning/enhet/{item_id:int}/ekstravakter.csv", include_in_schema=False)
    def export_unit(item_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        """One unit's decided staffing proposal as CSV (formula-safe)."""
        authorize(p, "bemanning.read", service="bemanning")
        platform = get_platform(request)
        service.unit_view(platform, p.tenant_id, item_id, p.units)  # her own unit, or not found
        data = service.decided_proposals_csv(platform, p.tenant_id, p.units, item_id)
        return _csv(data, f"ekstravakter-{item_id}.csv")

    @r.post("/bemanning/enhet/{item_id:int}/tilbakeblikk", include_in_schema=False)
    def run_backtest(
        item_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        """The rolling-origin backtest on the history this unit's forecast came from, as a background job."""
        authorize(p, "bemanning.plan", service="bemanning")
        platform = get_platform(request)
        source_id = service.source_of(platform, p.tenant_id, item_id, p.units)
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
    def api_forecast(
        request: Request,
        history: UploadFile,
        mapping: UploadFile | None = None,
        horizon: int = 28,
        seed: int = 0,
        principal: Principal = Depends(current_principal),
    ):
        authorize(principal, "bemanning.read", service="bemanning")
        if not 1 <= horizon <= 56:
            raise InvalidInput("Horisonten må være mellom 1 og 56 dager.")
        data = read_upload_sync(request, history)
        columns = parse_mapping(read_upload_sync(request, mapping)) if mapping is not None else None
        return {"rows": forecast(read_history(data, columns), horizon, seed=seed).rows()}

    @r.get(
        "/api/v1/bemanning/units", summary="The newest forecast and staffing proposal per unit you may see"
    )
    def api_units(request: Request, principal: Principal = Depends(current_principal)):
        authorize(principal, "bemanning.read", service="bemanning")
        return {"units": service.latest(get_platform(request), principal.tenant_id, principal.units)}

    return r
