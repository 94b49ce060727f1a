"""No service route does its database or CPU work on the event loop: a route is a plain ``def`` (FastAPI
runs it in its thread pool; a form comes through ``web.deps.page_form``), or an ``async def`` that only
awaits the upload and hands its work to the thread pool. One slow database call on the loop stalls every
request of the process, ``/healthz`` included."""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute

from kommuneki.web.app import create_app


def _routes(routes):
    """Every route, also those of included routers (however this FastAPI version holds them)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        elif hasattr(route, "routes") and not isinstance(route, APIRoute):
            yield from _routes(route.routes)
        else:
            yield route


def test_every_async_service_route_hands_its_work_to_the_thread_pool(platform):
    app = create_app(platform=platform)
    checked, on_the_loop = 0, []
    for route in _routes(app.routes):
        if not isinstance(route, APIRoute) or not route.endpoint.__module__.startswith("kommuneki.services"):
            continue
        checked += 1
        if inspect.iscoroutinefunction(route.endpoint):
            source = inspect.getsource(route.endpoint)
            if "run_in_threadpool" not in source:
                on_the_loop.append(f"{sorted(route.methods)} {route.path} ({route.endpoint.__module__})")
    assert checked > 50  # the services' routes were seen
    assert on_the_loop == []
