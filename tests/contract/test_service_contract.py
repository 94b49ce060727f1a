"""The contract every registered service keeps, checked for each one (a new service is checked by adding
it, with no edit here): its lazy parts resolve, its names agree with the defaults derived from its name
(or with an override listed below), its schemas compile, its audit events are prefixed and Norwegian,
its explanation keys have Norwegian labels, it has a docs file, it has tables exactly when it has
migrations, and its demo loader is idempotent."""

from __future__ import annotations

import re
from pathlib import Path

import click
import jsonschema
import pytest

from kommuneki.bootstrap import check_metadata, services_in_tree
from kommuneki.core.platform import service_folder
from kommuneki.core.registry import discover, resolve

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = discover()
SPECS = list(REGISTRY)
NAMES = [spec.name for spec in SPECS]

# Every override of a name derived from the service's name, and why: addresses published before services
# were plugins. A new override must be added here, on purpose.
OVERRIDES = {
    "governance": {"cli": "register", "pages": "/ki-register", "api": "/api/v1/governance"},
}
# Public pages a service serves outside its prefix (read by citizens, no sign-in).
PUBLIC_PATHS = {"governance": ("/innsyn/ki/",)}
# English words that give away an untranslated description.
ENGLISH = re.compile(r"\b(the|was|were|has|been|of|and|by|changed|created|exported)\b")


def _parts(spec):
    named = [spec.router, spec.cli, spec.demo, spec.cards, spec.settings, spec.metrics, spec.item_read_rule]
    named += (
        list(spec.capabilities.values()) + [t.target for t in spec.tasks] + [p.render for p in spec.panels]
    )
    named += [t.schedule_if for t in spec.tasks]
    return [target for target in named if target]


def _keys(schema, found=None):
    found = set() if found is None else found
    if isinstance(schema, dict):
        for key, sub in (schema.get("properties") or {}).items():
            found.add(key)
            _keys(sub, found)
        for name in ("items", "additionalProperties"):
            if isinstance(schema.get(name), dict):
                _keys(schema[name], found)
    return found


def test_installed_metadata_matches_the_tree():
    check_metadata(REGISTRY)  # raises when a service folder is not among the entry points
    assert services_in_tree() <= set(NAMES) | {u.name for u in REGISTRY.unavailable}


def test_overrides_are_the_listed_ones():
    assert {spec.name: spec.overrides() for spec in SPECS if spec.overrides()} == OVERRIDES


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_lazy_parts_resolve(spec):
    for target in _parts(spec):
        assert resolve(target) is not None, target
    if spec.models:
        __import__(spec.models)


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_names_agree(spec):
    if spec.cli:
        group = spec.cli_group
        assert isinstance(group, click.Group) and group.name in (spec.command, spec.name), group.name
    if spec.router:
        router = spec.router_factory()
        for route in router.routes:
            path = getattr(route, "path", "")
            if not path:
                continue
            if path.startswith("/api/"):
                assert path.startswith(spec.api_path), path
            elif not path.startswith(PUBLIC_PATHS.get(spec.name, ())):
                assert path.startswith(spec.pages_prefix), path
    templates = service_folder(spec, "templates")
    if templates is not None:
        assert {p.name for p in templates.iterdir() if p.is_dir()} == {spec.name}
    for kind in spec.kinds:
        assert kind.name == spec.name or kind.name.startswith(f"{spec.name}."), kind.name
    for task in spec.tasks:
        assert task.name.startswith(f"{spec.name}."), task.name


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_schemas_compile_and_explanation_keys_have_labels(spec):
    from kommuneki.web.labels import FIELD_LABELS

    # summary and evidence are the explanation's frame, rendered as such (not as labelled fields)
    labels = set(FIELD_LABELS) | set(REGISTRY.explanation_labels()) | {"summary", "evidence"}
    for kind in spec.kinds:
        jsonschema.Draft202012Validator.check_schema(kind.explanation_schema)
        jsonschema.Draft202012Validator.check_schema(kind.value_schema)
        missing = _keys(kind.explanation_schema) - labels
        assert not missing, f"{kind.name}: explanation keys without a Norwegian label: {sorted(missing)}"


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_audit_events_are_prefixed_and_norwegian(spec):
    for event in spec.audit_events:
        assert event.name.startswith(spec.event_prefix), event.name
        assert event.description and not ENGLISH.search(event.description.lower()), event.description


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_roles_and_rights_are_its_own(spec):
    for action in spec.rights:
        assert action.startswith(f"{spec.name}."), action
    for role in spec.roles:
        assert role.label and role.grants


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_a_docs_file_exists(spec):
    assert (ROOT / "docs" / "services" / f"{spec.name}.md").is_file()


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_tables_exist_if_and_only_if_migrations_do(spec):
    migrations = service_folder(spec, "migrations")
    has_migrations = migrations is not None and any(migrations.glob("*.py"))
    assert bool(spec.models) == has_migrations, (spec.models, migrations)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.demo], ids=[s.name for s in SPECS if s.demo])
def test_the_demo_loader_is_idempotent(spec, demo_platform):
    from sqlalchemy import select

    from kommuneki.core.models import Tenant

    with demo_platform.db.installation_session() as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
    # loaded once already (the demo template): a second load adds nothing
    assert resolve(spec.demo)(demo_platform, tenant_id, lambda _m: None) == 0
