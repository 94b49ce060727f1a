"""The service contract: one declarative :class:`ServiceSpec` per service, and the registry that holds them.

A service is a Python package that declares a ``spec()`` factory and is found through the entry point
group ``kommuneki.services`` (see ``kommuneki.bootstrap``, the one composition root). Core never imports a
service, the web app or the CLI: everything a service brings (routes, commands, demo data, model cards,
tables, tasks, settings, panels, header relaxations, metrics, item-read rules) is named in its spec as a
lazy ``"module:attribute"`` string, resolved only when needed, so ``kommuneki --help`` stays fast.

The spec's ``name`` is the default for the package, the CLI group, ``/api/v1/<name>``, the page prefix
``/<name>``, the template folder ``templates/<name>/``, the docs file ``docs/services/<name>.md``, the
migration branch and the audit event prefix ``<name>.``. A spec overrides the CLI name or URL prefixes
only to keep an address already published (see :meth:`ServiceSpec.overrides`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from . import audit

ENTRY_POINT_GROUP = "kommuneki.services"
LEGAL_BASIS_CAPABILITY = "register.legal_basis_for_training"


@cache
def resolve(target: str) -> Any:
    """The object named by ``"package.module:attribute"`` (imported on first use, then cached)."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"not a 'module:attribute' reference: {target!r}")
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


@dataclass(frozen=True)
class SuggestionKind:
    name: str
    title: str  # Norwegian, shown in the UI
    explanation_schema: dict[str, Any]
    automatable: bool = False  # only low-risk actions, never decisions about a person's rights
    value_schema: dict[str, Any] = field(default_factory=dict)
    # Optional Jinja partial that renders this kind's explanation on the suggestion page (a path under
    # the service's templates folder, e.g. "eiendomsskatt/_explanation.html"). None: the generic one.
    explanation_template: str | None = None
    # False: a recorded suggestion that a person marks (a search answer, a daily forecast), never a
    # review-queue item.
    in_review_queue: bool = True


@dataclass(frozen=True)
class RoleSpec:
    """A role a service brings: its Norwegian label and the core actions it grants."""

    name: str
    label: str
    grants: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AuditEvent:
    name: str  # "<service>.<event>"
    description: str  # Norwegian, shown in the audit log
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskSpec:
    """Long work a service hands to the platform (``core.tasks.submit``), optionally on a schedule."""

    name: str  # "<service>.<task>"
    target: str  # "module:function" taking (platform, tenant_id, payload, progress)
    title: str  # Norwegian, shown on the job page
    every_s: int | None = None  # a schedule: run for every tenant this often (core/schedule.py; ≥ 60 s)
    # with a schedule: "module:function" (platform, tenant_id) -> bool, whether to run it for the tenant
    # now (e.g. only where a mailbox is set up); None: for every tenant
    schedule_if: str | None = None
    # a batch of chunks (``core.tasks.submit_chunks``): "module:function" (platform, tenant_id, results)
    # -> dict, the batch's result from its chunks' results in order; None: their numbers summed
    merge: str | None = None


# The core's own tasks (job service "core"); the services' come from their specs.
CORE_TASKS = (
    TaskSpec(
        "core.retention",
        "kommuneki.core.items:retention_task",
        "Sletting etter oppbevaringsreglene",
        every_s=86_400,
    ),
)


@dataclass(frozen=True)
class PanelSpec:
    """A panel this service offers to a slot declared by another service's page."""

    slot: str  # "<host service>.<page>.<place>", e.g. "postmottak.message.side"
    render: str  # "module:function" (request, principal, context) -> HTML string or None
    title: str


@dataclass(frozen=True)
class HeaderRelaxation:
    """Response-header relaxations for this service's own routes only (never global)."""

    path_prefix: str
    permissions_policy: dict[str, str] = field(default_factory=dict)  # {"microphone": "(self)"}
    csp: dict[str, str] = field(default_factory=dict)  # {"media-src": "'self' blob:"}


# The facts the AI Act questionnaire asks about kommuneki's own services (the class follows from the rules).
OWN_SERVICE_ANSWERS = {
    "ki_system": "ja",
    "role": "tilbyder",
    "prohibited": [],
    "narrow_task": "ja",
    "profiling": "nei",
    "interacts": "nei",
    "generates": "nei",
    "publishes_text": "nei",
    "emotion": "nei",
    "gpai": "nei",
    "public_body": "ja",
}


@dataclass(frozen=True)
class RegisterFacts:
    """What the KI-register says of this service: AI Act answers and public summaries."""

    aiact_answers: dict[str, Any]
    summary_nb: str
    summary_nn: str
    affects_individuals: bool = False


