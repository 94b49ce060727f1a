"""Målform HTTP routes: upload a document and get the suggestion."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from ...core import jobs, tasks
from ...core.errors import InvalidInput
from ...core.permissions import Principal, authorize
from ...web.deps import current_principal, read_upload
from . import service


def router() -> APIRouter:
    r = APIRouter(prefix="/api/v1/malform", tags=["malform"])

    @r.post("/documents", status_code=201, summary="Store a document and suggest its målform")
    async def analyse(request: Request, file: UploadFile, principal: Principal = Depends(current_principal)):
        authorize(principal, "item.create", service="malform")
        data = await read_upload(request, file)
        # the upload is read on the event loop; the database and the model run in the thread pool, so
        # that one document does not hold up every other request
        return await run_in_threadpool(
            partial(
                service.analyse_document,
                request.app.state.platform,
                principal.tenant_id,
                data,
                filename=file.filename,
                actor=principal.actor,
            )
        )

    @r.post(
        "/batches",
        status_code=202,
        summary="Store a batch of documents and find their målform in a background job",
    )
    async def batch(
        request: Request, files: list[UploadFile], principal: Principal = Depends(current_principal)
    ):
        authorize(principal, "item.create", service="malform")
        if not files:
            raise InvalidInput("Send minst ett dokument.")
        platform = request.app.state.platform
        uploads = [(file.filename, await read_upload(request, file)) for file in files]

        def store_and_submit() -> dict:
            stored = [  # every file is stored before any is read
                service.store_document(
                    platform, principal.tenant_id, data, filename=filename, actor=principal.actor
                )
                for filename, data in uploads
            ]
            job_id = tasks.submit(
                platform,
                principal.tenant_id,
                service.BATCH_TASK,
                {"item_ids": stored, "actor": principal.actor},
                actor=principal.actor,
            )
            return {
                "job": jobs.public_dict(jobs.get(platform, principal.tenant_id, job_id)),
                "item_ids": stored,
            }

        return await run_in_threadpool(store_and_submit)

    return r
