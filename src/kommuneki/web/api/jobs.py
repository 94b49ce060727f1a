"""Background jobs: state and progress (poll while running), cancel."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...core import jobs
from ...core.permissions import Principal
from ..deps import RowId, current_principal, get_platform

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", summary="A background job's state and progress (poll while running)")
def get_job(job_id: RowId, request: Request, principal: Principal = Depends(current_principal)):
    platform = get_platform(request)
    job = jobs.get(platform, principal.tenant_id, job_id)
    jobs.authorize_job(platform, principal, job)
    return jobs.public_dict(job)


@router.post(
    "/jobs/{job_id}/cancel",
    summary="Stop a queued or running job (a running one stops at its next step, its work rolled back)",
)
def cancel_job(job_id: RowId, request: Request, principal: Principal = Depends(current_principal)):
    return jobs.public_dict(jobs.cancel(get_platform(request), principal, job_id))
