"""Who may do what: the one policy function every layer (API, UI, CLI) calls.

A :class:`Principal` is the signed-in user (or API token, or CLI operator) acting in one tenant with
the roles they hold there. :func:`authorize` raises :class:`Forbidden` or returns quietly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Forbidden
from .models import Role

R = Role

# action -> roles that may do it. Operators (installation IT) may do the admin actions in any tenant.
RIGHTS: dict[str, frozenset[Role]] = {
    "queue.read": frozenset(
        {R.SAKSBEHANDLER, R.ARKIVAR, R.LEDER, R.EIENDOMSSKATT, R.ADMIN, R.PERSONVERNOMBUD, R.KI_ANSVARLIG}
    ),
    "suggestion.decide": frozenset({R.SAKSBEHANDLER, R.ARKIVAR, R.LEDER, R.EIENDOMSSKATT, R.ADMIN}),
    "item.read": frozenset(
        {R.SAKSBEHANDLER, R.ARKIVAR, R.LEDER, R.EIENDOMSSKATT, R.ADMIN, R.PERSONVERNOMBUD}
    ),
    "item.create": frozenset({R.SAKSBEHANDLER, R.ARKIVAR, R.EIENDOMSSKATT, R.ADMIN}),
    "item.erase": frozenset({R.PERSONVERNOMBUD, R.ADMIN}),
    "item.dispose": frozenset({R.ARKIVAR, R.ADMIN}),
    "audit.read": frozenset({R.ARKIVAR, R.PERSONVERNOMBUD, R.KI_ANSVARLIG, R.ADMIN}),
    "audit.export": frozenset({R.ARKIVAR, R.PERSONVERNOMBUD, R.ADMIN}),
    "users.manage": frozenset({R.ADMIN}),
    "units.manage": frozenset({R.ADMIN}),
    "units.read": frozenset(set(R)),
    "policies.manage": frozenset({R.ADMIN}),
    "policies.read": frozenset({R.ADMIN, R.KI_ANSVARLIG, R.PERSONVERNOMBUD}),
    "tokens.manage": frozenset({R.ADMIN}),
    "models.read": frozenset(set(R)),
    "models.manage": frozenset({R.KI_ANSVARLIG, R.ADMIN}),
    "tenant.manage": frozenset({R.ADMIN}),
}
OPERATOR_ACTIONS = {
    "users.manage",
    "units.manage",
    "policies.manage",
    "tokens.manage",
    "tenant.manage",
    "models.manage",
    "audit.read",
    "audit.export",
    "units.read",
    "models.read",
    "policies.read",
}


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    tenant_id: int
    roles: frozenset[str] = field(default_factory=frozenset)
    is_operator: bool = False
    via: str = "session"  # session | token | cli
    token_id: int | None = None
    display_name: str = ""

    @property
    def actor(self) -> str:
        if self.via == "token" and self.token_id is not None:
            return f"token:{self.token_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return "cli"

    def can(self, action: str, *, service_roles: frozenset[str] | None = None) -> bool:
        if action not in RIGHTS:
            raise ValueError(f"unknown action {action!r}")
        if self.via == "cli" and self.user_id is None:
            return True  # the operator at the server's shell already has the database
        if self.is_operator and action in OPERATOR_ACTIONS:
            return True
        allowed = {r.value for r in RIGHTS[action]}
        if service_roles is not None and action in ("suggestion.decide", "queue.read", "item.read"):
            # a service may narrow who reviews its suggestions (e.g. valuations: eiendomsskatt only)
            allowed &= set(service_roles) | {R.ADMIN.value}
        return bool(allowed & set(self.roles))


def authorize(principal: Principal, action: str, *, service_roles: frozenset[str] | None = None) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may do ``action`` in its tenant."""
    if not principal.can(action, service_roles=service_roles):
        raise Forbidden("Du har ikke tilgang til dette.")