@dataclass
class ServiceSpec:
    name: str
    title: str  # Norwegian
    description: str
    kinds: list[SuggestionKind] = field(default_factory=list)
    roles: list[RoleSpec] = field(default_factory=list)
    # The service's own actions ("<name>.<action>") and the roles that may do them.
    rights: dict[str, frozenset[str]] = field(default_factory=dict)
    # Who may read and decide this service's items and suggestions (queue.read, item.read,
    # suggestion.decide are narrowed to these; admin always). None: every role the core grants them.
    reviewer_roles: frozenset[str] | None = None
    router: str | None = None  # "module:function" returning a FastAPI APIRouter
    cli: str | None = None  # "module:attribute" of a click.Group
    models: str | None = None  # module holding the service's tables
    demo: str | None = None  # "module:function" (platform, tenant_id, progress) -> new items
    demo_order: int = 50  # lower loads first (the register reads what the others made: 90)
    cards: str | None = None  # "module:function" () -> list of model cards
    audit_events: list[AuditEvent] = field(default_factory=list)
    explanation_labels: dict[str, str] = field(default_factory=dict)  # explanation key -> Norwegian
    # "module:function" () -> {value key: {code: Norwegian}}: how the pages show its codes (``partial``,
    # ``FODSELSNUMMER``, a hjemmel id) in a suggestion's value and explanation
    value_labels: str | None = None
    register: RegisterFacts | None = None
    capabilities: dict[str, str] = field(default_factory=dict)  # what it offers others: name -> target
    tasks: list[TaskSpec] = field(default_factory=list)
    settings: str | None = None  # "module:PydanticModel" with defaults and Norwegian labels
    panels: list[PanelSpec] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)  # slots its own pages offer to other services
    header_relaxations: list[HeaderRelaxation] = field(default_factory=list)
    metrics: str | None = None  # "module:function" (session, tenant_id) -> list of metric dicts
    # "module:function" (principal, item) -> bool: applied on every generic item route, besides roles
    item_read_rule: str | None = None
    extra: str | None = None  # pip extra holding its heavy dependencies, e.g. "tale"
    requires: tuple[str, ...] = ()  # modules that must import for the service to register
    operator_actions: frozenset[str] = frozenset()  # own actions installation IT may do in any tenant
    has_pages: bool = True  # whether /<url_prefix> is its own page (linked from the menu)
    package_name: str | None = None  # set by ``discover`` from the entry point
    # Overrides of the defaults derived from ``name``, only to keep addresses already published.
    cli_name: str | None = None
    url_prefix: str | None = None
    api_prefix: str | None = None

    # --- names derived from ``name`` ---------------------------------------------------------------

    @property
    def package(self) -> str:
        """The Python package the service lives in (set from its entry point; built-in by default)."""
        return self.package_name or f"kommuneki.services.{self.name}"

    @property
    def command(self) -> str:
        return self.cli_name or self.name

    @property
    def pages_prefix(self) -> str:
        return self.url_prefix or f"/{self.name}"

    @property
    def api_path(self) -> str:
        return self.api_prefix or f"/api/v1/{self.name}"

    @property
    def home_url(self) -> str | None:
        return self.pages_prefix if self.has_pages and self.router else None

    @property
    def event_prefix(self) -> str:
        return f"{self.name}."

    def overrides(self) -> dict[str, str]:
        """The names this spec sets instead of the defaults (listed by the contract test)."""
        found = {}
        if self.cli_name:
            found["cli"] = self.cli_name
        if self.url_prefix:
            found["pages"] = self.url_prefix
        if self.api_prefix:
            found["api"] = self.api_prefix
        return found

    # --- lazy parts --------------------------------------------------------------------------------

    @property
    def router_factory(self) -> Callable[[], Any] | None:
        return resolve(self.router) if self.router else None

    @property
    def cli_group(self) -> Any | None:
        return resolve(self.cli) if self.cli else None

    def model_cards(self) -> list[dict[str, Any]]:
        return list(resolve(self.cards)()) if self.cards else []

    def kind(self, name: str) -> SuggestionKind | None:
        return next((k for k in self.kinds if k.name == name), None)


@dataclass(frozen=True)
class Unavailable:
    """A service found in the entry points but not registered, and why (in Norwegian)."""

    name: str
    reason: str


