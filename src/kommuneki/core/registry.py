"""The service registry: services register themselves explicitly, never by naming convention.

A service declares its name, its suggestion kinds (each with an explanation JSON schema and whether it
may be automated), who may review its suggestions, its model cards, its web routes, its CLI commands and
its own audit events. The built-in services are registered by :func:`default_registry` through the same
API a third-party service would use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import audit


@dataclass(frozen=True)
class SuggestionKind:
    name: str
    title: str  # Norwegian, shown in the UI
    explanation_schema: dict[str, Any]
    automatable: bool = False  # only low-risk actions, never decisions about a person's rights
    value_schema: dict[str, Any] = field(default_factory=dict)
    # Optional Jinja partial that renders this kind's explanation on the suggestion page, named
    # "python.package:path/in/package.html" (see docs/architecture-ui.md). None: the generic renderer.
    explanation_template: str | None = None


@dataclass
class ServiceSpec:
    name: str
    title: str  # Norwegian
    description: str
    kinds: list[SuggestionKind]
    reviewer_roles: frozenset[str] | None = None  # None: every reviewing role
    router_factory: Callable[[], Any] | None = None  # returns a FastAPI APIRouter
    cli_group: Any | None = None  # a click.Group mounted under `kommuneki <name>`
    model_cards: Callable[[], list[dict[str, Any]]] = lambda: []
    audit_events: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    home_url: str | None = None  # the service's own page, linked from the main menu

    def kind(self, name: str) -> SuggestionKind | None:
        return next((k for k in self.kinds if k.name == name), None)


class ServiceRegistry:
    def __init__(self) -> None:
        self._services: dict[str, ServiceSpec] = {}

    def register(self, spec: ServiceSpec) -> None:
        if spec.name in self._services:
            raise ValueError(f"service {spec.name!r} registered twice")
        for name, description, fields in spec.audit_events:
            audit.register_event(name, description, *fields)
        self._services[spec.name] = spec

    def get(self, name: str) -> ServiceSpec | None:
        return self._services.get(name)

    def __iter__(self):
        return iter(self._services.values())

    def names(self) -> list[str]:
        return list(self._services)


def default_registry() -> ServiceRegistry:
    """The built-in services, registered explicitly. Add a new service here (one line)."""
    from ..services import BUILTIN_SERVICES

    registry = ServiceRegistry()
    for factory in BUILTIN_SERVICES:
        registry.register(factory())
    return registry
