"""The core's web pages in Norwegian bokmål: server-rendered, plain forms, no JavaScript needed.

One module per area, each with a module-level ``router``: sign-in, the review queue, a suggestion, the
audit log, background jobs, administration, tenant settings, models. Each handler authorizes, calls one
core function in a tenant session and renders a template (``web/rendering.py``). Forms carry the
session's CSRF token; a successful POST redirects (post/redirect/get) with a flash message
(``web/forms.py``: ``form_action``).
"""

from __future__ import annotations

from fastapi import APIRouter

from . import admin, audit, jobs, models, queue, settings, signin, suggestions

router = APIRouter(include_in_schema=False)
for _area in (signin, queue, suggestions, audit, jobs, admin, settings, models):
    router.include_router(_area.router)
