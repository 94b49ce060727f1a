"""Every route of the app, API and pages, core and every service's: for tests that go over all of them.

FastAPI up to 0.12x keeps included routes flat in ``app.routes``; later versions keep each included
router as one entry (``original_router``, with its include prefix). Both are walked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.routing import APIRoute

PARAM = re.compile(r"{([a-z_]+)(:[a-z]+)?}")


@dataclass(frozen=True)
class AppRoute:
    method: str
    path: str  # template, e.g. /api/v1/items/{item_id}
    route: APIRoute

    @property
    def id_params(self) -> list[str]:
        """Path parameters that name a row: ``{x:int}``, ``{id}`` or ``{..._id}``."""
        return [n for n, conv in PARAM.findall(self.path) if conv == ":int" or n == "id" or n.endswith("_id")]

    def fill(self, **values) -> str:
        """The path with each parameter replaced by ``values[name]`` (ids by ``values['id']``)."""

        def one(match):
            name = match.group(1)
            if name in values:
                return str(values[name])
            return str(values.get("id", 1)) if name in self.id_params else str(values.get("other", "x"))

        return PARAM.sub(one, self.path)


def _walk(routes, prefix: str = ""):
    for r in routes:
        if isinstance(r, APIRoute):
            yield prefix + r.path, r
        elif hasattr(r, "original_router"):
            yield from _walk(r.original_router.routes, prefix + (r.include_context.prefix or ""))


def app_routes(app) -> list[AppRoute]:
    out = []
    for path, route in _walk(app.routes):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            out.append(AppRoute(method, path, route))
    return out
