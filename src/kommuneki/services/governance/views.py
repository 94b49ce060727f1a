"""KI-register routes: the register pages (signed in), the public transparency page (no login), and a
small JSON API. Thin: each handler parses input, calls one function in ``service``, renders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from kommuneki.core.errors import InvalidInput
from kommuneki.core.permissions import Principal
from kommuneki.web.deps import RowId, current_principal, get_platform, json_body, page_form, page_principal
from kommuneki.web.forms import form_action
from kommuneki.web.rendering import redirect, render

from . import aiact, monitoring, public, register, service
from .models import STATUSES

BASE = "/ki-register"


def _private(response):
    """Register pages hold internal data: never cached (the public page is cached on purpose)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _fields(form) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in register.EDITABLE.items():
        if kind == "bool":
            out[name] = form.get(name) == "on"
        elif name in form:
            out[name] = str(form.get(name))
    return out


def _answers(form) -> dict[str, Any]:
    rules = aiact.load_rules()
    out: dict[str, Any] = {}
    for q in rules.questions:
        if q["type"] == "multi":
            out[q["id"]] = [str(v) for v in form.getlist(q["id"])]
        elif form.get(q["id"]):
            out[q["id"]] = str(form.get(q["id"]))
    return out


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)  # HTML pages
    api = APIRouter(prefix="/api/v1/governance", tags=["governance"])

    # --- public transparency page (no login) -----------------------------------------------------
    @r.get("/innsyn/ki/{slug}.json")
    def public_json(slug: str, request: Request):
        data = public.public_register(get_platform(request), slug)
        return JSONResponse(data, headers={"Cache-Control": "public, max-age=300"})

    @r.get("/innsyn/ki/{slug}")
    def public_page(slug: str, request: Request):
        data = public.public_register(get_platform(request), slug)
        t = public.TEXTS[data["tenant"]["malform"]]
        return request.app.state.templates.TemplateResponse(
            request,
            "governance/public.html",
            {"data": data, "t": t, "tenant_name": data["tenant"]["name"]},
            headers={"Cache-Control": "public, max-age=300"},
        )

    # --- register pages --------------------------------------------------------------------------
    @r.get(BASE)
    def register_page(request: Request, p: Principal = Depends(page_principal)):
        data = service.overview(get_platform(request), p)
        return _private(
            render(
                request,
                "governance/register.html",
                p,
                systems=data["systems"],
                open_alerts=data["open_alerts"],
                can_manage=service.can(p, "manage", get_platform(request).policy),
            )
        )

    @r.get(BASE + "/ny")
    def new_page(request: Request, p: Principal = Depends(page_principal)):
        service.authorize(p, "manage")
        return _private(render(request, "governance/new.html", p, statuses=STATUSES))

    @r.post(BASE + "/ny")
    def new_submit(
        request: Request, p: Principal = Depends(page_principal), form: FormData = Depends(page_form)
    ):
        service.authorize(p, "manage")
        with form_action(request, BASE + "/ny") as action:
            s = service.add_external(get_platform(request), p, _fields(form))
            action.done(f"{s['name']} er lagt til i registeret.", to=f"{BASE}/{s['id']}")
        return action.response

    @r.get(BASE + "/{system_id}")
    def system_page(system_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        sd = service.detail(get_platform(request), p, system_id)
        return _private(
            render(
                request,
                "governance/system.html",
                p,
                s=sd,
                statuses=STATUSES,
                can_manage=service.can(p, "manage", get_platform(request).policy),
                can_basis=service.can(p, "training_basis", get_platform(request).policy),
            )
        )

    @r.post(BASE + "/{system_id}")
    def system_update(
        system_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.authorize(p, "manage")
        with form_action(request, f"{BASE}/{system_id}") as action:
            changed = service.update(get_platform(request), p, system_id, _fields(form))
            action.done("Registeret er oppdatert." if changed else "Ingen endringer.")
        return action.response

    @r.post(BASE + "/{system_id}/treningsgrunnlag")
    def training_basis(
        system_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.authorize(p, "training_basis")
        platform = get_platform(request)
        with form_action(request, f"{BASE}/{system_id}") as action:
            sd = service.detail(platform, p, system_id)
            if not sd["service"]:
                raise InvalidInput("Grunnlag for trening gjelder bare kommunekis egne tjenester.")
            service.set_training_basis(platform, p, sd["service"], str(form.get("basis", "")))
            action.done("Grunnlaget for trening er lagret.")
        return action.response

    # --- AI Act questionnaire --------------------------------------------------------------------
    @r.get(BASE + "/{system_id}/klassifisering")
    def questionnaire(system_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        sd = service.detail(get_platform(request), p, system_id)
        last = sd["assessments"][0] if sd["assessments"] else None
        rules = aiact.load_rules()
        return _private(
            render(
                request,
                "governance/questionnaire.html",
                p,
                s=sd,
                questions=rules.questions,
                answers=(last["answers"] if last else {"public_body": "ja"}),
                last=last,
                history=sd["assessments"],
                dates=aiact.dates(rules),
                norway=rules.data["norway"],
                pending=rules.data.get("pending", []),
                can_manage=service.can(p, "manage", get_platform(request).policy),
            )
        )

    @r.post(BASE + "/{system_id}/klassifisering")
    def questionnaire_submit(
        system_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.authorize(p, "manage")
        with form_action(request, f"{BASE}/{system_id}/klassifisering") as action:
            a = service.run_assessment(get_platform(request), p, system_id, _answers(form))
            action.done(
                f"Klassifisert: {a['result']['risk_label']}.",
                to=f"{BASE}/{system_id}/klassifisering#resultat",
            )
        return action.response

    @r.post(BASE + "/{system_id}/klassifisering/pa-nytt")
    def questionnaire_rerun(system_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        service.authorize(p, "manage")
        with form_action(request, f"{BASE}/{system_id}/klassifisering") as action:
            a = service.rerun_assessment(get_platform(request), p, system_id)
            action.done(
                f"Kjørt på nytt mot gjeldende regler: {a['result']['risk_label']}.",
                to=f"{BASE}/{system_id}/klassifisering#resultat",
            )
        return action.response

    # --- monitoring ------------------------------------------------------------------------------
    @r.get(BASE + "/{system_id}/overvaking")
    def monitoring_page(system_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        report = service.monitoring_report(get_platform(request), p, system_id)
        charts = []
        for i, v in enumerate(report["versions"]):
            chart = {}
            # each chart drawn twice: wide, and narrow for small screens (the stylesheet shows one)
            for narrow, suffix in ((False, ""), (True, "_narrow")):
                chart["timeline" + suffix] = monitoring.timeline_svg(
                    v["timeline"],
                    svg_id=f"tl{i}{suffix}",
                    title=f"Utfall per uke for {v['model']}",
                    narrow=narrow,
                )
                chart["override" + suffix] = monitoring.timeline_svg(
                    v["timeline"],
                    svg_id=f"ov{i}{suffix}",
                    series=("override_rate", "automated"),
                    title=f"Overstyrt og automatisk andel per uke for {v['model']}",
                    narrow=narrow,
                )
                chart["calibration" + suffix] = monitoring.calibration_svg(
                    v["calibration"],
                    svg_id=f"cal{i}{suffix}",
                    title=f"Andel godtatt per sikkerhetsintervall for {v['model']}",
                    narrow=narrow,
                )
            charts.append(chart)
        return _private(
            render(
                request,
                "governance/monitoring.html",
                p,
                r=report,
                charts=charts,
                can_manage=service.can(p, "manage", get_platform(request).policy),
            )
        )

    @r.post(BASE + "/{system_id}/terskler")
    def thresholds(
        system_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.authorize(p, "manage")
        with form_action(request, f"{BASE}/{system_id}/overvaking") as action:
            try:
                override = float(str(form.get("override", "")).replace(",", ".").replace("%", "").strip())
                override /= 100
                drift = float(str(form.get("drift", "")).replace(",", ".").strip())
            except ValueError:
                raise InvalidInput("Tersklene må være tall.") from None
            service.set_thresholds(get_platform(request), p, system_id, override=override, drift=drift)
            action.done("Tersklene er lagret.")
        return action.response

    @r.post(BASE + "/varsler/sjekk")
    def alerts_check(request: Request, p: Principal = Depends(page_principal)):
        alerts = service.check_alerts(get_platform(request), p)
        return redirect(
            BASE,
            (
                "ok" if not alerts else "error",
                f"{len(alerts)} nye varsler." if alerts else "Ingen nye varsler.",
            ),
            request,
        )

    @r.post(BASE + "/varsler/{alert_id}/lukk")
    def alert_resolve(
        alert_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.authorize(p, "manage")
        back = str(form.get("tilbake", BASE))
        back = back if back.startswith(BASE) else BASE
        with form_action(request, back) as action:
            service.resolve_alert(get_platform(request), p, alert_id)
            action.done("Varselet er merket som behandlet.")
        return action.response

    # --- DPIA and ROS ----------------------------------------------------------------------------
    @r.post(BASE + "/{system_id}/dokumenter")
    def document_generate(
        system_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.authorize(p, "manage")
        with form_action(request, f"{BASE}/{system_id}") as action:
            doc = service.generate_document(
                get_platform(request), p, system_id, str(form.get("doc_type", ""))
            )
            action.done(f"Versjon {doc['version']} er klar.", to=f"{BASE}/dokumenter/{doc['id']}")
        return action.response

    @r.get(BASE + "/dokumenter/{doc_id}")
    def document_page(doc_id: RowId, request: Request, p: Principal = Depends(page_principal)):
        d = service.document(get_platform(request), p, doc_id)
        return _private(
            render(
                request,
                "governance/document.html",
                p,
                d=d,
                can_manage=service.can(p, "manage", get_platform(request).policy),
            )
        )

    @r.post(BASE + "/dokumenter/{doc_id}")
    def document_save(
        doc_id: RowId,
        request: Request,
        p: Principal = Depends(page_principal),
        form: FormData = Depends(page_form),
    ):
        service.authorize(p, "manage")
        platform = get_platform(request)
        with form_action(request, f"{BASE}/dokumenter/{doc_id}") as action:
            d = service.document(platform, p, doc_id)
            answers = {t["id"]: str(form.get(f"todo__{t['id']}", "")) for t in d["todos"]}
            new = service.generate_document(platform, p, d["system_id"], d["doc_type"], answers=answers)
            action.done(f"Lagret som versjon {new['version']}.", to=f"{BASE}/dokumenter/{new['id']}")
        return action.response

    @r.get(BASE + "/dokumenter/{doc_id}/eksport/{fmt}")
    def document_export(doc_id: RowId, fmt: str, request: Request, p: Principal = Depends(page_principal)):
        data, media, filename = service.export_document(get_platform(request), p, doc_id, fmt)
        return Response(
            data,
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    # --- JSON API --------------------------------------------------------------------------------
    @api.get("/systems", summary="The register with the latest classification of each system")
    def api_systems(request: Request, p: Principal = Depends(current_principal)):
        return service.overview(get_platform(request), p)

    @api.get("/systems/{system_id}", summary="One register entry with its history, assessments and documents")
    def api_system(system_id: RowId, request: Request, p: Principal = Depends(current_principal)):
        return service.detail(get_platform(request), p, system_id)

    @api.post("/systems", status_code=201, summary="Add an external AI system to the register")
    def api_add(request: Request, p: Principal = Depends(current_principal), fields=Depends(json_body)):
        if not isinstance(fields, dict):
            raise InvalidInput("Feltene må være et JSON-objekt.")
        return service.add_external(get_platform(request), p, fields)

    @api.post(
        "/systems/{system_id}/assessments",
        status_code=201,
        summary="Run the AI Act questionnaire (answers: question id → answer)",
    )
    def api_assess(
        system_id: RowId,
        request: Request,
        p: Principal = Depends(current_principal),
        answers=Depends(json_body),
    ):
        if not isinstance(answers, dict):
            raise InvalidInput("Svarene må være et JSON-objekt.")
        return service.run_assessment(get_platform(request), p, system_id, answers)

    @api.get("/systems/{system_id}/monitoring", summary="Monitoring figures per model version")
    def api_monitoring(system_id: RowId, request: Request, p: Principal = Depends(current_principal)):
        return service.monitoring_report(get_platform(request), p, system_id)

    root = APIRouter()
    root.include_router(r)
    root.include_router(api)
    return root
