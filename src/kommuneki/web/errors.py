"""The one error shape, and the one place that maps errors to HTTP.

Every error from the JSON API has this body (documented in docs/api.md)::

    {"error": {"code": "not_found", "message": "Forslaget finnes ikke.", "details": []}}

``code`` is a stable English identifier, ``message`` a Norwegian sentence for the user, ``details`` a
list of objects (for validation errors: ``{"field": "body.reason", "message": "..."}``). HTML pages get
the same message rendered in a page.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.errors import DomainError, NotAuthenticated, log_safe_traceback
from .deps import session_principal
from .limits import BodyTooLarge
from .rendering import render

log = logging.getLogger("kommuneki.web")

HTTP_CODES = {
    400: ("bad_request", "Ugyldig forespørsel."),
    401: ("not_authenticated", "Du må logge inn."),
    403: ("forbidden", "Du har ikke tilgang til dette."),
    404: ("not_found", "Siden finnes ikke."),
    405: ("method_not_allowed", "Metoden er ikke tillatt her."),
    413: ("payload_too_large", "Forespørselen er for stor."),
    415: ("unsupported_media_type", "Innholdstypen støttes ikke."),
    429: ("too_many_requests", "For mange forespørsler."),
}

FIELD_MESSAGES = {
    "missing": "Feltet mangler.",
    "extra_forbidden": "Ukjent felt.",
    "json_invalid": "Ugyldig JSON.",
    "int_parsing": "Må være et heltall.",
    "float_parsing": "Må være et tall.",
    "bool_parsing": "Må være sann eller usann.",
    "string_type": "Må være tekst.",
    "dict_type": "Må være et objekt.",
    "literal_error": "Ugyldig verdi.",
    "enum": "Ugyldig verdi.",
    "greater_than_equal": "Verdien er for liten.",
    "less_than_equal": "Verdien er for stor.",
    "string_too_short": "Teksten er for kort.",
    "string_too_long": "Teksten er for lang.",
    "model_attributes_type": "Må være et JSON-objekt.",
}


NUMBER_OUT_OF_RANGE = "Et tall i forespørselen er for stort (eller for lite)."
RACED = "Noen andre endret dette samtidig. Last siden på nytt og se hva som gjelder nå."


def error_body(code: str, message: str, details: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def respond(request: Request, status: int, code: str, message: str, details: list | None = None):
    """The error in the one shape: JSON for the API and non-browser clients, an HTML page for pages."""
    if wants_html(request):
        if status == 401:
            return RedirectResponse(f"/logg-inn?neste={request.url.path}", status_code=303)
        ctx = {"status": status, "message": message, "details": details or []}
        try:  # the page with its menu for a signed-in user (the error page is part of the site)
            return render(request, "error.html", session_principal(request), status_code=status, **ctx)
        except Exception:  # the database itself may be what failed: then the plain page
            log.debug("error page without menu", exc_info=True)
        templates = request.app.state.templates
        return templates.TemplateResponse(request, "error.html", ctx, status_code=status)
    return JSONResponse(error_body(code, message, details), status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return respond(request, exc.http_status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        details = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "message": FIELD_MESSAGES.get(e.get("type", ""), e.get("msg", "Ugyldig verdi.")),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        return respond(request, 422, "invalid_input", "Forespørselen har ugyldige felt.", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, message = HTTP_CODES.get(exc.status_code, ("http_error", "Feil i forespørselen."))
        if isinstance(exc, BodyTooLarge):
            message = exc.detail
        return respond(request, exc.status_code, code, message)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError):
        # a number no database column or date can hold (SQLite raises this for an id above 2**63)
        log.info("number out of range on %s %s: %s", request.method, request.url.path, exc)
        return respond(request, 422, "invalid_input", NUMBER_OUT_OF_RANGE)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError):
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if state == "22003":  # numeric_value_out_of_range (PostgreSQL: an id above 2**31)
            return respond(request, 422, "invalid_input", NUMBER_OUT_OF_RANGE)
        if isinstance(exc, IntegrityError) and (state == "23505" or "UNIQUE constraint" in str(exc.orig)):
            # two requests raced to write the same thing (two people deciding one suggestion at once):
            # the other one won, and this one's transaction was rolled back whole
            log.info("unique violation on %s %s: %s", request.method, request.url.path, exc.orig)
            return respond(request, 409, "conflict", RACED)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.error(  # never the message: it may quote what the request carried
            "unexpected error on %s %s: %s", request.method, request.url.path, log_safe_traceback(exc)
        )
        return respond(request, 500, "internal_error", "Noe gikk galt hos oss. Feilen er logget.")


__all__ = ["install", "error_body", "respond", "NotAuthenticated"]
