"""Who may do what: the one policy function every layer (API, UI, CLI) calls.

A :class:`Principal` is the signed-in user (or API token, or CLI operator) acting in one tenant with
the roles they hold there. :func:`authorize` raises :class:`Forbidden` or returns quietly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import Forbidden
from .models import Role

R = Role
EVERY_ROLE = "*"  # in rights: every role of the installation, core and services

# Core action -> core roles that may do it. Services add their own roles (with the core actions they
# grant) and their own actions through their spec; :class:`Policy` merges them into one table.
CORE_RIGHTS: dict[str, frozenset[str]] = {
    action: frozenset(role.value if isinstance(role, Role) else role for role in roles)
    for action, roles in {
        "queue.read": {R.SAKSBEHANDLER, R.ARKIVAR, R.LEDER, R.ADMIN, R.PERSONVERNOMBUD, R.KI_ANSVARLIG},
        "suggestion.decide": {R.SAKSBEHANDLER, R.ARKIVAR, R.LEDER, R.ADMIN},
        "item.read": {R.SAKSBEHANDLER, R.ARKIVAR, R.LEDER, R.ADMIN, R.PERSONVERNOMBUD},
        "item.create": {R.SAKSBEHANDLER, R.ARKIVAR, R.ADMIN},
        "item.erase": {R.PERSONVERNOMBUD, R.ADMIN},
        "item.dispose": {R.ARKIVAR, R.ADMIN},
        "audit.read": {R.ARKIVAR, R.PERSONVERNOMBUD, R.KI_ANSVARLIG, R.ADMIN},
        "audit.export": {R.ARKIVAR, R.PERSONVERNOMBUD, R.ADMIN},
        "users.manage": {R.ADMIN},
        "units.manage": {R.ADMIN},
        "units.read": {EVERY_ROLE},
        "policies.manage": {R.ADMIN},
        "policies.read": {R.ADMIN, R.KI_ANSVARLIG, R.PERSONVERNOMBUD},
        "tokens.manage": {R.ADMIN},
        "models.read": {EVERY_ROLE},
        "models.manage": {R.KI_ANSVARLIG, R.ADMIN},
        "tenant.manage": {R.ADMIN},
    }.items()
}
CORE_ROLE_LABELS = {
    R.SAKSBEHANDLER.value: "Saksbehandler",
    R.ARKIVAR.value: "Arkivar",
    R.LEDER.value: "Leder",
    R.PERSONVERNOMBUD.value: "Personvernombud",
    R.KI_ANSVARLIG.value: "KI-ansvarlig",
    R.ADMIN.value: "Administrator",
}
# The one operator rule: installation IT may do these in any tenant (administration, not case work).
CORE_OPERATOR_ACTIONS = frozenset(
    {
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
)
# Actions a service narrows to its reviewer roles (admin always keeps them).
REVIEW_ACTIONS = frozenset({"queue.read", "suggestion.decide", "item.read"})


@dataclass(frozen=True)
class Policy:
    """Who may do what: the core's actions merged with every registered service's roles and rights."""

    rights: dict[str, frozenset[str]]
    role_labels: dict[str, str]
    operator_actions: frozenset[str]
    reviewers: dict[str, frozenset[str] | None]  # service -> roles that review it (None: every role)

    @classmethod
    def from_registry(cls, registry: Any | None) -> Policy:
        rights = {action: set(roles) for action, roles in CORE_RIGHTS.items()}
        labels = dict(CORE_ROLE_LABELS)
        operator = set(CORE_OPERATOR_ACTIONS)
        reviewers: dict[str, frozenset[str] | None] = {}
        for spec in registry or ():
            reviewers[spec.name] = spec.reviewer_roles
            for role in spec.roles:
                if role.name in labels:
                    raise ValueError(f"role {role.name!r} declared twice")
                labels[role.name] = role.label
                for action in role.grants:
                    if action not in CORE_RIGHTS:
                        raise ValueError(f"role {role.name!r} grants unknown core action {action!r}")
                    rights[action].add(role.name)
            for action, roles in spec.rights.items():
                if not action.startswith(f"{spec.name}."):
                    raise ValueError(f"action {action!r} of {spec.name!r} lacks its prefix")
                rights[action] = set(roles)
            operator |= set(spec.operator_actions)
        every_role = set(labels)
        for action, roles in rights.items():
            if EVERY_ROLE in roles:
                rights[action] = (roles - {EVERY_ROLE}) | every_role
        return cls(
            rights={action: frozenset(roles) for action, roles in rights.items()},
            role_labels=labels,
            operator_actions=frozenset(operator),
            reviewers=reviewers,
        )

    def roles(self) -> list[str]:
        return list(self.role_labels)

    def allowed_roles(self, action: str, service: str | None = None) -> frozenset[str]:
        """The roles that may do ``action`` (on an object of ``service``, if given)."""
        if action not in self.rights:
            raise ValueError(f"unknown action {action!r}")
        allowed = self.rights[action]
        narrowed = self.reviewers.get(service) if service else None
        if narrowed is not None and action in REVIEW_ACTIONS:
            allowed = allowed & (narrowed | {R.ADMIN.value})
        return allowed

    def can(self, principal: Principal, action: str, service: str | None = None) -> bool:
        allowed = self.allowed_roles(action, service)
        if principal.at_shell:
            return True  # the one CLI rule: the operator at the server's shell already has the database
        if principal.is_operator and action in self.operator_actions:
            return True
        return bool(allowed & principal.roles)


CORE_POLICY = Policy.from_registry(None)


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    tenant_id: int
    roles: frozenset[str] = field(default_factory=frozenset)
    is_operator: bool = False
    via: str = "session"  # session | token | cli
    token_id: int | None = None
    display_name: str = ""
    policy: Policy = field(default=CORE_POLICY, repr=False, compare=False)
    units: frozenset[str] | None = None  # unit codes of the memberships; None: the whole tenant

    @property
    def actor(self) -> str:
        if self.via == "token" and self.token_id is not None:
            return f"token:{self.token_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return "cli"

    @property
    def at_shell(self) -> bool:
        """The operator at the server's shell (the CLI, no signed-in user)."""
        return self.via == "cli" and self.user_id is None

    def can(self, action: str, *, service: str | None = None) -> bool:
        return self.policy.can(self, action, service)


def units_of(memberships: Iterable[Any]) -> frozenset[str] | None:
    """The units a principal's memberships cover: None (the whole tenant) if any membership is tenant-wide."""
    found: set[str] = set()
    for membership in memberships:
        if membership.units is None:
            return None
        found |= set(membership.units)
    return frozenset(found)


def cli_principal(tenant_id: int) -> Principal:
    """The operator at the server's shell (the CLI): may do everything in the tenant."""
    return Principal(user_id=None, tenant_id=tenant_id, via="cli")


def authorize(
    principal: Principal, action: str, *, service: str | None = None, policy: Policy | None = None
) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may do ``action`` (on an object of ``service``).
    ``policy``: the installation's (``registry.policy``) where the caller has the registry at hand; else
    the one the principal was signed in with."""
    allowed = (policy or principal.policy).can(principal, action, service)
    if not allowed:
        raise Forbidden("Du har ikke tilgang til dette.")
