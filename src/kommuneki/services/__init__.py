"""The built-in services. Each registers itself through the same registry API a new service would use
(``kommuneki.core.registry``). To add a service: create ``services/<name>/`` with the usual files
(engine, service, models, views, cli) and a ``spec()`` factory, then add it to the lists below."""

from __future__ import annotations

import importlib

from ..governance import spec as governance_spec
from .eiendomsskatt import spec as eiendomsskatt_spec
from .malform import spec as malform_spec
from .postmottak import spec as postmottak_spec
from .skjerming import spec as skjerming_spec

BUILTIN_SERVICES = [governance_spec, malform_spec, skjerming_spec, postmottak_spec, eiendomsskatt_spec]

# Modules holding service tables; imported before migrations compare metadata.
SERVICE_MODEL_MODULES: list[str] = [
    "kommuneki.governance.models",
    "kommuneki.services.postmottak.models",
    "kommuneki.services.eiendomsskatt.models",
]


def import_service_models() -> None:
    for name in SERVICE_MODEL_MODULES:
        importlib.import_module(name)
