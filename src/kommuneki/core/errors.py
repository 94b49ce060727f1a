"""Domain errors. Domain code raises these; the web layer maps them to HTTP in one place
(``kommuneki.web.errors``) and the CLI to a JSON ``error`` line and a non-zero exit code.

Messages are in Norwegian bokmål because they reach users; ``code`` is a stable English identifier.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 422


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    http_status = 401


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class TooManyRequests(DomainError):
    code = "too_many_requests"
    http_status = 429


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    http_status = 413


def log_safe_traceback(exc: BaseException) -> str:
    """A failure as a log may keep it: each exception of the chain by its type, with where it was raised
    (file, line, function and the line of code), never its message or arguments, which may quote a
    document, a transcript or a person's data (a ``KeyError`` of a name, a parser's error with the
    offending text). Used wherever the platform logs a failure it does not expect (a job, a 500)."""
    import traceback

    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 8:
        seen.add(id(current))
        frames = "".join(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__} (message left out)\n{frames}")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\ncaused by or during: ".join(parts)
