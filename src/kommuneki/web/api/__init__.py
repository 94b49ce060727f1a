"""The JSON API (``/api/v1``): everything the UI does. Handlers parse, authorize, call one core
function inside a tenant session, and return plain data. Errors: see ``web/errors.py``.

One module per area, each with a module-level ``router``; services add their own under
``/api/v1/<name>`` (their ``views.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from . import admin, audit, auth, items, jobs, registry, settings, suggestions

router = APIRouter(prefix="/api/v1")
for _area in (auth, suggestions, items, audit, admin, settings, jobs, registry):
    router.include_router(_area.router)
