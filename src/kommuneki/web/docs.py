"""The API documentation page (/docs, Swagger UI) with every asset served from this installation: an
air-gapped kommune cannot reach a CDN. The JavaScript and CSS come from the ``fastapi-offline`` package
(MIT; Swagger UI itself is Apache-2.0); the start-up script is our own static file, so the page needs no
inline script (see DOCS_CSP in app.py). There is no /redoc: ReDoc fetches its logo from its CDN."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"


def assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """Mount the assets and add /docs (create the app with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(assets_dir())), name="api-docs-assets")
    title = escape(f"{app.title} – API")
    openapi = escape(app.openapi_url or "/openapi.json")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
<link rel="icon" href="{ASSETS_URL}/favicon.png"></head>
<body><div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body></html>""")
