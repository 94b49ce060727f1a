"""The app factory: builds the FastAPI app around a Platform. No work at import time."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from .. import __version__
from ..config import load_settings
from ..core.platform import Platform
from . import api, docs, errors, pages
from .auth import oidc_router
from .limits import BodySizeLimit
from .rendering import configure_templates

HERE = Path(__file__).resolve().parent
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS = {"camera": "()", "microphone": "()", "geolocation": "()"}


def _csp(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CSP = _csp(CSP_DIRECTIVES)


def security_headers(path: str, registry) -> tuple[str, str]:
    """(Permissions-Policy, Content-Security-Policy) for ``path``: the platform's strict defaults, relaxed
    only where a service declares it for its own routes (``ServiceSpec.header_relaxations``)."""
    permissions, directives = dict(PERMISSIONS), dict(CSP_DIRECTIVES)
    for spec in registry:
        for relaxation in spec.header_relaxations:
            if not path.startswith(relaxation.path_prefix):
                continue  # the registry refused any prefix outside the service's own routes
            permissions.update(relaxation.permissions_policy)
            directives.update(relaxation.csp)
    policy = ", ".join(f"{name}={value}" for name, value in permissions.items())
    return policy, _csp(directives)


# /docs loads only local assets (web/docs.py) and no inline script; Swagger UI sets inline styles
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def create_app(platform: Platform | None = None) -> FastAPI:
    if platform is None:
        from ..bootstrap import build_platform

        platform = build_platform(load_settings())
        platform.upgrade_db()
    settings = platform.settings
    logging.basicConfig(level=settings.log_level.upper())
    app = FastAPI(
        title="kommuneki",
        version=__version__,
        docs_url=None,
        redoc_url=None,  # see web/docs.py
        description="Åpen KI-plattform for kommuner. Alle feil har formen "
        '`{"error": {"code", "message", "details"}}` (se docs/api.md).',
    )
    app.state.platform = platform
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    configure_templates(app.state.templates, platform)

    # counts the body as it arrives: holds for chunked bodies, which send no Content-Length. Added
    # first, so that it sits inside the header middleware below: its error is raised in the route's own
    # task (where FastAPI hands it to the error handlers), not in that middleware's task group.
    app.add_middleware(BodySizeLimit, settings=settings)

    @app.middleware("http")
    async def security_response_headers(request: Request, call_next):
        signed_in_before = bool(request.session.get("user_id")) or "authorization" in request.headers
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        permissions, csp = security_headers(request.url.path, platform.registry)
        response.headers.setdefault("Permissions-Policy", permissions)
        response.headers.setdefault(
            "Content-Security-Policy", DOCS_CSP if request.url.path in ("/docs", "/redoc") else csp
        )
        if settings.mode == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        signed_in = signed_in_before or bool(request.session.get("user_id"))
        if (signed_in or request.url.path.startswith("/api")) and not request.url.path.startswith("/static/"):
            # nothing a signed-in user sees (pages, downloads, API answers) is kept by a browser or proxy
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="kommuneki_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.mode == "production",
    )
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    docs.install(app)
    app.include_router(api.router)
    oidc = oidc_router(platform)
    if oidc is not None:
        app.include_router(oidc)
    for spec in platform.registry:
        if spec.router_factory is not None:
            app.include_router(spec.router_factory())
    app.include_router(pages.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True, "version": __version__}

    return app