class ServiceRegistry:
    def __init__(self) -> None:
        self._services: dict[str, ServiceSpec] = {}
        self.unavailable: list[Unavailable] = []
        self._policy: Any = None
        self._events = audit.CORE_EVENTS

    @property
    def policy(self) -> Any:
        """The merged rights table (``core.permissions.Policy``) of the core and these services."""
        if self._policy is None:
            from .permissions import Policy

            self._policy = Policy.from_registry(self)
        return self._policy

    def register(self, spec: ServiceSpec) -> None:
        if spec.name in self._services:
            raise ValueError(f"service {spec.name!r} registered twice")
        for relaxation in spec.header_relaxations:
            if not relaxation.path_prefix.startswith((spec.pages_prefix, spec.api_path)):
                raise ValueError(
                    f"{spec.name!r} relaxes headers outside its own routes: {relaxation.path_prefix}"
                )
        for event in spec.audit_events:
            if not event.name.startswith(spec.event_prefix):
                raise ValueError(f"audit event {event.name!r} of {spec.name!r} lacks its prefix")
        events = audit.catalogue(self._event_types([*self, spec]))  # a conflict refuses the service
        self._services[spec.name] = spec
        self._policy = None
        self._events = events

    @staticmethod
    def _event_types(specs: list[ServiceSpec]) -> list[audit.EventType]:
        return [
            audit.EventType(e.name, e.description, tuple(e.fields))
            for spec in specs
            for e in spec.audit_events
        ]

    @property
    def audit_events(self) -> Any:
        """The audit event catalogue: the core's events and every registered service's (read-only,
        built when a service registers; nothing process-wide is changed)."""
        return self._events

    def get(self, name: str) -> ServiceSpec | None:
        return self._services.get(name)

    def __iter__(self) -> Iterator[ServiceSpec]:
        return iter(self._services.values())

    def __len__(self) -> int:
        return len(self._services)

    def names(self) -> list[str]:
        return list(self._services)

    def queue_kinds_excluded(self) -> list[str]:
        """Kinds that are recorded but never shown in the review queue."""
        return [k.name for spec in self for k in spec.kinds if not k.in_review_queue]

    def capability(self, name: str) -> Any | None:
        """What some registered service offers under ``name`` (None when no service offers it)."""
        for spec in self:
            if name in spec.capabilities:
                return resolve(spec.capabilities[name])
        return None

    def legal_basis_for_training(self, session: Any, tenant_id: int, service: str) -> str | None:
        """The legal basis recorded for training ``service`` on personal data, from whichever service
        offers the ``register.legal_basis_for_training`` capability (the KI-register); None without one."""
        answer = self.capability(LEGAL_BASIS_CAPABILITY)
        return answer(session, tenant_id, service) if answer else None

    def tasks(self) -> list[TaskSpec]:
        """Every declared task: the core's and each registered service's."""
        return [*CORE_TASKS, *(t for spec in self for t in spec.tasks)]

    def task(self, name: str) -> TaskSpec | None:
        return next((t for t in self.tasks() if t.name == name), None)

    def explanation_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for spec in self:
            labels.update(spec.explanation_labels)
        return labels

    def value_labels(self) -> dict[str, dict[str, str]]:
        """Every service's labels for the codes in its values, merged per key
        (``ServiceSpec.value_labels``)."""
        labels: dict[str, dict[str, str]] = {}
        for spec in self:
            if spec.value_labels:
                for key, codes in resolve(spec.value_labels)().items():
                    labels.setdefault(key, {}).update(codes)
        return labels

    def model_modules(self) -> list[str]:
        return [spec.models for spec in self if spec.models]

    def import_models(self) -> None:
        """Import every service's table module (before metadata is compared or created)."""
        for module in self.model_modules():
            importlib.import_module(module)


def _missing_requirement(spec: ServiceSpec) -> str | None:
    for module in spec.requires:
        try:
            importlib.import_module(module)
        except ImportError:
            extra = f"pip install 'kommuneki[{spec.extra}]'" if spec.extra else f"pip install {module}"
            return f"Tjenesten {spec.title} mangler avhengigheten «{module}». Installer med: {extra}"
    return None


def discover(group: str = ENTRY_POINT_GROUP) -> ServiceRegistry:
    """Every service installed under the entry point group, registered in name order.

    A service whose extra is not installed is left out and listed in ``registry.unavailable`` with a
    Norwegian message saying what to install; any other failure to load a service is an error.
    """
    from importlib.metadata import entry_points

    registry = ServiceRegistry()
    found = sorted(entry_points(group=group), key=lambda ep: ep.name)
    seen: set[str] = set()
    for entry in found:
        if entry.name in seen:  # the same distribution seen twice on sys.path
            continue
        seen.add(entry.name)
        factory = entry.load()
        spec = factory() if callable(factory) else factory
        if not isinstance(spec, ServiceSpec):
            raise TypeError(f"entry point {entry.name!r} did not give a ServiceSpec")
        if spec.name != entry.name:
            raise ValueError(f"entry point {entry.name!r} names service {spec.name!r}")
        if spec.package_name is None:
            spec.package_name = entry.module.rsplit(":", 1)[0]
        problem = _missing_requirement(spec)
        if problem:
            registry.unavailable.append(Unavailable(spec.name, problem))
            continue
        registry.register(spec)
    return registry
