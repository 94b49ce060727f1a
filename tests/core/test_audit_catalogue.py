"""The audit event catalogue comes from the registry: built when a service registers, read-only,
idempotent, per platform — registration changes nothing process-wide, and a session records against its
own platform's catalogue."""

from __future__ import annotations

import pytest

from kommuneki.config import Settings
from kommuneki.core import audit
from kommuneki.core.platform import Platform
from kommuneki.core.registry import AuditEvent, ServiceRegistry, ServiceSpec, discover


def _spec(name: str, *events: AuditEvent) -> ServiceSpec:
    return ServiceSpec(name=name, title=name.title(), description="Test", audit_events=list(events))


def test_the_catalogue_is_the_cores_and_the_services_events_read_only_and_the_same_when_built_again():
    first, second = discover(), discover()
    assert dict(first.audit_events) == dict(second.audit_events)
    service_events = {e.name for spec in first for e in spec.audit_events}
    assert service_events and service_events <= set(first.audit_events)
    assert not service_events & set(audit.CORE_EVENTS)  # nothing was added to the core's table
    assert set(audit.CORE_EVENTS) <= set(first.audit_events)
    with pytest.raises(TypeError):
        first.audit_events["x.y"] = audit.EventType("x.y", "X")  # type: ignore[index]


def test_a_service_declares_its_events_once_alike_or_is_refused():
    greeted = AuditEvent("hei.greeted", "Noen ble hilst på.", ("count",))
    registry = ServiceRegistry()
    registry.register(_spec("hei", greeted))
    assert registry.audit_events["hei.greeted"] == audit.EventType(
        "hei.greeted", "Noen ble hilst på.", ("count",)
    )
    same = audit.catalogue([audit.EventType("hei.greeted", "Noen ble hilst på.", ("count",))] * 2)
    assert same["hei.greeted"].fields == ("count",)
    with pytest.raises(ValueError, match="declared twice with different fields"):
        audit.catalogue(
            [audit.EventType("hei.greeted", "A", ("count",)), audit.EventType("hei.greeted", "A", ("who",))]
        )
    with pytest.raises(ValueError, match="declared twice"):  # a core event cannot be redeclared otherwise
        audit.catalogue([audit.EventType("auth.login", "Logget inn.", ())])
    with pytest.raises(ValueError, match="lacks its prefix"):
        ServiceRegistry().register(_spec("hei", AuditEvent("other.greeted", "X")))


def test_each_platform_records_against_its_own_registrys_events(tmp_path):
    greeted = AuditEvent("hei.greeted", "Noen ble hilst på.", ("count",))
    with_hei = ServiceRegistry()
    with_hei.register(_spec("hei", greeted))
    one = Platform.from_settings(Settings(data_dir=tmp_path / "a"), registry=with_hei)
    other = Platform.from_settings(Settings(data_dir=tmp_path / "b"), registry=ServiceRegistry())
    for platform in (one, other):
        platform.upgrade_db()
    try:
        with one.db.installation_session() as session:
            entry = audit.record(session, None, "hei.greeted", actor="test", count=2)
            assert entry.event == "hei.greeted"
        with one.db.installation_session() as session:
            with pytest.raises(ValueError, match="undeclared fields"):
                audit.record(session, None, "hei.greeted", actor="test", who="x")
        with other.db.installation_session() as session:
            with pytest.raises(ValueError, match="undeclared audit event 'hei.greeted'"):
                audit.record(session, None, "hei.greeted", actor="test", count=1)
            with pytest.raises(ValueError, match="undeclared audit event"):
                audit.record_many(session, None, [{"event": "hei.greeted", "actor": "test", "count": 1}])
        assert "hei.greeted" not in audit.CORE_EVENTS
        with one.db.read_session(unscoped=True) as session:
            result = audit.verify_chain(session, audit.INSTALLATION_CHAIN, one.settings.checkpoint_dir)
            assert result.ok and result.entries == 1  # the chain with the service event verifies
    finally:
        one.close()
        other.close()


def test_the_audit_page_names_every_catalogued_event_and_labels_service_events_in_norwegian(client_factory):
    client = client_factory("admin")
    page = client.get("/revisjonslogg")
    assert page.status_code == 200
    registry = discover()
    service_event = next(
        e for spec in registry for e in spec.audit_events if not set("&'\"<>") & set(e.description)
    )
    # the filter lists the platform's catalogue: the core's events and every service's
    assert (
        f'<option value="{service_event.name}" >{service_event.description} ({service_event.name})</option>'
        in (page.text)
    )
    assert '<option value="auth.login" >' in page.text
