"""The forms the app's own pages show, read from their HTML: a body for each page POST route that passes
the route's validation, so that the attack sweep (tests/web/test_api_roles.py) reaches the route's
authorization check, not only its form validation.

A user holding every role of the merged table opens every page (filled with the own tenant's objects)
and every ``<form method="post">`` is kept by the POST route its ``action`` matches: its hidden fields,
the values shown (checked boxes, selected options, filled-in text), the first named submit button, a
plain value for each required field left empty, and a small text file for each file field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html

from tests.web.app_routes import PARAM, AppRoute

FILLERS = {"email": "skjema@alfa.test", "number": "1", "date": "2026-01-01", "url": "https://alfa.test/"}


@dataclass
class PageForm:
    data: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    def request_kwargs(self) -> dict:
        data = {k: v if len(v) > 1 else v[0] for k, v in self.data.items()}
        if self.files:
            return {"data": data, "files": self.files}
        return {"data": data}


def _pattern(route: AppRoute) -> re.Pattern:
    """The route's path as a regular expression (``{x}`` one segment, ``{x:path}`` any)."""
    out, last = [], 0
    for m in PARAM.finditer(route.path):
        out.append(re.escape(route.path[last : m.start()]))
        out.append(".+" if m.group(2) == ":path" else "[^/]+")
        last = m.end()
    out.append(re.escape(route.path[last:]))
    return re.compile("^" + "".join(out) + "$")


def _form_body(form) -> PageForm:
    out = PageForm()
    for name, value in form.form_values():
        out.data.setdefault(name, []).append(value)
    for el in form.inputs:
        name = el.get("name")
        if not name or name in out.data:
            continue
        kind = (el.get("type") or "text").lower() if el.tag == "input" else el.tag
        if kind == "file":
            out.files[name] = ("skjema.txt", b"Tekst fra skjemaet.", "text/plain")
        elif kind in ("checkbox", "radio"):
            if el.get("required") is not None:
                out.data[name] = [el.get("value") or "on"]
        elif kind == "select":
            options = [o.get("value", o.text_content()) for o in el.findall(".//option")]
            if options:
                out.data[name] = [options[0]]
        elif kind not in ("submit", "button", "reset", "image") and el.get("required") is not None:
            out.data[name] = [FILLERS.get(kind, "Skjema")]
    button = form.find(".//button[@name]")
    if button is not None and button.get("name") not in out.data:
        out.data[button.get("name")] = [button.get("value", "")]
    return out


def harvest(client, pages: list[str], post_routes: list[AppRoute]) -> dict[tuple[str, str], PageForm]:
    """(method, route template) → the first form found for it on ``pages`` (already filled paths)."""
    patterns = [(r, _pattern(r)) for r in post_routes]
    found: dict[tuple[str, str], PageForm] = {}
    for page in pages:
        r = client.get(page, headers={"Accept": "text/html"}, follow_redirects=False)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        doc = lxml.html.fromstring(r.text, base_url=f"http://testserver{page}")
        for form in doc.forms:
            if (form.method or "GET").upper() != "POST":
                continue
            action = urlsplit(form.action or page).path
            for route, pattern in patterns:
                if pattern.match(action):
                    found.setdefault(("POST", route.path), _form_body(form))
                    break
    return found
