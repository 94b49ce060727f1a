"""Page forms: ``form_action``, the one way a page POST does its work and redirects with a message (or,
for a form whose refusal must keep what was typed, shows the form again with the error beside the
field); reading a percentage; keeping a "Tilbake" link on this site."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from ..core.errors import DomainError
from .rendering import redirect


class FormAction:
    """One page POST's work: run it inside ``with form_action(request, back) as action:``; a
    :class:`DomainError` raised there ends the block and sends the browser back to ``back`` with the
    error's Norwegian message; ``action.done(message, to=...)`` says where success goes (default
    ``back``) and with what message. The route ends with ``return action.response``.

    A route may also ``return`` a response of its own from inside the block (a job page, a file).

    ``show_again``: a refusal is not a redirect but this page, the form as it was sent with the error
    beside the field (a redirect would lose what was typed or ticked); it is called with the error and
    returns the response. ``catch``: the errors that are the user's (default every DomainError); any
    other propagates to the error page."""

    def __init__(
        self,
        request: Request,
        back: str,
        *,
        error_prefix: str = "",
        show_again: Callable[[DomainError], Response] | None = None,
        catch: type[DomainError] = DomainError,
    ) -> None:
        self.request = request
        self.back = back
        self.error_prefix = error_prefix
        self.show_again = show_again
        self.catch = catch
        self.error: DomainError | None = None
        self._target = back
        self._flash: tuple[str, str] | None = None

    def done(self, message: str | None = None, *, to: str | None = None, kind: str = "ok") -> None:
        """Where the browser goes when the work succeeded, and the message shown there (None: none)."""
        self._flash = (kind, message) if message else None
        self._target = to or self.back

    def __enter__(self) -> FormAction:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and isinstance(exc, self.catch):
            self.error = exc
            return True  # handled: the response is the redirect back with the message, or the form again
        return False

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def response(self) -> Response:
        if self.error is not None and self.show_again is not None:
            return self.show_again(self.error)
        if self.error is not None:
            return redirect(self.back, ("error", self.error_prefix + self.error.message), self.request)
        return redirect(self._target, self._flash, self.request)


def form_action(
    request: Request,
    back: str,
    *,
    error_prefix: str = "",
    show_again: Callable[[DomainError], Response] | None = None,
    catch: type[DomainError] = DomainError,
) -> FormAction:
    """``with form_action(request, "/admin/enheter") as action: ...; action.done("Lagret.")`` then
    ``return action.response`` (see :class:`FormAction`)."""
    return FormAction(request, back, error_prefix=error_prefix, show_again=show_again, catch=catch)


def local_path(url: str) -> str:
    """``url`` if it is a path on this site (``/postmottak/12?liste=…``), else "" (never another host:
    ``//evil.example`` and ``/\\evil`` are refused, so a "Tilbake" link cannot lead away)."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith(("//", "/\\")) or any(c in url for c in "\r\n\\"):
        return ""
    return url[:1000]


def parse_percent(value: str) -> float | None:
    """'85' or '85 %' or '0,85' → 0.85; "" → None. Raises ValueError on nonsense."""
    text = (value or "").replace("%", "").replace(",", ".").strip()
    if not text:
        return None
    share = float(text)
    share = share / 100 if share > 1 else share
    if not 0 <= share <= 1:
        raise ValueError(value)
    return share
