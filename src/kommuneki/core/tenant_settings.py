"""Each service's settings for one tenant: read, validated and changed in one place.

A service declares its settings as a pydantic model (``ServiceSpec.settings = "module:Model"``): every
field has a default and a Norwegian ``title``. The values live where the services already read them:
``Tenant.settings[<service name>]`` (a JSON object). Changing them validates the whole model (a refused
value leaves everything as it was, with a Norwegian message per field) and records ``tenant.updated``
with the names of the fields that changed (``<service>.<field>``), never their values.

A field marked ``json_schema_extra={"x-kommuneki-operator": True}`` (a path on the server, say) is set
only by the installation's operator; a tenant admin sees it, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from . import audit
from .errors import Forbidden, InvalidInput, NotFound
from .models import Tenant
from .permissions import Principal
from .registry import ServiceRegistry, ServiceSpec, resolve

OPERATOR_ONLY = "x-kommuneki-operator"


@dataclass(frozen=True)
class ServiceSettings:
    """One service's settings model and this tenant's values (defaults where nothing is stored)."""

    spec: ServiceSpec
    model: type[BaseModel]
    values: BaseModel


def model_of(spec: ServiceSpec) -> type[BaseModel] | None:
    """The service's settings model, or None when it has no settings."""
    if not spec.settings:
        return None
    model = resolve(spec.settings)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{spec.name}: settings {spec.settings!r} is not a pydantic model")
    return model


def operator_only(model: type[BaseModel]) -> set[str]:
    """The fields only the installation's operator may change."""
    return {
        name
        for name, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get(OPERATOR_ONLY)
    }


def _stored(session: Session, tenant_id: int) -> dict[str, Any]:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisasjonen finnes ikke.")
    return dict(tenant.settings or {})


def _spec(registry: ServiceRegistry, service: str) -> tuple[ServiceSpec, type[BaseModel]]:
    spec = registry.get(service)
    model = model_of(spec) if spec else None
    if spec is None or model is None:
        raise NotFound(f"Tjenesten {service} har ingen innstillinger.")
    return spec, model


def _values(model: type[BaseModel], stored: Any) -> BaseModel:
    """The stored values over the defaults; a stored value the model no longer accepts (an older
    version's) falls back to the default rather than hiding the page."""
    stored = stored if isinstance(stored, dict) else {}
    known = {k: v for k, v in stored.items() if k in model.model_fields}
    try:
        return model.model_validate(known)
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        return model.model_validate({k: v for k, v in known.items() if k not in bad})


def read(session: Session, registry: ServiceRegistry, tenant_id: int, service: str) -> BaseModel:
    """One service's settings for the tenant (defaults where nothing is stored)."""
    _spec_, model = _spec(registry, service)
    return _values(model, _stored(session, tenant_id).get(service))


def read_all(session: Session, registry: ServiceRegistry, tenant_id: int) -> list[ServiceSettings]:
    """Every registered service that has settings, in the registry's order, with the tenant's values."""
    stored = _stored(session, tenant_id)
    out = []
    for spec in registry:
        model = model_of(spec)
        if model is not None:
            out.append(ServiceSettings(spec, model, _values(model, stored.get(spec.name))))
    return out


def norwegian_message(error: dict[str, Any]) -> str:
    """A pydantic validation error as a Norwegian sentence (the limits from the model's own field)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}

    def num(value: Any) -> str:
        return str(value).replace(".", ",")

    if kind in ("float_parsing", "float_type", "finite_number"):
        return "Må være et tall (f.eks. 0,9)."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Må være et heltall."
    if kind in ("bool_parsing", "bool_type"):
        return "Må være ja eller nei."
    if kind == "greater_than_equal":
        return f"Må være minst {num(ctx.get('ge'))}."
    if kind == "greater_than":
        return f"Må være større enn {num(ctx.get('gt'))}."
    if kind == "less_than_equal":
        return f"Kan ikke være mer enn {num(ctx.get('le'))}."
    if kind == "less_than":
        return f"Må være mindre enn {num(ctx.get('lt'))}."
    if kind == "literal_error":
        return f"Velg en av: {ctx.get('expected', '')}.".replace("'", "")
    if kind == "string_too_short":
        return "Teksten er for kort."
    if kind == "string_too_long":
        return f"Teksten kan ha høyst {ctx.get('max_length')} tegn."
    if kind in ("list_type", "string_type"):
        return "Ugyldig verdi."
    if kind == "extra_forbidden":
        return "Ukjent innstilling."
    if kind == "missing":
        return "Mangler."
    return "Ugyldig verdi."


def change(
    session: Session,
    registry: ServiceRegistry,
    principal: Principal,
    service: str,
    changes: dict[str, Any],
) -> tuple[BaseModel, list[str]]:
    """Validate ``changes`` (field → value) over the tenant's current values and store them; returns the
    new values and the names of the fields that changed. Raises :class:`InvalidInput` with one detail
    per refused field (``{"field", "message"}``, Norwegian), nothing stored. The caller authorizes
    (``tenant.manage``)."""
    spec, model = _spec(registry, service)
    tenant_id = principal.tenant_id
    stored = _stored(session, tenant_id)
    current = _values(model, stored.get(service)).model_dump(mode="json")
    unknown = sorted(set(changes) - set(model.model_fields))
    if unknown:
        raise InvalidInput(
            f"Ukjente innstillinger for {spec.title}: {', '.join(unknown)}.",
            details=[{"field": name, "message": "Ukjent innstilling."} for name in unknown],
        )
    locked = sorted(
        name for name in operator_only(model) if name in changes and changes[name] != current.get(name)
    )
    if locked and not principal.is_operator:
        raise Forbidden(
            "Bare driftsansvarlig kan endre " + ", ".join(_title(model, name) for name in locked) + "."
        )
    try:
        new = model.model_validate({**current, **changes})
    except ValidationError as exc:
        details = [
            {"field": str(error["loc"][0]) if error.get("loc") else "", "message": norwegian_message(error)}
            for error in exc.errors()
        ]
        raise InvalidInput(
            f"Innstillingene for {spec.title} er ikke lagret: rett feltene som er merket.",
            details=details,
        ) from None
    dumped = new.model_dump(mode="json")
    changed = sorted(name for name, value in dumped.items() if current.get(name) != value)
    if changed:
        tenant = session.get(Tenant, tenant_id)
        previous = stored.get(service) if isinstance(stored.get(service), dict) else {}
        tenant.settings = {**stored, service: {**previous, **dumped}}
        audit.record(
            session,
            tenant_id,
            "tenant.updated",
            actor=principal.actor,
            subject=("tenant", tenant_id),
            fields=[f"{service}.{name}" for name in changed],
        )
    return new, changed


def _title(model: type[BaseModel], name: str) -> str:
    field = model.model_fields.get(name)
    return (field.title if field and field.title else name).lower()
