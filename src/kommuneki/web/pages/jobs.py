"""A background job's page: progress, cancel, and the way to its result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...core import jobs
from ...core.permissions import Principal
from ..deps import RowId, get_platform, page_principal
from ..rendering import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/jobber/{job_id:int}")
def job_page(job_id: RowId, request: Request, principal: Principal = Depends(page_principal)):
    """A long job's progress: works without JavaScript (the "Oppdater" link); static/jobs.js polls
    the API while it runs and updates the bar and the status line."""
    platform = get_platform(request)
    job = jobs.get(platform, principal.tenant_id, job_id)
    jobs.authorize_job(platform, principal, job)
    spec = platform.registry.get(job["service"])
    back = job["result_url"] or (spec.home_url if spec and spec.home_url else "/")
    resp = render(
        request,
        "job.html",
        principal,
        job=job,
        percent=round(job["progress"] * 100),
        back=back,
        # a service without pages of its own (målform) sends the user back to the overview
        service_title=spec.title if spec and spec.home_url else "oversikten",
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


@router.post("/jobber/{job_id:int}/avbryt")
def job_cancel(job_id: RowId, request: Request, principal: Principal = Depends(page_principal)):
    """Stop a queued or running job (a running one stops at its next step; its work is rolled back)."""
    job = jobs.cancel(get_platform(request), principal, job_id)
    said = (
        "Jobben er stoppet."
        if job["state"] == jobs.CANCELLED
        else "Jobben stopper ved neste steg."
        if job["active"]
        else "Jobben var allerede avsluttet."
    )
    return redirect(f"/jobber/{job_id}", ("info", said), request)


@router.get("/jobber/{job_id:int}/resultat")
def job_result(job_id: RowId, request: Request, principal: Principal = Depends(page_principal)):
    """To the finished job's result, with its summary (``result["message"]``) as the page's message."""
    platform = get_platform(request)
    job = jobs.get(platform, principal.tenant_id, job_id)
    jobs.authorize_job(platform, principal, job)
    if job["state"] != jobs.DONE or not job["result_url"]:
        return redirect(f"/jobber/{job_id}")
    message = job["result"].get("message") if isinstance(job["result"], dict) else None
    return redirect(job["result_url"], ("ok", message) if message else None, request)
