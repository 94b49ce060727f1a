"""The composition root: the one place that puts the platform together from its installed services.

Services are found through the entry point group ``kommuneki.services`` (pyproject.toml), built-in and
third-party alike. Core never imports a service; this module, the web app factory and the CLI ask for the
registry here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .config import Settings
from .core.platform import Platform
from .core.registry import ServiceRegistry, discover

SERVICES_DIR = Path(__file__).resolve().parent / "services"


class StaleMetadataError(RuntimeError):
    """A service folder is in the source tree but not in the installed entry points."""


def services_in_tree() -> set[str]:
    """Service packages in this source tree (``services/<name>/__init__.py``)."""
    return {path.parent.name for path in SERVICES_DIR.glob("*/__init__.py")}


def check_metadata(registry: ServiceRegistry) -> None:
    """Fail loudly when the installed entry points lag the tree (a new service but an old install)."""
    known = set(registry.names()) | {service.name for service in registry.unavailable}
    missing = sorted(services_in_tree() - known)
    if missing:
        raise StaleMetadataError(
            f"Tjenestene {', '.join(missing)} finnes i kildekoden, men ikke i den installerte pakken. "
            "Kjør «pip install -e .» på nytt (inngangspunktene i pyproject.toml er endret)."
        )


@cache
def service_registry() -> ServiceRegistry:
    """Every installed service, checked against the source tree (built once per process)."""
    registry = discover()
    check_metadata(registry)
    return registry


def build_platform(settings: Settings) -> Platform:
    return Platform.from_settings(settings, registry=service_registry())
