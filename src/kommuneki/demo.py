"""The demo kommune: made-up tenant, units, users and documents (all text written for the demo; no real
persons). Loading is idempotent: running it twice changes nothing the second time. Services add their
own demo data through the ``demo`` loader their spec names (in ``demo_order``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from .core import accounts
from .core.models import Tenant, User
from .core.platform import Platform
from .core.registry import resolve

DEMO_PASSWORD = "demo-passord"
DEMO_TENANT = {"slug": "demo", "name": "Demo kommune", "kommunenummer": "9999", "malform": "bokmal"}
NEIGHBOUR_TENANT = {"slug": "nabo", "name": "Nabo kommune", "kommunenummer": "9998", "malform": "nynorsk"}

DEMO_USERS = [
    {"username": "admin", "full_name": "Ada Administrator", "roles": ["admin", "ki-ansvarlig"]},
    {"username": "saksbehandler", "full_name": "Sara Saksbehandler", "roles": ["saksbehandler"]},
    {"username": "arkivar", "full_name": "Arne Arkivar", "roles": ["arkivar"]},
    {"username": "leder", "full_name": "Lise Leder", "roles": ["leder"]},
    {"username": "takst", "full_name": "Tore Takst", "roles": ["eiendomsskatt"]},
    {"username": "personvern", "full_name": "Pia Personvernombud", "roles": ["personvernombud"]},
    # a nurse in hjemmetjenesten (tale's role; granted only where tale is installed)
    {"username": "sykepleier", "full_name": "Siri Sykepleier", "roles": ["helsepersonell"]},
]

# The typical units of a Norwegian kommune (documented in docs/demo.md).
DEMO_UNITS = [
    ("postmottak", "Postmottak og arkiv", "postmottak@demo.kommune.test", "Registrering av inngående post."),
    (
        "byggesak",
        "Byggesak",
        "byggesak@demo.kommune.test",
        "Søknader om tillatelse til tiltak, nabovarsel, ulovlighetsoppfølging.",
    ),
    (
        "plan",
        "Plan og geodata",
        "plan@demo.kommune.test",
        "Reguleringsplaner, kommuneplan, kart og oppmåling.",
    ),
    ("oppvekst", "Oppvekst og utdanning", "oppvekst@demo.kommune.test", "Skole, barnehage, SFO, PPT."),
    (
        "helse-omsorg",
        "Helse og omsorg",
        "helse.omsorg@demo.kommune.test",
        "Hjemmetjenester, sykehjem, helsestasjon.",
    ),
    ("nav", "NAV-kontoret", "nav@demo.kommune.test", "Økonomisk sosialhjelp og kommunale tjenester i NAV."),
    ("okonomi", "Økonomi", "okonomi@demo.kommune.test", "Fakturaer, kommunale avgifter, innfordring."),
    (
        "eiendomsskatt",
        "Eiendomsskattekontoret",
        "eiendomsskatt@demo.kommune.test",
        "Taksering, klager på eiendomsskatt.",
    ),
    (
        "teknisk-drift",
        "Teknisk drift",
        "teknisk@demo.kommune.test",
        "Vei, vann og avløp, brøyting, renovasjon.",
    ),
    (
        "politisk-sekretariat",
        "Politisk sekretariat",
        "politikk@demo.kommune.test",
        "Møter i kommunestyret og utvalg.",
    ),
]


def _ensure_tenant(platform: Platform, spec: dict) -> int:
    with platform.db.installation_session() as session:
        t = session.scalar(select(Tenant).where(Tenant.slug == spec["slug"]))
        if t is None:
            t = accounts.create_tenant(session, actor="demo", **spec)
            t.settings = {"retention": {"malform:analysed": 365}}
        return t.id


def load_demo(platform: Platform, progress: Callable[[str], None] = lambda _m: None) -> dict:
    """Create (or complete) the demo tenant. Returns a summary."""
    progress("Laster demokommunen …")
    tenant_id = _ensure_tenant(platform, DEMO_TENANT)
    neighbour_id = _ensure_tenant(platform, NEIGHBOUR_TENANT)
    with platform.db.installation_session() as session:
        ids = {}
        for u in DEMO_USERS:
            user = session.scalar(select(User).where(User.username == u["username"]))
            if user is None:
                user = accounts.create_user(
                    session,
                    username=u["username"],
                    password=DEMO_PASSWORD,
                    full_name=u["full_name"],
                    email=f"{u['username']}@demo.kommune.test",
                    actor="demo",
                    via="demo",
                )
            ids[u["username"]] = user.id
    with platform.db.tenant_session(tenant_id) as session:
        for u in DEMO_USERS:
            user = session.get(User, ids[u["username"]])
            known = platform.policy.roles()
            for role in u["roles"]:
                if role not in known:  # a role of a service this installation does not have
                    continue
                accounts.grant_role(session, tenant_id, user, role, actor="demo", known_roles=known)
        existing = {u.code for u in accounts.list_units(session)}
        for code, name, email, desc in DEMO_UNITS:
            if code not in existing:
                accounts.create_unit(
                    session, tenant_id, code=code, name=name, email=email, description=desc, actor="demo"
                )
    with platform.db.tenant_session(neighbour_id) as session:
        accounts.grant_role(session, neighbour_id, session.get(User, ids["admin"]), "admin", actor="demo")
    documents = 0
    for spec in sorted(platform.registry, key=lambda spec: spec.demo_order):
        if spec.demo:
            documents += resolve(spec.demo)(platform, tenant_id, progress)
    progress(f"Demokommunen er klar ({documents} nye dokumenter).")
    return {"tenant": DEMO_TENANT["name"], "tenant_id": tenant_id, "new_documents": documents}


__all__ = ["load_demo", "DEMO_USERS", "DEMO_PASSWORD"]
